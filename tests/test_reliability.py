"""Faults survived, bad inputs answered, nothing unsafe loaded (README.md, "Reliability")."""
from __future__ import annotations

import ast
import io
import os
import random
import re
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
import torch

import gansrc
from gansrc.downloads import DownloadError, fetch, safe_extract, sha256sum, verify
from gansrc.runtime import kept_checkpoints
from gansrc.train import CheckpointDir, load_checkpoint

ROOT = Path(__file__).resolve().parent.parent

# A small GAN run in a child process. It prints "STEP n" after every step and "MID-SAVE" half-way
# through writing each checkpoint (with argv[3] == "1" it then pauses, so a kill lands there).
CHILD = r"""
import io, sys, time
import torch
torch.set_num_threads(1)
from gansrc.data import TensorBatches, load_bundled_mnist
from gansrc.models import MLPDiscriminator, MLPGenerator
from gansrc.train import GANTrainer

folder, steps, slow = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
real_save = torch.save

def half_then_rest(obj, f, *args, **kwargs):
    buffer = io.BytesIO()
    real_save(obj, buffer)
    data = buffer.getvalue()
    f.write(data[: len(data) // 2])
    f.flush()
    print("MID-SAVE", flush=True)
    if slow:
        time.sleep(1.0)
    f.write(data[len(data) // 2:])

torch.save = half_then_rest
torch.manual_seed(0)
trainer = GANTrainer(MLPGenerator(8, hidden=(32,)), MLPDiscriminator(hidden=(32,)),
                     TensorBatches(load_bundled_mnist().images[:256], batch_size=32, seed=0),
                     latent_dim=8, log_every=1, checkpoint_dir=folder, checkpoint_every=20, keep_last=2,
                     diagnostics=False, callbacks=[lambda t, logs: print("STEP", t.step, flush=True)])
trainer.fit(steps, show_progress=False)
print("DONE", flush=True)
"""
STEPS = 300


def launch(folder: Path, slow: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(STEPS), "1" if slow else "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def kill_when(proc: subprocess.Popen, predicate) -> str:
    """SIGKILL the child at the first stdout line for which ``predicate`` is true."""
    for line in proc.stdout:
        if predicate(line.strip()):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return line.strip()
    proc.wait()
    raise AssertionError(f"the child ended before the kill point (exit {proc.returncode}): {proc.stderr.read()[-500:]}")


def final_weights(folder: Path) -> dict:
    path = CheckpointDir(folder).paths()[-1]
    assert path.name == f"ckpt-{STEPS:08d}.pt"
    return load_checkpoint(path)["models"]


def test_sigkill_at_random_moments_never_loses_work(tmp_path):
    """Six kills (two half-way through a checkpoint write, two at a random step, two after a
    random delay); each relaunch resumes from the last complete checkpoint, and the final
    weights equal those of a run that was never interrupted."""
    straight = launch(tmp_path / "straight")
    out, err = straight.communicate(timeout=300)
    assert "DONE" in out, err[-500:]

    folder, rng, seen = tmp_path / "killed", random.Random(0), []
    plan = ["mid-save", "step", "delay", "mid-save", "step", "delay"]
    for kind in plan:
        done = int(CheckpointDir(folder).paths()[-1].name[5:13]) if CheckpointDir(folder).paths() else 0
        if done >= STEPS - 20:
            break
        proc = launch(folder, slow=kind == "mid-save")
        if kind == "mid-save":
            seen.append(kill_when(proc, lambda line: line == "MID-SAVE"))
        elif kind == "step":
            target = rng.randint(done + 1, STEPS - 1)
            seen.append(kill_when(proc, lambda line, t=target: line == f"STEP {t}"))
        else:
            time.sleep(rng.uniform(0.3, 3.0))  # anywhere: importing, resuming, training or saving
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            seen.append("delay")
        for path in CheckpointDir(folder).paths():  # what is there is always whole
            load_checkpoint(path)
    assert seen.count("MID-SAVE") == 2
    final = launch(folder)
    out, err = final.communicate(timeout=300)
    assert "DONE" in out and "Resumed from" in out, err[-500:]
    assert not list(folder.glob(".ckpt-*.tmp"))  # a kill mid-save leaves one; the next save removes it
    a, b = final_weights(tmp_path / "straight"), final_weights(folder)
    for model in a:
        for key in a[model]:
            assert torch.equal(a[model][key], b[model][key]), f"{model}.{key}"


def test_checkpoint_written_on_another_device_resumes_here(tmp_path, capsys):
    """A GPU checkpoint on a CPU-only machine: the weights load; the trainer's noise generator,
    whose GPU state means nothing here, is reseeded and the run says so."""
    from tests.test_trainer import make_gan

    first = make_gan(tmp_path)
    first.fit(10, show_progress=False)
    path = CheckpointDir(tmp_path).paths()[-1]
    state = load_checkpoint(path)
    state["rng"]["device"], state["rng"]["trainer"] = "cuda", torch.zeros(16, dtype=torch.uint8)  # a CUDA generator's state
    torch.save(state, path)
    again = make_gan(tmp_path)
    again.fit(20, show_progress=False)
    assert again.step == 20 and "written on cuda" in capsys.readouterr().out


# -- downloads and archives

def test_fetch_verifies_the_checksum_and_never_keeps_a_bad_file(tmp_path, no_network):
    source = tmp_path / "source.bin"
    source.write_bytes(b"weights" * 1000)
    url = source.as_uri()  # file:// needs no network
    good = fetch(url, tmp_path / "dl" / "a.bin", sha256=sha256sum(source))
    assert good.read_bytes() == source.read_bytes()
    with pytest.raises(DownloadError, match="expected"):
        fetch(url, tmp_path / "dl" / "b.bin", sha256="0" * 64)
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["a.bin"]  # no partial file left


def test_without_a_published_checksum_the_first_download_is_recorded_and_checked(tmp_path):
    source = tmp_path / "archive.tar.gz"
    source.write_bytes(b"first version")
    path = fetch(source.as_uri(), tmp_path / "dl" / "archive.tar.gz")
    assert (tmp_path / "dl" / "archive.tar.gz.sha256").read_text().startswith(sha256sum(path))
    path.write_bytes(b"changed afterwards")
    with pytest.raises(DownloadError, match="Delete it to download it again"):
        verify(path)


def _tar_with(tmp_path: Path, members: list[tarfile.TarInfo]) -> Path:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for info in members:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return archive


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 1
    return info


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.mark.parametrize("member", [_file("../outside.txt"), _file("/tmp/absolute.txt"), _file("a/../../up.txt"),
                                    _link("facades/link", "../../etc/passwd"), _link("facades/abs", "/etc/passwd")],
                         ids=["dotdot", "absolute", "nested-dotdot", "relative-link", "absolute-link"])
def test_safe_extract_refuses_members_outside_the_target(tmp_path, member):
    archive = _tar_with(tmp_path, [_file("facades/train/1.jpg"), member])
    target = tmp_path / "out"
    with pytest.raises(DownloadError, match="refused"):
        safe_extract(archive, target)
    assert not (target / "facades").exists()  # checked before anything was written
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "up.txt").exists()


def test_safe_extract_zip_and_a_good_tar(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../outside.txt", "x")
    with pytest.raises(DownloadError, match="outside"):
        safe_extract(evil, tmp_path / "z")
    good = _tar_with(tmp_path, [_file("horse2zebra/trainA/1.jpg"), _link("horse2zebra/same", "trainA/1.jpg")])
    safe_extract(good, tmp_path / "t")
    assert (tmp_path / "t" / "horse2zebra" / "trainA" / "1.jpg").read_bytes() == b"x"
    not_archive = tmp_path / "junk.tar.gz"
    not_archive.write_bytes(b"<html>quota exceeded</html>")
    with pytest.raises(DownloadError, match="not a readable"):
        safe_extract(not_archive, tmp_path / "j")


def test_every_torch_load_uses_weights_only_and_nothing_is_unpickled():
    """Read the package's source: every torch.load passes weights_only=True; no pickle.load."""
    for path in (ROOT / "gansrc").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = getattr(node.func.value, "id", "")
                if owner == "torch" and node.func.attr == "load":
                    flags = {k.arg: k.value for k in node.keywords}
                    assert isinstance(flags.get("weights_only"), ast.Constant) and flags["weights_only"].value is True, \
                        f"{path.name}:{node.lineno} torch.load without weights_only=True"
                assert not (owner == "pickle" and node.func.attr in {"load", "loads"}), f"{path.name}:{node.lineno}"


# -- Colab and determinism

def test_google_drive_helper_points_runs_at_drive(tmp_path, monkeypatch, capsys):
    import types

    mounted = []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=lambda point: mounted.append(point))
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    for name in ("GANSRC_RUNS", "GANSRC_KEEP_CHECKPOINTS"):  # set, then unset: undone after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    assert gansrc.use_google_drive(smoke=True, mount_point=str(tmp_path)) == gansrc.runs_dir() and not mounted
    assert capsys.readouterr().out == ""  # smoke mode: nothing mounted, nothing printed
    target = gansrc.use_google_drive(mount_point=str(tmp_path))
    assert mounted == [str(tmp_path)] and target == tmp_path / "MyDrive" / "gan-textbook-runs" and target.is_dir()
    assert gansrc.runs_dir() == target
    assert kept_checkpoints() == (2, 1)  # a free Drive holds every chapter's runs


def test_google_drive_helper_elsewhere_changes_nothing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "google.colab", None)  # import fails, as off Colab
    monkeypatch.delenv("GANSRC_KEEP_CHECKPOINTS", raising=False)
    before = gansrc.runs_dir()
    assert gansrc.use_google_drive() == before and "Not running on Colab" in capsys.readouterr().out
    assert gansrc.use_google_drive(smoke=True) == before and capsys.readouterr().out == ""
    assert kept_checkpoints() == (3, 3)


def test_the_determinism_switch_gives_identical_weights():
    from tests.test_trainer import make_gan, params

    runs = []
    try:
        for _ in range(2):
            gansrc.seed_everything(3, deterministic=True)
            trainer = make_gan(seed=3, dcgan=True)
            trainer.fit(15, show_progress=False)
            runs.append(params(trainer))
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
    for key in runs[0]:
        assert torch.equal(runs[0][key], runs[1][key]), key


def test_grayscale_into_an_rgb_model_is_refused_with_the_shape(tmp_path):
    """Models check their input; the folder loader converts instead (channels=3)."""
    from gansrc.models import UNetGenerator

    with pytest.raises(ValueError, match=r"built for images of shape \(N, 3, 32, 32\); got \(2, 1, 32, 32\)"):
        UNetGenerator(3, 3, image_size=32, ngf=4)(torch.zeros(2, 1, 32, 32))


# -- the bad-input table of README.md: every row names the test that covers it

def test_every_row_of_the_bad_input_table_has_a_test():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Bad inputs", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Input") and "---" not in line]
    assert len(rows) >= 35, "the table lists each case of issues 8 and 16"
    for row in rows:
        ref = re.search(r"`(tests/[\w/]+\.py)::(\w+)`", row)
        assert ref, f"row without a test: {row}"
        source = (ROOT / ref.group(1)).read_text()
        assert f"def {ref.group(2)}(" in source, f"{ref.group(1)} has no test {ref.group(2)}"
