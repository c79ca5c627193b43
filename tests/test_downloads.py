"""Every download branch the chapters use, run without a network.

Each test lets the code that comes after a successful download run against a fake of what it
calls: small archives and files laid out like the real ones, served by an HTTP server on
127.0.0.1 (the URL is monkeypatched), or a fake of gdown for CelebA's Google Drive. Any other
host is refused, so nothing here can reach the internet. The tensors that come out are checked.
The last tests check that only download failures fall back: a programming error in the code
after the download surfaces as itself.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gansrc import style
from gansrc.data import mnist as mnist_module
from gansrc.data import paired as paired_module
from gansrc.data import photos as photos_module
from gansrc.data import unpaired as unpaired_module
from gansrc.data.mnist import load_fashion_mnist, load_mnist
from gansrc.data.paired import load_paired_folder, pix2pix_folder
from gansrc.data.photos import load_celeba
from gansrc.data.unpaired import cyclegan_folder, load_unpaired_folder
from gansrc.downloads import download_errors
from gansrc.style import regions


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """(folder, base URL): an HTTP server on 127.0.0.1 serving ``folder``; other hosts are refused."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    real = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            raise OSError(f"network access to {host} is blocked in this test")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


# -- full MNIST and Fashion-MNIST: torchvision's own download code, from 127.0.0.1

def _idx_gz(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def _serve_mnist(folder: Path, n_train: int, n_test: int) -> list[tuple[str, str]]:
    """The four MNIST files (digit i is filled with the value 10 * label), and their md5s."""
    resources = []
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        images = np.repeat((10 * labels)[:, None, None], 28 * 28, axis=1).reshape(n, 28, 28)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            path = folder / f"{prefix}-{kind}-ubyte.gz"
            _idx_gz(path, array)
            resources.append((path.name, _md5(path)))
    return resources


@pytest.mark.parametrize("fashion", [False, True], ids=["mnist", "fashion-mnist"])
def test_full_mnist_download_gives_uint8_digits_and_labels(server, tmp_path, monkeypatch, capsys, fashion):
    from torchvision import datasets

    folder, url = server
    resources = _serve_mnist(folder, n_train=12, n_test=5)
    cls = datasets.FashionMNIST if fashion else datasets.MNIST
    monkeypatch.setattr(cls, "mirrors", [url + "/"])
    monkeypatch.setattr(cls, "resources", resources)
    load = load_fashion_mnist if fashion else load_mnist
    for split, n in (("train", 12), ("test", 5)):
        ds = load(split, download=True, root=tmp_path / "downloads")
        out = capsys.readouterr().out
        assert "could not be downloaded" not in out and "not available offline" not in out, out
        assert f"full {'Fashion-MNIST' if fashion else 'MNIST'} {split} set ({n:,} images)" in out
        assert ds.images.shape == (n, 1, 28, 28) and ds.images.dtype == torch.uint8
        assert ds.labels.dtype == torch.int64 and ds.labels.tolist() == [i % 10 for i in range(n)]
        assert torch.equal(ds.images[:, 0, 0, 0], (10 * ds.labels).to(torch.uint8))


# -- CelebA: torchvision's CelebA with its Google Drive download faked at gdown

CELEBA_COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40), (20, 20, 20)]


def _celeba_files(folder: Path) -> dict[str, Path]:
    """The six CelebA files, laid out as on Google Drive: 5 aligned faces (178 x 218, each one
    flat colour), the first four in the training split."""
    names = [f"{i + 1:06d}.jpg" for i in range(len(CELEBA_COLOURS))]
    with zipfile.ZipFile(folder / "img_align_celeba.zip", "w") as z:
        for name, colour in zip(names, CELEBA_COLOURS):
            z.writestr(f"img_align_celeba/{name}", _jpeg(np.full((218, 178, 3), colour, np.uint8)))
    rows = {
        "list_eval_partition.txt": [f"{n} {0 if i < 4 else 1}" for i, n in enumerate(names)],
        "identity_CelebA.txt": [f"{n} {i + 1}" for i, n in enumerate(names)],
        "list_bbox_celeba.txt": [str(len(names)), "image_id x_1 y_1 width height"] + [f"{n} 1 2 3 4" for n in names],
        "list_landmarks_align_celeba.txt": [str(len(names)), "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y "
                                            "leftmouth_x leftmouth_y rightmouth_x rightmouth_y"]
        + [f"{n} " + " ".join(["50"] * 10) for n in names],
        "list_attr_celeba.txt": [str(len(names)), "Smiling Young"] + [f"{n} 1 -1" for n in names],
    }
    for name, lines in rows.items():
        (folder / name).write_text("\n".join(lines) + "\n")
    return {p.name: p for p in folder.iterdir()}


@pytest.fixture
def fake_google_drive(tmp_path, monkeypatch):
    """CelebA's files served by a fake ``gdown.download`` (which must be installed: torchvision
    needs it for CelebA), with torchvision's checksums replaced by those of the fake files."""
    import gdown
    from torchvision import datasets

    drive = tmp_path / "drive"
    drive.mkdir()
    files = _celeba_files(drive)
    ids = {}
    file_list = []
    for file_id, _, name in datasets.CelebA.file_list:
        ids[file_id] = files[name]
        file_list.append((file_id, _md5(files[name]), name))
    monkeypatch.setattr(datasets.CelebA, "file_list", file_list)
    calls = []

    def download(id=None, output=None, **kwargs):
        calls.append(id)
        Path(output).write_bytes(ids[id].read_bytes())
        return output

    monkeypatch.setattr(gdown, "download", download)
    return calls


def test_celeba_download_gives_uint8_faces(fake_google_drive, tmp_path, capsys):
    ds = load_celeba(size=16, download=True, max_images=None, root=tmp_path / "downloads")
    out = capsys.readouterr().out
    assert "could not be downloaded" not in out, out
    assert len(fake_google_drive) == 6  # every file of torchvision's list was fetched
    assert ds.source.startswith("CelebA faces (4 of the 4 training images, 16x16)")
    assert ds.images.shape == (4, 3, 16, 16) and ds.images.dtype == torch.uint8 and ds.labels is None
    means = ds.images.float().mean((2, 3))
    assert torch.allclose(means, torch.tensor(CELEBA_COLOURS[:4]).float(), atol=6)  # each face its own colour
    few = load_celeba(size=8, download=True, max_images=2, root=tmp_path / "downloads", verbose=False)
    assert few.images.shape == (2, 3, 8, 8) and few.images.dtype == torch.uint8


# -- the pix2pix and CycleGAN archives, served as files from 127.0.0.1

def _add(tar_or_zip, name: str, data: bytes) -> None:
    if isinstance(tar_or_zip, zipfile.ZipFile):
        tar_or_zip.writestr(name, data)
    else:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar_or_zip.addfile(info, io.BytesIO(data))


def test_pix2pix_archive_download_gives_pairs(server, tmp_path, monkeypatch, capsys):
    folder, url = server
    counts = {"train": 3, "val": 2, "test": 2}
    with tarfile.open(folder / "facades.tar.gz", "w:gz") as tar:  # facades/train/1.jpg: A (red) | B (blue)
        for split, n in counts.items():
            for i in range(n):
                pair = np.zeros((40, 80, 3), np.uint8)
                pair[:, :40, 0] = 200 + i
                pair[:, 40:, 2] = 180
                _add(tar, f"facades/{split}/{i + 1}.jpg", _jpeg(pair))
    monkeypatch.setattr(paired_module, "PIX2PIX_URL", url + "/{name}.tar.gz")
    fallback = tmp_path / "fallback"
    root = tmp_path / "downloads"
    got = pix2pix_folder("facades", download=True, fallback=fallback, root=root)
    assert got == root / "facades", capsys.readouterr().out
    assert capsys.readouterr().out == ""
    for split, n in counts.items():
        pairs = load_paired_folder(got, split, direction="BtoA", size=32)  # as chapter 05 reads it
        assert pairs.a.shape == (n, 3, 32, 32) == pairs.b.shape and pairs.a.dtype == torch.uint8
        a, b = pairs.a.float().mean((0, 2, 3)), pairs.b.float().mean((0, 2, 3))
        assert b[0] > 150 and b[2] < 30 and a[2] > 150 and a[0] < 30  # BtoA: inputs are the blue halves
    assert (root / "facades.tar.gz.sha256").exists()  # trust on first use: the checksum is recorded
    assert pix2pix_folder("facades", download=True, fallback=fallback, root=root) == got  # unpacked once


def test_cyclegan_archive_download_gives_two_domains(server, tmp_path, monkeypatch, capsys):
    folder, url = server
    counts = {"trainA": 3, "trainB": 2, "testA": 2, "testB": 1}
    with zipfile.ZipFile(folder / "horse2zebra.zip", "w") as z:
        for sub, n in counts.items():
            for i in range(n):
                colour = (150, 100, 50) if sub.endswith("A") else (240, 240, 240)
                _add(z, f"horse2zebra/{sub}/n{i:04d}.jpg", _jpeg(np.full((48, 64, 3), colour, np.uint8)))
    monkeypatch.setattr(unpaired_module, "CYCLEGAN_URL", url + "/{name}.zip")
    fallback = tmp_path / "fallback"
    got = cyclegan_folder("horse2zebra", download=True, fallback=fallback, root=tmp_path / "downloads")
    assert got == tmp_path / "downloads" / "horse2zebra", capsys.readouterr().out
    for split in ("train", "test"):
        data = load_unpaired_folder(got, split, size=32)  # as chapter 06 reads it
        assert data.a.shape == (counts[f"{split}A"], 3, 32, 32) and data.b.shape == (counts[f"{split}B"], 3, 32, 32)
        assert data.a.dtype == data.b.dtype == torch.uint8
        assert abs(data.a.float().mean() - 100) < 5 and data.b.float().mean() > 230


def test_an_archive_without_the_expected_folder_falls_back(server, tmp_path, monkeypatch, capsys):
    folder, url = server
    with zipfile.ZipFile(folder / "horse2zebra.zip", "w") as z:
        _add(z, "horse2zebra/README.txt", b"not the layout")
    monkeypatch.setattr(unpaired_module, "CYCLEGAN_URL", url + "/{name}.zip")
    fallback = tmp_path / "fallback"
    assert cyclegan_folder("horse2zebra", download=True, fallback=fallback, root=tmp_path / "downloads") == fallback
    out = capsys.readouterr().out
    assert "could not be downloaded (DownloadError: the archive did not contain horse2zebra/trainA)" in out


# -- torchvision's pretrained weights, through torch.hub's download code, from 127.0.0.1

@pytest.fixture
def local_hub(server, tmp_path, monkeypatch):
    """torchvision's weight downloads go to the local server (a file of the published name holding
    seeded random weights: put there with ``publish``) and into an empty cache."""
    import torch.hub
    from torchvision.models import _api

    folder, url = server
    real = torch.hub.load_state_dict_from_url
    requested = []

    def download(weights_url, *args, **kwargs):
        requested.append(weights_url)
        kwargs.update(model_dir=str(tmp_path / "hub"), check_hash=False)  # the hash is of the published file
        return real(f"{url}/{weights_url.rsplit('/', 1)[-1]}", *args, **kwargs)

    monkeypatch.setattr(_api, "load_state_dict_from_url", download)

    def publish(weights, model):
        torch.save(model.state_dict(), folder / weights.url.rsplit("/", 1)[-1])

    return publish, requested


def test_squeezenet_weights_download_gives_a_pretrained_extractor(local_hub, capsys):
    import torchvision

    publish, requested = local_hub
    torch.manual_seed(0)
    published = torchvision.models.squeezenet1_1()
    publish(torchvision.models.SqueezeNet1_1_Weights.DEFAULT, published)
    extractor = style.load_extractor("squeezenet1_1", download=True)
    assert "could not" not in capsys.readouterr().out  # no fallback announced
    assert requested == [torchvision.models.SqueezeNet1_1_Weights.DEFAULT.url]
    assert extractor.pretrained and extractor.name == "squeezenet1_1"
    assert torch.equal(extractor.features[0].weight, published.features[0].weight)
    with torch.no_grad():
        out = extractor(style.normalize(torch.rand(1, 3, 64, 64)), [extractor.content_layer, *extractor.style_layers])
    assert sorted(out) == ["fire2", "fire3", "fire4", "fire5", "relu1"]
    assert out["fire2"].shape == (1, 128, 15, 15) and all(torch.isfinite(a).all() for a in out.values())


def test_deeplab_weights_download_gives_a_segmenter(local_hub, capsys):
    from torchvision.models.segmentation import DeepLabV3_MobileNet_V3_Large_Weights, deeplabv3_mobilenet_v3_large

    publish, requested = local_hub
    torch.manual_seed(0)
    published = deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21, aux_loss=True)
    publish(DeepLabV3_MobileNet_V3_Large_Weights.DEFAULT, published)
    segmenter = regions.load_segmenter(download=True)
    assert "could not" not in capsys.readouterr().out
    assert requested == [DeepLabV3_MobileNet_V3_Large_Weights.DEFAULT.url]
    assert not segmenter.training and not any(p.requires_grad for p in segmenter.parameters())
    labels = regions.segment(torch.rand(1, 3, 40, 60), segmenter, size=64)  # as chapter 07 calls it
    assert labels.shape == (40, 60) and labels.dtype == torch.int64
    assert 0 <= labels.min() and labels.max() < len(regions.VOC_CLASSES)


def test_vgg19_weights_download_gives_gatys_layers_with_average_pooling(monkeypatch, capsys):
    """VGG-19's file is 548 MB, so here torch.hub's download itself is replaced: it returns a state
    dict of the right shapes (one constant per tensor), and the code after it runs as in chapter 07."""
    import torchvision
    from torchvision.models import _api

    requested = []

    def download(url, *args, **kwargs):
        requested.append(url)
        with torch.device("meta"):  # the shapes, without building the network twice
            shapes = {k: v.shape for k, v in torchvision.models.vgg19().state_dict().items()}
        return {k: torch.full((), 0.01).expand(shape) for k, shape in shapes.items()}

    monkeypatch.setattr(_api, "load_state_dict_from_url", download)
    vgg = style.load_extractor("vgg19", download=True, average_pooling=True)
    assert capsys.readouterr().out == ""
    assert requested == [torchvision.models.VGG19_Weights.DEFAULT.url]
    assert vgg.pretrained and not any(isinstance(m, torch.nn.MaxPool2d) for m in vgg.features)
    assert bool((vgg.features[0].weight == 0.01).all())
    layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]
    with torch.no_grad():
        out = vgg(torch.rand(1, 3, 32, 32), layers)
    assert [tuple(out[k].shape[1:]) for k in layers] == [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4),
                                                        (512, 4, 4), (512, 2, 2)]


# -- only download failures fall back

def test_download_errors_cover_what_a_failed_download_raises():
    import urllib.error

    errors = download_errors()
    for exc in (urllib.error.URLError("no DNS"), urllib.error.HTTPError("u", 404, "gone", None, None),
                socket.timeout(), ConnectionRefusedError(), FileNotFoundError(), gzip.BadGzipFile(),
                RuntimeError("Dataset not found or corrupted."), zipfile.BadZipFile(), tarfile.ReadError(), EOFError()):
        assert isinstance(exc, errors), exc
    for exc in (NameError("images"), TypeError(), AttributeError(), KeyError(), ValueError(), IndexError()):
        assert not isinstance(exc, errors), exc


def _broken(kind):
    def post_download(*args, **kwargs):
        raise kind("a bug in the code after the download")
    return post_download


@pytest.mark.parametrize("kind", [NameError, TypeError, AttributeError])
def test_a_programming_error_after_the_download_surfaces_as_itself(kind, tmp_path, monkeypatch, server):
    """The loaders fall back on network and file errors only: a bug propagates."""
    folder, url = server
    monkeypatch.setattr(mnist_module, "_download_full_mnist", _broken(kind))
    with pytest.raises(kind, match="a bug"):
        load_mnist("train", download=True, root=tmp_path)
    with pytest.raises(kind, match="a bug"):
        load_fashion_mnist("train", download=True, root=tmp_path)
    monkeypatch.setattr(photos_module, "_download_celeba", _broken(kind))
    with pytest.raises(kind, match="a bug"):
        load_celeba(size=16, download=True, root=tmp_path)
    with tarfile.open(folder / "facades.tar.gz", "w:gz") as tar:
        _add(tar, "facades/train/1.jpg", b"x")
    monkeypatch.setattr(paired_module, "PIX2PIX_URL", url + "/{name}.tar.gz")
    monkeypatch.setattr(paired_module, "safe_extract", _broken(kind))
    with pytest.raises(kind, match="a bug"):
        pix2pix_folder("facades", download=True, fallback=tmp_path / "fallback", root=tmp_path / "downloads")
    from gansrc.style import features

    monkeypatch.setattr(features, "_from_model", _broken(kind))
    monkeypatch.setattr(features, "_torchvision_model", lambda backbone, pretrained: torch.nn.Identity())
    with pytest.raises(kind, match="a bug"):
        style.load_extractor("squeezenet1_1", download=True)
    from torchvision.models import segmentation

    monkeypatch.setattr(segmentation, "deeplabv3_mobilenet_v3_large", _broken(kind))
    with pytest.raises(kind, match="a bug"):
        regions.load_segmenter(download=True)


def test_a_failed_download_still_falls_back_fast(no_network, tmp_path, monkeypatch, capsys):
    import time

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty cache: the weights must be downloaded
    start = time.perf_counter()
    assert load_mnist("train", download=True, root=tmp_path).source.startswith("bundled")
    assert load_celeba(size=16, download=True, root=tmp_path).source.endswith(")")
    assert style.load_extractor("squeezenet1_1", download=True).pretrained is False
    assert regions.load_segmenter(download=True) is None
    out = capsys.readouterr().out
    assert out.count("could not") == 4, out
    assert time.perf_counter() - start < 30
