"""The DCGAN generator and discriminator of Radford et al. (2016), built from an image size.

Chapter 03 explains every line. Two shapes come from the book's sources and one rule extends
them:

* ``image_size=28`` is the Keras-tutorial shape: a dense projection of z to 7x7x(4w), then
  5x5 transposed convolutions with strides 1, 2, 2 (7 -> 7 -> 14 -> 28); the discriminator
  mirrors it with two 5x5 stride-2 convolutions, dropout and one output unit.
* ``image_size`` 32, 64 or 128 is the PyTorch-tutorial shape: z is treated as a 1x1 image and
  4x4 transposed convolutions (stride 2, padding 1) double the size from 4x4 until the image
  is reached, halving the channels each time so the last hidden layer has ``width`` channels
  (at 64 pixels: 8w, 4w, 2w, w, i.e. ngf = 64 gives 512, 256, 128, 64). The discriminator
  runs the same ladder upwards and ends with a 4x4 convolution to one logit.

Both follow the DCGAN guidelines: no pooling (strided convolutions resample), no fully
connected hidden layers, batch normalisation except at the generator's output and the
discriminator's input, ReLU and tanh in G, LeakyReLU(0.2) in D, weights from N(0, 0.02).
The discriminator returns logits; ``gansrc.losses`` applies the sigmoid. (Chapter 03 prints
some lines of this file with their numbers: moving them changes its stored outputs.)
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from .init import dcgan_init

SIZES = (28, 32, 64, 128)


def _check_size(image_size: int, channels: int, width: int) -> None:
    if image_size not in SIZES:
        raise ValueError(f"image_size must be one of {SIZES}, not {image_size}.")
    if channels < 1 or width < 1:
        raise ValueError(f"channels and width must be positive (got channels={channels}, width={width}).")


def _doublings(image_size: int) -> int:
    """How many stride-2 layers take 4x4 to ``image_size`` (3 for 32, 4 for 64, 5 for 128)."""
    return int(math.log2(image_size // 4))


class DCGANGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, channels, image_size, image_size) in [-1, 1].

    ``width`` is the number of channels of the last hidden layer (ngf in the PyTorch tutorial,
    64 in both sources); smoke mode uses a narrower network of the same shape.
    """

    def __init__(self, image_size: int = 64, channels: int = 3, latent_dim: int = 100,
                 width: int = 64) -> None:
        super().__init__()
        _check_size(image_size, channels, width)
        self.image_size, self.channels = image_size, channels
        self.latent_dim, self.width = latent_dim, width
        if image_size == 28:
            layers = [
                nn.Linear(latent_dim, 7 * 7 * 4 * width, bias=False),  # project z ...
                nn.BatchNorm1d(7 * 7 * 4 * width), nn.ReLU(),
                nn.Unflatten(1, (4 * width, 7, 7)),                    # ... to 7x7
                nn.ConvTranspose2d(4 * width, 2 * width, 5, stride=1, padding=2,
                                   bias=False),                        # 7x7
                nn.BatchNorm2d(2 * width), nn.ReLU(),
                nn.ConvTranspose2d(2 * width, width, 5, stride=2, padding=2,
                                   output_padding=1, bias=False),      # 14x14
                nn.BatchNorm2d(width), nn.ReLU(),
                nn.ConvTranspose2d(width, channels, 5, stride=2, padding=2,
                                   output_padding=1),                  # 28x28
                nn.Tanh(),
            ]
        else:
            n = _doublings(image_size)
            ch = [width * 2 ** (n - 1 - i) for i in range(n)]  # 8w, 4w, 2w, w at 64 px
            layers = [nn.Unflatten(1, (latent_dim, 1, 1)),     # z as a 1x1 image
                      nn.ConvTranspose2d(latent_dim, ch[0], 4, stride=1, padding=0,
                                         bias=False),          # 4x4
                      nn.BatchNorm2d(ch[0]), nn.ReLU()]
            for c_in, c_out in zip(ch, ch[1:]):
                layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1,
                                              bias=False),     # x2
                           nn.BatchNorm2d(c_out), nn.ReLU()]
            layers += [nn.ConvTranspose2d(ch[-1], channels, 4, stride=2, padding=1,
                                          bias=False),         # the image
                       nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """Images (N, channels, image_size, image_size) -> one logit per image (N,).

    ``width`` is the number of channels of the first layer (ndf). ``dropout`` applies to the
    28-pixel shape only (0.3 before the output unit, as in the Keras tutorial).
    """

    def __init__(self, image_size: int = 64, channels: int = 3, width: int = 64,
                 dropout: float = 0.3) -> None:
        super().__init__()
        _check_size(image_size, channels, width)
        self.image_size, self.channels, self.width = image_size, channels, width
        if image_size == 28:
            layers = [
                nn.Conv2d(channels, width, 5, stride=2, padding=2),  # 14x14
                nn.LeakyReLU(0.2),
                nn.Conv2d(width, 2 * width, 5, stride=2, padding=2,
                          bias=False),                               # 7x7
                nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
                nn.Flatten(),
                nn.Dropout(dropout),
                nn.Linear(7 * 7 * 2 * width, 1),                     # the logit
            ]
        else:
            n = _doublings(image_size)
            ch = [width * 2 ** i for i in range(n)]  # e.g. w, 2w, 4w, 8w at 64 pixels
            layers = [nn.Conv2d(channels, ch[0], 4, stride=2, padding=1, bias=False),
                      nn.LeakyReLU(0.2)]                        # /2
            for c_in, c_out in zip(ch, ch[1:]):
                layers += [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                           nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]  # /2
            layers += [nn.Conv2d(ch[-1], 1, 4, stride=1, padding=0, bias=False),
                       nn.Flatten()]                            # 4x4 -> 1 logit
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, expected))}), got {tuple(x.shape)}")
        return self.net(x).squeeze(1)
