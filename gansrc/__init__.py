"""gansrc: the code of the runnable GAN textbook.

Read it in this order: ``runtime`` (device, seeds, smoke mode), ``data``, ``models``,
``losses``, ``train`` (the loop, the GAN trainer, checkpoints), ``metrics``, ``viz``; then
``style`` (neural style transfer, chapter 07), which optimises pixels instead of training.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

__version__ = "0.1.0"

from .runtime import (  # noqa: E402
    data_dir, describe_runtime, on_colab, pick_device, progress, repo_root, runs_dir, seed_everything, smoke_mode,
    use_google_drive,
)


@dataclass
class ChapterRun:
    """What a chapter needs to know about how it runs."""

    smoke: bool
    device: torch.device
    seed: int


def start_chapter(smoke: Optional[bool] = None, seed: int = 0) -> ChapterRun:
    """The first call of every chapter: decide smoke/full mode, pick the device, seed everything,
    set plot defaults and print one line saying how the chapter runs. Smoke mode runs PyTorch on
    one CPU thread, so its outputs are the same on any machine of the same kind."""
    run = ChapterRun(smoke_mode(smoke), pick_device(), seed)
    if run.smoke:
        # One CPU thread: a reduction split over a different number of threads adds in a
        # different order, so stored outputs are reproducible only at a fixed thread count.
        # It also lets the build run two chapters side by side on two cores.
        torch.set_num_threads(1)
    seed_everything(seed)
    try:
        import matplotlib as mpl

        mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.spines.top": False, "axes.spines.right": False})
    except ImportError:  # pragma: no cover
        pass
    print(describe_runtime(run.smoke, run.device))
    return run


__all__ = [
    "ChapterRun", "__version__", "data_dir", "describe_runtime", "on_colab", "pick_device", "progress",
    "repo_root", "runs_dir", "seed_everything", "smoke_mode", "start_chapter", "use_google_drive",
]
