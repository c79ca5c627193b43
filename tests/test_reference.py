"""The networks and losses compute what the implementations the chapters name compute.

The reference is the authors' PyTorch code of pix2pix and CycleGAN,
junyanz/pytorch-CycleGAN-and-pix2pix, ``models/networks.py`` (``UnetGenerator`` with
``UnetSkipConnectionBlock``, ``ResnetGenerator`` with ``ResnetBlock``, ``NLayerDiscriminator``,
``get_norm_layer``) and ``models/cycle_gan_model.py`` (``backward_G``, ``backward_D_basic``).
Chapter 03's 64x64 DCGAN names the PyTorch DCGAN tutorial (pytorch/tutorials,
``beginner_source/dcgan_faces_tutorial.py``, ``Generator`` and ``Discriminator``).
The builders below rebuild those architectures layer for layer, nested the way that code nests
them (recursive skip blocks, in-place activations), at small widths so they run on a CPU.
Each test copies the reference's weights into ours in state-dict order, which therefore must
have the same shapes, and compares the outputs.
"""
from __future__ import annotations

import copy
import functools

import pytest
import torch
from torch import nn

from gansrc import losses as L
from gansrc.data import TensorBatches, UnpairedBatches, UnpairedSet
from gansrc.models import DCGANDiscriminator, DCGANGenerator, PatchDiscriminator, ResnetGenerator, UNetGenerator
from gansrc.train import CycleGANTrainer, GANTrainer


# ------------------------------------------------ the reference architectures, layer for layer
def ref_norm(kind: str):
    """``get_norm_layer``: batch norm with scale, shift and running statistics; instance norm
    with none of them."""
    if kind == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


class RefSkipBlock(nn.Module):
    """One level of the reference U-Net: ``x -> [x, inner(x)]`` except at the outermost level."""

    def __init__(self, outer, inner, norm, in_channels=None, sub=None, outermost=False,
                 innermost=False, dropout=False):
        super().__init__()
        self.outermost = outermost
        bias = norm.func is nn.InstanceNorm2d
        in_channels = outer if in_channels is None else in_channels
        down_conv = nn.Conv2d(in_channels, inner, 4, 2, 1, bias=bias)
        if outermost:
            layers = [down_conv, sub, nn.ReLU(True), nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1), nn.Tanh()]
        elif innermost:
            layers = [nn.LeakyReLU(0.2, True), down_conv,
                      nn.ReLU(True), nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=bias), norm(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down_conv, norm(inner), sub,
                      nn.ReLU(True), nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1, bias=bias), norm(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def ref_unet(in_channels, out_channels, num_downs, ngf, norm="batch", use_dropout=True):
    """``UnetGenerator``: built from the innermost level out."""
    n = ref_norm(norm)
    block = RefSkipBlock(8 * ngf, 8 * ngf, n, innermost=True)
    for _ in range(num_downs - 5):
        block = RefSkipBlock(8 * ngf, 8 * ngf, n, sub=block, dropout=use_dropout)
    block = RefSkipBlock(4 * ngf, 8 * ngf, n, sub=block)
    block = RefSkipBlock(2 * ngf, 4 * ngf, n, sub=block)
    block = RefSkipBlock(ngf, 2 * ngf, n, sub=block)
    return RefSkipBlock(out_channels, ngf, n, in_channels=in_channels, sub=block, outermost=True)


class RefResnetBlock(nn.Module):
    """``ResnetBlock`` with reflection padding and no dropout: ``x + conv_block(x)``."""

    def __init__(self, dim, norm, bias):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm(dim))

    def forward(self, x):
        return x + self.conv_block(x)


def ref_resnet(in_channels, out_channels, ngf, n_blocks, norm="instance"):
    """``ResnetGenerator`` (two downsamplings, transposed convolutions back up)."""
    n = ref_norm(norm)
    bias = n.func is nn.InstanceNorm2d
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7, bias=bias), n(ngf), nn.ReLU(True)]
    for i in range(2):
        c = ngf * 2**i
        layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=bias), n(2 * c), nn.ReLU(True)]
    layers += [RefResnetBlock(4 * ngf, n, bias) for _ in range(n_blocks)]
    for i in range(2):
        c = ngf * 2 ** (2 - i)
        layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                   n(c // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def ref_patchgan(in_channels, ndf, n_layers, norm="batch"):
    """``NLayerDiscriminator``."""
    n = ref_norm(norm)
    bias = n.func is nn.InstanceNorm2d
    layers = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for k in range(1, n_layers):
        previous, mult = mult, min(2**k, 8)
        layers += [nn.Conv2d(ndf * previous, ndf * mult, 4, 2, 1, bias=bias), n(ndf * mult), nn.LeakyReLU(0.2, True)]
    previous, mult = mult, min(2**n_layers, 8)
    layers += [nn.Conv2d(ndf * previous, ndf * mult, 4, 1, 1, bias=bias), n(ndf * mult), nn.LeakyReLU(0.2, True),
               nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
    return nn.Sequential(*layers)


# ------------------------------------------------ helpers
def randomise(model: nn.Module, seed: int) -> nn.Module:
    """Random weights everywhere, batch norm's running statistics included, so that no layer
    can hide behind an initialisation (a zero bias, a unit scale)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                values = torch.rand(t.shape, generator=g) + 0.5 if "running_var" in name else \
                    0.3 * torch.randn(t.shape, generator=g)
                t.copy_(values)
    return model


def copy_weights(reference: nn.Module, ours: nn.Module) -> None:
    """Load the reference's state dict into ours, entry by entry in order; shapes must agree."""
    theirs, mine = reference.state_dict(), ours.state_dict()
    assert [tuple(v.shape) for v in theirs.values()] == [tuple(v.shape) for v in mine.values()], \
        "the two networks do not have the same parameters and buffers in the same order"
    ours.load_state_dict(dict(zip(mine.keys(), theirs.values())))


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def same_outputs(reference: nn.Module, ours: nn.Module, x: torch.Tensor, train: bool = False) -> None:
    reference.train(train)
    ours.train(train)
    with torch.no_grad():
        torch.manual_seed(7)
        expected = reference(x.clone())
        torch.manual_seed(7)
        got = ours(x.clone())
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


# ------------------------------------------------ the U-Net (pix2pix)
@pytest.mark.parametrize("size,depth,norm", [(32, 5, "batch"), (64, 6, "batch"), (128, 7, "batch"),
                                             (64, 6, "instance")])
def test_unet_computes_the_reference_unet(size, depth, norm):
    reference = randomise(ref_unet(3, 2, depth, ngf=2, norm=norm), seed=depth)
    ours = UNetGenerator(3, 2, image_size=size, ngf=2, norm=norm)
    copy_weights(reference, ours)
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    same_outputs(reference, ours, x)  # eval mode: running statistics, no dropout
    same_outputs(reference, ours, x, train=True)  # batch statistics, the same dropout draws
    assert sum(isinstance(m, nn.Dropout) for m in ours.modules()) == depth - 5


def test_unet_256_has_the_reference_parameter_count():
    with torch.device("meta"):
        for norm in ("batch", "instance"):
            assert count(UNetGenerator(3, 3, image_size=256, norm=norm)) == count(ref_unet(3, 3, 8, 64, norm))
        assert count(UNetGenerator(3, 3, image_size=128)) == count(ref_unet(3, 3, 7, 64))
        assert count(UNetGenerator(3, 3, image_size=256)) == 54_413_955  # "54.414 M" in the authors' log


def test_unet_dropout_sits_where_the_reference_puts_it():
    ours = UNetGenerator(3, 3, image_size=256, ngf=1)
    with_dropout = [k for k, up in enumerate(ours.ups, start=1) if any(isinstance(m, nn.Dropout) for m in up)]
    assert with_dropout == [2, 3, 4]  # not the innermost decoder layer, as in the paper's CD512 x 3
    chosen = UNetGenerator(3, 3, image_size=32, ngf=1, dropout_layers=3)
    assert [k for k, up in enumerate(chosen.ups, start=1) if any(isinstance(m, nn.Dropout) for m in up)] == [2, 3, 4]
    with pytest.raises(ValueError, match="dropout_layers"):
        UNetGenerator(3, 3, image_size=32, ngf=1, dropout_layers=4)


# ------------------------------------------------ the ResNet generator (CycleGAN)
@pytest.mark.parametrize("blocks,norm", [(2, "instance"), (1, "batch")])
def test_resnet_computes_the_reference_resnet(blocks, norm):
    reference = randomise(ref_resnet(3, 3, ngf=4, n_blocks=blocks, norm=norm), seed=blocks)
    ours = ResnetGenerator(3, 3, ngf=4, n_blocks=blocks, norm=norm)
    copy_weights(reference, ours)
    x = torch.randn(2, 3, 24, 24, generator=torch.Generator().manual_seed(2))
    same_outputs(reference, ours, x)
    same_outputs(reference, ours, x, train=True)


def test_resnet_has_the_reference_parameter_counts():
    with torch.device("meta"):
        assert count(ResnetGenerator(3, 3, ngf=64, n_blocks=9)) == count(ref_resnet(3, 3, 64, 9)) == 11_378_179
        assert count(ResnetGenerator(3, 3, ngf=64, n_blocks=6)) == count(ref_resnet(3, 3, 64, 6))
    assert not any(isinstance(m, nn.InstanceNorm2d) and (m.affine or m.track_running_stats)
                   for m in ResnetGenerator(3, 3, ngf=4, n_blocks=1).modules())


# ------------------------------------------------ PatchGAN
@pytest.mark.parametrize("n_layers,norm", [(1, "batch"), (3, "batch"), (2, "instance"), (3, "instance")])
def test_patchgan_computes_the_reference_patchgan(n_layers, norm):
    reference = randomise(ref_patchgan(6, ndf=4, n_layers=n_layers, norm=norm), seed=n_layers)
    ours = PatchDiscriminator(6, ndf=4, n_layers=n_layers, norm=norm)
    copy_weights(reference, ours)
    x = torch.randn(2, 6, 64, 64, generator=torch.Generator().manual_seed(3))
    for train in (False, True):
        reference.train(train)
        ours.train(train)
        with torch.no_grad():
            torch.testing.assert_close(ours(x[:, :3], x[:, 3:]), reference(x), rtol=1e-5, atol=1e-6)


def test_patchgan_has_the_reference_parameter_counts():
    with torch.device("meta"):
        assert count(PatchDiscriminator(6)) == count(ref_patchgan(6, 64, 3)) == 2_768_705  # pix2pix's "2.769 M"
        assert count(PatchDiscriminator(3, norm="instance")) == count(ref_patchgan(3, 64, 3, "instance")) \
            == 2_764_737  # CycleGAN's "2.765 M"


# ------------------------------------------------ the CycleGAN objective
def reference_cyclegan_losses(G, F, D_a, D_b, real_a, real_b, lambda_cycle, lambda_identity):
    """``backward_G`` and ``backward_D_basic`` with ``GANLoss("lsgan")`` (the mean squared error)
    and L1 losses, the pools empty (``pool_size=0``)."""
    mse, l1 = nn.functional.mse_loss, nn.functional.l1_loss
    fake_b, fake_a = G(real_a), F(real_b)
    rec_a, rec_b = F(fake_b), G(fake_a)
    idt = lambda_cycle * lambda_identity * (l1(G(real_b), real_b) + l1(F(real_a), real_a))
    pred_b, pred_a = D_b(fake_b), D_a(fake_a)
    loss_g = (mse(pred_b, torch.ones_like(pred_b)) + mse(pred_a, torch.ones_like(pred_a))
              + lambda_cycle * (l1(rec_a, real_a) + l1(rec_b, real_b)) + idt)

    def loss_d(D, real, fake):
        p_real, p_fake = D(real), D(fake)
        return 0.5 * (mse(p_real, torch.ones_like(p_real)) + mse(p_fake, torch.zeros_like(p_fake)))

    return loss_g, loss_d(D_a, real_a, fake_a) + loss_d(D_b, real_b, fake_b)


@pytest.mark.parametrize("lambda_identity", [0.5, 0.0])
def test_cyclegan_minimises_the_reference_objective(lambda_identity):
    torch.manual_seed(0)
    nets = [ResnetGenerator(3, 3, ngf=4, n_blocks=1) for _ in range(2)] + \
           [PatchDiscriminator(3, ndf=4, n_layers=1, norm="instance") for _ in range(2)]
    before = [copy.deepcopy(n) for n in nets]
    g = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (8, 3, 16, 16), dtype=torch.uint8, generator=g) for _ in range(2)]
    trainer = CycleGANTrainer(*nets, UnpairedBatches(UnpairedSet(*images), batch_size=4, seed=0),
                              lambda_cycle=10.0, lambda_identity=lambda_identity, pool_size=0)
    seen, batches = {}, []
    step, next_batch = trainer.precision.step, trainer.next_batch
    trainer.precision.step = lambda name, loss, opt: (seen.__setitem__(name, loss.detach()), step(name, loss, opt))
    trainer.next_batch = lambda: batches.append(next_batch()) or batches[-1]
    trainer.fit(1, show_progress=False)
    real_a, real_b = batches[0]
    with torch.no_grad():
        loss_g, loss_d = reference_cyclegan_losses(*before, real_a, real_b, 10.0, lambda_identity)
    torch.testing.assert_close(seen["generators"], loss_g, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(seen["discriminators"], loss_d, rtol=1e-5, atol=1e-6)


def test_least_squares_losses_are_the_reference_mean_squared_errors():
    real, fake = torch.randn(2, 1, 5, 5), torch.randn(2, 1, 5, 5)
    mse = nn.functional.mse_loss
    torch.testing.assert_close(L.lsgan_generator_loss(fake), mse(fake, torch.ones_like(fake)))
    torch.testing.assert_close(L.lsgan_discriminator_loss(real, fake),
                               mse(real, torch.ones_like(real)) + mse(fake, torch.zeros_like(fake)))


# ------------------------------------------------ DRAGAN with augmentation
def test_dragan_penalty_is_taken_around_the_augmented_reals(monkeypatch):
    """With ``augment``, D is trained on augmented reals: the penalty must look around those."""
    augmented, around = [], []

    def augment(x, generator=None):  # random, like DiffAugment, so two calls would differ
        out = x + torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device)
        augmented.append(out.detach().clone())
        return out

    penalty = L.dragan_penalty
    monkeypatch.setattr(L, "dragan_penalty", lambda d, real, *a, **k: around.append(real.detach().clone())
                        or penalty(d, real, *a, **k))
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Unflatten(1, (1, 4, 4)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))
    images = torch.randint(0, 256, (16, 1, 4, 4), dtype=torch.uint8)
    trainer = GANTrainer(G, D, TensorBatches(images, batch_size=8, seed=0), latent_dim=4, gradient_penalty=10.0,
                         augment=augment, diagnostics=False)
    trainer.fit(2, show_progress=False)
    assert len(around) == 2
    for k, real in enumerate(around):  # each step augments the reals first, then the fakes twice
        assert torch.equal(real, augmented[3 * k])


# ------------------------------------------------ DCGAN (the PyTorch tutorial, chapter 03)
def tutorial_dcgan(nz: int, ngf: int, ndf: int, nc: int = 3) -> tuple[nn.Module, nn.Module]:
    """The tutorial's ``Generator`` and ``Discriminator`` main stacks, layer for layer."""
    generator = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    return generator, discriminator


@pytest.mark.parametrize("train", [False, True])
def test_dcgan_64_computes_the_pytorch_tutorial_networks(train):
    """Same weights, same outputs: G takes z as (N, nz) where the tutorial takes (N, nz, 1, 1),
    and D returns the logit whose sigmoid the tutorial's D returns."""
    nz, width = 16, 8
    ref_g, ref_d = (randomise(m, seed) for m, seed in zip(tutorial_dcgan(nz, width, width), (1, 2)))
    g, d = DCGANGenerator(64, 3, latent_dim=nz, width=width), DCGANDiscriminator(64, 3, width=width)
    copy_weights(ref_g, g)
    copy_weights(ref_d, d)
    z = torch.randn(4, nz, generator=torch.Generator().manual_seed(0))
    for a, b in ((ref_g, g), (ref_d, d)):
        a.train(train)
        b.train(train)
    with torch.no_grad():
        images = ref_g(z.view(4, nz, 1, 1))
        torch.testing.assert_close(g(z), images, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(torch.sigmoid(d(images)), ref_d(images).view(-1), rtol=1e-5, atol=1e-6)


def test_dcgan_64_has_the_tutorial_parameter_counts():
    ref_g, ref_d = tutorial_dcgan(100, 64, 64)
    assert count(DCGANGenerator(64, 3)) == count(ref_g) == 3_576_704
    assert count(DCGANDiscriminator(64, 3)) == count(ref_d) == 2_765_568
