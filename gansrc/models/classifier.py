"""The book's MNIST classifier (chapter 01), reused as the feature extractor of the metrics."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
from torch import Tensor, nn

from ..data.batches import to_signed_float
from ..files import atomic_save
from ..runtime import data_dir

WEIGHTS_FILE = "mnist_classifier.pt"


class MNISTClassifier(nn.Module):
    """Two convolution blocks (conv 3x3, ReLU, 2x2 max pool) and a two-layer head.

    Input: digits (N, 1, 28, 28) in [-1, 1]. ``features`` gives the 128-dimensional
    penultimate activations; ``forward`` gives the 10 class logits.
    """

    num_features = 128

    def __init__(self, width: int = 32, dropout: float = 0.25) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, kernel_size=3, padding=1),       # 28x28 -> 28x28
            nn.ReLU(),
            nn.MaxPool2d(2),                                     # -> 14x14
            nn.Conv2d(width, 2 * width, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),                                     # -> 7x7
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, self.num_features),
            nn.ReLU(),
        )
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(self.num_features, 10)
        # Set after training so that features() has unit root-mean-square on real digits,
        # which puts FID and KID on the scale readers know from Inception features.
        self.register_buffer("feature_scale", torch.ones(()))

    def _hidden(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"MNISTClassifier expects (N, 1, 28, 28) images, got {tuple(x.shape)}.")
        return self.head(self.body(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 128 penultimate activations, scaled to unit RMS on real digits (used by the metrics)."""
        return self._hidden(x) * self.feature_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self._hidden(x)))

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``features(x)`` and ``forward(x)`` from one pass through the convolutions."""
        hidden = self._hidden(x)
        return hidden * self.feature_scale, self.out(self.dropout(hidden))

    @torch.no_grad()
    def calibrate_features(self, images: torch.Tensor) -> float:
        """Set ``feature_scale`` so that ``features`` of ``images`` (real digits) have unit RMS."""
        was_training = self.training
        self.eval()
        device = self.feature_scale.device
        squares = [self._hidden(to_signed_float(images[i: i + 1000].to(device))).pow(2).mean() for i in range(0, len(images), 1000)]
        self.feature_scale.fill_(1.0 / torch.stack(squares).mean().sqrt())
        self.train(was_training)
        return float(self.feature_scale)


@torch.no_grad()
def predict(model: nn.Module, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Predicted labels for uint8 or [-1, 1] images, in eval mode, batch by batch."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = [model(to_signed_float(images[i: i + batch_size].to(device))).argmax(1).cpu()
           for i in range(0, len(images), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def accuracy(model: nn.Module, images: Tensor, labels: Tensor) -> float:
    """Fraction of ``images`` whose predicted label equals ``labels``."""
    return (predict(model, images) == labels.cpu()).float().mean().item()


def save_classifier(model: MNISTClassifier, path: Path) -> Path:
    """Save the weights only (a small file that loads with ``weights_only=True``)."""
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    return atomic_save({"format": "gansrc.mnist_classifier/1", "state_dict": state}, Path(path))


def load_classifier(path: Optional[Path] = None, device: torch.device | str = "cpu") -> MNISTClassifier:
    """The trained classifier from ``data/mnist_classifier.pt`` (or ``path``), in eval mode."""
    path = Path(path) if path is not None else data_dir() / WEIGHTS_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"Classifier weights {path} are missing. They ship with the repository; "
            "regenerate them with `make classifier` (chapter 01 explains the training)."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model = MNISTClassifier()
        model.load_state_dict(payload["state_dict"])
    except Exception as exc:
        raise ValueError(f"{path} is not a valid MNIST classifier weights file ({exc}).") from exc
    return model.to(device).eval().requires_grad_(False)
