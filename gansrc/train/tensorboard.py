"""A trainer callback that writes the run to TensorBoard: the logged scalars and sample grids.

``torch.utils.tensorboard.SummaryWriter`` writes event files under ``log_dir``; open them
with ``tensorboard --logdir runs`` (or ``%tensorboard --logdir runs`` in Colab).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from ..data.batches import to_uint8
from .settings import non_negative_int, positive_int


class TensorBoardLogger:
    """Writes every averaged metric the trainer logs, and every ``image_every`` steps a grid
    of the generator's samples of its fixed noise (``0``: no images).

    Pass it in ``callbacks=[...]``. It runs when the trainer logs (every ``log_every`` steps),
    so ``image_every`` should be a multiple of ``log_every``. Scalars are tagged
    ``{prefix}{name}`` (``train/loss_d``, ``train/loss_g``...), images ``samples``. Sampling
    uses the trainer's fixed noise in eval mode and draws no random numbers, so logging never
    changes the run. After a resume, events at or past the first step written again are
    replaced (``purge_step``), so the curves show the run once.
    """

    def __init__(self, log_dir: Path | str, image_every: int = 0, n_images: int = 64, nrow: int = 8,
                 prefix: str = "train/") -> None:
        non_negative_int("image_every", image_every, "It is the number of steps between two sample grids (0: none).")
        positive_int("n_images", n_images, "It is how many samples each grid holds.")
        self.log_dir = Path(log_dir)
        self.image_every = image_every
        self.n_images, self.nrow, self.prefix = n_images, nrow, prefix
        self.writer = None

    def __call__(self, trainer, logs: dict) -> None:
        if self.writer is None:
            from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package

            self.writer = SummaryWriter(str(self.log_dir), purge_step=trainer.step)
        for name, value in logs.items():
            self.writer.add_scalar(f"{self.prefix}{name}", value, trainer.step)
        if self.image_every and trainer.step % self.image_every == 0 and hasattr(trainer, "fixed_z"):
            self.writer.add_image("samples", self.sample_grid(trainer), trainer.step)
        self.writer.flush()

    def sample_grid(self, trainer) -> torch.Tensor:
        """The generator's images of its first ``n_images`` fixed noise vectors, as one (3, H, W) uint8 grid."""
        from torchvision.utils import make_grid

        labels: Optional[torch.Tensor] = None if trainer.fixed_y is None else trainer.fixed_y[:self.n_images]
        images = trainer.sample(z=trainer.fixed_z[:self.n_images], labels=labels)
        return make_grid(to_uint8(images).cpu(), nrow=self.nrow, padding=2, pad_value=255)

    def close(self) -> None:
        """Flush and close the event file (a later call opens a new one)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
