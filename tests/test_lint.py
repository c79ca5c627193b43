"""The static check: ruff's pyflakes rules (undefined names, unused imports and variables...)
over gansrc, tools, tests and every chapter's code cells (ruff reads the .ipynb, which
``test_notebooks`` keeps identical to its .md). Configured in pyproject.toml, [tool.ruff]."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["gansrc", "tools", "tests", "conftest.py", "book/_ext", "chapters"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_reads_every_chapter_and_module():
    listed = {Path(line).resolve() for line in _ruff("check", "--show-files", *TARGETS).stdout.splitlines() if line.strip()}
    expected = set(ROOT.glob("chapters/*/*.ipynb")) | set(ROOT.glob("gansrc/**/*.py")) | set(ROOT.glob("tools/*.py"))
    assert expected and not expected - listed, sorted(str(p) for p in expected - listed)


def test_ruff_finds_nothing():
    result = _ruff("check", "--no-cache", "--output-format", "concise", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr
