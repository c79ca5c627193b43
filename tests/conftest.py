"""Fixtures for the unit tests."""
from __future__ import annotations

import socket

import pytest
import torch


@pytest.fixture
def no_network(monkeypatch):
    """Make every socket connection fail, as on a machine without network."""

    def refuse(*args, **kwargs):
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(autouse=True)
def _fixed_threads():
    """One PyTorch thread per test, as in smoke mode: the networks here are tiny, and on a busy
    2-core machine two threads spend more time waiting for each other than computing."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
