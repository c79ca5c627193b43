"""Chapter 05's code: U-Net, PatchGAN, the A|B format, the digit scenes, the trainer, the scores."""
import numpy as np
import pytest
import torch
from PIL import Image

from gansrc.data import ImageFolderError, PairedSet, TensorBatches, load_bundled_mnist, load_paired_folder, pix2pix_folder, random_jitter, save_paired_folder
from gansrc.data.synthetic import digit_scenes
from gansrc.losses import l1_loss
from gansrc.metrics import segmentation_scores
from gansrc.models import PatchDiscriminator, UNetGenerator, patchgan_receptive_field, receptive_field, unet_depth
from gansrc.train import CheckpointError, Pix2PixTrainer, translate

DIGITS = load_bundled_mnist().images[:200]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)  # tiny models: one thread is fastest (tests/conftest.py restores the count)


# ---------------------------------------------------------------- U-Net
@pytest.mark.parametrize("size,depth", [(8, 3), (16, 4), (32, 5), (64, 6), (128, 7), (256, 8), (512, 9)])
def test_unet_keeps_the_image_size_and_goes_down_to_1x1(size, depth):
    g = UNetGenerator(3, 1, image_size=size, ngf=4)
    assert g.depth == depth == unet_depth(size)
    x = torch.randn(2, 3, size, size)
    h = x
    for down in g.downs:
        h = down(h)
    assert h.shape[-2:] == (1, 1)
    y = g(x)
    assert y.shape == (2, 1, size, size) and y.abs().max() <= 1


@pytest.mark.parametrize("size", [0, 4, 24, 48, 100, 255, 257])
def test_unet_refuses_sizes_it_cannot_halve_to_1x1(size):
    with pytest.raises(ValueError, match="power of two"):
        UNetGenerator(3, 3, image_size=size)


def test_unet_with_explicit_depth_and_wrong_input_size():
    g = UNetGenerator(3, 3, image_size=48, depth=4, ngf=4)  # 48 -> 3x3 bottleneck
    assert g(torch.randn(1, 3, 48, 48)).shape == (1, 3, 48, 48)
    with pytest.raises(ValueError, match="divisible by 32"):
        UNetGenerator(3, 3, image_size=48, depth=5)
    with pytest.raises(ValueError, match=r"built for images of shape \(N, 3, 48, 48\)"):
        g(torch.randn(1, 3, 64, 64))
    with pytest.raises(ValueError, match="norm must be"):
        UNetGenerator(norm="layer")


def test_unet_paper_configuration():
    g = UNetGenerator(3, 3, image_size=256)
    assert g.channels == [64, 128, 256, 512, 512, 512, 512, 512]
    # decoder inputs: the bottleneck, then (decoder output + skip): CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128
    assert [up[1].in_channels for up in g.ups] == [512, 1024, 1024, 1024, 1024, 512, 256, 128]
    assert sum(isinstance(m, torch.nn.Dropout) for m in g.modules()) == 3
    assert sum(p.numel() for p in g.parameters()) == 54_413_955  # "54.414 M", as the authors' PyTorch code prints for unet_256


def test_skips_concatenate_the_mirrored_encoder_output():
    torch.manual_seed(0)
    g = UNetGenerator(3, 2, image_size=32, ngf=4).eval()
    encoder, decoder_inputs = [], []
    hooks = [d.register_forward_hook(lambda m, i, o: encoder.append(o)) for d in g.downs]
    hooks += [u.register_forward_hook(lambda m, i, o: decoder_inputs.append(i[0])) for u in g.ups]
    g(torch.randn(2, 3, 32, 32))
    for h in hooks:
        h.remove()
    n = g.depth
    assert torch.equal(decoder_inputs[0], encoder[-1])  # the bottleneck enters alone
    for k in range(1, n):  # decoder block k receives [encoder output n-1-k, its predecessor's output]
        skip = encoder[n - 1 - k]
        x = decoder_inputs[k]
        assert x.shape[1] == 2 * skip.shape[1] and x.shape[2:] == skip.shape[2:]
        assert torch.equal(x[:, :skip.shape[1]], skip)  # the skip first, as in the authors' code


def test_unet_output_depends_on_fine_detail_through_the_skips():
    """Change one input pixel: the output moves near it even though the bottleneck is 1x1."""
    torch.manual_seed(0)
    g = UNetGenerator(1, 1, image_size=16, ngf=4, dropout=0).eval()
    x = torch.zeros(1, 1, 16, 16)
    x2 = x.clone()
    x2[0, 0, 3, 3] = 1
    diff = (g(x2) - g(x)).abs()[0, 0]
    assert diff[3, 3] > 0 and diff[:8, :8].sum() > diff[8:, 8:].sum()


def test_dropout_is_the_noise_and_translate_controls_it():
    torch.manual_seed(0)
    g = UNetGenerator(3, 1, image_size=16, ngf=4, dropout_layers=2)  # 4 levels: no dropout by default
    x = torch.randn(4, 3, 16, 16)
    assert torch.equal(translate(g, x), translate(g, x))  # eval: deterministic
    assert not torch.equal(translate(g, x, dropout=True), translate(g, x, dropout=True))
    assert g.training  # mode restored


@pytest.mark.parametrize("norm", ["batch", "instance"])
def test_norm_choice(norm):
    g = UNetGenerator(3, 3, image_size=16, ngf=4, norm=norm)
    kind = torch.nn.BatchNorm2d if norm == "batch" else torch.nn.InstanceNorm2d
    assert any(isinstance(m, kind) for m in g.modules())
    assert g(torch.randn(1, 3, 16, 16)).shape == (1, 3, 16, 16)


# ---------------------------------------------------------------- PatchGAN
def test_patchgan_receptive_field_is_70_at_the_paper_setting():
    d = PatchDiscriminator(6)
    assert d.receptive_field == 70 == patchgan_receptive_field(3)
    out = d(torch.randn(1, 3, 256, 256), torch.randn(1, 3, 256, 256))
    assert out.shape == (1, 1, 30, 30)  # 30x30 overlapping 70x70 patches


@pytest.mark.parametrize("n_layers", [0, 1, 2, 3, 4, 5])
def test_receptive_field_matches_the_formula(n_layers):
    d = PatchDiscriminator(4, ndf=4, n_layers=n_layers)
    assert d.receptive_field == patchgan_receptive_field(n_layers) == 9 * 2**n_layers - 2


def test_receptive_field_is_what_one_output_unit_sees():
    """Empirically: the gradient of one output logit is non-zero exactly on an r x r square."""
    torch.manual_seed(0)
    d = PatchDiscriminator(2, ndf=4, n_layers=1).eval()  # batch norm in eval mode acts pixel by pixel
    a = torch.randn(1, 1, 64, 64, requires_grad=True)
    out = d(a, torch.randn(1, 1, 64, 64))
    out[0, 0, 10, 10].backward()
    rows, cols = np.nonzero(a.grad[0, 0].abs().numpy() > 0)
    assert rows.max() - rows.min() + 1 == cols.max() - cols.min() + 1 == d.receptive_field == 16
    assert len(rows) == 16 * 16
    assert receptive_field(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.Conv2d(1, 1, 3))) == 5


def test_patchgan_checks_its_inputs():
    d = PatchDiscriminator(4, ndf=4, n_layers=1)
    with pytest.raises(ValueError, match="built for 4 channels"):
        d(torch.randn(1, 3, 32, 32), torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match="same batch size and height/width"):
        d(torch.randn(1, 3, 32, 32), torch.randn(1, 1, 16, 16))


# ---------------------------------------------------------------- the A|B format
def _pair_image(path, a_color, b_color, w=8, h=6, b_width=None):
    a = Image.new("RGB", (w, h), a_color)
    b = Image.new("RGB", (b_width or w, h), b_color)
    both = Image.new("RGB", (w + (b_width or w), h))
    both.paste(a, (0, 0))
    both.paste(b, (w, 0))
    both.save(path)


def test_paired_folder_splits_a_from_b_and_switches_direction(tmp_path):
    (tmp_path / "train").mkdir()
    _pair_image(tmp_path / "train" / "1.png", (255, 0, 0), (0, 0, 255))
    _pair_image(tmp_path / "train" / "2.png", (0, 255, 0), (255, 255, 255))
    pairs = load_paired_folder(tmp_path, "train", "AtoB")
    assert pairs.a.shape == pairs.b.shape == (2, 3, 6, 8)
    assert pairs.a[0, :, 0, 0].tolist() == [255, 0, 0] and pairs.b[0, :, 0, 0].tolist() == [0, 0, 255]
    back = load_paired_folder(tmp_path, "train", "BtoA")
    assert torch.equal(back.a, pairs.b) and torch.equal(back.b, pairs.a)
    grey = load_paired_folder(tmp_path, "train", channels=(3, 1), size=4)
    assert grey.a.shape == (2, 3, 4, 4) and grey.b.shape == (2, 1, 4, 4)
    assert grey.b[1].min() == 255


def test_paired_folder_rejects_halves_of_different_size(tmp_path):
    (tmp_path / "train").mkdir()
    _pair_image(tmp_path / "train" / "odd.png", (255, 0, 0), (0, 0, 255), w=8, b_width=9)  # 17 px wide
    with pytest.raises(ImageFolderError, match=r"odd\.png is 17 pixels wide.*cannot be the same size"):
        load_paired_folder(tmp_path, "train")


def test_paired_folder_rejects_images_of_different_sizes_without_resize(tmp_path):
    (tmp_path / "train").mkdir()
    _pair_image(tmp_path / "train" / "a.png", (1, 2, 3), (4, 5, 6), w=8, h=6)
    _pair_image(tmp_path / "train" / "b.png", (1, 2, 3), (4, 5, 6), w=10, h=6)
    with pytest.raises(ImageFolderError, match="pass size="):
        load_paired_folder(tmp_path, "train")
    assert load_paired_folder(tmp_path, "train", size=6).a.shape == (2, 3, 6, 6)


def test_paired_folder_errors_name_the_problem(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(ImageFolderError, match="no 'val' folder.*train"):
        load_paired_folder(tmp_path, "val")
    with pytest.raises(ImageFolderError, match="contains no images"):
        load_paired_folder(tmp_path, "train")
    with pytest.raises(ValueError, match="AtoB"):
        load_paired_folder(tmp_path, "train", direction="A->B")
    (tmp_path / "train" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(ImageFolderError, match="broken.jpg"):
        load_paired_folder(tmp_path, "train")


def test_save_and_load_round_trip(tmp_path):
    pairs = digit_scenes(5, DIGITS, size=16, seed=3)
    save_paired_folder(pairs, tmp_path / "test")
    back = load_paired_folder(tmp_path, "test", channels=(3, 1))
    assert torch.equal(back.a, pairs.a) and torch.equal(back.b, pairs.b)
    with pytest.raises(ValueError, match="same number of images and the same height and width"):
        PairedSet(pairs.a, pairs.b[:, :, :8])


def test_pix2pix_download_falls_back_offline_with_one_line(no_network, tmp_path, capsys):
    fallback = tmp_path / "digits"
    assert pix2pix_folder("facades", download=False, fallback=fallback, root=tmp_path) == fallback
    assert capsys.readouterr().out == ""
    assert pix2pix_folder("facades", download=True, fallback=fallback, root=tmp_path) == fallback
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "could not be downloaded" in out and "Traceback" not in out
    with pytest.raises(ValueError, match="unknown pix2pix data set"):
        pix2pix_folder("horses", download=False, fallback=fallback)


def test_random_jitter_moves_input_and_target_together():
    torch.manual_seed(0)
    pairs = digit_scenes(8, DIGITS, size=16, seed=2)
    mask_rgb = pairs.b.expand(-1, 3, -1, -1)
    stacked = torch.cat([mask_rgb, pairs.b], dim=1).float() / 127.5 - 1  # channels 0-2 and 3 hold the same mask
    out = random_jitter(20)(stacked)
    assert out.shape == stacked.shape
    assert torch.allclose(out[:, 0], out[:, 3])
    assert not torch.allclose(out, stacked)
    with pytest.raises(ValueError, match="smaller than the images"):
        random_jitter(8)(stacked)


# ---------------------------------------------------------------- the digit scenes
def test_digit_scenes_shapes_masks_and_determinism():
    a = digit_scenes(12, DIGITS, size=32, seed=7)
    b = digit_scenes(12, DIGITS, size=32, seed=7)
    c = digit_scenes(12, DIGITS, size=32, seed=8)
    assert a.a.shape == (12, 3, 32, 32) and a.b.shape == (12, 1, 32, 32)
    assert a.a.dtype == a.b.dtype == torch.uint8
    assert set(a.b.unique().tolist()) == {0, 255}
    assert torch.equal(a.a, b.a) and torch.equal(a.b, b.b)
    assert not torch.equal(a.a, c.a)
    fraction = (a.b > 0).float().mean(dim=(1, 2, 3))
    assert (fraction > 0.03).all() and (fraction < 0.6).all()  # every scene holds a digit, none is all digit


def test_digits_are_painted_where_the_mask_says():
    torch.manual_seed(0)
    plain = [torch.full((3, 48, 48), 100, dtype=torch.uint8)]  # a flat grey "photo"
    s = digit_scenes(6, DIGITS, size=32, textures=plain, digits_per_image=(1, 3), digit_scale=(0.4, 0.6), seed=1)
    changed = (s.a.int() - 100).abs().sum(1, keepdim=True) > 0
    inside = s.b > 0
    assert changed[inside].all()  # strokes are painted (the contrast rule forbids invisible colours)
    assert changed.sum() >= inside.sum()  # anti-aliased edges are painted too, outside the thresholded mask


# ---------------------------------------------------------------- losses and scores
def test_l1_loss():
    assert l1_loss(torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)).item() == 1.0
    with pytest.raises(ValueError, match="same shape"):
        l1_loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 1, 4, 4))


def test_segmentation_scores():
    target = torch.zeros(1, 1, 4, 4, dtype=torch.uint8)
    target[..., :2, :2] = 255  # 4 foreground pixels
    pred = torch.full((1, 1, 4, 4), -1.0)
    pred[..., :2, :1] = 0.9  # 2 of them found
    pred[..., 3, 3] = 0.5  # 1 false positive
    s = segmentation_scores(pred, target)
    assert s["iou"] == pytest.approx(2 / 5)
    assert s["pixel_accuracy"] == pytest.approx(13 / 16)
    assert s["background_accuracy"] == pytest.approx(12 / 16)
    assert segmentation_scores(target, target)["iou"] == 1.0


# ---------------------------------------------------------------- the trainer
PAIRS = digit_scenes(64, DIGITS, size=16, seed=0)


def make_trainer(checkpoint_dir=None, with_d=True, lambda_l1=100.0, seed=0):
    torch.manual_seed(seed)
    g = UNetGenerator(3, 1, image_size=16, ngf=4, dropout_layers=2)  # dropout and batch norm: resume must restore the RNG
    d = PatchDiscriminator(4, ndf=4, n_layers=1) if with_d else None
    return Pix2PixTrainer(g, d, TensorBatches(PAIRS.stacked(), batch_size=8, seed=seed), in_channels=3, lambda_l1=lambda_l1,
                          log_every=3, sample_every=4, fixed_inputs=PAIRS.a[:4], checkpoint_dir=checkpoint_dir, checkpoint_every=6)


def state(trainer):
    return {f"{m}.{k}": v.clone() for m, model in trainer.models.items() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("with_d,lambda_l1", [(True, 100.0), (True, 0.0), (False, 100.0)])
def test_pix2pix_resume_is_bit_identical(tmp_path, with_d, lambda_l1):
    straight = make_trainer(with_d=with_d, lambda_l1=lambda_l1)
    straight.fit(12, show_progress=False)
    make_trainer(tmp_path, with_d, lambda_l1).fit(9, show_progress=False)  # "the notebook disconnects" here
    resumed = make_trainer(tmp_path, with_d, lambda_l1)
    resumed.fit(12, show_progress=False)
    a, b = state(straight), state(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert straight.history == resumed.history
    assert [s for s, _ in straight.snapshots] == [s for s, _ in resumed.snapshots] == [1, 4, 8, 12]
    assert all(torch.equal(x, y) for (_, x), (_, y) in zip(straight.snapshots, resumed.snapshots))


def test_pix2pix_history_keys_and_checks(tmp_path):
    t = make_trainer()
    h = t.fit(3, show_progress=False)
    assert set(h) == {"step", "loss_d", "loss_g_gan", "d_real", "d_fake", "l1"}
    assert set(make_trainer(with_d=False).fit(3, show_progress=False)) == {"step", "l1"}
    with pytest.raises(ValueError, match="lambda_l1 must be positive"):
        make_trainer(with_d=False, lambda_l1=0)
    with pytest.raises(ValueError, match="in_channels=4"):
        Pix2PixTrainer(UNetGenerator(3, 1, 16, ngf=4), None, TensorBatches(PAIRS.stacked(), batch_size=8), in_channels=4)
    make_trainer(tmp_path).fit(6, show_progress=False)
    with pytest.raises(CheckpointError, match="holds models"):
        make_trainer(tmp_path, with_d=False).resume()


def test_l1_training_learns_the_masks():
    """Two hundred steps of L1 regression (chapter 05's smoke settings) find most digits."""
    torch.manual_seed(0)
    digits = load_bundled_mnist().images[:2000]
    pairs = digit_scenes(1000, digits, size=32, seed=0)
    g = UNetGenerator(3, 1, image_size=32, ngf=16)
    t = Pix2PixTrainer(g, None, TensorBatches(pairs.stacked()[:800], batch_size=8), in_channels=3, lambda_l1=100.0, lr=2e-3, log_every=50)
    before = segmentation_scores(translate(g, pairs.a[800:]), pairs.b[800:])
    h = t.fit(200, show_progress=False)
    after = segmentation_scores(translate(g, pairs.a[800:]), pairs.b[800:])  # held-out pairs
    assert h["l1"][-1] < 0.5 * h["l1"][0]
    assert before["iou"] < 0.2 < after["iou"]
    assert after["pixel_accuracy"] > after["background_accuracy"]
