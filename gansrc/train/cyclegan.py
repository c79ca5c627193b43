r"""CycleGAN training (chapter 06): two generators, two discriminators, no pairs.

G maps domain A to B and F maps B to A; D_B tells real B images from G's outputs, D_A real A
images from F's. Zhu et al. (2017) minimise over G and F

.. math:: \mathcal{L}_{GAN}(G, D_B) + \mathcal{L}_{GAN}(F, D_A)
          + \lambda\, \mathbb{E}\lVert F(G(a)) - a \rVert_1 + \lambda\, \mathbb{E}\lVert G(F(b)) - b \rVert_1
          + \lambda_{id} \lambda\, (\mathbb{E}\lVert G(b) - b \rVert_1 + \mathbb{E}\lVert F(a) - a \rVert_1)

with least-squares adversarial losses :math:`\mathcal{L}_{GAN}(G, D_B) = E[(D_B(G(a)) - 1)^2]`,
lambda = 10 and lambda_id = 0.5, and D_A, D_B minimise half their least-squares losses: the
objective of the authors' code (``backward_G`` and ``backward_D_basic`` of
junyanz/pytorch-CycleGAN-and-pix2pix). Checkpoints, exact resume, progress, history and NaN
detection come from ``Trainer``; this file writes the step.
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch
from torch import Tensor, nn

from .. import losses as L
from ..data.batches import to_signed_float, to_uint8
from ..data.unpaired import UnpairedBatches
from .image2image import translate
from .image_pool import ImagePool
from .schedule import constant_then_linear_decay
from .settings import non_negative_int
from .trainer import Trainer, adam


class CycleGANTrainer(Trainer):
    """One step updates both generators together, then both discriminators (each on half its loss).

    Switches for chapter 06's ablation: ``lambda_cycle=0`` drops the cycle-consistency loss
    (its value is still logged as ``cycle``), ``lambda_identity=0`` drops the identity loss (it
    needs both domains to have the same number of channels), ``pool_size`` is the capacity of
    the image pools (0: the discriminators see only the newest fakes), ``loss`` is the
    adversarial loss (``LEAST_SQUARES``, ``NON_SATURATING`` or ``FOCAL``). The learning rate stays
    at ``lr`` for ``constant_steps`` steps (all of them by default) and then falls linearly to 0
    over ``decay_steps``. Every ``sample_every`` steps both generators translate ``fixed_a`` and
    ``fixed_b`` (eval mode); the results are kept in ``snapshots``.
    """

    def __init__(
        self,
        generator_ab: nn.Module,
        generator_ba: nn.Module,
        discriminator_a: nn.Module,
        discriminator_b: nn.Module,
        batches: UnpairedBatches,
        *,
        loss: L.AdversarialLoss = L.LEAST_SQUARES,
        lambda_cycle: float = 10.0,
        lambda_identity: float = 0.5,
        pool_size: int = 50,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        constant_steps: Optional[int] = None,
        decay_steps: int = 0,
        sample_every: int = 0,
        fixed_a: Optional[Tensor] = None,
        fixed_b: Optional[Tensor] = None,
        device: torch.device | str = "cpu",
        seed: int = 0,
        fused_adam: Optional[bool] = None,
        **kwargs,
    ) -> None:
        if lambda_cycle < 0 or lambda_identity < 0:
            raise ValueError(f"lambda_cycle and lambda_identity are weights and cannot be negative ({lambda_cycle}, {lambda_identity}).")
        non_negative_int("pool_size", pool_size, "It is how many past fakes each pool keeps (0: none).")
        non_negative_int("decay_steps", decay_steps, "It is over how many steps the learning rate falls to 0.")
        if constant_steps is not None:
            non_negative_int("constant_steps", constant_steps, "It is how long the learning rate stays at lr.")
        non_negative_int("sample_every", sample_every, "It is the number of steps between snapshots (0: none).")
        device = torch.device(device)
        generators = nn.ModuleDict({"ab": generator_ab, "ba": generator_ba}).to(device)
        discriminators = nn.ModuleDict({"a": discriminator_a, "b": discriminator_b}).to(device)
        optimizers = {"generators": adam(generators, lr, betas, fused_adam),
                      "discriminators": adam(discriminators, lr, betas, fused_adam)}
        super().__init__({"generators": generators, "discriminators": discriminators}, optimizers, batches,
                         device=device, seed=seed, desc=kwargs.pop("desc", "CycleGAN"), **kwargs)
        self.G, self.F, self.D_a, self.D_b = generator_ab, generator_ba, discriminator_a, discriminator_b
        self.discriminators = discriminators
        self.loss = loss
        self.lambda_cycle, self.lambda_identity = float(lambda_cycle), float(lambda_identity)
        self.pool_a, self.pool_b = ImagePool(pool_size, seed=seed + 2), ImagePool(pool_size, seed=seed + 3)
        factor = constant_then_linear_decay(10**12 if constant_steps is None else constant_steps, decay_steps)
        self.schedulers = {name: torch.optim.lr_scheduler.LambdaLR(opt, factor) for name, opt in optimizers.items()}
        self.sample_every = sample_every
        self.fixed_a = None if fixed_a is None else to_signed_float(fixed_a).to(device)
        self.fixed_b = None if fixed_b is None else to_signed_float(fixed_b).to(device)
        self.snapshots: list[tuple[int, Tensor, Tensor]] = []
        self.record_settings(loss=loss, lambda_cycle=lambda_cycle, lambda_identity=lambda_identity, pool_size=pool_size,
                             lr=lr, betas=betas, constant_steps=constant_steps, decay_steps=decay_steps,
                             sample_every=sample_every, fused_adam=fused_adam)

    def train_step(self) -> dict[str, Tensor]:
        real_a, real_b = self.next_batch()
        G, F, D_a, D_b = self.G, self.F, self.D_a, self.D_b
        zero = torch.zeros((), device=self.device)
        # -- both generators: fool the discriminators, come back round the cycle, leave the target domain alone
        self.discriminators.requires_grad_(False)  # gradients flow through D to G and F, not into D
        with self.precision.autocast():
            fake_b, fake_a = G(real_a), F(real_b)
            rec_a, rec_b = F(fake_b), G(fake_a)
            loss_gan = self.loss.generator(D_b(fake_b).float()) + self.loss.generator(D_a(fake_a).float())
            cycle = L.cycle_loss(real_a, rec_a.float()) + L.cycle_loss(real_b, rec_b.float())
            loss_g = loss_gan + (self.lambda_cycle * cycle if self.lambda_cycle > 0 else zero)
            identity = zero
            if self.lambda_identity > 0:
                identity = L.identity_loss(real_b, G(real_b).float()) + L.identity_loss(real_a, F(real_a).float())
                loss_g = loss_g + self.lambda_identity * self.lambda_cycle * identity
        opt_g = self.optimizers["generators"]
        opt_g.zero_grad(set_to_none=True)
        self.precision.step("generators", loss_g, opt_g)
        # -- both discriminators, on real images and on fakes drawn through the pools
        self.discriminators.requires_grad_(True)
        pooled_b, pooled_a = self.pool_b.query(fake_b), self.pool_a.query(fake_a)
        with self.precision.autocast():
            loss_d_b = 0.5 * self.loss.discriminator(D_b(real_b).float(), D_b(pooled_b).float())
            loss_d_a = 0.5 * self.loss.discriminator(D_a(real_a).float(), D_a(pooled_a).float())
            loss_d = loss_d_a + loss_d_b
        opt_d = self.optimizers["discriminators"]
        opt_d.zero_grad(set_to_none=True)
        self.precision.step("discriminators", loss_d, opt_d)
        with warnings.catch_warnings():  # fp16: a step the GradScaler skipped still counts in the schedule
            warnings.filterwarnings("ignore", r"Detected call of `lr_scheduler.step\(\)` before", UserWarning)
            for scheduler in self.schedulers.values():
                scheduler.step()
        return {"loss_d_a": loss_d_a.detach(), "loss_d_b": loss_d_b.detach(), "loss_g_gan": loss_gan.detach(),
                "cycle": cycle.detach(), "identity": identity.detach()}

    @property
    def lr(self) -> float:
        """The generators' learning rate now (after the schedule)."""
        return self.optimizers["generators"].param_groups[0]["lr"]

    def after_step(self) -> None:
        if self.sample_every and (self.step % self.sample_every == 0 or self.step == 1):
            a = None if self.fixed_a is None else to_uint8(translate(self.G, self.fixed_a))
            b = None if self.fixed_b is None else to_uint8(translate(self.F, self.fixed_b))
            self.snapshots.append((self.step, a, b))

    def extra_state(self) -> dict:
        return {"pools": {"a": self.pool_a.state_dict(), "b": self.pool_b.state_dict()},
                "schedulers": {n: s.state_dict() for n, s in self.schedulers.items()},
                "snapshots": self.snapshots}

    def load_extra_state(self, state: dict) -> None:
        if "pools" in state:
            self.pool_a.load_state_dict(state["pools"]["a"], self.device)
            self.pool_b.load_state_dict(state["pools"]["b"], self.device)
        for name, s in state.get("schedulers", {}).items():
            self.schedulers[name].load_state_dict(s)
        self.snapshots = list(state.get("snapshots", []))
