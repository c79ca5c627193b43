"""FLOPs of one training step (``torch.utils.flop_counter``) and the peak of common GPUs."""
from __future__ import annotations

import re
from typing import Callable, Optional

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..text import tr

# Dense bf16 tensor-core peaks in TFLOP/s from the vendors' data sheets (without sparsity).
# The T4 has no bf16: its entry is the fp16 peak, which is what autocast uses there.
PEAK_TFLOPS: dict[str, float] = {
    "H100 SXM": 989.0,
    "H100 PCIe": 756.0,
    "H200": 989.0,
    "A100": 312.0,
    "L4": 121.0,
    "T4": 65.0,
}


def count_flops(step: Callable[[], object]) -> int:
    """Floating-point operations (forward and backward) PyTorch counts while ``step()`` runs."""
    with FlopCounterMode(display=False) as counter:
        step()
    return int(counter.get_total_flops())


def peak_key(device_name: str) -> Optional[str]:
    """The entry of ``PEAK_TFLOPS`` for a CUDA device name (e.g. "NVIDIA H100 80GB HBM3"), or None."""
    name = device_name.upper()
    if "H100" in name:
        return "H100 PCIe" if "PCIE" in name else "H100 SXM"
    for key in ("H200", "A100", "T4"):
        if key in name:
            return key
    if re.search(r"\bL4\b", name):  # not the L40
        return "L4"
    return None


def device_peak(device: torch.device) -> tuple[Optional[float], str]:
    """(peak FLOP/s, a note) for ``device``; None with the reason when there is no entry."""
    if device.type != "cuda":
        return None, tr("bench_no_peak_table", what="CPUs" if device.type == "cpu" else device.type.upper())
    name = torch.cuda.get_device_name(device)
    key = peak_key(name)
    if key is None:
        return None, tr("bench_no_peak_entry", name=name)
    return PEAK_TFLOPS[key] * 1e12, tr("bench_peak_of", gpu=key, tflops=PEAK_TFLOPS[key],
                                       precision="fp16" if key == "T4" else "bf16")
