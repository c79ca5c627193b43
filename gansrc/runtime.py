"""Where the code runs and how: device, seeds, smoke mode, progress bars, data paths.

Every chapter starts with these helpers (chapter 00 explains them).
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import Iterable, Optional

import torch

from .text import tr

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_flag(name: str) -> Optional[bool]:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={os.environ[name]!r} is not understood: use 1 or 0.")


def smoke_mode(flag: Optional[bool] = None) -> bool:
    """Return True when a chapter should run its reduced "smoke" settings.

    ``flag`` is the chapter's papermill parameter ``SMOKE``: True or False wins; None (the
    default a reader gets) falls back to the ``GANSRC_SMOKE`` environment variable, which the
    book build and ``pytest --nbval`` set. Unset means full mode.
    """
    if flag is not None:
        return bool(flag)
    return bool(_env_flag("GANSRC_SMOKE"))


def training_budget(budget: Optional[float] = None) -> float:
    """The fraction of each full-mode training length a chapter runs, in (0, 1].

    ``budget`` is the chapter's papermill parameter ``BUDGET``; None falls back to the
    ``GANSRC_BUDGET`` environment variable, and unset means 1 (the whole run).
    """
    source = "BUDGET"
    if budget is None:
        value = os.environ.get("GANSRC_BUDGET", "").strip()
        if not value:
            return 1.0
        source = "GANSRC_BUDGET"
        try:
            budget = float(value)
        except ValueError:
            raise ValueError(f"GANSRC_BUDGET={value!r} is not a number: use a fraction such as 0.01 (1 runs everything).") from None
    budget = float(budget)
    if not 0 < budget <= 1:
        raise ValueError(f"{source}={budget} is outside (0, 1]: it is the fraction of each training length to run.")
    return budget


def on_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def pick_device(preferred: Optional[str] = None) -> torch.device:
    """Choose CUDA, then Apple's MPS, then the CPU.

    ``preferred`` (or the ``GANSRC_DEVICE`` environment variable) forces one, e.g. "cpu"
    for a reproducible run; asking for a device that is not there is an error, not a
    silent fallback.
    """
    source = "pick_device's argument" if preferred else "GANSRC_DEVICE"
    raw = preferred or os.environ.get("GANSRC_DEVICE") or ""
    name = raw.strip().lower()
    if name:
        try:
            device = torch.device(name)
        except (RuntimeError, ValueError) as exc:
            raise ValueError(
                f"{source}={raw!r} is not a device PyTorch knows: use cpu, cuda, cuda:0 (a GPU's number) or mps"
                + (", or unset GANSRC_DEVICE to pick the best device automatically." if source == "GANSRC_DEVICE" else ".")
            ) from exc
        if device.type not in ("cpu", "cuda", "mps"):
            raise ValueError(f"{source}={raw!r}: the book runs on cpu, cuda or mps, not {device.type}.")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"Device {name!r} was requested but PyTorch sees no CUDA GPU here. "
                "Use 'cpu', or unset GANSRC_DEVICE to pick the best device automatically."
            )
        if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
            raise RuntimeError(f"{source}={raw!r} asks for GPU {device.index}, but this machine has "
                               f"{torch.cuda.device_count()} (numbered from 0).")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"Device {name!r} was requested but MPS is not available here.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0, deterministic: bool = False) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA); return a CPU generator seeded alike.

    With ``deterministic=True`` PyTorch is also told to use deterministic algorithms, so two
    runs with the same seed give identical weights on the CPU.
    """
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=False)
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return torch.Generator().manual_seed(seed)


def repo_root() -> Path:
    """The folder that holds ``gansrc/`` and ``data/`` (a clone of the book's repository)."""
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The bundled data folder: ``GANSRC_DATA`` if set, else ``data/`` beside the package."""
    env = os.environ.get("GANSRC_DATA")
    if env and not Path(env).is_dir():
        raise FileNotFoundError(f"GANSRC_DATA={env!r} is not a folder: point it at a folder holding the book's data "
                                "(a copy of data/), or unset it to use the bundled one.")
    return Path(env) if env else repo_root() / "data"


def runs_dir() -> Path:
    """Where chapters write checkpoints and downloads: ``GANSRC_RUNS`` or ``runs/``."""
    env = os.environ.get("GANSRC_RUNS")
    return Path(env) if env else repo_root() / "runs"


DRIVE_KEEP = (2, 1)  # checkpoints a run keeps on Google Drive while it trains, and once finished


def kept_checkpoints() -> tuple[int, int]:
    """How many checkpoints a run keeps while it trains and once it has finished.

    ``GANSRC_KEEP_CHECKPOINTS="2,1"`` (what ``use_google_drive`` sets, so that every chapter's
    runs fit a free 15 GB Drive) or ``"3"``; unset means 3 and 3.
    """
    raw = os.environ.get("GANSRC_KEEP_CHECKPOINTS", "").strip()
    if not raw:
        return 3, 3
    try:
        numbers = [int(part) for part in raw.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (1, 2) or min(numbers) < 1:
        raise ValueError(f"GANSRC_KEEP_CHECKPOINTS={raw!r} is not understood: use a count such as 3, or two "
                         "counts such as 2,1 (while a run trains, once it has finished).")
    return numbers[0], numbers[-1]


def use_google_drive(smoke: bool = False, folder: str = "gan-textbook-runs",
                     mount_point: str = "/content/drive") -> Path:
    """On Colab, mount Google Drive and keep checkpoints and downloads there (chapter 00).

    Call it once before a chapter's training cells: it sets ``GANSRC_RUNS``, so every
    ``runs_dir()`` below it, and with it every trainer's ``checkpoint_dir``, lives on Drive and
    survives a disconnected session; running the training cell again resumes. On Drive a run
    keeps its 2 newest checkpoints while it trains and only its last once it has finished
    (``DRIVE_KEEP``). In smoke mode (``smoke=True``, which writes no checkpoints) it does nothing;
    elsewhere than on Colab it says so and leaves ``runs_dir()`` as it is.
    """
    if smoke:
        return runs_dir()
    try:
        from google.colab import drive  # type: ignore[import-not-found]
    except ImportError:
        print(tr("drive_not_colab", folder=runs_dir()))
        return runs_dir()
    drive.mount(mount_point)
    target = Path(mount_point) / "MyDrive" / folder
    target.mkdir(parents=True, exist_ok=True)
    os.environ["GANSRC_RUNS"] = str(target)
    os.environ["GANSRC_KEEP_CHECKPOINTS"] = ",".join(map(str, DRIVE_KEEP))
    print(tr("drive_mounted", target=target, keep=DRIVE_KEEP[0]))
    return target


def progress(iterable: Optional[Iterable] = None, **kwargs):
    """A tqdm progress bar: a widget in Jupyter, text in a terminal.

    When ``GANSRC_TEXT_PROGRESS=1`` (set for the book build and the notebook tests) it is a
    plain text bar on stdout that only redraws rarely, so stored outputs stay short.
    """
    if _env_flag("GANSRC_TEXT_PROGRESS"):
        from tqdm.std import tqdm

        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("mininterval", 3600.0)
        kwargs.setdefault("ascii", True)
        kwargs.setdefault("ncols", 100)
        return tqdm(iterable, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)


def describe_runtime(smoke: bool, device: torch.device, budget: float = 1.0) -> str:
    """One line that says how this chapter is running (shown at the top of every chapter)."""
    mode = tr("mode_smoke") if smoke else tr("mode_full")
    if not smoke and budget < 1:
        mode = tr("mode_budget", budget=budget)
    where = device.type.upper()
    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    versions = f"gansrc {__import__('gansrc').__version__} | torch {torch.__version__.split('+')[0]}"
    return f"{versions} | {tr('runtime_line', where=where, mode=mode)}"
