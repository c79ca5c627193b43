"""The live widgets of chapters 03 (latent sliders) and 04 (digit picker), built on tiny
generators without a kernel: each builds, shows a picture, and a changed control redraws it
from the new value; the chapters' own widget cells, run as in a live notebook, show them.
(tests/test_lab.py runs chapter 04's picker in JupyterLab itself.)"""
from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from PIL import Image  # noqa: E402

from gansrc import losses, viz  # noqa: E402
from gansrc.text import tr  # noqa: E402
from gansrc.data import TensorBatches  # noqa: E402
from gansrc.models import ConditionalDiscriminator, ConditionalGenerator, MLPGenerator  # noqa: E402
from gansrc.train import GANTrainer  # noqa: E402

widgets = pytest.importorskip("ipywidgets")
ROOT = Path(__file__).resolve().parent.parent


def parts(box):
    """The controls (by description), the Image and the error text of a live_figure."""
    row, image, error = box.children
    assert isinstance(box, widgets.VBox) and isinstance(image, widgets.Image) and isinstance(error, widgets.HTML)
    return {c.description: c for c in row.children}, image, error


def picture(image) -> tuple[int, int]:
    """The size of the PNG an Image widget shows (it must decode)."""
    assert image.format == "png" and bytes(image.value[:8]) == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(bytes(image.value))).size


@pytest.fixture
def cgan():
    """A conditional GAN trainer on tiny untrained networks: each label and noise gives its own image."""
    torch.manual_seed(0)
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    return GANTrainer(
        ConditionalGenerator(latent_dim=6, num_classes=10, embed_dim=4, hidden=(8,)),
        ConditionalDiscriminator(num_classes=10, hidden=(8,)),
        TensorBatches(images, torch.arange(8) % 10, batch_size=4),
        latent_dim=6, num_classes=10, loss=losses.NON_SATURATING, desc="tiny",
    )


def test_digit_picker_redraws_the_requested_digit_from_the_requested_seed(cgan, monkeypatch):
    asked = []
    sample = cgan.sample
    monkeypatch.setattr(cgan, "sample", lambda z, labels: asked.append((z, labels)) or sample(z=z, labels=labels))

    controls, image, error = parts(viz.digit_picker(cgan, n=5, digit=7))
    digit, seed = controls["digit"], controls["noise seed"]
    assert list(digit.options) == list(range(10)) and digit.value == 7 and seed.value == 0
    width, height = picture(image)
    assert width > 5 * 28 and height > 28  # one row of five digits and a title
    assert len(asked) == 1 and asked[0][1].tolist() == [7] * 5
    assert torch.equal(asked[0][0], torch.randn(5, 6, generator=torch.Generator().manual_seed(0)))

    shown = {bytes(image.value)}
    digit.value = 3
    assert len(asked) == 2 and asked[-1][1].tolist() == [3] * 5
    assert torch.equal(asked[-1][0], asked[0][0])  # same noise, another digit
    assert bytes(image.value) not in shown
    shown.add(bytes(image.value))

    seed.value = 42
    assert len(asked) == 3 and asked[-1][1].tolist() == [3] * 5
    assert torch.equal(asked[-1][0], torch.randn(5, 6, generator=torch.Generator().manual_seed(42)))
    assert bytes(image.value) not in shown
    assert error.value == ""


def test_latent_sliders_walk_between_codes_and_along_the_direction():
    torch.manual_seed(0)
    generator = MLPGenerator(latent_dim=4, image_shape=(1, 8, 8), hidden=(16,), batchnorm=False).eval()
    starts, ends, direction = torch.randn(3, 4), torch.randn(3, 4), torch.randn(4)
    walked = []

    def lerp(a, b, t):
        walked.append(t)
        return (1 - t) * a + t * b

    controls, image, error = parts(viz.latent_sliders(generator, starts, ends, direction, interpolate=lerp))
    pair, t, alpha = controls["pair"], controls["t"], controls["alpha"]
    assert (pair.min, pair.max, pair.value, t.value, alpha.value) == (0, 2, 0, 0.5, 0.0)
    assert walked == [0.5]
    picture(image)

    shown = [bytes(image.value)]
    for control, value in ((t, 1.0), (alpha, 2.0), (pair, 2)):
        control.value = value
        assert bytes(image.value) not in shown, f"changing {control.description} did not change the picture"
        shown.append(bytes(image.value))
    assert walked == [0.5, 1.0, 1.0, 1.0]

    # What is shown is the generator's image of ends[2] + 2 * direction, drawn as show_images draws it.
    with torch.no_grad():
        expected = viz.figure_png(viz.show_images(generator(ends[2:3] + 2.0 * direction), nrow=1, scale=3,
                                                  title="pair 2, t = 1.00, alpha = +2.00"))
    assert bytes(image.value) == expected
    assert error.value == ""


def test_an_error_while_redrawing_is_shown_and_raised():
    def draw(n):
        if n == 2:
            raise RuntimeError("no such picture")
        return viz.show_images(torch.zeros(n, 1, 4, 4), nrow=n)

    slider = widgets.IntSlider(value=1, min=1, max=3, description="n")
    _, image, error = parts(viz.live_figure({"n": slider}, draw))
    before = bytes(image.value)
    with pytest.raises(RuntimeError, match="no such picture"):
        slider.value = 2
    assert "no such picture" in error.value and bytes(image.value) == before
    slider.value = 3
    assert error.value == "" and bytes(image.value) != before


def test_digit_picker_draws_from_a_bare_conditional_generator(cgan):
    """The chapter's picker draws from a shipped generator, without a trainer: its images in eval mode."""
    generator = cgan.generator.train()
    controls, image, error = parts(viz.digit_picker(generator, n=4, digit=2))
    assert list(controls["digit"].options) == list(range(10)) and generator.training  # mode restored
    before = bytes(image.value)
    z = torch.randn(4, 6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        wanted = viz.figure_png(viz.show_images(generator.eval()(z, torch.full((4,), 2)), nrow=4,
                                                title=tr("samples_of_digit", n=4, digit=2)))
    generator.train()
    assert before == wanted  # eval mode: the batch norm's running averages, not the batch's
    controls["digit"].value = 5
    assert bytes(image.value) != before and error.value == ""


def test_interactive_shows_the_widget_unless_the_build_is_static(cgan, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    static = object()
    monkeypatch.delenv("GANSRC_STATIC", raising=False)
    widget = viz.interactive(lambda: viz.digit_picker(cgan), lambda: static)
    assert shown == [widget] and isinstance(widget, widgets.VBox)
    monkeypatch.setenv("GANSRC_STATIC", "1")
    assert viz.interactive(lambda: viz.digit_picker(cgan), lambda: static) is static


def chapter_cell(chapter: str, marker: str) -> str:
    """The source of the one code cell of ``chapters/en/<chapter>.ipynb`` that contains ``marker``."""
    nb = json.loads((ROOT / "chapters" / "en" / f"{chapter}.ipynb").read_text())
    found = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code" and marker in "".join(c["source"])]
    assert len(found) == 1, f"{chapter}: {len(found)} cells contain {marker!r}"
    return found[0]


def run_widget_cell(source: str, names: dict, monkeypatch):
    """Run a chapter's widget cell as a live notebook does (GANSRC_STATIC unset) and return the
    widget it displays."""
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    monkeypatch.delenv("GANSRC_STATIC", raising=False)
    exec(compile(source, "<chapter cell>", "exec"), {"torch": torch, "plt": matplotlib.pyplot, "viz": viz, **names})
    assert len(shown) == 1 and isinstance(shown[0], widgets.VBox), shown
    return shown[0]


def test_chapter_04s_picker_cell_shows_a_live_picker(cgan, monkeypatch):
    box = run_widget_cell(chapter_cell("04_conditional_gan", "viz.digit_picker("), {"concat": SimpleNamespace(generator=cgan.generator)}, monkeypatch)
    controls, image, error = parts(box)
    before = bytes(image.value)
    controls["digit"].value = 0
    assert bytes(image.value) != before and error.value == ""


def test_chapter_03s_latent_cell_shows_live_sliders(monkeypatch):
    torch.manual_seed(0)
    generator = MLPGenerator(latent_dim=100, image_shape=(1, 8, 8), hidden=(16,), batchnorm=False).eval()
    codes = torch.randn(32, 100)
    names = {"G_trained": generator, "starts": codes[:8], "ends": codes[8:16], "base": codes[16:32],
             "ink_direction": torch.randn(100), "slerp": lambda a, b, t: (1 - t) * a + t * b}
    controls, image, error = parts(run_widget_cell(chapter_cell("03_dcgan", "viz.latent_sliders("), names, monkeypatch))
    assert set(controls) == {"pair", "t", "alpha"} and controls["pair"].max == 7
    before = bytes(image.value)
    controls["alpha"].value = 1.5
    assert bytes(image.value) != before and error.value == ""
