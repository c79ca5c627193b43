"""The data of the trained models: the bundled offline tasks, split into training and held-out parts.

Every task starts from the 10,000 bundled MNIST digits: digits 0-7,999 (the ones the book's
classifier was trained on) for training, digits 8,000-9,999 held out for scoring. The colour
task cuts patches from scikit-image's photographs (chapter 03); the paired and unpaired tasks
paint digits on photo crops (chapters 05 and 06, ``gansrc.data``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Optional

import torch
from torch import Tensor

from .. import losses as L
from ..data import (Deluxe, DiffAugment, ImageSet, PairedSet, TensorBatches, UnpairedBatches, UnpairedSet,
                    load_bundled_mnist, load_photo_patches, unpaired_digits)
from ..data.synthetic import digit_scenes, load_textures
from ..text import tr

TRAIN_DIGITS = 8000  # the first 8,000 bundled digits: the classifier's training set, and the generators'
TASKS = ("mnist", "mnist-200", "photo-patches", "digit-scenes", "unpaired-digits")
LOSSES = {"non-saturating": L.NON_SATURATING, "least-squares": L.LEAST_SQUARES, "minimax": L.MINIMAX, "focal": L.FOCAL}
AUGMENTATIONS = {"Deluxe": Deluxe, "DiffAugment": DiffAugment}


@dataclass
class Task:
    """A task's training batches and what its scores use: ``held_out`` digits (GANs on digits),
    ``test_pairs`` (pix2pix) or ``test_set`` (CycleGAN), all from images never trained on."""

    name: str
    batches: Any
    description: str
    held_out: Optional[Tensor] = None
    test_pairs: Optional[PairedSet] = None
    test_set: Optional[UnpairedSet] = None


@functools.lru_cache(maxsize=1)
def _bundled_split() -> tuple[ImageSet, ImageSet]:
    return load_bundled_mnist().split(TRAIN_DIGITS)


@functools.lru_cache(maxsize=2)
def _textures(short_side: int) -> list[Tensor]:
    return load_textures(short_side)


def digit_split(limit: Optional[int] = None) -> tuple[ImageSet, ImageSet]:
    """(digits 0-7,999, digits 8,000-9,999) of the bundled MNIST, each cut to ``limit`` if given
    (read once per process; the tensors are shared, so treat them as read-only)."""
    train, held = _bundled_split()
    if limit:
        train = ImageSet(train.images[:limit], train.labels[:limit], train.source)
        held = ImageSet(held.images[:limit], held.labels[:limit], held.source)
    return train, held


def unpaired_description(options: Optional[dict] = None) -> str:
    """The unpaired-digits task's ``description`` as ``build_task`` words it, from the recipe's
    ``task_options`` alone (nothing is painted), in the language of ``tr``: the records keep it in
    English, a page shows it in its own."""
    options = dict(options or {})
    limit = options.pop("limit", None)
    train, held = digit_split(limit)
    n_train, n_test = (min(options.get(k, 10**9), limit or 10**9, len(digits) // 2)
                       for k, digits in (("n_train", train), ("n_test", held)))
    size = options.get("size", 32)
    return tr("unpaired_task", train=tr("unpaired_digits", n_a=n_train, n_b=n_train, size=size, seed=0),
              test=tr("unpaired_digits", n_a=n_test, n_b=n_test, size=size, seed=1))


def build_task(task: str, *, batch_size: int, device: torch.device, seed: int, conditional: bool = False,
               batch_augment: Optional[str] = None, options: Optional[dict] = None) -> Task:
    """The batches and held-out data of ``task`` (one of ``TASKS``) with the recipe's ``options``
    (``limit`` cuts every set to that many images, for the tests)."""
    options = dict(options or {})
    limit = options.pop("limit", None)
    augment = AUGMENTATIONS[batch_augment]() if batch_augment else None
    train, held = digit_split(limit)
    if task in ("mnist", "mnist-200"):
        images, labels = train.images, train.labels
        if task == "mnist-200":
            images, labels = images[:200], labels[:200]
        batches = TensorBatches(images, labels if conditional else None, batch_size=batch_size, device=device,
                                seed=seed, augment=augment)
        return Task(task, batches, f"{len(images):,} bundled MNIST digits (0-{len(images) - 1}); scored against "
                    f"{len(held):,} held-out digits ({TRAIN_DIGITS:,}-)", held_out=held.images)
    if task == "photo-patches":
        n = min(options.get("n", 2048), limit or 10**9)
        patches = load_photo_patches(options.get("size", 64), n=n, seed=0)
        batches = TensorBatches(patches.images, batch_size=batch_size, device=device, seed=seed, augment=augment)
        return Task(task, batches, patches.source)
    size = options.get("size", 32)
    textures = _textures(3 * size)
    n_train, n_test = (min(options.get(k, 10**9), limit or 10**9) for k in ("n_train", "n_test"))
    if task == "digit-scenes":
        train_pairs = digit_scenes(n_train, train.images, size=size, textures=textures, seed=0)
        test_pairs = digit_scenes(n_test, held.images, size=size, textures=textures, seed=1)
        batches = TensorBatches(train_pairs.stacked(), batch_size=batch_size, device=device, seed=seed)
        return Task(task, batches, f"{train_pairs.source} from digits 0-{len(train) - 1}; scored on "
                    f"{test_pairs.source} from the held-out digits", test_pairs=test_pairs)
    if task == "unpaired-digits":
        n_train, n_test = min(n_train, len(train) // 2), min(n_test, len(held) // 2)
        train_set = unpaired_digits(train.images, train.labels, n_train, n_train, size=size, textures=textures, seed=0)
        test_set = unpaired_digits(held.images, held.labels, n_test, n_test, size=size, textures=textures, seed=1)
        batches = UnpairedBatches(train_set, batch_size=batch_size, device=device, seed=seed)
        return Task(task, batches, tr("unpaired_task", train=train_set.source, test=test_set.source),
                    test_set=test_set)
    raise ValueError(f"unknown task {task!r}; the tasks are {', '.join(TASKS)}.")
