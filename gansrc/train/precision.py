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
    computes bf16 natively (``cpu_bf16_supported``), and float32 otherwise. ``dtype`` forces
    the autocast type on any device (float16 on a CPU runs the GradScaler path, slowly: for
    tests); ``init_scale`` is the GradScaler's first loss scale.
    """

    def __init__(self, device: torch.device, enabled: Optional[bool] = None, *,
                 dtype: Optional[torch.dtype] = None, init_scale: float = 2.0**16) -> None:
        cuda = device.type == "cuda"
        self.device_type = device.type
        self.init_scale = init_scale
        if enabled is None:
            self.enabled = cuda or dtype is not None
        else:
            self.enabled = bool(enabled) and (cuda or dtype is not None or (device.type == "cpu" and cpu_bf16_supported()))
        self.dtype = torch.float32
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        self.skipped_steps = 0  # optimiser steps the GradScaler skipped (their gradients overflowed)
        self._skipped_now = False
        self._scales: dict[str, float] = {}
        if self.enabled and dtype is not None:  # explicit, e.g. float16 on a CPU to test the GradScaler path
            self.dtype = dtype
        elif self.enabled and cuda:
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

    def _scaler(self, name: str) -> torch.amp.GradScaler:
        if name not in self.scalers:
            self.scalers[name] = torch.amp.GradScaler(self.device_type, init_scale=self.init_scale)
        return self.scalers[name]

    def step(self, name: str, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Backward ``loss`` and step ``optimizer`` (gradients must have been zeroed).

        With fp16 the gradients are unscaled before the step, so whatever reads them afterwards
        (a logged gradient norm) sees their true size. When they overflowed, the GradScaler
        skips the step and lowers its scale, by design; ``pop_skipped`` tells the trainer.
        """
        if not self.uses_scaler:
            loss.backward()
            optimizer.step()
            return
        scaler = self._scaler(name)
        before = self._scales[name] if name in self._scales else scaler.get_scale()  # kept: no extra wait for the GPU
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        scaler.step(optimizer)  # reads the inf/NaN check on the host (GradScaler's own synchronisation)
        scaler.update()
        self._scales[name] = scaler.get_scale()
        if self._scales[name] < before:  # the scale only falls when inf/NaN gradients made it skip the step
            self.skipped_steps += 1
            self._skipped_now = True

    def pop_skipped(self) -> Optional[bool]:
        """Whether a step was skipped since the last call; None when there is no GradScaler."""
        if not self.uses_scaler:
            return None
        skipped, self._skipped_now = self._skipped_now, False
        return skipped

    def state_dict(self) -> dict:
        return {name: s.state_dict() for name, s in self.scalers.items()}

    def load_state_dict(self, state: dict) -> None:
        self._scales = {}
        for name, s in state.items():
            if self.uses_scaler:
                self._scaler(name).load_state_dict(s)
