"""Paired images for image-to-image translation (chapter 05).

The pix2pix data sets (facades, cityscapes, maps, edges2shoes...) store each training pair as
ONE image: the input A on the left half, the target B on the right, in ``train/``, ``val/``
and ``test/`` folders. ``load_paired_folder`` reads that format with a direction switch
(A->B or B->A); ``save_paired_folder`` writes it, so the book's offline task can be stored and
read back exactly like a downloaded one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..downloads import DownloadError, download_errors, failure_reason, fetch, safe_extract
from ..runtime import runs_dir
from ..text import tr
from .decode import decode_image
from .folders import ImageFolderError, list_images

PIX2PIX_DATASETS = ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day")
PIX2PIX_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
DIRECTIONS = ("AtoB", "BtoA")


@dataclass
class PairedSet:
    """Inputs ``a`` (N, Ca, H, W) and targets ``b`` (N, Cb, H, W), uint8, pair i = (a[i], b[i])."""

    a: Tensor
    b: Tensor
    source: str = ""

    def __post_init__(self) -> None:
        if self.a.ndim != 4 or self.b.ndim != 4:
            raise ValueError(f"a and b must be 4-D (N, C, H, W); got {tuple(self.a.shape)} and {tuple(self.b.shape)}.")
        if self.a.shape[0] != self.b.shape[0] or self.a.shape[2:] != self.b.shape[2:]:
            raise ValueError(f"inputs {tuple(self.a.shape)} and targets {tuple(self.b.shape)} must have the same number of images and the same height and width.")

    def __len__(self) -> int:
        return self.a.shape[0]

    def stacked(self) -> Tensor:
        """Input and target joined along the channels (N, Ca + Cb, H, W): one tensor for
        ``TensorBatches``, so that a random crop or flip moves both halves of a pair together."""
        return torch.cat([self.a, self.b], dim=1)

    def reversed(self) -> "PairedSet":
        """The same pairs in the other direction (targets become inputs)."""
        return PairedSet(self.b, self.a, self.source + tr("reversed"))

    def subset(self, index) -> "PairedSet":
        return PairedSet(self.a[index], self.b[index], self.source)


def _to_rgb(image: Tensor) -> Tensor:
    return image.expand(3, -1, -1) if image.shape[0] == 1 else image


def save_paired_folder(pairs: PairedSet, folder: Path, prefix: str = "") -> Path:
    """Write each pair as one PNG, A on the left and B on the right (grey halves become RGB)."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(len(pairs)):
        a, b = pairs.a[i], pairs.b[i]
        if a.shape[1:] != b.shape[1:]:  # PairedSet checks this too; a loop over hand-made tensors may not
            raise ValueError(f"pair {i}: A is {a.shape[2]}x{a.shape[1]} but B is {b.shape[2]}x{b.shape[1]}; the halves must be the same size.")
        side_by_side = torch.cat([_to_rgb(a), _to_rgb(b)], dim=2).permute(1, 2, 0).contiguous().numpy()
        Image.fromarray(side_by_side).save(folder / f"{prefix}{i:05d}.png")
    return folder


def split_pair(array: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Cut an (H, W, C) A|B image into its left and right halves; odd widths are refused."""
    width = array.shape[1]
    if width % 2:
        raise ImageFolderError(
            f"{path} is {width} pixels wide, so its two halves (A on the left, B on the right) cannot be the "
            f"same size. A pix2pix pair is two equal images side by side: check how it was made."
        )
    return array[:, : width // 2], array[:, width // 2:]


def load_paired_folder(
    root: Path,
    split: str = "train",
    direction: str = "AtoB",
    size: Optional[int] = None,
    channels: tuple[int, int] = (3, 3),
) -> PairedSet:
    """Pairs from ``root/split/*.png|jpg`` in the pix2pix A|B format, as uint8 tensors.

    ``direction`` "AtoB" returns (inputs A, targets B); "BtoA" swaps them. ``size`` resizes each
    half to size x size (bicubic); without it every image must have the same size.
    ``channels`` gives the channels of A and of B (1 for masks and edge maps, 3 for photos).
    """
    from PIL import Image

    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'AtoB' or 'BtoA', not {direction!r}.")
    folder = Path(root) / split
    if not folder.exists() and Path(root).exists():
        found = sorted(p.name for p in Path(root).iterdir() if p.is_dir())
        raise ImageFolderError(f"{root} has no {split!r} folder (it has: {', '.join(found) or 'no folders'}). The pix2pix format is root/train, root/val, root/test.")
    halves: list[list[np.ndarray]] = [[], []]
    first_shape = None
    for path in list_images(folder):
        array = np.asarray(decode_image(path, 3))  # the one decoding of every loader (decode.py)
        for side, (half, c) in enumerate(zip(split_pair(array, path), channels)):
            img = Image.fromarray(half)
            if size is not None and img.size != (size, size):
                img = img.resize((size, size), Image.BICUBIC)
            half = np.asarray(img.convert("L" if c == 1 else "RGB"))
            halves[side].append(half[:, :, None] if half.ndim == 2 else half)
        if first_shape is None:
            first_shape, first_path = halves[0][-1].shape[:2], path
        elif halves[0][-1].shape[:2] != first_shape:
            raise ImageFolderError(f"{path} has halves of {halves[0][-1].shape[1]}x{halves[0][-1].shape[0]} pixels but {first_path} of {first_shape[1]}x{first_shape[0]}; pass size= to resize them all.")
    a, b = (torch.from_numpy(np.stack(h)).permute(0, 3, 1, 2).contiguous() for h in halves)
    pairs = PairedSet(a, b, tr("pairs_from", n=len(a), split=split, root=root))
    return pairs if direction == "AtoB" else pairs.reversed()


def random_jitter(load_size: int, flip: bool = True) -> Callable[[Tensor], Tensor]:
    """pix2pix's augmentation, for ``TensorBatches(augment=...)`` on stacked pairs.

    Each batch is resized to ``load_size`` (286 for 256-pixel images in the paper), every image
    is cropped back to its size at a random place and mirrored half the time. Input and target
    are channels of one tensor, so both halves of a pair move together. Random numbers come from
    the global torch generator, which the trainer's checkpoints restore.
    """
    def jitter(batch: Tensor) -> Tensor:
        n, _, h, w = batch.shape
        if load_size < max(h, w):
            raise ValueError(f"load_size {load_size} is smaller than the images ({h}x{w}).")
        big = F.interpolate(batch, size=(load_size, load_size), mode="bilinear", align_corners=False)
        tops = torch.randint(0, load_size - h + 1, (n,)).tolist()
        lefts = torch.randint(0, load_size - w + 1, (n,)).tolist()
        mirror = (torch.rand(n) < 0.5).tolist() if flip else [False] * n
        out = [big[i, :, t: t + h, l: l + w] for i, (t, l) in enumerate(zip(tops, lefts))]
        return torch.stack([o.flip(-1) if m else o for o, m in zip(out, mirror)])

    return jitter


def pix2pix_folder(name: str, download: bool, fallback: Path, root: Optional[Path] = None) -> Path:
    """The folder of a pix2pix data set (downloaded and unpacked once), or ``fallback``.

    Only when ``download`` is True is the network used; if the download fails, one line says
    why and ``fallback`` is returned, so a chapter keeps running offline.
    """
    if name not in PIX2PIX_DATASETS:
        raise ValueError(f"unknown pix2pix data set {name!r}; choose one of {', '.join(PIX2PIX_DATASETS)}.")
    return fetch_dataset(name, PIX2PIX_URL.format(name=name), download, fallback, "train", root)


def fetch_dataset(name: str, url: str, download: bool, fallback: Path, expect: str, root: Optional[Path] = None) -> Path:
    """Download and unpack the archive at ``url`` (a .tar.gz or a .zip holding ``name/``) into
    ``root`` (``runs/downloads``) once and return ``root/name``, which must contain the folder
    ``expect``; or ``fallback``. Only when ``download`` is True is the network used; if anything
    fails, one line says why and ``fallback`` is returned, so a chapter keeps running offline
    (pix2pix and CycleGAN data sets, chapters 05 and 06)."""
    root = Path(root) if root is not None else runs_dir() / "downloads"
    target = root / name
    if not download:
        return fallback
    if (target / expect).is_dir():
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
        archive = fetch(url, root / url.rsplit("/", 1)[-1])  # checksum recorded, then verified
        safe_extract(archive, root)  # tar or zip; refuses paths outside root
        if not (target / expect).is_dir():
            raise DownloadError(f"the archive did not contain {name}/{expect}")
        return target
    except download_errors() as exc:  # no network, a moved mirror, a broken archive
        reason = failure_reason(exc)
        print(tr("dataset_fallback", name=name, reason=reason, fallback=fallback.name))
        return fallback
