"""The benchmark's baseline and gansrc's trainer compute the same thing, and the CLI runs.

Equivalence: the tutorial loop is fed the same batches (``SameOrderSampler`` reproduces
``TensorBatches``' order) and the same noise (a generator seeded like the trainer's); dropout
draws from the global RNG in the same order in both. What still differs is rounding: the data
path (``ToTensor`` then ``Normalize`` versus ``x / 127.5 - 1``), the loss (``BCEWithLogitsLoss``
versus softplus), and the discriminator's gradient summed from two backward passes versus one.
These are float32 round-off differences: measured, the losses differ by at most 2e-7 relative
after 8 steps, so 1e-4 relative leaves a wide margin for other CPUs and BLAS builds; a real difference in the
algorithm (a missing detach, reused noise, another batch) moves them by far more than that.
"""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gansrc.bench.equivalence import paired_losses
from gansrc.bench.families import random_images
from gansrc.bench.plain import PILImages, SameOrderSampler, TutorialGAN, tutorial_loader
from gansrc.data import TensorBatches
from gansrc.models import ConditionalDiscriminator, ConditionalGenerator, DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from gansrc.train import GANTrainer

STEPS, BATCH, LATENT, SEED = 8, 16, 8, 3


def networks(kind):
    torch.manual_seed(0)
    if kind == "mlp":
        return MLPGenerator(LATENT, hidden=(32, 64)), MLPDiscriminator(hidden=(64, 32), dropout=0.3), None
    if kind == "dcgan":
        return DCGANGenerator(28, 1, LATENT, width=4), DCGANDiscriminator(28, 1, width=4), None
    return ConditionalGenerator(LATENT, 10, 4, hidden=(32,)), ConditionalDiscriminator(10, hidden=(32,)), 10


@pytest.mark.parametrize("kind", ["mlp", "dcgan", "conditional"])
def test_tutorial_loop_and_trainer_reach_the_same_losses(kind):
    g, d, classes = networks(kind)
    images, labels = random_images(80, 1, 28, seed=1, classes=classes or 0)  # 5 batches: the run crosses an epoch
    expected, got, trainer = paired_losses(g, d, images, labels, latent_dim=LATENT, batch_size=BATCH, steps=STEPS,
                                           seed=SEED, num_classes=classes)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)
    for a, b in zip(g.parameters(), trainer.generator.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-5)


def test_changing_the_noise_breaks_the_equivalence():
    """The tolerance is tight enough to notice a different noise draw."""
    g, d, _ = networks("mlp")
    images, _ = random_images(64, 1, 28, seed=1)
    g2, d2 = copy.deepcopy(g), copy.deepcopy(d)
    torch.manual_seed(SEED)
    loader = tutorial_loader(PILImages(images), BATCH, sampler=SameOrderSampler(len(images), BATCH, SEED))
    plain = TutorialGAN(g, d, loader, latent_dim=LATENT, noise_generator=torch.Generator().manual_seed(SEED + 1))
    plain.run(3)
    torch.manual_seed(SEED)
    trainer = GANTrainer(g2, d2, TensorBatches(images, batch_size=BATCH, seed=SEED), latent_dim=LATENT, seed=SEED,
                         log_every=1, diagnostics=False)
    history = trainer.fit(3, show_progress=False)
    assert not torch.allclose(torch.tensor(history["loss_g"]), torch.tensor([l for _, l in plain.losses]), rtol=1e-4)


def test_quick_benchmark_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "gansrc.bench", "--quick", "--models", "mlp", "--repeats", "1", "--steps", "1",
           "--warmup", "0", "--device", "cpu", "--json", str(out)]
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=root, env=dict(os.environ, PYTHONPATH=str(root)))
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    assert report["device_type"] == "cpu" and report["torch"] == torch.__version__
    assert "no peak table for CPUs" in report["peak_note"]
    (row,) = report["results"]
    assert row["model"] == "mlp" and row["flops_per_step_gansrc"] > 0
    assert row["plain_median"] > 0 and row["gansrc_median"] > 0
    assert "mlp" in run.stdout and "ratio" in run.stdout


def test_peak_table_matches_device_names():
    from gansrc.bench.flops import peak_key

    assert peak_key("NVIDIA H100 80GB HBM3") == "H100 SXM"
    assert peak_key("NVIDIA H100 PCIe") == "H100 PCIe"
    assert peak_key("NVIDIA H200") == "H200"
    assert peak_key("NVIDIA A100-SXM4-40GB") == "A100"
    assert peak_key("NVIDIA L4") == "L4" and peak_key("NVIDIA L40S") is None
    assert peak_key("Tesla T4") == "T4"


def test_cpu_options_are_opt_in():
    """bf16 autocast and fused Adam change the rounding, so on the CPU they are only used when asked."""
    from gansrc.train.precision import Precision, cpu_bf16_supported

    cpu = torch.device("cpu")
    assert not Precision(cpu).enabled
    asked = Precision(cpu, True)
    assert asked.enabled == cpu_bf16_supported() and not asked.uses_scaler
    if asked.enabled:
        assert asked.dtype == torch.bfloat16
        with asked.autocast():
            assert torch.ones(2, 2).matmul(torch.ones(2, 2)).dtype == torch.bfloat16

    g, d, _ = networks("mlp")
    batches = TensorBatches(random_images(32, 1, 28, seed=0)[0], batch_size=16)
    default = GANTrainer(copy.deepcopy(g), copy.deepcopy(d), batches, latent_dim=LATENT, diagnostics=False)
    fused = GANTrainer(g, d, batches, latent_dim=LATENT, diagnostics=False, fused_adam=True)
    assert not any(grp.get("fused") for opt in default.optimizers.values() for grp in opt.param_groups)
    assert all(grp.get("fused") for opt in fused.optimizers.values() for grp in opt.param_groups)


@pytest.mark.parametrize("name", ["pix2pix64", "cyclegan64"])
def test_image_to_image_families_build_and_both_loops_step(name):
    """Every family the benchmark lists can be built and trained a step by both loops."""
    from gansrc.bench import FAMILIES, Setup

    case = FAMILIES[name].build(Setup(torch.device("cpu"), quick=True))
    case.plain.run(1)
    case.fast.run(1)
    assert all(torch.isfinite(torch.tensor(pair)).all() for pair in case.plain.losses)
    assert case.fast.trainer.step == 1 and case.shape[0] == 6


def test_the_t4_estimates_the_chapters_quote_are_the_computed_ones():
    """Chapters 03 and 05 fit one free Colab session, 06 does not; each chapter (en and es) quotes
    the figure ``gansrc.bench.estimate`` computes, next to the word T4."""
    import re
    from pathlib import Path

    from gansrc.bench import estimate

    rates = estimate.t4_rates()
    assert 5e12 < rates.flops_per_s < 2e13 and 1e-5 < rates.seconds_per_kernel < 2e-4
    dcgan = estimate.trainer_step_cost(estimate._dcgan64())
    assert 2e11 < dcgan.flops < 4e11 and dcgan.parameters > 6e6  # 64x64, width 64, batches of 128
    root = Path(__file__).resolve().parent.parent
    for chapter, name in (("03", "03_dcgan"), ("05", "05_pix2pix")):
        hours = estimate.chapter_hours(chapter, rates)
        assert hours < estimate.COLAB_SESSION_HOURS
        number = estimate.rounded(hours).split()[0]
        for language in ("en", "es"):
            text = (root / "chapters" / language / f"{name}.md").read_text()
            assert re.search(rf"T4.{{0,120}}?\b{number} (minutes|minutos)", text, re.S), (language, chapter, number)
    # chapter 06: all seven digit runs together, and the horse2zebra run, in hours
    digits = estimate.rounded(estimate.chapter_hours("06", rates)).split()[0]
    horses = estimate.rounded(estimate.chapter_hours("06", rates, download=True)
                              - estimate.chapter_hours("06", rates)).split()[0]
    assert estimate.chapter_hours("06", rates) > estimate.COLAB_SESSION_HOURS
    for language, seven, t4 in (("en", r"all seven about {} hours", r"T4 that is about {} hours"),
                                ("es", r"las siete unas {} horas", r"T4 son unas {} horas")):
        text = (root / "chapters" / language / "06_cyclegan.md").read_text()
        assert re.search(seven.format(digits), text), (language, "06", digits)
        assert re.search(t4.format(horses), text), (language, "06 horse2zebra", horses)
