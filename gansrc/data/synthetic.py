"""An offline paired task that can be scored: coloured digits on photographs -> their masks.

Each input is a crop of a natural photograph (scikit-image's bundled samples: the astronaut,
coffee, a rocket, the Hubble deep field...) with MNIST digits painted on it in random colours,
in the spirit of MNIST-M (Ganin & Lempitsky 2015). Its target is the digits' segmentation
mask: white where a digit is, black elsewhere. Like pix2pix's photo -> labels task on
Cityscapes, the output can be compared pixel by pixel with the truth (IoU, pixel accuracy).
Everything is drawn from one seeded generator, so a seed gives the same pairs every time.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..text import tr
from .paired import PairedSet

# Colour photographs that ship inside scikit-image (no download needed).
TEXTURE_PHOTOS = ("astronaut", "coffee", "rocket", "hubble_deep_field", "chelsea", "immunohistochemistry", "motorcycle")


def _photo(name: str) -> np.ndarray:
    try:
        from skimage import data
    except ImportError as exc:  # pragma: no cover - part of the notebook extra
        raise ImportError("The digit scenes use scikit-image's sample photos: pip install scikit-image") from exc
    if name == "motorcycle":
        return data.stereo_motorcycle()[0]
    if name not in TEXTURE_PHOTOS:
        raise ValueError(f"unknown texture photo {name!r}; choose from {', '.join(TEXTURE_PHOTOS)}.")
    return getattr(data, name)()


def load_textures(short_side: int, names: Sequence[str] = TEXTURE_PHOTOS) -> list[Tensor]:
    """The photos as uint8 tensors (3, H, W), each resized so its shorter side is ``short_side``."""
    from PIL import Image

    out = []
    for name in names:
        img = Image.fromarray(_photo(name)[:, :, :3])
        scale = short_side / min(img.size)
        img = img.resize((max(short_side, round(img.size[0] * scale)), max(short_side, round(img.size[1] * scale))), Image.LANCZOS)
        out.append(torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).contiguous())
    return out


def digit_scenes(
    n: int,
    digits: Tensor,
    *,
    size: int = 32,
    digits_per_image: tuple[int, int] = (1, 1),
    digit_scale: tuple[float, float] = (0.75, 1.0),
    textures: Sequence[Tensor] | None = None,
    texture_zoom: float = 3.0,
    min_contrast: float = 120.0,
    seed: int = 0,
    in_order: bool = False,
) -> PairedSet:
    """``n`` pairs (photo with digits, mask of the digits) of ``size`` x ``size`` pixels.

    ``digits`` are MNIST images (M, 1, 28, 28) uint8 to draw from. Each scene takes a random
    crop (and mirror) of a random photo, then paints between ``digits_per_image[0]`` and
    ``[1]`` digits, each scaled to ``digit_scale`` times the image side, at a random place
    where it overlaps the others little (ten tries), in a random colour; a colour closer than ``min_contrast`` (RGB distance, 0-441) to the
    photo under it is replaced by the corner of the RGB cube farthest from it, so every digit
    stands out. The mask marks
    the pixels where a digit's ink is above one half. Returns ``PairedSet(a=photos
    (n, 3, size, size), b=masks (n, 1, size, size))``, both uint8; masks are 0 or 255.
    With ``in_order=True`` the first digit of scene i is ``digits[i % M]`` instead of a random
    one, so the caller knows its label (chapter 06 keeps labels for evaluation).
    """
    if digits.ndim != 4 or digits.shape[1] != 1:
        raise ValueError(f"digits must be MNIST-like images (M, 1, H, W); got {tuple(digits.shape)}.")
    lo, hi = digits_per_image
    if not 1 <= lo <= hi:
        raise ValueError(f"digits_per_image must be (min, max) with 1 <= min <= max; got {digits_per_image}.")
    if not 0 < digit_scale[0] <= digit_scale[1] <= 1:
        raise ValueError(f"digit_scale must be (min, max) fractions of the image side in (0, 1]; got {digit_scale}.")
    if textures is None:
        textures = load_textures(round(texture_zoom * size))
    if any(t.shape[1] < size or t.shape[2] < size for t in textures):
        raise ValueError(f"every texture must be at least {size}x{size} pixels.")
    g = torch.Generator().manual_seed(seed)

    def uniform(a: float, b: float) -> float:
        return a + (b - a) * torch.rand((), generator=g).item()

    def randint(a: int, b: int) -> int:  # a <= k <= b
        return int(torch.randint(a, b + 1, (), generator=g))

    photos = torch.empty(n, 3, size, size)
    masks = torch.zeros(n, 1, size, size, dtype=torch.bool)
    for i in range(n):
        tex = textures[randint(0, len(textures) - 1)]
        top, left = randint(0, tex.shape[1] - size), randint(0, tex.shape[2] - size)
        canvas = tex[:, top: top + size, left: left + size].float()
        if randint(0, 1):
            canvas = canvas.flip(2)
        for k in range(randint(lo, hi)):
            side = max(4, round(uniform(*digit_scale) * size))
            which = i % len(digits) if in_order and k == 0 else randint(0, len(digits) - 1)
            ink = digits[which].float().div(255)[None]
            ink = F.interpolate(ink, size=(side, side), mode="bilinear", align_corners=False)[0].clamp(0, 1)
            stroke = ink[0] > 0.5
            for _attempt in range(10):  # prefer a place where this digit barely touches the others
                y, x = randint(0, size - side), randint(0, size - side)
                if (masks[i, 0, y: y + side, x: x + side] & stroke).sum() <= 0.05 * stroke.sum():
                    break
            window = canvas[:, y: y + side, x: x + side]
            colour = torch.rand(3, generator=g) * 255
            under = window[:, stroke].mean(1) if stroke.any() else window.mean((1, 2))
            if (colour - under).norm() < min_contrast:
                colour = (under < 127.5).float() * 255  # the corner of the colour cube farthest away
            window.mul_(1 - ink).add_(ink * colour[:, None, None])
            masks[i, :, y: y + side, x: x + side] |= stroke
        photos[i] = canvas
    return PairedSet(photos.round().clamp(0, 255).to(torch.uint8), masks.to(torch.uint8) * 255, tr("digit_scenes", n=n, size=size, seed=seed))
