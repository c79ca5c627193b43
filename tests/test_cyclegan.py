"""Chapter 06's code: the ResNet generator, the image pool, the focal/cycle/identity losses, the
learning-rate schedule, unpaired folders and digits, and the CycleGAN trainer."""
import math

import pytest
import torch
import torch.nn.functional as F

from gansrc import losses as L
from gansrc.data import (
    ImageFolderError, UnpairedBatches, UnpairedSet, cyclegan_folder, load_bundled_mnist, load_unpaired_folder,
    plain_digits, save_unpaired_folder, to_mnist_format, unpaired_digits,
)
from gansrc.data.synthetic import digit_scenes
from gansrc.models import PatchDiscriminator, ResnetGenerator, UNetGenerator
from gansrc.train import CycleGANTrainer, ImagePool, constant_then_linear_decay

MNIST = load_bundled_mnist()
DIGITS, LABELS = MNIST.images[:300], MNIST.labels[:300]


# ---------------------------------------------------------------- generators
@pytest.mark.parametrize("size,blocks", [(16, 1), (32, 2), (64, 6)])
def test_resnet_generator_output_shape_equals_input(size, blocks):
    g = ResnetGenerator(3, 3, ngf=4, n_blocks=blocks)
    x = torch.randn(2, 3, size, size)
    y = g(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    assert sum(isinstance(m, torch.nn.ReflectionPad2d) for m in g.modules()) == 2 + 2 * blocks
    assert any(isinstance(m, torch.nn.InstanceNorm2d) for m in g.modules())


def test_resnet_generator_paper_sizes_and_channel_change():
    with torch.device("meta"):
        for blocks in (6, 9):
            g = ResnetGenerator(3, 3, ngf=64, n_blocks=blocks)
            assert g(torch.empty(1, 3, 256, 256)).shape == (1, 3, 256, 256)
            assert sum(type(m).__name__ == "ResidualBlock" for m in g.modules()) == blocks
    assert ResnetGenerator(1, 3, ngf=4, n_blocks=1)(torch.randn(1, 1, 16, 16)).shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match="divisible by 4"):
        ResnetGenerator(3, 3, ngf=4, n_blocks=1)(torch.randn(1, 3, 18, 18))


def test_residual_block_with_a_zero_body_is_the_identity():
    g = ResnetGenerator(3, 3, ngf=4, n_blocks=1)
    block = g.net[10]
    assert type(block).__name__ == "ResidualBlock"
    torch.nn.init.zeros_(block.body[-2].weight)  # the last convolution: instance norm of 0 is 0
    torch.nn.init.zeros_(block.body[-2].bias)
    x = torch.randn(2, 16, 4, 4)
    assert torch.equal(block(x), x)


def test_unet_with_instance_norm_is_the_alternative_backbone():
    g = UNetGenerator(3, 3, image_size=32, ngf=4, norm="instance", dropout=0)
    assert g(torch.randn(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in g.modules())


def test_patch_discriminator_judges_one_image_alone():
    d = PatchDiscriminator(3, ndf=4, n_layers=2, norm="instance")
    assert d(torch.randn(2, 3, 32, 32)).shape == (2, 1, 6, 6)
    with pytest.raises(ValueError, match="built for 3 channels"):
        d(torch.randn(2, 1, 32, 32))


# ---------------------------------------------------------------- losses
def test_binary_focal_loss_hand_computed():
    l3 = torch.tensor([math.log(3.0)])  # sigmoid = 0.75
    assert L.binary_focal_loss(torch.zeros(1), 1.0).item() == pytest.approx(0.25 * math.log(2))
    assert L.binary_focal_loss(l3, 1.0).item() == pytest.approx(0.25**2 * -math.log(0.75))
    assert L.binary_focal_loss(l3, 0.0).item() == pytest.approx(0.75**2 * -math.log(0.25))
    # gamma 0 is binary cross-entropy
    logits, target = torch.randn(50), torch.rand(50)
    expected = F.binary_cross_entropy_with_logits(logits, target)
    assert L.binary_focal_loss(logits, target, gamma=0.0).item() == pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(ValueError, match="gamma"):
        L.binary_focal_loss(logits, 1.0, gamma=-1)


def test_focal_pair_hand_computed_and_finite_at_extremes():
    l3 = torch.tensor([math.log(3.0)])
    d = L.FOCAL.discriminator(l3, l3).item()
    assert d == pytest.approx(0.25**2 * -math.log(0.75) + 0.75**2 * -math.log(0.25))
    assert L.FOCAL.generator(l3).item() == pytest.approx(0.25**2 * -math.log(0.75))
    extreme = torch.tensor([-200.0, 200.0])
    assert torch.isfinite(L.FOCAL.discriminator(extreme, extreme)) and torch.isfinite(L.FOCAL.generator(extreme))
    assert "focal" in L.FOCAL.name


def test_cycle_and_identity_losses_hand_computed():
    real = torch.zeros(1, 1, 2, 2)
    other = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]]])
    assert L.cycle_loss(real, other).item() == pytest.approx(0.625)
    assert L.identity_loss(real, other).item() == pytest.approx(0.625)
    assert L.cycle_loss(other, other).item() == 0
    with pytest.raises(ValueError, match="same shape"):
        L.cycle_loss(real, torch.zeros(1, 1, 3, 3))


# ---------------------------------------------------------------- learning-rate schedule
def test_constant_then_linear_decay_values():
    f = constant_then_linear_decay(3, 4)
    assert [f(i) for i in range(9)] == [1, 1, 1, 1, 0.75, 0.5, 0.25, 0, 0]
    assert constant_then_linear_decay(0, 0)(0) == 0
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, f)
    seen = []
    for _ in range(8):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.2, 0.2, 0.2, 0.2, 0.15, 0.1, 0.05, 0.0])
    with pytest.raises(ValueError):
        constant_then_linear_decay(-1, 5)


# ---------------------------------------------------------------- image pool
def _numbered(first, n):
    """n 1x2x2 images whose pixels all hold their number."""
    return torch.arange(first, first + n, dtype=torch.float32)[:, None, None, None].expand(n, 1, 2, 2).clone()


def _ids(images):
    return images[:, 0, 0, 0].tolist()


def test_pool_of_size_zero_passes_images_through():
    pool = ImagePool(0)
    x = _numbered(0, 5)
    assert torch.equal(pool.query(x), x) and len(pool) == 0


def test_pool_fills_up_returning_new_images_then_caps_at_capacity():
    pool = ImagePool(4, seed=0)
    assert _ids(pool.query(_numbered(0, 3))) == [0, 1, 2]
    out = pool.query(_numbered(3, 3))  # image 3 fills the last slot; 4 and 5 may be swapped
    assert out.shape == (3, 1, 2, 2) and len(pool) == 4 == pool.capacity
    assert _ids(out)[0] == 3
    for _ in range(20):
        assert pool.query(_numbered(100, 6)).shape == (6, 1, 2, 2)
    assert len(pool) == 4


def test_pool_mixes_new_and_stored_images_half_and_half():
    pool = ImagePool(10, seed=1)
    pool.query(_numbered(0, 10))
    stored = set(_ids(pool.images))
    swapped = 0
    for k in range(2000):
        new = 1000 + k
        (out,) = _ids(pool.query(_numbered(new, 1)))
        if out != new:  # an old image came back, and the new one took its place
            assert out in stored
            swapped += 1
            stored.remove(out)
            stored.add(new)
        assert set(_ids(pool.images)) == stored
    assert 0.45 < swapped / 2000 < 0.55


def test_pool_is_reproducible_and_its_state_restores_it():
    def queries(pool, n=30):
        return [pool.query(_numbered(10 * k, 3)) for k in range(n)]

    a, b, c = ImagePool(5, seed=7), ImagePool(5, seed=7), ImagePool(5, seed=8)
    qa, qb, qc = queries(a), queries(b), queries(c)
    assert all(torch.equal(x, y) for x, y in zip(qa, qb))
    assert not all(torch.equal(x, y) for x, y in zip(qa, qc))
    restored = ImagePool(5, seed=99)
    restored.load_state_dict(a.state_dict())
    assert all(torch.equal(x, y) for x, y in zip(queries(a), queries(restored)))
    with pytest.raises(ValueError, match="held 5 images"):
        ImagePool(50).load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match="capacity"):
        ImagePool(-1)


# ---------------------------------------------------------------- unpaired data
def test_unpaired_digits_come_from_disjoint_images_and_keep_labels():
    ids = torch.arange(len(DIGITS))  # "labels" that name the MNIST image each domain used
    data = unpaired_digits(DIGITS, ids, 40, 60, size=16, seed=3)
    assert data.a.shape == (40, 3, 16, 16) and data.b.shape == (60, 3, 16, 16)
    assert not set(data.labels_a.tolist()) & set(data.labels_b.tolist())
    assert torch.equal(data.b, plain_digits(DIGITS[data.labels_b], 16))
    real = unpaired_digits(DIGITS, LABELS, 40, 60, size=16, seed=3)
    assert torch.equal(real.labels_a, LABELS[data.labels_a]) and torch.equal(real.a, data.a)
    with pytest.raises(ValueError, match="n_a"):
        unpaired_digits(DIGITS, LABELS, 200, 200)


def test_digit_scenes_in_order_paint_digit_i_in_scene_i():
    scenes = digit_scenes(6, DIGITS[:3], size=16, digit_scale=(1.0, 1.0), in_order=True, seed=0)
    ink = F.interpolate(DIGITS[:3].float() / 255, size=(16, 16), mode="bilinear", align_corners=False)
    expected = (ink > 0.5).to(torch.uint8) * 255
    assert torch.equal(scenes.b, torch.cat([expected, expected]))


def test_plain_digits_round_trip_to_the_classifier_format():
    plain = plain_digits(DIGITS[:8], 32)
    assert plain.shape == (8, 3, 32, 32) and plain.dtype == torch.uint8
    back = to_mnist_format(plain)
    assert back.shape == (8, 1, 28, 28) and back.min() >= -1 and back.max() <= 1
    assert (back - to_mnist_format(DIGITS[:8])).abs().mean() < 0.1


def test_unpaired_folder_round_trip_with_unequal_domains(tmp_path):
    data = unpaired_digits(DIGITS, LABELS, 7, 12, size=16, seed=0)
    save_unpaired_folder(data, tmp_path, "train")
    save_unpaired_folder(data.reversed(), tmp_path, "test")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["testA", "testB", "trainA", "trainB"]
    loaded = load_unpaired_folder(tmp_path, "train")
    assert torch.equal(loaded.a, data.a) and torch.equal(loaded.b, data.b)
    assert len(loaded.a) == 7 and len(loaded.b) == 12 and loaded.labels_a is None
    test = load_unpaired_folder(tmp_path, "test", size=8, channels=1)
    assert test.a.shape == (12, 1, 8, 8) and test.b.shape == (7, 1, 8, 8)
    save_unpaired_folder(unpaired_digits(DIGITS, LABELS, 3, 2, size=16, seed=1), tmp_path, "train")  # smaller: no stale files
    smaller = load_unpaired_folder(tmp_path, "train")
    assert len(smaller.a) == 3 and len(smaller.b) == 2


def test_unpaired_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(ImageFolderError, match="does not exist"):
        load_unpaired_folder(tmp_path / "nowhere")
    (tmp_path / "trainA").mkdir()
    with pytest.raises(ImageFolderError, match="no trainB folder .*trainA.*layout is root/trainA"):
        load_unpaired_folder(tmp_path)
    (tmp_path / "trainB").mkdir()
    save_unpaired_folder(unpaired_digits(DIGITS, LABELS, 2, 2, size=8), tmp_path / "other")
    for f in (tmp_path / "other" / "trainA").iterdir():
        f.rename(tmp_path / "trainA" / f.name)
    with pytest.raises(ImageFolderError, match="trainB contains no images"):
        load_unpaired_folder(tmp_path)
    (tmp_path / "trainB" / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(ImageFolderError, match="broken.png.*corrupt"):
        load_unpaired_folder(tmp_path)


def test_cyclegan_folder_falls_back_offline(tmp_path, capsys, no_network):
    fallback = tmp_path / "digits"
    assert cyclegan_folder("horse2zebra", download=False, fallback=fallback, root=tmp_path) == fallback
    assert capsys.readouterr().out == ""
    assert cyclegan_folder("horse2zebra", download=True, fallback=fallback, root=tmp_path) == fallback
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "could not be downloaded" in out and "Traceback" not in out
    with pytest.raises(ValueError, match="unknown CycleGAN data set"):
        cyclegan_folder("cats", download=False, fallback=fallback)


def test_unpaired_batches_draw_each_domain_independently():
    data = UnpairedSet(torch.zeros(10, 3, 4, 4, dtype=torch.uint8), torch.full((6, 3, 4, 4), 255, dtype=torch.uint8))
    batches = UnpairedBatches(data, batch_size=3, seed=0)
    for _ in range(5):
        a, b = batches.next()
        assert a.shape == b.shape == (3, 3, 4, 4) and (a == -1).all() and (b == 1).all()
    state = batches.state_dict()
    assert state["a"]["epoch"] == 1 and state["b"]["epoch"] == 2


# ---------------------------------------------------------------- the trainer
TASK = unpaired_digits(DIGITS, LABELS, 48, 40, size=16, seed=0)


def make_cyclegan(checkpoint_dir=None, backbone="resnet", **kw):
    torch.manual_seed(0)
    if backbone == "resnet":
        g, f = ResnetGenerator(3, 3, ngf=4, n_blocks=1), ResnetGenerator(3, 3, ngf=4, n_blocks=1)
    else:
        g, f = (UNetGenerator(3, 3, image_size=16, ngf=4, norm="instance", dropout=0) for _ in range(2))
    d_a, d_b = (PatchDiscriminator(3, ndf=4, n_layers=1, norm="instance") for _ in range(2))
    kw.setdefault("pool_size", 3)
    return CycleGANTrainer(g, f, d_a, d_b, UnpairedBatches(TASK, batch_size=2, seed=0), lr=1e-3, log_every=3,
                           sample_every=4, fixed_a=TASK.a[:2], fixed_b=TASK.b[:2], checkpoint_dir=checkpoint_dir,
                           checkpoint_every=6, **kw)


def params(trainer):
    return {f"{m}.{k}": v.clone() for m, model in trainer.models.items() for k, v in model.state_dict().items()}


def test_trainer_runs_and_logs_finite_losses():
    trainer = make_cyclegan()
    history = trainer.fit(6, show_progress=False)
    for key in ("loss_d_a", "loss_d_b", "loss_g_gan", "cycle", "identity"):
        assert len(history[key]) == 2 and all(math.isfinite(v) for v in history[key]), key
    assert history["identity"][-1] > 0
    assert [s for s, _, _ in trainer.snapshots] == [1, 4]
    assert trainer.snapshots[0][1].shape == (2, 3, 16, 16) and trainer.snapshots[0][1].dtype == torch.uint8


def test_resume_is_bit_identical_with_pools_and_schedule(tmp_path):
    options = dict(constant_steps=4, decay_steps=10)
    straight = make_cyclegan(**options)
    straight.fit(12, show_progress=False)
    make_cyclegan(tmp_path, **options).fit(6, show_progress=False)  # "the notebook disconnects" here
    resumed = make_cyclegan(tmp_path, **options)
    resumed.fit(12, show_progress=False)
    assert resumed.step == 12
    a, b = params(straight), params(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert straight.history == resumed.history
    assert straight.lr == resumed.lr == pytest.approx(1e-3 * 0.2)
    assert torch.equal(straight.pool_a.images, resumed.pool_a.images)
    assert [s[0] for s in straight.snapshots] == [s[0] for s in resumed.snapshots]


@pytest.mark.parametrize("options", [dict(lambda_cycle=0.0), dict(lambda_identity=0.0), dict(pool_size=0),
                                     dict(loss=L.NON_SATURATING), dict(loss=L.FOCAL), dict(backbone="unet")],
                         ids=["no cycle", "no identity", "no pool", "bce", "focal", "unet"])
def test_every_ablation_switch_trains_and_changes_the_run(options):
    base = make_cyclegan()
    base.fit(4, show_progress=False)
    other = make_cyclegan(**options)
    history = other.fit(4, show_progress=False)
    assert all(math.isfinite(v) for key in history for v in history[key])
    assert history["cycle"][-1] > 0  # logged even when it is not trained on
    if options.get("lambda_identity") == 0.0:
        assert history["identity"] == [0.0, 0.0]
    pa, pb = params(base), params(other)
    assert pa.keys() != pb.keys() or any(not torch.equal(pa[k], pb[k]) for k in pa)


def test_trainer_refuses_negative_weights():
    with pytest.raises(ValueError, match="cannot be negative"):
        make_cyclegan(lambda_cycle=-1.0)
