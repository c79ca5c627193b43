"""Class-conditional GANs (chapter 04): a generator and discriminators that are told the digit.

Mirza & Osindero (2014) condition both networks by feeding the label ``y`` in as an extra
input. Here the label is a learned embedding: joined to the noise for the generator, and joined
to the image as one extra channel for the discriminator. ``ProjectionDiscriminator`` is the
variant of Miyato & Koyama (2018): the label enters only at the end, as an inner product with
the image's features. All three are the small fully connected networks of chapter 02, so the
chapter can compare conditional and unconditional training on the same footing.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from .mlp import MLPDiscriminator, MLPGenerator, discriminator_body


def _check_labels(y: Tensor, n: int, num_classes: int) -> None:
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"expected one integer label per image, shape ({n},); got {tuple(y.shape)}")
    if y.dtype not in (torch.int64, torch.int32, torch.uint8, torch.int16):
        raise ValueError(f"labels must be integers (class indices), not {y.dtype}")
    if n and y.device.type == "cpu" and (int(y.min()) < 0 or int(y.max()) >= num_classes):  # no GPU sync
        raise ValueError(f"labels must lie in 0..{num_classes - 1}; got values from {int(y.min())} to {int(y.max())}")


class ConditionalGenerator(nn.Module):
    """G(z, y): noise (N, latent_dim) and labels (N,) to images (N, C, H, W) in [-1, 1].

    The label is embedded into ``embed_dim`` numbers that are concatenated to z; the joint
    vector goes through chapter 02's ``MLPGenerator``.
    """

    def __init__(self, latent_dim: int = 100, num_classes: int = 10, embed_dim: int = 50, image_shape: Sequence[int] = (1, 28, 28), hidden: Sequence[int] = (256, 512, 1024)) -> None:
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.net = MLPGenerator(latent_dim + embed_dim, image_shape, hidden)
        self.image_shape = self.net.image_shape

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        _check_labels(y, z.shape[0], self.num_classes)
        return self.net(torch.cat([z, self.embed(y.long())], dim=1))


class ConditionalDiscriminator(nn.Module):
    """D(x, y): images and labels to one logit per image.

    The label is embedded as an H x W map and joined to the image as an extra channel, so
    the first layer sees pixels and label together (Mirza & Osindero's "joint" input).
    """

    def __init__(self, num_classes: int = 10, image_shape: Sequence[int] = (1, 28, 28), hidden: Sequence[int] = (512, 256), dropout: float = 0.3) -> None:
        super().__init__()
        c, h, w = image_shape
        self.num_classes, self.image_shape = num_classes, tuple(image_shape)
        self.embed = nn.Embedding(num_classes, h * w)
        self.net = MLPDiscriminator((c + 1, h, w), hidden, dropout)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        if tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, self.image_shape))}), got {tuple(x.shape)}")
        _check_labels(y, x.shape[0], self.num_classes)
        label_map = self.embed(y.long()).view(x.shape[0], 1, *self.image_shape[1:])
        return self.net(torch.cat([x, label_map.to(x.dtype)], dim=1))


class ProjectionDiscriminator(nn.Module):
    r"""D(x, y) = psi(phi(x)) + embed(y) . phi(x)  (Miyato & Koyama, 2018).

    ``phi`` is an MLP feature extractor, ``psi`` a linear "is it real" head; the label picks a
    direction in feature space and the inner product asks whether the image's features point
    that way. The label never touches the pixels.
    """

    def __init__(self, num_classes: int = 10, image_shape: Sequence[int] = (1, 28, 28), hidden: Sequence[int] = (512, 256), dropout: float = 0.3) -> None:
        super().__init__()
        self.num_classes, self.image_shape = num_classes, tuple(image_shape)
        layers, width = discriminator_body(self.image_shape, hidden, dropout)
        self.phi = nn.Sequential(*layers)
        self.psi = nn.Linear(width, 1)
        self.embed = nn.Embedding(num_classes, width)
        nn.init.normal_(self.embed.weight, std=width ** -0.5)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        if tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, self.image_shape))}), got {tuple(x.shape)}")
        _check_labels(y, x.shape[0], self.num_classes)
        features = self.phi(x)
        return self.psi(features).squeeze(1) + (self.embed(y.long()) * features).sum(dim=1)
