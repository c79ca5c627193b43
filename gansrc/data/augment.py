"""Data augmentation for GANs, as batched tensor operations on the device (chapter 03).

Three regimes, compared in chapter 03 on a few hundred images:

* **basic**: no augmentation; the images are only resized and scaled to [-1, 1] when loaded
  (``TensorBatches(..., augment=None)``).
* **deluxe**: each real image is zoomed in by a random factor up to ``zoom``, cropped at a
  random place and flipped left-right with probability 1/2 (``Deluxe``, applied to the real
  batches by ``TensorBatches(..., augment=Deluxe())``). Only the reals are augmented, so the
  generator is trained to reproduce the augmented distribution, flips and all.
* **DiffAugment** (Zhao et al. 2020): random colour, translation and cutout applied to *every*
  image the discriminator sees, real and generated, in both players' steps
  (``GANTrainer(..., augment=DiffAugment())``). Every operation is differentiable in the
  images, so the generator's gradient passes through the augmentation, and the generator is
  not pushed to reproduce it.

Each augmentation draws its random numbers from ``generator`` (a ``torch.Generator`` on the
images' device) when one is given, so a training run that passes its own generator can be
resumed bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def _uniform(n: int, x: Tensor, generator: Optional[torch.Generator], low: float = 0.0, high: float = 1.0) -> Tensor:
    """n numbers from U(low, high), one per image, shaped (n, 1, 1, 1) to broadcast over (C, H, W)."""
    u = torch.rand(n, 1, 1, 1, generator=generator, device=x.device, dtype=torch.float32)
    return (low + (high - low) * u).to(x.dtype)


def random_zoom_crop_flip(x: Tensor, zoom: float = 1.1, flip: bool = True, generator: Optional[torch.Generator] = None) -> Tensor:
    """Zoom each image in by a random factor in [1, ``zoom``], crop it at a random place to
    its original size, and mirror it left-right with probability 1/2 if ``flip``.

    One ``grid_sample`` does the whole batch: each image gets its own affine map from output
    to input coordinates. The crop window always lies inside the image and bilinear
    interpolation only averages neighbouring pixels, so values stay in the input's range.
    """
    if zoom < 1:
        raise ValueError(f"zoom must be at least 1 (1 means no zoom), not {zoom}.")
    n = x.shape[0]
    scale = 1.0 / _uniform(n, x, generator, 1.0, zoom).view(n)           # fraction of the image the crop covers
    room = 1.0 - scale                                                    # how far the window can move (normalised units)
    shift = (2 * _uniform(2 * n, x, generator).view(n, 2) - 1) * room[:, None]
    mirror = torch.ones(n, device=x.device, dtype=x.dtype)
    if flip:
        mirror = torch.where(_uniform(n, x, generator).view(n) < 0.5, -mirror, mirror)
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = scale * mirror
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_color(x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
    """DiffAugment's colour: brightness + U(-0.5, 0.5), saturation x U(0, 2) (colour images
    only), contrast x U(0.5, 1.5), each drawn per image.

    Unlike the geometric operations this one leaves [-1, 1], on purpose: brightness moves
    values by at most 0.5 and each scaling stretches the spread about a mean that lies inside
    the range by at most its factor, so images in [-1, 1] end within [-3, 3] (grey) or
    [-9, 9] (colour). The discriminator accepts any real input.
    """
    n = x.shape[0]
    x = x + _uniform(n, x, generator, -0.5, 0.5)
    if x.shape[1] > 1:
        mean = x.mean(dim=1, keepdim=True)
        x = mean + (x - mean) * _uniform(n, x, generator, 0.0, 2.0)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return mean + (x - mean) * _uniform(n, x, generator, 0.5, 1.5)


def random_translation(x: Tensor, ratio: float = 0.125, generator: Optional[torch.Generator] = None) -> Tensor:
    """Shift each image by a random whole number of pixels, at most ``ratio`` of its size in
    each direction; the uncovered border is filled with 0 (mid-grey in [-1, 1])."""
    n, _, h, w = x.shape
    max_dy, max_dx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-max_dy, max_dy + 1, (n, 1, 1), generator=generator, device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (n, 1, 1), generator=generator, device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1) - dy             # source row of each output row
    cols = torch.arange(w, device=x.device).view(1, 1, w) - dx
    inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)
    index = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    shifted = x.reshape(n, x.shape[1], h * w).gather(2, index).view_as(x)
    return shifted * inside


def random_cutout(x: Tensor, ratio: float = 0.5, generator: Optional[torch.Generator] = None) -> Tensor:
    """Set a square of side ``ratio`` times the image size, at a random place (it may hang over
    the border), to 0 in every image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=generator, device=x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=generator, device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    hole = (rows >= cy - ch // 2) & (rows < cy - ch // 2 + ch) & (cols >= cx - cw // 2) & (cols < cx - cw // 2 + cw)
    return x * (~hole).unsqueeze(1).to(x.dtype)


@dataclass(frozen=True)
class Deluxe:
    """The "deluxe" augmentation of the cats DCGAN: random zoom-crop and horizontal flip."""

    zoom: float = 1.1
    flip: bool = True

    def __call__(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        return random_zoom_crop_flip(x, self.zoom, self.flip, generator)


@dataclass(frozen=True)
class DiffAugment:
    """Differentiable augmentation (Zhao et al. 2020) with the paper's "color,translation,cutout"
    policy; set ``color=False`` or a ratio to 0 to leave an operation out."""

    color: bool = True
    translation: float = 0.125
    cutout: float = 0.5

    def __call__(self, x: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        if self.color:
            x = random_color(x, generator)
        if self.translation:
            x = random_translation(x, self.translation, generator)
        if self.cutout:
            x = random_cutout(x, self.cutout, generator)
        return x
