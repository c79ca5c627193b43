"""Weight initialisation shared by the convolutional models."""
from __future__ import annotations

from torch import nn


def gaussian_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """Initialise convolutions from N(0, std) and normalisation scales from N(1, std), biases at 0.

    The DCGAN and pix2pix papers both start from this (std 0.02). Returns ``module``.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module
