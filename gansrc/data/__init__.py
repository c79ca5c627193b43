"""Data: MNIST (full or bundled), folders of images, paired images, and on-device batches."""
from .batches import TensorBatches, to_signed_float, to_uint8
from .folders import ImageFolderError, list_images, load_image, load_image_folder
from .mnist import ImageSet, load_bundled_mnist, load_mnist, read_idx
from .paired import PairedSet, load_paired_folder, pix2pix_folder, random_jitter, save_paired_folder

__all__ = [
    "ImageSet", "ImageFolderError", "PairedSet", "TensorBatches", "list_images", "load_bundled_mnist",
    "load_image", "load_image_folder", "load_mnist", "load_paired_folder", "pix2pix_folder", "random_jitter", "read_idx",
    "save_paired_folder", "to_signed_float", "to_uint8",
]
