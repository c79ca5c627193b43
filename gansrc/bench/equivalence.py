"""Run the tutorial loop and ``GANTrainer`` on the same batches, noise and dropout draws.

``SameOrderSampler`` feeds the tutorial loop ``TensorBatches``' order, its noise comes from a
generator seeded like the trainer's, and both start from the same global seed, so dropout
masks match too. What is left is float32 round-off (see ``tests/test_bench.py``).
"""
from __future__ import annotations

import copy
from typing import Optional

import torch
from torch import Tensor, nn

from ..data.batches import TensorBatches
from ..train.trainer import GANTrainer
from .plain import PILImages, SameOrderSampler, TutorialGAN, tutorial_loader


def paired_losses(generator: nn.Module, discriminator: nn.Module, images: Tensor, labels: Optional[Tensor] = None, *,
                  latent_dim: int, batch_size: int, steps: int, seed: int = 0,
                  num_classes: Optional[int] = None) -> tuple[Tensor, Tensor, GANTrainer]:
    """(tutorial losses, trainer losses, the trainer): (steps, 2) tensors of (D loss, G loss).

    The networks are copied, so both loops start from the same weights; ``generator`` and
    ``discriminator`` end up trained by the tutorial loop.
    """
    g2, d2 = copy.deepcopy(generator), copy.deepcopy(discriminator)
    torch.manual_seed(seed)
    loader = tutorial_loader(PILImages(images, labels), batch_size, sampler=SameOrderSampler(len(images), batch_size, seed))
    plain = TutorialGAN(generator, discriminator, loader, latent_dim=latent_dim, num_classes=num_classes,
                        noise_generator=torch.Generator().manual_seed(seed))
    plain.run(steps)
    torch.manual_seed(seed)
    trainer = GANTrainer(g2, d2, TensorBatches(images, labels, batch_size=batch_size, seed=seed), latent_dim=latent_dim,
                         num_classes=num_classes, seed=seed, log_every=1, diagnostics=False)
    history = trainer.fit(steps, show_progress=False)
    ours = torch.tensor([history["loss_d"], history["loss_g"]], dtype=torch.float64).T
    return torch.tensor(plain.losses, dtype=torch.float64), ours, trainer
