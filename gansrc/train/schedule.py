"""Learning-rate schedules (chapter 06)."""
from __future__ import annotations

from typing import Callable


def constant_then_linear_decay(constant_steps: int, decay_steps: int) -> Callable[[int], float]:
    """The factor CycleGAN multiplies its learning rate by: 1 for ``constant_steps`` steps, then
    a straight line down to 0 over ``decay_steps`` (100 + 100 epochs in the paper).

    Use it as ``torch.optim.lr_scheduler.LambdaLR(optimizer, constant_then_linear_decay(a, b))``,
    stepping the scheduler once per training step.
    """
    if constant_steps < 0 or decay_steps < 0:
        raise ValueError(f"constant_steps and decay_steps must be 0 or more, not {constant_steps} and {decay_steps}.")

    def factor(step: int) -> float:
        if step < constant_steps:
            return 1.0
        if decay_steps == 0:
            return 0.0
        return max(0.0, 1.0 - (step - constant_steps) / decay_steps)

    return factor
