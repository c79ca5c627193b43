"""The pix2pix generator (chapter 05): an encoder-decoder with U-Net skip connections.

The encoder halves the image ``depth`` times (by default down to 1x1: 8 times at 256x256, 5 at
32x32); the decoder doubles it back. Skip connections join encoder layer i to decoder layer
n - i by concatenating channels, so fine detail does not have to squeeze through the
bottleneck (Isola et al. 2017, following Ronneberger et al. 2015). Dropout in the decoder is
the generator's only source of randomness: pix2pix has no z.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from .init import gaussian_init_

NORMS = ("batch", "instance")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """``"batch"`` (pix2pix) or ``"instance"`` normalisation (CycleGAN), as the authors' code builds them.

    Batch norm has a learnt scale and shift and running statistics; instance norm has neither
    (``affine=False, track_running_stats=False``): it normalises each image by its own statistics,
    in training and in eval mode alike, which is batch norm in training mode at batch size 1
    without the scale and shift.
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
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

    Layer for layer the ``UnetGenerator`` of the authors' PyTorch code (Isola, Zhu et al.,
    junyanz/pytorch-CycleGAN-and-pix2pix), unrolled into ``downs`` and ``ups``. Each layer
    starts with its activation: encoder layer i is LeakyReLU 0.2 (not on the first), a 4x4
    convolution with stride 2 to ``ngf * 2**i`` channels (capped at ``8 * ngf``) and
    normalisation (not on the first nor the innermost). Its output, normalised but not yet
    activated, is the skip. Decoder layer k is ReLU, a 4x4 transposed convolution with
    stride 2 and normalisation; from the second one on, its input is [skip, the decoder's
    output so far] concatenated, so the ReLU acts on the skip too. The last decoder layer has
    a bias and tanh instead of normalisation. Convolutions before batch norm have no bias
    (its shift makes one redundant).

    Dropout ``dropout`` follows the decoder layers 2 to ``dropout_layers + 1``. The default
    ``None`` is the authors' code: the 8 * ngf layers above the innermost, ``depth - 5`` of
    them (3 at 256x256, none at 32x32). The paper and the original Lua code put it on the
    three innermost decoder layers instead. ``depth`` defaults to log2(S), which gives the
    paper's 8 levels at 256x256.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        image_size: int = 256,
        ngf: int = 64,
        norm: str = "batch",
        dropout: float = 0.5,
        dropout_layers: Optional[int] = None,
        depth: Optional[int] = None,
    ) -> None:
        super().__init__()
        if depth is None:
            depth = unet_depth(image_size)
        elif depth < 1 or image_size % 2**depth:
            raise ValueError(f"image size {image_size} cannot be halved {depth} times "
                             f"(it must be divisible by {2**depth}).")
        if dropout_layers is None:
            dropout_layers = max(depth - 5, 0)
        if not 0 <= dropout_layers <= max(depth - 2, 0):
            raise ValueError(f"dropout_layers must be between 0 and {max(depth - 2, 0)} (the decoder "
                             f"layers between the innermost and the last) at depth {depth}, "
                             f"not {dropout_layers}.")
        norm_layer(norm, 1)  # validates the name
        self.in_channels, self.out_channels = in_channels, out_channels
        self.image_size, self.depth, self.norm = image_size, depth, norm
        self.channels = [ngf * min(2**i, 8) for i in range(depth)]
        bias = norm == "instance"  # batch norm's shift makes a bias redundant
        c = self.channels

        self.downs = nn.ModuleList([nn.Sequential(nn.Conv2d(in_channels, c[0], 4, 2, 1, bias=bias))])
        for i in range(1, depth):
            layers: list[nn.Module] = [nn.LeakyReLU(0.2), nn.Conv2d(c[i - 1], c[i], 4, 2, 1, bias=bias)]
            if i < depth - 1:  # the 1x1 bottleneck is not normalised
                layers.append(norm_layer(norm, c[i]))
            self.downs.append(nn.Sequential(*layers))

        self.ups = nn.ModuleList()
        for k, i in enumerate(range(depth - 1, 0, -1)):  # decoder layer k + 1 makes encoder i - 1's size
            c_in = c[i] if k == 0 else 2 * c[i]
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, c[i - 1], 4, 2, 1, bias=bias),
                      norm_layer(norm, c[i - 1])]
            if 1 <= k <= dropout_layers and dropout > 0:
                layers.append(nn.Dropout(dropout))
            self.ups.append(nn.Sequential(*layers))
        c_in = c[0] if depth == 1 else 2 * c[0]
        self.ups.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(c_in, out_channels, 4, 2, 1), nn.Tanh()))
        gaussian_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"This U-Net was built for images of shape (N, {', '.join(map(str, expected))}); "
                f"got {tuple(x.shape)}. Resize the images or build the generator with "
                f"image_size={x.shape[-1] if x.ndim == 4 else '...'}."
            )
        skips = []
        h = x
        for down in self.downs:
            h = down(h)
            skips.append(h)
        h = self.ups[0](skips[-1])
        for up, skip in zip(self.ups[1:], reversed(skips[:-1])):  # layer n - i meets layer i
            h = up(torch.cat([skip, h], dim=1))
        return h
