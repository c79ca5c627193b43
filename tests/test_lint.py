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


# Calls whose first torch release is known, and that release. A floor in pyproject.toml below the
# newest of those the code makes would install a torch the code cannot run on.
TORCH_SINCE = {
    "torch.nn.utils.get_total_norm": (2, 6),
    "torch.amp.GradScaler": (2, 3),
    "torch.amp.autocast": (2, 4),
    "weights_only=True": (1, 13),
}


def test_the_torch_floor_covers_every_call_the_code_makes():
    import re

    found = re.search(r'"torch>=(\d+)\.(\d+)', (ROOT / "pyproject.toml").read_text())  # (tomllib: Python 3.11+)
    floor = (int(found[1]), int(found[2]))
    source = "\n".join(p.read_text() for p in ROOT.glob("gansrc/**/*.py"))
    used = {call: since for call, since in TORCH_SINCE.items() if re.search(re.escape(call), source)}
    assert "torch.nn.utils.get_total_norm" in used  # the table is read against the real code
    needed = max(used.values())
    assert floor >= needed, f"pyproject.toml asks for torch>={floor}, the code calls {max(used, key=used.get)} (torch {needed})"
