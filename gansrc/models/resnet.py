"""The CycleGAN generator (chapter 06): downsample, residual blocks, upsample.

Johnson et al. (2016) built it for fast style transfer and Zhu et al. (2017) reused it for
CycleGAN: a 7x7 convolution, two stride-2 convolutions that halve the image twice, ``n_blocks``
residual blocks (6 for 128x128 images, 9 for 256x256 in the paper), two transposed
convolutions back up and a 7x7 convolution to the output, with reflection padding and
instance normalisation throughout. Each residual block adds its input to its output, so a
block that has nothing to change can pass the image through: translation keeps the shapes.
Layer for layer the ``ResnetGenerator`` of the authors' code (junyanz/pytorch-CycleGAN-and-pix2pix,
without its optional dropout), whose instance norm has no learnt scale or shift: 11,378,179
parameters with 9 blocks.
"""
from __future__ import annotations

from torch import Tensor, nn

from .init import gaussian_init_
from .unet import norm_layer


class ResidualBlock(nn.Module):
    """x + [reflect-pad, conv 3x3, norm, ReLU, reflect-pad, conv 3x3, norm](x)."""

    def __init__(self, channels: int, norm: str = "instance") -> None:
        super().__init__()
        bias = norm == "instance"
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias), norm_layer(norm, channels), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias), norm_layer(norm, channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Image (N, in_channels, H, W) in [-1, 1] to image (N, out_channels, H, W) in [-1, 1].

    c7s1-ngf, then ``n_downsampling`` stride-2 3x3 convolutions doubling the channels, ``n_blocks``
    residual blocks, the mirror image of the downsampling with transposed convolutions, and
    c7s1-out_channels with tanh (the paper's notation). H and W must be divisible by
    ``2**n_downsampling`` (4 by default), so 32x32 digits work as well as 256x256 photos.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        n_blocks: int = 9,
        n_downsampling: int = 2,
        norm: str = "instance",
    ) -> None:
        super().__init__()
        if n_blocks < 0 or n_downsampling < 0:
            raise ValueError(f"n_blocks and n_downsampling must be 0 or more, not {n_blocks} and {n_downsampling}.")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.n_blocks, self.n_downsampling = n_blocks, n_downsampling
        bias = norm == "instance"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7, bias=bias), norm_layer(norm, ngf), nn.ReLU(),
        ]
        c = ngf
        for _ in range(n_downsampling):
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=bias), norm_layer(norm, 2 * c), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c, norm) for _ in range(n_blocks)]
        for _ in range(n_downsampling):
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                       norm_layer(norm, c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        gaussian_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        factor = 2**self.n_downsampling
        if x.ndim != 4 or x.shape[1] != self.in_channels or x.shape[-1] % factor or x.shape[-2] % factor:
            raise ValueError(
                f"ResnetGenerator expects (N, {self.in_channels}, H, W) with H and W divisible by {factor}; got {tuple(x.shape)}."
            )
        return self.net(x)
