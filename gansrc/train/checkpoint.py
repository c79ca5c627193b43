"""Checkpoints that survive a crash: written atomically, loaded safely, pruned to the last K.

A checkpoint is written to a temporary file in the same folder, flushed to disk, then
renamed over its final name; a rename is atomic, so a reader sees the old file or the new
one, never half of one. Files are loaded with ``weights_only=True``: only tensors and plain
containers are unpickled, never code.
"""
from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Any, Callable, Optional

import torch

from ..files import atomic_save
from ..text import tr

_NAME = re.compile(r"^ckpt-(\d{8})\.pt$")


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used (the message names the file and the reason)."""


class CheckpointMismatchError(CheckpointError):
    """A whole checkpoint of another trainer, architecture or run: older files of the folder would not fit either."""


class CheckpointWriteError(CheckpointError):
    """A checkpoint could not be written (a full disk, a folder that went away); the earlier ones are intact."""


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
    """A folder of numbered checkpoints ``ckpt-00001000.pt``, keeping the newest ``keep_last``.

    A run that has reached the end of its ``fit`` keeps only its newest ``keep_done`` (default:
    ``keep_last``): on Google Drive that is 1, so a finished run costs one checkpoint of space.
    """

    def __init__(self, folder: Path, keep_last: int = 3, keep_done: Optional[int] = None) -> None:
        keep_done = keep_last if keep_done is None else keep_done
        if keep_last < 1 or keep_done < 1:
            raise ValueError("keep_last and keep_done must be at least 1.")
        self.folder = Path(folder)
        self.keep_last = keep_last
        self.keep_done = keep_done

    def paths(self) -> list[Path]:
        """Checkpoint files, oldest first."""
        if not self.folder.exists():
            return []
        found = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := _NAME.match(p.name))]
        return [p for _, p in sorted(found)]

    def save(self, state: dict, step: int, done: bool = False) -> Path:
        """Write ``state`` as the checkpoint of ``step`` (the caller holds the folder's ``RunLock``);
        ``done``: the last step of the run, after which only ``keep_done`` files stay."""
        for stale in self.folder.glob(".ckpt-*.tmp"):  # left by a process killed while writing
            stale.unlink(missing_ok=True)
        target = self.folder / f"ckpt-{step:08d}.pt"
        try:
            path = atomic_save(state, target)
        except (OSError, RuntimeError) as exc:  # torch reports a failed write as "enforce fail at inline_container.cc"
            raise CheckpointWriteError(self._write_failure(target, exc)) from exc
        for old in self.paths()[: -(self.keep_done if done else self.keep_last)]:
            old.unlink(missing_ok=True)
        return path

    def _write_failure(self, target: Path, exc: BaseException) -> str:
        causes = [exc, exc.__cause__, exc.__context__]
        codes = {getattr(e, "errno", None) for e in causes if isinstance(e, OSError)}
        if codes & {errno.ENOSPC, getattr(errno, "EDQUOT", -1)} or "space" in str(exc).lower():
            why = "the disk is full"
        elif isinstance(exc, OSError):
            why = f"{exc.strerror or exc}"
        else:
            why = f"the write failed ({str(exc).splitlines()[0][:120]}); the disk may be full"
        done = self.paths()
        kept = (f"The earlier checkpoints are intact (newest: {done[-1].name}), so no finished work is lost."
                if done else "No earlier checkpoint exists in this folder.")
        return (f"Could not write checkpoint {target}: {why}. {kept} Free some space (or point checkpoint_dir "
                "elsewhere) and call fit again: it continues from the newest checkpoint.")

    def latest(self, map_location: str | torch.device = "cpu",
               check: Optional[Callable[[dict, str], None]] = None) -> Optional[tuple[Path, dict]]:
        """The newest checkpoint that loads (and passes ``check``); damaged ones are reported and skipped.

        ``check(state, name)`` raises ``CheckpointError`` for a file whose content is unusable (it
        is skipped like a truncated one); a ``CheckpointMismatchError`` stops the search.
        """
        for path in reversed(self.paths()):
            try:
                state = load_checkpoint(path, map_location)
                if check is not None:
                    check(state, str(path))
                return path, state
            except CheckpointMismatchError:
                raise  # another architecture or run: every older file would be one too
            except CheckpointError as exc:
                print(tr("skipping_damaged", error=exc))
        return None


def _damaged(source: str, what: str) -> CheckpointError:
    return CheckpointError(f"{source}: {what}; the file is damaged or was not written by gansrc.")


def check_weights(saved: Any, current: dict[str, torch.Tensor], name: str, source: str) -> None:
    """Refuse ``saved`` (a model's or an optimiser's tensors) unless each entry fits ``current``.

    Other keys or shapes mean another architecture (``CheckpointMismatchError``); a tensor of
    another kind (integers or booleans where the model has floats), a non-tensor or a NaN
    means a damaged file (``CheckpointError``, so an older checkpoint is tried instead).
    """
    if not isinstance(saved, dict):
        raise _damaged(source, f"its {name} entry is a {type(saved).__name__}, not a table of tensors")
    missing, extra = sorted(set(current) - set(saved)), sorted(set(saved) - set(current))
    if missing or extra:
        raise CheckpointMismatchError(f"{source} was written by a different {name} architecture: "
                                      f"missing {missing[:3]}, unexpected {extra[:3]}.")
    for key, mine in current.items():
        theirs = saved[key]
        if not isinstance(theirs, torch.Tensor):
            raise _damaged(source, f"{name}.{key} is a {type(theirs).__name__}, not a tensor")
        if theirs.shape != mine.shape:
            raise CheckpointMismatchError(f"{source} was written by a different {name} architecture: {key} has shape "
                                          f"{tuple(theirs.shape)} there and {tuple(mine.shape)} here.")
        if theirs.dtype.is_floating_point != mine.dtype.is_floating_point or (
                not mine.dtype.is_floating_point and theirs.dtype != mine.dtype):
            raise _damaged(source, f"{name}.{key} holds {theirs.dtype} values where the model has {mine.dtype}")
        if theirs.dtype.is_floating_point and not bool(torch.isfinite(theirs).all()):
            raise _damaged(source, f"{name}.{key} contains NaN or infinite values")


def check_optimizer_state(saved: Any, optimizer: torch.optim.Optimizer, name: str, source: str) -> None:
    """Refuse an optimiser state of another shape, or with tensors that are not finite floats."""
    if not isinstance(saved, dict) or not isinstance(saved.get("state"), dict) or not isinstance(saved.get("param_groups"), list):
        raise _damaged(source, f"the {name} optimiser's state is not an optimiser state")
    if [len(g.get("params", ())) for g in saved["param_groups"] if isinstance(g, dict)] != [len(g["params"]) for g in optimizer.param_groups]:
        raise CheckpointMismatchError(f"{source} was written for a {name} with other parameters.")
    for index, entry in saved["state"].items():
        for key, value in (entry.items() if isinstance(entry, dict) else [("entry", entry)]):
            if not isinstance(value, torch.Tensor) or not value.dtype.is_floating_point:
                raise _damaged(source, f"the {name} optimiser's {key} of parameter {index} is not a float tensor")
            if not bool(torch.isfinite(value).all()):
                raise _damaged(source, f"the {name} optimiser's {key} of parameter {index} contains NaN or infinite values")


def check_trainer_state(state: dict, models: dict, optimizers: dict, source: str) -> None:
    """Everything ``Trainer.load_state_dict`` will use, checked before any of it is applied, so a bad
    file is refused whole instead of leaving a half-loaded trainer."""
    for key, kind in (("step", int), ("models", dict), ("optimizers", dict), ("batches", dict), ("rng", dict), ("history", dict)):
        if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
            raise _damaged(source, f"its {key!r} entry is missing or a {type(state.get(key)).__name__}")
    if state["step"] < 0:
        raise _damaged(source, f"its step is {state['step']}")
    if set(models) ^ set(state["models"]):
        raise CheckpointMismatchError(f"{source} holds models {sorted(state['models'])}, this trainer has {sorted(models)}.")
    for name, model in models.items():
        check_weights(state["models"][name], model.state_dict(), name, source)
    for name, optimizer in optimizers.items():
        if name not in state["optimizers"]:
            raise CheckpointMismatchError(f"{source} holds no state for the {name} optimiser.")
        check_optimizer_state(state["optimizers"][name], optimizer, name, source)
    for key in ("torch", "trainer"):
        value = state["rng"].get(key)
        if not isinstance(value, torch.Tensor) or value.dtype != torch.uint8:
            raise _damaged(source, f"its random generator state {key!r} is not a byte tensor")
    for key, values in state["history"].items():
        if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
            raise _damaged(source, f"its history {key!r} is not a list of numbers")
