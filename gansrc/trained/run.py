"""Training a recipe to its shipped files: the gansrc trainer with checkpoints, then the record.

The run writes checkpoints to ``runs/trained/NAME/FINGERPRINT/``; started again after an interruption, the
trainer resumes exactly from the newest one. When the run is done the generators' weights and
the record go to the shipped folder (``data/trained/`` by default). A recipe whose shipped files
already match it (same recipe, same SHA-256) is not trained again unless ``force``.
"""
from __future__ import annotations

import datetime
import math
import subprocess
import time
from pathlib import Path
from typing import Iterable, Optional

import torch

from .. import __version__
from ..metrics import FIDTracker
from ..models import load_classifier
from ..runtime import repo_root, runs_dir
from .build import build_task_for, build_trainer, trained_networks
from .recipes import Recipe
from .scores import final_scores
from .shipped import TrainedModelError, load_trained, read_record, record_path, save_weights, sha256, trained_dir, weights_path, write_record


class WallClock:
    """A trainer callback that adds up the seconds spent training, kept in the checkpoints, so that a
    resumed run reports the time of all its sessions (the steps lost to an interruption are not counted)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._mark: Optional[float] = None

    def start(self) -> None:
        self._mark = time.perf_counter()

    def __call__(self, trainer, logs: dict) -> None:
        now = time.perf_counter()
        if self._mark is not None:
            self.seconds += now - self._mark
        self._mark = now

    def state_dict(self) -> dict:
        return {"seconds": self.seconds}

    def load_state_dict(self, state: dict) -> None:
        self.seconds = float(state["seconds"])


def device_name(device: torch.device) -> str:
    """The device in words, e.g. "NVIDIA H100 80GB HBM3" or "CPU (2 threads)"."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type != "cpu":
        return device.type.upper()
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads > 1 else ''})"


def git_state(exclude: Optional[Path] = None) -> dict:
    """The commit the code is at and whether tracked or new files differ from it (``exclude``, the
    shipped folder being written, does not count); None where git or the repository is missing."""
    root = repo_root()
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        command = ["git", "status", "--porcelain", "--", "."]
        if exclude is not None and Path(exclude).resolve().is_relative_to(root):
            command.append(f":(exclude){Path(exclude).resolve().relative_to(root)}")
        dirty = bool(subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit, "git_dirty": dirty}


def is_up_to_date(recipe: Recipe, folder: Path) -> bool:
    """Whether the shipped files of ``recipe`` exist, load, and were trained with this very recipe."""
    try:
        record = read_record(recipe.name, folder)
        load_trained(recipe.name, folder)
    except TrainedModelError:
        return False
    return record.get("recipe") == recipe.to_dict()


def train_recipe(recipe: Recipe, *, device: torch.device, folder: Optional[Path] = None,
                 checkpoints: Optional[Path] = None, checkpoint_every: Optional[int] = None, callbacks: Iterable = (),
                 force: bool = False, show_progress: bool = True) -> dict:
    """Train ``recipe`` (resuming from ``checkpoints``, default ``runs/trained/NAME/FINGERPRINT``), score it and
    write its weights and record to ``folder`` (default ``data/trained``); returns the record.

    ``callbacks`` are added to the trainer's (the tests interrupt a run with one)."""
    folder = Path(folder or trained_dir())
    if not force and is_up_to_date(recipe, folder):
        print(f"{recipe.name}: the shipped files match the recipe; not trained again (use --force to retrain).")
        return read_record(recipe.name, folder)
    checkpoints = Path(checkpoints or runs_dir() / "trained" / recipe.name / recipe.fingerprint())
    code = git_state(folder)  # the code this session trains with (the tree may change while it runs)
    task = build_task_for(recipe, device)
    needs_judge = task.held_out is not None or recipe.kind == "cyclegan"
    judge = load_classifier(device=device) if needs_judge else None
    clock = WallClock()
    callbacks = [clock, *callbacks]
    tracker = None
    if recipe.fid_every and task.held_out is not None:
        tracker = FIDTracker(judge, task.held_out, every=recipe.fid_every, n_samples=min(1000, len(task.held_out)), kid=False)
        callbacks.append(tracker)
    trainer = build_trainer(recipe, task, device, checkpoint_dir=checkpoints, checkpoint_every=checkpoint_every,
                            callbacks=callbacks)
    clock.start()
    history = trainer.fit(recipe.steps, show_progress=show_progress)
    clock(trainer, {})  # the time since the last logged step
    networks = trained_networks(recipe, trainer)
    metrics = final_scores(recipe, networks, task, judge)
    weights = save_weights(networks, weights_path(recipe.name, folder))
    record = {
        "format": "gansrc.trained/1", "name": recipe.name, "recipe": recipe.to_dict(), "data": task.description,
        "steps": trainer.step, "wall_time_s": round(clock.seconds, 1), "device": device_name(device),
        "device_type": device.type, "torch": torch.__version__, "gansrc": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), **code,
        "weights": weights.name, "weights_sha256": sha256(weights), "weights_bytes": weights.stat().st_size,
        "weights_dtype": "float16", "checkpoints": _shown(checkpoints), "history": _finite(history),
        "fid_curve": None if tracker is None else {"steps": tracker.steps, "fid": tracker.fid,
                                                   "n_samples": tracker.n, "against": "held-out digits 8,000-9,999"},
        "metrics": metrics,
    }
    write_record(record, record_path(recipe.name, folder))
    return record


def _finite(history: dict) -> dict:
    """The history with NaN and infinities as None (JSON has no NaN)."""
    return {k: [v if isinstance(v, int) or math.isfinite(v) else None for v in values] for k, values in history.items()}


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it (no machine's folders in a shipped record)."""
    path, root = Path(path).resolve(), repo_root()
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name
