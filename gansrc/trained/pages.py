"""What a chapter shows of a shipped model: its record in one line, its scores measured live, its curves.

Every number a "trained model" section prints is computed on the page from the shipped weights
(``load_trained``) and the held-out data, with the same functions that wrote the record
(``scores.final_scores``); the record supplies only what happened during training: the steps, the
wall time, the device, and the curves. Chapters 02-06 use it.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Optional, Sequence

import torch
from torch import nn

from ..metrics import FeatureDistances, real_floor
from ..text import tr
from .build import build_task_for
from .recipes import Recipe
from .scores import final_scores, gan_scores, generate
from .shipped import TrainedModel
from .tasks import Task, unpaired_description


def describe(model: TrainedModel) -> str:
    """One line from the record: steps and batch, device, wall time, torch, date and commit."""
    r = model.record
    minutes = r["wall_time_s"] / 60
    commit = (r.get("git_commit") or "?")[:7] + (" +" if r.get("git_dirty") else "")
    device = re.sub(r"\((\d+) threads?\)", lambda m: "(" + tr("threads" if m[1] != "1" else "thread", n=m[1]) + ")",
                    r["device"])  # "CPU (1 thread)" in the records, in the page's language
    return tr("trained_line", name=model.name, steps=r["steps"], batch=r["recipe"]["batch_size"], device=device,
              minutes=minutes, torch=r["torch"], date=r["date"][:10], commit=commit)


def describe_data(model: TrainedModel) -> str:
    """The record's ``data`` (what the model was trained and scored on) in the page's language:
    chapter 06's unpaired digits are worded again from the recipe; the other tasks keep the
    record's English."""
    rec = trained_recipe(model)
    if rec.task == "unpaired-digits":
        return unpaired_description(rec.task_options)
    return model.record["data"]


def trained_recipe(model: TrainedModel) -> Recipe:
    """The recipe ``model`` was trained with, as its record keeps it."""
    return Recipe.from_dict(model.record["recipe"])


def evaluation_task(model: TrainedModel) -> Task:
    """The held-out data ``model`` is scored on (the training images are not built beyond one,
    in batches of one)."""
    rec = trained_recipe(model)
    if rec.kind != "gan":
        rec = dataclasses.replace(rec, batch_size=1, task_options={**rec.task_options, "n_train": 1})
    return build_task_for(rec, torch.device("cpu"))


def scores(model: TrainedModel, judge: Optional[nn.Module], task: Optional[Task] = None) -> dict:
    """The record's metrics, measured again now from the shipped (float16) weights."""
    task = task or evaluation_task(model)
    return final_scores(trained_recipe(model), model.networks, task, judge)


def samples(model: TrainedModel, n: int = 64, labels: Optional[torch.Tensor] = None, seed: int = 0) -> torch.Tensor:
    """``n`` images of a shipped GAN from seeded noise (``labels`` for a conditional one)."""
    return generate(model.generator, n, model.record["recipe"]["options"]["latent_dim"], labels, seed=seed)


def gan_table(models: Sequence[TrainedModel], judge: nn.Module, names: Optional[Sequence[str]] = None) -> dict:
    """Score shipped digit GANs against the held-out digits and print one row each, between the
    floor (two shuffled halves of the held-out digits) and uniform noise; returns the scores by name."""
    task = evaluation_task(models[0])
    floor = real_floor(task.held_out, judge)
    distances = FeatureDistances(task.held_out, judge, n_fake=len(task.held_out))
    table: dict = {}
    for m in models:  # the noise is the same for every model: measured once
        noise_fid = next(iter(table.values()))["noise_fid"] if table else None
        table[m.name] = gan_scores(m.generator, trained_recipe(m), task.held_out, judge, distances, noise_fid)
    names = list(names or [m.name for m in models])
    conditional = any("conditional_accuracy" in s for s in table.values())
    first = next(iter(table.values()))
    half = len(task.held_out) // 2
    rows = [(tr("floor_row", n=half), floor["fid"], floor["kid"], floor["fid"] / first["noise_fid"], None, None)]
    rows += [(label, s["fid"], s["kid"], s["fid_over_noise_fid"], s["class_entropy_bits"],
              s.get("conditional_accuracy")) for label, s in zip(names, table.values())]
    rows.append((tr("noise_row"), first["noise_fid"], None, 1.0, None, None))
    width = max(26, 2 + max(len(row[0]) for row in rows))  # the labels' column (longer in Spanish)
    head = f"{'':<{width}}{'FID':>8}{'KID':>9}{tr('fid_over_noise'):>12}{tr('entropy_bits'):>11}"
    print(head + (f"{tr('cond_acc'):>13}" if conditional else ""))
    for label, fid, kid, ratio, entropy, acc in rows:
        line = f"{label:<{width}}{fid:>8.2f}{_cell(kid, 9, '.4f')}{ratio:>12.3f}{_cell(entropy, 11, '.2f')}"
        print(line + (_cell(acc, 13, '.3f') if conditional else ""))
    print(tr("gan_table_note", n=first["n_samples"], half=half))
    return {"floor": floor, **table}


def _cell(value: Optional[float], width: int, fmt: str) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{fmt}}"


def plot_training(model: TrainedModel, panels=(("loss_d", "loss_g"), ("d_real", "d_fake")), **options):
    """The record's training curves (what the trainer logged) and, where kept, its FID curve;
    ``options`` (``titles``, ``labels``) go to ``viz.plot_history``."""
    from ..viz import plot_history

    r = model.record
    fig = plot_history(r["history"], panels=panels, **options)
    if r.get("fid_curve"):
        curve = r["fid_curve"]
        old = fig.axes
        fig.set_size_inches(fig.get_size_inches()[0] + 5, fig.get_size_inches()[1])
        gs = fig.add_gridspec(1, len(old) + 1)
        for i, ax in enumerate(old):
            ax.set_subplotspec(gs[0, i])
        ax = fig.add_subplot(gs[0, len(old)])
        ax.plot(curve["steps"], curve["fid"], "o-", ms=3)
        ax.set_xlabel(tr("step"))
        ax.set_ylabel(tr("fid_held_out", n=curve["n_samples"]))
        fig.tight_layout()
    fig.suptitle(model.name, y=1.02)
    return fig
