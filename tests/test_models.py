import pytest
import torch

from gansrc.models import MLPDiscriminator, MLPGenerator, MNISTClassifier, load_classifier


def test_mlp_shapes_and_ranges():
    g, d = MLPGenerator(latent_dim=16), MLPDiscriminator()
    x = g(torch.randn(5, 16))
    assert x.shape == (5, 1, 28, 28) and x.abs().max() <= 1
    logits = d(x)
    assert logits.shape == (5,)
    assert not isinstance(d.net[-1], torch.nn.Sigmoid)  # logits, not probabilities


def test_mlp_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        MLPGenerator(latent_dim=16)(torch.randn(2, 8))
    with pytest.raises(ValueError, match="1, 28, 28"):
        MLPDiscriminator()(torch.randn(2, 3, 28, 28))


def test_classifier_shapes():
    m = MNISTClassifier()
    x = torch.randn(4, 1, 28, 28)
    assert m(x).shape == (4, 10)
    assert m.features(x).shape == (4, MNISTClassifier.num_features)
    with pytest.raises(ValueError, match="expects"):
        m(torch.randn(4, 3, 32, 32))


def test_bundled_classifier_reads_digits():
    from gansrc.data import load_bundled_mnist
    from gansrc.models import accuracy

    ds = load_bundled_mnist()
    held_out_images, held_out_labels = ds.images[8000:], ds.labels[8000:]  # not used for training
    assert accuracy(load_classifier(), held_out_images, held_out_labels) > 0.97


def test_broken_classifier_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "w.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a valid"):
        load_classifier(bad)
