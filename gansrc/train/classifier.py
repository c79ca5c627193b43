"""Supervised training of the book's MNIST classifier (chapter 01) on the shared loop."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.batches import TensorBatches
from ..models.classifier import MNISTClassifier, accuracy, save_classifier
from ..text import tr
from .settings import check_optimizer
from .trainer import Trainer


class ClassifierTrainer(Trainer):
    """Cross-entropy training with Adam; logs the loss and the batch accuracy."""

    def __init__(self, model: nn.Module, batches: TensorBatches, *, lr: float = 1e-3, device: torch.device | str = "cpu", **kwargs) -> None:
        check_optimizer(lr, (0.9, 0.999))
        model.to(device)
        super().__init__({"classifier": model}, {"classifier": torch.optim.Adam(model.parameters(), lr=lr)}, batches, device=device, desc=kwargs.pop("desc", tr("classifier_progress")), **kwargs)
        self.model = model
        self.record_settings(lr=lr)

    def train_step(self) -> dict[str, Tensor]:
        x, y = self.next_batch()
        opt = self.optimizers["classifier"]
        with self.precision.autocast():
            logits = self.model(x).float()
            loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        self.precision.step("classifier", loss, opt)
        return {"loss": loss.detach(), "accuracy": (logits.detach().argmax(1) == y).float().mean()}


def train_mnist_classifier(
    train_images: Tensor,
    train_labels: Tensor,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    device: torch.device | str = "cpu",
    seed: int = 0,
    log_every: int = 20,
) -> tuple[nn.Module, dict[str, list[float]]]:
    """Train the book's ``MNISTClassifier`` (the recipe of chapter 01); returns it and its history."""
    torch.manual_seed(seed)
    model = MNISTClassifier()
    batches = TensorBatches(train_images, train_labels, batch_size=batch_size, device=device, seed=seed)
    trainer = ClassifierTrainer(model, batches, lr=lr, device=device, seed=seed, log_every=log_every)
    history = trainer.fit(epochs * batches.steps_per_epoch)
    model.calibrate_features(train_images)
    return model.eval(), history


def main() -> None:  # python -m gansrc.train.classifier
    import argparse
    from pathlib import Path

    from ..data.mnist import load_mnist
    from ..runtime import pick_device

    parser = argparse.ArgumentParser(description="Train the MNIST classifier the metrics use (chapter 01's recipe).")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    device = pick_device()
    train = load_mnist("train")
    if train.source.startswith("full"):
        test = load_mnist("test")
    else:  # offline: hold out the last 2,000 of the bundled 10,000 images
        train, test = train.split(8000)
    model, _ = train_mnist_classifier(train.images, train.labels, epochs=args.epochs, device=device, seed=args.seed)
    acc = accuracy(model, test.images, test.labels)
    save_classifier(model, args.out)
    print(f"trained on {len(train):,} images ({train.source}); held-out accuracy {acc:.4f} on {len(test):,}; saved {args.out}")


if __name__ == "__main__":
    main()
