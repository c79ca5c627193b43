import math

import torch

from gansrc import losses as L

LOG2 = math.log(2.0)


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_bce_discriminator_at_chance_is_2_log_2():
    # D = sigmoid(0) = 1/2 on everything: -log(1/2) - log(1 - 1/2) = 2 log 2
    assert math.isclose(L.bce_discriminator_loss(t(0.0), t(0.0)).item(), 2 * LOG2, rel_tol=1e-12)


def test_bce_discriminator_hand_computed():
    # real logit 2 -> D = 0.8808, fake logit -1 -> D = 0.2689
    d_real, d_fake = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(1))
    expected = -math.log(d_real) - math.log(1 - d_fake)
    assert math.isclose(L.bce_discriminator_loss(t(2.0), t(-1.0)).item(), expected, rel_tol=1e-12)


def test_one_sided_label_smoothing():
    d_real = 1 / (1 + math.exp(-2))
    expected = -(0.9 * math.log(d_real) + 0.1 * math.log(1 - d_real)) - math.log(0.5)
    assert math.isclose(L.bce_discriminator_loss(t(2.0), t(0.0), real_target=0.9).item(), expected, rel_tol=1e-12)


def test_generator_losses_hand_computed():
    d = 1 / (1 + math.exp(-0.5))
    assert math.isclose(L.nonsaturating_generator_loss(t(0.5)).item(), -math.log(d), rel_tol=1e-12)
    assert math.isclose(L.minimax_generator_loss(t(0.5)).item(), math.log(1 - d), rel_tol=1e-12)


def test_lsgan_hand_computed():
    assert math.isclose(L.lsgan_discriminator_loss(t(1.0, 3.0), t(0.0, 2.0)).item(), (0 + 4) / 2 + (0 + 4) / 2)
    assert math.isclose(L.lsgan_generator_loss(t(3.0)).item(), 4.0)


def test_losses_are_finite_for_extreme_logits():
    big = t(-200.0, 200.0)
    for value in (L.bce_discriminator_loss(big, big), L.nonsaturating_generator_loss(big), L.minimax_generator_loss(big)):
        assert torch.isfinite(value)


def test_minimax_saturates_where_nonsaturating_does_not():
    # When D confidently rejects a fake (logit -6, D = 0.0025) the minimax gradient is tiny.
    grads = {}
    for name, fn in (("minimax", L.minimax_generator_loss), ("ns", L.nonsaturating_generator_loss)):
        logit = torch.tensor([-6.0], requires_grad=True)
        fn(logit).backward()
        grads[name] = abs(logit.grad.item())
    assert grads["minimax"] < 0.01 < 0.9 < grads["ns"]


def test_loss_pairs_are_named_objects():
    assert L.NON_SATURATING.generator is L.nonsaturating_generator_loss
    assert L.MINIMAX.discriminator is L.bce_discriminator_loss
    assert "least squares" in L.LEAST_SQUARES.name


def test_lsgan_accepts_a_smoothed_real_target():
    assert math.isclose(L.lsgan_discriminator_loss(t(0.9), t(0.0), real_target=0.9).item(), 0.0)


def test_dragan_penalty_of_a_linear_discriminator_is_exact():
    # D(x) = <w, x> + b has gradient w everywhere, so the penalty is (|w| - 1)^2 wherever it is evaluated
    torch.manual_seed(0)
    w = torch.randn(1, 3, 4, 4, dtype=torch.float64)

    def linear(x):
        return (x.double() * w).sum(dim=(1, 2, 3)) + 0.5

    real = torch.rand(8, 3, 4, 4) * 2 - 1
    gp = L.dragan_penalty(linear, real, torch.Generator().manual_seed(1))
    assert math.isclose(gp.item(), (w.norm().item() - 1) ** 2, rel_tol=1e-6)


def test_dragan_penalty_is_zero_for_unit_gradient_and_trains_the_discriminator():
    w = torch.zeros(1, 1, 2, 2)
    w[0, 0, 0, 0] = 1.0  # |grad| = 1
    assert L.dragan_penalty(lambda x: (x * w).sum(dim=(1, 2, 3)), torch.randn(4, 1, 2, 2)).item() < 1e-12
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1))
    L.dragan_penalty(lambda x: net(x).squeeze(1), torch.randn(4, 1, 2, 2)).backward()
    assert net[1].weight.grad is not None and net[1].weight.grad.abs().sum() > 0  # a second-order gradient reached D


def test_dragan_penalty_looks_near_the_data_only():
    # a discriminator whose gradient is 1 within 0.5 std of the real point and huge far away
    real = torch.zeros(64, 1, 1, 1) + torch.linspace(-1, 1, 64).view(64, 1, 1, 1)
    spread = 0.5 * real.std()

    def bump(x):
        dist = (x - real).flatten(1).sum(1)
        return torch.where(dist.abs() <= spread, dist, 100.0 * dist)

    assert L.dragan_penalty(bump, real, torch.Generator().manual_seed(0)).item() < 1e-10
