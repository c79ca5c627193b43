"""The training loop every chapter shares, and the adversarial trainer built on it.

``Trainer`` owns what is the same for every model: the step counter, a progress bar, a
history of averaged metrics, NaN detection, checkpoints and exact resume. A subclass only
writes ``train_step``. ``GANTrainer`` is Algorithm 1 of Goodfellow et al. (2014) with k
discriminator steps and n generator steps per iteration (chapter 02).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Optional

import torch
from torch import Tensor, nn

from .. import losses as L
from ..data.batches import TensorBatches, to_uint8
from ..runtime import kept_checkpoints, progress
from ..text import tr
from .checkpoint import CheckpointDir, CheckpointError, CheckpointMismatchError, check_trainer_state
from .diagnostics import TrainingDiagnostics
from .pace import Pace
from .precision import Precision
from .runlock import FolderInUseError, RunLock
from .settings import check_batch_size, check_optimizer, compare, describe, non_negative_int, positive_int

Callback = Callable[["Trainer", dict], None]


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stopped before saving the damaged weights."""


class InterruptedRunError(RuntimeError):
    """``fit`` was stopped mid-run and there is no checkpoint to continue exactly from."""


class Trainer:
    """Runs ``train_step`` until a step count, logging, checkpointing and resuming.

    Metrics returned by ``train_step`` stay on the device and are averaged over
    ``log_every`` steps before one host synchronisation, so the loop never waits on the GPU
    for a progress bar. With ``checkpoint_dir`` set, ``fit`` resumes from the newest good
    checkpoint there and writes one every ``checkpoint_every`` steps and at the end. It keeps
    the newest ``keep_last`` while it trains and ``keep_done`` once ``fit`` has reached its last
    step (None: ``runtime.kept_checkpoints()``, 3 and 3, or 2 and 1 on Google Drive).

    While ``fit`` runs it holds the folder's lock (``runlock``): a second run on the same
    folder is refused. The run's ``settings`` are stored in every checkpoint; a resume refuses
    a checkpoint whose defining settings differ unless they are named in ``override``
    (``settings.py`` says which may change). When ``fit`` is interrupted (Ctrl-C, an error),
    the next ``fit`` on the same trainer goes back to the last checkpoint, so the run stays
    exact; without one it refuses. Callbacks with ``state_dict``/``load_state_dict`` (the FID
    tracker, the diagnostics) are saved and restored with the run.
    """

    #: logged gradient norms: a step the GradScaler skipped has none, so they average the applied steps
    gradient_metrics: tuple[str, ...] = ()

    def __init__(
        self,
        models: dict[str, nn.Module],
        optimizers: dict[str, torch.optim.Optimizer],
        batches: TensorBatches,
        *,
        device: torch.device | str = "cpu",
        seed: int = 0,
        log_every: int = 50,
        checkpoint_dir: Optional[Path] = None,
        checkpoint_every: int = 500,
        keep_last: Optional[int] = None,
        keep_done: Optional[int] = None,
        amp: Optional[bool] = None,
        callbacks: Iterable[Callback] = (),
        desc: str = "training",
        override: Iterable[str] = (),
    ) -> None:
        if log_every < 1:
            raise ValueError("log_every must be at least 1.")
        positive_int("checkpoint_every", checkpoint_every, "It is the number of steps between two checkpoints.")
        default_last, default_done = kept_checkpoints()
        keep_last = positive_int("keep_last", default_last if keep_last is None else keep_last,
                                 "It is how many checkpoints are kept while the run trains.")
        keep_done = positive_int("keep_done", min(keep_last, default_done) if keep_done is None else keep_done,
                                 "It is how many checkpoints a finished run keeps.")
        check_batch_size(models, getattr(batches, "batch_size", None))
        self.models = models
        self.optimizers = optimizers
        self.batches = batches
        self.device = torch.device(device)
        self.log_every = log_every
        self.checkpoints = CheckpointDir(checkpoint_dir, keep_last, keep_done) if checkpoint_dir else None
        self.checkpoint_every = checkpoint_every
        self.callbacks = list(callbacks)
        self.desc = desc
        self.precision = Precision(self.device, amp)
        self.rng = device_generator(self.device).manual_seed(seed)
        self.step = 0
        self.history: dict[str, list[float]] = {"step": []}
        self._sums: dict[str, Tensor] = {}
        self._count = 0
        self._first_bad = torch.full((), -1, dtype=torch.long, device=self.device)
        self._resumed_from: Optional[Path] = None
        self.override = tuple(override)
        self.settings: dict = {}
        self.record_settings(seed=seed, batch_size=getattr(batches, "batch_size", None), data_size=len(batches),
                             data_seed=getattr(batches, "seed", None), data_augment=getattr(batches, "augment", None),
                             log_every=log_every,
                             checkpoint_every=checkpoint_every, keep_last=keep_last, keep_done=keep_done,
                             device=self.device.type)
        self._lock: Optional[RunLock] = None
        self._interrupted: Optional[tuple[str, int]] = None  # the exception's name and the step

    # ------------------------------------------------------------------ to override
    def train_step(self) -> dict[str, Tensor]:
        """One optimisation step; returns scalar tensors to log (kept on the device)."""
        raise NotImplementedError

    def after_step(self) -> None:
        """Called after every step (e.g. to take samples)."""

    def next_batch(self) -> tuple[Optional[Tensor], ...]:
        """The next batch of ``batches``, wherever it was built, on this trainer's device.

        A no-op when it is there already; to a GPU the copy is asynchronous (``non_blocking``), back
        to the CPU it is not (an asynchronous copy there could be read before it has landed).
        """
        return tuple(None if t is None else t.to(self.device, non_blocking=self.device.type != "cpu")
                     for t in self.batches.next())

    def extra_state(self) -> dict:
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def record_settings(self, **settings) -> None:
        """Add settings that define this run (or may change on resume: ``settings.MAY_CHANGE``)."""
        self.settings.update({k: describe(v) for k, v in settings.items()})

    # ------------------------------------------------------------------ the loop
    def fit(self, steps: int, show_progress: bool = True) -> dict[str, list[float]]:
        """Train until ``self.step == steps`` (resuming first if a checkpoint exists).

        Holds the checkpoint folder's lock meanwhile. After an interrupted ``fit`` it first goes
        back to the last checkpoint (or refuses, without one), so the run stays exact.
        """
        steps = non_negative_int("steps", steps, "It is the step to train up to.")
        if self.checkpoints is None:
            self._continue_after_interrupt()
            try:  # an interruption here can only be refused next time, not repaired
                return self._loop(steps, show_progress)
            except BaseException as exc:
                self._interrupted = (type(exc).__name__, self.step)
                raise
        self._lock = RunLock(self.checkpoints.folder) if self.writes_checkpoints() else None
        if self._lock is not None:
            self._lock.acquire()
        try:
            if self._interrupted is None and self.step > 0:
                self._check_folder_unchanged()
            try:
                if self._interrupted is not None:
                    self._continue_after_interrupt()
                elif self.step == 0:
                    self.resume()
                return self._loop(steps, show_progress)
            except CheckpointMismatchError:
                raise  # refused before anything was loaded: this trainer is as it was
            except BaseException as exc:
                self._interrupted = (type(exc).__name__, self.step)
                raise
        finally:
            if self._lock is not None:
                self._lock.release()
            self._lock = None

    def writes_checkpoints(self) -> bool:
        """Whether this process writes the checkpoints (and so holds the folder's lock while training)."""
        return True

    def _continue_after_interrupt(self) -> None:
        if self._interrupted is None:
            return
        name, step = self._interrupted
        if self.checkpoints is None or not self.checkpoints.paths():
            raise InterruptedRunError(
                f"The last fit() stopped in the middle of training ({name} after step {step}), so this trainer's weights "
                "and optimiser state may be those of half a step, and there is no checkpoint to go back to. Run the "
                "cell that builds the trainer again to start afresh; with checkpoint_dir set, fit() after an "
                "interruption continues exactly from the last checkpoint."
            )
        print(tr("interrupted_resume", why=tr("interrupted_after", error=name, step=step)))
        self.resume()
        self._interrupted = None

    def _check_folder_unchanged(self) -> None:
        """Between two fits of this trainer no other run may have written further checkpoints here."""
        paths = self.checkpoints.paths()
        newest = int(paths[-1].name[5:13]) if paths else 0
        if newest > self.step:
            raise FolderInUseError(
                f"{self.checkpoints.folder} holds a checkpoint of step {newest}, beyond this trainer's step {self.step}: "
                "another run has trained in this folder since this trainer last saved. Build the trainer again to "
                "resume that run, or give this one another checkpoint_dir."
            )

    def _loop(self, steps: int, show_progress: bool = True) -> dict[str, list[float]]:
        bar = progress(total=steps, initial=self.step, desc=self.desc, disable=not show_progress)
        pace = Pace(self.device, steps)  # full mode on a CPU: how long this will take, once
        try:
            while self.step < steps:
                for model in self.models.values():
                    model.train()
                logs = self.train_step()
                self.step += 1
                self._accumulate(logs)
                if self.step % self.log_every == 0 or self.step == steps:
                    self._flush(bar)
                self.after_step()
                if self.checkpoints is not None and (self.step % self.checkpoint_every == 0 or self.step == steps):
                    self._flush(bar)
                    self.save_checkpoint(done=self.step == steps)
                bar.update(1)
                pace.tick(self.step)
                if self._lock is not None:
                    self._lock.heartbeat()
        finally:
            bar.close()
        return self.history

    def _accumulate(self, logs: dict[str, Tensor]) -> None:
        skipped = self.precision.pop_skipped()
        if skipped is not None:  # fp16: logged as the fraction of steps whose update the GradScaler skipped
            logs = {**logs, "skipped": torch.tensor(float(skipped), device=self.device)}
        values = torch.stack([v.detach().float() for v in logs.values()])
        if skipped:  # its gradients overflowed, by design: their norms are not measured; the losses still count
            values = torch.where(torch.tensor([n in self.gradient_metrics for n in logs], device=self.device), 0.0, values)
        bad = ~torch.isfinite(values).all()
        self._first_bad = torch.where(bad & (self._first_bad < 0), torch.tensor(self.step, device=self.device), self._first_bad)
        for name, value in zip(logs, values):
            self._sums[name] = self._sums[name] + value if name in self._sums else value.clone()
        self._count += 1

    def _flush(self, bar=None) -> None:
        if self._count == 0:
            return
        # the one host synchronisation per log interval: the first bad step and every mean at once
        first_bad, *values = torch.cat([self._first_bad.double().reshape(1),
                                        (torch.stack(list(self._sums.values())) / self._count).double()]).tolist()
        first_bad = int(first_bad)
        if first_bad >= 0:
            for callback in self.callbacks:  # e.g. TrainingDiagnostics: say why, in the run's own words
                if hasattr(callback, "on_nonfinite"):
                    callback.on_nonfinite(self, first_bad)
            last = self.checkpoints.paths()[-1] if self.checkpoints and self.checkpoints.paths() else None
            where = tr("nonfinite_last", path=last) if last else tr("nonfinite_none")
            raise NonFiniteLossError(tr("nonfinite_stop", step=first_bad, where=where))
        means = dict(zip(self._sums, values))
        if means.get("skipped"):  # gradient norms: the mean over the steps that were applied (NaN if none was)
            for name in set(self.gradient_metrics) & set(means):
                means[name] = means[name] / (1 - means["skipped"]) if means["skipped"] < 1 else float("nan")
        self.history["step"].append(self.step)
        for name, value in means.items():
            self.history.setdefault(name, []).append(value)
        self._sums, self._count = {}, 0
        if bar is not None:
            bar.set_postfix({k: f"{v:.3g}" for k, v in means.items()}, refresh=False)
        for callback in self.callbacks:
            callback(self, means)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        rng = {"torch": torch.get_rng_state(), "trainer": self.rng.get_state(), "device": self.device.type}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "format": "gansrc.trainer/1",
            "kind": type(self).__name__,
            "step": self.step,
            "models": {n: m.state_dict() for n, m in self.models.items()},
            "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
            "scalers": self.precision.state_dict(),
            "batches": self.batches.state_dict(),
            "rng": rng,
            "history": self.history,
            "extra": self.extra_state(),
            "settings": self.settings,
            "callbacks": self._callback_states(),
        }

    def _callback_keys(self) -> list[tuple[str, object]]:
        """Callbacks that keep state, keyed by class name (and a count when there are several)."""
        keyed, seen = [], {}
        for callback in self.callbacks:
            if hasattr(callback, "state_dict") and hasattr(callback, "load_state_dict"):
                name = type(callback).__name__
                seen[name] = seen.get(name, -1) + 1
                keyed.append((name if seen[name] == 0 else f"{name}#{seen[name]}", callback))
        return keyed

    def _callback_states(self) -> dict:
        return {key: callback.state_dict() for key, callback in self._callback_keys()}

    def check_state(self, state: dict, source: str = "checkpoint") -> None:
        """Raise unless ``state`` can be loaded whole: ``CheckpointMismatchError`` for another
        trainer, architecture or run (settings), ``CheckpointError`` for a damaged file."""
        if state.get("kind") != type(self).__name__:
            raise CheckpointMismatchError(f"{source} was written by a {state.get('kind')}, not a {type(self).__name__}.")
        check_trainer_state(state, self.models, self.optimizers, source)
        saved = state.get("settings", {})
        if not isinstance(saved, dict):
            raise CheckpointError(f"{source}: its settings are not a table; the file is damaged.")
        compare(saved, self.settings, source, self.override)

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        if state.get("kind") != type(self).__name__:
            raise CheckpointError(f"{source} was written by a {state.get('kind')}, not a {type(self).__name__}.")
        missing = set(self.models) ^ set(state["models"])
        if missing:
            raise CheckpointError(f"{source} holds models {sorted(state['models'])}, this trainer has {sorted(self.models)}.")
        for name, model in self.models.items():
            try:
                model.load_state_dict(state["models"][name])
            except RuntimeError as exc:
                first = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
                raise CheckpointError(f"{source} was written by a different {name} architecture: {first}") from exc
        for name, opt in self.optimizers.items():
            mine = [{k: v for k, v in g.items() if k not in ("params", "lr", "initial_lr")} for g in opt.param_groups]
            opt.load_state_dict(state["optimizers"][name])
            for group, options in zip(opt.param_groups, mine):  # betas, fused...: this trainer's
                group.update(options)
        self.precision.load_state_dict(state.get("scalers", {}))
        self.batches.load_state_dict(state["batches"])
        torch.set_rng_state(state["rng"]["torch"])
        if state["rng"].get("device", self.device.type) == self.device.type:
            self.rng.set_state(state["rng"]["trainer"])
        else:  # a GPU generator's state means nothing to a CPU one: same weights, new noise
            self.rng.manual_seed(int(state["step"]))
            print(tr("other_device", source=source, saved=state["rng"]["device"], device=self.device.type))
        if "cuda" in state["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        self.step = int(state["step"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.load_extra_state(state.get("extra", {}))
        for key, callback in self._callback_keys():
            if key in state.get("callbacks", {}):
                callback.load_state_dict(state["callbacks"][key])
        self._sums, self._count = {}, 0
        self._first_bad = torch.full_like(self._first_bad, -1)

    def save_checkpoint(self, done: bool = False) -> Optional[Path]:
        """Write a checkpoint of this step; ``done``: the last step of ``fit`` (``keep_done`` stay)."""
        if self.checkpoints is None:
            return None
        return self.checkpoints.save(self.state_dict(), self.step, done)

    def resume(self) -> bool:
        """Load the newest good checkpoint from ``checkpoint_dir``; True if one was found."""
        if self.checkpoints is None:
            return False
        found = self.checkpoints.latest(map_location="cpu", check=self.check_state)
        if found is None:
            return False
        path, state = found
        changes = compare(state.get("settings", {}), self.settings, str(path), self.override)
        self.load_state_dict(state, source=str(path))
        self._apply_learning_rate(state.get("settings", {}).get("lr"))
        if "seed" in self.override and state.get("settings", {}).get("seed", self.settings["seed"]) != self.settings["seed"]:
            self.rng.manual_seed(self.settings["seed"])  # the new seed's noise from here on
        self._resumed_from = path
        if changes:
            print(tr("resumed_changed", path=path, step=self.step, changes="; ".join(changes)))
        else:
            print(tr("resumed", path=path, step=self.step))
        return True

    def _apply_learning_rate(self, old: Optional[float]) -> None:
        """After a resume, a learning rate changed since the checkpoint replaces the saved one
        (scaled by any schedule's factor, whose base becomes the new rate)."""
        new = self.settings.get("lr")
        if old is None or new is None or old == new:
            return
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                ratio = group["lr"] / old  # the schedule's factor now (1 without one)
                group["lr"] = new if ratio == 1 else new * ratio
                if "initial_lr" in group:
                    group["initial_lr"] = new
        for scheduler in getattr(self, "schedulers", {}).values():
            scheduler.base_lrs = [new for _ in scheduler.base_lrs]


def device_generator(device: torch.device) -> torch.Generator:
    """A ``torch.Generator`` for random draws on ``device``: one of its own on the CPU and on
    accelerators; the CPU's for ``meta`` (tensors without data, for dry runs of shapes and devices)."""
    return torch.Generator() if device.type == "meta" else torch.Generator(device=device)


def gradient_norm(model: nn.Module) -> Tensor:
    """The L2 norm of all of ``model``'s parameter gradients (0 when it has none), on its device."""
    grads = [p.grad.detach() for p in model.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros((), device=next(model.parameters()).device)
    return torch.nn.utils.get_total_norm(grads)  # foreach kernels: a few launches, not one per tensor


def adam(model: nn.Module, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
         fused: Optional[bool] = None) -> torch.optim.Adam:
    """Adam with the DCGAN settings (lr 2e-4, beta1 0.5); fused kernels on CUDA.

    ``fused=True`` also fuses on the CPU: one pass over each parameter instead of one per
    operation of the update, several times faster for large networks (the U-Net), but rounded
    differently from the default loop, so it is opt-in there to keep the chapters' results.
    """
    check_optimizer(lr, betas)
    if fused is None:
        fused = next(model.parameters()).is_cuda
    return torch.optim.Adam(model.parameters(), lr=lr, betas=betas, fused=True if fused else None)


class GANTrainer(Trainer):
    """Adversarial training: ``d_steps`` discriminator updates, then ``g_steps`` generator updates.

    The discriminator returns logits; ``loss`` (an ``AdversarialLoss``) turns them into the
    two losses. With ``num_classes`` set, both networks are conditional: they are called as
    ``generator(z, y)`` and ``discriminator(x, y)``. Every ``sample_every`` steps the
    generator is run on a fixed batch of noise and the images are kept in ``snapshots``.

    Three options from chapter 03, all off by default: ``label_smoothing`` s trains D to
    output 1 - s instead of 1 on real images (one-sided: fakes keep the target 0; the loss's
    ``discriminator`` must accept ``real_target``); ``gradient_penalty`` is the weight of
    DRAGAN's penalty (``losses.dragan_penalty``) added to D's loss; ``augment`` (e.g.
    ``DiffAugment()``) is applied to every batch D sees, real and fake, in both players' steps,
    and the penalty is taken around the augmented reals, the images D is trained on.

    ``fused_adam`` (see ``adam``): None fuses Adam on CUDA only; True on the CPU too.

    ``diagnostics`` (on by default) adds a ``TrainingDiagnostics`` callback that warns once
    when the discriminator wins outright, the generator collapses or its gradients vanish,
    or a loss becomes NaN; pass your own instance (e.g. with the MNIST classifier) or False.
    The generator's gradient norm is logged as ``grad_g`` for it.
    """

    gradient_metrics = ("grad_g",)

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        batches: TensorBatches,
        *,
        latent_dim: int,
        loss: L.AdversarialLoss = L.NON_SATURATING,
        d_steps: int = 1,
        g_steps: int = 1,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        num_classes: Optional[int] = None,
        label_smoothing: float = 0.0,
        gradient_penalty: float = 0.0,
        augment: Optional[Callable[..., Tensor]] = None,
        sample_every: int = 0,
        n_samples: int = 64,
        device: torch.device | str = "cpu",
        seed: int = 0,
        diagnostics: bool | TrainingDiagnostics = True,
        fused_adam: Optional[bool] = None,
        **kwargs,
    ) -> None:
        if d_steps < 1 or g_steps < 1:
            raise ValueError("d_steps and g_steps must be at least 1.")
        positive_int("latent_dim", latent_dim, "It is the length of the generator's noise vector.")
        non_negative_int("sample_every", sample_every, "It is the number of steps between snapshots (0: none).")
        positive_int("n_samples", n_samples, "It is how many images each snapshot holds.")
        check_labels(batches, num_classes)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), not {label_smoothing} (0.1 makes the real target 0.9).")
        if gradient_penalty < 0:
            raise ValueError(f"gradient_penalty is a weight and cannot be negative ({gradient_penalty}).")
        callbacks = list(kwargs.pop("callbacks", ()))
        if diagnostics is True and not any(isinstance(c, TrainingDiagnostics) for c in callbacks):
            diagnostics = TrainingDiagnostics()
        if isinstance(diagnostics, TrainingDiagnostics) and diagnostics not in callbacks:
            callbacks.append(diagnostics)
        self.diagnostics = next((c for c in callbacks if isinstance(c, TrainingDiagnostics)), None)
        device = torch.device(device)
        generator.to(device)
        discriminator.to(device)
        super().__init__(
            {"generator": generator, "discriminator": discriminator},
            {"generator": adam(generator, lr, betas, fused_adam), "discriminator": adam(discriminator, lr, betas, fused_adam)},
            batches, device=device, seed=seed, desc=kwargs.pop("desc", "GAN"), callbacks=callbacks, **kwargs,
        )
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = latent_dim
        self.loss = loss
        self.d_steps, self.g_steps = d_steps, g_steps
        self.num_classes = num_classes
        self.real_target = 1.0 - label_smoothing
        self.gradient_penalty = gradient_penalty
        self.augment = augment
        self.sample_every = sample_every
        fixed = torch.Generator().manual_seed(seed + 1)
        self.fixed_z = torch.randn(n_samples, latent_dim, generator=fixed).to(device)
        self.fixed_y = (torch.arange(n_samples) % num_classes).to(device) if num_classes else None
        self.snapshots: list[tuple[int, Tensor]] = []
        self.record_settings(latent_dim=latent_dim, loss=loss, d_steps=d_steps, g_steps=g_steps, lr=lr, betas=betas,
                             num_classes=num_classes, label_smoothing=label_smoothing, gradient_penalty=gradient_penalty,
                             augment=augment, sample_every=sample_every, n_samples=n_samples, fused_adam=fused_adam)

    # -- sampling
    def noise(self, n: int) -> tuple[Tensor, Optional[Tensor]]:
        z = torch.randn(n, self.latent_dim, generator=self.rng, device=self.device)
        y = None
        if self.num_classes:
            y = torch.randint(self.num_classes, (n,), generator=self.rng, device=self.device)
        return z, y

    def _generate(self, z: Tensor, y: Optional[Tensor]) -> Tensor:
        return self.generator(z) if y is None else self.generator(z, y)

    def _discriminate(self, x: Tensor, y: Optional[Tensor]) -> Tensor:
        if self.augment is not None:  # DiffAugment: D only ever sees augmented images
            x = self.augment(x, generator=self.rng)
        return self.discriminator(x) if y is None else self.discriminator(x, y)

    def _loss_d(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        if self.real_target == 1.0:
            return self.loss.discriminator(real_logits, fake_logits)
        return self.loss.discriminator(real_logits, fake_logits, real_target=self.real_target)

    @torch.no_grad()
    def sample(self, n: int = 64, labels: Optional[Tensor] = None, z: Optional[Tensor] = None) -> Tensor:
        """``n`` generated images in [-1, 1] (eval mode, no gradients)."""
        was_training = self.generator.training
        self.generator.eval()
        if z is None:
            z, y = self.noise(n)
        else:
            y = None if not self.num_classes else torch.zeros(len(z), dtype=torch.long, device=self.device)
        if labels is not None:
            y = labels.to(self.device)
        with self.precision.autocast():
            images = self._generate(z, y).float()
        self.generator.train(was_training)
        return images

    # -- the step
    def train_step(self) -> dict[str, Tensor]:
        G, D, opt_g, opt_d = self.generator, self.discriminator, self.optimizers["generator"], self.optimizers["discriminator"]
        keep_fake = None
        D.requires_grad_(True)
        for k in range(self.d_steps):
            real, real_y = self.next_batch()
            z, fake_y = self.noise(real.shape[0])
            if not self.num_classes:
                real_y = None
            last = k == self.d_steps - 1
            with self.precision.autocast():
                if last:  # keep this graph: the first generator step reuses these fakes
                    fake = self._generate(z, fake_y)
                else:
                    with torch.no_grad():
                        fake = self._generate(z, fake_y)
                seen = real if self.augment is None else self.augment(real, generator=self.rng)
                real_logits = (D(seen) if real_y is None else D(seen, real_y)).float()
                fake_logits = self._discriminate(fake.detach(), fake_y).float()
                loss_d = self._loss_d(real_logits, fake_logits)
            if self.gradient_penalty:  # around the reals D saw; in float32, outside autocast
                gp = L.dragan_penalty(lambda x: D(x) if real_y is None else D(x, real_y), seen, self.rng)
                loss_d = loss_d + self.gradient_penalty * gp
            opt_d.zero_grad(set_to_none=True)
            self.precision.step("discriminator", loss_d, opt_d)
            keep_fake = (fake, fake_y)
        D.requires_grad_(False)  # the generator step needs gradients through D, not for D
        for j in range(self.g_steps):
            if j == 0:
                fake, fake_y = keep_fake
            else:
                z, fake_y = self.noise(self.batches.batch_size)
                with self.precision.autocast():
                    fake = self._generate(z, fake_y)
            with self.precision.autocast():
                gen_logits = self._discriminate(fake, fake_y).float()
                loss_g = self.loss.generator(gen_logits)
            opt_g.zero_grad(set_to_none=True)
            self.precision.step("generator", loss_g, opt_g)
        D.requires_grad_(True)
        logs = {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": torch.sigmoid(real_logits.detach()).mean(),
            "d_fake": torch.sigmoid(fake_logits.detach()).mean(),
            "grad_g": gradient_norm(G),
        }
        if self.gradient_penalty:
            logs["gp"] = gp.detach()
        return logs

    def after_step(self) -> None:
        if self.sample_every and (self.step % self.sample_every == 0 or self.step == 1):
            fixed = self.sample(z=self.fixed_z, labels=self.fixed_y)
            self.snapshots.append((self.step, to_uint8(fixed).cpu()))

    def extra_state(self) -> dict:
        return {"snapshot_steps": [s for s, _ in self.snapshots], "snapshots": [img for _, img in self.snapshots]}

    def load_extra_state(self, state: dict) -> None:
        self.snapshots = list(zip(state.get("snapshot_steps", []), state.get("snapshots", [])))


def check_labels(batches, num_classes: Optional[int]) -> None:
    """A conditional GAN needs integer labels in [0, num_classes); refuse others before training."""
    if not num_classes:
        return
    positive_int("num_classes", num_classes, "It is the number of classes the networks are conditioned on.")
    labels = getattr(batches, "labels", None)
    if labels is None:
        raise ValueError(f"num_classes={num_classes} makes the GAN conditional, but the batches have no labels: "
                         "pass them, TensorBatches(images, labels, ...), or leave num_classes unset.")
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise ValueError(f"labels must be integers (class indices), not {labels.dtype}: use labels.long().")
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= num_classes:
        raise ValueError(f"labels run from {low} to {high}, but num_classes={num_classes} needs them in "
                         f"0..{num_classes - 1}: raise num_classes or fix the labels.")
