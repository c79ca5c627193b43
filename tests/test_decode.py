"""Every kind of file a learner's folder can hold, decoded one way by every loader (gansrc/data/decode.py)."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from gansrc import style
from gansrc.data import (
    ImageFolderError, decode_image, load_image, load_image_folder, load_paired_folder, load_unpaired_folder,
)


def write_png16(path, array: np.ndarray) -> None:
    """An (H, W, C) uint16 array, C in 1..4, as a 16-bit PNG (Pillow writes 16-bit grey only)."""
    h, w, c = array.shape
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 16, color, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_16_bit_greyscale_png_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 64, dtype=np.uint16).reshape(8, 8)
    Image.fromarray(ramp).save(tmp_path / "g16.png")  # Pillow writes this one itself (mode I;16)
    write_png16(tmp_path / "rgb16.png", np.stack([ramp, ramp // 2, 65535 - ramp], axis=-1))
    grey = load_image(tmp_path / "g16.png", None, 1)[:, :, 0]
    expected = np.round(ramp / 257).astype(np.uint8)
    assert np.array_equal(grey, expected)  # clipped, all but the first pixel would be 255
    rgb = load_image(tmp_path / "rgb16.png", None, 3)
    assert abs(int(rgb[..., 0].astype(int).mean()) - int(expected.astype(int).mean())) <= 1
    assert rgb[0, 0].tolist() == [0, 0, 255] and abs(rgb[-1, -1].astype(int) - [255, 128, 0]).max() <= 1


def test_32_bit_integer_and_float_greyscale(tmp_path):
    ints = np.array([[0, 32768, 65535]], dtype=np.int32)
    Image.fromarray(ints, "I").save(tmp_path / "i32.tif")
    Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32), "F").save(tmp_path / "f32.tif")
    assert load_image(tmp_path / "i32.tif", None, 1)[0, :, 0].tolist() == [0, 128, 255]
    assert load_image(tmp_path / "f32.tif", None, 1)[0, :, 0].tolist() == [0, 128, 255]


def test_exif_orientation_is_applied(tmp_path):
    """A phone stores the sensor's pixels and an orientation tag; the loader shows it upright."""
    array = np.zeros((20, 40, 3), dtype=np.uint8)
    array[:, :20] = (255, 0, 0)  # left half red, right half blue, as the sensor saw it
    array[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(array).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    upright = load_image(tmp_path / "phone.jpg", None, 3)
    assert upright.shape == (40, 20, 3)
    assert upright[2, 10, 0] > 200 and upright[-3, 10, 2] > 200  # red on top, blue below
    assert style.load_rgb(tmp_path / "phone.jpg").shape == (1, 3, 40, 20)


def _transparent_files(folder):
    """Four ways a file can be transparent; the left half is fully transparent, the right opaque red."""
    folder.mkdir(parents=True, exist_ok=True)
    rgba = np.zeros((8, 16, 4), dtype=np.uint8)
    rgba[:, 8:] = (255, 0, 0, 255)
    Image.fromarray(rgba, "RGBA").save(folder / "rgba.png")
    la = np.zeros((8, 16, 2), dtype=np.uint8)
    la[:, 8:] = (76, 255)  # the grey of red, opaque
    Image.fromarray(la, "LA").save(folder / "la.png")
    Image.fromarray(rgba, "RGBA").quantize(colors=4, method=Image.Quantize.FASTOCTREE).save(folder / "palette.png")
    rgb = Image.fromarray(rgba[..., :3])
    rgb.save(folder / "trns.png", transparency=(0, 0, 0))  # a colour marked transparent (tRNS chunk)
    return sorted(folder.iterdir())


def test_transparency_is_composited_on_white_by_every_loader(tmp_path):
    for path in _transparent_files(tmp_path / "files"):
        rgb = load_image(path, None, 3)
        assert rgb[:, :8].min() == 255, path.name  # transparent: white, never black
        if path.name == "la.png":  # grey: the red's luma
            assert (rgb[:, 8:] == 76).all()
        else:
            assert (rgb[:, 8:, 0] > 200).all() and (rgb[:, 8:, 1:] < 90).all(), path.name
        assert load_image(path, None, 1)[:, :8].min() == 255, path.name
        assert style.load_rgb(path)[0, :, :, :8].min() == 1.0, path.name
    # the pair loader (A|B in one file) and the unpaired one read the same files the same way
    pairs = load_paired_folder(tmp_path / "files", split=".", channels=(3, 3))
    assert pairs.a.min() == 255 and (pairs.b[:, 0] >= 76).all() and pairs.b[:, 1].max() <= 90
    for domain in ("trainA", "trainB"):
        _transparent_files(tmp_path / "cyc" / domain)
    unpaired = load_unpaired_folder(tmp_path / "cyc")
    assert unpaired.a[..., :8].min() == 255 and unpaired.b[..., :8].min() == 255


def test_palette_one_bit_cmyk_grey_and_animated_files(tmp_path):
    colour = np.zeros((8, 8, 3), dtype=np.uint8)
    colour[:4] = (200, 30, 60)
    Image.fromarray(colour).convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(tmp_path / "palette.png")
    Image.fromarray(colour).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=100)
    Image.fromarray(colour).convert("CMYK").save(tmp_path / "cmyk.tif")
    Image.fromarray((colour[..., 0] > 100).astype(np.uint8) * 255).convert("1").save(tmp_path / "bits.png")
    Image.fromarray(colour[..., 0]).save(tmp_path / "grey.png")
    frames = [Image.fromarray(colour), Image.fromarray(255 - colour)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    for name in ("palette.png", "cmyk.tif", "anim.gif"):  # lossless kinds: the same pixels
        rgb = load_image(tmp_path / name, None, 3)
        assert np.abs(rgb.astype(int) - colour).max() <= 3, name
    assert np.abs(load_image(tmp_path / "cmyk.jpg", None, 3).astype(int) - colour).max() <= 12
    bits = load_image(tmp_path / "bits.png", None, 3)
    assert set(np.unique(bits)) == {0, 255} and bits[0, 0].tolist() == [255] * 3
    grey = load_image(tmp_path / "grey.png", None, 3)
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 0] == colour[..., 0]).all()  # grey repeated in R, G, B
    luma = load_image(tmp_path / "palette.png", None, 1)[0, 0, 0]
    assert abs(int(luma) - round(0.299 * 200 + 0.587 * 30 + 0.114 * 60)) <= 2  # colour to grey: ITU-R 601 luma
    folder = load_image_folder(tmp_path, 8, channels=3, progress=False)
    assert folder.images.shape == (6, 3, 8, 8) and folder.images.dtype == torch.uint8


def test_decode_errors_name_the_file(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImageFolderError, match="bad.png"):
        decode_image(tmp_path / "bad.png")
    with pytest.raises(ImageFolderError, match="does not exist"):
        decode_image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="channels"):
        decode_image(tmp_path / "bad.png", channels=4)
