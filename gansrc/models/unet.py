"""The pix2pix generator (chapter 05): an encoder-decoder with U-Net skip connections.

The encoder halves the image ``depth`` times (by default down to 1x1: 8 times at 256x256, 5 at
32x32); the decoder doubles it back. Skip connections join encoder layer i to decoder layer
n - i by concatenating channels, so fine detail does not have to squeeze through the
bottleneck (Isola et al. 2017, following Ronneberger et al. 2015). Dropout in the innermost
decoder layers is the generator's only source of randomness: pix2pix has no z.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from .init import gaussian_init_

NORMS = ("batch", "instance")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """``"batch"`` (pix2pix) or ``"instance"`` normalisation (CycleGAN; the same as batch norm at batch size 1)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    raise ValueError(f"norm must be one of {NORMS}, not {kind!r}")


def unet_depth(image_size: int) -> int:
    """How many times the U-Net halves an image of this size to reach 1x1 (8 at 256).

    Sizes that are not a power of two (at least 8) cannot be halved down to 1x1 and raise
    a ValueError that says which sizes work.
    """
    if not isinstance(image_size, int) or image_size < 8 or image_size & (image_size - 1):
        lower = 2 ** max(3, int(math.log2(max(image_size, 1))))
        raise ValueError(
            f"The U-Net halves the image down to 1x1, so the image size must be a power of two "
            f"(8, 16, 32, 64, 128, 256, 512...); {image_size!r} is not. Resize or crop your images "
            f"(e.g. to {lower} or {2 * lower}), or pass depth= so that the size is divisible by 2**depth."
        )
    return int(math.log2(image_size))


class UNetGenerator(nn.Module):
    """Image (N, in_channels, S, S) in [-1, 1] to image (N, out_channels, S, S) in [-1, 1].

    Encoder block i: 4x4 convolution with stride 2, normalisation (not on the first and the
    innermost block), LeakyReLU 0.2; channels ``ngf * 2**i``, capped at ``8 * ngf``. Decoder
    block: 4x4 transposed convolution with stride 2, normalisation, dropout (the innermost
    ``dropout_layers`` blocks), ReLU; the last one ends in tanh. ``depth`` defaults to
    log2(S), which gives the paper's 8 levels at 256x256.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        image_size: int = 256,
        ngf: int = 64,
        norm: str = "batch",
        dropout: float = 0.5,
        dropout_layers: int = 3,
        depth: Optional[int] = None,
    ) -> None:
        super().__init__()
        if depth is None:
            depth = unet_depth(image_size)
        elif depth < 1 or image_size % 2**depth:
            raise ValueError(f"image size {image_size} cannot be halved {depth} times (it must be divisible by {2**depth}).")
        norm_layer(norm, 1)  # validates the name
        self.in_channels, self.out_channels = in_channels, out_channels
        self.image_size, self.depth, self.norm = image_size, depth, norm
        self.channels = [ngf * min(2**i, 8) for i in range(depth)]
        bias = norm == "instance"  # batch norm's shift makes a bias redundant

        self.downs = nn.ModuleList()
        previous = in_channels
        for i, c in enumerate(self.channels):
            layers: list[nn.Module] = [nn.Conv2d(previous, c, 4, 2, 1, bias=bias or i in (0, depth - 1))]
            if 0 < i < depth - 1:  # not the first (as in the paper) nor the 1x1 bottleneck
                layers.append(norm_layer(norm, c))
            layers.append(nn.LeakyReLU(0.2) if i < depth - 1 else nn.ReLU())
            self.downs.append(nn.Sequential(*layers))
            previous = c

        self.ups = nn.ModuleList()
        for k, i in enumerate(range(depth - 1, 0, -1)):  # decoder block k produces the size of encoder block i - 1
            c_in = self.channels[i] if k == 0 else 2 * self.channels[i]
            layers = [nn.ConvTranspose2d(c_in, self.channels[i - 1], 4, 2, 1, bias=bias), norm_layer(norm, self.channels[i - 1])]
            if k < dropout_layers and dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers.append(nn.ReLU())
            self.ups.append(nn.Sequential(*layers))
        c_in = self.channels[0] if depth == 1 else 2 * self.channels[0]
        self.ups.append(nn.Sequential(nn.ConvTranspose2d(c_in, out_channels, 4, 2, 1), nn.Tanh()))
        gaussian_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"This U-Net was built for images of shape (N, {', '.join(map(str, expected))}); got {tuple(x.shape)}. "
                f"Resize the images or build the generator with image_size={x.shape[-1] if x.ndim == 4 else '...'}."
            )
        skips = []
        h = x
        for down in self.downs:
            h = down(h)
            skips.append(h)
        h = self.ups[0](skips[-1])
        for up, skip in zip(self.ups[1:], reversed(skips[:-1])):  # layer n - i meets layer i
            h = up(torch.cat([h, skip], dim=1))
        return h
