r"""The three losses of neural style transfer, and the spatially guided style loss.

For a layer with :math:`C` channels and :math:`H \times W` positions, write its activations
as a :math:`C \times HW` matrix :math:`F` (one row per channel). Then

* content loss: :math:`w_c \sum_{i,j} (F_{ij} - P_{ij})^2`, with :math:`P` the content
  image's activations at the same layer;
* Gram matrix: :math:`G = F F^\top / (C H W)`, the channels' correlations averaged over
  positions (Gatys et al. 2016 divide by :math:`2CHW` instead; the factor goes into the weights);
* style loss: :math:`\sum_\ell w_\ell \sum_{i,j} (G^\ell_{ij} - A^\ell_{ij})^2`, with
  :math:`A^\ell` the style image's Gram matrix at layer :math:`\ell`;
* total variation: :math:`w_t \sum (x_{c,i+1,j} - x_{c,i,j})^2 + (x_{c,i,j+1} - x_{c,i,j})^2`;
* guided Gram (Gatys et al. 2017): the activations are multiplied by a region mask
  :math:`T_r` first, one Gram matrix per region, normalised by the region's area.

Chapter 07 derives them and shows what each does.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch.nn.functional as F
from torch import Tensor


def _check_features(features: Tensor, what: str = "features") -> None:
    if features.ndim != 4:
        raise ValueError(f"{what} must be (N, C, H, W), got shape {tuple(features.shape)}")


def gram_matrix(features: Tensor, normalize: bool = True) -> Tensor:
    """Gram matrices (N, C, C) of activations (N, C, H, W), divided by C*H*W when ``normalize``."""
    _check_features(features)
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    gram = flat @ flat.transpose(1, 2)
    return gram / (c * h * w) if normalize else gram


def content_loss(weight: float, current: Tensor, target: Tensor) -> Tensor:
    """``weight`` times the summed squared difference of two activation tensors of one layer."""
    if current.shape != target.shape:
        raise ValueError(f"content features differ in shape: {tuple(current.shape)} vs {tuple(target.shape)}")
    return weight * (current - target).pow(2).sum()


def style_loss(features: Mapping[str, Tensor], target_grams: Mapping[str, Tensor], layers: Sequence[str],
               weights: Sequence[float]) -> Tensor:
    """Sum over ``layers`` of weight times the squared distance between Gram matrices.

    ``features`` are the current image's activations, ``target_grams`` the style image's Gram
    matrices (from ``gram_matrix``), both keyed by layer name.
    """
    if len(layers) != len(weights):
        raise ValueError(f"{len(layers)} style layers but {len(weights)} style weights")
    total = 0.0
    for layer, weight in zip(layers, weights):
        gram = gram_matrix(features[layer])
        target = target_grams[layer]
        if gram.shape[-2:] != target.shape[-2:]:
            raise ValueError(f"layer {layer}: Gram matrix {tuple(gram.shape)} vs target {tuple(target.shape)}")
        total = total + weight * (gram - target).pow(2).sum()
    return total


def tv_loss(images: Tensor, weight: float) -> Tensor:
    """Total variation: ``weight`` times the summed squared differences of neighbouring pixels."""
    _check_features(images, "images")
    down = (images[:, :, 1:, :] - images[:, :, :-1, :]).pow(2).sum()
    right = (images[:, :, :, 1:] - images[:, :, :, :-1]).pow(2).sum()
    return weight * (down + right)


def resize_masks(masks: Tensor, size: tuple[int, int]) -> Tensor:
    """Region masks (R, H, W) with values in [0, 1], averaged down (or up) to ``size``.

    Shrinking by area averaging keeps each region's share of every feature-map cell, so the
    masks of a partition still add up to one at every resolution.
    """
    if masks.ndim != 3:
        raise ValueError(f"masks must be (R, H, W), got shape {tuple(masks.shape)}")
    if tuple(masks.shape[-2:]) == tuple(size):
        return masks
    mode = "area" if masks.shape[-2] >= size[0] and masks.shape[-1] >= size[1] else "bilinear"
    kwargs = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(masks[None].float(), size=size, mode=mode, **kwargs)[0]


def masked_gram(features: Tensor, mask: Tensor) -> Tensor:
    r"""The guided Gram matrix of Gatys et al. 2017 for one region.

    ``features`` (N, C, H, W) are multiplied by the region's mask :math:`T` (H', W'), resized
    to (H, W); the Gram matrix of the result is divided by :math:`C \sum T` (the channels times
    the region's area), so an all-ones mask gives exactly ``gram_matrix(features)``.
    """
    _check_features(features)
    n, c, h, w = features.shape
    if mask.ndim != 2:
        raise ValueError(f"a region mask must be (H, W), got shape {tuple(mask.shape)}")
    mask = resize_masks(mask[None], (h, w))[0].to(features.dtype)
    area = mask.sum()
    if area <= 0:
        raise ValueError("a region mask is empty at this layer's resolution; make the region larger")
    flat = (features * mask).reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * area)


def guided_style_loss(features: Mapping[str, Tensor], masks: Tensor, target_grams: Sequence[Mapping[str, Tensor]],
                      layers: Sequence[str], weights: Sequence[float]) -> Tensor:
    """Style loss with one style per region, summed over regions and layers.

    ``masks`` (R, H, W) say where each region of the image being made lies; ``target_grams[r]``
    holds the Gram matrices (by layer) of the style wanted in region ``r``.
    """
    if masks.ndim != 3 or masks.shape[0] != len(target_grams):
        raise ValueError(f"need one mask per style: masks {tuple(masks.shape)}, {len(target_grams)} styles")
    if len(layers) != len(weights):
        raise ValueError(f"{len(layers)} style layers but {len(weights)} style weights")
    total = 0.0
    for layer, weight in zip(layers, weights):
        for mask, grams in zip(masks, target_grams):
            total = total + weight * (masked_gram(features[layer], mask) - grams[layer]).pow(2).sum()
    return total
