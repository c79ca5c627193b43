"""gansrc: the code of the runnable GAN textbook.

Read it in this order: ``runtime`` (device, seeds, smoke mode), ``data``, ``models``,
``losses``, ``train`` (the loop, the GAN trainer, checkpoints), ``metrics``, ``viz``; then
``style`` (neural style transfer, chapter 07), which optimises pixels instead of training, and
``trained`` (the recipes of the book's shipped trained models and their checked loading).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

__version__ = "0.1.0"

from . import text  # noqa: E402

from .runtime import (  # noqa: E402
    data_dir, describe_runtime, on_colab, pick_device, progress, repo_root, runs_dir, seed_everything, smoke_mode,
    training_budget, use_google_drive,
)


@dataclass
class ChapterRun:
    """What a chapter needs to know about how it runs.

    ``budget`` is the fraction of each full-mode training length that runs (1: all of it).
    The papermill pass of the tests (``make fullpass``: ``-p SMOKE False -p BUDGET 0.0002``) runs
    every chapter's full configuration that way: full widths, image sizes and batch sizes, with
    only the training loops and the numbers of images made or scored shortened.
    """

    smoke: bool
    device: torch.device
    seed: int
    budget: float = 1.0
    lang: str = "en"

    def steps(self, full: int, floor: int = 3) -> int:
        """A full-mode training length (steps, epochs, iterations) cut to the budget, at least ``floor``."""
        return self._cut(full, floor)

    def count(self, full: int, floor: int) -> int:
        """A full-mode number of images to make, load or score cut to the budget, at least ``floor``.

        The floor is what the code after it needs (a batch, a KID subset, one image per class).
        """
        return self._cut(full, floor)

    def text(self, *, en: str, es: str) -> str:
        """The chapter's own string in its language, so one code cell serves both editions."""
        return en if self.lang == "en" else es

    def _cut(self, full: int, floor: int) -> int:
        return full if self.budget >= 1 else min(full, max(floor, math.ceil(full * self.budget)))


def start_chapter(smoke: Optional[bool] = None, seed: int = 0, budget: Optional[float] = None,
                  lang: str = "en") -> ChapterRun:
    """The first call of every chapter: decide smoke/full mode, pick the device, seed everything,
    set plot defaults and print one line saying how the chapter runs. Smoke mode runs PyTorch on
    one CPU thread, so its outputs are the same on any machine of the same kind. In full mode a
    long ``fit`` on a CPU says, after timing its first steps, how long it will take
    (``train.pace``).

    ``budget`` is the chapter's papermill parameter ``BUDGET`` (None: ``GANSRC_BUDGET``, else 1);
    it shortens full mode only (smoke mode has its own short settings). ``lang`` is the
    chapter's ``LANG`` ("en" or "es"): the language of the figures and warnings gansrc writes."""
    text.set_language(lang)
    run = ChapterRun(smoke_mode(smoke), pick_device(), seed, training_budget(budget), lang)
    if run.smoke:
        # One CPU thread: a reduction split over a different number of threads adds in a
        # different order, so stored outputs are reproducible only at a fixed thread count.
        # It also lets the build run two chapters side by side on two cores.
        torch.set_num_threads(1)
        run.budget = 1.0
    from .train.pace import announce

    announce(None if run.smoke else run.budget)  # full mode on a CPU: each long fit says how long it takes
    seed_everything(seed)
    try:
        import matplotlib as mpl

        mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.spines.top": False, "axes.spines.right": False})
    except ImportError:  # pragma: no cover
        pass
    print(describe_runtime(run.smoke, run.device, run.budget))
    return run


__all__ = [
    "ChapterRun", "__version__", "data_dir", "describe_runtime", "on_colab", "pick_device", "progress",
    "repo_root", "runs_dir", "seed_everything", "smoke_mode", "start_chapter", "training_budget",
    "use_google_drive",
]
