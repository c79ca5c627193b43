"""The DCGAN models of chapter 03: shapes for every size, and each DCGAN guideline checked."""
import pytest
import torch
from torch import nn

from gansrc.models import DCGANDiscriminator, DCGANGenerator, dcgan_init, layer_info, layer_table, multiply_adds

SIZES = [(28, 1), (32, 3), (64, 3), (128, 3)]


def pair(size, channels, width=8):
    torch.manual_seed(0)
    return DCGANGenerator(size, channels, latent_dim=16, width=width), DCGANDiscriminator(size, channels, width=width)


@pytest.mark.parametrize("size,channels", SIZES + [(64, 1), (28, 3)])
def test_shapes_for_every_size(size, channels):
    g, d = pair(size, channels)
    x = g(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1  # tanh output: the range of the data
    assert d(x).shape == (3,)


def test_the_two_source_shapes_have_their_published_sizes():
    # the PyTorch tutorial's 64x64 pair (ngf = ndf = 64) and the Keras 28x28 generator
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(DCGANGenerator(64, 3)) == 3_576_704 and count(DCGANDiscriminator(64, 3)) == 2_765_568
    shapes = [r.shape for r in layer_info(DCGANGenerator(28, 1), torch.randn(2, 100)) if r.kind == "ConvTranspose2d"]
    assert shapes == [(128, 7, 7), (64, 14, 14), (1, 28, 28)]
    convs = [r.shape for r in layer_info(DCGANDiscriminator(28, 1), torch.randn(2, 1, 28, 28)) if r.kind == "Conv2d"]
    assert convs == [(64, 14, 14), (128, 7, 7)]


@pytest.mark.parametrize("size,channels", SIZES)
def test_guideline_no_pooling_and_strided_resampling(size, channels):
    for net in pair(size, channels):
        kinds = {type(m) for m in net.modules()}
        assert not any("Pool" in k.__name__ or k is nn.Upsample for k in kinds)
        strides = [m.stride[0] for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        assert 2 in strides  # the resolution changes through strided (transposed) convolutions only


@pytest.mark.parametrize("size,channels", SIZES)
def test_guideline_no_fully_connected_hidden_layers(size, channels):
    g, d = pair(size, channels)
    for net in (g, d):
        linears = [i for i, m in enumerate(net.net) if isinstance(m, nn.Linear)]
        # at most the projection of z (first layer of G) or the output unit (last layer of D)
        assert linears in ([], [0], [len(net.net) - 1])


@pytest.mark.parametrize("size,channels", SIZES)
def test_guideline_batchnorm_and_activations(size, channels):
    g, d = pair(size, channels)
    g_layers, d_layers = list(g.net), list(d.net)
    assert isinstance(g_layers[-1], nn.Tanh) and not any(isinstance(m, nn.LeakyReLU) for m in g_layers)
    # no batch norm on G's output layer nor on D's input layer
    assert not isinstance(g_layers[-2], (nn.BatchNorm1d, nn.BatchNorm2d))
    first_conv = next(i for i, m in enumerate(d_layers) if isinstance(m, nn.Conv2d))
    assert isinstance(d_layers[first_conv + 1], nn.LeakyReLU)
    assert all(m.negative_slope == 0.2 for m in d_layers if isinstance(m, nn.LeakyReLU))
    assert not any(isinstance(m, (nn.ReLU, nn.Tanh, nn.Sigmoid)) for m in d_layers)
    # every other (transposed) convolution of G is followed by batch norm then ReLU
    for i, m in enumerate(g_layers[:-2]):
        if isinstance(m, (nn.ConvTranspose2d, nn.Linear)):
            assert isinstance(g_layers[i + 1], (nn.BatchNorm1d, nn.BatchNorm2d)) and isinstance(g_layers[i + 2], nn.ReLU)


def test_guideline_initialisation_statistics():
    g, d = DCGANGenerator(64, 3), DCGANDiscriminator(64, 3)   # full width: millions of weights
    for net in (g, d):
        weights = torch.cat([m.weight.flatten() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))])
        assert abs(weights.mean()) < 1e-3 and abs(weights.std() - 0.02) < 1e-3
        gammas = torch.cat([m.weight for m in net.modules() if isinstance(m, nn.BatchNorm2d)])
        assert abs(gammas.mean() - 1) < 0.01 and abs(gammas.std() - 0.02) < 0.005
        assert all(m.bias.abs().max() == 0 for m in net.modules() if getattr(m, "bias", None) is not None)


def test_dcgan_init_leaves_other_modules_alone():
    m = nn.LayerNorm(4)
    before = m.weight.clone()
    dcgan_init(m)
    assert torch.equal(before, m.weight)


def test_discriminator_returns_logits_not_probabilities():
    torch.manual_seed(0)
    d = DCGANDiscriminator(32, 3, width=8)
    with torch.no_grad():
        d.net[-2].weight.mul_(1000)  # a confident discriminator
    out = d(torch.randn(16, 3, 32, 32))
    assert (out < 0).any() and (out > 1).any()  # probabilities could not leave [0, 1]
    assert not any(isinstance(m, nn.Sigmoid) for m in d.modules())


def test_channels_last_gives_the_same_result():
    g, d = pair(64, 3)
    g.eval(), d.eval()
    z = torch.randn(4, 16)
    x = g(z)
    ref = d(x)
    g_cl, d_cl = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
    x_cl = g_cl(z)
    torch.testing.assert_close(x_cl, x)
    torch.testing.assert_close(d_cl(x.contiguous(memory_format=torch.channels_last)), ref)


def test_wrong_inputs_are_named():
    g, d = pair(28, 1)
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        g(torch.randn(2, 100))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        d(torch.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match="image_size must be one of"):
        DCGANGenerator(48)


def test_layer_table_and_multiply_adds():
    g = DCGANGenerator(32, 3, latent_dim=16, width=8)
    table = layer_table(g, torch.randn(2, 16))
    assert "3x32x32" in table and table.splitlines()[-1].split()[-1] == f"{sum(p.numel() for p in g.parameters()):,}"
    # a 2x2 transposed convolution of one 1x1 input channel to one output: 4 products
    assert multiply_adds(nn.ConvTranspose2d(1, 1, 2, bias=False), torch.randn(1, 1, 1, 1)) == 4
    # a 3x3 convolution of 2 channels onto a 4x4 output: 16 outputs x 18 products
    assert multiply_adds(nn.Conv2d(2, 1, 3, padding=1), torch.randn(1, 2, 4, 4)) == 16 * 18
