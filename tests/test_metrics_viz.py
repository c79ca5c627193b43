import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from gansrc import metrics, viz  # noqa: E402
from gansrc.data import load_bundled_mnist, to_signed_float  # noqa: E402
from gansrc.models import load_classifier, predict  # noqa: E402

DS = load_bundled_mnist()
CLF = load_classifier()


def test_fid_orders_real_before_noise():
    a, b = DS.images[:1000], DS.images[1000:2000]
    noise = torch.randint(0, 256, (1000, 1, 28, 28), dtype=torch.uint8)
    same = metrics.fid_kid(a, b, CLF)
    bad = metrics.fid_kid(a, noise, CLF)
    assert 0 <= same["fid"] < bad["fid"]
    assert same["kid"] < bad["kid"]


def test_fid_of_a_set_with_itself_is_near_zero():
    a = DS.images[:600]
    assert abs(metrics.fid_kid(a, a, CLF)["fid"]) < 1e-3


def test_kid_does_not_disturb_the_global_rng():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    metrics.fid_kid(DS.images[:300], DS.images[300:600], CLF)
    assert torch.equal(torch.rand(3), expected)


def test_the_real_floor_shuffles_an_ordered_set():
    """Two halves of a set sorted by digit are far apart when split in order, close when the
    floor draws them at random; the draw is seeded and its halves disjoint."""
    ordered = DS.images[DS.labels.argsort(stable=True)][::10]  # 1,000 digits: 0s first, 9s last
    in_order = metrics.fid_kid(ordered[:500], ordered[500:], CLF, kid_subset_size=100)
    floor = metrics.real_floor(ordered, CLF, kid_subset_size=100)
    assert floor["fid"] < 0.1 * in_order["fid"]
    assert metrics.real_floor(ordered, CLF, kid_subset_size=100) == floor
    assert metrics.real_floor(ordered, CLF, n=600, seed=1, kid_subset_size=100)["fid"] < 0.2 * in_order["fid"]
    with pytest.raises(ValueError, match="n=1001"):
        metrics.real_floor(ordered, CLF, n=1001)


def test_class_histogram_and_entropy():
    counts = metrics.class_histogram(CLF, DS.images[:1000])
    assert counts.sum() == 1000 and counts.shape == (10,)
    assert math.isclose(metrics.histogram_entropy(torch.ones(10)), math.log2(10))
    assert metrics.histogram_entropy(torch.tensor([5, 0, 0])) == 0
    only_ones = DS.images[DS.labels == 1][:200]
    assert metrics.histogram_entropy(metrics.class_histogram(CLF, only_ones)) < 0.5  # collapse is visible


def test_label_accuracy_for_conditional_samples():
    result = metrics.evaluate_samples(CLF, DS.images[:500], DS.images[500:1000], labels=DS.labels[500:1000])
    assert result["label_accuracy"] > 0.95


def test_image_grid_shape():
    grid = viz.image_grid(DS.images[:16], nrow=4, padding=2)
    assert grid.shape == (4 * 28 + 5 * 2, 4 * 28 + 5 * 2, 1) and grid.dtype.name == "uint8"
    fig = viz.plot_history({"step": [1, 2], "loss_d": [1.0, 0.9], "loss_g": [0.7, 0.8], "d_real": [0.6, 0.5], "d_fake": [0.4, 0.5]})
    assert len(fig.axes) == 2


@pytest.mark.parametrize("n, channels, nrow, padding", [(16, 1, 4, 2), (7, 3, 3, 1), (5, 1, 8, 2), (1, 1, 8, 2),
                                                       (1, 3, 8, 2), (6, 3, 2, 0)])
def test_image_grid_has_the_pixels_of_make_grid(n, channels, nrow, padding):
    from torchvision.utils import make_grid

    images = torch.randint(0, 256, (n, channels, 5, 6), dtype=torch.uint8)
    grid = viz.image_grid(images, nrow=nrow, padding=padding, pad_value=255)
    expected = make_grid(images, nrow=nrow, padding=padding, pad_value=255)[:channels]
    assert grid.shape == expected.permute(1, 2, 0).shape
    assert (grid == expected.permute(1, 2, 0).numpy()).all()
    floats = viz.image_grid(images.float() / 127.5 - 1, nrow=nrow, padding=padding)
    assert (floats == grid).all()  # [-1, 1] floats are converted the same way


def test_feature_distances_reused_give_the_same_scores_as_fresh_ones():
    """The real features are computed once and kept: scoring two batches in turn must give
    exactly what two separate fid_kid calls give."""
    real, fake_a, fake_b = DS.images[:600], DS.images[600:1200], DS.images[1200:1800].flip(-1)
    distances = metrics.FeatureDistances(real, CLF, n_fake=600)
    assert distances(fake_a) == metrics.fid_kid(real, fake_a, CLF)
    assert distances(fake_b) == metrics.fid_kid(real, fake_b, CLF)
    assert metrics.FeatureDistances(real, CLF, kid=False)(fake_a) == {"fid": metrics.fid_kid(real, fake_a, CLF)["fid"]}


# ---------------------------------------------------------------- metrics leave the run alone
CUDA_RNG = ("manual_seed", "manual_seed_all", "seed", "seed_all", "set_rng_state", "set_rng_state_all")


def record_cuda_rng(monkeypatch) -> list[str]:
    """Record every call that would seed or set a CUDA generator (PyTorch makes them even without a GPU)."""
    calls: list[str] = []
    for name in CUDA_RNG:
        monkeypatch.setattr(torch.cuda, name, lambda *a, _name=name, **k: calls.append(_name))
    return calls


def tracked_gan(tracker=None, diagnostics=False):
    from gansrc.data import TensorBatches
    from gansrc.models import MLPDiscriminator, MLPGenerator
    from gansrc.train import GANTrainer

    torch.manual_seed(0)  # D's dropout draws from the global CPU generator: tracking must not move it
    return GANTrainer(MLPGenerator(8, hidden=(32,)), MLPDiscriminator(hidden=(32,), dropout=0.3),
                      TensorBatches(DS.images[:512], batch_size=32), latent_dim=8, log_every=5,
                      callbacks=[tracker] if tracker else [], diagnostics=diagnostics)


def test_a_tracked_run_trains_exactly_the_untracked_one():
    from gansrc.train import TrainingDiagnostics

    watcher = TrainingDiagnostics(classifier=CLF, warmup=0, check_every=5, printer=lambda line: None)
    tracker = metrics.FIDTracker(CLF, DS.images[:200], every=5, n_samples=100)
    tracked = tracked_gan(tracker, watcher)
    tracked.fit(20, show_progress=False)
    rng_tracked = torch.get_rng_state()
    untracked = tracked_gan()
    untracked.fit(20, show_progress=False)
    assert tracker.steps == [5, 10, 15, 20] and len(tracker.kid) == 4 and watcher._last_check == 20
    assert torch.equal(rng_tracked, torch.get_rng_state())
    for a, b in zip(tracked.generator.state_dict().values(), untracked.generator.state_dict().values()):
        assert torch.equal(a, b)
    assert tracked.history == untracked.history


def test_metrics_and_diagnostics_never_touch_the_cuda_generators(monkeypatch):
    from gansrc.train import TrainingDiagnostics

    calls = record_cuda_rng(monkeypatch)
    torch.manual_seed(0)
    assert calls == ["manual_seed_all"]  # the recorder works: torch.manual_seed reseeds CUDA too
    calls.clear()
    scores = metrics.fid_kid(DS.images[:300], DS.images[300:600], CLF)
    assert scores == metrics.fid_kid(DS.images[:300], DS.images[300:600], CLF)  # KID's subsets still seeded
    watcher = TrainingDiagnostics(classifier=CLF, warmup=0, check_every=5, printer=lambda line: None)
    trainer = tracked_gan(metrics.FIDTracker(CLF, DS.images[:200], every=5, n_samples=100), watcher)
    assert calls.pop() == "manual_seed_all"  # tracked_gan seeds the run itself
    trainer.fit(10, show_progress=False)
    assert calls == [] and watcher._last_check == 10


def test_snapshot_animation_has_one_frame_per_snapshot_showing_its_grid():
    from io import BytesIO

    from PIL import Image

    snapshots = [(step, torch.full((16, 1, 28, 28), 40 * i, dtype=torch.uint8)) for i, step in enumerate((1, 50, 100))]
    picture = Image.open(BytesIO(viz.snapshot_animation(snapshots, scale=2)))
    assert picture.format == "PNG" and picture.is_animated and picture.n_frames == 3
    for i in range(3):
        picture.seek(i)
        frame = np.asarray(picture.convert("L"))
        assert frame.shape == (2 * (4 * 30 + 2) + 14, 2 * (4 * 30 + 2))
        assert frame[14 + 2 * 2 + 5, 2 * 2 + 5] == 40 * i  # inside the first digit
    with pytest.raises(ValueError, match="sample_every"):
        viz.snapshot_animation([])


def test_gan_diagram_draws_the_labels_it_is_given():
    labels = dict(noise="ruido z", generator="generador G", loss_d="pérdida de D", loss_g="pérdida de G")
    fig = viz.gan_diagram(**labels)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert set(labels.values()) <= texts and "fake G(z)" in texts
    plt.close(fig)


def _png_width(fig) -> int:
    import io
    import struct

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")  # what the notebook stores
    return struct.unpack(">II", buffer.getvalue()[16:24])[0]


def test_image_figures_stay_readable_at_every_image_size():
    """A grid of 256x256 images is at most MAX_FIGURE_PIXELS wide (it was 3,900-7,300 px);
    28x28 grids keep their natural size, so the smoke-mode figures do not change."""
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"figure.dpi": 100, "savefig.dpi": 100}):
        large = torch.randint(0, 256, (10, 3, 256, 256), dtype=torch.uint8)
        for fig in (viz.show_images(large[:8], nrow=8),
                    viz.show_image_rows([("input", large), ("output", large)], title="256x256")):
            assert fig.get_size_inches()[0] * fig.dpi <= 1600
            assert _png_width(fig) <= 1600
            plt.close(fig)
        small = viz.show_images(DS.images[:32], nrow=16)  # chapter 00's grid: 16 x (28 + 2) + 2 pixels
        assert tuple(small.get_size_inches()) == (0.6 * 482 / 32, 0.6 * 62 / 32)
        assert small.axes[0].get_images()[0].get_interpolation() == "nearest"
        rows = viz.show_image_rows([("a", DS.images[:10]), ("b", DS.images[10:20])])
        assert tuple(rows.get_size_inches()) == (0.9 * 10 * 28 / 32 + 1.2, 0.9 * 2 * 28 / 32)
        plt.close("all")


def test_feature_distances_read_the_fakes_classes_from_the_same_pass():
    """What gan_scores counts for the class histogram: the classes of the last fakes scored,
    equal to what predict gives, and those of the next batch after another call."""
    real, fake_a, fake_b = DS.images[:600], DS.images[600:1700], DS.images[1700:1900].flip(-1)
    distances = metrics.FeatureDistances(real, CLF, kid=False)
    assert distances.fake_classes is None
    distances(fake_a)
    assert torch.equal(distances.fake_classes, predict(CLF, fake_a))
    distances(fake_b)
    assert torch.equal(distances.fake_classes, predict(CLF, fake_b))
    features, logits = CLF.features_and_logits(to_signed_float(fake_b[:50]))
    assert torch.equal(features, CLF.features(to_signed_float(fake_b[:50])))
    assert torch.equal(logits, CLF(to_signed_float(fake_b[:50])))
