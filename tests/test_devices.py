"""Where the learner's run is not this CPU: batches on another device, fp16 with a GradScaler, and
the branches taken on CUDA, tested by faking what can be faked.

A second device type exists on every machine: ``meta`` (tensors with a shape and no data). A
trainer built there with the CPU batches the chapters' small runs make must move each batch
to its own device, exactly as on a GPU. fp16 autocast with a GradScaler (Colab's T4) runs on the
CPU too, slowly, when ``Precision`` is given the dtype explicitly.
"""
import math

import pytest
import torch

from gansrc import runtime
from gansrc.data import TensorBatches, UnpairedBatches, load_bundled_mnist, unpaired_digits
from gansrc.data.synthetic import digit_scenes
from gansrc.models import (
    MLPDiscriminator, MLPGenerator, MNISTClassifier, PatchDiscriminator, ResnetGenerator, UNetGenerator,
)
from gansrc.train import (
    ClassifierTrainer, CycleGANTrainer, GANTrainer, NonFiniteLossError, Pix2PixTrainer, Precision, adam,
)
from gansrc.train import precision as precision_module

MNIST = load_bundled_mnist()
DIGITS, LABELS = MNIST.images[:300], MNIST.labels[:300]
PAIRS = digit_scenes(32, DIGITS, size=16, seed=0)
UNPAIRED = unpaired_digits(DIGITS, LABELS, 16, 16, size=16, seed=0)


def gan(device="cpu", **kw):
    torch.manual_seed(0)
    return GANTrainer(MLPGenerator(8, hidden=(32,)), MLPDiscriminator(hidden=(32,)),
                      TensorBatches(DIGITS, batch_size=32), latent_dim=8, device=device, diagnostics=False, **kw)


def classifier(device="cpu", **kw):
    torch.manual_seed(0)
    return ClassifierTrainer(MNISTClassifier(width=4), TensorBatches(DIGITS, LABELS, batch_size=16), device=device, **kw)


def pix2pix(device="cpu", **kw):
    torch.manual_seed(0)
    return Pix2PixTrainer(UNetGenerator(3, 1, image_size=16, ngf=4), PatchDiscriminator(4, ndf=4, n_layers=1),
                          TensorBatches(PAIRS.stacked(), batch_size=8), in_channels=3, device=device, **kw)


def cyclegan(device="cpu", **kw):
    torch.manual_seed(0)
    g, f = ResnetGenerator(3, 3, ngf=4, n_blocks=1), ResnetGenerator(3, 3, ngf=4, n_blocks=1)
    d_a, d_b = (PatchDiscriminator(3, ndf=4, n_layers=1, norm="instance") for _ in range(2))
    return CycleGANTrainer(g, f, d_a, d_b, UnpairedBatches(UNPAIRED, batch_size=2), pool_size=2, device=device, **kw)


TRAINERS = {"gan": gan, "classifier": classifier, "pix2pix": pix2pix, "cyclegan": cyclegan}


def params(trainer):
    return {f"{m}.{k}": v.detach().clone() for m, model in trainer.models.items() for k, v in model.state_dict().items()}


# ---------------------------------------------------------------- batches move to the trainer
@pytest.mark.parametrize("name", TRAINERS)
def test_every_trainer_steps_on_its_own_device_with_batches_built_elsewhere(name):
    trainer = TRAINERS[name]("meta")  # the batches stay on the CPU, as in chapter 02's small runs
    assert trainer.batches.images.device.type == "cpu"
    logs = trainer.train_step()
    assert logs and all(v.device.type == "meta" and v.ndim == 0 for v in logs.values())


def test_the_move_is_a_no_op_on_the_same_device_and_keeps_channels_last():
    trainer = gan()
    fixed = (torch.zeros(2, 1, 28, 28), None)
    trainer.batches.next = lambda: fixed
    x, y = trainer.next_batch()
    assert x is fixed[0] and y is None
    nhwc = TensorBatches(DIGITS, batch_size=4, channels_last=True)
    trainer = gan("meta")
    trainer.batches = nhwc
    x, _ = trainer.next_batch()
    assert x.device.type == "meta" and x.is_contiguous(memory_format=torch.channels_last)


# ---------------------------------------------------------------- fp16 with a GradScaler
def fp16(trainer, init_scale=2.0**16):
    trainer.precision = Precision(trainer.device, dtype=torch.float16, init_scale=init_scale)
    return trainer


def test_the_grad_scaler_is_made_for_the_trainers_device():
    p = Precision(torch.device("cpu"), dtype=torch.float16)
    assert p.enabled and p.uses_scaler
    assert p._scaler("generator")._device == "cpu" and p._scaler("generator").is_enabled()
    assert not Precision(torch.device("cpu"), False, dtype=torch.float16).enabled


@pytest.mark.parametrize("name", ["gan", "pix2pix", "cyclegan"])
def test_fp16_overflow_skips_the_step_and_training_goes_on(name):
    trainer = fp16(TRAINERS[name](log_every=4), init_scale=2.0**40)  # every first step overflows fp16
    before = params(trainer)
    trainer.fit(1, show_progress=False)
    assert trainer.precision.skipped_steps >= 1 and trainer.history["skipped"] == [1.0]
    unchanged = [k for k in before if torch.equal(before[k], params(trainer)[k])]
    assert unchanged, "a skipped step must leave the weights as they were"
    while min(s.get_scale() for s in trainer.precision.scalers.values()) > 2.0**16:
        trainer.fit(trainer.step + 4, show_progress=False)  # each overflow halves the scale: 2^40 -> 2^16
        assert trainer.step < 120
    history = trainer.fit(trainer.step + 8, show_progress=False)
    assert history["skipped"][-1] == 0.0, "once the scale fits fp16, steps are applied again"
    losses = [k for k in history if k not in ("step", "skipped", "grad_g")]
    assert all(math.isfinite(v) for k in losses for v in history[k])
    assert all(not torch.equal(before[k], params(trainer)[k]) for k in before if before[k].is_floating_point()
               and "running" not in k and "num_batches" not in k)


def test_gradient_norms_of_skipped_steps_are_left_out_not_nan():
    trainer = fp16(gan(log_every=4), init_scale=2.0**20)
    history = trainer.fit(12, show_progress=False)
    skipped, grad = history["skipped"], history["grad_g"]
    assert skipped[0] > 0 and skipped[-1] == 0.0
    for s, g in zip(skipped, grad):
        assert math.isnan(g) if s == 1.0 else math.isfinite(g) and g > 0
    # the norm is that of the true (unscaled) gradients: the same size as without fp16
    plain = gan(log_every=4).fit(12, show_progress=False)["grad_g"][-1]
    assert 0.5 < grad[-1] / plain < 2


@pytest.mark.parametrize("name", ["gan", "pix2pix", "cyclegan"])
def test_a_nan_loss_under_fp16_still_stops_training(name):
    trainer = fp16(TRAINERS[name](log_every=2))
    trainer.fit(2, show_progress=False)
    with torch.no_grad():
        for p in next(iter(trainer.models.values())).parameters():
            p.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="step 3"):
        trainer.fit(4, show_progress=False)


# ---------------------------------------------------------------- CUDA branches, faked
@pytest.mark.parametrize("capability,dtype", [((7, 5), torch.float16), ((8, 0), torch.bfloat16), ((9, 0), torch.bfloat16)])
def test_cuda_precision_is_chosen_by_compute_capability(monkeypatch, capability, dtype):
    asked = []
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: asked.append(device) or capability)
    p = Precision(torch.device("cuda"))
    assert asked and p.enabled and p.dtype == dtype and p.uses_scaler == (dtype == torch.float16)
    assert not Precision(torch.device("cuda"), False).enabled


@pytest.mark.parametrize("native", [True, False])
def test_cpu_autocast_on_request_follows_native_bf16(monkeypatch, native):
    monkeypatch.setattr(precision_module, "cpu_bf16_supported", lambda: native)
    p = Precision(torch.device("cpu"), True)
    assert p.enabled == native and p.dtype == (torch.bfloat16 if native else torch.float32) and not p.uses_scaler


def test_adam_fuses_for_cuda_parameters_only(monkeypatch):
    made = []
    monkeypatch.setattr(torch.optim, "Adam", lambda params, **kw: made.append(kw) or kw)

    class OnCuda:  # what adam reads of a model: its parameters, and where the first one lives
        def parameters(self):
            return iter([type("P", (), {"is_cuda": True})()])

    adam(OnCuda())
    adam(MLPGenerator(8, hidden=(4,)))
    adam(MLPGenerator(8, hidden=(4,)), fused=True)
    assert [kw["fused"] for kw in made] == [True, None, True]


def test_describe_runtime_names_the_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla T4")
    line = runtime.describe_runtime(False, torch.device("cuda"))
    assert "device: Tesla T4" in line and "mode: full" in line
    assert "device: CPU" in runtime.describe_runtime(True, torch.device("cpu"))


def test_pick_device_prefers_cuda_when_there_is_one(monkeypatch):
    monkeypatch.delenv("GANSRC_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.pick_device() == torch.device("cuda")
    assert runtime.pick_device("cpu") == torch.device("cpu")


def test_benchmark_cuda_branches(monkeypatch):
    from gansrc.bench import flops, run
    from gansrc.bench.families import Setup, channels_last_pays

    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert channels_last_pays(Setup(cuda)) and not channels_last_pays(Setup(cpu))
    assert not channels_last_pays(Setup(cuda, channels_last=False)) and channels_last_pays(Setup(cpu, channels_last=True))
    synced = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: synced.append(device))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla T4")
    run.synchronize(cuda)
    run.synchronize(cpu)
    assert synced == [cuda]
    assert run.device_name(cuda) == "Tesla T4"
    peak, note = flops.device_peak(cuda)
    assert peak == flops.PEAK_TFLOPS["T4"] * 1e12 and note.startswith("T4") and "fp16" in note
    assert flops.device_peak(cpu)[0] is None


def test_checkpoints_carry_the_cuda_generators_where_there_are_some(monkeypatch):
    saved = [torch.arange(4, dtype=torch.uint8)]
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: saved)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", restored.append)
    trainer = gan()
    state = trainer.state_dict()
    assert state["rng"]["cuda"] is saved
    gan().load_state_dict(state)
    assert restored == [saved]


@pytest.mark.parametrize("name", ["dcgan28", "pix2pix64", "cyclegan64"])
def test_benchmark_channels_last_branch_builds_nhwc_networks_and_batches(name):
    """What every CUDA benchmark run takes (channels_last), forced on the CPU."""
    from gansrc.bench import FAMILIES, Setup

    case = FAMILIES[name].build(Setup(torch.device("cpu"), quick=True, channels_last=True))
    assert "channels_last" in case.notes
    trainer = case.fast.trainer
    conv = next(m for model in trainer.models.values() for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    case.fast.run(1)
    assert trainer.step == 1
