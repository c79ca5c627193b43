import gzip

import pytest
import torch
from PIL import Image

from gansrc.data import (
    ImageFolderError, TensorBatches, load_bundled_mnist, load_image_folder, load_mnist, read_idx, to_hwc, to_signed_float,
    to_uint8,
)


def test_bundled_mnist_shapes_and_labels():
    ds = load_bundled_mnist()
    assert ds.images.shape == (10000, 1, 28, 28) and ds.images.dtype == torch.uint8
    assert ds.labels.shape == (10000,) and set(ds.labels.tolist()) == set(range(10))
    assert ds.labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test labels


def test_mnist_falls_back_offline_with_one_clear_line(no_network, tmp_path, capsys):
    ds = load_mnist("train", download=True, root=tmp_path)
    out = capsys.readouterr().out
    assert "could not be downloaded" in out and "bundled MNIST" in out
    assert "Traceback" not in out
    assert len(ds) == 10000


def test_mnist_without_download_does_not_touch_the_network(no_network, capsys):
    ds = load_mnist("train", download=False)
    assert "could not be downloaded" not in capsys.readouterr().out
    assert ds.source.startswith("bundled")


def test_read_idx_rejects_truncated_file(tmp_path):
    path = tmp_path / "bad-idx.gz"
    header = bytes([0, 0, 8, 3]) + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
    path.write_bytes(gzip.compress(header + bytes(100)))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def _batches(n=10, batch=4, **kw):
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).repeat(1, 1, 2, 2)
    return TensorBatches(images, torch.arange(n), batch_size=batch, **kw)


def test_batches_range_shape_and_epoch_coverage():
    b = _batches(n=12, batch=4, seed=1)
    seen = []
    for _ in range(b.steps_per_epoch):
        x, y = b.next()
        assert x.shape == (4, 1, 2, 2) and x.dtype == torch.float32
        assert x.min() >= -1 and x.max() <= 1
        seen += y.tolist()
    assert sorted(seen) == list(range(12))  # each image exactly once per epoch
    x, _ = b.next()
    assert b.epoch == 1


def test_batches_resume_from_state_gives_same_batches():
    a = _batches(n=10, batch=3, seed=5)
    for _ in range(4):
        a.next()
    state = a.state_dict()
    expected = [a.next()[1].tolist() for _ in range(5)]
    b = _batches(n=10, batch=3, seed=5)
    b.load_state_dict(state)
    assert [b.next()[1].tolist() for _ in range(5)] == expected


def test_batch_size_larger_than_data_is_a_clear_error():
    with pytest.raises(ValueError, match="larger than the data set"):
        _batches(n=3, batch=8)


def test_uint8_round_trip():
    x = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8)
    assert torch.equal(to_uint8(x.float() / 127.5 - 1), x)


def test_conversions_between_the_three_ranges_and_the_two_layouts():
    x = torch.randint(0, 256, (2, 3, 4, 5), dtype=torch.uint8)
    signed = to_signed_float(x)
    assert signed.min() >= -1 and signed.max() <= 1 and torch.allclose(signed, x.float() / 255 * 2 - 1)
    assert torch.equal(to_uint8(signed), x)
    assert torch.equal(to_uint8(torch.tensor([-3.0, 3.0])), torch.tensor([0, 255], dtype=torch.uint8))  # clamped
    batch, one = to_hwc(x), to_hwc(x[0])
    assert batch.shape == (2, 4, 5, 3) and one.shape == (4, 5, 3) and batch.dtype.name == "uint8"
    assert (one[1, 2] == x[0, :, 1, 2].numpy()).all()  # the same pixel, its channels last
    grey = to_hwc(x[:, :1])
    assert grey.shape == (2, 4, 5) and (grey[1] == x[1, 0].numpy()).all()  # one channel dropped
    assert to_hwc(signed.requires_grad_()).dtype.name == "float32"  # detached, values kept
    with pytest.raises(ValueError, match="got shape"):
        to_hwc(x[0, 0])


def _save(path, mode="RGB", size=(40, 30), color=(200, 10, 10)):
    Image.new(mode, size, color if mode != "L" else 128).save(path)


def test_image_folder_loads_resizes_and_converts(tmp_path):
    _save(tmp_path / "a.png")
    _save(tmp_path / "b.png", mode="L")
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(tmp_path / "c.png")  # fully transparent -> white
    ds = load_image_folder(tmp_path, size=16, channels=3, progress=False)
    assert ds.images.shape == (3, 3, 16, 16)
    assert ds.images[1].unique().tolist() == [128]  # grey replicated into RGB
    assert ds.images[2].min() == 255  # alpha composited on white
    gray = load_image_folder(tmp_path, size=8, channels=1, progress=False)
    assert gray.images.shape == (3, 1, 8, 8)


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ImageFolderError, match="contains no images"):
        load_image_folder(tmp_path, size=8)


def test_non_image_file_is_named(tmp_path):
    _save(tmp_path / "ok.png")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImageFolderError, match="notes.txt"):
        load_image_folder(tmp_path, size=8)
    assert len(load_image_folder(tmp_path, size=8, skip_other_files=True, progress=False)) == 1


def test_truncated_image_is_named(tmp_path):
    _save(tmp_path / "ok.jpg", size=(64, 64))
    data = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "broken.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageFolderError, match="broken.jpg"):
        load_image_folder(tmp_path, size=8, progress=False)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ImageFolderError, match="does not exist"):
        load_image_folder(tmp_path / "nope", size=8)
