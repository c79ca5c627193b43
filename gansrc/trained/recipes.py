"""The recipes of the book's shipped, trained models: one named entry per model.

A recipe says everything a training run depends on: the networks (class names from
``gansrc.models`` and their widths), the data (one of the bundled offline tasks of
``gansrc.trained.tasks``), the loss and the trainer's options, the number of steps, the batch
size, the optimiser (Adam, ``lr`` and ``betas``) and the seed. The chapters' full modes are
sized for a GPU and the full data sets; these are documented variants sized for the bundled data
and for about 90 minutes of a 2-core CPU in all (``variant`` says how each one differs).

Digits: the 10,000 bundled MNIST test images. The book's classifier (the judge of every metric)
was trained on the first 8,000, so the generators train on those too and are scored against the
last 2,000, which neither the generator nor the judge has seen.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# The classes a recipe may name (the record stores the name; loading rebuilds the network from it).
GENERATORS = ("MLPGenerator", "DCGANGenerator", "ConditionalGenerator", "UNetGenerator", "ResnetGenerator")
DISCRIMINATORS = ("MLPDiscriminator", "DCGANDiscriminator", "ConditionalDiscriminator", "ProjectionDiscriminator",
                  "PatchDiscriminator")
KINDS = ("gan", "pix2pix", "cyclegan")


@dataclass(frozen=True)
class Recipe:
    """One trained model of the book: how it is built, on what, and how long it trains.

    ``models`` maps each role (``generator``, ``discriminator``; CycleGAN's ``generator_ab``,
    ``generator_ba``, ``discriminator_a``, ``discriminator_b``) to a class name and its keyword
    arguments; ``ships`` names the roles whose weights are shipped (the generators).
    ``options`` are the trainer's keyword arguments, with the loss and augmentations by name
    (``tasks.LOSSES``, ``tasks.AUGMENTATIONS``). ``task`` and ``task_options`` choose the data.
    ``fid_every`` (GANs on digits): score the FID against the held-out digits every so many steps.
    """

    name: str
    chapter: str
    summary: str
    kind: str
    task: str
    models: dict[str, tuple[str, dict[str, Any]]]
    steps: int
    batch_size: int
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    task_options: dict[str, Any] = field(default_factory=dict)
    fid_every: int = 0
    ships: tuple[str, ...] = ("generator",)
    variant: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"recipe {self.name}: kind must be one of {KINDS}, not {self.kind!r}.")
        for role, (cls, _) in self.models.items():
            if cls not in GENERATORS + DISCRIMINATORS:
                raise ValueError(f"recipe {self.name}: {role} is a {cls!r}, not one of the book's networks.")
        if not set(self.ships) <= set(self.models):
            raise ValueError(f"recipe {self.name}: ships {self.ships} but has only {sorted(self.models)}.")

    def to_dict(self) -> dict:
        """The recipe as plain JSON data (what the record stores)."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> "Recipe":
        """The recipe a record stores (``to_dict``'s inverse)."""
        data = dict(data)
        data["models"] = {role: (name, dict(kwargs)) for role, (name, kwargs) in data["models"].items()}
        data["betas"], data["ships"] = tuple(data["betas"]), tuple(data["ships"])
        return cls(**data)

    def fingerprint(self) -> str:
        """A short hash of everything but the length (``steps``, ``fid_every``): runs with the same
        fingerprint can continue one another's checkpoints; a changed recipe starts afresh."""
        defining = {k: v for k, v in self.to_dict().items() if k not in ("steps", "fid_every", "summary", "variant")}
        return hashlib.sha256(json.dumps(defining, sort_keys=True).encode()).hexdigest()[:10]

    def tiny(self, steps: int = 2) -> "Recipe":
        """The same recipe at a tiny size (narrow networks, little data, ``steps`` steps) for the tests."""
        models = {role: (cls, _shrink(kwargs)) for role, (cls, kwargs) in self.models.items()}
        options = {k: (1 if k == "log_every" else v) for k, v in self.options.items()}
        return dataclasses.replace(self, models=models, steps=steps, batch_size=min(self.batch_size, 4), options=options,
                                   task_options={**self.task_options, "limit": 64}, fid_every=1 if self.fid_every else 0)


def _shrink(kwargs: dict) -> dict:
    small = {"width": 4, "ngf": 4, "ndf": 4, "n_blocks": 1, "embed_dim": 4}
    out = {k: small.get(k, v) for k, v in kwargs.items()}
    if "hidden" in kwargs:
        out["hidden"] = [16] * len(kwargs["hidden"])
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- the recipes
_LATENT = 100
_G_HIDDEN, _D_HIDDEN = (256, 512, 1024), (512, 256)  # chapter 02's fully connected networks
_G_HALF, _D_HALF = (128, 256, 512), (256, 128)        # chapter 04's smoke widths (half of them)
# Lengths sized so that the whole set takes about 100 CPU-minutes on one thread (python -m gansrc.trained estimate),
# about 55 minutes on 2 cores with two recipes at a time.
_MNIST_STEPS, _MNIST_BATCH = 8000, 64     # chapter 02's FC GAN and chapter 03's DCGAN: same images seen
_CGAN_STEPS = 5000
_FEW_STEPS = 2000                         # chapter 03's full mode: 3,000
_PIX2PIX_STEPS = 3000
_CYCLE_STEPS = 2000


def _mnist_gan(name: str, chapter: str, summary: str, generator: tuple, discriminator: tuple, *, task: str = "mnist",
               steps: int = _MNIST_STEPS, batch_size: int = _MNIST_BATCH, variant: str, options: dict | None = None,
               fid_every: int | None = None) -> Recipe:
    return Recipe(name, chapter, summary, "gan", task, {"generator": generator, "discriminator": discriminator},
                  steps=steps, batch_size=batch_size,
                  options={"latent_dim": _LATENT, "loss": "non-saturating", "log_every": 50, **(options or {})},
                  fid_every=steps // 10 if fid_every is None else fid_every, variant=variant)


def _dcgan28(width: int) -> tuple[tuple, tuple]:
    return (("DCGANGenerator", {"image_size": 28, "channels": 1, "latent_dim": _LATENT, "width": width}),
            ("DCGANDiscriminator", {"image_size": 28, "channels": 1, "width": width}))


def _few(regime: str, label: str, options: dict) -> Recipe:
    return _mnist_gan(
        f"dcgan-200-{regime}", "03", f"DCGAN-28 on 200 digits, {label}", *_dcgan28(16),
        task="mnist-200", steps=_FEW_STEPS, options=options, fid_every=_FEW_STEPS // 20,
        variant="Chapter 03's 200-image runs (batches of 64 of the first 200 training digits) for 2,000 steps instead "
                "of full mode's 3,000, at a quarter of the width (16, its smoke width); FID against held-out digits "
                "every 100 steps.")


def _pix2pix(name: str, label: str, lambda_l1: float, adversarial: bool = True) -> Recipe:
    models = {"generator": ("UNetGenerator", {"in_channels": 3, "out_channels": 1, "image_size": 32, "ngf": 16})}
    if adversarial:
        models["discriminator"] = ("PatchDiscriminator", {"in_channels": 4, "ndf": 16, "n_layers": 2})
    return Recipe(
        name, "05", f"pix2pix on the offline digit-scene task, {label}", "pix2pix", "digit-scenes", models,
        steps=_PIX2PIX_STEPS, batch_size=16, lr=1e-3,
        options={"in_channels": 3, "lambda_l1": lambda_l1, "log_every": 25},
        task_options={"size": 32, "n_train": 4000, "n_test": 500},
        variant="Chapter 05's smoke scenes (32x32, one digit each) from digits 0-7,999, scored on 500 scenes of the "
                "held-out digits; U-Net ngf 16 (depth 5), a 2-layer PatchGAN, batches of 16 and lr 1e-3 (smoke mode: 2e-3) "
                "instead of full mode's 256x256 scenes at batch 1 and lr 2e-4.")


def _cyclegan(name: str, label: str, **options) -> Recipe:
    g = ("ResnetGenerator", {"in_channels": 3, "out_channels": 3, "ngf": 16, "n_blocks": 3})
    d = ("PatchDiscriminator", {"in_channels": 3, "ndf": 16, "n_layers": 2, "norm": "instance"})
    return Recipe(
        name, "06", f"CycleGAN on the offline unpaired digits, {label}", "cyclegan", "unpaired-digits",
        {"generator_ab": g, "generator_ba": g, "discriminator_a": d, "discriminator_b": d},
        steps=_CYCLE_STEPS, batch_size=4, lr=2e-4,
        options={"loss": "least-squares", "lambda_cycle": 10.0, "lambda_identity": 0.5, "pool_size": 50,
                 "decay": True, "log_every": 10, **options},
        task_options={"size": 32, "n_train": 4000, "n_test": 300},
        ships=("generator_ab", "generator_ba"),
        variant="Chapter 06's offline task (32x32, 4,000 coloured and 4,000 plain digits from digits 0-7,999, "
                "scored on 300 of each from the held-out digits) with a 3-block ResNet of ngf 16, batches of 4 and "
                "2,000 steps (full mode: 6 blocks of ngf 64, batch 1, 40,000 steps); "
                "the learning rate is constant for half the steps, then falls linearly to 0.")


RECIPES: dict[str, Recipe] = {r.name: r for r in [
    _mnist_gan("gan-fc", "02", "Fully connected GAN on MNIST (chapter 02's networks)",
               ("MLPGenerator", {"latent_dim": _LATENT, "hidden": _G_HIDDEN}), ("MLPDiscriminator", {"hidden": _D_HIDDEN}),
               variant="Chapter 02's networks, optimiser and batches of 64 on digits 0-7,999 for 8,000 steps (full "
                       "mode: 30,000): the same batches and steps as dcgan-28, so both see the same images."),
    _mnist_gan("dcgan-28", "03", "DCGAN-28 on MNIST (chapter 03)", *_dcgan28(32),
               variant="Chapter 03's DCGAN-28 at half the width (32), 8,000 batches of 64 on digits 0-7,999 (full "
                       "mode: 6,000 of 128), as long as gan-fc; 4,000 batches reached a FID of 6.7, 1/12 of noise's."),
    _few("basic", "no augmentation", {}),
    _few("deluxe", "deluxe augmentation of the real images (zoom, crop, flip)", {"batch_augment": "Deluxe"}),
    _few("diffaugment", "DiffAugment of everything D sees", {"augment": "DiffAugment"}),
    Recipe("dcgan-64-colour", "03", "64x64 colour DCGAN on the photo patches (chapter 03)", "gan", "photo-patches",
           {"generator": ("DCGANGenerator", {"image_size": 64, "channels": 3, "latent_dim": _LATENT, "width": 16}),
            "discriminator": ("DCGANDiscriminator", {"image_size": 64, "channels": 3, "width": 16})},
           steps=2000, batch_size=64, options={"latent_dim": _LATENT, "loss": "non-saturating", "augment": "DiffAugment",
                                                "log_every": 25},
           task_options={"size": 64, "n": 2048},
           variant="Chapter 03's offline colour set (2,048 patches of scikit-image's photographs, DiffAugment since it "
                   "has fewer than 10,000 images) at a quarter of the width (16), 2,000 batches of 64 (full mode: 8,000 "
                   "of 128 at width 64)."),
    *[Recipe(f"cgan-{key}", "04", f"Conditional GAN on MNIST, {label} discriminator (chapter 04)", "gan", "mnist",
             {"generator": ("ConditionalGenerator", {"latent_dim": _LATENT, "num_classes": 10, "hidden": _G_HALF}),
              "discriminator": (cls, {"num_classes": 10, "hidden": _D_HALF})},
             steps=_CGAN_STEPS, batch_size=64,
             options={"latent_dim": _LATENT, "num_classes": 10, "loss": "non-saturating", "log_every": 50},
             fid_every=_CGAN_STEPS // 10,
             variant="Chapter 04's networks at half chapter 02's widths (its smoke widths) on digits 0-7,999, "
                     "5,000 steps of 64 instead of full mode's 30,000.")
      for key, label, cls in [("concat", "concatenating", "ConditionalDiscriminator"),
                              ("projection", "projection", "ProjectionDiscriminator")]],
    _pix2pix("pix2pix-l1", "L1 only", 100.0, adversarial=False),
    _pix2pix("pix2pix-cgan", "cGAN only", 0.0),
    _pix2pix("pix2pix", "L1 + cGAN, lambda 100", 100.0),
    _pix2pix("pix2pix-1000", "L1 + cGAN, lambda 1000", 1000.0),
    _cyclegan("cyclegan", "LSGAN, pool 50, identity 0.5"),
    _cyclegan("cyclegan-no-cycle", "no cycle loss", lambda_cycle=0.0),
    _cyclegan("cyclegan-no-identity", "no identity loss", lambda_identity=0.0),
]}


def recipe(name: str) -> Recipe:
    """The recipe called ``name``, or a KeyError that lists them all."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"No trained-model recipe is called {name!r}; the recipes are: {', '.join(RECIPES)}.") from None
