"""The expected time of a chapter's full-mode training on a Colab T4: an estimate, not a measurement.

One training step of each run is executed on the ``meta`` device (shapes only, no arithmetic),
counting its FLOPs (``torch.utils.flop_counter``) and the kernels it launches. The T4's rates
come from NVIDIA's published ResNet-50 v1.5 mixed-precision inference figures for the T4
(DeepLearningExamples, PyTorch ConvNets README): 1,198 images/s at batch 256 gives the
sustained FLOP rate, 12.96 ms at batch 1 what each kernel costs when kernels are small. A step
then takes ``FLOPs / rate + kernels x cost per kernel``, plus the Adam update's memory traffic
(28 bytes per parameter) at the T4's 320 GB/s. Batch-1 GANs at 256x256 are in between the two
regimes, so the result is a planning figure, good to perhaps a factor of two.

``python -m gansrc.bench.estimate`` prints the table the chapters quote.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

META = torch.device("meta")
T4_RESNET50 = dict(batch256_images_per_s=1198.0, batch1_seconds=12.96e-3)  # NVIDIA, mixed precision
T4_BYTES_PER_S = 320e9   # the data sheet's memory bandwidth
ADAM_BYTES = 28          # per parameter: read weight, grad, both moments; write weight and moments
COLAB_SESSION_HOURS = 4  # a free session's length to plan for (Colab does not promise more; often less)


class _Kernels(TorchDispatchMode):
    """Counts the operators that launch a kernel (views and allocations launch none)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func._schema.name
        if not (func.is_view or name.startswith(("aten::empty", "aten::new_empty", "aten::lift"))):
            self.count += 1
        return func(*args, **(kwargs or {}))


@dataclass(frozen=True)
class StepCost:
    flops: int
    kernels: int
    parameters: int


@dataclass(frozen=True)
class Rates:
    flops_per_s: float
    seconds_per_kernel: float
    bytes_per_s: float

    def step_seconds(self, cost: StepCost) -> float:
        return (cost.flops / self.flops_per_s + cost.kernels * self.seconds_per_kernel
                + ADAM_BYTES * cost.parameters / self.bytes_per_s)


def count(step: Callable[[], object]) -> tuple[int, int]:
    """(FLOPs, kernels) of ``step()``."""
    with FlopCounterMode(display=False) as flops, _Kernels() as kernels:
        step()
    return int(flops.get_total_flops()), kernels.count


def trainer_step_cost(trainer) -> StepCost:
    """One ``train_step`` of a trainer built on the meta device; the optimisers' own kernels are
    not counted (CUDA's fused Adam is a handful of launches), their memory traffic is."""
    optimizers = list(trainer.optimizers.values())
    steps = [opt.step for opt in optimizers]
    for opt in optimizers:
        opt.step = lambda *a, **k: None  # the update's cost is its memory traffic, added in Rates
    try:
        with warnings.catch_warnings():  # the schedulers notice the stand-in step
            warnings.simplefilter("ignore", UserWarning)
            flops, kernels = count(trainer.train_step)
    finally:
        for opt, step in zip(optimizers, steps):
            opt.step = step
    parameters = sum(p.numel() for m in trainer.models.values() for p in m.parameters())
    return StepCost(flops, kernels, parameters)


def t4_rates() -> Rates:
    """The T4's rates, from ResNet-50's published figures and its counts here."""
    import torchvision

    model = torchvision.models.resnet50().to(META).eval()
    with torch.no_grad():
        flops, kernels = count(lambda: model(torch.empty(1, 3, 224, 224, device=META)))
    rate = flops * T4_RESNET50["batch256_images_per_s"]
    per_kernel = (T4_RESNET50["batch1_seconds"] - flops / rate) / kernels
    return Rates(rate, per_kernel, T4_BYTES_PER_S)


# ---------------------------------------------------------------- the chapters' full-mode runs

def _pix2pix(discriminator: bool = True):
    from ..data import TensorBatches
    from ..models import PatchDiscriminator, UNetGenerator
    from ..train import Pix2PixTrainer

    torch.manual_seed(0)
    g = UNetGenerator(3, 1, image_size=256, ngf=64)
    d = PatchDiscriminator(4, ndf=64, n_layers=3) if discriminator else None
    pairs = torch.zeros(2, 4, 256, 256, dtype=torch.uint8)
    return Pix2PixTrainer(g, d, TensorBatches(pairs, batch_size=1, device=META), in_channels=3, device=META,
                          sample_every=0)


def _cyclegan(size: int, blocks: int, layers: int, backbone: str = "resnet"):
    from ..data.unpaired import UnpairedBatches, UnpairedSet
    from ..models import PatchDiscriminator, ResnetGenerator, UNetGenerator
    from ..train import CycleGANTrainer

    torch.manual_seed(0)

    def generator():
        if backbone == "resnet":
            return ResnetGenerator(3, 3, ngf=64, n_blocks=blocks)
        return UNetGenerator(3, 3, image_size=size, ngf=64, norm="instance", dropout=0.0)

    images = torch.zeros(2, 3, size, size, dtype=torch.uint8)
    nets = [generator(), generator()] + [PatchDiscriminator(3, ndf=64, n_layers=layers, norm="instance")
                                         for _ in range(2)]
    return CycleGANTrainer(*nets, UnpairedBatches(UnpairedSet(images, images), batch_size=1, device=META),
                           device=META, sample_every=0, constant_steps=1, decay_steps=1)


def _dcgan64():
    from ..data import TensorBatches
    from ..models import DCGANDiscriminator, DCGANGenerator
    from ..train import GANTrainer

    torch.manual_seed(0)
    images = torch.zeros(128, 3, 64, 64, dtype=torch.uint8)
    return GANTrainer(DCGANGenerator(64, 3, width=64), DCGANDiscriminator(64, 3, width=64),
                      TensorBatches(images, batch_size=128, device=META), latent_dim=100, device=META,
                      sample_every=0)


@dataclass(frozen=True)
class Plan:
    """``runs`` trainings of ``steps`` steps each, built by ``build`` (on the meta device)."""

    chapter: str
    label: str
    build: Callable[[], object]
    steps: int
    runs: int = 1


PLANS = [
    Plan("03", "DCGAN 64x64, batches of 128", _dcgan64, 8000),
    Plan("05", "pix2pix 256x256 (L1 + cGAN; cGAN only; lambda 1000)", _pix2pix, 20_000, runs=3),
    Plan("05", "pix2pix 256x256, L1 only (no discriminator)", lambda: _pix2pix(False), 20_000),
    Plan("06", "CycleGAN digits 32x32, ResNet (the run and five ablations)", lambda: _cyclegan(32, 6, 2),
         40_000, runs=6),
    Plan("06", "CycleGAN digits 32x32, U-Net backbone", lambda: _cyclegan(32, 6, 2, "unet"), 40_000),
    Plan("06", "CycleGAN horse2zebra 256x256 (with the download)", lambda: _cyclegan(256, 9, 3), 200 * 1334),
]


@dataclass(frozen=True)
class Estimate:
    plan: Plan
    cost: StepCost
    step_seconds: float

    @property
    def hours(self) -> float:
        """All of the plan's runs, one after the other."""
        return self.step_seconds * self.plan.steps * self.plan.runs / 3600

    @property
    def sessions(self) -> int:
        """Free Colab sessions of ``COLAB_SESSION_HOURS`` it needs (1: it fits one)."""
        return max(1, math.ceil(self.hours / COLAB_SESSION_HOURS))


def estimates(chapter: Optional[str] = None, rates: Optional[Rates] = None) -> list[Estimate]:
    """The T4 estimate of every long run (of ``chapter``, e.g. "05")."""
    rates = rates or t4_rates()
    out = []
    for plan in PLANS:
        if chapter is None or plan.chapter == chapter:
            cost = trainer_step_cost(plan.build())
            out.append(Estimate(plan, cost, rates.step_seconds(cost)))
    return out


def chapter_hours(chapter: str, rates: Optional[Rates] = None, download: bool = False) -> float:
    """A chapter's expected T4 hours (without the optional horse2zebra run unless ``download``)."""
    return sum(e.hours for e in estimates(chapter, rates) if download or "download" not in e.plan.label)


def rounded(hours: float) -> str:
    """A planning figure: "45 minutes" (to 5 minutes) under an hour, else "8 hours" (to the hour)."""
    if hours < 1:
        return f"{max(5, 5 * round(hours * 12))} minutes"
    return f"{max(1, round(hours))} hours"


def main() -> None:
    rates = t4_rates()
    print(f"T4 rates: {rates.flops_per_s / 1e12:.1f} TFLOP/s sustained, {rates.seconds_per_kernel * 1e6:.0f} us per "
          f"kernel, {rates.bytes_per_s / 1e9:.0f} GB/s (from NVIDIA's ResNet-50 figures)")
    for e in estimates(rates=rates):
        c = e.cost
        print(f"{e.plan.chapter} {e.plan.label}: {c.flops / 1e9:.1f} GFLOP, {c.kernels} kernels, {c.parameters / 1e6:.1f}M "
              f"parameters per step -> {e.step_seconds * 1e3:.1f} ms; {e.plan.runs} x {e.plan.steps:,} steps = "
              f"{e.hours:.1f} h ({e.sessions} session{'s' if e.sessions > 1 else ''} of {COLAB_SESSION_HOURS} h)")
    for chapter in sorted({p.chapter for p in PLANS}):
        print(f"chapter {chapter}: about {rounded(chapter_hours(chapter, rates))} on a T4")


if __name__ == "__main__":
    main()
