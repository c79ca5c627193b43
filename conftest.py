"""pytest set-up shared by the unit tests and ``pytest --nbval chapters/``.

Notebooks run in smoke mode on the CPU with text progress bars and static figures instead of
widgets unless the caller says otherwise, so ``pytest --nbval chapters/`` checks the same reduced chapters the book shows.

With ``--nb-executed-dir DIR`` every notebook nbval executes is also written to DIR (same
relative path) with its fresh outputs: the one execution that checks a chapter is the one
the book renders. ``--nb-no-compare`` executes without comparing (to refresh stored outputs).
"""
from __future__ import annotations

import copy
import os
import platform
import time
from pathlib import Path

import pytest

os.environ.setdefault("GANSRC_SMOKE", "1")
os.environ.setdefault("GANSRC_DEVICE", "cpu")
os.environ.setdefault("GANSRC_TEXT_PROGRESS", "1")
os.environ.setdefault("GANSRC_STATIC", "1")  # widgets become static figures in executed notebooks

# One instruction set on every x86 machine. A float sum comes out differently in its last digits
# with 8-wide (AVX2) and 16-wide (AVX-512) vectors, and a GAN amplifies the difference, so the
# stored outputs were the same only on CPUs of one generation. PyTorch's own kernels, oneDNN's
# convolutions and MKL's matrix products are all held to AVX2 (which every x86 CPU of the last
# decade has) for the tests and the notebooks they execute, which inherit these variables.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
    os.environ.setdefault("MKL_CBWR", "AVX2")

ROOT = Path(__file__).resolve().parent
SANITIZER = ROOT / "tests" / "nbval_sanitize.cfg"  # what nbval ignores when it compares outputs
_RUNS: dict[str, dict] = {}


def pytest_addoption(parser):
    group = parser.getgroup("gansrc notebooks")
    group.addoption("--nb-executed-dir", default=None, help="write each executed notebook (with fresh outputs) under this folder")
    group.addoption("--nb-no-compare", action="store_true", help="execute notebooks without comparing outputs")


def pytest_configure(config):
    # The book's sanitizer by its absolute path, so that `pytest --nbval` works from any folder
    # (a path in pyproject.toml's addopts would be relative to the current one).
    if getattr(config.option, "nbval_sanitize_with", False) is None and not getattr(config.option, "sanitize_with", None):
        config.option.nbval_sanitize_with = str(SANITIZER)
    # nbval sends cells with store_history=False, and IPython then ignores a trailing ";"
    # (it looks for it in the history), so figures returned by a cell would be shown twice.
    # Execute as Jupyter does.
    try:
        from nbval.kernel import RunningKernel
    except ImportError:
        return

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

    RunningKernel.execute_cell_input = execute_cell_input


def _is_nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def pytest_collection_modifyitems(config, items):
    if config.getoption("--nb-no-compare"):
        for item in items:
            if _is_nbval_cell(item):
                item.options["check"] = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    start = time.perf_counter()
    yield
    if not _is_nbval_cell(item):
        return
    path = str(item.parent.path)
    run = _RUNS.setdefault(path, {"nb": item.parent.nb, "outputs": {}, "seconds": 0.0})
    run["seconds"] += time.perf_counter() - start
    outputs = getattr(item, "test_outputs", None)
    if outputs is not None:
        run["outputs"][item.cell_num] = (outputs, time.perf_counter() - start)


def _clean_output(out, count: int) -> dict:
    out = copy.deepcopy(dict(out))
    kind = out["output_type"]
    if kind == "execute_result":
        out["execution_count"] = count
        out.setdefault("metadata", {})
    elif kind == "display_data":
        out.pop("execution_count", None)
        out.setdefault("metadata", {})
    return out


def executed_notebook(nb, outputs: dict):
    """A copy of ``nb`` whose code cells carry the outputs nbval just received."""
    import nbformat

    nb = copy.deepcopy(nb)
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if code_index in outputs:
            outs, seconds = outputs[code_index]
            cell.outputs = [nbformat.from_dict(_clean_output(o, code_index + 1)) for o in outs]
            cell.execution_count = code_index + 1
            cell.metadata.setdefault("gansrc", {})["seconds"] = round(seconds, 2)
        else:
            cell.outputs, cell.execution_count = [], None
        code_index += 1
    return nb


def pytest_sessionfinish(session, exitstatus):
    target = session.config.getoption("--nb-executed-dir")
    if not target or not _RUNS:
        return
    import nbformat

    target = Path(target)
    for path, run in _RUNS.items():
        rel = Path(path).resolve().relative_to(ROOT)
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        nb = executed_notebook(run["nb"], run["outputs"])
        nb.metadata.setdefault("gansrc", {})["executed_seconds"] = round(run["seconds"], 1)
        nbformat.validate(nb)
        tmp = out.with_suffix(".ipynb.tmp")
        nbformat.write(nb, str(tmp))
        os.replace(tmp, out)


def pytest_terminal_summary(terminalreporter):
    if _RUNS:
        terminalreporter.write_sep("-", "notebook execution time")
        for path, run in sorted(_RUNS.items()):
            terminalreporter.write_line(f"{run['seconds']:7.1f} s  {Path(path).relative_to(ROOT)}")
