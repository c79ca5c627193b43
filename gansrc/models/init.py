"""Weight initialisation shared by the convolutional models (DCGAN, pix2pix)."""
from __future__ import annotations

from torch import nn

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d)


def dcgan_init(module: nn.Module, std: float = 0.02) -> None:
    """Initialise one layer, for ``model.apply(dcgan_init)``: convolution and linear weights from
    N(0, std), normalisation scales from N(1, std), every bias zero (chapter 03)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, _NORMS) and module.weight is not None:
        nn.init.normal_(module.weight, 1.0, std)
        nn.init.zeros_(module.bias)


def gaussian_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """Apply :func:`dcgan_init` to every layer of ``module`` and return it.

    The DCGAN and pix2pix papers both start from this (std 0.02).
    """
    for m in module.modules():
        dcgan_init(m, std)
    return module
