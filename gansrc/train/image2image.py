r"""Pix2Pix training (chapter 05): a conditional GAN plus an L1 term, on paired images.

The generator G maps an input x to an output G(x); the discriminator D judges pairs (x, y).
Isola et al. (2017) train

.. math:: G^* = \arg\min_G \max_D \; \mathcal{L}_{cGAN}(G, D) + \lambda \, \mathbb{E}\,\lVert y - G(x) \rVert_1

with lambda = 100. Checkpoints, exact resume, progress, history and NaN detection come from
``Trainer``; this file only writes the step.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from .. import losses as L
from ..data.batches import TensorBatches, to_signed_float, to_uint8
from .settings import non_negative_int
from .trainer import Trainer, adam


class Pix2PixTrainer(Trainer):
    """One discriminator step, then one generator step, on a batch of pairs.

    ``batches`` yields pairs stacked along the channels (``PairedSet.stacked()``): the first
    ``in_channels`` channels are the input, the rest the target. Three set-ups of the paper's
    ablation:

    * ``discriminator=None``: L1 only (no adversary; the generator regresses the target);
    * ``lambda_l1=0``: cGAN only;
    * both (the default, lambda 100): pix2pix.

    D's loss is halved, as in the paper, which slows D relative to G. Every ``sample_every``
    steps the generator translates ``fixed_inputs`` (eval mode) and the result is kept in
    ``snapshots``. ``fused_adam=True`` fuses Adam on the CPU too (see ``trainer.adam``).
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: Optional[nn.Module],
        batches: TensorBatches,
        *,
        in_channels: int,
        lambda_l1: float = 100.0,
        loss: L.AdversarialLoss = L.NON_SATURATING,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        sample_every: int = 0,
        fixed_inputs: Optional[Tensor] = None,
        device: torch.device | str = "cpu",
        seed: int = 0,
        fused_adam: Optional[bool] = None,
        **kwargs,
    ) -> None:
        if discriminator is None and lambda_l1 <= 0:
            raise ValueError("Nothing to train: without a discriminator the L1 term is the only loss, so lambda_l1 must be positive.")
        if not lambda_l1 >= 0 or lambda_l1 == float("inf"):  # also refuses NaN
            raise ValueError(f"lambda_l1 must be 0 or more, not {lambda_l1}.")
        non_negative_int("sample_every", sample_every, "It is the number of steps between snapshots (0: none).")
        channels = batches.images.shape[1]
        if not 0 < in_channels < channels:
            raise ValueError(f"in_channels={in_channels} but the batches hold {channels} channels (input + target stacked).")
        device = torch.device(device)
        models = {"generator": generator.to(device)}
        optimizers = {"generator": adam(generator, lr, betas, fused_adam)}
        if discriminator is not None:
            models["discriminator"] = discriminator.to(device)
            optimizers["discriminator"] = adam(discriminator, lr, betas, fused_adam)
        super().__init__(models, optimizers, batches, device=device, seed=seed, desc=kwargs.pop("desc", "pix2pix"), **kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.in_channels, self.lambda_l1, self.loss = in_channels, float(lambda_l1), loss
        self.sample_every = sample_every
        self.fixed_inputs = None if fixed_inputs is None else to_signed_float(fixed_inputs).to(device)
        self.snapshots: list[tuple[int, Tensor]] = []
        self.record_settings(in_channels=in_channels, lambda_l1=lambda_l1, loss=loss, lr=lr, betas=betas,
                             adversarial=discriminator is not None, sample_every=sample_every, fused_adam=fused_adam)

    def split(self, batch: Tensor) -> tuple[Tensor, Tensor]:
        """A stacked batch into (inputs, targets)."""
        return batch[:, : self.in_channels], batch[:, self.in_channels:]

    def train_step(self) -> dict[str, Tensor]:
        batch, _ = self.next_batch()
        x, y = self.split(batch)
        G, D = self.generator, self.discriminator
        logs: dict[str, Tensor] = {}
        with self.precision.autocast():
            fake = G(x)
        if D is not None:
            D.requires_grad_(True)
            with self.precision.autocast():
                real_logits = D(x, y).float()
                fake_logits = D(x, fake.detach()).float()
                loss_d = 0.5 * self.loss.discriminator(real_logits, fake_logits)
            opt_d = self.optimizers["discriminator"]
            opt_d.zero_grad(set_to_none=True)
            self.precision.step("discriminator", loss_d, opt_d)
            D.requires_grad_(False)  # gradients flow through D to G, not into D
        with self.precision.autocast():
            l1 = L.l1_loss(fake.float(), y)
            loss_g = self.lambda_l1 * l1 if self.lambda_l1 > 0 else torch.zeros((), device=self.device)
            if D is not None:
                loss_gan = self.loss.generator(D(x, fake).float())
                loss_g = loss_g + loss_gan
        opt_g = self.optimizers["generator"]
        opt_g.zero_grad(set_to_none=True)
        self.precision.step("generator", loss_g, opt_g)
        if D is not None:
            D.requires_grad_(True)
            logs.update(loss_d=loss_d.detach(), loss_g_gan=loss_gan.detach(),
                        d_real=torch.sigmoid(real_logits.detach()).mean(), d_fake=torch.sigmoid(fake_logits.detach()).mean())
        logs["l1"] = l1.detach()
        return logs

    def after_step(self) -> None:
        if self.sample_every and self.fixed_inputs is not None and (self.step % self.sample_every == 0 or self.step == 1):
            self.snapshots.append((self.step, to_uint8(translate(self.generator, self.fixed_inputs)).cpu()))

    def extra_state(self) -> dict:
        return {"snapshot_steps": [s for s, _ in self.snapshots], "snapshots": [img for _, img in self.snapshots]}

    def load_extra_state(self, state: dict) -> None:
        self.snapshots = list(zip(state.get("snapshot_steps", []), state.get("snapshots", [])))


@torch.no_grad()
def translate(generator: nn.Module, inputs: Tensor, batch_size: int = 256, dropout: bool = False) -> Tensor:
    """G(inputs) for uint8 or [-1, 1] inputs, batch by batch, as floats in [-1, 1] on the CPU.

    The generator runs in eval mode (batch norm uses its running statistics). With
    ``dropout=True`` its dropout layers stay active, as in the paper's test protocol: the same
    input then gives slightly different outputs. The generator's mode is restored afterwards.
    """
    was_training = generator.training
    generator.eval()
    if dropout:
        for m in generator.modules():
            if isinstance(m, nn.Dropout):
                m.train()
    device = next(generator.parameters()).device
    out = [generator(to_signed_float(inputs[i: i + batch_size].to(device))).float().cpu() for i in range(0, len(inputs), batch_size)]
    generator.train(was_training)
    return torch.cat(out)
