"""Data: MNIST (full or bundled), Fashion-MNIST, colour photos, folders of images, paired images,
on-device batches, GAN augmentations and unpaired domains (chapter 06)."""
from .augment import Deluxe, DiffAugment, random_color, random_cutout, random_translation, random_zoom_crop_flip
from .batches import TensorBatches, to_hwc, to_signed_float, to_uint8
from .decode import decode_image
from .folders import ImageFolderError, list_images, load_image, load_image_folder
from .mnist import FASHION_CLASSES, ImageSet, load_bundled_mnist, load_fashion_mnist, load_mnist, read_idx
from .paired import PairedSet, load_paired_folder, pix2pix_folder, random_jitter, save_paired_folder
from .photos import PHOTOS, load_celeba, load_photo_patches, sample_photos
from .unpaired import (CYCLEGAN_DATASETS, UnpairedBatches, UnpairedSet, cyclegan_folder, load_unpaired_folder, plain_digits,
                       save_unpaired_folder, to_mnist_format, unpaired_digits)

__all__ = [
    "CYCLEGAN_DATASETS", "Deluxe", "DiffAugment", "FASHION_CLASSES", "ImageSet", "ImageFolderError", "PHOTOS", "PairedSet", "TensorBatches",
    "decode_image", "list_images", "load_bundled_mnist", "load_celeba", "load_fashion_mnist", "load_image", "load_image_folder",
    "load_mnist", "load_paired_folder", "load_photo_patches", "pix2pix_folder", "random_color", "random_cutout",
    "random_jitter", "random_translation", "random_zoom_crop_flip", "read_idx", "sample_photos", "save_paired_folder",
    "to_hwc", "to_signed_float", "to_uint8", "UnpairedBatches", "UnpairedSet", "cyclegan_folder", "load_unpaired_folder",
    "plain_digits", "save_unpaired_folder", "to_mnist_format", "unpaired_digits",
]
