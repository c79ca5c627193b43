"""Mixed precision on CUDA: bf16 where the GPU has it, fp16 with loss scaling otherwise.

On request (``amp=True``) also bf16 on CPUs whose oneDNN has native bf16 kernels (AVX512-BF16 or
AMX); it is never on by default there, so CPU results stay float32 unless asked for.
"""
from __future__ import annotations

import contextlib
from typing import Optional

import torch


def cpu_bf16_supported() -> bool:
    """True when oneDNN runs bf16 natively on this CPU (where CPU autocast pays off)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class Precision:
    """Autocast context plus the backward/step that goes with it.

    ``enabled=None`` turns mixed precision on for CUDA and off elsewhere. bf16 needs compute
    capability 8.0 (A100, H100, L4...); older GPUs such as Colab's T4 get fp16 with a
    ``GradScaler`` per optimiser. ``enabled=True`` on a CPU gives bf16 autocast when the CPU
    computes bf16 natively (``cpu_bf16_supported``), and float32 otherwise.
    """

    def __init__(self, device: torch.device, enabled: Optional[bool] = None) -> None:
        cuda = device.type == "cuda"
        self.device_type = device.type
        if enabled is None:
            self.enabled = cuda
        else:
            self.enabled = bool(enabled) and (cuda or (device.type == "cpu" and cpu_bf16_supported()))
        self.dtype = torch.float32
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        if self.enabled and cuda:
            major, _ = torch.cuda.get_device_capability(device)
            self.dtype = torch.bfloat16 if major >= 8 else torch.float16
        elif self.enabled:
            self.dtype = torch.bfloat16

    @property
    def uses_scaler(self) -> bool:
        return self.enabled and self.dtype == torch.float16

    def autocast(self):
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def step(self, name: str, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Backward ``loss`` and step ``optimizer`` (gradients must have been zeroed)."""
        if not self.uses_scaler:
            loss.backward()
            optimizer.step()
            return
        scaler = self.scalers.setdefault(name, torch.amp.GradScaler("cuda"))
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def state_dict(self) -> dict:
        return {name: s.state_dict() for name, s in self.scalers.items()}

    def load_state_dict(self, state: dict) -> None:
        for name, s in state.items():
            if self.uses_scaler:
                self.scalers.setdefault(name, torch.amp.GradScaler("cuda")).load_state_dict(s)
