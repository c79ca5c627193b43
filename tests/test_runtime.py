import pytest
import torch

import gansrc
from gansrc.runtime import pick_device, seed_everything, smoke_mode


def test_smoke_mode_parameter_beats_environment(monkeypatch):
    monkeypatch.setenv("GANSRC_SMOKE", "1")
    assert smoke_mode(None) is True
    assert smoke_mode(False) is False
    monkeypatch.setenv("GANSRC_SMOKE", "0")
    assert smoke_mode(None) is False
    assert smoke_mode(True) is True
    monkeypatch.delenv("GANSRC_SMOKE")
    assert smoke_mode(None) is False  # a reader who opens the notebook gets full mode


def test_smoke_mode_rejects_unclear_values(monkeypatch):
    monkeypatch.setenv("GANSRC_SMOKE", "maybe")
    with pytest.raises(ValueError, match="GANSRC_SMOKE"):
        smoke_mode(None)


def test_pick_device_honours_request_and_refuses_missing_cuda(monkeypatch):
    assert pick_device("cpu").type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        pick_device("cuda")
    monkeypatch.setenv("GANSRC_DEVICE", "cpu")
    assert pick_device().type == "cpu"


def test_seed_everything_makes_draws_repeat():
    seed_everything(3)
    a = torch.randn(5)
    g = seed_everything(3)
    assert torch.equal(a, torch.randn(5))
    assert torch.equal(torch.randn(2, generator=g), torch.randn(2, generator=torch.Generator().manual_seed(3)))


def test_start_chapter_prints_mode(capsys, monkeypatch):
    monkeypatch.setenv("GANSRC_DEVICE", "cpu")
    run = gansrc.start_chapter(smoke=True, seed=1)
    assert run.smoke and run.device.type == "cpu"
    assert "mode: smoke" in capsys.readouterr().out


def test_budget_parameter_environment_and_range(monkeypatch):
    monkeypatch.delenv("GANSRC_BUDGET", raising=False)
    assert gansrc.training_budget(None) == 1.0  # a reader gets the whole training
    monkeypatch.setenv("GANSRC_BUDGET", "0.01")
    assert gansrc.training_budget(None) == 0.01
    assert gansrc.training_budget(0.5) == 0.5   # the papermill parameter wins
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="outside"):
            gansrc.training_budget(bad)
    monkeypatch.setenv("GANSRC_BUDGET", "a little")
    with pytest.raises(ValueError, match="GANSRC_BUDGET"):
        gansrc.training_budget(None)


def test_budget_cuts_lengths_and_counts_with_floors():
    run = gansrc.ChapterRun(False, torch.device("cpu"), 0, budget=0.002)
    assert run.steps(30000) == 60
    assert run.steps(600) == 3                 # the default floor: every loop runs a few steps
    assert run.steps(8, floor=1) == 1
    assert run.steps(2, floor=5) == 2          # never more than the full length
    assert run.count(10000, floor=2000) == 2000
    whole = gansrc.ChapterRun(False, torch.device("cpu"), 0)
    assert whole.steps(30000) == 30000 and whole.count(10000, floor=2000) == 10000


def test_budget_applies_to_full_mode_only(capsys, monkeypatch):
    monkeypatch.setenv("GANSRC_DEVICE", "cpu")
    threads = torch.get_num_threads()
    try:
        assert gansrc.start_chapter(smoke=True, budget=0.01).budget == 1.0
        capsys.readouterr()
        run = gansrc.start_chapter(smoke=False, budget=0.01)
    finally:
        torch.set_num_threads(threads)
    assert run.budget == 0.01 and run.steps(1000) == 10
    assert "mode: full, budget 0.01" in capsys.readouterr().out
