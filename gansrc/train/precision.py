"""Mixed precision on CUDA: bf16 where the GPU has it, fp16 with loss scaling otherwise."""
from __future__ import annotations

import contextlib
from typing import Optional

import torch


class Precision:
    """Autocast context plus the backward/step that goes with it.

    ``enabled=None`` turns mixed precision on for CUDA and off elsewhere (CPU autocast does
    not pay for these small models). bf16 needs compute capability 8.0 (A100, H100, L4...);
    older GPUs such as Colab's T4 get fp16 with a ``GradScaler`` per optimiser.
    """

    def __init__(self, device: torch.device, enabled: Optional[bool] = None) -> None:
        cuda = device.type == "cuda"
        self.enabled = cuda if enabled is None else bool(enabled and cuda)
        self.dtype = torch.float32
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        if self.enabled:
            major, _ = torch.cuda.get_device_capability(device)
            self.dtype = torch.bfloat16 if major >= 8 else torch.float16

    @property
    def uses_scaler(self) -> bool:
        return self.enabled and self.dtype == torch.float16

    def autocast(self):
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=self.dtype)

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
