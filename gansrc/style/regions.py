"""Region masks for spatially guided style transfer from a segmentation network (the Colab option).

Chapter 07 makes its masks without a network, from colour and position; on Colab,
``segment`` labels every pixel with torchvision's DeepLabV3 (MobileNetV3 backbone, trained on
COCO images with the 20 Pascal VOC classes) and ``label_masks`` turns chosen classes into
masks. VOC has people, animals and vehicles but no sky or building: everything else is
``__background__``.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..downloads import download_errors
from ..text import tr
from .features import normalize

VOC_CLASSES = ("__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor")


def load_segmenter(download: bool = True, device: torch.device | str = "cpu", verbose: bool = True) -> Optional[nn.Module]:
    """DeepLabV3-MobileNetV3 with torchvision's pretrained weights, or None (said in one line)
    when they are not downloaded (smoke mode) or cannot be loaded."""
    if not download:
        if verbose:
            print(tr("segmenter_smoke"))
        return None
    try:
        from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large

        model = deeplabv3_mobilenet_v3_large(weights="DEFAULT")
    except download_errors() as exc:  # no network, a proxy, a corrupt cache
        if verbose:
            print(tr("segmenter_failed", error=type(exc).__name__))
        return None
    return model.to(device).eval().requires_grad_(False)


@torch.no_grad()
def segment(image: Tensor, model: nn.Module, size: int = 520) -> Tensor:
    """The VOC class index of every pixel (H, W) of one RGB image (1, 3, H, W) in [0, 1].

    The image is resized so its shorter side is ``size`` (what the network was trained on),
    and the class scores are resized back before taking the most likely class.
    """
    if image.ndim != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"expected one RGB image (1, 3, H, W), got shape {tuple(image.shape)}")
    device = next(model.parameters()).device
    h, w = image.shape[-2:]
    scale = size / min(h, w)
    x = F.interpolate(image.to(device), size=(round(h * scale), round(w * scale)), mode="bilinear", antialias=True, align_corners=False)
    scores = model(normalize(x))["out"]
    scores = F.interpolate(scores, size=(h, w), mode="bilinear", align_corners=False)
    return scores.argmax(1)[0].cpu()


def label_masks(labels: Tensor, groups: Sequence[Sequence[str]]) -> Tensor:
    """One mask (float 0/1) per group of VOC class names: the pixels labelled with any of them."""
    masks = []
    for group in groups:
        unknown = [name for name in group if name not in VOC_CLASSES]
        if unknown:
            raise KeyError(f"{unknown[0]!r} is not a VOC class; the classes are {', '.join(VOC_CLASSES)}")
        ids = torch.tensor([VOC_CLASSES.index(name) for name in group])
        masks.append(torch.isin(labels, ids).float())
    return torch.stack(masks)
