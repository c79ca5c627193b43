"""What a network does to a tensor, layer by layer: output shapes, parameters, multiply-adds.

Chapter 03 prints these tables for the DCGAN shapes; they are computed by running the model
once on an example batch with forward hooks, so they describe the code, not a drawing of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..text import tr


@dataclass
class LayerInfo:
    """One leaf layer: its index path in the model, type, output shape (without the batch),
    parameters and multiply-adds per example."""

    name: str
    kind: str
    shape: tuple[int, ...]
    params: int
    macs: int


def _macs(module: nn.Module, inp: Tensor, out: Tensor) -> int:
    """Multiply-adds per example of the layers that do the arithmetic (others count as 0)."""
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    if isinstance(module, nn.Conv2d):   # every output value sums C_in/groups * k_h * k_w products
        return out[0].numel() * (module.in_channels // module.groups) * module.kernel_size[0] * module.kernel_size[1]
    if isinstance(module, nn.ConvTranspose2d):   # every input value scatters C_out/groups * k_h * k_w products
        return inp[0].numel() * (module.out_channels // module.groups) * module.kernel_size[0] * module.kernel_size[1]
    return 0


@torch.no_grad()
def layer_info(model: nn.Module, example: Tensor) -> list[LayerInfo]:
    """Run ``model`` on ``example`` (eval mode, no gradients) and describe every leaf layer."""
    rows: list[LayerInfo] = []
    hooks = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue

        def hook(mod, args, out, name=name):
            rows.append(LayerInfo(name, type(mod).__name__, tuple(out.shape[1:]), sum(p.numel() for p in mod.parameters()), _macs(mod, args[0], out)))

        hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        model(example)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return rows


def layer_table(model: nn.Module, example: Tensor) -> str:
    """``layer_info`` as a fixed-width table with a total line."""
    rows = layer_info(model, example)
    head = [tr(key) for key in ("layer", "type", "output_shape", "parameters")]
    lines = [f"{head[0]:<6} {head[1]:<16} {head[2]:<16} {head[3]:>11}"]
    for r in rows:
        lines.append(f"{r.name.split('.')[-1]:<6} {r.kind:<16} {'x'.join(map(str, r.shape)):<16} {r.params:>11,}")
    lines.append(f"{tr('total'):<6} {'':<16} {'':<16} {sum(r.params for r in rows):>11,}")
    return "\n".join(lines)


def multiply_adds(model: nn.Module, example: Tensor) -> int:
    """Multiply-adds of one forward pass per example (linear and convolution layers)."""
    return sum(r.macs for r in layer_info(model, example))
