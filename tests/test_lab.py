"""Chapter 04's digit picker in JupyterLab itself, with live widgets: a real JupyterLab server
(headless, on 127.0.0.1, a free port and a token) and the headless Chromium of the site test.

The notebook is a copy of ``chapters/en/04_conditional_gan.ipynb`` in a temporary folder, cut
after the picker's cell (the cells after it are not needed to draw it, and a copy keeps
JupyterLab's autosave away from the committed notebook). Its kernel runs in smoke mode on the
CPU without ``GANSRC_STATIC``, so the cell shows the widget; the test runs every cell with
JupyterLab's "Run All Cells", picks another digit in the widget's dropdown and moves its noise
slider, and checks each time that the picture the kernel sends back is a new one. The server
is shut down and every process it started is gone afterwards. ``make site-test`` runs it.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "en" / "04_conditional_gan.ipynb"
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 directly, whatever *_proxy says
PICKER = "viz.digit_picker("  # the source of the picker's cell contains this
RUN_SECONDS = 480  # the cells up to the picker: ~25 s under nbval, 190-220 s in Lab on a 2-core machine at load 8
# The picture of the widget, read back as a data: URL (ipywidgets shows it as a blob: URL).
READ_PICTURE = """async img => {
    const blob = await (await fetch(img.src)).blob();
    return await new Promise(done => { const r = new FileReader(); r.onload = () => done(r.result); r.readAsDataURL(blob); });
}"""


# What JupyterLab's model of the open notebook says: each code cell's execution count, and
# the errors and stderr text in its outputs (read from the model, since cells scrolled out of
# view are not drawn).
NOTEBOOK_STATE = """() => {
    const cells = Array.from(window.jupyterapp.shell.currentWidget.content.model.cells).filter(c => c.type === 'code');
    const outputs = cells.flatMap(c => c.outputs.toJSON());
    return {counts: cells.map(c => c.executionCount),
            errors: outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`),
            stderr: outputs.filter(o => o.name === 'stderr').map(o => [].concat(o.text).join(''))};
}"""


def cut_after_picker(source: Path, target: Path) -> int:
    """Write ``source`` without the cells after the picker's, outputs cleared; returns the
    number of code cells kept."""
    nb = json.loads(source.read_text())
    at = next((i for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code" and PICKER in "".join(cell["source"])), None)
    assert at is not None, f"no cell of {source.name} calls {PICKER}...)"
    nb["cells"] = nb["cells"][:at + 1]
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    target.write_text(json.dumps(nb))
    return sum(cell["cell_type"] == "code" for cell in nb["cells"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_environment(home: Path) -> dict[str, str]:
    """The server's (and so the kernel's) environment: smoke mode on the CPU, live widgets and
    progress bars, this checkout's gansrc, and Jupyter's own files kept in ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in ("GANSRC_STATIC", "GANSRC_TEXT_PROGRESS", "MPLBACKEND", "JUPYTER_PATH")}
    env.update(GANSRC_SMOKE="1", GANSRC_DEVICE="cpu", GANSRC_RUNS=str(home / "runs"),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    return env


@pytest.fixture(scope="module")
def lab(tmp_path_factory, missing):
    """A JupyterLab server on the notebook folder; yields (base URL, token, notebook name, code cells)."""
    try:
        import jupyterlab  # noqa: F401
        import psutil
    except ImportError:
        missing("JupyterLab is not installed (it is in the lab and test extras: make install)")
    home = tmp_path_factory.mktemp("jupyterlab")
    notebooks = home / "notebooks"
    notebooks.mkdir()
    cells = cut_after_picker(CHAPTER, notebooks / CHAPTER.name)
    port, token = free_port(), secrets.token_hex(16)
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
         "--allow-root", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=notebooks, env=kernel_environment(home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                with LOCAL.open(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer in 90 s:\n{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token, CHAPTER.name, cells
    finally:
        children = psutil.Process(server.pid).children(recursive=True) if server.poll() is None else []  # the kernel
        stop(server, base, token, children)
        log.close()


def stop(server: subprocess.Popen, base: str, token: str, children) -> None:
    """Shut the server down through its API (it stops its kernels), then make sure that it and
    every process it started (kernels run in their own sessions) are gone."""
    import psutil

    try:
        LOCAL.open(urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST"), timeout=10)
    except OSError:
        pass
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    left = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for p in left:
        p.kill()
    psutil.wait_procs(left, timeout=10)
    assert not left, f"processes left running after JupyterLab stopped: {[p.pid for p in left]}"


def test_digit_picker_redraws_in_jupyterlab(lab, browser):
    base, token, name, cells = lab
    opened = time.monotonic()
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/lab/tree/{name}?token={token}", wait_until="load")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=90_000)
        started = time.monotonic()
        print(f"JupyterLab: the notebook opened in {started - opened:.1f} s")
        page.evaluate("""async () => {
            const panel = window.jupyterapp.shell.currentWidget;
            await panel.context.ready;
            await panel.sessionContext.ready;
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }""")
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        picture = panel.locator(".jp-OutputArea-output img.widget-image")
        digit = panel.locator(".widget-dropdown select")
        try:
            picture.wait_for(state="visible", timeout=RUN_SECONDS * 1000)
        except Exception:
            pytest.fail(f"no picker after {RUN_SECONDS} s; the notebook: {page.evaluate(NOTEBOOK_STATE)}")
        seconds = time.monotonic() - started
        page.wait_for_function(f"() => ({NOTEBOOK_STATE})().counts.every(c => c !== null)", timeout=30_000)
        state = page.evaluate(NOTEBOOK_STATE)
        assert not state["errors"], state
        assert state["counts"] == list(range(1, cells + 1)), f"not every cell ran, in order, once: {state}"
        assert digit.input_value() == "7"
        first = read_picture(picture)

        digit.select_option("3")
        second = wait_for_new_picture(page, picture, first, "choosing the digit 3")
        slider = panel.locator(".widget-slider .noUi-handle")  # ipywidgets 8's noUiSlider
        slider.focus()
        slider.press("ArrowRight")
        third = wait_for_new_picture(page, picture, second, "moving the noise seed")
        assert third != first
        assert panel.locator(".widget-readout").first.inner_text().strip() == "1"  # the seed is now 1
        assert not panel.locator(".widget-html pre").count(), "the picker showed an error"
        state = page.evaluate(NOTEBOOK_STATE)
        assert not state["errors"] and not errors, (state, errors)
        print(f"JupyterLab: the {cells} cells up to the picker ran in {seconds:.1f} s; stderr: {state['stderr']}")
    finally:
        page.close()


def read_picture(picture) -> str:
    """The PNG the widget shows, as a data: URL (checked to be a PNG)."""
    picture.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle(), timeout=10_000)
    url = picture.evaluate(READ_PICTURE)
    assert base64.b64decode(url.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n", url[:80]
    return url


def wait_for_new_picture(page, picture, before: str, what: str) -> str:
    """The widget's picture once it differs from ``before``; fails if it does not within 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = read_picture(picture)
        if now != before:
            return now
        page.wait_for_timeout(250)
    pytest.fail(f"the picture did not change after {what}")
