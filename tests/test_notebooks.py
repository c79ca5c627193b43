"""Checks on the chapter notebooks themselves (their execution is `pytest --nbval chapters/`)."""
from __future__ import annotations

import functools
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tokenize
import types
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EN = sorted((ROOT / "chapters" / "en").glob("*.ipynb"))
ES = sorted((ROOT / "chapters" / "es").glob("*.ipynb"))
CHAPTERS = [p.name for p in EN]
CONFIG = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())


def read(path: Path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def code_tokens(source: str) -> list[tuple[int, str]]:
    """The code of a cell without comments and blank lines: what runs, not how it is explained."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]


def test_both_languages_have_the_same_chapters():
    assert CHAPTERS, "no chapters found"
    assert CHAPTERS == [p.name for p in ES]
    for folder in ("en", "es"):
        md = sorted(p.stem for p in (ROOT / "chapters" / folder).glob("*.md"))
        assert md == sorted(Path(c).stem for c in CHAPTERS), f"every chapters/{folder} notebook needs its .md source"


def code_for_parity(cell, lang: str) -> list[tuple[int, str]]:
    """A code cell's tokens, with the parameters cell's ``LANG = "<lang>"`` put in a neutral form;
    a parameters cell without exactly that assignment keeps its tokens and so fails parity."""
    tokens = code_tokens(cell.source)
    if "parameters" in cell.metadata.get("tags", []):
        assignment = [(tokenize.NAME, "LANG"), (tokenize.OP, "="), (tokenize.STRING, f'"{lang}"')]
        starts = [i for i in range(len(tokens)) if tokens[i:i + 3] == assignment]
        if len(starts) == 1:
            tokens[starts[0] + 2] = (tokenize.STRING, '"<LANG>"')
    return tokens


@pytest.mark.parametrize("name", CHAPTERS)
def test_languages_run_the_same_code(name):
    """Spanish and English notebooks run identical code (comments may be translated), but for
    the parameters cell's ``LANG = "en"`` / ``LANG = "es"``."""
    en, es = code_cells(read(ROOT / "chapters" / "en" / name)), code_cells(read(ROOT / "chapters" / "es" / name))
    assert len(en) == len(es), f"{name}: {len(en)} code cells in English, {len(es)} in Spanish"
    for i, (a, b) in enumerate(zip(en, es)):
        assert code_for_parity(a, "en") == code_for_parity(b, "es"), f"{name}: code cell {i} differs between en and es"
        for key in ("tags", "jupyter", "cellView"):
            assert a.metadata.get(key) == b.metadata.get(key), f"{name}: code cell {i} has different {key} metadata"


def test_parity_check_notices_a_changed_cell():
    assert code_tokens("x = 1  # one") == code_tokens("x = 1  # uno\n")
    assert code_tokens("x = 1") != code_tokens("x = 2")


def test_parity_check_allows_only_the_language_parameter():
    params = {"tags": ["parameters"]}
    cell = lambda source, metadata=params: nbformat.v4.new_code_cell(source, metadata=metadata)  # noqa: E731
    head = "SMOKE = None\nBUDGET = None\n"
    same = code_for_parity(cell(head + 'LANG = "en"  # language'), "en")
    assert same == code_for_parity(cell(head + 'LANG = "es"  # idioma'), "es")
    assert same != code_for_parity(cell(head + 'LANG = "es"'), "en")  # the wrong edition's value
    assert same != code_for_parity(cell(head + 'LANG = "fr"'), "es")
    assert same != code_for_parity(cell("SMOKE = True\nBUDGET = None\n" + 'LANG = "es"'), "es")
    assert same != code_for_parity(cell(head + 'LANG = "es"\nX = 1'), "es")
    # outside the parameters cell a different language string is a difference
    assert code_for_parity(cell('LANG = "en"', {}), "en") != code_for_parity(cell('LANG = "es"', {}), "es")


@pytest.mark.parametrize("path", EN + ES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parameters_cell_names_its_language_and_passes_it_on(path):
    """Each chapter says its language once (LANG in the parameters cell) and hands it to gansrc."""
    cells = code_cells(read(path))
    params = next(c for c in cells if "parameters" in c.metadata.get("tags", []))
    assert f'LANG = "{path.parent.name}"' in params.source.splitlines()[2]
    assert sum("gansrc.start_chapter(SMOKE, budget=BUDGET, lang=LANG)" in c.source for c in cells) == 1


@functools.lru_cache(maxsize=None)
def _notebooks_tool():
    spec = importlib.util.spec_from_file_location("book_notebooks", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", EN + ES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_matches_its_markdown_source(path):
    """The .ipynb was regenerated after the last edit of its .md (run `make sync`): the same
    cells, the markdown converted for Colab (tools/colab_markdown.py)."""
    source = _notebooks_tool().colab_notebook(path.with_suffix(".md"))
    nb = read(path)
    strip = lambda cells: [(c.cell_type, c.source.strip()) for c in cells]  # noqa: E731
    assert strip(source.cells) == strip(nb.cells), f"{path.name} and its .md differ: run `make sync`"


@pytest.mark.parametrize("path", EN + ES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stored_outputs_exist_so_nbval_has_something_to_compare(path):
    cells = code_cells(read(path))
    runnable = [c for c in cells if "remove-cell" not in c.metadata.get("tags", []) and "parameters" not in c.metadata.get("tags", [])]
    assert all(c.execution_count is not None for c in runnable), f"{path.name} has unexecuted cells: run `make outputs`"
    texts = [o for c in runnable for o in c.outputs if o.output_type == "stream" or "text/plain" in o.get("data", {})]
    assert len(texts) >= 3, f"{path.name} stores almost no text output for nbval to check"
    assert not any(o.output_type == "error" for c in cells for o in c.outputs), f"{path.name} stores an error"


@pytest.mark.parametrize("path", EN + ES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_reader_gets_full_mode(path):
    """The parameters cell defaults to full mode; no papermill-injected cell is committed."""
    cells = code_cells(read(path))
    params = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].source.splitlines()[0].startswith("SMOKE = None")
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in cells)


def colab_cell(path: Path) -> str:
    first = code_cells(read(path))[0]
    assert "remove-cell" in first.metadata.get("tags", [])
    return first.source


def test_colab_cell_is_the_same_everywhere_and_names_the_configured_repository():
    """One Colab cell per language, word for word; the two differ only in their comments."""
    by_language = {lang: {colab_cell(p) for p in paths} for lang, paths in (("en", EN), ("es", ES))}
    assert all(len(s) == 1 for s in by_language.values()), "every chapter must start with the same Colab cell"
    source, spanish = by_language["en"].pop(), by_language["es"].pop()
    assert code_tokens(source) == code_tokens(spanish), "the Colab cells of en and es run different code"
    assert source != spanish, "the Spanish Colab cell keeps the English comment"
    repo = CONFIG["repository"]
    assert f'"{repo["url"]}", "{repo["branch"]}"' in source and '"--branch", REVISION' in source
    assert "mount" not in source and "drive" not in source, "the Colab cell must not mount anything without asking"


def run_colab_cell(monkeypatch, on_colab: bool):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: calls.append(cmd))
    monkeypatch.setattr(os.path, "isdir", lambda p: False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(colab_cell(EN[0]), {})
    return calls, list(sys.path)


def test_colab_cell_installs_on_colab_only(monkeypatch):
    calls, _ = run_colab_cell(monkeypatch, on_colab=False)
    assert calls == []
    calls, path = run_colab_cell(monkeypatch, on_colab=True)
    repo = CONFIG["repository"]
    assert calls == [
        ["git", "clone", "--depth", "1", "--branch", repo["branch"], repo["url"], "/content/gan-book"],
        [sys.executable, "-m", "pip", "install", "--quiet", "-e", "/content/gan-book[notebook]"],
    ]
    assert path[0] == "/content/gan-book"


def test_regression_check_fails_when_a_stored_result_changes(tmp_path):
    """Prove that `pytest --nbval` bites: a copy of chapter 01, cut after its output-size table,
    passes as stored and fails once one stored number is changed. pytest runs from a folder
    outside the repository, as `pytest --nbval` must work from any folder."""
    nb = read(ROOT / "chapters" / "en" / "01_cnn.ipynb")
    cut = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any("formula  PyTorch" in o.get("text", "") for o in c.outputs))
    nb.cells = nb.cells[: cut + 1]
    table = nb.cells[cut].outputs[0]
    assert "28   4  2  1       14       14" in table.text
    work = ROOT / "book" / "_build" / "regression-check"  # inside the repository, so conftest.py applies
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        def nbval(notebook) -> subprocess.CompletedProcess:
            path = work / "copy.ipynb"
            nbformat.write(notebook, path)
            return subprocess.run([sys.executable, "-m", "pytest", "--nbval", str(path), "-q", "-p", "no:cacheprovider"],
                                  cwd=tmp_path, capture_output=True, text=True, timeout=600)

        unchanged = nbval(nb)
        assert unchanged.returncode == 0, unchanged.stdout[-3000:]
        table.text = table.text.replace("28   4  2  1       14       14", "28   4  2  1       15       14")
        changed = nbval(nb)
        assert changed.returncode != 0
        assert "Cell outputs differ" in changed.stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- exercises and their solutions
EXERCISES = {"en": ("## Exercises", "### Solutions", "Solution"), "es": ("## Ejercicios", "### Soluciones", "Solución")}
HIDDEN_CODE = {"cellView": "form", "jupyter": {"outputs_hidden": True, "source_hidden": True}}
WITH_EXERCISES = [p for p in EN + ES if not p.name.startswith("00_")]  # the preface has none


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chapter_ends_with_exercises_and_folded_solutions(path):
    """The book's convention (README.md, "Exercises"): 3-5 numbered exercises, then a "Solutions"
    heading collapsed in JupyterLab and Colab, then for each exercise a dropdown admonition (folded
    on the website, source hidden in Jupyter) and optionally code cells that run in smoke mode,
    hidden behind a toggle on the website and folded in Jupyter and Colab."""
    exercises_title, solutions_title, solution_word = EXERCISES[path.parent.name]
    nb = read(path)
    cells = nb.cells
    source = jupytext.read(path.with_suffix(".md")).cells  # the same cells, in MyST
    starts = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and exercises_title in c.source.splitlines()]
    assert len(starts) == 1, f"{path.name}: one markdown cell must have the heading {exercises_title!r}"
    at = starts[0]
    after_title = cells[at].source.split(exercises_title, 1)[1]
    assert "\n#" not in after_title, f"{path.name}: the exercises must be the last section before the solutions"
    questions = [line for line in after_title.splitlines() if line[:1].isdigit() and ". " in line[:4]]
    assert 3 <= len(questions) <= 5, f"{path.name}: {len(questions)} exercises (3 to 5 wanted)"
    assert [int(q.split(".")[0]) for q in questions] == list(range(1, len(questions) + 1))

    heading = cells[at + 1]
    assert heading.cell_type == "markdown" and heading.source.strip() == solutions_title
    assert heading.metadata.get("id") == "solutions" and heading.metadata.get("jp-MarkdownHeadingCollapsed") is True
    assert "solutions" in nb.metadata.get("colab", {}).get("collapsed_sections", []), "Colab must open with the solutions folded"

    numbers = []
    for cell, myst in zip(cells[at + 2:], source[at + 2:]):
        if cell.cell_type == "markdown":
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, f"{path.name}: solution text not folded in Jupyter"
            head = myst.source.strip().splitlines()
            assert head[0].startswith(f":::{{admonition}} {solution_word} ") and head[1] == ":class: dropdown", \
                f"{path.name}: every solution is a dropdown admonition titled '{solution_word} N' (on the website)"
            number = int(head[0].rsplit(" ", 1)[1])
            assert cell.source.startswith(f"<details>\n<summary>{solution_word} {number}</summary>\n"), \
                f"{path.name}: solution {number} must be folded in a <details> block on Colab"
            numbers.append(number)
        else:
            assert "hide-cell" in cell.metadata.get("tags", []), f"{path.name}: solution code must be tagged hide-cell"
            assert {k: cell.metadata.get(k) for k in HIDDEN_CODE} == HIDDEN_CODE, f"{path.name}: solution code must be folded"
            assert cell.execution_count is not None, f"{path.name}: solution code must run in smoke mode (make outputs)"
    assert numbers == list(range(1, len(questions) + 1)), f"{path.name}: solutions {numbers} for {len(questions)} exercises"


# ---------------------------------------------------------------- code that reads on the page
COLUMN = 90  # characters of code the rendered page shows without scrolling sideways


def too_wide(source: str) -> list[str]:
    return [line for line in source.splitlines() if len(line) > COLUMN]


def test_width_check_notices_a_wide_line():
    assert too_wide("x = 1\n" + "y = " + "1" * (COLUMN - 4)) == []
    assert too_wide("x = 1\n" + "y = " + "1" * (COLUMN - 3)) == ["y = " + "1" * (COLUMN - 3)]


@pytest.mark.parametrize("path", EN + ES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chapter_code_fits_the_column(path):
    """Every code line of a chapter, in its .md source and its notebook, fits the page's column."""
    for cells, kind in ((jupytext.read(path.with_suffix(".md")).cells, ".md"), (read(path).cells, ".ipynb")):
        for i, cell in enumerate(c for c in cells if c.cell_type == "code"):
            wide = too_wide(cell.source)
            assert not wide, f"{path.name} ({kind}) code cell {i}: {len(wide)} lines over {COLUMN} characters: {wide[0]!r}"


def printed_sources() -> dict[str, object]:
    """What the chapters print with inspect.getsource: {"Name.attr": the object}, resolved through
    the chapter's own `from gansrc... import Name` lines."""
    import ast
    import importlib

    printed = {}
    for path in EN:
        sources = [c.source for c in code_cells(read(path))]
        imports = {}
        for node in ast.walk(ast.parse("\n".join(sources))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gansrc"):
                imports.update({alias.asname or alias.name: (node.module, alias.name) for alias in node.names})
        for node in ast.walk(ast.parse("\n".join(sources))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("inspect.getsource", "getsource"):
                name = ast.unparse(node.args[0])
                head, *rest = name.split(".")
                assert head in imports, f"{path.name} prints the source of {name}, not imported from gansrc"
                module, attr = imports[head]
                obj = getattr(importlib.import_module(module), attr)
                for part in rest:
                    obj = getattr(obj, part)
                printed[name] = obj
    return printed


def test_printed_gansrc_source_fits_the_column():
    import inspect

    printed = printed_sources()
    assert "TutorialGAN.step" in printed  # chapter 08 prints it: the search reads the real chapters
    for name, obj in printed.items():
        wide = too_wide(inspect.getsource(obj))
        assert not wide, f"the chapters print {name}, whose source has lines over {COLUMN} characters: {wide[0]!r}"


def listed_source_lines() -> list[str]:
    """What chapter 03's ``lines_with`` prints of gansrc's source: its own definition, run on
    the arguments of each of its calls in the chapter."""
    import ast
    import contextlib
    import importlib
    import io

    source = "\n".join(c.source for c in code_cells(read(ROOT / "chapters" / "en" / "03_dcgan.ipynb")))
    tree = ast.parse(source)
    definition = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "lines_with")
    namespace = {"inspect": __import__("inspect")}
    exec(compile(ast.Module([definition], []), "03_dcgan lines_with", "exec"), namespace)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "lines_with"]
    assert len(calls) >= 5, "chapter 03 lists the guidelines' lines with lines_with"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for call in calls:
            module = importlib.import_module(f"gansrc.models.{ast.unparse(call.args[0])}")
            namespace["lines_with"](module, *(ast.literal_eval(a) for a in call.args[1:]),
                                    **{k.arg: ast.literal_eval(k.value) for k in call.keywords})
    return out.getvalue().splitlines()


def test_listed_gansrc_lines_fit_the_column():
    lines = listed_source_lines()
    assert any("ConvTranspose2d" in line and "stride=2" in line for line in lines)
    wide = too_wide("\n".join(lines))
    assert not wide, f"chapter 03 lists lines of gansrc over {COLUMN} characters: {wide[0]!r}"
