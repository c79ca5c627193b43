"""Loading a photo or a painting as one RGB tensor in [0, 1], keeping its proportions."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import Tensor


def load_rgb(path: Path | str, size: Optional[int] = None) -> Tensor:
    """The image at ``path`` as (1, 3, H, W) floats in [0, 1], its shorter side resized to
    ``size`` pixels (antialiased bicubic) when given. A missing or unreadable file raises an
    error that names it."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"image {path} does not exist")
    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            if size is not None:
                if size < 8:
                    raise ValueError(f"size must be at least 8 pixels, not {size}")
                w, h = img.size
                scale = size / min(w, h)
                img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BICUBIC, reducing_gap=3.0)
            array = np.asarray(img, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"cannot read image {path}: {exc}") from exc
    return torch.from_numpy(array).permute(2, 0, 1)[None].float().contiguous() / 255
