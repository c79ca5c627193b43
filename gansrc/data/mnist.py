"""MNIST: the full data set when torchvision can fetch it, the 10,000 bundled images otherwise.

Chapter 01 uses it to train the book's classifier; chapter 02 trains a GAN on it.
"""
from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..downloads import download_errors, failure_reason
from ..runtime import data_dir, runs_dir
from ..text import tr

# md5 of the bundled files (data/README.md lists them with their licence).
BUNDLED_MD5 = {
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


@dataclass
class ImageSet:
    """Images as one uint8 tensor (N, C, H, W) plus optional integer labels (N,).

    ``source`` says where they came from, in the chapter's language, except for MNIST and
    Fashion-MNIST: theirs stays English ("full MNIST train set ..." or "bundled ..."), because
    chapters test ``source.startswith("full")``; their loaders print it in the chapter's language.
    """

    images: torch.Tensor
    labels: Optional[torch.Tensor]
    source: str

    def __len__(self) -> int:
        return self.images.shape[0]

    def split(self, n_first: int) -> tuple["ImageSet", "ImageSet"]:
        """The first ``n_first`` items and the rest (the order is fixed, so the split is too)."""
        if not 0 < n_first < len(self):
            raise ValueError(f"Cannot split {len(self)} items at {n_first}.")
        lab = self.labels
        return (
            ImageSet(self.images[:n_first], None if lab is None else lab[:n_first], self.source),
            ImageSet(self.images[n_first:], None if lab is None else lab[n_first:], self.source),
        )


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (gzipped or not), the format MNIST is distributed in."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code != 0x08:
        raise ValueError(f"{path}: only unsigned-byte IDX files are supported.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(shape))} values, found {data.size}.")
    return data.reshape(shape)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def load_bundled_mnist(folder: Optional[Path] = None, verify: bool = True) -> ImageSet:
    """The 10,000 MNIST test images shipped in ``data/`` (no network needed)."""
    folder = Path(folder) if folder is not None else data_dir()
    paths = {name: folder / name for name in BUNDLED_MD5}
    for name, path in paths.items():
        if not path.exists():
            raise FileNotFoundError(
                f"The bundled MNIST file {path} is missing. It ships with the repository; "
                "clone the whole repository (or set GANSRC_DATA to the folder that holds it)."
            )
        if verify and _md5(path) != BUNDLED_MD5[name]:
            raise ValueError(f"{path} is corrupt (md5 mismatch). Restore it from the repository.")
    images = read_idx(paths["t10k-images-idx3-ubyte.gz"])
    labels = read_idx(paths["t10k-labels-idx1-ubyte.gz"])
    return ImageSet(
        torch.from_numpy(images.copy()).unsqueeze(1),
        torch.from_numpy(labels.astype(np.int64)),
        _describe(None, False, len(images), lang="en"),
    )


def _describe(split: Optional[str], fashion: bool, n: int, lang: Optional[str] = None) -> str:
    """The words for an MNIST set: the full ``split`` set (None: the bundled test set)."""
    if split is None:
        return tr("mnist_bundled", lang=lang, n=n)
    return tr("mnist_full", lang=lang, name="Fashion-MNIST" if fashion else "MNIST",
              split=tr(f"split_{split}", lang=lang), n=n)


def _said(result: ImageSet, split: str, fashion: bool) -> str:
    """``result.source`` (English) in the chapter's language."""
    return _describe(split if result.source.startswith("full") else None, fashion, len(result))


def _download_full_mnist(split: str, root: Path, fashion: bool = False) -> ImageSet:
    from torchvision.datasets import MNIST, FashionMNIST

    ds = (FashionMNIST if fashion else MNIST)(str(root), train=(split == "train"), download=True)
    return ImageSet(
        ds.data.unsqueeze(1).clone(),
        ds.targets.clone().long(),
        _describe(split, fashion, len(ds.data), lang="en"),
    )


def _try_download(split: str, download: bool, root: Optional[Path], fashion: bool) -> tuple[Optional[ImageSet], str]:
    """The full set, or None and the reason in a few words (no network, a blocked mirror...)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}.")
    if not download:
        return None, "download=False"
    try:
        return _download_full_mnist(split, Path(root) if root else runs_dir() / "downloads", fashion=fashion), ""
    except download_errors() as exc:  # no network, a blocked mirror, a corrupt file
        return None, failure_reason(exc)


def load_mnist(split: str = "train", download: bool = True, root: Optional[Path] = None, verbose: bool = True) -> ImageSet:
    """MNIST digits as uint8 tensors (N, 1, 28, 28) with labels.

    Tries torchvision's full data set (``split`` "train": 60,000 images, "test": 10,000) when
    ``download`` is True; when that fails (no network, a blocked mirror) it says so in one line
    and returns the 10,000 bundled test images instead. Prints which one it used.
    """
    result, reason = _try_download(split, download, root, fashion=False)
    if result is None:
        result = load_bundled_mnist()
        if verbose and download:
            print(tr("mnist_fallback", reason=reason, what=_said(result, split, False)))
    if verbose:
        print(tr("mnist_used", what=_said(result, split, False)))
    return result


FASHION_CLASSES = ("T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")


def load_fashion_mnist(split: str = "train", download: bool = True, root: Optional[Path] = None, verbose: bool = True) -> ImageSet:
    """Fashion-MNIST (Zalando's 28x28 clothes, the data of the Keras DCGAN) as uint8 (N, 1, 28, 28).

    Same format as MNIST, so every 28x28 model runs on it unchanged. It is not bundled: when
    the download fails (or ``download`` is False) this says so in one line and returns the
    bundled MNIST digits instead.
    """
    result, reason = _try_download(split, download, root, fashion=True)
    if result is None:
        result = load_bundled_mnist()
        if verbose:
            print(tr("fashion_fallback", reason=reason, what=_said(result, split, True)))
    if verbose:
        print(tr("images_used", what=_said(result, split, True)))
    return result
