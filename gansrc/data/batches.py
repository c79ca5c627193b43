"""Mini-batches drawn from tensors that live on the device.

Small data sets (MNIST is 47 MB as uint8) fit in memory, so the trainer indexes one tensor
instead of running a DataLoader with per-image transforms (chapter 02 says why this is
faster). The order is a seeded permutation per epoch, so a resumed run sees exactly the
batches the uninterrupted run would have seen.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import torch


def to_signed_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] to float in [-1, 1] (the range of a tanh generator)."""
    if images.dtype == torch.uint8:
        return images.float().div_(127.5).sub_(1.0)
    return images.float()


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float images in [-1, 1] back to uint8 in [0, 255] (clamped)."""
    return ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def to_hwc(images: torch.Tensor) -> np.ndarray:
    """PyTorch's channels-first images as the channels-last NumPy array that matplotlib's
    ``imshow``, PIL and scikit-image take: (C, H, W) -> (H, W, C), a batch (N, C, H, W) ->
    (N, H, W, C). One grey channel is dropped, (H, W) or (N, H, W), as ``imshow`` wants it
    (it refuses (H, W, 1)). Values and dtype are kept; the result is on the CPU, detached."""
    if images.ndim not in (3, 4):
        raise ValueError(f"expected (C, H, W) or (N, C, H, W) images, got shape {tuple(images.shape)}")
    array = images.detach().cpu().movedim(-3, -1)
    return (array[..., 0] if array.shape[-1] == 1 else array).numpy()


def check_image_values(images: torch.Tensor, what: str = "images") -> None:
    """Refuse images a GAN cannot learn from as they are: anything but uint8 in [0, 255] or floats
    in [-1, 1] (the range of a tanh generator), and NaN or infinite pixels."""
    if images.dtype == torch.uint8:
        return
    if not images.dtype.is_floating_point:
        raise ValueError(f"{what} are {images.dtype}; give uint8 in [0, 255] (e.g. images.clamp(0, 255).to(torch.uint8)) "
                         "or floats in [-1, 1].")
    if images.numel() == 0:
        return
    low, high = (float(v) for v in torch.aminmax(images.detach().float()))
    if not (torch.isfinite(torch.tensor([low, high])).all()) or bool(torch.isnan(images).any()):
        raise ValueError(f"{what} contain NaN or infinite values; fix the data before training.")
    if low < -1.0 - 1e-4 or high > 1.0 + 1e-4:
        raise ValueError(
            f"{what} are floats in [{low:.4g}, {high:.4g}], outside [-1, 1], the range of a tanh generator: a GAN "
            "trained on them learns nothing useful. Values in [0, 255]: pass them as uint8 "
            "(images.round().to(torch.uint8)) or scale them, images / 127.5 - 1; values in [0, 1]: images * 2 - 1."
        )


class TensorBatches:
    """Endless random batches of ``(images, labels)`` from in-memory tensors.

    ``images`` is uint8 (converted to [-1, 1] floats per batch) or float already in [-1, 1].
    ``augment`` (optional) is applied to each float batch on the device. Batches always have
    ``batch_size`` items (the last partial batch of an epoch is dropped), so shapes are static.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: Optional[torch.Tensor] = None,
        *,
        batch_size: int,
        device: torch.device | str = "cpu",
        seed: int = 0,
        channels_last: bool = False,
        augment: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
    ) -> None:
        if images.ndim != 4:
            raise ValueError(f"images must be a 4-D tensor (N, C, H, W); got shape {tuple(images.shape)}.")
        n = images.shape[0]
        if labels is not None and labels.shape[0] != n:
            raise ValueError(f"{n} images but {labels.shape[0]} labels.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, not {batch_size}.")
        if batch_size > n:
            raise ValueError(
                f"batch_size {batch_size} is larger than the data set ({n} images): "
                f"use a batch size of at most {n}, or more data."
            )
        check_image_values(images)
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = None if labels is None else labels.to(self.device)
        self.batch_size = batch_size
        self.seed = seed
        self.channels_last = channels_last
        self.augment = augment
        self.epoch = 0
        self.position = 0
        self._order: Optional[torch.Tensor] = None

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def steps_per_epoch(self) -> int:
        return len(self) // self.batch_size

    def _permutation(self) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(len(self), generator=g).to(self.device)

    def next(self) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The next batch: float images in [-1, 1] on the device, and labels (or None)."""
        return self._gather(self._indices(self.batch_size))

    def _indices(self, size: int) -> torch.Tensor:
        """The next ``size`` indices of this epoch's permutation (a new epoch when too few are left)."""
        if self.position + size > len(self):
            self.epoch += 1
            self.position = 0
            self._order = None
        if self._order is None:
            self._order = self._permutation()
        idx = self._order[self.position: self.position + size]
        self.position += size
        return idx

    def _gather(self, idx: torch.Tensor) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        x = to_signed_float(self.images[idx])
        if self.augment is not None:
            x = self.augment(x)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = None if self.labels is None else self.labels[idx]
        return x, y

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        # the seed is this object's own: a resume compares it with the checkpoint's (trainer settings)
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = None
