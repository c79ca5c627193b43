"""The model families the benchmark knows, each as a tutorial loop and a gansrc trainer.

Both are built on copies of the same freshly initialised networks, the same data and batch size.

Adding a family (e.g. CycleGAN once ``gansrc.train.cyclegan`` exists) is one builder function
and one ``Family`` line in ``FAMILIES``; families whose modules are missing are skipped.
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol, Sequence

import torch
from torch import Tensor, nn

from ..text import tr
from .plain import PILImages, TutorialCycleGAN, TutorialGAN, TutorialPix2Pix, tutorial_loader


class Runner(Protocol):
    def step(self) -> None: ...

    def run(self, steps: int) -> None: ...


@dataclass
class Setup:
    """Where and how big: ``quick`` shrinks widths and batches to a CI-sized run."""

    device: torch.device
    quick: bool = False
    seed: int = 0
    amp: Optional[bool] = None            # the trainer's default: bf16/fp16 on CUDA, float32 on the CPU
    channels_last: Optional[bool] = None  # None: ``channels_last_pays``
    fused_adam: bool = True               # fused Adam on the CPU too (the trainer's option; CUDA fuses anyway)

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"


@dataclass
class Case:
    """One family ready to time: the two loops, and one step of each for the FLOP counter."""

    plain: Runner
    fast: Runner
    batch_size: int
    shape: tuple[int, ...]
    notes: list[str] = field(default_factory=list)


@dataclass
class Family:
    name: str
    label: str
    build: Callable[[Setup], Case]
    requires: Sequence[str] = ()
    gpu_only: bool = False
    unit: str = "images/s"

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.requires)


class TrainerRunner:
    """``fit`` a gansrc trainer for ``steps`` more steps, without a progress bar."""

    def __init__(self, trainer) -> None:
        self.trainer = trainer

    def step(self) -> None:
        self.trainer.train_step()

    def run(self, steps: int) -> None:
        self.trainer.fit(self.trainer.step + steps, show_progress=False)


def channels_last_pays(setup: Setup) -> bool:
    """channels_last for convolutional models: always on CUDA (tensor cores want NHWC); on the
    CPU only when asked (``--channels-last on``): measured interleaved on a 2-core AMD EPYC
    (one thread), NHWC against NCHW for gansrc's DCGAN 28/64 ranged from 0.88x to
    1.14x from run to run (Pix2Pix 64: 0.84x), no consistent gain."""
    return setup.channels_last if setup.channels_last is not None else setup.cuda


def _notes(trainer, cl: bool) -> list[str]:
    notes = ["channels_last"] if cl else []
    if any(g.get("fused") for opt in trainer.optimizers.values() for g in opt.param_groups):
        notes.append(tr("bench_fused_adam"))
    if trainer.precision.enabled:
        notes.append(tr("bench_autocast", dtype=str(trainer.precision.dtype).replace("torch.", "")))
    return notes


def random_images(n: int, channels: int, size: int, seed: int, classes: int = 0) -> tuple[Tensor, Optional[Tensor]]:
    """Seeded random uint8 images (the content does not change the speed) and labels."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, classes, (n,), generator=g) if classes else None
    return images, labels


def _to_channels_last(*models: nn.Module) -> None:
    for m in models:
        m.to(memory_format=torch.channels_last)


def gan_case(setup: Setup, generator: nn.Module, discriminator: nn.Module, *, channels: int, size: int, batch: int,
             latent_dim: int, num_classes: Optional[int] = None, conv: bool = False) -> Case:
    """A tutorial GAN loop and a ``GANTrainer`` on identical copies of the two networks."""
    from ..data.batches import TensorBatches
    from ..train.trainer import GANTrainer

    images, labels = random_images(max(4 * batch, 256), channels, size, setup.seed, num_classes or 0)
    g2, d2 = copy.deepcopy(generator), copy.deepcopy(discriminator)
    plain = TutorialGAN(generator, discriminator, tutorial_loader(PILImages(images, labels), batch, setup.seed),
                        latent_dim=latent_dim, device=setup.device, num_classes=num_classes)
    cl = conv and channels_last_pays(setup)
    if cl:
        _to_channels_last(g2, d2)
    batches = TensorBatches(images, labels, batch_size=batch, device=setup.device, seed=setup.seed, channels_last=cl)
    trainer = GANTrainer(g2, d2, batches, latent_dim=latent_dim, num_classes=num_classes, device=setup.device,
                         seed=setup.seed, amp=setup.amp, fused_adam=setup.fused_adam)
    return Case(plain, TrainerRunner(trainer), batch, (channels, size, size), _notes(trainer, cl))


def _batch(setup: Setup, quick: int, cpu: int, gpu: int) -> int:
    return quick if setup.quick else (gpu if setup.cuda else cpu)


def build_mlp(setup: Setup) -> Case:
    from ..models import MLPDiscriminator, MLPGenerator

    torch.manual_seed(setup.seed)
    g, d = MLPGenerator(100), MLPDiscriminator()
    return gan_case(setup, g, d, channels=1, size=28, batch=_batch(setup, 64, 128, 128), latent_dim=100)


def build_cgan(setup: Setup) -> Case:
    from ..models import ConditionalDiscriminator, ConditionalGenerator

    torch.manual_seed(setup.seed)
    g, d = ConditionalGenerator(100, 10), ConditionalDiscriminator(10)
    return gan_case(setup, g, d, channels=1, size=28, batch=_batch(setup, 64, 128, 128), latent_dim=100, num_classes=10)


def build_dcgan(size: int, channels: int) -> Callable[[Setup], Case]:
    def build(setup: Setup) -> Case:
        from ..models import DCGANDiscriminator, DCGANGenerator

        width = (16 if size == 28 else 8) if setup.quick else 64
        torch.manual_seed(setup.seed)
        g, d = DCGANGenerator(size, channels, 100, width), DCGANDiscriminator(size, channels, width)
        return gan_case(setup, g, d, channels=channels, size=size, batch=_batch(setup, 16, 64, 128), latent_dim=100, conv=True)
    return build


def build_pix2pix(size: int) -> Callable[[Setup], Case]:
    def build(setup: Setup) -> Case:
        from ..data.batches import TensorBatches
        from ..models import PatchDiscriminator, UNetGenerator
        from ..train.image2image import Pix2PixTrainer

        width = 8 if setup.quick else 64
        batch = _batch(setup, 4, 8, 16)
        torch.manual_seed(setup.seed)
        g, d = UNetGenerator(3, 3, size, ngf=width), PatchDiscriminator(6, ndf=width)
        g2, d2 = copy.deepcopy(g), copy.deepcopy(d)
        pairs, _ = random_images(max(4 * batch, 64), 6, size, setup.seed)
        plain = TutorialPix2Pix(g, d, tutorial_loader(PILImages(pairs, groups=(3, 3)), batch, setup.seed),
                                in_channels=3, device=setup.device)
        cl = channels_last_pays(setup)
        if cl:
            _to_channels_last(g2, d2)
        batches = TensorBatches(pairs, batch_size=batch, device=setup.device, seed=setup.seed, channels_last=cl)
        trainer = Pix2PixTrainer(g2, d2, batches, in_channels=3, device=setup.device, seed=setup.seed, amp=setup.amp,
                                 fused_adam=setup.fused_adam)
        return Case(plain, TrainerRunner(trainer), batch, (6, size, size), _notes(trainer, cl))
    return build


def build_cyclegan(size: int) -> Callable[[Setup], Case]:
    def build(setup: Setup) -> Case:
        from ..data.unpaired import UnpairedBatches, UnpairedSet
        from ..models import PatchDiscriminator, ResnetGenerator
        from ..train.cyclegan import CycleGANTrainer

        width, blocks = (8, 2) if setup.quick else (64, 9 if size >= 256 else 6)
        batch = _batch(setup, 2, 1, 1)  # the paper's batch size is 1
        torch.manual_seed(setup.seed)
        nets = [ResnetGenerator(3, 3, ngf=width, n_blocks=blocks), ResnetGenerator(3, 3, ngf=width, n_blocks=blocks),
                PatchDiscriminator(3, ndf=width, norm="instance"), PatchDiscriminator(3, ndf=width, norm="instance")]
        copies = [copy.deepcopy(n) for n in nets]
        both, _ = random_images(max(4 * batch, 32), 6, size, setup.seed)
        plain = TutorialCycleGAN(*nets, tutorial_loader(PILImages(both, groups=(3, 3)), batch, setup.seed),
                                 channels=3, device=setup.device, seed=setup.seed)
        cl = channels_last_pays(setup)
        if cl:
            _to_channels_last(*copies)
        batches = UnpairedBatches(UnpairedSet(both[:, :3].contiguous(), both[:, 3:].contiguous()), batch_size=batch,
                                  device=setup.device, seed=setup.seed)
        trainer = CycleGANTrainer(*copies, batches, device=setup.device, seed=setup.seed, amp=setup.amp,
                                  fused_adam=setup.fused_adam)
        return Case(plain, TrainerRunner(trainer), batch, (6, size, size), _notes(trainer, cl))
    return build


FAMILIES: dict[str, Family] = {f.name: f for f in [
    Family("mlp", "fully connected GAN 28", build_mlp),
    Family("dcgan28", "DCGAN 28 (Keras shape)", build_dcgan(28, 1), ("gansrc.models.dcgan",)),
    Family("dcgan64", "DCGAN 64 (PyTorch shape)", build_dcgan(64, 3), ("gansrc.models.dcgan",)),
    Family("cgan", "conditional GAN 28", build_cgan, ("gansrc.models.conditional",)),
    Family("pix2pix64", "Pix2Pix 64", build_pix2pix(64), ("gansrc.train.image2image",)),
    Family("pix2pix256", "Pix2Pix 256", build_pix2pix(256), ("gansrc.train.image2image",), gpu_only=True),
    Family("cyclegan64", "CycleGAN 64", build_cyclegan(64), ("gansrc.train.cyclegan",)),
    Family("cyclegan256", "CycleGAN 256", build_cyclegan(256), ("gansrc.train.cyclegan",), gpu_only=True),
]}


def select(names: Optional[Sequence[str]], setup: Setup) -> tuple[list[Family], list[str]]:
    """The families to run, and one line per family skipped (and why)."""
    if names:
        unknown = [n for n in names if n not in FAMILIES]
        if unknown:
            raise SystemExit(f"unknown model(s) {unknown}; choose from {sorted(FAMILIES)}")
    chosen, skipped = [], []
    for name, family in FAMILIES.items():
        if names and name not in names:
            continue
        if not family.available():
            skipped.append(tr("bench_needs", name=name, modules=", ".join(family.requires)))
        elif family.gpu_only and not setup.cuda:
            skipped.append(tr("bench_gpu_only", name=name))
        else:
            chosen.append(family)
    return chosen, skipped
