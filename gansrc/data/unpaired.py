"""Unpaired images for CycleGAN (chapter 06): two domains, no pairs.

The official CycleGAN data sets (horse2zebra, apple2orange, monet2photo...) are four folders,
``trainA``, ``trainB``, ``testA`` and ``testB``, whose two domains may hold different numbers of
images. ``load_unpaired_folder`` reads that layout and ``save_unpaired_folder`` writes it.
``unpaired_digits`` builds the book's offline task: coloured, textured digits (domain A, the
digit scenes of chapter 05) and plain MNIST digits (domain B), drawn from DISJOINT MNIST images
so that no image of one domain has a partner in the other. The labels are kept, for
evaluation only: CycleGAN never sees them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..text import tr
from .batches import TensorBatches, to_signed_float
from .folders import ImageFolderError, list_images, load_image
from .paired import fetch_dataset
from .synthetic import digit_scenes

CYCLEGAN_DATASETS = ("horse2zebra", "apple2orange", "monet2photo", "summer2winter_yosemite", "vangogh2photo",
                     "cezanne2photo", "ukiyoe2photo", "iphone2dslr_flower", "maps", "facades")
CYCLEGAN_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"


@dataclass
class UnpairedSet:
    """Images of domain A (N_a, C, H, W) and of domain B (N_b, C, H, W), uint8, N_a and N_b free.

    ``labels_a`` and ``labels_b`` (optional) are for evaluation only.
    """

    a: Tensor
    b: Tensor
    labels_a: Optional[Tensor] = None
    labels_b: Optional[Tensor] = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.a.ndim != 4 or self.b.ndim != 4:
            raise ValueError(f"a and b must be 4-D (N, C, H, W); got {tuple(self.a.shape)} and {tuple(self.b.shape)}.")
        for name, images, labels in (("a", self.a, self.labels_a), ("b", self.b, self.labels_b)):
            if labels is not None and len(labels) != len(images):
                raise ValueError(f"{len(images)} images in domain {name.upper()} but {len(labels)} labels.")

    def reversed(self) -> "UnpairedSet":
        """The same domains with A and B swapped."""
        return UnpairedSet(self.b, self.a, self.labels_b, self.labels_a, self.source + tr("reversed"))


class UnpairedBatches:
    """Two independent streams of batches, one per domain: ``next()`` gives (batch of A, batch of B).

    Each stream is a seeded ``TensorBatches`` (seeds ``seed`` and ``seed + 1``), so the two
    domains are shuffled independently and a resumed run sees the same batches.
    """

    def __init__(self, data: UnpairedSet, *, batch_size: int, device: torch.device | str = "cpu", seed: int = 0) -> None:
        self.a = TensorBatches(data.a, batch_size=batch_size, device=device, seed=seed)
        self.b = TensorBatches(data.b, batch_size=batch_size, device=device, seed=seed + 1)
        self.batch_size = batch_size
        self.images = self.a.images  # what Trainer subclasses inspect for shapes

    def __len__(self) -> int:
        return max(len(self.a), len(self.b))

    def next(self) -> tuple[Tensor, Tensor]:
        return self.a.next()[0], self.b.next()[0]

    def state_dict(self) -> dict:
        return {"a": self.a.state_dict(), "b": self.b.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.a.load_state_dict(state["a"])
        self.b.load_state_dict(state["b"])


def _load_domain(folder: Path, size: Optional[int], channels: int) -> Tensor:
    paths = list_images(folder)  # missing or empty folders raise ImageFolderError here
    arrays = [load_image(p, size, channels) for p in paths]  # corrupt files raise it here
    first = arrays[0].shape
    for path, array in zip(paths, arrays):
        if array.shape != first:
            raise ImageFolderError(
                f"{path} is {array.shape[1]}x{array.shape[0]} pixels but {paths[0]} is {first[1]}x{first[0]}; "
                "pass size= to resize them all."
            )
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def load_unpaired_folder(root: Path, split: str = "train", size: Optional[int] = None, channels: int = 3) -> UnpairedSet:
    """Domains A and B from ``root/{split}A`` and ``root/{split}B`` (CycleGAN's layout), as uint8.

    ``size`` resizes the shorter side and crops the centre to size x size; without it all
    images of a domain must have one size. Missing, empty or unreadable folders and files
    raise ``ImageFolderError`` naming the path.
    """
    root = Path(root)
    if not root.is_dir():
        raise ImageFolderError(f"CycleGAN data folder {root} does not exist.")
    folders = [root / f"{split}A", root / f"{split}B"]
    missing = [f.name for f in folders if not f.is_dir()]
    if missing:
        found = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise ImageFolderError(
            f"{root} has no {' or '.join(missing)} folder (it has: {', '.join(found) or 'no folders'}). "
            "The CycleGAN layout is root/trainA, root/trainB, root/testA, root/testB."
        )
    a, b = (_load_domain(f, size, channels) for f in folders)
    return UnpairedSet(a, b, source=tr("unpaired_from", split=split, n_a=len(a), n_b=len(b), root=root))


def save_unpaired_folder(data: UnpairedSet, root: Path, split: str = "train") -> Path:
    """Write domain A to ``root/{split}A`` and B to ``root/{split}B``, one PNG per image
    (00000.png, 00001.png...). Files of that name left by an earlier, larger save are removed."""
    from PIL import Image

    root = Path(root)
    for images, folder in ((data.a, root / f"{split}A"), (data.b, root / f"{split}B")):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("[0-9][0-9][0-9][0-9][0-9].png"):
            if int(stale.stem) >= len(images):
                stale.unlink()
        for i, image in enumerate(images):
            array = image.permute(1, 2, 0).numpy()
            Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(folder / f"{i:05d}.png")
    return root


def cyclegan_folder(name: str, download: bool, fallback: Path, root: Optional[Path] = None) -> Path:
    """The folder of an official CycleGAN data set (downloaded once into ``runs/downloads``), or
    ``fallback`` when ``download`` is False or the download fails (one line says why)."""
    if name not in CYCLEGAN_DATASETS:
        raise ValueError(f"unknown CycleGAN data set {name!r}; choose one of {', '.join(CYCLEGAN_DATASETS)}.")
    return fetch_dataset(name, CYCLEGAN_URL.format(name=name), download, fallback, "trainA", root)


def plain_digits(digits: Tensor, size: int = 32) -> Tensor:
    """MNIST digits (N, 1, 28, 28) uint8 as domain B: resized to size x size, grey in 3 channels."""
    resized = F.interpolate(digits.float(), size=(size, size), mode="bilinear", align_corners=False)
    return resized.round().clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1).contiguous()


def to_mnist_format(images: Tensor) -> Tensor:
    """Images of either domain (uint8 or [-1, 1], 1 or 3 channels) as the book's classifier
    reads digits: grey (the mean of the channels), 28x28, floats in [-1, 1]."""
    x = to_signed_float(images).mean(1, keepdim=True)
    if x.shape[-2:] != (28, 28):
        x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False, antialias=True)
    return x.clamp(-1, 1)


def unpaired_digits(
    digits: Tensor,
    labels: Tensor,
    n_a: int,
    n_b: int,
    *,
    size: int = 32,
    textures: Optional[Sequence[Tensor]] = None,
    seed: int = 0,
) -> UnpairedSet:
    """The offline CycleGAN task: ``n_a`` coloured digits on photo crops (A) and ``n_b`` plain digits (B).

    A seeded permutation of ``digits`` gives its first ``n_a`` images to A and the next ``n_b``
    to B, so the two domains share no MNIST image and no pair exists. Each A image is the
    digit scaled to the full image side and painted in a random colour on a random photo crop
    (``digit_scenes``); each B image is the digit in grey on black. Labels are kept.
    """
    if n_a < 1 or n_b < 1 or n_a + n_b > len(digits):
        raise ValueError(f"need 1 <= n_a, n_b and n_a + n_b <= {len(digits)} digits; got n_a={n_a}, n_b={n_b}.")
    order = torch.randperm(len(digits), generator=torch.Generator().manual_seed(seed))
    idx_a, idx_b = order[:n_a], order[n_a: n_a + n_b]
    scenes = digit_scenes(n_a, digits[idx_a], size=size, digit_scale=(1.0, 1.0), textures=textures, seed=seed, in_order=True)
    return UnpairedSet(scenes.a, plain_digits(digits[idx_b], size), labels[idx_a].clone(), labels[idx_b].clone(),
                       tr("unpaired_digits", n_a=n_a, n_b=n_b, size=size, seed=seed))
