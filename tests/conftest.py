"""Fixtures for the unit tests, and the headless Chromium of the browser tests."""
from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest
import torch

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


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


def _missing(reason: str):
    if os.environ.get("GANSRC_SITE_TEST") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def missing():
    """``missing(reason)`` skips a browser test whose tools or site are missing, or fails it
    under `make site-test` (GANSRC_SITE_TEST=1), where nothing may be skipped."""
    return _missing


@pytest.fixture(scope="module")
def browser(tmp_path_factory, missing):
    """A Chromium context (Debian's package, driven by Playwright) with a fresh profile; requests
    leaving 127.0.0.1 are refused at once (the site and JupyterLab need nothing from outside)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (it is in the test extra: make install)")
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing: `make site-test` installs Debian's chromium package")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900},
        )
        context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
        yield context
        context.close()
