"""Chapter 04's conditional generator and discriminators."""
import pytest
import torch

from gansrc.data import TensorBatches, load_bundled_mnist
from gansrc.models import ConditionalDiscriminator, ConditionalGenerator, ProjectionDiscriminator
from gansrc.train import GANTrainer

DS = load_bundled_mnist()


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)  # tiny models: one thread is fastest (tests/conftest.py restores the count)


def test_conditional_shapes():
    g = ConditionalGenerator(latent_dim=16, hidden=(32,))
    y = torch.arange(10)
    x = g(torch.randn(10, 16), y)
    assert x.shape == (10, 1, 28, 28) and x.abs().max() <= 1
    for d in (ConditionalDiscriminator(hidden=(32,)), ProjectionDiscriminator(hidden=(32,))):
        assert d(x, y).shape == (10,)


@pytest.mark.parametrize("make", [lambda: ConditionalGenerator(16, hidden=(8,)), ConditionalDiscriminator, ProjectionDiscriminator])
def test_the_label_changes_the_output(make):
    torch.manual_seed(0)
    net = make().eval()
    first = torch.randn(1, 16) if isinstance(net, ConditionalGenerator) else torch.randn(1, 1, 28, 28)
    outs = [net(first, torch.tensor([k])) for k in range(10)]
    assert all(not torch.allclose(outs[0], o) for o in outs[1:])


def test_labels_are_checked():
    g, d = ConditionalGenerator(16, hidden=(8,)), ProjectionDiscriminator(hidden=(8,))
    with pytest.raises(ValueError, match=r"one integer label per image, shape \(3,\)"):
        g(torch.randn(3, 16), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="must be integers"):
        g(torch.randn(2, 16), torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="lie in 0..9"):
        d(torch.randn(2, 1, 28, 28), torch.tensor([3, 10]))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        ConditionalDiscriminator()(torch.randn(2, 3, 28, 28), torch.tensor([0, 1]))


def test_projection_is_psi_plus_inner_product():
    torch.manual_seed(0)
    d = ProjectionDiscriminator(hidden=(16,), dropout=0).eval()
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([0, 3, 3, 9])
    features = d.phi(x)
    expected = d.psi(features).squeeze(1) + (d.embed.weight[y] * features).sum(1)
    assert torch.allclose(d(x, y), expected)


@pytest.mark.parametrize("disc", [ConditionalDiscriminator, ProjectionDiscriminator])
def test_gan_trainer_trains_and_samples_each_requested_digit(disc):
    torch.manual_seed(0)
    g, d = ConditionalGenerator(16, hidden=(32,)), disc(hidden=(32,))
    t = GANTrainer(g, d, TensorBatches(DS.images[:256], DS.labels[:256], batch_size=32), latent_dim=16, num_classes=10, log_every=5, sample_every=5, n_samples=20)
    h = t.fit(10, show_progress=False)
    assert all(torch.isfinite(torch.tensor(h["loss_d"] + h["loss_g"])))
    assert t.snapshots[-1][1].shape == (20, 1, 28, 28)
    assert t.sample(10, labels=torch.arange(10)).shape == (10, 1, 28, 28)
