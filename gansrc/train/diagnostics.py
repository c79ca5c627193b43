"""Training diagnostics: warnings in plain words when a GAN run goes wrong (chapter 02).

``TrainingDiagnostics`` is a trainer callback (``GANTrainer`` adds one unless told not to).
At every log it reads the averaged numbers the trainer already keeps, and every few logs it
looks at a small batch of samples drawn from its own fixed noise, so it never changes the
training run. It prints one warning per problem, once per run, in the chapter's language (``gansrc.text``):

* the discriminator wins outright: D(x) near 1 and D(G(z)) near 0 for a sustained window;
* mode collapse: the samples look alike (their spread is a small fraction of the real
  images'), or, with a ``classifier``, they are read as only a few digits after having
  covered many (early in training every sample is the same blob: that is not collapse);
* vanishing generator gradients: the generator's gradient norm stays far below its peak;
* NaN: a loss became NaN or infinite; the trainer stops, and the warning says why.

What was found is kept in ``found`` (a list of ``Diagnosis``) for code and tests to read.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch import Tensor, nn

from ..data.batches import to_signed_float
from ..metrics import class_histogram
from ..text import tr

DISCRIMINATOR_WINS = "discriminator_wins"
MODE_COLLAPSE = "mode_collapse"
VANISHING_GRADIENTS = "vanishing_gradients"
NONFINITE = "nonfinite"


@dataclass(frozen=True)
class Diagnosis:
    """One warning: the step it was raised at, its kind (one of the constants above), the text."""

    step: int
    kind: str
    message: str


def _write(line: str) -> None:
    """Print a line without breaking a progress bar that is being drawn."""
    from tqdm import tqdm

    tqdm.write(line, file=sys.stdout)


def sample_spread(images: Tensor, groups: Optional[Tensor] = None) -> float:
    """Mean distance between two images of the same group (all one group by default).

    A generator that makes the same picture for every z has spread 0; compare with the
    spread of real images to judge (``TrainingDiagnostics`` does)."""
    flat = to_signed_float(images).flatten(1).float()
    groups = torch.zeros(len(flat), dtype=torch.long, device=flat.device) if groups is None else groups.to(flat.device)
    distances = torch.cdist(flat, flat)
    same = (groups[:, None] == groups[None, :]) & ~torch.eye(len(flat), dtype=torch.bool, device=flat.device)
    if not same.any():
        return float("nan")
    return float(distances[same].mean())


class TrainingDiagnostics:
    """Watches a GAN training run and warns, once per kind, in plain words.

    ``window`` is how many consecutive logs a symptom must last (so one bad interval is not
    reported); the sample checks run every ``check_every`` steps (default: every fourth log)
    from ``warmup`` steps on, on ``n_samples`` images, and need two bad checks in a row.
    Pass the book's MNIST ``classifier`` to also watch the class histogram.
    """

    def __init__(
        self,
        *,
        window: int = 5,
        d_real_above: float = 0.95,
        d_fake_below: float = 0.05,
        gradient_ratio: float = 0.02,
        spread_ratio: float = 0.2,
        classifier: Optional[nn.Module] = None,
        entropy_below: float = 1.6,
        check_every: Optional[int] = None,
        warmup: int = 200,
        n_samples: int = 128,
        seed: int = 2024,
        printer: Callable[[str], None] = _write,
    ) -> None:
        self.window, self.d_real_above, self.d_fake_below = window, d_real_above, d_fake_below
        self.gradient_ratio, self.spread_ratio = gradient_ratio, spread_ratio
        self.classifier, self.entropy_below = classifier, entropy_below
        self.check_every, self.warmup, self.n_samples, self.seed = check_every, warmup, n_samples, seed
        self.printer = printer
        self.found: list[Diagnosis] = []
        self._wins_streak = 0
        self._weak_streak = 0
        self._peak_gradient = 0.0
        self._collapse_streak = 0
        self._best_entropy = 0.0
        self._last_check = 0
        self._real_spread: Optional[float] = None
        self._last: dict[str, float] = {}

    _STATE = ("_wins_streak", "_weak_streak", "_peak_gradient", "_collapse_streak", "_best_entropy", "_last_check",
              "_real_spread", "_last")

    def state_dict(self) -> dict:
        """What was found and the running streaks (the trainer stores them in its checkpoints)."""
        state = {name: getattr(self, name) for name in self._STATE}
        state["found"] = [{"step": d.step, "kind": d.kind, "message": d.message} for d in self.found]
        return state

    def load_state_dict(self, state: dict) -> None:
        for name in self._STATE:
            if name in state:
                setattr(self, name, state[name])
        self.found = [Diagnosis(d["step"], d["kind"], d["message"]) for d in state.get("found", [])]

    @property
    def kinds(self) -> list[str]:
        """The kinds of problem found so far, in order."""
        return [d.kind for d in self.found]

    def _warn(self, step: int, kind: str, message: str) -> None:
        if kind in self.kinds:
            return
        self.found.append(Diagnosis(step, kind, message))
        self.printer(tr("warning_at", step=step, message=message))

    # ------------------------------------------------------------------ at every log
    def __call__(self, trainer, means: dict[str, float]) -> None:
        self._last = dict(means)
        self._check_discriminator(trainer, means)
        self._check_gradients(trainer, means)
        every = self.check_every or 4 * trainer.log_every
        if trainer.step >= self.warmup and trainer.step - self._last_check >= every and hasattr(trainer, "sample"):
            self._last_check = trainer.step
            self._check_samples(trainer)

    def _check_discriminator(self, trainer, means: dict[str, float]) -> None:
        if "d_real" not in means or "d_fake" not in means:
            return
        winning = means["d_real"] > self.d_real_above and means["d_fake"] < self.d_fake_below
        self._wins_streak = self._wins_streak + 1 if winning else 0
        if self._wins_streak >= self.window:
            steps = self.window * trainer.log_every
            self._warn(trainer.step, DISCRIMINATOR_WINS, tr(
                "discriminator_wins", steps=steps, d_real=means["d_real"], d_fake=means["d_fake"]))

    def _check_gradients(self, trainer, means: dict[str, float]) -> None:
        norm = means.get("grad_g")
        if norm is None or not math.isfinite(norm):
            return
        self._peak_gradient = max(self._peak_gradient, norm)
        weak = norm < self.gradient_ratio * self._peak_gradient
        self._weak_streak = self._weak_streak + 1 if weak else 0
        if self._weak_streak >= self.window:
            self._warn(trainer.step, VANISHING_GRADIENTS, tr(
                "vanishing_gradients", norm=norm, ratio=norm / self._peak_gradient, peak=self._peak_gradient,
                steps=self.window * trainer.log_every))

    @torch.no_grad()
    def _check_samples(self, trainer) -> None:
        n = self.n_samples
        z = torch.randn(n, trainer.latent_dim, generator=torch.Generator().manual_seed(self.seed)).to(trainer.device)
        labels = (torch.arange(n) % trainer.num_classes).to(trainer.device) if trainer.num_classes else None
        fake = trainer.sample(z=z, labels=labels)
        if self._real_spread is None:
            real = trainer.batches.images[:n]
            real_labels = trainer.batches.labels[:n] if trainer.num_classes and trainer.batches.labels is not None else None
            self._real_spread = sample_spread(real, real_labels)
        spread = sample_spread(fake, labels) / max(self._real_spread, 1e-12)
        symptoms = []
        if spread < self.spread_ratio:
            symptoms.append(tr("samples_alike", spread=spread))
        counts = self._class_counts(fake)
        if counts is not None:
            p = counts.double() / counts.sum()
            entropy = max(0.0, float(-(p[p > 0] * p[p > 0].log2()).sum()))
            self._best_entropy = max(self._best_entropy, entropy)
            # Early on every sample is the same kind of blob; collapse is losing variety once had.
            if entropy < self.entropy_below and self._best_entropy >= self.entropy_below + 1.0:
                top = counts.argsort(descending=True)
                covered, names = 0, []
                for digit in top.tolist():
                    covered += int(counts[digit])
                    names.append(str(digit))
                    if covered >= 0.9 * n:
                        break
                several = len(names) > 1
                symptoms.append(tr(
                    "classifier_reads", share=covered / n, n=n, plural="s" if several else "",
                    article="los dígitos" if several else "el dígito", names=", ".join(names),
                    entropy=entropy, best=self._best_entropy))
        self._collapse_streak = self._collapse_streak + 1 if symptoms else 0
        if self._collapse_streak >= 2:
            self._warn(trainer.step, MODE_COLLAPSE, tr("mode_collapse", symptoms="; ".join(symptoms)))

    def _class_counts(self, fake: Tensor) -> Optional[Tensor]:
        if self.classifier is None or tuple(fake.shape[1:]) != (1, 28, 28):
            return None
        return class_histogram(self.classifier, fake)

    # ------------------------------------------------------------------ when training stops
    def on_nonfinite(self, trainer, step: int) -> None:
        """Called by the trainer just before it raises ``NonFiniteLossError``."""
        before = ""
        if self._last:
            nan = float("nan")
            before = tr("last_log", loss_d=self._last.get("loss_d", nan), loss_g=self._last.get("loss_g", nan))
        earlier = [d for d in self.found if d.kind != NONFINITE]
        if earlier:
            listed = ", ".join(tr("at_step", kind=d.kind.replace("_", " "), step=d.step) for d in earlier)
            before += tr("earlier_warnings", warnings=listed)
        self._warn(step, NONFINITE, tr("nonfinite", step=step, before=before))
