"""The shipped files of a trained model: its generators' weights and a JSON record, checked on loading.

``data/trained/NAME.pt`` holds the generators' weights only (float16, a ``weights_only``
file: tensors and plain containers, never code). ``data/trained/NAME.json`` is its record: the
recipe, steps, wall time, device, torch version, date, the git commit it was trained from, the
SHA-256 of the weights file, the training curves and the metrics measured at the end.
``load_trained(NAME)`` checks the file against the record before it builds anything.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
from torch import nn

from ..runtime import data_dir
from ..files import atomic_save, atomic_write
from ..train.checkpoint import CheckpointError, check_weights
from .build import build_network
from .recipes import RECIPES

FORMAT = "gansrc.trained/1"


class TrainedModelError(RuntimeError):
    """A shipped model that cannot be used as it is (the message names the file and what to do)."""


def trained_dir() -> Path:
    """The folder of the shipped trained models: ``trained/`` in the bundled data folder."""
    return data_dir() / "trained"


def weights_path(name: str, folder: Optional[Path] = None) -> Path:
    return Path(folder or trained_dir()) / f"{name}.pt"


def record_path(name: str, folder: Optional[Path] = None) -> Path:
    return Path(folder or trained_dir()) / f"{name}.json"


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_state(networks: dict[str, nn.Module]) -> dict:
    """What a weights file holds: each network's state dict, floating-point tensors in float16."""
    states = {role: {k: (v.detach().half() if v.is_floating_point() else v.detach()).cpu().contiguous()
                     for k, v in net.state_dict().items()} for role, net in networks.items()}
    return {"format": FORMAT, "networks": states}


def save_weights(networks: dict[str, nn.Module], path: Path) -> Path:
    """``weights_state(networks)`` written atomically to ``path``."""
    return atomic_save(weights_state(networks), path)


def write_record(record: dict, path: Path) -> Path:
    """The record as indented JSON, written atomically."""
    text = json.dumps(record, indent=1, allow_nan=True) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode()))


def read_record(name: str, folder: Optional[Path] = None) -> dict:
    """The record of the shipped model ``name``, or a TrainedModelError that says how to make it."""
    path = record_path(name, folder)
    if not path.exists():
        known = f"Train it with `python -m gansrc.trained train {name}` (or `make trained`)." if name in RECIPES else \
            f"No recipe is called {name!r} either; the recipes are: {', '.join(RECIPES)}."
        raise TrainedModelError(f"No trained model {name!r}: its record {path} is missing. {known}")
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrainedModelError(f"The record {path} cannot be read ({exc}); restore it from the repository "
                                f"(git checkout {path.name}) or retrain the model.") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise TrainedModelError(f"{path} is not a record of a trained gansrc model (format {FORMAT!r}).")
    return record


@dataclass
class TrainedModel:
    """A shipped model, loaded and checked: its ``record`` and its ``networks`` by role (eval mode)."""

    name: str
    record: dict
    networks: dict[str, nn.Module]

    @property
    def generator(self) -> nn.Module:
        """The generator (for CycleGAN, ``networks["generator_ab"]`` and ``["generator_ba"]``)."""
        if "generator" not in self.networks:
            raise KeyError(f"{self.name} has the networks {sorted(self.networks)}; pick one of them.")
        return self.networks["generator"]

    def __getitem__(self, role: str) -> nn.Module:
        return self.networks[role]


def load_trained(name: str, folder: Optional[Path] = None, device: torch.device | str = "cpu") -> TrainedModel:
    """The shipped model ``name``, rebuilt from its record and loaded in float32 on ``device``.

    Refuses, with a TrainedModelError that names the file, a missing record or weights file,
    weights whose SHA-256 differs from the record's, and weights of another architecture than
    the recipe the record describes (every tensor must fit: a strict load).
    """
    record = read_record(name, folder)
    path = weights_path(name, folder)
    if not path.exists():
        raise TrainedModelError(f"The weights of {name!r} are missing: {path} does not exist, although its record "
                                f"does. Restore it from the repository or retrain: python -m gansrc.trained train {name}.")
    found, expected = sha256(path), record.get("weights_sha256")
    if found != expected:
        raise TrainedModelError(
            f"{path} does not match its record: its SHA-256 is {found[:16]}..., the record {record_path(name, folder).name} "
            f"says {str(expected)[:16]}... The file was changed, damaged or comes from another training run: restore "
            f"both files from the repository (git checkout), or retrain with python -m gansrc.trained train {name}.")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise TrainedModelError(f"{path} cannot be read as weights ({type(exc).__name__}); restore it or retrain.") from exc
    recipe = record["recipe"]
    states = saved.get("networks", {}) if isinstance(saved, dict) else {}
    networks = {}
    for role in recipe["ships"]:
        cls, kwargs = recipe["models"][role]
        net = build_network(cls, kwargs)
        if role not in states:
            raise TrainedModelError(f"{path} holds no weights for the {role} (it has {sorted(states)}).")
        try:
            check_weights(states[role], net.state_dict(), role, str(path))
            net.load_state_dict(states[role], strict=True)
        except (CheckpointError, RuntimeError) as exc:
            raise TrainedModelError(
                f"The weights in {path} are not those of the {role} its record describes ({cls} with {kwargs}): "
                f"{exc} The networks of gansrc have changed since it was trained: retrain it with "
                f"python -m gansrc.trained train {name}.") from exc
        networks[role] = net.to(device).eval()
    return TrainedModel(name, record, networks)
