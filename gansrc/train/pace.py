"""How long a full-mode run will take on a CPU, said in its first seconds (measured, not guessed).

``start_chapter`` switches it on in full mode (``announce``). A trainer's ``fit`` on a CPU then
times a few real steps after the first (which also allocates the optimiser's state), multiplies
by the steps still to go and, when that is more than a few minutes, says so once, with the two
ways to a shorter run: smoke mode, or a budget.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

import torch

from ..text import tr

_budget: Optional[float] = None  # None: off (smoke mode, tests); else the budget the chapter runs at
BUDGETS = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
QUIET_BELOW_S = 300.0  # runs shorter than five minutes say nothing
TARGET_S = 1800.0      # the budget suggested is the largest that runs in half an hour


def announce(budget: Optional[float]) -> None:
    """Switch the forecast on (full mode, running at ``budget``) or off (None)."""
    global _budget
    _budget = budget


def duration(seconds: float) -> str:
    """``seconds`` in words a reader plans with: "40 minutes", "3.5 hours", "2 days"."""
    if seconds < 5400:
        return tr("minutes", n=max(1, round(seconds / 60)))
    if seconds < 48 * 3600:
        return tr("hours", n=seconds / 3600)
    return tr("days", n=seconds / 86400)


def forecast(seconds_per_step: float, steps_left: int, budget: float = 1.0) -> str:
    """The line a long run prints: its time on this CPU and how to choose smoke mode or a budget."""
    eta = seconds_per_step * steps_left
    per_budget = eta / budget  # the time the whole run (budget 1) would take
    suggested = next((b for b in BUDGETS if b < budget and per_budget * b <= TARGET_S), BUDGETS[-1])
    return tr("forecast", eta=duration(eta), per_step=seconds_per_step, steps=steps_left, budget=suggested,
              budget_eta=duration(per_budget * suggested))


class Pace:
    """Times the steps of one ``fit`` and prints ``forecast`` once, when it has enough to go on."""

    def __init__(self, device: torch.device, target: int, clock: Callable[[], float] = time.perf_counter,
                 min_steps: int = 2, min_seconds: float = 1.0) -> None:
        self.active = _budget is not None and device.type == "cpu"
        self.budget = _budget or 1.0
        self.target, self.clock = target, clock
        self.min_steps, self.min_seconds = min_steps, min_seconds
        self.start: Optional[tuple[int, float]] = None

    def tick(self, step: int) -> Optional[str]:
        """Call after each step; returns the line when it prints it."""
        if not self.active:
            return None
        now = self.clock()
        if self.start is None:  # the end of the first step: timing starts here
            self.start = (step, now)
            return None
        done, elapsed = step - self.start[0], now - self.start[1]
        if done < self.min_steps or (elapsed < self.min_seconds and done < 20 * self.min_steps):
            return None
        self.active = False
        per_step, left = elapsed / done, self.target - step
        if per_step * left < QUIET_BELOW_S:
            return None
        line = forecast(per_step, left, self.budget)
        print(line, flush=True)
        return line
