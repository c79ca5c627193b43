"""Chores on the chapter notebooks: pairing, storing outputs, staging the book.

    python tools/notebooks.py sync      # write each chapter's .ipynb (what Colab opens) from its .md
    python tools/notebooks.py store [chapters/es]  # copy freshly executed outputs into chapters/*.ipynb
    python tools/notebooks.py stage     # assemble each language's site sources from the executed notebooks
    python tools/notebooks.py publish   # copy the built sites to book/_build/html/{en,es}, with the chapters' sources
    python tools/notebooks.py timings   # how long each executed chapter took

The Makefile calls these; see "How the book is built" in README.md.
"""
from __future__ import annotations

import argparse
import functools
import re
import shutil
import sys
from pathlib import Path

import nbformat

if str(Path(__file__).resolve().parent) not in sys.path:  # also when the tests load this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab_markdown  # noqa: E402  (tools/colab_markdown.py)

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
EXECUTED = ROOT / "book" / "_build" / "executed"
SITE = ROOT / "book" / "_build" / "site"
HTML = ROOT / "book" / "_build" / "html"
LANGUAGES = {"en": "English", "es": "Español"}

LANGUAGE_BOOK = {  # per-language settings of the two sites built from the one _toc.yml
    "en": {"title": "The runnable GAN textbook", "chapters": "Chapters", "back": "References", "switch": "Leer en español",
           "source": "Download the MyST source"},
    "es": {"title": "El libro de GAN ejecutable", "chapters": "Capítulos", "back": "Referencias", "switch": "Read in English",
           "source": "Descargar la fuente MyST",
           "footer": ("Las páginas se ejecutaron en modo smoke (ajustes reducidos, datos incluidos) en una CPU de "
                      "2 núcleos al construir el sitio. Abre un capítulo en Colab para la ejecución completa.\n")},
}  # a language without "footer" keeps html.extra_footer of book/_config.yml (written in English)

HEADER = {
    "en": (
        ":::{{note}}\nThis page shows the output of a **smoke-mode** run (reduced settings, bundled data, "
        "{seconds:.0f} s on a 2-core CPU) made when the site was built. Use the rocket icon above to open the "
        "notebook in Colab and run the full version on a GPU. · {switch}\n:::"
    ),
    "es": (
        ":::{{note}}\nEsta página muestra la salida de una ejecución en **modo smoke** (ajustes reducidos, datos "
        "incluidos, {seconds:.0f} s en una CPU de 2 núcleos) hecha al construir el sitio. Con el icono del cohete, "
        "arriba, se abre el cuaderno en Colab para ejecutar la versión completa en una GPU. · {switch}\n:::"
    ),
}

CHOOSER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The runnable GAN textbook · El libro de GAN ejecutable</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#222}}
a.card{{display:block;border:1px solid #ccc;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0;text-decoration:none;color:inherit}}
a.card:hover{{border-color:#2a6;background:#f6fbf8}} h1{{font-size:1.6rem}} small{{color:#666}}</style></head>
<body><h1>The runnable GAN textbook · El libro de GAN ejecutable</h1>
<p>A textbook on generative adversarial networks in which every chapter is a notebook that runs end to end.<br>
Un libro de texto sobre redes generativas antagónicas en el que cada capítulo es un cuaderno que se ejecuta de principio a fin.</p>
<a class="card" lang="en" href="en/index.html"><strong>English</strong><br><small>Preface, convolutional networks, GANs, and on.</small></a>
<a class="card" lang="es" href="es/index.html"><strong>Español</strong><br><small>Prefacio, redes convolucionales, GAN y lo que sigue.</small></a>
<p><small>Built {date} · pages executed in smoke mode on a CPU · ejecutado en modo smoke en una CPU</small></p>
</body></html>
"""


def chapter_notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("*/*.ipynb"))


@functools.lru_cache(maxsize=None)
def references(lang: str) -> dict:
    return colab_markdown.load_references(ROOT / "book" / "references.bib", lang)


def book_revision() -> str:
    """The git tag of this version of the book, ``v`` + ``gansrc.__version__`` (the version
    pyproject.toml reads): what the chapters' Colab cell installs and the site's Colab button
    opens (``repository: branch:`` in book/_config.yml)."""
    version = re.search(r'^__version__ = "([^"]+)"', (ROOT / "gansrc" / "__init__.py").read_text(), re.M)
    return f"v{version.group(1)}"


def colab_notebook(md: Path):
    """The notebook Colab and JupyterLab open for the chapter source ``md``: its cells, with the
    MyST markup of the markdown cells converted to plain markdown (tools/colab_markdown.py),
    and its metadata without the Jupytext pairing (the .ipynb is made from the .md, never the
    other way: a paired save would write the converted text over the MyST source)."""
    import jupytext

    nb = jupytext.read(md)
    lang = md.parent.name
    cells = [c for c in nb.cells if c.cell_type == "markdown"]
    for cell, text in zip(cells, colab_markdown.plain_cells([c.source for c in cells], references(lang), lang)):
        cell.source = text
    meta = nb.metadata.get("jupytext", {})
    for key in ("formats", "text_representation"):
        meta.pop(key, None)
    if not meta:
        nb.metadata.pop("jupytext", None)
    return nb


def sync() -> None:
    """Write each chapter's .ipynb from its .md (see colab_notebook); the outputs, execution
    counts and cell ids of unchanged cells are kept. A notebook already in step is not touched."""
    from jupytext.combine import combine_inputs_with_outputs

    for md in sorted(CHAPTERS.glob("*/*.md")):
        path = md.with_suffix(".ipynb")
        nb = colab_notebook(md)
        if path.exists():
            metadata = nb.metadata
            nb = combine_inputs_with_outputs(nb, nbformat.read(path, 4))
            nb.metadata = metadata
        text = nbformat.writes(nb)
        text += "" if text.endswith("\n") else "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")


def myst_notebook(nb, md: Path):
    """``nb`` (executed from the committed notebook of ``md``) with the MyST markdown of ``md``
    put back in its markdown cells, for the website: citations, admonitions, dropdowns."""
    import jupytext

    source = [c for c in jupytext.read(md).cells if c.cell_type == "markdown"]
    mine = [c for c in nb.cells if c.cell_type == "markdown"]
    plain = colab_markdown.plain_cells([c.source for c in source], references(md.parent.name), md.parent.name)
    if [c.source for c in mine] != plain:
        sys.exit(f"{md.relative_to(ROOT)} changed since its notebook was executed: run `make sync`, then `make book`.")
    for cell, original in zip(mine, source):
        cell.source = original.source
    return nb


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


def _load_toc() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def _toc_files(toc: dict) -> list[str]:
    return [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]


def language_toc(toc: dict, lang: str) -> dict:
    """The table of contents of one language's site: its landing page as root, its chapters,
    then its other pages (the references) and any pages shared by both languages."""
    files = _toc_files(toc)
    chapters = [f for f in files if f.startswith(f"chapters/{lang}/")]
    pages = [f for f in files if f.startswith(f"book/{lang}/")]
    shared = [f for f in files if not f.startswith(tuple(f"{d}/{code}/" for d in ("chapters", "book") for code in LANGUAGES))]
    text = LANGUAGE_BOOK[lang]
    return {
        "format": "jb-book",
        "root": pages[0],
        "parts": [
            {"caption": text["chapters"], "chapters": [{"file": f} for f in chapters]},
            {"caption": text["back"], "chapters": [{"file": f} for f in pages[1:] + shared]},
        ],
    }


def counterpart_link(page: str, lang: str) -> str:
    """Raw HTML link from ``page`` (path without suffix) of one site to the same page of the other."""
    other = next(code for code in LANGUAGES if code != lang)
    target = page.replace(f"/{lang}/", f"/{other}/")
    up = "../" * (page.count("/") + 1)
    return f'<a class="gansrc-language-switch" href="{up}{other}/{target}.html" hreflang="{other}">{LANGUAGE_BOOK[lang]["switch"]}</a>'


def _config_for(lang: str) -> str:
    import yaml

    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    if config["repository"]["branch"] != book_revision():
        sys.exit(f"book/_config.yml names revision {config['repository']['branch']!r}, but this is the book at "
                 f"{book_revision()!r} (gansrc.__version__): the Colab buttons would open other notebooks.")
    config["title"] = LANGUAGE_BOOK[lang]["title"]
    if "footer" in LANGUAGE_BOOK[lang]:
        config.setdefault("html", {})["extra_footer"] = LANGUAGE_BOOK[lang]["footer"]
    other = next(code for code in LANGUAGES if code != lang)
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("local_extensions", {})["gansrc_book"] = "_ext"  # book/_ext/gansrc_book.py
    sphinx.setdefault("config", {}).update({
        "language": lang,
        "html_static_path": ["_static"],
        "gansrc_other_language": other,
        "gansrc_switch_text": LANGUAGE_BOOK[lang]["switch"],
        "gansrc_source_tooltip": LANGUAGE_BOOK[lang]["source"],
    })
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def stage() -> None:
    """Lay out one site source per language in book/_build/site/{en,es}: the landing page, the
    executed chapters with a smoke-mode note and a language switch, the shared references."""
    import datetime

    import yaml

    if SITE.exists():
        shutil.rmtree(SITE)
    toc = _load_toc()
    for lang in LANGUAGES:
        site = SITE / lang
        site.mkdir(parents=True)
        own = language_toc(toc, lang)
        (site / "_toc.yml").write_text(yaml.safe_dump(own, allow_unicode=True, sort_keys=False))
        (site / "_config.yml").write_text(_config_for(lang))
        (site / "book").mkdir()
        shutil.copy(ROOT / "book" / "references.bib", site / "book" / "references.bib")
        shutil.copytree(ROOT / "book" / "_ext", site / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "book" / "_static", site / "_static")
        for page in _toc_files(own):
            if page.startswith("chapters/"):
                executed = EXECUTED / f"{page}.ipynb"
                if not executed.exists():
                    sys.exit(f"{executed} is missing: run `make notebooks` to execute the chapters.")
                nb = myst_notebook(nbformat.read(executed, 4), ROOT / f"{page}.md")
                seconds = nb.metadata.get("gansrc", {}).get("executed_seconds", 0.0)
                header = HEADER[lang].format(seconds=seconds, switch=counterpart_link(page, lang))
                title_at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.lstrip().startswith("# "))
                nb.cells.insert(title_at + 1, nbformat.v4.new_markdown_cell(header, metadata={"tags": ["gansrc-header"]}))
                (site / page).parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, site / f"{page}.ipynb")
            else:
                lines = (ROOT / f"{page}.md").read_text().splitlines()
                title_at = next(i for i, line in enumerate(lines) if line.startswith("# "))
                lines[title_at + 1: title_at + 1] = ["", counterpart_link(page, lang)]
                (site / page).parent.mkdir(parents=True, exist_ok=True)
                (site / f"{page}.md").write_text("\n".join(lines) + "\n")
    HTML.mkdir(parents=True, exist_ok=True)
    (HTML / "index.html").write_text(CHOOSER.format(date=datetime.date.today().isoformat()))
    print(f"staged one site per language in {SITE.relative_to(ROOT)}")


def publish() -> None:
    """Put each language's built site in book/_build/html/<lang>; a chapter's download menu then
    offers the committed notebook (what Colab opens) and its MyST source, not the staged copy."""
    for lang in LANGUAGES:
        built = SITE / lang / "_build" / "html"
        if not (built / "index.html").exists():
            sys.exit(f"{built} is missing: build the site first (make book).")
        target = HTML / lang
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(built, target)
        for page in _toc_files(language_toc(_load_toc(), lang)):
            if page.startswith("chapters/"):
                for suffix in (".ipynb", ".md"):
                    shutil.copy(ROOT / f"{page}{suffix}", target / "_sources" / f"{page}{suffix}")
    print(f"the site is in {(HTML / 'index.html').relative_to(ROOT)} (English: html/en, Spanish: html/es)")


def timings() -> None:
    total = 0.0
    for path in sorted(EXECUTED.glob("chapters/*/*.ipynb")):
        seconds = nbformat.read(path, 4).metadata.get("gansrc", {}).get("executed_seconds", float("nan"))
        total += seconds
        print(f"{seconds:7.1f} s  {path.relative_to(EXECUTED)}")
    print(f"{total:7.1f} s  in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["sync", "store", "stage", "publish", "timings"])
    parser.add_argument("only", nargs="?", default="", help="store: only notebooks under this path (e.g. chapters/es)")
    args = parser.parse_args()
    if args.command == "store":
        store(args.only)
    else:
        {"sync": sync, "stage": stage, "publish": publish, "timings": timings}[args.command]()


if __name__ == "__main__":
    main()
