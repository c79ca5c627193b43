"""gansrc.text: the words on figures, in tables and in warnings, in English or Spanish."""
from __future__ import annotations

import string

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
import torch  # noqa: E402

import gansrc  # noqa: E402
from gansrc import text, viz  # noqa: E402
from gansrc.models.summary import layer_table  # noqa: E402
from gansrc.train.diagnostics import TrainingDiagnostics  # noqa: E402


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    text.set_language("en")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(text.STRINGS))
def test_every_key_has_both_languages_with_the_same_fields(key):
    entry = text.STRINGS[key]
    assert set(entry) == set(text.LANGUAGES), f"{key}: languages {sorted(entry)}"
    assert all(entry[lang].strip() for lang in text.LANGUAGES), f"{key}: an empty string"
    # A field may be one language's only (the Spanish article, the English plural 's'),
    # but the numbers a message reports are in both.
    numbers = {"budget", "where", "mode", "step", "steps", "norm", "ratio", "peak", "spread", "share", "n", "entropy", "best",
               "d_real", "d_fake", "loss_d", "loss_g", "i", "j", "digit", "pair"}
    assert fields(entry["en"]) & numbers == fields(entry["es"]) & numbers, key


def test_spanish_strings_come_out_in_spanish_mode():
    assert text.language() == "en" and text.tr("step") == "step"
    text.set_language("es")
    assert text.language() == "es"
    assert text.tr("step") == "paso"
    assert text.tr("step_n", step=40) == "paso 40"
    assert text.tr("warning_at", step=3, message="x") == "Aviso en el paso 3: x"


def test_an_unknown_key_or_language_is_a_clear_error():
    with pytest.raises(KeyError, match="no text 'nope'"):
        text.tr("nope")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        text.set_language("fr")
    assert text.language() == "en"  # a bad language changes nothing


def test_start_chapter_sets_the_language_and_run_text_picks_by_it(capsys):
    run = gansrc.start_chapter(True, lang="es")
    assert run.lang == "es" and text.language() == "es"
    assert run.text(en="loss", es="pérdida") == "pérdida"
    run = gansrc.start_chapter(True)
    assert run.lang == "en" and text.language() == "en"
    assert run.text(en="loss", es="pérdida") == "loss"


def test_figures_are_labelled_in_the_chapter_language():
    history = {"step": [1, 2], "loss_d": [1.0, 0.9], "loss_g": [0.7, 0.8], "d_real": [0.6, 0.5], "d_fake": [0.4, 0.5]}
    for lang, step, legend in (("en", "step", "discriminator loss"), ("es", "paso", "pérdida del discriminador")):
        text.set_language(lang)
        fig = viz.plot_history(history)
        ax = fig.axes[0]
        assert ax.get_xlabel() == step
        assert legend in [t.get_text() for t in ax.get_legend().get_texts()]
        fig = viz.plot_class_histogram(torch.ones(10))
        assert fig.axes[0].get_ylabel() == text.tr("samples")
        matplotlib.pyplot.close("all")


def test_layer_table_headers_follow_the_language():
    model = torch.nn.Sequential(torch.nn.Linear(4, 2))
    assert layer_table(model, torch.zeros(1, 4)).splitlines()[0].split()[0] == "layer"
    text.set_language("es")
    head = layer_table(model, torch.zeros(1, 4)).splitlines()[0]
    assert head.split()[:2] == ["capa", "tipo"] and "parámetros" in head


def test_diagnostics_warn_in_the_chapter_language():
    printed = []
    text.set_language("es")
    diagnostics = TrainingDiagnostics(printer=printed.append)
    diagnostics.on_nonfinite(None, 15)
    assert printed[0].startswith("Aviso en el paso 15: una pérdida se volvió NaN")


def test_the_runtime_line_follows_the_language():
    from gansrc.runtime import describe_runtime

    cpu = torch.device("cpu")
    assert "device: CPU | mode: smoke (reduced settings, bundled data)" in describe_runtime(True, cpu)
    text.set_language("es")
    assert "dispositivo: CPU | modo: smoke (ajustes reducidos, datos incluidos)" in describe_runtime(True, cpu)
    assert "presupuesto 0.5" in describe_runtime(False, cpu, 0.5)
