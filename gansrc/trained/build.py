"""A recipe made real: its networks, its data and the gansrc trainer that trains them."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import torch
from torch import nn

from .. import models as M
from ..train import CycleGANTrainer, GANTrainer, Pix2PixTrainer, Trainer
from .recipes import DISCRIMINATORS, GENERATORS, Recipe
from .tasks import AUGMENTATIONS, LOSSES, Task, build_task

NETWORKS = {name: getattr(M, name) for name in GENERATORS + DISCRIMINATORS}


def build_network(cls: str, kwargs: dict) -> nn.Module:
    """The network ``cls`` (a class name from ``recipes.GENERATORS``/``DISCRIMINATORS``) built with ``kwargs``."""
    if cls not in NETWORKS:
        raise ValueError(f"{cls!r} is not one of the book's networks ({', '.join(NETWORKS)}).")
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return NETWORKS[cls](**kwargs)


def build_networks(recipe: Recipe, roles: Optional[Iterable[str]] = None) -> dict[str, nn.Module]:
    """The recipe's networks by role (all of them, or ``roles``), initialised from its seed."""
    torch.manual_seed(recipe.seed)
    return {role: build_network(cls, kwargs) for role, (cls, kwargs) in recipe.models.items()
            if roles is None or role in roles}


def build_task_for(recipe: Recipe, device: torch.device) -> Task:
    """The recipe's data on ``device``."""
    return build_task(recipe.task, batch_size=recipe.batch_size, device=device, seed=recipe.seed,
                      conditional=bool(recipe.options.get("num_classes")),
                      batch_augment=recipe.options.get("batch_augment"), options=recipe.task_options)


def default_checkpoint_every(steps: int) -> int:
    """A checkpoint every tenth of the run, but not more often than every 100 steps."""
    return min(steps, max(100, steps // 10)) if steps else 1


def build_trainer(recipe: Recipe, task: Task, device: torch.device, *, checkpoint_dir: Optional[Path] = None,
                  checkpoint_every: Optional[int] = None, callbacks: Iterable = ()) -> Trainer:
    """The gansrc trainer of the recipe (``GANTrainer``, ``Pix2PixTrainer`` or ``CycleGANTrainer``)."""
    nets = build_networks(recipe)
    options = {k: v for k, v in recipe.options.items() if k not in ("batch_augment", "decay")}
    if "loss" in options:
        options["loss"] = LOSSES[options["loss"]]
    if "augment" in options:
        options["augment"] = AUGMENTATIONS[options["augment"]]()
    common = dict(lr=recipe.lr, betas=recipe.betas, seed=recipe.seed, device=device, desc=recipe.name,
                  checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every or default_checkpoint_every(recipe.steps),
                  callbacks=list(callbacks), **options)
    if recipe.kind == "gan":
        return GANTrainer(nets["generator"], nets["discriminator"], task.batches, **common)
    if recipe.kind == "pix2pix":
        return Pix2PixTrainer(nets["generator"], nets.get("discriminator"), task.batches, **common)
    if recipe.options.get("decay"):
        common.update(constant_steps=recipe.steps // 2, decay_steps=recipe.steps - recipe.steps // 2)
    return CycleGANTrainer(nets["generator_ab"], nets["generator_ba"], nets["discriminator_a"], nets["discriminator_b"],
                           task.batches, **common)


def trained_networks(recipe: Recipe, trainer: Trainer) -> dict[str, nn.Module]:
    """The networks of ``recipe.ships`` inside a trainer built by ``build_trainer``."""
    if recipe.kind == "cyclegan":
        found = {"generator_ab": trainer.G, "generator_ba": trainer.F, "discriminator_a": trainer.D_a,
                 "discriminator_b": trainer.D_b}
    else:
        found = {"generator": trainer.generator, "discriminator": trainer.discriminator}
    return {role: found[role] for role in recipe.ships}
