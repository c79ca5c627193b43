"""A run's settings: checked when a trainer is built, stored in every checkpoint, compared on resume.

A checkpoint continues one run. Some settings can change between two sessions of that run and
the run is still itself: the learning rate (lowered after a ``NonFiniteLossError``), Adam's
betas, how often it logs, samples or saves. Those take the new value, and the resume says so.
Everything else (the seed, the batch size, the data set's size, d_steps, the loss, the
lambdas...) defines the run: a checkpoint written with another value is refused with the
setting's name, both values and the two ways out: a new ``checkpoint_dir``, or
``override=["name"]`` to continue this run with the new value on purpose.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterable

from .checkpoint import CheckpointMismatchError

# settings that may differ from the checkpoint's: the new value is used from the resumed step on
MAY_CHANGE = frozenset({"lr", "betas", "log_every", "checkpoint_every", "keep_last", "keep_done", "sample_every",
                        "n_samples", "fused_adam", "amp", "device"})


class SettingsMismatchError(CheckpointMismatchError):
    """A checkpoint of a run whose defining settings differ from this trainer's."""


def positive_int(name: str, value: Any, hint: str = "") -> int:
    """``value`` as an int >= 1, or a ValueError that names the setting (``hint`` says what it does)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}." + (f" {hint}" if hint else ""))
    return int(value)


def non_negative_int(name: str, value: Any, hint: str = "") -> int:
    """``value`` as an int >= 0 (0 usually switches something off), or a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() or value < 0:
        raise ValueError(f"{name} must be a whole number of at least 0, not {value!r}." + (f" {hint}" if hint else ""))
    return int(value)


def check_optimizer(lr: Any, betas: Any) -> None:
    """A learning rate that is a positive finite number and Adam betas in [0, 1)."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, not {lr!r} (the book's GANs use 2e-4).")
    if (not isinstance(betas, (tuple, list)) or len(betas) != 2
            or not all(isinstance(b, (int, float)) and 0.0 <= b < 1.0 for b in betas)):
        raise ValueError(f"betas must be two numbers in [0, 1), not {betas!r} (DCGAN's are (0.5, 0.999)).")


def check_batch_size(models: dict, batch_size: Any) -> None:
    """Refuse a batch of one image for a model with ``BatchNorm1d``: it normalises each feature over
    the batch, and one value has no spread (PyTorch fails deep inside the first step)."""
    if batch_size != 1:
        return
    import torch.nn as nn

    for model_name, model in models.items():
        for layer_name, layer in model.named_modules():
            if isinstance(layer, nn.BatchNorm1d):
                raise ValueError(
                    f"batch_size=1 cannot train the {model_name}: its BatchNorm1d layer {layer_name} normalises each "
                    "feature over the batch, and a batch of one has nothing to normalise over. Use a batch size of "
                    "at least 2, or a model without batch norm (e.g. MLPGenerator(..., batchnorm=False))."
                )


def describe(value: Any) -> Any:
    """A setting as plain data (numbers, strings, lists), comparable and safe to store in a checkpoint."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [describe(v) for v in value]
    if hasattr(value, "name") and isinstance(value.name, str):  # an AdversarialLoss
        return value.name
    if dataclasses.is_dataclass(value):  # DiffAugment(...), Deluxe(...): their fields are their settings
        return repr(value)
    return getattr(value, "__qualname__", type(value).__name__)


def compare(saved: dict, current: dict, source: str, override: Iterable[str] = ()) -> list[str]:
    """Changes of settings between a checkpoint (``saved``) and this trainer (``current``).

    Raises ``SettingsMismatchError`` for the first setting that defines the run and differs
    (unless named in ``override``); returns one line per setting that changed and is allowed to.
    """
    override = set(override)
    changed = []
    for name in sorted(set(saved) & set(current)):
        old, new = saved[name], current[name]
        if old == new:
            continue
        if name not in MAY_CHANGE and name not in override:
            raise SettingsMismatchError(
                f"{source} belongs to a run with {name}={old!r}; this trainer has {name}={new!r}. "
                f"A different {name} is a different run, so it is not resumed. Use a new checkpoint_dir to start "
                f"that run, or pass override=[{name!r}] to continue this one with {name}={new!r}."
            )
        changed.append(f"{name} {old!r} -> {new!r}")
    return changed
