"""Pictures: image grids, training curves, sample snapshots and class histograms.

Titles, axis labels and legends that gansrc writes come from ``gansrc.text`` (en or es).

Everything here only reads tensors and histories; nothing trains.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

from .data.batches import to_hwc, to_uint8
from .text import tr

MAX_FIGURE_PIXELS = 1600  # the widest an image figure gets, whatever the image size (at the figure's dpi)


def fit_width(width: float, height: float, fixed: float = 0.0) -> tuple[float, float, bool]:
    """A figure size in inches, scaled down to at most ``MAX_FIGURE_PIXELS`` wide; True if it was.

    ``fixed`` inches of the width (labels) do not shrink. Small images keep their natural size,
    so 28x28 and 64x64 grids are drawn as before, and 256x256 grids stay readable on a screen.
    """
    limit = MAX_FIGURE_PIXELS / plt.rcParams["figure.dpi"]
    if width <= limit:
        return width, height, False
    factor = (limit - fixed) / (width - fixed)
    return limit, height * factor, True


def image_grid(images: Tensor, nrow: int = 8, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """A batch (N, C, H, W), uint8 or [-1, 1] floats, as one (H', W', C) uint8 array.

    The pixels of ``torchvision.utils.make_grid`` (``nrow`` images a row, ``padding`` pixels of
    ``pad_value`` around each; one image alone is returned unpadded), without importing
    torchvision, and channels last with grey kept as one channel (make_grid repeats it into RGB).
    """
    if images.ndim != 4:
        raise ValueError(f"expected a batch (N, C, H, W), got shape {tuple(images.shape)}")
    u8 = images.detach().cpu() if images.dtype == torch.uint8 else to_uint8(images.cpu())
    n, c, h, w = u8.shape
    if n == 1:
        return u8[0].permute(1, 2, 0).numpy()
    columns = min(nrow, n)
    rows = -(-n // columns)
    grid = torch.full((rows * (h + padding) + padding, columns * (w + padding) + padding, c), pad_value,
                      dtype=torch.uint8)
    for k, image in enumerate(u8.permute(0, 2, 3, 1)):
        top, left = (k // columns) * (h + padding) + padding, (k % columns) * (w + padding) + padding
        grid[top:top + h, left:left + w] = image
    return grid.numpy()


def show_images(images: Tensor, nrow: int = 8, title: Optional[str] = None, ax=None, scale: float = 0.6,
                interpolation: str = "nearest"):
    """Draw a grid of images; returns the matplotlib figure.

    A new figure is at most ``MAX_FIGURE_PIXELS`` wide; a grid shrunk to fit is drawn antialiased.
    """
    grid = image_grid(images, nrow=nrow)
    if ax is None:
        h, w = grid.shape[:2]
        width, height, shrunk = fit_width(scale * w / 32, scale * h / 32)
        _, ax = plt.subplots(figsize=(width, height))
        interpolation = "antialiased" if shrunk else interpolation
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255,
              interpolation=interpolation)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax.figure


def show_image_rows(rows: Sequence[tuple[str, Tensor]], scale: float = 0.9, title: Optional[str] = None):
    """One labelled row of images per entry ``(label, images)``; grey images are shown in grey
    next to colour ones (chapter 04's one row per digit, chapter 05's input/target/output)."""
    if not rows:
        raise ValueError("no rows to show")
    n = max(len(images) for _, images in rows)
    h, w = rows[0][1].shape[-2:]
    width, height, shrunk = fit_width(scale * n * w / 32 + 1.2, scale * len(rows) * h / 32, fixed=1.2)
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, height + (0.4 if title else 0)), squeeze=False)
    for ax, (label, images) in zip(axes[:, 0], rows):
        images = images if images.shape[1] in (1, 3) else images[:, :3]
        if images.shape[1] == 1 and any(im.shape[1] == 3 for _, im in rows):
            images = images.expand(-1, 3, -1, -1)
        show_images(images, nrow=n, ax=ax, interpolation="antialiased" if shrunk else "nearest")
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_snapshots(snapshots: Sequence[tuple[int, Tensor]], n_columns: int = 6, n_images: int = 16, nrow: int = 4):
    """Samples of the fixed noise at several moments of training, left to right."""
    if not snapshots:
        raise ValueError("no snapshots: train with sample_every > 0")
    pick = np.unique(np.linspace(0, len(snapshots) - 1, min(n_columns, len(snapshots))).round().astype(int))
    fig, axes = plt.subplots(1, len(pick), figsize=(2.2 * len(pick), 2.5))
    for ax, i in zip(np.atleast_1d(axes), pick):
        step, images = snapshots[i]
        show_images(images[:n_images], nrow=nrow, ax=ax, title=tr("step_n", step=step))
    fig.tight_layout()
    return fig


def plot_history(history: dict[str, list[float]], panels: Iterable[Sequence[str]] = (("loss_d", "loss_g"), ("d_real", "d_fake")), titles: Optional[Sequence[str]] = None, labels: Optional[dict[str, str]] = None):
    """One panel per group of history keys, against the step; ``labels`` renames curves."""
    panels = [tuple(k for k in p if k in history) for p in panels]
    panels = [p for p in panels if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.2), squeeze=False)
    labels = {**{key: tr(key) for key in ("loss_d", "loss_g", "d_real", "d_fake", "grad_g")}, **(labels or {})}
    for i, (ax, keys) in enumerate(zip(axes[0], panels)):
        for key in keys:
            ax.plot(history["step"], history[key], label=labels.get(key, key))
        if set(keys) == {"d_real", "d_fake"}:
            ax.axhline(0.5, color="gray", lw=0.8, ls="--", label="D = 1/2")
            ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(tr("step"))
        ax.legend(frameon=False)
        if titles:
            ax.set_title(titles[i])
    fig.tight_layout()
    return fig


def plot_class_histogram(counts: Tensor, ax=None, title: Optional[str] = None):
    """Bar chart of how often each digit was generated, with the uniform level marked."""
    counts = counts.cpu().numpy()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 2.8))
    ax.bar(range(len(counts)), counts, color="tab:blue")
    ax.axhline(counts.sum() / len(counts), color="gray", ls="--", lw=0.8, label=tr("uniform"))
    ax.set_xticks(range(len(counts)))
    ax.set_xlabel(tr("digit_predicted"))
    ax.set_ylabel(tr("samples"))
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure


def plot_convolution_steps(image: Tensor, kernel: Tensor, output: Tensor, positions: Sequence[tuple[int, int]], stride: int = 1):
    """Chapter 01's picture of a kernel sliding over an image.

    One row per output position (i, j): the input with the kernel's window outlined, the
    kernel, and the feature map with the cell that window produces outlined.
    """
    from matplotlib.patches import Rectangle

    k = kernel.shape[0]
    fig, axes = plt.subplots(len(positions), 3, figsize=(9, 3 * len(positions)), gridspec_kw={"width_ratios": [image.shape[1], k + 2, output.shape[1]]}, squeeze=False)
    for row, (i, j) in enumerate(positions):
        panels = [(image, (j * stride, i * stride, k), "input"), (kernel, None, "kernel"), (output, (j, i, 1), "feature_map")]
        for ax, (array, box, key) in zip(axes[row], panels):
            ax.imshow(array.numpy(), cmap="gray" if key != "kernel" else "coolwarm")
            for (r, c), v in np.ndenumerate(array.numpy()):
                if array.numel() <= 64:
                    ax.text(c, r, f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}", ha="center", va="center", fontsize=8, color="tab:orange")
            if box is not None:
                x, y, size = box
                ax.add_patch(Rectangle((x - 0.5, y - 0.5), size, size, fill=False, ec="tab:red", lw=2.5))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(tr(key) + (tr("output_at", i=i, j=j) if key == "feature_map" else ""))
    fig.tight_layout()
    return fig


def plot_feature_maps(maps: Tensor, ncols: int = 8, title: Optional[str] = None, cmap: str = "viridis"):
    """Each channel of one (C, H, W) activation tensor as a small image."""
    maps = maps.detach().float().cpu()
    nrows = (maps.shape[0] + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.3 * nrows + (0.4 if title else 0)), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for c, ax in zip(range(maps.shape[0]), axes.flat):
        ax.imshow(maps[c].numpy(), cmap=cmap)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_row(images: Sequence[Tensor], titles: Optional[Sequence[str]] = None, height: float = 2.6, fontsize: int = 10):
    """Pictures of different sizes side by side, each as tall as the others.

    Each is an RGB image in [0, 1], (3, H, W) or (1, 3, H, W), or a mask (H, W) drawn in grey.
    """
    arrays = []
    for image in images:
        image = image.detach().float().cpu()
        image = image[0] if image.ndim == 4 else image
        arrays.append(image.numpy() if image.ndim == 2 else to_hwc(image.clamp(0, 1)))
    ratios = [a.shape[1] / a.shape[0] for a in arrays]
    fig, axes = plt.subplots(1, len(arrays), figsize=(height * sum(ratios) + 0.15 * len(arrays), height + (0.35 if titles else 0)),
                             gridspec_kw={"width_ratios": ratios}, squeeze=False)
    for i, (ax, array) in enumerate(zip(axes[0], arrays)):
        ax.imshow(array, cmap="gray" if array.ndim == 2 else None, vmin=0, vmax=1, interpolation="lanczos")
        ax.set_axis_off()
        if titles:
            ax.set_title(titles[i], fontsize=fontsize)
    fig.tight_layout()
    return fig


def interactive(build_widget: Callable[[], object], static: Callable[[], object]):
    """Show an ipywidgets control in a live notebook, or call ``static`` to draw a figure.

    The book build sets ``GANSRC_STATIC=1`` (a rendered page cannot run a slider), so the
    website gets the static figure; Jupyter and Colab get the widget. Returns what was shown.
    """
    if os.environ.get("GANSRC_STATIC") == "1":
        return static()
    try:
        from IPython.display import display

        widget = build_widget()
    except ImportError:  # ipywidgets missing: the static figure still teaches the point
        return static()
    display(widget)
    return widget


def figure_png(fig, dpi: int = 100) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed (nothing is left for Jupyter to show)."""
    from io import BytesIO

    buffer = BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def live_figure(controls: dict, draw: Callable[..., object]):
    """ipywidgets ``controls`` above a picture that ``draw(**values)`` (a matplotlib figure)
    redraws whenever one of them changes; an error in ``draw`` is shown below the picture.

    Returns the ``VBox``: its children are the row of controls, the ``Image`` and the error text.
    The picture is a PNG in an ``Image`` widget, so it works in ipywidgets 7 and 8 alike.
    """
    import html
    import traceback

    import ipywidgets as widgets

    image = widgets.Image(format="png")
    error = widgets.HTML("")

    def redraw(_=None) -> None:
        try:
            image.value = figure_png(draw(**{name: control.value for name, control in controls.items()}))
        except Exception:
            error.value = f"<pre>{html.escape(traceback.format_exc())}</pre>"
            raise
        error.value = ""

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
    return widgets.VBox([row, image, error])


def digit_picker(model, n: int = 16, digit: int = 7):
    """Chapter 04's digit picker: a digit and a noise seed, and ``n`` samples of that digit drawn
    from that seed. ``model`` is a conditional generator (``latent_dim``, ``num_classes``; a
    shipped one, for instance) or a conditional GAN trainer (its ``sample``)."""
    import ipywidgets as widgets

    sample = getattr(model, "sample", None) or _conditional_sampler(model)
    device = getattr(model, "device", None) or next(model.parameters()).device

    def draw(digit: int, seed: int):
        z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(seed)).to(device)
        images = sample(z=z, labels=torch.full((n,), digit))
        return show_images(images, nrow=n, title=tr("samples_of_digit", n=n, digit=digit))

    return live_figure({"digit": widgets.Dropdown(options=list(range(model.num_classes)), value=digit, description=tr("digit")),
                        "seed": widgets.IntSlider(value=0, min=0, max=100, description=tr("noise_seed"))}, draw)


def _conditional_sampler(generator) -> Callable[..., Tensor]:
    """``sample(z, labels)`` of a conditional generator: its images in eval mode, without gradients."""
    @torch.no_grad()
    def sample(z: Tensor, labels: Tensor) -> Tensor:
        was_training = generator.training
        generator.eval()
        try:
            return generator(z, labels.to(z.device)).float().cpu()
        finally:
            generator.train(was_training)

    return sample


def latent_sliders(generator, starts: Tensor, ends: Tensor, direction: Tensor, interpolate: Callable[[Tensor, Tensor, float], Tensor]):
    """Chapter 03's latent walk: a pair of codes ``(starts[i], ends[i])``, the position ``t``
    between them (``interpolate(a, b, t)``) and a multiple ``alpha`` of ``direction`` added;
    shows what ``generator`` draws there."""
    import ipywidgets as widgets

    @torch.no_grad()
    def draw(pair: int, t: float, alpha: float):
        image = generator(interpolate(starts[pair:pair + 1], ends[pair:pair + 1], t) + alpha * direction)
        return show_images(image, nrow=1, scale=3, title=tr("pair_n", pair=pair) + f", t = {t:.2f}, alpha = {alpha:+.2f}")

    return live_figure({"pair": widgets.IntSlider(value=0, min=0, max=len(starts) - 1, description=tr("pair")),
                        "t": widgets.FloatSlider(value=0.5, min=0, max=1, step=0.05, description="t"),
                        "alpha": widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.25, description="alpha")}, draw)


def snapshot_animation(snapshots: Sequence[tuple[int, Tensor]], n_images: int = 16, nrow: int = 4, scale: int = 2,
                       frame_ms: int = 500, caption: str = "step {step}") -> bytes:
    """The snapshots of the fixed noise as an animated PNG, one frame per snapshot (bytes).

    An animated PNG is an ordinary ``image/png`` output: browsers, Colab and the built site
    play it, and nbval (which does not compare images) treats it like any figure. Each frame
    is ``image_grid`` of the first ``n_images``, enlarged ``scale`` times, under ``caption``
    (formatted with the snapshot's ``step``). The last frame is held three times as long.
    """
    from io import BytesIO

    from PIL import Image, ImageDraw

    if not snapshots:
        raise ValueError("no snapshots: train with sample_every > 0")
    frames = []
    for step, images in snapshots:
        grid = image_grid(images[:n_images], nrow=nrow)
        picture = Image.fromarray(grid.squeeze(-1) if grid.shape[-1] == 1 else grid).convert("L" if grid.shape[-1] == 1 else "RGB")
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
        frame = Image.new(picture.mode, (picture.width, picture.height + 14), 255 if picture.mode == "L" else (255, 255, 255))
        frame.paste(picture, (0, 14))
        ImageDraw.Draw(frame).text((2, 1), caption.format(step=step), fill=0 if frame.mode == "L" else (0, 0, 0))
        frames.append(frame)
    out = BytesIO()
    durations = [frame_ms] * (len(frames) - 1) + [3 * frame_ms]
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()


def gan_diagram(noise: str = "noise z", generator: str = "generator G", fake: str = "fake G(z)",
                real: str = "real x (data)", discriminator: str = "discriminator D", output: str = "D(·): real or fake?",
                loss_d: str = "loss of D: real → 1, fake → 0", loss_g: str = "loss of G: fake → 1",
                update_d: str = "updates D", update_g: str = "updates G (through D)", figsize: tuple[float, float] = (9, 3.6)):
    """The GAN game as a block diagram: noise → G → fakes, and real images, into D; D's two losses.

    Every text is an argument, so a chapter can pass its own language's labels.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(0, 10)
    ax.set_ylim(0.3, 4)
    ax.set_axis_off()
    boxes = {  # name: (x, y, text, colour)
        "noise": (0.9, 3.2, noise, "#eeeeee"), "generator": (2.9, 3.2, generator, "#cfe2f3"),
        "fake": (4.9, 3.2, fake, "#fce5cd"), "real": (4.9, 0.8, real, "#d9ead3"),
        "discriminator": (6.9, 2.0, discriminator, "#f4cccc"), "output": (9.0, 2.0, output, "#eeeeee"),
    }
    for x, y, text, colour in boxes.values():
        ax.add_patch(FancyBboxPatch((x - 0.85, y - 0.3), 1.7, 0.6, boxstyle="round,pad=0.05", fc=colour, ec="0.3"))
        ax.text(x, y, text, ha="center", va="center", fontsize=9, wrap=True)

    def arrow(a, b, colour="0.2", style="-|>", dashed=False, rad=0.0):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=14, color=colour, lw=1.4,
                                     ls="--" if dashed else "-", connectionstyle=f"arc3,rad={rad}"))

    arrow((1.8, 3.2), (2.0, 3.2))
    arrow((3.8, 3.2), (4.0, 3.2))
    arrow((5.8, 3.1), (6.3, 2.35), colour="tab:orange")
    arrow((5.8, 0.9), (6.3, 1.65), colour="tab:green")
    arrow((7.8, 2.0), (8.1, 2.0))
    ax.text(9.0, 1.2, loss_d, ha="center", va="center", fontsize=8.5, color="tab:red")
    ax.text(9.0, 0.8, update_d, ha="center", va="center", fontsize=8, color="tab:red", style="italic")
    ax.text(9.0, 3.0, loss_g, ha="center", va="center", fontsize=8.5, color="tab:blue")
    ax.text(9.0, 3.4, update_g, ha="center", va="center", fontsize=8, color="tab:blue", style="italic")
    arrow((9.0, 2.35), (9.0, 2.85), colour="tab:blue")
    arrow((9.0, 1.65), (9.0, 1.35), colour="tab:red")
    arrow((8.0, 3.45), (2.9, 3.55), colour="tab:blue", dashed=True, rad=0.12)
    arrow((8.2, 0.75), (6.9, 1.65), colour="tab:red", dashed=True, rad=-0.25)
    fig.tight_layout()
    return fig
