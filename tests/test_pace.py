"""Full mode on a CPU says how long a run will take, from steps it has timed (issue 13)."""
from __future__ import annotations

import itertools

import pytest
import torch

import gansrc
from gansrc.train import pace
from gansrc.train.pace import Pace, forecast


@pytest.fixture(autouse=True)
def _off_afterwards():
    yield
    pace.announce(None)


def ticking(seconds_per_call: float):
    counter = itertools.count()
    return lambda: next(counter) * seconds_per_call


def test_the_forecast_multiplies_the_measured_step_by_the_steps_to_go(capsys):
    pace.announce(1.0)
    p = Pace(torch.device("cpu"), target=20_000, clock=ticking(2.0))  # every step takes 2 s
    assert [p.tick(s) for s in (1, 2)] == [None, None]  # the first step is not timed; one is not enough
    line = p.tick(3)
    assert line.startswith("About 11.1 hours on this CPU: 2 s per step") and "19,997 steps to go" in line
    assert "SMOKE = True" in line and "BUDGET = 0.02" in line and "(this run: about 13 minutes)" in line
    assert p.tick(4) is None and capsys.readouterr().out == line + "\n"  # said once


def test_nothing_is_said_in_smoke_mode_on_a_gpu_or_for_a_short_run(capsys):
    pace.announce(None)  # smoke mode
    assert Pace(torch.device("cpu"), 20_000, clock=ticking(2.0)).tick(1) is None
    pace.announce(1.0)
    for device, target in ((torch.device("meta"), 20_000), (torch.device("cpu"), 100)):
        p = Pace(device, target, clock=ticking(2.0))
        assert [p.tick(s) for s in range(1, 6)] == [None] * 5
    assert capsys.readouterr().out == ""


def test_under_a_budget_the_suggestion_is_a_smaller_one():
    line = forecast(2.0, 1000, budget=0.5)  # 2,000 s at 50%: the whole run would be 4,000 s
    assert "BUDGET = 0.2 " in line and "about 13 minutes" in line  # the largest under half an hour
    assert "BUDGET = 0.001" in forecast(100.0, 10**6)  # however long, the smallest is offered


def test_start_chapter_switches_it_on_in_full_mode_only_and_fit_prints_it(capsys, monkeypatch):
    from tests.test_trainer import make_gan

    gansrc.start_chapter(smoke=True)
    assert pace._budget is None
    gansrc.start_chapter(smoke=False, budget=0.5)
    assert pace._budget == 0.5
    monkeypatch.setattr(pace, "QUIET_BELOW_S", 0.0)  # the tiny test run counts as long
    trainer = make_gan()
    trainer.fit(60, show_progress=False)
    out = capsys.readouterr().out
    assert out.count("on this CPU:") == 1 and "steps to go" in out
    assert trainer.step == 60
