"""Nothing lost and nothing silently wrong (issue 16): shared run folders, resume semantics,
interrupted fits, callbacks' state, damaged checkpoints, a full disk, settings out of range."""
from __future__ import annotations

import errno
import io
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gansrc import losses as L
from gansrc.data import Deluxe, DiffAugment, TensorBatches, load_bundled_mnist
from gansrc.metrics import FIDTracker
from gansrc.models import MLPDiscriminator, MLPGenerator, load_classifier
from gansrc.train import (
    CheckpointDir, ClassifierTrainer, CycleGANTrainer, GANTrainer, TrainingDiagnostics, load_checkpoint,
)
from gansrc.train.checkpoint import CheckpointWriteError
from gansrc.train.runlock import LOCK_NAME, FolderInUseError
from gansrc.train.settings import SettingsMismatchError
from gansrc.train.trainer import InterruptedRunError

ROOT = Path(__file__).resolve().parent.parent
MNIST = load_bundled_mnist()
DATA = MNIST.images[:512]


def gan(folder=None, batch_size=32, seed=0, data_seed=None, batch_augment=None, **kw):
    torch.manual_seed(seed)
    options = dict(latent_dim=8, seed=seed, log_every=5, sample_every=10, checkpoint_dir=folder, checkpoint_every=10)
    options.update(kw)
    return GANTrainer(MLPGenerator(latent_dim=8, hidden=(32,)), MLPDiscriminator(hidden=(32,), dropout=0.3),
                      TensorBatches(DATA, batch_size=batch_size, seed=seed if data_seed is None else data_seed,
                                    augment=batch_augment), **options)


def weights(trainer):
    return {f"{m}.{k}": v.clone() for m, model in trainer.models.items() for k, v in model.state_dict().items()}


def assert_same_run(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key
    assert a.history == b.history and a.step == b.step


# ------------------------------------------------------------------ two runs, one folder

CHILD = r"""
import signal, sys, time
# Ctrl-C raises KeyboardInterrupt even when the parent ignores SIGINT (pytest-xdist's workers do,
# and an ignored signal stays ignored in a child, where Python then installs no handler).
signal.signal(signal.SIGINT, signal.default_int_handler)
import torch
torch.set_num_threads(1)
from gansrc.data import Deluxe, DiffAugment, TensorBatches, load_bundled_mnist
from gansrc.models import MLPDiscriminator, MLPGenerator
from gansrc.train import GANTrainer

import os
folder, steps, pause, mode = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
hold = sys.argv[5] if len(sys.argv) > 5 else ""
hold_last = sys.argv[6] if len(sys.argv) > 6 else ""

def report(trainer, logs):
    print("STEP", trainer.step, flush=True)
    time.sleep(pause)
    while trainer.step == 12 and hold and os.path.exists(hold):  # the test holds this run here
        time.sleep(0.05)
    waited = 0
    while trainer.step == steps and hold_last and os.path.exists(hold_last) and waited < 1200:
        time.sleep(0.05)  # ... or at its end (for at most a minute)
        waited += 1

torch.manual_seed(0)
trainer = GANTrainer(MLPGenerator(8, hidden=(32,)), MLPDiscriminator(hidden=(32,)),
                     TensorBatches(load_bundled_mnist().images[:256], batch_size=32, seed=0),
                     latent_dim=8, log_every=1, checkpoint_dir=folder, checkpoint_every=10, keep_last=2,
                     diagnostics=False, callbacks=[report])
while True:
    try:
        trainer.fit(steps, show_progress=False)
        break
    except KeyboardInterrupt:
        if mode != "interrupt":
            raise
        print("INTERRUPTED", flush=True)
torch.save({k: v for k, v in trainer.generator.state_dict().items()}, folder + "/final-generator.pt")
print("DONE", flush=True)
"""


def launch(folder: Path, steps: int, pause: float = 0.0, mode: str = "plain", hold: str = "",
           hold_last: str = "") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(steps), str(pause), mode, hold,
                             hold_last],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(proc: subprocess.Popen, predicate) -> str:
    for line in proc.stdout:
        if predicate(line.strip()):
            return line.strip()
    proc.wait()
    raise AssertionError(f"the child ended first (exit {proc.returncode}): {proc.stderr.read()[-800:]}")


def final_generator(folder: Path) -> dict:
    return torch.load(folder / "final-generator.pt", weights_only=True)


def test_two_processes_on_one_folder_never_share_it(tmp_path):
    """A second run on a folder that a first one is training in is refused with the holder's pid,
    host and start time; the first run is not disturbed (its result equals a run that was alone)."""
    straight = launch(tmp_path / "alone", 40)
    assert "DONE" in straight.communicate(timeout=300)[0]

    hold = tmp_path / "hold"
    hold.touch()
    first = launch(tmp_path / "shared", 40, hold=str(hold))
    wait_for(first, lambda line: line == "STEP 12")  # a checkpoint exists, and the first run waits at step 12
    second = launch(tmp_path / "shared", 40)
    out, err = second.communicate(timeout=300)
    hold.unlink()
    assert second.returncode != 0 and "DONE" not in out
    assert "FolderInUseError" in err and f"process {first.pid}" in err and "training since" in err, err[-800:]
    rest, _ = first.communicate(timeout=300)
    assert "DONE" in rest
    a, b = final_generator(tmp_path / "alone"), final_generator(tmp_path / "shared")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (tmp_path / "shared" / LOCK_NAME).exists()  # released at the end
    for path in CheckpointDir(tmp_path / "shared").paths():
        load_checkpoint(path)


def _write_lock(folder: Path, **info) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    path.write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": "2024-01-01T10:00:00", "token": "x", **info}))
    return path


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path, capsys):
    import socket

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    _write_lock(tmp_path, pid=int(dead.stdout), host=socket.gethostname())  # its process has exited
    gan(tmp_path).fit(10, show_progress=False)
    assert f"left by process {int(dead.stdout)}" in capsys.readouterr().out and not (tmp_path / LOCK_NAME).exists()

    lock = _write_lock(tmp_path, pid=4242, host="colab-vm")  # another machine, alive a moment ago
    with pytest.raises(FolderInUseError, match=r"process 4242 on host 'colab-vm', training since 2024-01-01T10:00:00"):
        gan(tmp_path).fit(20, show_progress=False)
    assert lock.exists() and CheckpointDir(tmp_path).paths()[-1].name == "ckpt-00000010.pt"
    old = time.time() - 3600
    os.utime(lock, (old, old))  # ... but silent for an hour: that session is gone
    t = gan(tmp_path)
    t.fit(20, show_progress=False)
    assert t.step == 20 and "last refreshed 60 minutes ago" in capsys.readouterr().out


def test_a_trainer_does_not_continue_over_another_runs_checkpoints(tmp_path):
    first = gan(tmp_path)
    first.fit(10, show_progress=False)
    gan(tmp_path).fit(30, show_progress=False)  # another trainer continued the run meanwhile
    with pytest.raises(FolderInUseError, match="step 30, beyond this trainer's step 10"):
        first.fit(20, show_progress=False)


def test_checkpoint_dir_that_is_a_file_fails_before_training(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    t = gan(tmp_path / "runs")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        t.fit(10, show_progress=False)
    assert t.step == 0


# ------------------------------------------------------------------ resume semantics

@pytest.mark.parametrize("name,first,second", [
    ("batch_size", dict(batch_size=32), dict(batch_size=16)),
    ("seed", dict(seed=0), dict(seed=1, data_seed=0)),
    ("data_seed", dict(), dict(data_seed=1)),
    ("d_steps", dict(), dict(d_steps=2)),
    ("loss", dict(), dict(loss=L.LEAST_SQUARES)),
    ("gradient_penalty", dict(), dict(gradient_penalty=1.0)),
    ("label_smoothing", dict(), dict(label_smoothing=0.1)),
    ("augment", dict(), dict(augment=DiffAugment())),
    ("data_augment", dict(), dict(batch_augment=Deluxe())),
])
def test_resume_refuses_a_changed_setting_that_defines_the_run(tmp_path, name, first, second):
    gan(tmp_path, **first).fit(10, show_progress=False)
    t = gan(tmp_path, **second)
    before = weights(t)
    with pytest.raises(SettingsMismatchError) as err:
        t.fit(20, show_progress=False)
    message = str(err.value)
    assert f"with {name}=" in message and f"this trainer has {name}=" in message
    assert "new checkpoint_dir" in message and f"override=['{name}']" in message
    assert t.step == 0 and all(torch.equal(before[k], v) for k, v in weights(t).items())  # nothing loaded
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_changed_data_set_is_refused(tmp_path):
    gan(tmp_path).fit(10, show_progress=False)
    torch.manual_seed(0)
    bigger = GANTrainer(MLPGenerator(latent_dim=8, hidden=(32,)), MLPDiscriminator(hidden=(32,), dropout=0.3),
                        TensorBatches(MNIST.images[:1024], batch_size=32), latent_dim=8, checkpoint_dir=tmp_path)
    with pytest.raises(SettingsMismatchError, match="data_size=512; this trainer has data_size=1024"):
        bigger.resume()


def test_resume_uses_a_lowered_learning_rate_and_new_betas_and_says_so(tmp_path, capsys):
    gan(tmp_path).fit(10, show_progress=False)
    t = gan(tmp_path, lr=1e-4, betas=(0.0, 0.99))
    t.fit(20, show_progress=False)
    out = capsys.readouterr().out
    assert "lr 0.0002 -> 0.0001" in out and "betas [0.5, 0.999] -> [0.0, 0.99]" in out and "used from now on" in out
    for opt in t.optimizers.values():
        assert opt.param_groups[0]["lr"] == 1e-4 and opt.param_groups[0]["betas"] == (0.0, 0.99)
    assert load_checkpoint(tmp_path / "ckpt-00000020.pt")["settings"]["lr"] == 1e-4


def test_a_new_learning_rate_replaces_the_base_of_cyclegans_schedule(tmp_path, capsys):
    from gansrc.data import UnpairedBatches
    from gansrc.models import PatchDiscriminator, ResnetGenerator
    from tests.test_cyclegan import TASK

    def cyclegan(lr):
        torch.manual_seed(0)
        nets = [ResnetGenerator(3, 3, ngf=4, n_blocks=1) for _ in range(2)] + \
               [PatchDiscriminator(3, ndf=4, n_layers=1, norm="instance") for _ in range(2)]
        return CycleGANTrainer(*nets, UnpairedBatches(TASK, batch_size=2), lr=lr, constant_steps=4, decay_steps=8,
                               log_every=2, checkpoint_dir=tmp_path, checkpoint_every=6)

    cyclegan(2e-3).fit(6, show_progress=False)
    t = cyclegan(1e-3)
    t.fit(7, show_progress=False)
    assert "lr 0.002 -> 0.001" in capsys.readouterr().out
    assert math.isclose(t.lr, 1e-3 * (1 - 3 / 8), rel_tol=1e-9)  # the schedule's factor after 7 steps, on the new base
    assert t.schedulers["generators"].base_lrs == [1e-3]


def test_override_continues_with_the_new_value_and_says_so(tmp_path, capsys):
    gan(tmp_path).fit(10, show_progress=False)
    t = gan(tmp_path, batch_size=16, override=["batch_size"])
    t.fit(20, show_progress=False)
    assert t.step == 20 and "batch_size 32 -> 16" in capsys.readouterr().out


# ------------------------------------------------------------------ interrupting fit()

def interrupt_once(trainer, at_call: int) -> None:
    """Make the generator's optimiser raise KeyboardInterrupt at its ``at_call``-th step: after the
    discriminator of that training step was updated, before the generator was (half a step)."""
    opt = trainer.optimizers["generator"]
    real_step, calls = opt.step, [0]

    def step(*args, **kwargs):
        calls[0] += 1
        if calls[0] == at_call:
            opt.step = real_step
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    opt.step = step


def test_fit_again_after_an_interrupt_is_exact(tmp_path, capsys):
    straight = gan()
    straight.fit(30, show_progress=False)
    t = gan(tmp_path)
    interrupt_once(t, at_call=15)  # the stop button, in the middle of step 15
    with pytest.raises(KeyboardInterrupt):
        t.fit(30, show_progress=False)
    t.fit(30, show_progress=False)  # the same cell run again, on the same trainer
    assert "going back to the last checkpoint" in capsys.readouterr().out
    assert_same_run(straight, t)
    assert [s for s, _ in straight.snapshots] == [s for s, _ in t.snapshots]
    assert not (tmp_path / LOCK_NAME).exists()


def test_fit_again_after_an_interrupt_without_checkpoints_is_refused():
    t = gan()
    interrupt_once(t, at_call=7)
    with pytest.raises(KeyboardInterrupt):
        t.fit(20, show_progress=False)
    with pytest.raises(InterruptedRunError, match=r"KeyboardInterrupt after step 6.*build.*the trainer again"):
        t.fit(20, show_progress=False)


def test_sigint_at_random_moments_then_fit_again_on_the_same_trainer(tmp_path):
    """Like the SIGKILL test, with Ctrl-C: the child catches KeyboardInterrupt and calls fit()
    again on the same trainer; its final weights equal those of a run never interrupted."""
    steps = 60
    straight = launch(tmp_path / "straight", steps)
    assert "DONE" in straight.communicate(timeout=300)[0]
    # The child waits at its last step while `hold` exists, so that a parent slow to read its
    # lines (a loaded machine) still interrupts it before it finishes.
    hold = tmp_path / "hold-last"
    hold.touch()
    proc = launch(tmp_path / "stopped", steps, pause=0.01, mode="interrupt", hold_last=str(hold))
    rng = random.Random(1)
    for target in sorted(rng.sample(range(3, steps - 5), 4)):
        wait_for(proc, lambda line, t=target: line.startswith("STEP") and int(line.split()[1]) >= t)
        time.sleep(rng.uniform(0.0, 0.02))  # anywhere in the step, the log or the checkpoint
        proc.send_signal(signal.SIGINT)
        wait_for(proc, lambda line: line == "INTERRUPTED")
    hold.unlink()
    out, err = proc.communicate(timeout=300)
    assert "DONE" in out, err[-800:]
    a, b = final_generator(tmp_path / "straight"), final_generator(tmp_path / "stopped")
    assert all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ callbacks' state

def test_fid_curve_and_diagnostics_survive_resume_and_a_finished_run(tmp_path):
    judge = load_classifier()
    real = MNIST.images[-200:]

    def run(folder, steps):
        tracker = FIDTracker(judge, real, every=10, n_samples=64, kid=False)
        diagnostics = TrainingDiagnostics(window=1, d_real_above=0.0, d_fake_below=1.0)  # warns at the first log
        t = gan(folder, callbacks=[tracker], diagnostics=diagnostics)
        t.fit(steps, show_progress=False)
        return t, tracker, diagnostics

    _, whole, whole_diag = run(None, 30)
    run(tmp_path, 20)  # the session ends here
    _, resumed, resumed_diag = run(tmp_path, 30)  # the chapter's training cell, run again
    assert resumed.steps == whole.steps == [10, 20, 30] and resumed.fid == whole.fid
    assert resumed_diag.found == whole_diag.found and resumed_diag.kinds == ["discriminator_wins"]
    _, again, _ = run(tmp_path, 30)  # and once more, after the run finished: the whole curve, not an empty one
    assert again.steps == [10, 20, 30] and again.fid == whole.fid


# ------------------------------------------------------------------ damaged checkpoints

def _damage(name):
    def models(fn):
        return lambda s: s["models"]["generator"].update({k: fn(v) for k, v in s["models"]["generator"].items()})

    return {
        "int weights": models(lambda v: v.long()),
        "bool weights": models(lambda v: v.bool()),
        "NaN weights": models(lambda v: torch.full_like(v, float("nan")) if v.is_floating_point() else v),
        "weights not tensors": models(lambda v: v.tolist()),
        "int optimiser state": lambda s: s["optimizers"]["generator"]["state"][0].update(exp_avg=torch.zeros(1, dtype=torch.long)),
        "step a string": lambda s: s.update(step="20"),
        "history not numbers": lambda s: s["history"].update(loss_d="oops"),
        "rng state of floats": lambda s: s["rng"].update(torch=torch.zeros(10)),
    }[name]


@pytest.mark.parametrize("kind", ["int weights", "bool weights", "NaN weights", "weights not tensors",
                                  "int optimiser state", "step a string", "history not numbers", "rng state of floats"])
def test_checkpoint_with_wrong_dtypes_or_structure_falls_back_to_the_previous(tmp_path, capsys, kind):
    straight = gan()
    straight.fit(30, show_progress=False)
    gan(tmp_path).fit(20, show_progress=False)
    newest = tmp_path / "ckpt-00000020.pt"
    state = load_checkpoint(newest)
    _damage(kind)(state)
    torch.save(state, newest)
    t = gan(tmp_path)
    t.fit(30, show_progress=False)
    out = capsys.readouterr().out
    assert "Skipping damaged checkpoint" in out and "ckpt-00000020.pt" in out and "Resumed from" in out
    assert "ckpt-00000010.pt (step 10)" in out
    assert_same_run(straight, t)


# ------------------------------------------------------------------ a full disk

class _FullDisk(io.RawIOBase):
    """A file that takes ``room`` bytes and then fails as a full disk does."""

    def __init__(self, f, room: int) -> None:
        self.f, self.room = f, room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.f.write(data)


@pytest.mark.parametrize("how", ["torch reports it", "the write raises"])
def test_full_disk_while_checkpointing_says_the_earlier_checkpoints_survive(tmp_path, monkeypatch, how):
    real_save, calls = torch.save, [0]

    def save(obj, f, *args, **kwargs):
        calls[0] += 1
        if calls[0] < 2:
            return real_save(obj, f, *args, **kwargs)
        if how == "torch reports it":  # torch's writer turns the OSError into "enforce fail at inline_container.cc"
            return real_save(obj, _FullDisk(f, 5000), *args, **kwargs)
        f.write(b"half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    straight = gan()
    straight.fit(30, show_progress=False)
    monkeypatch.setattr(torch, "save", save)
    t = gan(tmp_path)
    with pytest.raises(CheckpointWriteError, match=r"the disk is full.*intact \(newest: ckpt-00000010.pt\)"):
        t.fit(30, show_progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00000010.pt"]  # no half file, no lock
    monkeypatch.setattr(torch, "save", real_save)  # space freed
    t.fit(30, show_progress=False)
    assert_same_run(straight, t)


# ------------------------------------------------------------------ settings out of range

def test_batch_size_one_into_a_batchnorm1d_generator_is_refused_by_the_constructor():
    torch.manual_seed(0)
    with pytest.raises(ValueError, match=r"batch_size=1 cannot train the generator: its BatchNorm1d layer"):
        GANTrainer(MLPGenerator(8, hidden=(16,)), MLPDiscriminator(hidden=(16,)), TensorBatches(DATA, batch_size=1),
                   latent_dim=8)
    GANTrainer(MLPGenerator(8, hidden=(16,), batchnorm=False), MLPDiscriminator(hidden=(16,)),
               TensorBatches(DATA, batch_size=1), latent_dim=8).fit(2, show_progress=False)  # without batch norm: fine


@pytest.mark.parametrize("options,match", [
    (dict(checkpoint_every=0), "checkpoint_every must be a whole number of at least 1, not 0"),
    (dict(checkpoint_every=-5), "checkpoint_every"),
    (dict(keep_last=0), "keep_last"),
    (dict(log_every=0), "log_every"),
    (dict(sample_every=-1), "sample_every must be a whole number of at least 0"),
    (dict(n_samples=0), "n_samples"),
    (dict(latent_dim=0), "latent_dim"),
    (dict(lr=0.0), "lr must be a positive number"),
    (dict(lr=float("nan")), "lr must be a positive number"),
    (dict(betas=(1.0, 0.999)), r"betas must be two numbers in \[0, 1\)"),
    (dict(d_steps=0), "d_steps"),
])
def test_non_positive_settings_are_refused_with_their_name(tmp_path, options, match):
    with pytest.raises(ValueError, match=match):
        gan(tmp_path, **options)


def test_other_settings_out_of_range_are_refused_with_their_name():
    judge = load_classifier()
    with pytest.raises(ValueError, match="every must be a whole number of steps"):
        FIDTracker(judge, DATA, every=0)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        ClassifierTrainer(torch.nn.Linear(784, 10), TensorBatches(DATA, MNIST.labels[:512], batch_size=8), lr=-1e-3)
    with pytest.raises(ValueError, match="steps must be a whole number of at least 0, not -1"):
        gan().fit(-1)
    assert gan().fit(5.0, show_progress=False)["step"] == [5]  # fit(1e4) is a whole number too


def test_conditional_labels_are_checked_before_training():
    torch.manual_seed(0)
    g, d = MLPGenerator(8, hidden=(16,)), MLPDiscriminator(hidden=(16,))
    with pytest.raises(ValueError, match="batches have no labels"):
        GANTrainer(g, d, TensorBatches(DATA, batch_size=8), latent_dim=8, num_classes=10)
    with pytest.raises(ValueError, match=r"labels run from 0 to 9, but num_classes=5 needs them in 0..4"):
        GANTrainer(g, d, TensorBatches(DATA, MNIST.labels[:512], batch_size=8), latent_dim=8, num_classes=5)
    with pytest.raises(ValueError, match="labels must be integers"):
        GANTrainer(g, d, TensorBatches(DATA, MNIST.labels[:512].float(), batch_size=8), latent_dim=8, num_classes=10)


def test_float_images_outside_minus_one_one_are_refused():
    with pytest.raises(ValueError, match=r"floats in \[0, 255\], outside \[-1, 1\].*images / 127.5 - 1"):
        TensorBatches(DATA.float(), batch_size=8)
    with pytest.raises(ValueError, match="torch.int64"):
        TensorBatches(DATA.long(), batch_size=8)
    with pytest.raises(ValueError, match="NaN or infinite"):
        TensorBatches(torch.full((8, 1, 4, 4), float("nan")), batch_size=8)
    ok = TensorBatches(DATA.float() / 127.5 - 1, batch_size=8)  # the right range: accepted
    assert ok.next()[0].min() >= -1


def test_malformed_environment_variables_are_named(monkeypatch):
    from gansrc.runtime import data_dir, pick_device

    monkeypatch.setenv("GANSRC_DEVICE", "gpu0")
    with pytest.raises(ValueError, match=r"GANSRC_DEVICE='gpu0' is not a device PyTorch knows.*unset GANSRC_DEVICE"):
        pick_device()
    monkeypatch.setenv("GANSRC_DEVICE", "cuda:x")
    with pytest.raises(ValueError, match="GANSRC_DEVICE='cuda:x'"):
        pick_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("GANSRC_DEVICE", "cuda:1")
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            pick_device()
    monkeypatch.setenv("GANSRC_DATA", "/no/such/folder")
    with pytest.raises(FileNotFoundError, match="GANSRC_DATA='/no/such/folder' is not a folder"):
        data_dir()


# ------------------------------------------------------------------ what a run keeps (Drive's policy)

def test_a_finished_run_keeps_keep_done_checkpoints_and_still_resumes_exactly(tmp_path, monkeypatch):
    """Google Drive's policy (GANSRC_KEEP_CHECKPOINTS=2,1): two while training, one once finished,
    and the one left continues the run bit for bit."""
    monkeypatch.setenv("GANSRC_KEEP_CHECKPOINTS", "2,1")
    seen = []
    t = gan(tmp_path, callbacks=[lambda trainer, logs: seen.append(len(trainer.checkpoints.paths()))])
    assert (t.checkpoints.keep_last, t.checkpoints.keep_done) == (2, 1)
    t.fit(35, show_progress=False)
    assert max(seen) == 2  # two at a time while it trained
    assert [p.name for p in t.checkpoints.paths()] == ["ckpt-00000035.pt"]
    resumed = gan(tmp_path)
    resumed.fit(50, show_progress=False)  # a new session takes the run further
    straight = gan()
    straight.fit(35, show_progress=False)
    straight.fit(50, show_progress=False)
    assert_same_run(straight, resumed)
    assert [p.name for p in resumed.checkpoints.paths()] == ["ckpt-00000050.pt"]
    monkeypatch.delenv("GANSRC_KEEP_CHECKPOINTS")
    assert (gan(tmp_path / "local").checkpoints.keep_last, gan(tmp_path / "l2").checkpoints.keep_done) == (3, 3)
    assert gan(tmp_path / "own", keep_last=4, keep_done=2).checkpoints.keep_done == 2
    for bad in ("0", "two", "2,1,1", "2,0"):
        monkeypatch.setenv("GANSRC_KEEP_CHECKPOINTS", bad)
        with pytest.raises(ValueError, match="GANSRC_KEEP_CHECKPOINTS"):
            gan(tmp_path)
