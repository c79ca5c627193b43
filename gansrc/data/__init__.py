"""Data: MNIST (full or bundled), folders of images, and on-device batches."""
from .batches import TensorBatches, to_signed_float, to_uint8
from .folders import ImageFolderError, list_images, load_image, load_image_folder
from .mnist import ImageSet, load_bundled_mnist, load_mnist, read_idx

__all__ = [
    "ImageSet", "ImageFolderError", "TensorBatches", "list_images", "load_bundled_mnist",
    "load_image", "load_image_folder", "load_mnist", "read_idx", "to_signed_float", "to_uint8",
]
