"""One way to decode an image file, for every loader of the book (folders, pairs, domains, style).

A learner's folder holds whatever cameras, phones and editors write. ``decode_image`` turns
each kind into the same thing, an 8-bit image in grey ("L") or colour ("RGB"):

* the first frame of an animated GIF or a multi-page TIFF;
* the EXIF orientation applied, so a phone photo taken upright loads upright;
* 16-bit greyscale (PNG, TIFF) scaled to 0..255 (value / 257), not clipped (clipping makes it
  white); 32-bit integer greyscale is read as 16-bit, 32-bit float greyscale as 0..1;
* transparency (RGBA, grey + alpha, a palette or a colour marked transparent) composited on
  white, as on a page;
* palette, 1-bit, CMYK, YCbCr and LAB images converted by Pillow;
* colour to grey by the ITU-R 601 luma (Pillow's "L"), grey to colour by repeating the value.

A file that cannot be decoded raises ``ImageFolderError`` naming it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_ALPHA = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageFolderError(ValueError):
    """A folder of images that cannot be used as it is (the message says why and where)."""


def _to_eight_bits(img):
    from PIL import Image

    if img.mode in _SIXTEEN_BIT:
        scaled = np.asarray(img, dtype=np.float64) / 257.0
    elif img.mode == "F":
        scaled = np.asarray(img, dtype=np.float64) * 255.0
    else:
        return img
    return Image.fromarray(np.clip(np.round(scaled), 0, 255).astype(np.uint8), "L")


def decode_image(path: Path | str, channels: int = 3):
    """The image file at ``path`` as a PIL image in mode "L" (``channels=1``) or "RGB" (3).

    See the module's docstring for how each kind of file is read.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, not {channels}.")
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()  # decode now (the first frame): truncated files fail here, not later
            img = ImageOps.exif_transpose(img)
            img = _to_eight_bits(img)
            if img.mode in _ALPHA or "transparency" in img.info:
                rgba = img.convert("RGBA")
                img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            return img.convert("L" if channels == 1 else "RGB")
    except FileNotFoundError as exc:
        raise ImageFolderError(f"Image {path} does not exist.") from exc
    except Image.DecompressionBombError as exc:
        raise ImageFolderError(f"Image {path} is too large to decode safely ({exc}); shrink it first.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageFolderError(f"Cannot read image {path}: {exc}. The file is corrupt or truncated; remove or replace it.") from exc


def image_array(img) -> np.ndarray:
    """A decoded image as an (H, W, C) uint8 array (C is 1 for grey)."""
    array = np.asarray(img, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array
