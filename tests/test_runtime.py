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
