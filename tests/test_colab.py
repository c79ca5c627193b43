"""The notebooks as Colab opens them: markdown a plain CommonMark renderer shows cleanly, a GPU
runtime asked for in their metadata, and a first cell that installs the book's own revision
without upgrading anything Colab already has.

The website is built from the MyST sources (chapters/*/*.md); the committed .ipynb are made from
them by `tools/notebooks.py sync`, which converts the markup (tools/colab_markdown.py).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("chapters/*/*.ipynb"))
IDS = [f"{p.parent.name}/{p.name}" for p in NOTEBOOKS]
CONFIG = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f"book_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool("notebooks")
CM = TOOL.colab_markdown

# What Jupyter and Colab render: CommonMark, GFM tables (the preface has two), raw HTML, and
# $...$ / $$...$$ math, which they take out before the markdown is parsed.
RENDERER = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)
VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "source", "col", "area", "base", "embed"}


class _Tags(HTMLParser):
    """Open and close tags of rendered HTML, to find one left open or closed twice."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {'<' + self.stack[-1] + '>' if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def leftover_markup(text: str) -> list[str]:
    """What a CommonMark renderer would show as raw MyST, or leave unbalanced, in ``text``."""
    problems = []
    tokens = RENDERER.parse(text)
    for token in tokens:
        if token.type == "fence" and token.info.strip().startswith("{"):
            problems.append(f"directive fence ```{token.info.strip()}")
        if token.type == "math_block_label":
            problems.append(f"labelled display math $$ ({token.info})")
        if token.type != "inline":
            continue
        children = token.children or []
        for child, after in zip(children, children[1:] + [None]):
            if child.type != "text":
                continue
            role = re.search(r"\{[\w:+-]+\}$", child.content)
            if role and after is not None and after.type == "code_inline":
                problems.append(f"role {role.group(0)}`{after.content}`")
            if re.match(r"^:{3,}", child.content):
                problems.append(f"colon fence {child.content!r}")
            if re.fullmatch(r"\(\S+\)=", child.content.strip()):
                problems.append(f"target {child.content.strip()}")
            if re.match(r"^:[\w-]+:( |$)", child.content):
                problems.append(f"directive option {child.content!r}")
            if "$" in child.content:
                problems.append(f"unpaired $ in {child.content!r}")
    tags = _Tags()
    tags.feed(RENDERER.render(text))
    tags.close()
    problems += tags.problems + [f"<{tag}> never closed" for tag in tags.stack]
    return problems


def markdown_cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, 4).cells if c.cell_type == "markdown"]


# ---------------------------------------------------------------- the committed notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markdown_cells_render_without_myst_markup(path):
    problems = [f"cell {n}: {p}" for n, text in enumerate(markdown_cells(path)) for p in leftover_markup(text)]
    assert not problems, f"{path.name} shows MyST markup on Colab (run `make sync`):\n" + "\n".join(problems[:20])


def test_the_check_finds_the_myst_markup_of_the_sources():
    """The MyST sources (what the notebooks held before the conversion) fail the check, with
    every kind of markup they use named."""
    found = [p for md in sorted(ROOT.glob("chapters/en/*.md"))
             for text in (c.source for c in jupytext.read(md).cells if c.cell_type == "markdown")
             for p in leftover_markup(text)]
    assert sum(p.startswith("role {cite}") for p in found) > 50
    assert sum(p.startswith("colon fence ':::{admonition}") for p in found) > 25
    assert sum(p.startswith("directive option ':class: dropdown") for p in found) > 25
    samples = ["```{figure} a.png\nA caption.\n```", "(fig-a)=\n\nText.", "$$\nx\n$$ (eq-x)",
               "<details>\n<summary>S</summary>\n\nText.", "Costs $5 and $x$."]
    assert all(leftover_markup(s) for s in samples), [s for s in samples if not leftover_markup(s)]
    assert leftover_markup("Plain *text*, `{cite}` in code, $x_1$ and a [link](https://x.org).") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_cells_are_the_sources_code_cells_byte_for_byte(path):
    source = [c.source for c in jupytext.read(path.with_suffix(".md")).cells if c.cell_type == "code"]
    assert [c.source for c in nbformat.read(path, 4).cells if c.cell_type == "code"] == source


# ---------------------------------------------------------------- the conversion
REFS = {
    "radford2016dcgan": CM.Reference("Radford et al.", "2016", "https://arxiv.org/abs/1511.06434"),
    "mirza2014cgan": CM.Reference("Mirza and Osindero", "2014"),
}


def plain(text: str, lang: str = "en") -> str:
    return CM.plain_cells([text], REFS, lang)[0]


def test_citations_become_author_year_text_linked_when_the_entry_has_a_link():
    assert plain("DCGAN {cite}`radford2016dcgan` works.") == "DCGAN ([Radford et al., 2016](https://arxiv.org/abs/1511.06434)) works."
    assert plain("{cite:p}`mirza2014cgan`") == "(Mirza and Osindero, 2014)"
    assert plain("{cite:t}`mirza2014cgan` showed") == "Mirza and Osindero (2014) showed"
    assert plain("{cite}`mirza2014cgan, radford2016dcgan`") == \
        "(Mirza and Osindero, 2014; [Radford et al., 2016](https://arxiv.org/abs/1511.06434))"
    assert plain("code `{cite}` and ``{cite}`x` `` stay") == "code `{cite}` and ``{cite}`x` `` stay"
    with pytest.raises(CM.UnknownMarkup, match="nobody2020"):
        plain("{cite}`nobody2020`")


def test_references_come_from_the_bibliography_with_surnames_years_and_links():
    refs = CM.load_references(ROOT / "book" / "references.bib")
    assert refs["radford2016dcgan"] == CM.Reference("Radford et al.", "2016", "https://arxiv.org/abs/1511.06434")
    assert refs["tylecek2013facades"].authors == "Tyleček and Šára"
    assert refs["odena2016deconvolution"].link == "https://doi.org/10.23915/distill.00003"
    assert refs["chintala2016ganhacks"].link == "https://github.com/soumith/ganhacks"
    assert CM.load_references(ROOT / "book" / "references.bib", "es")["mirza2014cgan"].authors == "Mirza y Osindero"


def test_admonitions_become_blockquotes_and_dropdowns_details():
    assert plain(":::{note}\nMind the *gap*.\n\nTwo paragraphs.\n:::") == \
        "> **Note**\n>\n> Mind the *gap*.\n>\n> Two paragraphs."
    assert plain(":::{tip}\nx\n:::", "es") == "> **Consejo**\n>\n> x"
    assert plain("::::{admonition} Why {cite:t}`mirza2014cgan`?\n:class: tip\n\nBecause.\n::::") == \
        "> **Why Mirza and Osindero (2014)?**\n>\n> Because."
    folded = ":::{admonition} Solution 2\n:class: dropdown\n\nText with $x$.\n\n```python\nx = 1\n```\n:::"
    assert plain(folded) == "<details>\n<summary>Solution 2</summary>\n\nText with $x$.\n\n```python\nx = 1\n```\n\n</details>"
    assert plain("```{dropdown} More\nHidden.\n```") == "<details>\n<summary>More</summary>\n\nHidden.\n\n</details>"
    assert plain("````{warning}\n```{note}\nInner.\n```\n````") == "> **Warning**\n>\n> > **Note**\n> >\n> > Inner."


def test_figures_targets_and_cross_references_read_sensibly():
    cells = [
        "(sec-loss)=\n## The loss\n\n```{figure} img/a.png\n:name: fig-a\n:alt: digits\n\nSamples after\ntraining.\n\nA legend.\n```",
        "As {numref}`fig-a` shows (see {ref}`sec-loss`, {ref}`this part <sec-loss>`),\n"
        "```{image} img/b.png\n```\n{numref}`Fig. %s <fig-a>` and {doc}`the GAN chapter <02_gan>`.",
    ]
    first, second = CM.plain_cells(cells, REFS, "en")
    assert first == "## The loss\n\n![digits](img/a.png)\n\n*Figure 1. Samples after training.*\n\nA legend."
    assert second == "As Figure 1 shows (see The loss, this part),\n![](img/b.png)\nFig. 1 and the GAN chapter."
    assert CM.plain_cells(cells, REFS, "es")[1].startswith("As Figura 1 shows")


def test_labelled_math_becomes_numbered_plain_math():
    cells = ["$$\na = b\n$$ (eq-a)\n\n```{math}\n:label: eq-c\nc = d\n```", "By {eq}`eq-a` and {eq}`eq-c`,\n\n$$ e $$ (eq-e)"]
    first, second = CM.plain_cells(cells, REFS)
    assert first == "$$\na = b\n\\tag{1}\n$$\n\n$$\nc = d\n\\tag{2}\n$$"
    assert second == "By (1) and (2),\n\n$$ e \\tag{3} $$"
    assert all(leftover_markup(text) == [] for text in (first, second))


def test_unknown_markup_stops_the_sync():
    with pytest.raises(CM.UnknownMarkup, match="tabbed"):
        plain("```{tabbed} One\nx\n```")
    with pytest.raises(CM.UnknownMarkup, match="glossary"):
        plain("see {glossary}`term`")
    with pytest.raises(CM.UnknownMarkup, match="no figure named"):
        plain("{numref}`fig-missing`")


def test_sync_writes_the_converted_notebook_and_keeps_outputs(tmp_path, monkeypatch):
    chapter = tmp_path / "chapters" / "en"
    chapter.mkdir(parents=True)
    md = chapter / "02_gan.md"
    md.write_text((ROOT / "chapters" / "en" / "02_gan.md").read_text())
    committed = nbformat.read(ROOT / "chapters" / "en" / "02_gan.ipynb", 4)
    nbformat.write(committed, chapter / "02_gan.ipynb")
    monkeypatch.setattr(TOOL, "CHAPTERS", tmp_path / "chapters")
    monkeypatch.setattr(TOOL, "ROOT", tmp_path)
    monkeypatch.setattr(TOOL, "references", lambda lang: CM.load_references(ROOT / "book" / "references.bib", lang))
    md.write_text(md.read_text().replace("Generative adversarial\nnetworks {cite}`goodfellow2014gan`",
                                         "Generative adversarial\nnetworks {cite:t}`goodfellow2014gan`", 1))
    TOOL.sync()
    synced = nbformat.read(chapter / "02_gan.ipynb", 4)
    assert any("networks Goodfellow et al. (2014) do this" in c.source for c in synced.cells)
    assert [c.outputs for c in synced.cells if c.cell_type == "code"] == [c.outputs for c in committed.cells if c.cell_type == "code"]
    before = (chapter / "02_gan.ipynb").stat().st_mtime_ns
    TOOL.sync()  # in step: not rewritten, so make does not re-execute the chapter
    assert (chapter / "02_gan.ipynb").stat().st_mtime_ns == before


# ---------------------------------------------------------------- the website keeps its MyST
def test_the_site_gets_the_myst_markdown_back():
    md = ROOT / "chapters" / "es" / "02_gan.md"
    executed = nbformat.read(md.with_suffix(".ipynb"), 4)  # what nbval executes and stage reads
    site = TOOL.myst_notebook(executed, md)
    source = jupytext.read(md)
    assert [c.source for c in site.cells if c.cell_type == "markdown"] == [c.source for c in source.cells if c.cell_type == "markdown"]
    assert any(":class: dropdown" in c.source for c in site.cells) and any("{cite}`" in c.source for c in site.cells)
    stale = nbformat.read(md.with_suffix(".ipynb"), 4)
    next(c for c in stale.cells if c.cell_type == "markdown").source += " (an older text)"
    with pytest.raises(SystemExit, match="make sync"):
        TOOL.myst_notebook(stale, md)


# ---------------------------------------------------------------- metadata: a GPU runtime
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_asks_colab_for_a_gpu_and_is_not_paired(path):
    meta = nbformat.read(path, 4).metadata
    assert meta.get("accelerator") == "GPU"
    assert meta.get("colab", {}).get("gpuType") == "T4"
    assert "formats" not in meta.get("jupytext", {}), \
        "a paired .ipynb would make Jupytext write the converted markdown over the MyST source"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_gpu_metadata_survives_a_jupytext_save_of_the_source(path):
    """A JupyterLab user who edits the .md (Jupytext) and saves it keeps the GPU request."""
    nb = jupytext.read(path.with_suffix(".md"))
    assert "formats" not in nb.metadata.get("jupytext", {}), "the .md must not pair itself with the converted .ipynb"
    saved = jupytext.reads(jupytext.writes(nb, fmt="md:myst"), fmt="md:myst")
    assert saved.metadata.get("accelerator") == "GPU"
    assert saved.metadata.get("colab", {}).get("gpuType") == "T4"


# ---------------------------------------------------------------- the install cell
def install_cell(path: Path) -> str:
    return next(c for c in nbformat.read(path, 4).cells if c.cell_type == "code").source


def test_install_cell_launch_button_and_version_name_one_revision():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["dynamic"]["version"]
    assert version == {"attr": "gansrc.__version__"}
    revision = TOOL.book_revision()
    assert re.fullmatch(r"v\d+\.\d+\.\d+", revision)
    assert revision == "v" + re.search(r'__version__ = "(.+)"', (ROOT / "gansrc" / "__init__.py").read_text()).group(1)
    assert CONFIG["repository"]["branch"] == revision, "book/_config.yml repository.branch: the Colab button's revision"
    cells = {lang: {install_cell(p) for p in NOTEBOOKS if p.parent.name == lang} for lang in ("en", "es")}
    assert all(len(c) == 1 for c in cells.values()), "every chapter of a language starts with the same install cell"
    english, spanish = cells["en"].pop(), cells["es"].pop()
    strip = lambda cell: [line for line in cell.splitlines() if not line.startswith("#")]  # noqa: E731
    assert strip(english) == strip(spanish), "the install cells differ in more than their comments"
    cell = english
    assert f'REVISION = "{CONFIG["repository"]["url"]}", "{revision}"' in cell
    assert "main" not in cell and "--upgrade" not in cell and " -U" not in cell
    assert max(map(len, cell.splitlines())) <= 90
    staged = yaml.safe_load(TOOL._config_for("en"))
    assert staged["repository"]["branch"] == revision  # what the launch buttons are made from


def test_stage_refuses_a_site_whose_buttons_open_another_revision(monkeypatch):
    monkeypatch.setattr(TOOL, "book_revision", lambda: "v9.9.9")
    with pytest.raises(SystemExit, match="v9.9.9"):
        TOOL._config_for("en")


# What Colab's GPU runtime preinstalls (googlecolab/backend-info, pip-freeze.gpu.txt, 2026):
# the packages the install cell could otherwise upgrade inside a live kernel.
COLAB = {
    "torch": "2.11.0", "torchvision": "0.26.0", "numpy": "2.0.2", "matplotlib": "3.10.0", "tqdm": "4.67.3",
    "pillow": "11.3.0", "ipykernel": "6.17.1", "ipywidgets": "7.7.1", "scikit-image": "0.25.2", "gdown": "5.2.2",
    "packaging": "26.2", "typing-extensions": "4.15.0", "lightning-utilities": None, "torchmetrics": None,
    "tensorboard": "2.19.0",  # with TensorFlow 2.19
}


def _requirements(names: list[str]) -> list[Requirement]:
    return [r for r in map(Requirement, names) if r.marker is None or r.marker.evaluate({"extra": ""})]


def test_installing_the_book_on_colab_upgrades_nothing_it_has():
    """`pip install -e .[notebook]` without --upgrade leaves a satisfied requirement alone: every
    floor of gansrc and its notebook extra, and of the packages Colab lacks (torchmetrics, one
    level down), accepts the version Colab ships."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirements(project["dependencies"] + project["optional-dependencies"]["notebook"])
    new = [r.name for r in wanted if COLAB.get(r.name) is None]
    assert new == ["torchmetrics"], f"packages Colab lacks: {new} (add their own requirements to COLAB)"
    wanted += _requirements(importlib.metadata.requires("torchmetrics") or [])
    upgrades = [f"{r} (Colab: {COLAB[r.name]})" for r in wanted
                if COLAB.get(r.name) and not r.specifier.contains(COLAB[r.name], prereleases=True)]
    assert not upgrades, "the install cell would upgrade: " + ", ".join(upgrades)
