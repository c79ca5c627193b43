"""Chores on the chapter notebooks: pairing, storing outputs, staging the book.

    python tools/notebooks.py sync      # jupytext: write each chapter's .ipynb from its .md
    python tools/notebooks.py store [chapters/es]  # copy freshly executed outputs into chapters/*.ipynb
    python tools/notebooks.py stage     # assemble the book's sources from the executed notebooks
    python tools/notebooks.py timings   # how long each executed chapter took

The Makefile calls these; see "How the book is built" in README.md.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
EXECUTED = ROOT / "book" / "_build" / "executed"
SITE = ROOT / "book" / "_build" / "site"
LANGUAGES = {"en": "English", "es": "Español"}

HEADER = {
    "en": (
        ":::{{note}}\nThis page shows the output of a **smoke-mode** run (reduced settings, bundled data, "
        "{seconds:.0f} s on a 2-core CPU) made when the site was built. Use the rocket icon above to open the "
        "notebook in Colab and run the full version on a GPU. · [Leer en español]({other})\n:::"
    ),
    "es": (
        ":::{{note}}\nEsta página muestra la salida de una ejecución en **modo smoke** (ajustes reducidos, datos "
        "incluidos, {seconds:.0f} s en una CPU de 2 núcleos) hecha al construir el sitio. Con el icono del cohete, "
        "arriba, se abre el cuaderno en Colab para ejecutar la versión completa en una GPU. · [Read in English]({other})\n:::"
    ),
}


def chapter_notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("*/*.ipynb"))


def sync() -> None:
    """Regenerate each .ipynb from its paired .md (outputs of unchanged cells are kept)."""
    sources = sorted(CHAPTERS.glob("*/*.md"))
    subprocess.run([sys.executable, "-m", "jupytext", "--sync", *map(str, sources)], check=True)


def code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def store(only: str = "") -> None:
    """Copy outputs of the executed notebooks into the committed ones (sources must match)."""
    for path in chapter_notebooks():
        if only and not str(path.relative_to(ROOT)).startswith(only.rstrip("/")):
            continue
        executed = EXECUTED / path.relative_to(ROOT)
        if not executed.exists():
            sys.exit(f"{executed} is missing: execute the chapters first (make outputs does both).")
        mine, fresh = nbformat.read(path, 4), nbformat.read(executed, 4)
        if code_sources(mine) != code_sources(fresh):
            sys.exit(f"{executed} was executed from other sources than {path}: execute again.")
        fresh_code = [c for c in fresh.cells if c.cell_type == "code"]
        for cell, new in zip((c for c in mine.cells if c.cell_type == "code"), fresh_code):
            cell.outputs, cell.execution_count = new.outputs, new.execution_count
            cell.metadata.pop("gansrc", None)
        nbformat.write(mine, path)
        print(f"stored outputs in {path.relative_to(ROOT)}")


def _toc_files(toc: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(toc.read_text())
    files = [data["root"]]
    for part in data.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
    return files


def stage() -> None:
    """Lay out the book's sources in book/_build/site: pages from book/, executed chapters."""
    if SITE.exists():
        shutil.rmtree(SITE)
    SITE.mkdir(parents=True)
    shutil.copy(ROOT / "_toc.yml", SITE / "_toc.yml")
    shutil.copytree(ROOT / "book", SITE / "book", ignore=shutil.ignore_patterns("_build", "_config.yml"))
    for name in _toc_files(ROOT / "_toc.yml"):
        if not name.startswith("chapters/"):
            continue
        rel = Path(name + ".ipynb")
        executed = EXECUTED / rel
        if not executed.exists():
            sys.exit(f"{executed} is missing: run `make notebooks` to execute the chapters.")
        nb = nbformat.read(executed, 4)
        lang = rel.parts[1]
        other = next(code for code in LANGUAGES if code != lang)
        seconds = nb.metadata.get("gansrc", {}).get("executed_seconds", 0.0)
        header = HEADER[lang].format(seconds=seconds, other=f"../{other}/{rel.name}")
        title_at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.lstrip().startswith("# "))
        nb.cells.insert(title_at + 1, nbformat.v4.new_markdown_cell(header, metadata={"tags": ["gansrc-header"]}))
        (SITE / rel).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, SITE / rel)
    print(f"staged the book in {SITE.relative_to(ROOT)}")


def timings() -> None:
    total = 0.0
    for path in sorted(EXECUTED.glob("chapters/*/*.ipynb")):
        seconds = nbformat.read(path, 4).metadata.get("gansrc", {}).get("executed_seconds", float("nan"))
        total += seconds
        print(f"{seconds:7.1f} s  {path.relative_to(EXECUTED)}")
    print(f"{total:7.1f} s  in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["sync", "store", "stage", "timings"])
    parser.add_argument("only", nargs="?", default="", help="store: only notebooks under this path (e.g. chapters/es)")
    args = parser.parse_args()
    if args.command == "store":
        store(args.only)
    else:
        {"sync": sync, "stage": stage, "timings": timings}[args.command]()


if __name__ == "__main__":
    main()
