import pytest
import torch

from gansrc import losses as L
from gansrc.data import Deluxe, DiffAugment, TensorBatches, load_bundled_mnist
from gansrc.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, MNISTClassifier
from gansrc.train import (
    CheckpointDir, CheckpointError, ClassifierTrainer, GANTrainer, NonFiniteLossError, load_checkpoint,
)

DATA = load_bundled_mnist().images[:512]


def make_gan(checkpoint_dir=None, seed=0, dcgan=False, batch_augment=None, **kw):
    torch.manual_seed(seed)
    if dcgan:  # the chapter 03 models, narrow
        g, d = DCGANGenerator(28, 1, latent_dim=8, width=4), DCGANDiscriminator(28, 1, width=4)
    else:
        g = MLPGenerator(latent_dim=8, hidden=(32,))
        d = MLPDiscriminator(hidden=(32,), dropout=0.3)  # dropout uses the global RNG: resume must restore it
    batches = TensorBatches(DATA, batch_size=32, seed=seed, augment=batch_augment)
    return GANTrainer(g, d, batches, latent_dim=8, seed=seed, log_every=5, sample_every=10, checkpoint_dir=checkpoint_dir, checkpoint_every=10, **kw)


def params(trainer):
    return {f"{m}.{k}": v.clone() for m, model in trainer.models.items() for k, v in model.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize("d_steps,g_steps", [(1, 1), (2, 1), (1, 2)])
def test_resume_is_bit_identical(tmp_path, d_steps, g_steps):
    straight = make_gan(d_steps=d_steps, g_steps=g_steps)
    straight.fit(40, show_progress=False)

    first = make_gan(tmp_path, d_steps=d_steps, g_steps=g_steps)
    first.fit(20, show_progress=False)  # "the notebook disconnects" here
    del first
    resumed = make_gan(tmp_path, d_steps=d_steps, g_steps=g_steps)
    resumed.fit(40, show_progress=False)
    assert resumed.step == 40
    assert_same(params(straight), params(resumed))
    assert straight.history == resumed.history
    assert [s for s, _ in straight.snapshots] == [s for s, _ in resumed.snapshots]
    for (_, a), (_, b) in zip(straight.snapshots, resumed.snapshots):
        assert torch.equal(a, b)


def adam_steps(optimizer):
    """How many steps an Adam optimiser has taken (every parameter's state counts them)."""
    counts = {int(state["step"]) for state in optimizer.state.values()}
    assert len(counts) == 1, counts
    return counts.pop()


@pytest.mark.parametrize("d_steps,g_steps", [(1, 1), (1, 2), (3, 1), (2, 3)])
def test_each_step_takes_d_steps_and_g_steps_optimiser_steps(d_steps, g_steps):
    trainer = make_gan(d_steps=d_steps, g_steps=g_steps)
    trainer.fit(5, show_progress=False)
    assert adam_steps(trainer.optimizers["discriminator"]) == 5 * d_steps
    assert adam_steps(trainer.optimizers["generator"]) == 5 * g_steps


def test_a_second_generator_step_changes_the_generator_only():
    one = make_gan()
    one.fit(1, show_progress=False)
    two = make_gan(g_steps=2)  # built after one's run: D's dropout draws from the seeded global RNG
    two.fit(1, show_progress=False)
    # the discriminator's single step saw the same batch and the same fakes in both runs
    assert_same({k: v for k, v in params(one).items() if k.startswith("discriminator.")},
                {k: v for k, v in params(two).items() if k.startswith("discriminator.")})
    changed = [k for k, v in params(one).items()
               if k.startswith("generator.") and not torch.equal(v, params(two)[k])]
    assert changed, "g_steps=2 left the generator as one step does"


CHAPTER_03_OPTIONS = {
    "smoothing": dict(label_smoothing=0.1),
    "dragan": dict(gradient_penalty=10.0),
    "diffaugment": dict(augment=DiffAugment()),
    "deluxe batches": dict(batch_augment=Deluxe()),
    "dcgan, all of them, 2 G steps": dict(dcgan=True, label_smoothing=0.1, gradient_penalty=1.0, augment=DiffAugment(), g_steps=2),
}


@pytest.mark.parametrize("options", CHAPTER_03_OPTIONS.values(), ids=CHAPTER_03_OPTIONS.keys())
def test_resume_is_bit_identical_with_the_chapter_03_options(tmp_path, options):
    straight = make_gan(**options)
    straight.fit(30, show_progress=False)
    make_gan(tmp_path, **options).fit(20, show_progress=False)
    resumed = make_gan(tmp_path, **options)
    resumed.fit(30, show_progress=False)
    assert_same(params(straight), params(resumed))
    assert straight.history == resumed.history


def test_options_change_training_and_gp_is_logged():
    plain = make_gan()
    plain.fit(10, show_progress=False)
    for options in CHAPTER_03_OPTIONS.values():
        if options.get("dcgan"):
            continue
        other = make_gan(**options)
        history = other.fit(10, show_progress=False)
        assert any(not torch.equal(a, b) for a, b in zip(params(plain).values(), params(other).values()))
        assert ("gp" in history) == bool(options.get("gradient_penalty"))


def test_label_smoothing_reaches_the_discriminator_loss_only():
    seen = []

    def recording_d_loss(real, fake, real_target=1.0):
        seen.append(real_target)
        return L.bce_discriminator_loss(real, fake, real_target)

    loss = L.AdversarialLoss("recording", recording_d_loss, L.nonsaturating_generator_loss)
    make_gan(loss=loss, label_smoothing=0.1, d_steps=2).fit(3, show_progress=False)
    assert seen == [pytest.approx(0.9)] * 6
    seen.clear()
    make_gan(loss=loss).fit(2, show_progress=False)
    assert seen == [1.0, 1.0]


def test_smoothing_matches_binary_cross_entropy_with_soft_targets():
    import torch.nn.functional as F

    real, fake = torch.randn(16), torch.randn(16)
    expected = F.binary_cross_entropy_with_logits(real, torch.full((16,), 0.9)) + F.binary_cross_entropy_with_logits(fake, torch.zeros(16))
    torch.testing.assert_close(L.bce_discriminator_loss(real, fake, real_target=0.9), expected)


def test_diffaugment_is_applied_to_real_and_fake_in_both_steps():
    calls = []

    class Spy(DiffAugment):
        def __call__(self, x, generator=None):
            calls.append(x.requires_grad)
            return super().__call__(x, generator)

    make_gan(augment=Spy()).fit(1, show_progress=False)
    # D step: real, fake (detached); G step: fake, with the gradient flowing back to G
    assert calls == [False, False, True]


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="label_smoothing"):
        make_gan(label_smoothing=1.0)
    with pytest.raises(ValueError, match="gradient_penalty"):
        make_gan(gradient_penalty=-1.0)


def test_classifier_trainer_resumes_exactly(tmp_path):
    def make(ckpt=None):
        torch.manual_seed(0)
        labels = load_bundled_mnist().labels[:512]
        return ClassifierTrainer(MNISTClassifier(width=4), TensorBatches(DATA, labels, batch_size=64), log_every=3, checkpoint_dir=ckpt, checkpoint_every=4)

    a = make()
    a.fit(12, show_progress=False)
    b = make(tmp_path)
    b.fit(6, show_progress=False)
    c = make(tmp_path)
    c.fit(12, show_progress=False)
    assert_same(params(a), params(c))


def test_history_and_snapshots(tmp_path):
    t = make_gan()
    h = t.fit(20, show_progress=False)
    assert h["step"] == [5, 10, 15, 20]
    assert set(h) == {"step", "loss_d", "loss_g", "d_real", "d_fake", "grad_g"}
    assert all(0 <= v <= 1 for v in h["d_real"] + h["d_fake"])
    assert [s for s, _ in t.snapshots] == [1, 10, 20]
    assert t.snapshots[0][1].dtype == torch.uint8 and t.snapshots[0][1].shape == (64, 1, 28, 28)


def test_checkpoints_are_pruned_and_written_whole(tmp_path):
    t = make_gan(tmp_path, keep_last=2)
    t.fit(50, show_progress=False)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ckpt-00000040.pt", "ckpt-00000050.pt"]  # no temporary files left behind
    state = load_checkpoint(tmp_path / "ckpt-00000050.pt")
    assert state["step"] == 50 and state["kind"] == "GANTrainer"


def test_damaged_newest_checkpoint_falls_back_to_previous(tmp_path, capsys):
    make_gan(tmp_path).fit(30, show_progress=False)
    newest = tmp_path / "ckpt-00000030.pt"
    newest.write_bytes(newest.read_bytes()[:1000])  # truncated, as by a crash mid-copy
    t = make_gan(tmp_path)
    assert t.resume() and t.step == 20
    out = capsys.readouterr().out
    assert "Skipping damaged checkpoint" in out and "ckpt-00000030.pt" in out


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    make_gan(tmp_path).fit(10, show_progress=False)
    torch.manual_seed(0)
    other = GANTrainer(MLPGenerator(latent_dim=8, hidden=(64,)), MLPDiscriminator(hidden=(32,)), TensorBatches(DATA, batch_size=32), latent_dim=8, checkpoint_dir=tmp_path)
    with pytest.raises(CheckpointError, match="different generator architecture"):
        other.resume()


def test_not_a_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "ckpt-00000001.pt").write_text("hello")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(tmp_path / "ckpt-00000001.pt")
    assert CheckpointDir(tmp_path).latest() is None


def test_nan_loss_stops_with_the_step_and_keeps_last_good_checkpoint(tmp_path):
    t = make_gan(tmp_path)
    t.fit(10, show_progress=False)
    with torch.no_grad():
        t.discriminator.net[-1].weight.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="step 11") as err:
        t.fit(20, show_progress=False)
    assert "ckpt-00000010.pt" in str(err.value)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt-00000010.pt"]


def test_minimax_and_lsgan_losses_train(tmp_path):
    for loss in (L.MINIMAX, L.LEAST_SQUARES):
        t = make_gan(loss=loss)
        h = t.fit(10, show_progress=False)
        assert all(torch.isfinite(torch.tensor(h["loss_g"])))


def test_conditional_gan_calls_networks_with_labels():
    class CondG(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(10, 8)
            self.net = MLPGenerator(latent_dim=8, hidden=(16,))

        def forward(self, z, y):
            return self.net(z + self.emb(y))

    class CondD(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = MLPDiscriminator(hidden=(16,))
            self.emb = torch.nn.Embedding(10, 1)

        def forward(self, x, y):
            return self.net(x) + self.emb(y).squeeze(1)

    labels = load_bundled_mnist().labels[:512]
    t = GANTrainer(CondG(), CondD(), TensorBatches(DATA, labels, batch_size=32), latent_dim=8, num_classes=10, sample_every=5)
    t.fit(5, show_progress=False)
    assert t.sample(10, labels=torch.arange(10)).shape == (10, 1, 28, 28)
