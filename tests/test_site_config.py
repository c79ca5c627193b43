"""The per-language site configuration that tools/notebooks.py stages (no build needed)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("book_notebooks_config", ROOT / "tools" / "notebooks.py")
notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebooks)


def test_each_site_has_a_footer_in_its_own_language():
    book = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    en = yaml.safe_load(notebooks._config_for("en"))
    es = yaml.safe_load(notebooks._config_for("es"))
    assert en["html"]["extra_footer"] == book["html"]["extra_footer"]
    assert "smoke mode" in en["html"]["extra_footer"]
    assert "modo smoke" in es["html"]["extra_footer"] and "Colab" in es["html"]["extra_footer"]
    assert es["html"]["extra_footer"] != en["html"]["extra_footer"]
    assert es["html"]["use_repository_button"] is True  # the rest of html: stays
