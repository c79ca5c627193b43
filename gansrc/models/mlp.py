"""The fully connected GAN of chapter 02: images flattened to vectors, two small MLPs."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class MLPGenerator(nn.Module):
    """Maps a latent vector z (N, latent_dim) to an image (N, C, H, W) in [-1, 1].

    Hidden layers are Linear + BatchNorm + LeakyReLU(0.2); the output layer is Linear + tanh,
    so the images share the [-1, 1] range of the training data. Batch normalisation makes this
    small generator learn much faster (chapter 02, exercise 4, compares).
    """

    def __init__(self, latent_dim: int = 100, image_shape: Sequence[int] = (1, 28, 28), hidden: Sequence[int] = (256, 512, 1024), batchnorm: bool = True) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h, bias=not batchnorm)]
            layers += [nn.BatchNorm1d(h)] if batchnorm else []
            layers += [nn.LeakyReLU(0.2)]
            width = h
        layers += [nn.Linear(width, int(torch.tensor(self.image_shape).prod())), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z).view(z.shape[0], *self.image_shape)


def discriminator_body(image_shape: Sequence[int], hidden: Sequence[int], dropout: float) -> tuple[list[nn.Module], int]:
    """Flatten, then Linear + LeakyReLU(0.2) (+ dropout) per hidden width: the layers of a fully
    connected discriminator before its output, and the width they end with."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = int(torch.tensor(tuple(image_shape)).prod())
    for h in hidden:
        layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    return layers, width


class MLPDiscriminator(nn.Module):
    """Maps an image (N, C, H, W) to one logit per image (N,): large means "real".

    It returns logits, not probabilities: the losses apply the sigmoid inside a numerically
    stable log (see ``gansrc.losses``).
    """

    def __init__(self, image_shape: Sequence[int] = (1, 28, 28), hidden: Sequence[int] = (512, 256), dropout: float = 0.3) -> None:
        super().__init__()
        self.image_shape = tuple(image_shape)
        layers, width = discriminator_body(self.image_shape, hidden, dropout)
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, self.image_shape))}), got {tuple(x.shape)}")
        return self.net(x).squeeze(1)
