"""Every chapter's full configuration, at a small training budget, through papermill.

    python tools/fullpass.py                       # all English chapters, BUDGET 0.0002, two at a time
    python tools/fullpass.py --budget 0.01 chapters/en/02_gan.ipynb

Smoke mode (what nbval checks) has its own small networks and data; this pass runs the code a
learner gets on Colab or a GPU: ``-p SMOKE False -p BUDGET <budget>`` keeps the full widths,
image sizes, batch sizes, download attempts (with their offline fallbacks) and checkpoints, and
cuts only training lengths and image counts (``ChapterRun.steps`` and ``ChapterRun.count``).
One language suffices: the parity test keeps the code cells of both languages identical.

Each chapter runs in its own papermill process with its own empty runs folder (checkpoints and
downloads), on the best device present (the variable ``GANSRC_DEVICE`` is not passed on). The
executed notebooks are kept in ``book/_build/fullpass/`` for inspection, with ``timings.json``.
A chapter that raises fails the pass with the cell and the error; so does a change to any file
in ``data/`` (full mode must never write over the bundled data). Lines that a chapter prints
starting with ``[skipped]`` (a full-mode setting that cannot run here) are reported.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "book" / "_build" / "fullpass"
DATA = ROOT / "data"  # the bundled data, which full mode must leave as it is
# the book build's variables that would turn the chapters back into smoke mode or pin the device
DROPPED = ("GANSRC_SMOKE", "GANSRC_DEVICE", "GANSRC_STATIC", "GANSRC_RUNS", "GANSRC_BUDGET")


def data_fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def skipped_lines(notebook: Path) -> list[str]:
    """The ``[skipped] ...`` lines a chapter printed."""
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            found += [line.strip() for line in text.splitlines() if line.strip().startswith("[skipped]")]
    return found


def run_chapter(notebook: Path, budget: float, threads: int, timeout: float) -> dict:
    """Execute one chapter in full mode at ``budget``; returns its result record."""
    out = OUT / notebook.parent.name / notebook.name  # e.g. fullpass/en/02_gan.ipynb
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    runs = Path(tempfile.mkdtemp(prefix=f"fullpass-{notebook.stem}-"))
    env.update(GANSRC_RUNS=str(runs), GANSRC_TEXT_PROGRESS="1", OMP_NUM_THREADS=str(threads),
               MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "papermill", str(notebook), str(out), "-p", "SMOKE", "False",
               "-p", "BUDGET", str(budget), "--cwd", str(notebook.parent), "--no-progress-bar", "-k", "python3"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        ok, log = proc.returncode == 0, proc.stderr + proc.stdout
    except subprocess.TimeoutExpired as exc:
        ok, log = False, f"timed out after {timeout:.0f} s\n{exc.stderr or ''}"
    finally:
        shutil.rmtree(runs, ignore_errors=True)
    seconds = time.perf_counter() - start
    skipped = skipped_lines(out) if out.exists() else []
    return {"chapter": notebook.stem, "ok": ok, "seconds": round(seconds, 1), "skipped": skipped,
            "executed": str(out), "log": "" if ok else log[-6000:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/en/*.ipynb")
    parser.add_argument("--budget", type=float, default=0.0002, help="fraction of each training length (default 0.0002: most loops at their floor)")
    parser.add_argument("--jobs", type=int, default=2, help="chapters at a time (default 2)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per chapter before it counts as failed")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "chapters" / "en").glob("*.ipynb"))
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    before = data_fingerprint(DATA)
    print(f"Full configuration of {len(notebooks)} chapters at budget {args.budget}, {args.jobs} at a time "
          f"({threads} thread{'s' * (threads > 1)} each); executed notebooks in {OUT}/", flush=True)
    start = time.perf_counter()

    def one(nb: Path) -> dict:
        result = run_chapter(nb, args.budget, threads, args.timeout)
        print(f"  {result['chapter']:<22} {'ok' if result['ok'] else 'FAILED':<7} {result['seconds']:7.1f} s", flush=True)
        return result

    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, notebooks))
    after = data_fingerprint(DATA)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "timings.json").write_text(json.dumps(
        {"budget": args.budget, "wall_seconds": round(time.perf_counter() - start, 1),
         "chapters": [{k: r[k] for k in ("chapter", "ok", "seconds", "skipped")} for r in results]}, indent=1) + "\n")
    for r in results:
        for line in r["skipped"]:
            print(f"  {r['chapter']}: {line}")
    failed = [r for r in results if not r["ok"]]
    for r in failed:
        print(f"\n===== {r['chapter']} failed (executed notebook: {r['executed']}) =====\n{r['log']}")
    if changed:
        print(f"\nFull mode changed files in data/: {', '.join(changed)}. Full mode must write only under runs/.")
    print(f"Full-configuration pass: {len(results) - len(failed)} of {len(results)} chapters ran "
          f"in {time.perf_counter() - start:.0f} s.")
    return 1 if failed or changed else 0


if __name__ == "__main__":
    sys.exit(main())
