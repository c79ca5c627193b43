"""Optimising the pixels of one image against content, style and total-variation losses.

``StyleObjective`` computes its targets once (the content image's activations, the style
images' Gram matrices) and then scores any image; ``optimize_image`` runs L-BFGS or Adam on
the pixels, with a progress bar, recording the three losses at every iteration. Style
transfer, feature inversion and texture synthesis are the same loop with different weights
(chapter 07).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from ..runtime import progress
from ..text import tr
from .features import FeatureExtractor, denormalize, normalize
from .losses import content_loss, gram_matrix, guided_style_loss, style_loss, tv_loss

SEED_CONTENT_WEIGHT = 5e-2
SEED_STYLE_WEIGHTS = (20000.0, 500.0, 12.0, 1.0)
SEED_TV_WEIGHT = 5e-2
KEYS = ("content", "style", "tv", "total")


def _check_image(image: Tensor, what: str) -> Tensor:
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or image.shape[0] != 1 or image.shape[1] != 3:
        raise ValueError(f"{what} must be one RGB image (3, H, W) or (1, 3, H, W) in [0, 1], got shape {tuple(image.shape)}")
    if image.dtype == torch.uint8:
        image = image.float() / 255
    if not torch.isfinite(image).all() or image.min() < 0 or image.max() > 1:
        raise ValueError(f"{what} must hold finite values in [0, 1]")
    return image.float()


class StyleObjective:
    """Content + style + total-variation loss of an image, with the targets computed once.

    Images are RGB in [0, 1] (1, 3, H, W); the objective scores ImageNet-normalised pixels
    (what ``optimize_image`` optimises). ``style`` is one image, or a list of images with
    ``masks`` (R, H, W) saying where each goes in the result (the guided loss). A content or
    style weight of 0 (or no image) drops that term: feature inversion and texture synthesis.
    """

    def __init__(self, extractor: FeatureExtractor, content: Optional[Tensor] = None,
                 style: Union[Tensor, Sequence[Tensor], None] = None, *, content_weight: float = SEED_CONTENT_WEIGHT,
                 style_weights: Sequence[float] = SEED_STYLE_WEIGHTS, tv_weight: float = SEED_TV_WEIGHT,
                 content_layer: Optional[str] = None, style_layers: Optional[Sequence[str]] = None,
                 masks: Optional[Tensor] = None) -> None:
        self.extractor = extractor
        self.device = next(extractor.parameters()).device
        self.content_layer = content_layer or extractor.content_layer
        self.style_layers = list(style_layers or extractor.style_layers)
        extractor.check_layers([self.content_layer, *self.style_layers])
        self.content_weight, self.style_weights, self.tv_weight = float(content_weight), [float(w) for w in style_weights], float(tv_weight)
        if len(self.style_weights) != len(self.style_layers):
            raise ValueError(f"{len(self.style_layers)} style layers ({', '.join(self.style_layers)}) but {len(self.style_weights)} style weights")
        self.use_content = content is not None and self.content_weight != 0
        styles = [] if style is None else [style] if isinstance(style, Tensor) else list(style)
        self.use_style = bool(styles) and any(w != 0 for w in self.style_weights)
        if not self.use_content and not self.use_style:
            raise ValueError("nothing to optimise: give a content image with a non-zero content weight, a style image with non-zero style weights, or both")
        self.masks = None
        if masks is not None:
            if masks.ndim != 3 or masks.shape[0] != len(styles):
                raise ValueError(f"need one mask per style image: masks {tuple(masks.shape)}, {len(styles)} style images")
            if content is not None and tuple(masks.shape[-2:]) != tuple(content.shape[-2:]):
                raise ValueError(f"masks are {tuple(masks.shape[-2:])} but the content image is {tuple(content.shape[-2:])}; make them the same size")
            if not torch.isfinite(masks).all() or masks.min() < 0 or masks.max() > 1:
                raise ValueError("masks must hold values in [0, 1]")
            self.masks = masks.float().to(self.device)
        elif len(styles) > 1:
            raise ValueError(f"{len(styles)} style images need masks (R, H, W) saying where each one goes")
        with torch.no_grad():
            self.content = _check_image(content, "content").to(self.device) if content is not None else None
            self.content_target = self._features(self.content, [self.content_layer])[self.content_layer] if self.use_content else None
            self.style_grams = []
            for i, image in enumerate(styles if self.use_style else []):
                feats = self._features(_check_image(image, f"style image {i}").to(self.device), self.style_layers)
                self.style_grams.append({layer: gram_matrix(f) for layer, f in feats.items()})

    def _features(self, image01: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
        return self.extractor(normalize(image01), layers)

    def __call__(self, x: Tensor) -> dict[str, Tensor]:
        """The three losses of ImageNet-normalised pixels ``x`` (1, 3, H, W), and their sum."""
        layers = list(dict.fromkeys(([self.content_layer] if self.use_content else []) + (self.style_layers if self.use_style else [])))
        feats = self.extractor(x, layers)
        zero = x.new_zeros(())
        c = content_loss(self.content_weight, feats[self.content_layer], self.content_target) if self.use_content else zero
        if not self.use_style:
            s = zero
        elif self.masks is not None:
            s = guided_style_loss(feats, self.masks, self.style_grams, self.style_layers, self.style_weights)
        else:
            s = style_loss(feats, self.style_grams[0], self.style_layers, self.style_weights)
        t = tv_loss(x, self.tv_weight) if self.tv_weight else zero
        return {"content": c, "style": s, "tv": t, "total": c + s + t}


@dataclass
class Synthesis:
    """What ``optimize_image`` returns: the image (1, 3, H, W) in [0, 1] on the CPU, and the
    losses of the image after each number of steps, 0 (the start) to ``steps`` (the result):
    ``history["step"]``, ``["content"]``, ``["style"]``, ``["tv"]``, ``["total"]``, and
    ``["evaluations"]``, how many times the loss had been computed by then (L-BFGS's line
    search may compute it more than once per step; Adam once)."""

    image: Tensor
    history: dict[str, list[float]] = field(default_factory=dict)

    def final(self) -> dict[str, float]:
        """The last recorded value of each loss."""
        return {k: self.history[k][-1] for k in KEYS}


def initial_image(init: Union[str, Tensor], objective: StyleObjective, size: Optional[tuple[int, int]] = None,
                  seed: int = 0) -> Tensor:
    """The starting point, as an RGB image in [0, 1]: ``"content"``, ``"noise"`` (uniform,
    seeded, of ``size`` or the content image's size) or an image tensor."""
    if isinstance(init, Tensor):
        return _check_image(init, "init").to(objective.device)
    if init == "content":
        if objective.content is None:
            raise ValueError('init="content" needs a content image')
        return objective.content.clone()
    if init == "noise":
        if size is None:
            if objective.content is None:
                raise ValueError('init="noise" without a content image needs size=(H, W)')
            size = tuple(objective.content.shape[-2:])
        noise = torch.rand((1, 3, *size), generator=torch.Generator().manual_seed(seed))
        return noise.to(objective.device)
    raise ValueError(f'init must be "content", "noise" or an image tensor, not {init!r}')


def optimize_image(objective: StyleObjective, init: Union[str, Tensor] = "content", *, steps: int = 200,
                   method: str = "lbfgs", lr: Optional[float] = None, size: Optional[tuple[int, int]] = None,
                   seed: int = 0, desc: str = "optimising pixels", show_progress: bool = True) -> Synthesis:
    """Minimise ``objective`` over the pixels, starting from ``init``; one iteration per step.

    ``method="lbfgs"`` (Gatys et al.; ``lr`` 1) makes one L-BFGS iteration per step, with a
    strong-Wolfe line search (one or a few loss evaluations), keeping its curvature history
    across steps.
    ``method="adam"`` (``lr`` 0.1 by default, in units of ImageNet-normalised pixels) clamps
    the pixels to the valid range after each step. A NaN or infinite loss stops the loop with
    an error naming the step.
    """
    if method not in ("lbfgs", "adam"):
        raise ValueError(f'method must be "lbfgs" or "adam", not {method!r}')
    if steps < 1:
        raise ValueError("steps must be at least 1")
    start = initial_image(init, objective, size, seed)
    x = normalize(start).detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    low = normalize(torch.zeros_like(start)).detach()
    high = normalize(torch.ones_like(start)).detach()
    if method == "lbfgs":
        # One L-BFGS iteration per step, with a strong-Wolfe line search: it may evaluate the
        # loss a few times per step, but never takes the huge steps that plain L-BFGS can take
        # from noise, where its first curvature estimate is poor.
        optimizer = torch.optim.LBFGS([x], lr=lr or 1.0, max_iter=1, max_eval=20, history_size=50,
                                      line_search_fn="strong_wolfe")
    else:
        optimizer = torch.optim.Adam([x], lr=lr or 0.1)
    evaluations: list[Tensor] = []  # the losses of every evaluation, kept on the device
    firsts: list[int] = []          # the index of each step's first evaluation: the image after that many steps

    def closure() -> Tensor:
        optimizer.zero_grad()
        losses = objective(x)
        losses["total"].backward()
        evaluations.append(torch.stack([losses[k].detach() for k in KEYS]))
        return losses["total"]

    def check_finite() -> None:  # one host sync per call, not one per step
        totals = torch.stack([evaluations[i][3] for i in firsts])
        bad = (~torch.isfinite(totals)).nonzero()
        if len(bad):
            raise FloatingPointError(f"the loss became {totals[bad[0, 0]].item()} after {bad[0, 0].item()} steps; "
                                     "lower the learning rate or the loss weights")

    bar = progress(range(steps), desc=desc, unit=tr("step"), disable=not show_progress)
    for step in bar:
        firsts.append(len(evaluations))
        optimizer.step(closure)  # the closure's first evaluation is at the image before this step
        if method == "adam":
            with torch.no_grad():
                x.copy_(torch.maximum(torch.minimum(x, high), low))
        if (step + 1) % 10 == 0:
            check_finite()
    bar.close()
    firsts.append(len(evaluations))
    with torch.no_grad():
        losses = objective(x)
    evaluations.append(torch.stack([losses[k].detach() for k in KEYS]))
    check_finite()
    values = torch.stack([evaluations[i] for i in firsts]).cpu().tolist()
    history = {"step": list(range(len(values))), "evaluations": firsts}
    for i, key in enumerate(KEYS):
        history[key] = [v[i] for v in values]
    return Synthesis(denormalize(x.detach()).cpu(), history)
