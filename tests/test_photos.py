"""Chapter 03's colour data: the offline photo patches, and the CelebA / Fashion-MNIST fallbacks."""
import torch

from gansrc.data import PHOTOS, load_celeba, load_fashion_mnist, load_photo_patches


def test_photo_patches_shape_range_and_determinism():
    a = load_photo_patches(size=32, n=64, seed=3)
    b = load_photo_patches(size=32, n=64, seed=3)
    c = load_photo_patches(size=32, n=64, seed=4)
    assert a.images.shape == (64, 3, 32, 32) and a.images.dtype == torch.uint8
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    assert a.labels.min() >= 0 and a.labels.max() < len(PHOTOS)
    assert a.images.float().std() > 20  # real photographs, not a constant


def test_celeba_falls_back_offline_with_one_clear_line(no_network, tmp_path, capsys):
    ds = load_celeba(size=16, download=True, root=tmp_path)
    out = capsys.readouterr().out
    assert "CelebA could not be downloaded" in out and "patches" in out and "Traceback" not in out
    assert ds.images.shape[1:] == (3, 16, 16)


def test_celeba_without_download_says_what_it_uses(no_network, capsys):
    ds = load_celeba(size=16, download=False)
    out = capsys.readouterr().out
    assert "could not be downloaded" not in out and out.startswith("Colour images:")
    assert ds.source.startswith("2,048 patches")


def test_fashion_mnist_falls_back_to_digits_and_says_so(no_network, tmp_path, capsys):
    ds = load_fashion_mnist("train", download=True, root=tmp_path)
    out = capsys.readouterr().out
    assert "Fashion-MNIST is not available offline" in out and "bundled MNIST" in out
    assert ds.images.shape == (10000, 1, 28, 28)
