"""Every measured number the chapters' prose quotes comes from a stored output of the same chapter
(tools/prose_numbers.py says how a number is read, what backs it and what is exempt)."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("prose_numbers", ROOT / "tools" / "prose_numbers.py")
prose_numbers = importlib.util.module_from_spec(spec)
sys.modules["prose_numbers"] = prose_numbers  # its dataclass looks itself up there
spec.loader.exec_module(prose_numbers)

SOURCES = sorted(ROOT.glob("chapters/en/*.md")) + sorted(ROOT.glob("chapters/es/*.md"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_number_in_the_prose_is_backed_by_a_stored_output(path):
    unbacked, _ = prose_numbers.check(path)
    assert not unbacked, (
        f"{len(unbacked)} numbers in {path.parent.name}/{path.name} appear in no stored output of the chapter "
        "(quote the output, reword, or exempt them in chapters/prose_numbers.yaml with a reason):\n"
        + prose_numbers.report(path, unbacked))


def test_every_exemption_has_a_reason_and_is_used_in_both_languages():
    table = yaml.safe_load(prose_numbers.ALLOWED.read_text()) or {}
    chapters = {p.stem for p in SOURCES}
    for chapter, entries in table.items():
        assert chapter in chapters, f"prose_numbers.yaml names {chapter!r}, which is no chapter"
        for entry in entries:
            assert set(entry) == {"number", "reason"} and str(entry["reason"]).strip(), entry
        for lang in ("en", "es"):
            _, used = prose_numbers.check(ROOT / "chapters" / lang / f"{chapter}.md")
            unused = [e["number"] for e in entries if e not in used]
            assert not unused, f"{chapter} ({lang}): exempt numbers the prose no longer quotes: {unused}"


def quotes(text: str, lang: str = "en", code=frozenset()):
    return [(q.text, q.readings) for q in prose_numbers.prose_quotes(text, lang, set(code))]


def test_numbers_are_read_in_each_language_convention():
    d = Decimal
    assert quotes("about 266,800 steps and 0.468") == [("266,800", ((d(266800), 0),)), ("0.468", ((d("0.468"), 3),))]
    assert quotes("unos 266.800 pasos, 266 800 pasos, 0,468 y 0.468", "es") == [
        ("266.800", ((d(266800), 0), (d("266.800"), 3))), ("266 800", ((d(266800), 0),)),
        ("0,468", ((d("0.468"), 3),)), ("0.468", ((d("0.468"), 3),))]
    assert quotes("46.8 % of them, 54.4 million parameters") == [
        ("46.8 %", ((d("46.8"), 1),)), ("54.4", ((d("54400000"), -5),))]
    assert quotes("KID -0.001 and $D(x) = 0.98$ and $-0.0034$") == [
        ("-0.001", ((d("-0.001"), 3),)), ("0.98", ((d("0.98"), 2),)), ("-0.0034", ((d("-0.0034"), 4),))]


def test_what_is_not_a_measurement_is_exempt():
    text = ("# 4. Conditional GANs\n\n1. Train it, as chapter 02 and chapters 03 and 05 do (exercise 3).\n"
            "Mirza and Osindero (2014) used 28x28 and 256 × 256 images in pix2pix and ResNet-9 with bf16; "
            "$\\beta_1 = 0.5$, $\\lambda = 100$, `nn.Embedding(10, 50)`, {cite}`isola2017image`, the 2nd run.")
    assert quotes(text) == []
    assert quotes("30,000 steps at a 10 % rate", code={Decimal(30000), Decimal("0.1")}) == []
    assert [q for q, _ in quotes("30,000 steps at a 10 % rate")] == ["30,000", "10 %"]


def test_a_quote_is_backed_by_an_output_rounded_to_its_precision():
    def backed(text, outputs, lang="en"):
        (quote,) = prose_numbers.prose_quotes(text, lang)
        return prose_numbers.backed(quote, [Decimal(x) for x in outputs])

    assert backed("IoU 0.468", ["0.4683"]) and backed("IoU 0.47", ["0.4683"]) and backed("about 41", ["40.7"])
    assert not backed("IoU 0.51", ["0.4683"]) and not backed("IoU 0.469", ["0.4683"])
    assert backed("46.8 % of them", ["0.468"]) and backed("98.7 %", ["0.9865"])
    assert backed("266.800 pasos", ["266800"], "es") and not backed("about 213,000 steps", ["266800"])


def edited_copy(tmp_path: Path, lang: str, name: str, old: str, new: str) -> Path:
    """A copy of a chapter, .md and .ipynb, with one number of its prose changed."""
    folder = tmp_path / lang
    folder.mkdir()
    source = ROOT / "chapters" / lang / f"{name}.md"
    shutil.copy(source.with_suffix(".ipynb"), folder / f"{name}.ipynb")
    text = source.read_text()
    assert old in text, f"{old!r} is no longer in {source}: pick another number for this test"
    (folder / f"{name}.md").write_text(text.replace(old, new, 1))
    return folder / f"{name}.md"


@pytest.mark.parametrize("lang, old, new, edited", [
    ("en", "reads 98.7 % of", "reads 97.8 % of", "97.8 %"),
    ("es", "el 98,7 % de", "el 97,8 % de", "97,8 %"),
])
def test_an_edited_number_fails(tmp_path, lang, old, new, edited):
    """Chapter 04 passes as committed; one edited number in a copy of its prose is reported with
    its chapter, language and sentence."""
    assert prose_numbers.check(ROOT / "chapters" / lang / "04_conditional_gan.md")[0] == []
    unbacked, _ = prose_numbers.check(edited_copy(tmp_path, lang, "04_conditional_gan", old, new))
    assert [q.text for q in unbacked] == [edited]
    message = prose_numbers.report(tmp_path / lang / "04_conditional_gan.md", unbacked)
    assert message.startswith(f"{lang}/04_conditional_gan: ") and "conditional" in message


def test_a_solution_number_needs_a_solution_output(tmp_path):
    """The solutions are backed by the solution cells' outputs only: a body number repeated in a
    solution's text is not enough."""
    path = edited_copy(tmp_path, "en", "04_conditional_gan", ":class: dropdown\n\n", ":class: dropdown\n\nIt scored 0.987.\n\n")
    unbacked, _ = prose_numbers.check(path)
    assert [q.text for q in unbacked] == ["0.987"]
    assert jupytext.read(path)  # the copy is still a valid chapter
