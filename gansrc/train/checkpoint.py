"""Checkpoints that survive a crash: written atomically, loaded safely, pruned to the last K.

A checkpoint is written to a temporary file in the same folder, flushed to disk, then
renamed over its final name; a rename is atomic, so a reader sees the old file or the new
one, never half of one. Files are loaded with ``weights_only=True``: only tensors and plain
containers are unpickled, never code.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Optional

import torch

_NAME = re.compile(r"^ckpt-(\d{8})\.pt$")


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used (the message names the file and the reason)."""


def atomic_save(obj: Any, path: Path) -> Path:
    """``torch.save`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # some file systems (e.g. network mounts) refuse to fsync a folder
        pass
    return path


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """Load a checkpoint with ``weights_only=True``; a damaged file raises CheckpointError."""
    path = Path(path)
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise CheckpointError(f"Checkpoint {path} cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); it is truncated, corrupt or not a gansrc checkpoint.") from exc
    if not isinstance(obj, dict) or "format" not in obj:
        raise CheckpointError(f"{path} is not a gansrc checkpoint (no 'format' entry).")
    return obj


class CheckpointDir:
    """A folder of numbered checkpoints ``ckpt-00001000.pt``, keeping the newest ``keep_last``."""

    def __init__(self, folder: Path, keep_last: int = 3) -> None:
        if keep_last < 1:
            raise ValueError("keep_last must be at least 1.")
        self.folder = Path(folder)
        self.keep_last = keep_last

    def paths(self) -> list[Path]:
        """Checkpoint files, oldest first."""
        if not self.folder.exists():
            return []
        found = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := _NAME.match(p.name))]
        return [p for _, p in sorted(found)]

    def save(self, state: dict, step: int) -> Path:
        for stale in self.folder.glob(".ckpt-*.tmp"):  # left by a process killed while writing
            stale.unlink(missing_ok=True)
        path = atomic_save(state, self.folder / f"ckpt-{step:08d}.pt")
        for old in self.paths()[: -self.keep_last]:
            old.unlink(missing_ok=True)
        return path

    def latest(self, map_location: str | torch.device = "cpu") -> Optional[tuple[Path, dict]]:
        """The newest checkpoint that loads; damaged ones are reported and skipped."""
        for path in reversed(self.paths()):
            try:
                return path, load_checkpoint(path, map_location)
            except CheckpointError as exc:
                print(f"Skipping damaged checkpoint: {exc}")
        return None
