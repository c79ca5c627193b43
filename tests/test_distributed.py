"""Two CPU processes (gloo, localhost only) with DistributedDataParallel train exactly what one
process trains with the same global batch.

The networks have no batch normalisation and no dropout: with them the processes would see
per-rank batch statistics and per-rank dropout masks, legitimately different from one process.
Tolerance: DDP averages the two halves' gradients (sum, then divide) where one process takes
the mean of the whole batch; the round-off (~1e-7 relative) grows a little over Adam's steps,
so weights must agree to 1e-5 absolute / 1e-4 relative after the run.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gansrc.data import TensorBatches
from gansrc.train import GANTrainer, load_checkpoint
from gansrc.train.distributed import ShardedBatches

ROOT = Path(__file__).resolve().parent.parent
STEPS, BATCH, SEED = 6, 32, 5

SETUP = """
import torch
from gansrc.data import load_bundled_mnist
from gansrc.models import MLPDiscriminator, MLPGenerator

def networks():
    torch.manual_seed(0)
    return MLPGenerator(16, hidden=(32, 64), batchnorm=False), MLPDiscriminator(hidden=(64, 32), dropout=0.0)

IMAGES = load_bundled_mnist().images[:128]
"""

WORKER = SETUP + """
import sys
import torch.distributed as dist
from pathlib import Path
from gansrc.train.distributed import DistributedGANTrainer, ShardedBatches, rank_and_world

dist.init_process_group("gloo")
rank, world = rank_and_world()
g, d = networks()
batches = ShardedBatches(IMAGES, batch_size={batch}, rank=rank, world_size=world, seed={seed})
trainer = DistributedGANTrainer(g, d, batches, latent_dim=16, seed={seed}, log_every=1,
                                checkpoint_dir=Path(sys.argv[1]), checkpoint_every=1000)
trainer.fit({steps})
print(f"rank {{rank}} done", flush=True)
dist.destroy_process_group()
"""


def env():
    e = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    e.pop("GANSRC_SMOKE", None)
    return e


def test_two_gloo_processes_equal_one_process_with_the_same_global_batch(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(batch=BATCH, seed=SEED, steps=STEPS))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script), str(tmp_path / "ckpt")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env())
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "rank 0 done" in run.stdout and "rank 1 done" in run.stdout
    state = load_checkpoint(sorted((tmp_path / "ckpt").glob("ckpt-*.pt"))[-1])
    assert state["step"] == STEPS

    namespace: dict = {}
    exec(SETUP, namespace)
    g, d = namespace["networks"]()
    single = GANTrainer(g, d, TensorBatches(namespace["IMAGES"], batch_size=BATCH, seed=SEED), latent_dim=16, seed=SEED,
                        log_every=1, diagnostics=False)
    history = single.fit(STEPS, show_progress=False)
    for name, model in (("generator", g), ("discriminator", d)):
        for key, value in model.state_dict().items():
            torch.testing.assert_close(state["models"][name][key], value, rtol=1e-4, atol=1e-5, msg=f"{name}.{key}")
    for name in ("loss_d", "loss_g", "d_real", "d_fake"):  # logged metrics are averaged over the ranks
        torch.testing.assert_close(torch.tensor(state["history"][name]), torch.tensor(history[name]), rtol=1e-4, atol=1e-6)


def test_sharded_batches_split_the_global_batch_in_order():
    images = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1).expand(40, 1, 2, 2).contiguous()
    whole = TensorBatches(images, batch_size=8, seed=1)
    shards = [ShardedBatches(images, batch_size=8, rank=r, world_size=2, seed=1) for r in range(2)]
    for _ in range(12):  # crosses epochs: 5 global batches per epoch
        x, _ = whole.next()
        parts = torch.cat([s.next()[0] for s in shards])
        assert torch.equal(x, parts)
    assert shards[0].batch_size == 4 and shards[0].steps_per_epoch == 5


def test_sharding_refuses_uneven_splits():
    with pytest.raises(ValueError, match="divisible"):
        ShardedBatches(torch.zeros(10, 1, 2, 2, dtype=torch.uint8), batch_size=5, rank=0, world_size=2)


def test_entry_point_runs_under_torchrun_and_rank_0_alone_reports(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "gansrc.train.distributed",
           "--model", "mlp", "--quick", "--cpu", "--steps", "2", "--batch-size", "16", "--checkpoint-dir", str(tmp_path)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env())
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert run.stdout.count("2 process(es), gloo, global batch 16: step 2") == 1
    assert [p.name for p in tmp_path.glob("ckpt-*.pt")] == ["ckpt-00000002.pt"]
