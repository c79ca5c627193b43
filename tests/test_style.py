"""Neural style transfer (gansrc.style, chapter 07): losses, extractors, the offline fallback, the loop."""
from __future__ import annotations

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from gansrc import style  # noqa: E402
from gansrc.style import features as features_module  # noqa: E402
from gansrc.style import regions  # noqa: E402


def small_image(h: int = 24, w: int = 32, seed: int = 0) -> torch.Tensor:
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


# ---- losses -------------------------------------------------------------------------------

def test_gram_matrix_matches_a_hand_computed_example():
    # channel 0 = [[1, 2], [3, 4]], channel 1 = [[0, 1], [0, 1]]: F = [[1, 2, 3, 4], [0, 1, 0, 1]]
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])
    by_hand = torch.tensor([[30.0, 6.0], [6.0, 2.0]])  # F F^T: 1+4+9+16, 2+4, 1+1
    assert torch.equal(style.gram_matrix(f, normalize=False)[0], by_hand)
    assert torch.allclose(style.gram_matrix(f)[0], by_hand / (2 * 2 * 2))  # divided by C*H*W = 8


def test_gram_normalisation_makes_it_an_average_over_positions():
    f = torch.randn(2, 5, 6, 7)
    tiled = f.repeat(1, 1, 2, 3)  # the same statistics over a larger image
    assert torch.allclose(style.gram_matrix(tiled), style.gram_matrix(f), atol=1e-6)
    assert style.gram_matrix(f).shape == (2, 5, 5)
    with pytest.raises(ValueError, match="N, C, H, W"):
        style.gram_matrix(torch.randn(5, 6, 7))


def test_content_loss_is_the_weighted_squared_difference():
    a, b = torch.zeros(1, 2, 2, 2), torch.ones(1, 2, 2, 2)
    assert style.content_loss(0.5, a, b).item() == pytest.approx(0.5 * 8)
    assert style.content_loss(0.5, a, a).item() == 0
    with pytest.raises(ValueError, match="shape"):
        style.content_loss(1.0, a, torch.zeros(1, 2, 2, 3))


def test_style_loss_is_zero_for_identical_inputs_and_positive_otherwise():
    feats = {"a": torch.randn(1, 4, 8, 8), "b": torch.randn(1, 6, 4, 4)}
    targets = {k: style.gram_matrix(v) for k, v in feats.items()}
    assert style.style_loss(feats, targets, ["a", "b"], [10.0, 1.0]).item() == 0
    other = {k: v + 0.1 * torch.randn_like(v) for k, v in feats.items()}
    assert style.style_loss(other, targets, ["a", "b"], [10.0, 1.0]).item() > 0
    # the per-layer weights scale each layer's term
    one = style.style_loss(other, targets, ["a"], [1.0])
    assert style.style_loss(other, targets, ["a"], [3.0]).item() == pytest.approx(3 * one.item())
    with pytest.raises(ValueError, match="style weights"):
        style.style_loss(feats, targets, ["a", "b"], [1.0])


def test_tv_loss_of_a_constant_image_is_zero_and_counts_neighbour_differences():
    assert style.tv_loss(torch.full((1, 3, 5, 6), 0.7), 1.0).item() == 0
    ramp = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 3, 4)  # steps of 1 along each of 3 rows
    assert style.tv_loss(ramp, 2.0).item() == pytest.approx(2.0 * 3 * 3)


def test_masked_gram_with_an_all_ones_mask_is_the_plain_gram():
    f = torch.randn(1, 8, 10, 12)
    assert torch.allclose(style.masked_gram(f, torch.ones(10, 12)), style.gram_matrix(f), atol=1e-6)
    assert torch.allclose(style.masked_gram(f, torch.ones(40, 48)), style.gram_matrix(f), atol=1e-6)  # resized


def test_masked_gram_is_the_gram_of_the_region_alone():
    f = torch.randn(1, 8, 10, 12)
    left = torch.zeros(10, 12)
    left[:, :6] = 1
    assert torch.allclose(style.masked_gram(f, left), style.gram_matrix(f[..., :6]), atol=1e-6)
    with pytest.raises(ValueError, match="empty"):
        style.masked_gram(f, torch.zeros(10, 12))


def test_guided_style_loss_sums_over_regions():
    feats = {"a": torch.randn(1, 4, 8, 8)}
    style_a, style_b = {"a": style.gram_matrix(torch.randn(1, 4, 8, 8))}, {"a": style.gram_matrix(torch.randn(1, 4, 8, 8))}
    ones = torch.ones(1, 8, 8)
    assert torch.allclose(style.guided_style_loss(feats, ones, [style_a], ["a"], [2.0]), style.style_loss(feats, style_a, ["a"], [2.0]))
    top = torch.zeros(8, 8)
    top[:4] = 1
    masks = torch.stack([top, 1 - top])
    expected = 2.0 * sum((style.masked_gram(feats["a"], m) - t["a"]).pow(2).sum() for m, t in zip(masks, [style_a, style_b]))
    assert torch.allclose(style.guided_style_loss(feats, masks, [style_a, style_b], ["a"], [2.0]), expected)
    with pytest.raises(ValueError, match="one mask per style"):
        style.guided_style_loss(feats, masks, [style_a], ["a"], [1.0])


def test_resize_masks_keeps_a_partition_a_partition():
    top = torch.zeros(37, 50)
    top[:15] = 1
    small = style.resize_masks(torch.stack([top, 1 - top]), (5, 7))
    assert small.shape == (2, 5, 7) and torch.allclose(small.sum(0), torch.ones(5, 7))


# ---- feature extractors -------------------------------------------------------------------

def test_random_multiscale_returns_the_requested_layers_with_the_right_shapes():
    net = style.RandomMultiScale(channels=16)
    x = style.normalize(small_image(48, 70))
    out = net(x, ["scale3", "scale0", "scale1"])
    assert list(out) == ["scale3", "scale0", "scale1"]
    assert out["scale0"].shape == (1, 16, 48, 70)
    assert out["scale1"].shape == (1, 16, 24, 35)
    assert out["scale3"].shape == (1, 16, 6, 9)
    assert (out["scale0"] >= 0).all()  # ReLU outputs
    with pytest.raises(KeyError, match="no layer 'fire2'"):
        net(x, ["fire2"])
    with pytest.raises(ValueError, match="RGB"):
        net(torch.zeros(1, 1, 8, 8), ["scale0"])


def test_random_multiscale_is_the_same_network_every_time_and_frozen():
    a, b = style.RandomMultiScale(seed=3), style.RandomMultiScale(seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert not any(p.requires_grad for p in a.parameters()) and not a.training


def test_shrink_halves_the_resolution_and_keeps_a_flat_image_flat():
    flat = torch.full((1, 3, 9, 12), 0.3)
    out = style.shrink(flat)
    assert out.shape == (1, 3, 5, 6) and torch.allclose(out, torch.full_like(out, 0.3))


def squeezenet_weights_file(tmp_path):
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.squeezenet1_1(weights=None)
    path = tmp_path / "squeezenet1_1-local.pth"
    torch.save(model.state_dict(), path)
    return path, model


def test_extractor_from_a_local_weights_file_returns_the_requested_layers(tmp_path, no_network):
    path, model = squeezenet_weights_file(tmp_path)
    ext = style.load_extractor("squeezenet1_1", weights=path)
    assert ext.pretrained and ext.name == "squeezenet1_1"
    assert torch.equal(ext.features[0].weight, model.features[0].weight)
    assert not any(p.requires_grad for p in ext.parameters()) and not ext.training
    assert not any(getattr(m, "inplace", False) for m in ext.modules())
    out = ext(style.normalize(small_image(64, 96)), [ext.content_layer, *ext.style_layers])
    assert set(out) == {"fire2", "relu1", "fire3", "fire4", "fire5"}
    assert out["relu1"].shape == (1, 64, 31, 47)
    assert out["fire2"].shape == out["fire3"].shape == (1, 128, 15, 23)
    assert out["fire4"].shape == out["fire5"].shape == (1, 256, 7, 11)
    # the stored activation of a layer is what the network computed there
    x = style.normalize(small_image(64, 96))
    assert torch.allclose(ext(x, ["fire2"])["fire2"], model.features[:4](x))


def test_a_broken_weights_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="broken.pth is not a squeezenet1_1 state dict"):
        style.load_extractor("squeezenet1_1", weights=bad)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        style.load_extractor("squeezenet1_1", weights=tmp_path / "missing.pth")
    with pytest.raises(ValueError, match="unknown backbone"):
        style.load_extractor("resnet9000")


def test_vgg19_layer_names_match_torchvision():
    import torchvision

    with torch.device("meta"):
        features = torchvision.models.vgg19(weights=None).features
    names = style.BACKBONES["vgg19"]["layers"]
    assert len(names) == len(features)
    kinds = {"conv": torch.nn.Conv2d, "relu": torch.nn.ReLU, "pool": torch.nn.MaxPool2d}
    assert all(isinstance(m, kinds[n[:4]]) for n, m in zip(names, features))
    sq = style.BACKBONES["squeezenet1_1"]
    assert set(sq["style"]) | {sq["content"]} <= set(sq["layers"])


def test_offline_fallback_is_taken_and_announced(tmp_path, monkeypatch, capsys, no_network):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty cache: torchvision must download, and cannot
    ext = style.load_extractor("squeezenet1_1", download=True)
    line = capsys.readouterr().out.strip().splitlines()[-1]  # after torchvision's "Downloading: ..."
    assert isinstance(ext, style.RandomMultiScale) and not ext.pretrained
    assert line.startswith("could not load pretrained squeezenet1_1 weights")
    assert "random multi-scale network" in line and "Ustyuzhaninov" in line


def test_smoke_mode_never_tries_to_download(monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("smoke mode must not ask torchvision for weights")

    monkeypatch.setattr(features_module, "_torchvision_model", refuse)
    ext = style.load_extractor("squeezenet1_1", download=False)
    assert isinstance(ext, style.RandomMultiScale)
    assert capsys.readouterr().out.strip().startswith("pretrained squeezenet1_1 weights are not downloaded in smoke mode")


# ---- the objective and the loop -----------------------------------------------------------

@pytest.fixture(scope="module")
def net():
    return style.RandomMultiScale(channels=8)


@pytest.mark.parametrize("method", ["lbfgs", "adam"])
def test_optimize_image_lowers_the_loss_and_records_every_step(net, method):
    objective = style.StyleObjective(net, small_image(seed=1), small_image(seed=2))
    result = style.optimize_image(objective, "content", steps=12, method=method, lr=0.1 if method == "adam" else None,
                                  show_progress=False)
    history = result.history
    assert history["step"] == list(range(13)) and all(len(history[k]) == 13 for k in ("content", "style", "tv", "total"))
    assert history["content"][0] == 0  # it starts at the content image
    assert history["total"][-1] < 0.5 * history["total"][0]
    assert result.image.shape == (1, 3, 24, 32) and 0 <= result.image.min() and result.image.max() <= 1
    assert result.final()["total"] == history["total"][-1]
    evaluations = history["evaluations"]
    assert evaluations[0] == 0 and all(b > a for a, b in zip(evaluations, evaluations[1:]))
    if method == "adam":
        assert evaluations == history["step"]  # one evaluation per Adam step; L-BFGS's line search may use more


def test_optimize_image_is_deterministic(net):
    runs = [style.optimize_image(style.StyleObjective(net, small_image(seed=1), small_image(seed=2)), "noise", steps=5,
                                 show_progress=False) for _ in range(2)]
    assert torch.equal(runs[0].image, runs[1].image) and runs[0].history == runs[1].history


def test_feature_inversion_recovers_the_image_from_shallow_features(net):
    target = small_image(seed=4)
    objective = style.StyleObjective(net, target, None, content_layer="scale0", tv_weight=0)
    result = style.optimize_image(objective, "noise", steps=40, show_progress=False)
    start = style.initial_image("noise", objective)
    assert (result.image - target).abs().mean() < 0.3 * (start - target).abs().mean()


def test_texture_synthesis_needs_a_size_and_has_no_content_term(net):
    objective = style.StyleObjective(net, None, small_image(seed=5))
    with pytest.raises(ValueError, match="size"):
        style.optimize_image(objective, "noise", steps=1, show_progress=False)
    result = style.optimize_image(objective, "noise", size=(16, 20), steps=3, show_progress=False)
    assert result.image.shape == (1, 3, 16, 20) and set(result.history["content"]) == {0.0}


def test_guided_objective_needs_one_mask_per_style(net):
    content = small_image()
    top = torch.zeros(24, 32)
    top[:10] = 1
    objective = style.StyleObjective(net, content, [small_image(seed=6), small_image(seed=7)], masks=torch.stack([top, 1 - top]))
    assert style.optimize_image(objective, steps=2, show_progress=False).history["style"][-1] > 0
    with pytest.raises(ValueError, match="need masks|masks"):
        style.StyleObjective(net, content, [small_image(seed=6), small_image(seed=7)])
    with pytest.raises(ValueError, match="one mask per style"):
        style.StyleObjective(net, content, [small_image(seed=6), small_image(seed=7)], masks=top[None])
    with pytest.raises(ValueError, match="same size"):
        style.StyleObjective(net, content, [small_image(seed=6), small_image(seed=7)], masks=torch.ones(2, 12, 16))


def test_objective_rejects_bad_inputs(net):
    with pytest.raises(ValueError, match="nothing to optimise"):
        style.StyleObjective(net, small_image(), None, content_weight=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        style.StyleObjective(net, small_image() * 255, small_image())
    with pytest.raises(ValueError, match="one RGB image"):
        style.StyleObjective(net, torch.rand(2, 3, 8, 8), None)
    with pytest.raises(ValueError, match="style weights"):
        style.StyleObjective(net, small_image(), small_image(), style_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="method"):
        style.optimize_image(style.StyleObjective(net, small_image(), small_image()), steps=1, method="sgd")


@pytest.mark.parametrize("method", ["lbfgs", "adam"])
def test_a_nan_loss_stops_the_loop_and_names_the_step(net, method):
    objective = style.StyleObjective(net, small_image(), small_image(), style_weights=[float("inf")] * 4)
    with pytest.raises(FloatingPointError, match="after 0 steps"):
        style.optimize_image(objective, steps=3, method=method, show_progress=False)


def test_load_rgb_keeps_proportions_and_names_bad_files(tmp_path):
    from PIL import Image

    path = tmp_path / "wide.png"
    Image.new("RGB", (90, 60), (255, 0, 0)).save(path)
    image = style.load_rgb(path, size=30)
    assert image.shape == (1, 3, 30, 45) and image[0, 0].mean() == 1 and image[0, 1].max() == 0
    (tmp_path / "bad.jpg").write_bytes(b"nope")
    with pytest.raises(ValueError, match="bad.jpg"):
        style.load_rgb(tmp_path / "bad.jpg")


# ---- masks from a network, and the weight explorer ------------------------------------------

def test_segment_and_label_masks_with_an_untrained_network():
    from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large

    torch.manual_seed(0)
    model = deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None).eval()
    labels = regions.segment(small_image(30, 40), model, size=64)
    assert labels.shape == (30, 40) and labels.dtype == torch.int64 and labels.max() < len(regions.VOC_CLASSES)
    masks = regions.label_masks(labels, [["__background__"], [c for c in regions.VOC_CLASSES[1:]]])
    assert masks.shape == (2, 30, 40) and torch.equal(masks.sum(0), torch.ones(30, 40))
    with pytest.raises(KeyError, match="sky"):
        regions.label_masks(labels, [["sky"]])


def test_segmenter_is_not_downloaded_in_smoke_mode(capsys):
    assert regions.load_segmenter(download=False) is None
    assert "smoke mode" in capsys.readouterr().out


def test_weight_grid_and_sliders(net):
    fig = style.weight_grid(net, small_image(16, 20), small_image(16, 20, seed=3), rows=("content_weight", [0.05, 0.5]),
                            columns=("style_scale", [1.0]), steps=2)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="unknown parameter"):
        style.weight_grid(net, small_image(), small_image(), rows=("lr", [1.0]), columns=("tv_weight", [1.0]))
    widget = style.weight_sliders(net, small_image(16, 20), small_image(16, 20, seed=3), steps=2)
    assert [c.description for c in widget.children[1:4]] == ["content weight", "style weights x", "TV weight"]


def test_vgg19_layer_names_are_the_torchvision_indices_gatys_layers_sit_at():
    """relu4_2 (content) and relu1_1 ... relu5_1 (style) are torchvision's vgg19.features[i] for
    the i where Gatys et al.'s layers sit; an off-by-one name would pick a neighbour."""
    import types

    from torchvision.models.vgg import cfgs, make_layers

    from gansrc.style.features import _from_model

    torch.manual_seed(0)
    features = make_layers(cfgs["E"])  # torchvision's vgg19().features, without its classifier
    ext = _from_model("vgg19", types.SimpleNamespace(features=features), True, False)
    assert (ext.content_layer, tuple(ext.style_layers)) == ("relu4_2", ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"))
    index = {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20, "relu4_2": 22, "relu5_1": 29}
    x = style.normalize(small_image(32, 32))
    with torch.no_grad():
        out = ext(x, list(index))
        for name, i in index.items():
            torch.testing.assert_close(out[name], features[: i + 1](x))
