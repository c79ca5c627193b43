"""Sphinx extension for the book's two sites (one per language, see tools/notebooks.py stage).

* Every page, search and index included, gets a link in its header to the same page in the
  other language (``gansrc_other_language``, text ``gansrc_switch_text``).
* A chapter's download menu offers its MyST source (.md) beside the notebook (.ipynb); both
  files are put in ``_sources/`` by ``tools/notebooks.py publish``.
* A script that Jupyter Book's sphinx-thebe adds twice is added once.
* The vendored MathJax (``_static/mathjax/``) is loaded only through ``mathjax_path``, on pages
  with math, not on every page as Jupyter Book does with every ``.js`` file under ``_static``.
"""
from __future__ import annotations

LANGUAGE_DIRS = ("en", "es")


def counterpart(pagename: str, language: str, other: str) -> str:
    """Relative URL from ``pagename`` of the ``language`` site to the same page of ``other``."""
    target = pagename.replace(f"/{language}/", f"/{other}/")
    return "../" * (pagename.count("/") + 1) + f"{other}/{target}.html"


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """sphinx-thebe registers its inline settings twice under Jupyter Book 1.x, and the second
    copy stops with "Identifier 'THEBE_JS_URL' has already been declared": keep the first."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    if "script_files" in context:
        context["script_files"] = unique


def add_buttons(app, pagename, templatename, context, doctree) -> None:
    buttons = context.get("header_buttons")
    if buttons is None:
        return
    other, language = app.config.gansrc_other_language, app.config.language
    if other:
        buttons.insert(0, {
            "type": "link",
            "url": counterpart(pagename, language, other),
            "text": other.upper(),
            "tooltip": app.config.gansrc_switch_text,
            "icon": "fas fa-language",
            "label": "language-switch",
            "classes": "gansrc-language-switch gansrc-header-switch",
        })
    if pagename.startswith("chapters/") and context.get("page_source_suffix") == ".ipynb":
        for group in buttons:
            if group.get("label") == "download-buttons":
                group["buttons"].insert(1, {
                    "type": "link",
                    "url": f"{context['pathto']('_sources', 1)}/{pagename}.md",
                    "text": ".md",
                    "tooltip": app.config.gansrc_source_tooltip,
                    "icon": "fas fa-file-lines",
                    "label": "download-myst-button",
                })


def load_mathjax_only_where_needed(app, config) -> None:
    """Jupyter Book puts every .js file under _static in html_js_files; MathJax is not one of
    the page scripts (sphinx.ext.mathjax adds it, deferred, where there are formulas)."""
    def name(entry):
        return str(entry[0] if isinstance(entry, (tuple, list)) else entry)
    config.html_js_files = [f for f in config.html_js_files if not name(f).startswith("mathjax/")]


def setup(app):
    app.add_config_value("gansrc_other_language", "", "html")
    app.add_config_value("gansrc_switch_text", "", "html")
    app.add_config_value("gansrc_source_tooltip", "Download the MyST source", "html")
    app.add_js_file("gansrc_book.js")
    app.connect("config-inited", load_mathjax_only_where_needed)
    app.connect("html-page-context", add_buttons, priority=600)  # after sphinx-book-theme's (501)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
