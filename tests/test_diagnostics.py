"""The training diagnostics: each warning fires in a situation built to cause it, once, and a
healthy run stays quiet."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from gansrc import losses
from gansrc.data import TensorBatches, load_bundled_mnist
from gansrc.models import MLPDiscriminator, MLPGenerator, load_classifier
from gansrc.train import GANTrainer, NonFiniteLossError, TrainingDiagnostics, gradient_norm, sample_spread
from gansrc.train import diagnostics as dg


@pytest.fixture(scope="module")
def digits():
    return load_bundled_mnist().images[:2000]


def watcher(**kwargs) -> tuple[TrainingDiagnostics, list[str]]:
    printed: list[str] = []
    return TrainingDiagnostics(printer=printed.append, **kwargs), printed


def feed(diag, rows, log_every=50):
    """Call the diagnostics as a trainer would at each log (a trainer without samples)."""
    trainer = SimpleNamespace(step=0, log_every=log_every)
    for means in rows:
        trainer.step += log_every
        diag(trainer, means)


HEALTHY = {"loss_d": 1.2, "loss_g": 0.9, "d_real": 0.62, "d_fake": 0.38, "grad_g": 1.5}


def test_discriminator_winning_is_reported_once_after_a_sustained_window():
    diag, printed = watcher(window=5)
    winning = dict(HEALTHY, d_real=0.995, d_fake=0.004)
    feed(diag, [winning] * 4)
    assert diag.found == []  # four logs are not yet a sustained window
    feed(diag, [winning] * 10)
    assert diag.kinds == [dg.DISCRIMINATOR_WINS] and len(printed) == 1
    assert "discriminator is winning outright" in printed[0] and "D(G(z)) = 0.004" in printed[0]


def test_a_short_spell_of_confidence_is_not_reported():
    diag, printed = watcher(window=5)
    winning = dict(HEALTHY, d_real=0.995, d_fake=0.004)
    feed(diag, ([winning] * 4 + [HEALTHY]) * 5)
    assert printed == []


def test_vanishing_generator_gradients_are_reported_once():
    diag, printed = watcher(window=3)
    feed(diag, [dict(HEALTHY, grad_g=2.0)] * 3 + [dict(HEALTHY, grad_g=0.004)] * 8)
    assert diag.kinds == [dg.VANISHING_GRADIENTS] and len(printed) == 1
    assert "gradients have vanished" in printed[0] and "0.2%" in printed[0]


def test_gradients_that_merely_shrink_are_not_reported():
    diag, printed = watcher(window=3)
    feed(diag, [dict(HEALTHY, grad_g=g) for g in (4.0, 3.0, 1.0, 0.5, 0.3, 0.2, 0.2, 0.2)])
    assert printed == []


def test_sample_spread_is_zero_for_identical_images_and_counts_groups_apart():
    same = torch.ones(8, 1, 4, 4)
    assert sample_spread(same) == 0.0
    two_kinds = torch.cat([torch.ones(4, 1, 4, 4), -torch.ones(4, 1, 4, 4)])
    assert sample_spread(two_kinds) > 0
    assert sample_spread(two_kinds, groups=torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])) == 0.0


class NoiseIgnored(nn.Module):
    """A generator with the classic bug: it never looks at its noise."""

    def __init__(self, latent_dim: int = 8) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.image = nn.Parameter(torch.zeros(1, 1, 28, 28))

    def forward(self, z):
        return torch.tanh(self.image).expand(len(z), -1, -1, -1) + 0 * z.sum()


def small_trainer(digits, generator=None, **kwargs) -> GANTrainer:
    torch.manual_seed(0)
    generator = generator if generator is not None else MLPGenerator(8, hidden=(64,))
    return GANTrainer(generator, MLPDiscriminator(hidden=(64,)), TensorBatches(digits, batch_size=32, seed=0),
                      latent_dim=8, log_every=10, **kwargs)


def test_mode_collapse_is_seen_in_the_samples(digits):
    diag, printed = watcher(warmup=20, check_every=10, n_samples=64)
    trainer = small_trainer(digits, NoiseIgnored(), diagnostics=diag)
    trainer.fit(40, show_progress=False)
    assert diag.kinds == [dg.MODE_COLLAPSE] and len(printed) == 1
    assert "mode-collapsed: the samples are nearly alike (their spread is 0%" in printed[0]


def sampler(batches: list):
    """A stand-in trainer whose generator returns the given batches of images, one per check."""
    queue = list(batches)
    trainer = SimpleNamespace(step=0, log_every=10, latent_dim=4, num_classes=None, device=torch.device("cpu"),
                              batches=SimpleNamespace(images=queue[0]))
    trainer.sample = lambda z, labels=None: queue.pop(0) if len(queue) > 1 else queue[0]
    return trainer


def run_checks(diag, trainer, n_checks: int) -> None:
    for _ in range(n_checks):
        trainer.step += trainer.log_every
        diag(trainer, {})


def test_a_class_histogram_that_loses_its_variety_is_mode_collapse(digits):
    labels = load_bundled_mnist().labels[:2000]
    varied, ones = digits[:128], digits[labels == 1][:128]
    diag, printed = watcher(warmup=0, check_every=10, classifier=load_classifier())
    run_checks(diag, sampler([varied, varied, ones, ones]), 4)
    assert diag.kinds == [dg.MODE_COLLAPSE]
    assert "the classifier reads 100% of 128 samples as the digit 1" in printed[0] and "down from 3." in printed[0]
    assert "nearly alike" not in printed[0]  # different handwritten ones still differ from each other


def test_a_generator_that_never_had_variety_is_not_called_collapsed(digits):
    labels = load_bundled_mnist().labels[:2000]
    diag, printed = watcher(warmup=0, check_every=10, classifier=load_classifier())
    run_checks(diag, sampler([digits[labels == 8][:128]]), 6)  # the blob phase of early training
    assert printed == []


def test_nan_loss_is_explained_before_the_trainer_stops(digits):
    calls = {"n": 0}

    def generator_loss(logits):  # healthy for 14 steps, then NaN
        calls["n"] += 1
        loss = losses.nonsaturating_generator_loss(logits)
        return loss * torch.nan if calls["n"] >= 15 else loss

    diag, printed = watcher()
    poisoned = losses.AdversarialLoss("NaN from step 15", losses.bce_discriminator_loss, generator_loss)
    trainer = small_trainer(digits, loss=poisoned, diagnostics=diag)
    with pytest.raises(NonFiniteLossError, match="step 15"):
        trainer.fit(40, show_progress=False)
    assert diag.kinds == [dg.NONFINITE] and len(printed) == 1
    assert printed[0].startswith("Warning at step 15: a loss became NaN or infinite") and "loss_D was" in printed[0]


def test_a_healthy_run_stays_quiet_and_diagnostics_do_not_change_training(digits):
    diag, printed = watcher(warmup=50, check_every=25, classifier=load_classifier())
    watched = small_trainer(digits, diagnostics=diag)
    watched.fit(150, show_progress=False)
    assert printed == [] and diag.found == []
    assert diag._last_check > 0 and "grad_g" in watched.history  # the checks did run
    unwatched = small_trainer(digits, diagnostics=False)
    unwatched.fit(150, show_progress=False)
    assert unwatched.diagnostics is None
    for a, b in zip(watched.generator.state_dict().values(), unwatched.generator.state_dict().values()):
        assert torch.equal(a, b)


def test_diagnostics_are_on_by_default_and_not_added_twice(digits):
    assert isinstance(small_trainer(digits).diagnostics, TrainingDiagnostics)
    mine = TrainingDiagnostics()
    trainer = small_trainer(digits, callbacks=[mine])
    assert trainer.diagnostics is mine and trainer.callbacks.count(mine) == 1


def test_gradient_norm_matches_the_norm_of_all_gradients():
    net = nn.Linear(3, 2)
    assert gradient_norm(net).item() == 0.0
    net(torch.ones(4, 3)).sum().backward()
    expected = torch.cat([p.grad.flatten() for p in net.parameters()]).norm()
    assert torch.allclose(gradient_norm(net), expected)
