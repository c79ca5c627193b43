"""Neural style transfer (chapter 07): feature extractors, the losses, and the pixel optimiser.

Read ``features`` (which network, which layers), ``losses`` (content, Gram/style, total
variation, guided Gram), ``optimize`` (the objective and the loop), then ``regions`` (masks)
and ``explore`` (the weight grid and sliders).
"""
from .features import (
    BACKBONES, RANDOM_GAINS, FeatureExtractor, RandomMultiScale, SequentialFeatures, denormalize, load_extractor, normalize, shrink,
)
from .images import load_rgb
from .losses import content_loss, gram_matrix, guided_style_loss, masked_gram, resize_masks, style_loss, tv_loss
from . import regions
from .explore import run_setting, weight_grid, weight_sliders
from .optimize import (
    SEED_CONTENT_WEIGHT, SEED_STYLE_WEIGHTS, SEED_TV_WEIGHT, StyleObjective, Synthesis, initial_image, optimize_image,
)

__all__ = [
    "BACKBONES", "FeatureExtractor", "RANDOM_GAINS", "RandomMultiScale", "SEED_CONTENT_WEIGHT", "SEED_STYLE_WEIGHTS", "SEED_TV_WEIGHT",
    "SequentialFeatures", "StyleObjective", "Synthesis", "content_loss", "denormalize", "gram_matrix",
    "guided_style_loss", "initial_image", "load_extractor", "load_rgb", "masked_gram", "normalize",
    "optimize_image", "regions", "resize_masks", "shrink", "run_setting", "style_loss", "tv_loss", "weight_grid", "weight_sliders",
]
