"""Loading a photo or a painting as one RGB tensor in [0, 1], keeping its proportions."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import Tensor


def load_rgb(path: Path | str, size: Optional[int] = None) -> Tensor:
    """The image at ``path`` as (1, 3, H, W) floats in [0, 1], its shorter side resized to
    ``size`` pixels (antialiased bicubic) when given. The file is decoded as every loader of the
    book decodes one (``gansrc.data.decode``: EXIF orientation, 16-bit, transparency on white).
    A missing or unreadable file raises an error that names it."""
    from PIL import Image

    from ..data.decode import decode_image

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"image {path} does not exist")
    if size is not None and size < 8:
        raise ValueError(f"size must be at least 8 pixels, not {size}")
    img = decode_image(path, 3)  # ImageFolderError (a ValueError) names a file it cannot read
    if size is not None:
        w, h = img.size
        scale = size / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BICUBIC, reducing_gap=3.0)
    array = np.asarray(img, dtype=np.uint8).copy()
    return torch.from_numpy(array).permute(2, 0, 1)[None].float().contiguous() / 255
