"""Checks on the book's sources that are cheaper than building the site."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(ROOT.glob("chapters/*/*.md")) + sorted(ROOT.glob("book/*/*.md"))


def test_bibliography_parses_and_every_citation_has_an_entry():
    pybtex = pytest.importorskip("pybtex.database")
    entries = pybtex.parse_file(str(ROOT / "book" / "references.bib")).entries
    cited = {(page.relative_to(ROOT), key.strip()) for page in PAGES
             for keys in re.findall(r"\{cite[tp]?\}`([^`]+)`", page.read_text()) for key in keys.split(",")}
    assert len(cited) > 20, "the citation pattern found (almost) nothing: has the syntax changed?"
    missing = sorted(f"{page}: {key}" for page, key in cited if key not in entries)
    assert not missing, "citations without a references.bib entry:\n" + "\n".join(missing)
