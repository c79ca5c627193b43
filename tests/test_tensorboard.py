"""The TensorBoard callback: what it writes is read back from the event file."""
import pytest
import torch

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from gansrc.data import TensorBatches, load_bundled_mnist  # noqa: E402
from gansrc.models import MLPDiscriminator, MLPGenerator  # noqa: E402
from gansrc.train import GANTrainer, TensorBoardLogger  # noqa: E402


def tiny_gan(callbacks=(), checkpoint_dir=None):
    torch.manual_seed(0)
    g, d = MLPGenerator(latent_dim=8, hidden=(16,)), MLPDiscriminator(hidden=(16,))
    batches = TensorBatches(load_bundled_mnist().images[:256], batch_size=32, seed=0)
    return GANTrainer(g, d, batches, latent_dim=8, log_every=5, n_samples=16, callbacks=list(callbacks),
                      diagnostics=False, checkpoint_dir=checkpoint_dir, checkpoint_every=10)


def read(log_dir):
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def test_scalars_and_sample_grids_are_in_the_event_file(tmp_path):
    logger = TensorBoardLogger(tmp_path / "tb", image_every=10, n_images=16, nrow=4)
    trainer = tiny_gan([logger])
    history = trainer.fit(20, show_progress=False)
    logger.close()
    events = read(tmp_path / "tb")
    tags = events.Tags()
    assert set(tags["scalars"]) == {f"train/{k}" for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_g")}
    for name in ("loss_d", "loss_g", "d_real"):
        logged = events.Scalars(f"train/{name}")
        assert [e.step for e in logged] == history["step"] == [5, 10, 15, 20]
        assert [e.value for e in logged] == pytest.approx(history[name], rel=1e-6)
    assert tags["images"] == ["samples"]
    images = events.Images("samples")
    assert [e.step for e in images] == [10, 20]
    # a 4 x 4 grid of 28 x 28 digits with 2-pixel borders
    assert (images[-1].width, images[-1].height) == (4 * 30 + 2, 4 * 30 + 2)


def test_the_grid_is_the_fixed_noise_samples_and_logging_does_not_change_the_run(tmp_path):
    logger = TensorBoardLogger(tmp_path / "tb", image_every=5, n_images=4, nrow=2)
    logged = tiny_gan([logger])
    logged.fit(10, show_progress=False)
    plain = tiny_gan()  # built after the first run: each seeds the global generator (dropout) anew
    plain.fit(10, show_progress=False)
    assert logged.history == plain.history
    for a, b in zip(logged.generator.state_dict().values(), plain.generator.state_dict().values()):
        assert torch.equal(a, b)
    grid = logger.sample_grid(logged)
    assert grid.shape == (3, 2 * 30 + 2, 2 * 30 + 2) and grid.dtype == torch.uint8
    first = ((logged.sample(z=logged.fixed_z[:1]) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    assert torch.equal(grid[0, 2:30, 2:30], first[0, 0])
    logger.close()


def test_a_resumed_run_writes_each_step_once(tmp_path):
    tb, ckpt = tmp_path / "tb", tmp_path / "ckpt"
    first = TensorBoardLogger(tb)
    crashed = tiny_gan([first], ckpt)
    crashed.fit(20, show_progress=False)
    first.close()
    crashed.checkpoints.paths()[-1].unlink()  # the session died after logging step 20, before its checkpoint
    second = TensorBoardLogger(tb)
    tiny_gan([second], ckpt).fit(20, show_progress=False)  # resumes at step 10, logs 15 and 20 again
    second.close()
    assert [e.step for e in read(tb).Scalars("train/loss_d")] == [5, 10, 15, 20]


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="image_every"):
        TensorBoardLogger(tmp_path, image_every=-1)
    with pytest.raises(ValueError, match="n_images"):
        TensorBoardLogger(tmp_path, n_images=0)
