"""tools/fullpass.py: the papermill pass that runs every chapter's full configuration in make test."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("fullpass", ROOT / "tools" / "fullpass.py")
fullpass = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fullpass)


def chapter(folder: Path, name: str, *cells: str) -> Path:
    """A notebook shaped like a chapter: a parameters cell, then ``cells``."""
    params = nbformat.v4.new_code_cell("SMOKE = None\nBUDGET = None")
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, *(nbformat.v4.new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_pass_runs_full_mode_reports_skips_and_fails_on_an_error_or_a_changed_data_file(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "judge.pt").write_bytes(b"weights")
    monkeypatch.setattr(fullpass, "OUT", tmp_path / "out")
    monkeypatch.setattr(fullpass, "DATA", data)
    monkeypatch.setenv("GANSRC_SMOKE", "1")  # what the Makefile exports; the pass must not pass it on
    good = chapter(tmp_path / "en", "01_good",
                   "import os\nassert SMOKE is False and BUDGET == 0.5, (SMOKE, BUDGET)\n"
                   "assert 'GANSRC_SMOKE' not in os.environ",
                   "print('[skipped] pix2pix256: GPU only')")
    assert fullpass.main([str(good), "--budget", "0.5", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "01_good: [skipped] pix2pix256: GPU only" in out and "1 of 1 chapters ran" in out
    assert (tmp_path / "out" / "en" / "01_good.ipynb").exists() and (tmp_path / "out" / "timings.json").exists()

    broken = chapter(tmp_path / "en", "02_broken", "x = 1", "raise ValueError('the CelebA branch is broken')")
    writer = chapter(tmp_path / "en", "03_writer", f"open({str(data / 'judge.pt')!r}, 'wb').write(b'other')")
    assert fullpass.main([str(broken), str(writer), "--budget", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "02_broken failed" in out and "ValueError: the CelebA branch is broken" in out
    assert "Full mode changed files in data/: judge.pt" in out


def test_skipped_lines_are_found_in_stream_outputs(tmp_path):
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="table\n[skipped] cyclegan256: GPU only\n")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert fullpass.skipped_lines(path) == ["[skipped] cyclegan256: GPU only"]
