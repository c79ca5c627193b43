"""A folder of your own images, decoded once into one uint8 tensor.

Every problem is reported with the file it came from, so a learner pointing the book at
their own photos knows what to fix.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import numpy as np
import torch

from ..text import tr
from .decode import ImageFolderError, decode_image, image_array
from .mnist import ImageSet

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def list_images(folder: Path, extensions: Iterable[str] = IMAGE_EXTENSIONS, skip_other_files: bool = False) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted; hidden files are ignored."""
    folder = Path(folder)
    if not folder.exists():
        raise ImageFolderError(f"Image folder {folder} does not exist.")
    if not folder.is_dir():
        raise ImageFolderError(f"{folder} is a file, not a folder of images.")
    exts = tuple(e.lower() for e in extensions)
    images, others = [], []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        (images if path.suffix.lower() in exts else others).append(path)
    if others and not skip_other_files:
        raise ImageFolderError(
            f"{others[0]} is not an image file (expected one of {', '.join(exts)})"
            + (f", and {len(others) - 1} more like it" if len(others) > 1 else "")
            + ". Remove it, or pass skip_other_files=True to ignore such files."
        )
    if not images:
        raise ImageFolderError(f"Image folder {folder} contains no images (looked for {', '.join(exts)}).")
    return images


def load_image(path: Path, size: Optional[int], channels: int) -> np.ndarray:
    """Decode one image to a (H, W, C) uint8 array with ``channels`` 1 or 3.

    The file is decoded by ``decode.decode_image`` (16-bit scaled, EXIF orientation applied,
    transparency on white, grey repeated in R, G, B or colour to grey as asked). When ``size``
    is given the shorter side is resized to it and the centre is cropped to ``size`` x ``size``.
    """
    from PIL import Image

    img = decode_image(path, channels)
    if size is not None:
        w, h = img.size
        scale = size / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BICUBIC)
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        img = img.crop((left, top, left + size, top + size))
    return image_array(img)


def load_image_folder(folder: Path, size: int, channels: int = 3, skip_other_files: bool = False, progress: bool = True) -> ImageSet:
    """Every image under ``folder`` resized/cropped to ``size`` x ``size``, as one uint8 tensor (N, C, H, W).

    Decoding happens once here, so training draws batches from memory instead of running
    PIL on every image of every epoch.
    """
    from ..runtime import progress as bar

    paths = list_images(folder, skip_other_files=skip_other_files)
    it = bar(paths, desc=tr("decoding", name=Path(folder).name), unit="img") if progress else paths
    arrays = [load_image(p, size, channels) for p in it]
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return ImageSet(images, None, tr("folder_images", n=len(paths), folder=folder))
