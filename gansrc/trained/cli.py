"""``python -m gansrc.trained``: train, time, list and check the shipped models.

    python -m gansrc.trained train NAME [NAME...] | all   train (or resume) and write data/trained/
    python -m gansrc.trained estimate [NAME... | all]     time a few steps of each on one CPU thread
    python -m gansrc.trained list                         the recipes and what is shipped
    python -m gansrc.trained check                        load every shipped file against its record

Training runs on the best device present (CUDA, then MPS, then the CPU with all its cores;
``--device`` or ``GANSRC_DEVICE`` forces one).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import torch

from ..metrics import FIDTracker
from ..models import load_classifier
from ..runtime import pick_device
from .build import build_task_for, build_trainer, trained_networks
from .recipes import RECIPES, Recipe, recipe
from .run import device_name, train_recipe
from .scores import final_scores
from .shipped import TrainedModelError, load_trained, record_path, trained_dir, weights_path, weights_state


def chosen(names: Sequence[str]) -> list[Recipe]:
    """The recipes named (``all``, or nothing, for every one)."""
    if not names or list(names) == ["all"]:
        return list(RECIPES.values())
    return [recipe(n) for n in names]


def time_recipe(r: Recipe, steps: int = 5, device: torch.device = torch.device("cpu")) -> dict:
    """CPU seconds to build the data, per training step (after one warm-up step), per FID tracking
    and for the final scores; and the shipped size in bytes. CPU time, not wall time: on one thread it
    is what the run takes on an idle machine, whatever else shares the CPU while it is measured."""
    t0 = time.process_time()
    task = build_task_for(r, device)
    t_data = time.process_time() - t0
    trainer = build_trainer(r, task, device)
    trainer.fit(1, show_progress=False)
    t0 = time.process_time()
    trainer.fit(1 + steps, show_progress=False)
    per_step = (time.process_time() - t0) / steps
    judge = load_classifier(device=device) if task.held_out is not None or r.kind == "cyclegan" else None
    t_track = 0.0
    if r.fid_every and task.held_out is not None:
        tracker = FIDTracker(judge, task.held_out, every=1, n_samples=min(1000, len(task.held_out)), kid=False)
        tracker(trainer, {})
        t0 = time.process_time()
        tracker(trainer, {})
        t_track = time.process_time() - t0
    networks = trained_networks(r, trainer)
    t0 = time.process_time()
    final_scores(r, networks, task, judge)
    t_scores = time.process_time() - t0
    n_tracks = r.steps // r.fid_every if r.fid_every else 0
    total = t_data + per_step * r.steps + t_track * n_tracks + t_scores
    return {"data_s": t_data, "step_s": per_step, "track_s": t_track, "scores_s": t_scores, "total_s": total,
            "bytes": _size(networks)}


def _size(networks: dict) -> int:
    """The size in bytes of the weights file these networks ship as."""
    buffer = io.BytesIO()
    torch.save(weights_state(networks), buffer)
    return len(buffer.getvalue())


def estimate(recipes: Sequence[Recipe], steps: int = 5) -> list[tuple[Recipe, dict]]:
    """Time each recipe on one CPU thread and print a table with the whole run extrapolated."""
    torch.set_num_threads(1)
    rows = []
    print(f"{'recipe':<22} {'steps':>6} {'batch':>5} {'s/step':>7} {'data s':>6} {'scores s':>8} {'est. min':>8} {'ships MB':>8}")
    for r in recipes:
        t = time_recipe(r, steps)
        rows.append((r, t))
        print(f"{r.name:<22} {r.steps:>6} {r.batch_size:>5} {t['step_s']:>7.3f} {t['data_s']:>6.1f} {t['scores_s']:>8.1f} "
              f"{t['total_s'] / 60:>8.1f} {t['bytes'] / 1e6:>8.2f}", flush=True)
    total, size = sum(t["total_s"] for _, t in rows), sum(t["bytes"] for _, t in rows)
    print(f"{'total':<22} {'':>6} {'':>5} {'':>7} {'':>6} {'':>8} {total / 60:>8.1f} {size / 1e6:>8.2f}")
    print(f"(CPU seconds on one thread, {steps} timed steps each after one warm-up step, extrapolated to the "
          "recipe's length; the real run uses every core, so it takes less wall time on an idle machine)")
    return rows


def check(folder: Optional[Path] = None) -> int:
    """Load every shipped model against its record; print one line each; the number that failed."""
    failed = 0
    for name in RECIPES:
        if not record_path(name, folder).exists() and not weights_path(name, folder).exists():
            print(f"{name:<22} not shipped")
            continue
        try:
            model = load_trained(name, folder)
            stale = "" if model.record["recipe"] == RECIPES[name].to_dict() else "  (trained from an older recipe)"
            print(f"{name:<22} ok, {model.record['steps']} steps on {model.record['device']}{stale}")
        except TrainedModelError as exc:
            failed += 1
            print(f"{name:<22} FAILED: {exc}")
    return failed


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gansrc.trained", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train (or resume) recipes and write their shipped files")
    train.add_argument("names", nargs="+", help="recipe names, or all")
    train.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best one present)")
    train.add_argument("--out", type=Path, default=None, help=f"shipped folder (default {trained_dir()})")
    train.add_argument("--force", action="store_true", help="retrain even when the shipped files match the recipe")
    train.add_argument("--threads", type=int, default=None, help="CPU threads (default: one per core)")
    est = sub.add_parser("estimate", help="time a few steps of each recipe on one CPU thread")
    est.add_argument("names", nargs="*")
    est.add_argument("--steps", type=int, default=5)
    sub.add_parser("list", help="the recipes")
    sub.add_parser("check", help="load every shipped file against its record")
    args = parser.parse_args(argv)
    if args.command == "estimate":
        estimate(chosen(args.names), args.steps)
        return 0
    if args.command == "list":
        for r in RECIPES.values():
            shipped = "shipped" if record_path(r.name).exists() else "-"
            print(f"{r.name:<22} ch{r.chapter} {r.steps:>6} steps of {r.batch_size:<4} {shipped:<8} {r.summary}")
        return 0
    if args.command == "check":
        return 1 if check() else 0
    device = pick_device(args.device)
    if device.type == "cpu" or args.threads:
        torch.set_num_threads(args.threads or os.cpu_count() or 1)
    recipes = chosen(args.names)
    failed = []
    for i, r in enumerate(recipes, 1):
        print(f"[{i}/{len(recipes)}] {r.name}: {r.summary} ({r.steps} steps, on {device_name(device)})", flush=True)
        try:
            record = train_recipe(r, device=device, folder=args.out, force=args.force)
        except Exception as exc:  # one failed recipe (a NaN, a full disk) does not stop the others
            failed.append(r.name)
            print(f"[{i}/{len(recipes)}] {r.name} FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        shown = ", ".join(f"{k} {v:.3g}" for k, v in record["metrics"].items() if isinstance(v, float))
        print(f"[{i}/{len(recipes)}] {r.name}: {record['wall_time_s'] / 60:.1f} min; {shown or 'no metrics'}", flush=True)
    if failed:
        print(f"Failed: {', '.join(failed)}. Run the command again to resume them from their checkpoints.")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
