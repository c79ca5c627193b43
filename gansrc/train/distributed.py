"""Training on several GPUs (or CPU processes) with PyTorch's DistributedDataParallel.

Launch one process per device with ``torchrun``::

    torchrun --nproc_per_node=4 -m gansrc.train.distributed --model dcgan64 --batch-size 512 --steps 5000

Each process holds the whole (small) data set and the same seeded permutation; every step it
takes its own slice of the *global* batch, and draws the global batch's noise and keeps its
slice, so N processes see exactly what one process with the same global batch would see.
DDP averages the gradients, which makes the update the one of the global batch's mean loss.
Only rank 0 shows progress, prints, and writes checkpoints; every rank can resume from them.
Logged metrics are averaged over the ranks, so the history is the global batch's.

Batch normalisation computes its statistics per process; on CUDA the networks' batch-norm
layers become ``SyncBatchNorm`` (statistics over the global batch) unless told otherwise.
The backend is NCCL on CUDA and gloo on the CPU.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
from pathlib import Path
from typing import Optional, Sequence

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel as DDP

from ..data.batches import TensorBatches
from .trainer import GANTrainer


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class ShardedBatches(TensorBatches):
    """``TensorBatches`` for one rank: the global batch order of one process, this rank's slice.

    ``batch_size`` is the *global* batch; each rank gets ``batch_size // world_size`` images
    (``self.batch_size`` afterwards), the ``rank``-th consecutive block of the global batch.
    """

    def __init__(self, images: Tensor, labels: Optional[Tensor] = None, *, batch_size: int, rank: int,
                 world_size: int, **kwargs) -> None:
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size - 1}.")
        if batch_size % world_size:
            raise ValueError(f"the global batch size {batch_size} must be divisible by the {world_size} processes.")
        super().__init__(images, labels, batch_size=batch_size, **kwargs)
        self.global_batch_size, self.rank, self.world_size = batch_size, rank, world_size
        self.batch_size = batch_size // world_size

    @property
    def steps_per_epoch(self) -> int:
        return len(self) // self.global_batch_size

    def next(self) -> tuple[Tensor, Optional[Tensor]]:
        idx = self._indices(self.global_batch_size)
        b = self.batch_size
        return self._gather(idx[self.rank * b: (self.rank + 1) * b])


class DistributedGANTrainer(GANTrainer):
    """``GANTrainer`` whose networks are wrapped in ``DistributedDataParallel``.

    Call it in every process of an initialised process group, with ``ShardedBatches``. The
    wrapped networks run the forward passes that are followed by their own backward pass
    (so DDP averages those gradients); sampling and the generator step's pass through D use
    the bare modules (no gradient of D is wanted there, and rank 0 may sample alone).
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, batches: ShardedBatches, *,
                 sync_batchnorm: Optional[bool] = None, **kwargs) -> None:
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError("DistributedGANTrainer needs a process group: launch with torchrun, "
                               "or call torch.distributed.init_process_group first.")
        self.rank, self.world_size = rank_and_world()
        if batches.world_size != self.world_size or batches.rank != self.rank:
            raise ValueError(f"the batches were sharded for rank {batches.rank} of {batches.world_size}, "
                             f"this process is rank {self.rank} of {self.world_size}.")
        if kwargs.get("gradient_penalty"):
            raise ValueError("gradient_penalty is not supported by DistributedGANTrainer yet (its second backward "
                             "pass bypasses DDP); train it on one device with GANTrainer.")
        device = torch.device(kwargs.get("device", "cpu"))
        if sync_batchnorm is None:
            sync_batchnorm = device.type == "cuda"
        if sync_batchnorm:
            generator = nn.SyncBatchNorm.convert_sync_batchnorm(generator)
            discriminator = nn.SyncBatchNorm.convert_sync_batchnorm(discriminator)
        if self.rank != 0:  # rank 0 speaks for everyone
            kwargs["diagnostics"] = False
            kwargs["callbacks"] = ()
        super().__init__(generator, discriminator, batches, **kwargs)
        ids = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else None
        self.ddp_generator = DDP(self.generator, device_ids=ids)
        self.ddp_discriminator = DDP(self.discriminator, device_ids=ids)

    def noise(self, n: int) -> tuple[Tensor, Optional[Tensor]]:
        """The global batch's noise (and labels), drawn as one process would; this rank's slice."""
        z, y = super().noise(n * self.world_size)
        part = slice(self.rank * n, (self.rank + 1) * n)
        return z[part], None if y is None else y[part]

    def _generate(self, z: Tensor, y: Optional[Tensor]) -> Tensor:
        g = self.ddp_generator if torch.is_grad_enabled() else self.generator
        return g(z) if y is None else g(z, y)

    def _discriminate(self, x: Tensor, y: Optional[Tensor]) -> Tensor:
        if self.augment is not None:
            x = self.augment(x, generator=self.rng)
        training_d = torch.is_grad_enabled() and next(self.discriminator.parameters()).requires_grad
        d = self.ddp_discriminator if training_d else self.discriminator
        return d(x) if y is None else d(x, y)

    def _flush(self, bar=None) -> None:
        """Average the logged metrics over the ranks (one all-reduce per log interval), then log."""
        if self._count and self.world_size > 1:
            names = list(self._sums)
            stacked = torch.stack([self._sums[n] for n in names])
            dist.all_reduce(stacked)
            self._sums = dict(zip(names, stacked / self.world_size))
            dist.all_reduce(self._first_bad, op=dist.ReduceOp.MAX)
        super()._flush(bar)

    def fit(self, steps: int, show_progress: bool = True) -> dict[str, list[float]]:
        return super().fit(steps, show_progress=show_progress and self.rank == 0)

    def resume(self) -> bool:
        with contextlib.redirect_stdout(io.StringIO()) if self.rank else contextlib.nullcontext():
            return super().resume()

    def writes_checkpoints(self) -> bool:
        """Rank 0 writes, so rank 0 holds the folder's lock; the other ranks of the run only read."""
        return self.rank == 0

    def save_checkpoint(self, done: bool = False) -> Optional[Path]:
        """Rank 0 writes; the others wait for it, so a checkpoint is complete before anyone goes on."""
        path = super().save_checkpoint(done) if self.rank == 0 else None
        dist.barrier()
        return path


# ---------------------------------------------------------------------------- the entry point
def build_models(name: str, seed: int, quick: bool = False) -> tuple[nn.Module, nn.Module, int, tuple[int, int]]:
    """(generator, discriminator, latent_dim, (channels, size)) for ``--model``, seeded alike on every rank."""
    from ..models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator

    torch.manual_seed(seed)
    if name == "mlp":
        if quick:
            return MLPGenerator(100, hidden=(64, 128)), MLPDiscriminator(hidden=(128, 64)), 100, (1, 28)
        return MLPGenerator(100), MLPDiscriminator(), 100, (1, 28)  # chapter 02's sizes
    size, channels = {"dcgan28": (28, 1), "dcgan64": (64, 3)}[name]
    width = 8 if quick else 64
    return DCGANGenerator(size, channels, 100, width), DCGANDiscriminator(size, channels, width), 100, (channels, size)


def load_images(channels: int, size: int) -> Tensor:
    """The bundled MNIST digits for 28x28 grey models; for RGB 64x64, the bundled photo patches."""
    if (channels, size) == (1, 28):
        from ..data import load_bundled_mnist

        return load_bundled_mnist().images
    from ..data import load_photo_patches

    return load_photo_patches(size).images


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="torchrun --nproc_per_node=N -m gansrc.train.distributed",
        description="Train a GAN with DistributedDataParallel, one process per GPU (or per CPU process with gloo).")
    p.add_argument("--model", choices=("mlp", "dcgan28", "dcgan64"), default="dcgan28")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=128, help="the global batch, split evenly over the processes")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--checkpoint-dir", type=Path, default=None, help="rank 0 writes checkpoints here; every rank resumes from them")
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--backend", choices=("auto", "nccl", "gloo"), default="auto", help="auto: nccl on CUDA, gloo on the CPU")
    p.add_argument("--cpu", action="store_true", help="train on the CPU even where there are GPUs")
    p.add_argument("--quick", action="store_true", help="narrow networks (a check that everything runs)")
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if "RANK" not in os.environ:
        raise SystemExit("Launch this with torchrun, e.g. torchrun --nproc_per_node=2 -m gansrc.train.distributed --help")
    cuda = torch.cuda.is_available() and not args.cpu
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    backend = ("nccl" if cuda else "gloo") if args.backend == "auto" else args.backend
    dist.init_process_group(backend)
    try:
        rank, world = rank_and_world()
        g, d, latent, (channels, size) = build_models(args.model, args.seed, args.quick)
        batches = ShardedBatches(load_images(channels, size), batch_size=args.batch_size, rank=rank, world_size=world,
                                 device=device, seed=args.seed, channels_last=cuda)
        if cuda:
            g.to(memory_format=torch.channels_last)
            d.to(memory_format=torch.channels_last)
        trainer = DistributedGANTrainer(g, d, batches, latent_dim=latent, lr=args.lr, device=device, seed=args.seed,
                                        log_every=args.log_every, checkpoint_dir=args.checkpoint_dir,
                                        checkpoint_every=args.checkpoint_every)
        history = trainer.fit(args.steps)
        if rank == 0:
            print(f"{world} process(es), {backend}, global batch {args.batch_size}: step {trainer.step}, "
                  f"loss_d {history['loss_d'][-1]:.4f}, loss_g {history['loss_g'][-1]:.4f}")
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
