"""Trying loss weights: a static grid of results (for the book) and sliders (for Jupyter/Colab).

Both rerun ``optimize_image`` from the content image for each setting. ``style_scale``
multiplies all the style-layer weights at once, keeping their ratios.
"""
from __future__ import annotations

from typing import Optional, Sequence

import matplotlib.pyplot as plt
from torch import Tensor

from ..data.batches import to_hwc
from ..text import tr
from .features import FeatureExtractor
from .optimize import SEED_CONTENT_WEIGHT, SEED_STYLE_WEIGHTS, SEED_TV_WEIGHT, StyleObjective, Synthesis, optimize_image

PARAMETERS = ("content_weight", "style_scale", "tv_weight")  # each one's label: tr(name)


def run_setting(extractor: FeatureExtractor, content: Tensor, style: Tensor, content_weight: float = SEED_CONTENT_WEIGHT,
                style_scale: float = 1.0, tv_weight: float = SEED_TV_WEIGHT, style_weights: Sequence[float] = SEED_STYLE_WEIGHTS,
                steps: int = 40, method: str = "lbfgs", show_progress: bool = False) -> Synthesis:
    """One style transfer with the given weights, started from the content image."""
    objective = StyleObjective(extractor, content, style, content_weight=content_weight,
                               style_weights=[style_scale * w for w in style_weights], tv_weight=tv_weight)
    return optimize_image(objective, "content", steps=steps, method=method, show_progress=show_progress)


def weight_grid(extractor: FeatureExtractor, content: Tensor, style: Tensor, rows: tuple[str, Sequence[float]],
                columns: tuple[str, Sequence[float]], steps: int = 40, method: str = "lbfgs", title: Optional[str] = None,
                **fixed: float):
    """A grid of results: ``rows = (parameter, values)`` down, ``columns = (parameter, values)``
    across, the other weights at the seed's values or as given in ``fixed``. Parameters are
    ``content_weight``, ``style_scale`` and ``tv_weight``. Returns the figure."""
    (row_name, row_values), (col_name, col_values) = rows, columns
    for name in (row_name, col_name, *fixed):
        if name not in PARAMETERS:
            raise ValueError(f"unknown parameter {name!r}; use one of {', '.join(PARAMETERS)}")
    h, w = content.shape[-2:]
    fig, axes = plt.subplots(len(row_values), len(col_values), squeeze=False,
                             figsize=(2.6 * len(col_values) * w / h + 0.6, 2.6 * len(row_values) + (0.5 if title else 0.2)))
    for i, rv in enumerate(row_values):
        for j, cv in enumerate(col_values):
            result = run_setting(extractor, content, style, steps=steps, method=method, **{**fixed, row_name: rv, col_name: cv})
            ax = axes[i, j]
            ax.imshow(to_hwc(result.image[0]))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"{tr(col_name)} {cv:g}", fontsize=10)
            if j == 0:
                ax.set_ylabel(f"{tr(row_name)} {rv:g}", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def weight_sliders(extractor: FeatureExtractor, content: Tensor, style: Tensor, steps: int = 40, method: str = "lbfgs"):
    """Three log-scale sliders (content weight, style scale, TV weight) and the result of the
    current setting, recomputed when a slider is released. Needs ipywidgets."""
    import ipywidgets as widgets

    style_kw = dict(continuous_update=False, readout_format=".2g", style={"description_width": "initial"},
                    layout=widgets.Layout(width="420px"))
    sliders = {
        "content_weight": widgets.FloatLogSlider(value=SEED_CONTENT_WEIGHT, base=10, min=-4, max=1, step=0.25, description=tr("content_weight"), **style_kw),
        "style_scale": widgets.FloatLogSlider(value=1.0, base=10, min=-3, max=2, step=0.25, description=tr("style_scale"), **style_kw),
        "tv_weight": widgets.FloatLogSlider(value=SEED_TV_WEIGHT, base=10, min=-4, max=1, step=0.25, description=tr("tv_weight"), **style_kw),
    }
    output = widgets.Output()

    def redraw(**weights: float) -> None:
        result = run_setting(extractor, content, style, steps=steps, method=method, **weights)
        with output:
            output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(5, 5 * content.shape[-2] / content.shape[-1]))
            ax.imshow(to_hwc(result.image[0]))
            ax.set_axis_off()
            final = result.final()
            ax.set_title(tr("style_losses", content=final["content"], style=final["style"], tv=final["tv"]), fontsize=9)
            plt.show()

    widgets.interactive_output(redraw, sliders)
    return widgets.VBox([widgets.HTML(tr("style_sliders", steps=steps)),
                         *sliders.values(), output])
