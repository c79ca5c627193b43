r"""Adversarial losses, written on logits, the L1 term of pix2pix and CycleGAN's cycle and identity terms.

A discriminator returns a logit :math:`l`; its probability is :math:`D = \sigma(l)`. Every
log of a probability is computed with ``softplus``, which never takes ``log(0)``:

    log D(x)       = -softplus(-l)
    log(1 - D(x))  = -softplus(l)

Chapter 02 derives these losses from the value function
:math:`V(D, G) = E_x[\log D(x)] + E_z[\log(1 - D(G(z)))]`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def bce_discriminator_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    r"""Discriminator loss :math:`-E[\log D(x)] - E[\log(1 - D(G(z)))]`, i.e. :math:`-V(D, G)`.

    Binary cross-entropy with target ``real_target`` for real images (1.0, or e.g. 0.9 for
    one-sided label smoothing) and 0 for generated ones, summed over the two halves.
    """
    real = real_target * F.softplus(-real_logits) + (1.0 - real_target) * F.softplus(real_logits)
    return real.mean() + F.softplus(fake_logits).mean()


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""The generator's side of the original game: minimise :math:`E[\log(1 - D(G(z)))]`.

    It *saturates*: when D confidently rejects the fakes (D(G(z)) -> 0) its gradient
    vanishes, which is why the non-saturating loss is used in practice.
    """
    return -F.softplus(fake_logits).mean()


def nonsaturating_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""Goodfellow et al.'s practical generator loss: minimise :math:`-E[\log D(G(z))]`.

    Same fixed point as the minimax loss, but strong gradients exactly when the generator
    is losing. Equals binary cross-entropy of the fakes against the label "real".
    """
    return F.softplus(-fake_logits).mean()


def lsgan_discriminator_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    r"""Least-squares GAN (Mao et al. 2017): :math:`E[(D(x) - 1)^2] + E[D(G(z))^2]` on raw outputs
    (with ``real_target`` in place of 1 for one-sided label smoothing).

    The sum of the two halves, like :func:`bce_discriminator_loss` and the CycleGAN paper's
    equation and code (``GANLoss("lsgan")`` is the mean squared error); the pix2pix and CycleGAN
    trainers halve it, as the papers do. Mao et al. write a factor 1/2 in front of both
    players' losses: a constant factor on one network's whole loss, which Adam's updates do
    not see.
    """
    return (real_logits - real_target).pow(2).mean() + fake_logits.pow(2).mean()


def lsgan_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""Least-squares generator loss :math:`E[(D(G(z)) - 1)^2]`, the CycleGAN code's (no factor 1/2,
    so that its weight against the cycle term is the paper's lambda)."""
    return (fake_logits - 1.0).pow(2).mean()


def dragan_penalty(discriminator: Callable[[Tensor], Tensor], real: Tensor, generator: Optional[torch.Generator] = None, spread: float = 0.5) -> Tensor:
    r"""DRAGAN's gradient penalty (Kodali et al. 2017): :math:`E[(\lVert \nabla_{\hat x} D(\hat x) \rVert_2 - 1)^2]`.

    The points :math:`\hat x = x + \alpha\, \text{spread} \cdot \text{std}(x)\, u` lie near the
    real images :math:`x`, with :math:`u \sim U(0, 1)` per pixel and :math:`\alpha \sim U(0, 1)`
    per image (the perturbation of the authors' code). Keeping D's gradient norm near 1 there
    stops D from building the sharp peaks around real data that make G collapse onto a few
    modes. ``discriminator`` maps images to logits; the penalty is differentiable in its
    parameters (the trainer multiplies it by a weight and adds it to D's loss).
    """
    real = real.detach().float()
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    u = torch.rand(real.shape, generator=generator, device=real.device)
    alpha = torch.rand(shape, generator=generator, device=real.device)
    x_hat = (real + alpha * spread * real.std() * u).requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x_hat).float().sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1.0).pow(2).mean()


def l1_loss(output: Tensor, target: Tensor) -> Tensor:
    r"""Mean absolute error :math:`E\,\lVert y - G(x) \rVert_1`, pix2pix's reconstruction term (chapter 05).

    Unlike the squared error, it does not pay the generator to hedge between two plausible
    answers with their average, so outputs come out less blurry.
    """
    if output.shape != target.shape:
        raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} must have the same shape.")
    return (output - target).abs().mean()


def binary_focal_loss(logits: Tensor, target: float, gamma: float = 2.0) -> Tensor:
    r"""Binary focal loss on logits (Lin et al. 2017): :math:`-E[(1 - p_t)^\gamma \log p_t]`.

    :math:`p_t` is the probability the logit gives the right answer (:math:`\sigma(l)` for target 1,
    :math:`1 - \sigma(l)` for target 0); a soft target t mixes the two terms. The factor
    :math:`(1 - p_t)^\gamma` shrinks the loss of examples already classified well, so the hard ones
    dominate; gamma 0 gives binary cross-entropy back. Chapter 06 tries it in CycleGAN with gamma 2.
    """
    if gamma < 0:
        raise ValueError(f"gamma must be 0 or more, not {gamma}.")
    positive = torch.sigmoid(-logits).pow(gamma) * F.softplus(-logits)  # (1 - p)^gamma * -log p
    negative = torch.sigmoid(logits).pow(gamma) * F.softplus(logits)    # p^gamma * -log(1 - p)
    return (target * positive + (1.0 - target) * negative).mean()


def focal_discriminator_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    """The focal loss (gamma 2) of real images against ``real_target`` plus fakes against 0."""
    return binary_focal_loss(real_logits, real_target) + binary_focal_loss(fake_logits, 0.0)


def focal_generator_loss(fake_logits: Tensor) -> Tensor:
    """The generator's focal loss (gamma 2): its fakes against the label "real"."""
    return binary_focal_loss(fake_logits, 1.0)


def cycle_loss(real: Tensor, reconstructed: Tensor) -> Tensor:
    r"""CycleGAN's cycle-consistency term :math:`E\,\lVert F(G(x)) - x \rVert_1` for one direction (chapter 06).

    The trainer weights it by lambda (10 in the paper) and adds both directions.
    """
    return l1_loss(reconstructed, real)


def identity_loss(real: Tensor, mapped: Tensor) -> Tensor:
    r"""CycleGAN's identity term :math:`E\,\lVert G(y) - y \rVert_1` (chapter 06): a generator given an
    image that is already in its target domain should return it unchanged. The trainer weights it
    by 0.5 x the cycle weight; it stops the generators from shifting colours they need not touch.
    """
    return l1_loss(mapped, real)


@dataclass(frozen=True)
class AdversarialLoss:
    """A pair of losses the trainer calls: ``discriminator(real, fake)`` and ``generator(fake)``."""

    name: str
    discriminator: Callable[[Tensor, Tensor], Tensor]
    generator: Callable[[Tensor], Tensor]


NON_SATURATING = AdversarialLoss("non-saturating (BCE)", bce_discriminator_loss, nonsaturating_generator_loss)
MINIMAX = AdversarialLoss("minimax (saturating)", bce_discriminator_loss, minimax_generator_loss)
LEAST_SQUARES = AdversarialLoss("least squares (LSGAN)", lsgan_discriminator_loss, lsgan_generator_loss)
FOCAL = AdversarialLoss("binary focal (gamma 2)", focal_discriminator_loss, focal_generator_loss)
