"""Colour images for the 64x64 DCGAN of chapter 03.

On Colab the chapter trains on CelebA faces, downloaded by torchvision. Offline (smoke mode,
or when the download fails: CelebA lives on a Google Drive that often refuses with a quota
error) it uses patches cut from the photographs that ship inside scikit-image: a cat, a cup
of coffee, an astronaut, a rocket launch, a retina, a stained tissue section and a deep
field of galaxies. Each patch is a random square crop, a quarter to a half of the shorter
side of its photograph, resized to the requested size with antialiasing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..downloads import download_errors, failure_reason
from ..runtime import progress, runs_dir
from ..text import tr
from .mnist import ImageSet

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "retina", "immunohistochemistry", "hubble_deep_field")


def sample_photos() -> dict[str, np.ndarray]:
    """scikit-image's bundled colour photographs used for the patches, as (H, W, 3) uint8 arrays."""
    try:
        import skimage.data
    except ImportError as exc:  # pragma: no cover - part of the notebook extras
        raise ImportError("The offline colour images come from scikit-image: pip install scikit-image.") from exc
    return {name: getattr(skimage.data, name)()[..., :3] for name in PHOTOS}


def load_photo_patches(size: int = 64, n: int = 2048, seed: int = 0) -> ImageSet:
    """``n`` random square patches of the sample photographs, (n, 3, size, size) uint8.

    The label of a patch is the index of its photograph in ``PHOTOS``. The same ``seed``
    gives the same patches on every machine (NumPy's generator draws the crops).
    """
    if n < 1 or size < 8:
        raise ValueError(f"need n >= 1 patches of size >= 8 pixels (got n={n}, size={size}).")
    photos = []
    for array in sample_photos().values():
        photo = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float()[None]
        shrink = 4 * size / min(photo.shape[-2:])  # a crop then spans 1 to 2 times ``size`` pixels: cheap to resize
        if shrink < 1:
            photo = F.interpolate(photo, scale_factor=shrink, mode="bilinear", antialias=True, align_corners=False)
        photos.append(photo[0])
    rng = np.random.default_rng(seed)
    patches = torch.empty(n, 3, size, size)
    labels = torch.from_numpy(rng.integers(len(photos), size=n)).long()
    for i, k in enumerate(labels.tolist()):
        photo = photos[k]
        h, w = photo.shape[1:]
        side = int(rng.integers(min(h, w) // 4, min(h, w) // 2 + 1))
        top, left = int(rng.integers(h - side + 1)), int(rng.integers(w - side + 1))
        crop = photo[None, :, top: top + side, left: left + side]
        small = F.interpolate(crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        patches[i] = small[0]
    images = patches.round_().clamp_(0, 255).to(torch.uint8)
    return ImageSet(images, labels, tr("photo_patches", n=n, names=", ".join(PHOTOS)))


def _download_celeba(size: int, root: Path, max_images: Optional[int]) -> ImageSet:
    from torchvision.datasets import CelebA

    ds = CelebA(str(root), split="train", target_type=[], download=True)
    n = len(ds) if max_images is None else min(max_images, len(ds))
    images = torch.empty(n, 3, size, size, dtype=torch.uint8)
    for i in progress(range(n), desc=tr("decoding", name="CelebA"), unit="img"):
        img, _ = ds[i]
        img = img.convert("RGB")
        w, h = img.size                                            # 178 x 218: resize the short side, crop the centre
        scale = size / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), resample=3)  # 3: bicubic
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        images[i] = torch.from_numpy(np.array(img.crop((left, top, left + size, top + size)))).permute(2, 0, 1)
    return ImageSet(images, None, tr("celeba_faces", n=n, total=len(ds), size=size))


def load_celeba(size: int = 64, download: bool = True, max_images: Optional[int] = 60_000, root: Optional[Path] = None, verbose: bool = True) -> ImageSet:
    """CelebA faces, resized and centre-cropped to ``size`` (the PyTorch DCGAN tutorial's data).

    Tries torchvision's download when ``download`` is True and decodes at most ``max_images``
    (None: all 162,770 training images) into memory. When that fails it says so in one line and
    returns ``load_photo_patches(size)`` instead.
    """
    result: Optional[ImageSet] = None
    reason = "download=False"
    if download:
        try:
            result = _download_celeba(size, Path(root) if root else runs_dir() / "downloads", max_images)
        except download_errors() as exc:  # no network, Google Drive quota, a corrupt archive
            reason = failure_reason(exc)
    if result is None:
        result = load_photo_patches(size)
        if verbose and download:
            print(tr("celeba_fallback", reason=reason, what=result.source))
    if verbose:
        print(tr("colour_images", what=result.source))
    return result
