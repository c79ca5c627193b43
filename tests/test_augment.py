"""GAN augmentations (chapter 03): shapes, value ranges, randomness, differentiability."""
import pytest
import torch

from gansrc.data import Deluxe, DiffAugment, random_color, random_cutout, random_translation, random_zoom_crop_flip


def batch(channels=3, size=16, n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, size, size, generator=g) * 2 - 1


@pytest.mark.parametrize("augment", [Deluxe(), Deluxe(zoom=1.5, flip=False), DiffAugment(color=False)])
@pytest.mark.parametrize("channels", [1, 3])
def test_geometric_augmentations_keep_shape_and_range(augment, channels):
    x = batch(channels)
    y = augment(x, generator=torch.Generator().manual_seed(1))
    assert y.shape == x.shape and y.dtype == x.dtype
    assert y.min() >= -1 and y.max() <= 1


@pytest.mark.parametrize("channels,bound", [(1, 3.0), (3, 9.0)])
def test_color_stays_within_its_documented_bound(channels, bound):
    x = torch.cat([batch(channels, n=256), torch.full((4, channels, 16, 16), 1.0), torch.full((4, channels, 16, 16), -1.0)])
    y = random_color(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.abs().max() <= bound
    assert y.abs().max() > 1  # it really changes the range (brightness alone moves by up to 0.5)


def test_deluxe_without_zoom_only_flips():
    x = batch()
    y = random_zoom_crop_flip(x, zoom=1.0, flip=True, generator=torch.Generator().manual_seed(0))
    flipped = [torch.allclose(a, b.flip(-1), atol=1e-5) for a, b in zip(y, x)]
    same = [torch.allclose(a, b, atol=1e-5) for a, b in zip(y, x)]
    assert all(f or s for f, s in zip(flipped, same)) and any(flipped) and any(same)


def test_translation_moves_whole_pixels_and_fills_with_zero():
    x = torch.zeros(64, 1, 8, 8)
    x[:, :, 3, 3] = 1.0
    y = random_translation(x, ratio=0.25, generator=torch.Generator().manual_seed(0))
    assert torch.equal(y.sum(dim=(1, 2, 3)), torch.ones(64))  # the dot moved, never split or lost
    rows, cols = (y[:, 0] == 1).nonzero()[:, 1], (y[:, 0] == 1).nonzero()[:, 2]
    assert (rows - 3).abs().max() <= 2 and (cols - 3).abs().max() <= 2 and len(set(rows.tolist())) > 1
    full = random_translation(torch.ones(64, 1, 8, 8), 0.25, torch.Generator().manual_seed(1))
    assert set(full.unique().tolist()) == {0.0, 1.0}


def test_cutout_zeroes_a_square_of_the_given_side():
    y = random_cutout(torch.ones(200, 1, 16, 16), ratio=0.5, generator=torch.Generator().manual_seed(0))
    zeros = (y == 0).sum(dim=(1, 2, 3))
    assert zeros.max() == 64 and zeros.min() >= 1 and set(y.unique().tolist()) == {0.0, 1.0}


def test_same_generator_state_same_augmentation_and_batches_differ():
    x = batch()
    a = DiffAugment()(x, generator=torch.Generator().manual_seed(3))
    b = DiffAugment()(x, generator=torch.Generator().manual_seed(3))
    c = DiffAugment()(x, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not torch.allclose(a[0], a[1])  # each image draws its own parameters


@pytest.mark.parametrize("augment", [Deluxe(), DiffAugment()])
def test_augmentations_are_differentiable(augment):
    x = batch().requires_grad_()
    y = augment(x, generator=torch.Generator().manual_seed(0))
    (grad,) = torch.autograd.grad((y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_diffaugment_gradient_matches_finite_differences():
    torch.manual_seed(0)
    x = (torch.rand(2, 3, 8, 8, dtype=torch.float64) * 2 - 1).requires_grad_()
    aug = lambda v: DiffAugment()(v, generator=torch.Generator().manual_seed(5))  # noqa: E731
    assert torch.autograd.gradcheck(aug, (x,))


def test_zoom_below_one_is_refused():
    with pytest.raises(ValueError, match="zoom"):
        random_zoom_crop_flip(batch(), zoom=0.9)
