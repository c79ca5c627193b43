"""The PatchGAN discriminator of pix2pix (chapter 05), and the receptive field that names it.

Instead of one verdict per image, the network answers "real or fake?" for every N x N patch:
a fully convolutional stack whose output is a map of logits, one per patch. N is the receptive
field of one output unit: 70 with the paper's three stride-2 layers.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from .init import gaussian_init_
from .unet import norm_layer


def receptive_field(model: nn.Module) -> int:
    """Side of the input square that one output unit of ``model`` sees.

    Walks the convolutions (and pooling layers) in the order they were registered, which is the
    order they run in a plain stack: r = 1, then, from the last layer back, r = (r - 1) * s + k.
    """
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d))]
    if not layers:
        raise ValueError(f"{type(model).__name__} has no convolution or pooling layers.")
    r = 1
    for m in reversed(layers):
        k, s, d = m.kernel_size, m.stride, getattr(m, "dilation", 1)
        k, s, d = (v[0] if isinstance(v, tuple) else v for v in (k, s, d))
        r = (r - 1) * s + d * (k - 1) + 1
    return r


def patchgan_receptive_field(n_layers: int) -> int:
    """The closed form for ``PatchDiscriminator(n_layers=n)``: 9 * 2**n - 2 (70 at n = 3)."""
    return 9 * 2**n_layers - 2


class PatchDiscriminator(nn.Module):
    """D(condition, image): a map of logits (N, 1, h, w), one per overlapping patch.

    (Called as D(image), it judges one image with no condition: CycleGAN, chapter 06.)

    ``condition`` (the generator's input) and ``image`` (a real target or a generated one)
    are joined along the channels, so D judges the pair, not the image alone. Layers: ``n_layers``
    4x4 convolutions with stride 2 (``ndf``, 2 ndf, 4 ndf, capped at 8 ndf), one with stride 1,
    then a 4x4 convolution to one channel. Normalisation on all but the first and the last,
    LeakyReLU 0.2. With n_layers = 3 each logit sees a 70x70 patch. For n_layers >= 1 this is
    layer for layer the ``NLayerDiscriminator`` of the authors' code
    (junyanz/pytorch-CycleGAN-and-pix2pix); with n_layers = 0 theirs keeps a stride-2 layer.
    """

    def __init__(self, in_channels: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        if n_layers < 0:
            raise ValueError(f"n_layers must be 0 or more, not {n_layers}.")
        self.in_channels, self.n_layers = in_channels, n_layers
        bias = norm == "instance"
        layers: list[nn.Module] = []
        previous = in_channels
        for i in range(n_layers + 1):  # n_layers with stride 2, then one with stride 1
            c = ndf * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers.append(nn.Conv2d(previous, c, 4, stride, 1, bias=bias or i == 0))
            if i > 0:
                layers.append(norm_layer(norm, c))
            layers.append(nn.LeakyReLU(0.2))
            previous = c
        layers.append(nn.Conv2d(previous, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        gaussian_init_(self)

    @property
    def receptive_field(self) -> int:
        """Side of the square patch each output logit judges (computed from the layers)."""
        return receptive_field(self.net)

    def forward(self, condition: Tensor, image: Optional[Tensor] = None) -> Tensor:
        """Logits for the pair (condition, image); called with one image, D judges that image
        alone, as CycleGAN's unconditional discriminators do (chapter 06)."""
        if image is None:
            if condition.shape[1] != self.in_channels:
                raise ValueError(f"PatchDiscriminator was built for {self.in_channels} channels but got an image with {condition.shape[1]}.")
            return self.net(condition)
        if condition.shape[0] != image.shape[0] or condition.shape[-2:] != image.shape[-2:]:
            raise ValueError(f"condition {tuple(condition.shape)} and image {tuple(image.shape)} must have the same batch size and height/width.")
        pair = torch.cat([condition, image], dim=1)
        if pair.shape[1] != self.in_channels:
            raise ValueError(
                f"PatchDiscriminator was built for {self.in_channels} channels (condition + image) but got "
                f"{condition.shape[1]} + {image.shape[1]} = {pair.shape[1]}."
            )
        return self.net(pair)
