"""The studio in marimo (`mo.ui.anywidget`), dark theme: it renders, generates, shows the
poster, plays, says why it cannot insert a cell and copies the code; no text under 4.5:1.

`marimo edit --headless` runs on a free loopback port without a token, in a temporary folder
with its own config (dark theme) and no OXEN_* variables (the embedded simulator).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contrast import contrast_failures

pytestmark = pytest.mark.browser

APP = '''\
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    from seedance_widgets import Studio

    studio = Studio()
    widget = mo.ui.anywidget(studio)
    widget
    return


if __name__ == "__main__":
    app.run()
'''
PROMPT = "A lighthouse beam sweeping over a stormy sea"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def marimo_url(tmp_path: Path) -> Iterator[str]:
    marimo = shutil.which("marimo", path=str(Path(sys.executable).parent))
    if marimo is None:
        pytest.skip("marimo is not installed (pip install 'seedance-widgets[marimo]')")
    (tmp_path / "studio_app.py").write_text(APP)
    config = tmp_path / "xdg" / "marimo"
    config.mkdir(parents=True)
    (config / "marimo.toml").write_text('[display]\ntheme = "dark"\n\n[runtime]\n'
                                        'auto_instantiate = true\n')
    env = {k: v for k, v in os.environ.items()
           if k not in {"OXEN_API_KEY", "OXEN_BASE_URL", "VIRTUAL_ENV"}}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path),
               PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""))
    port = _free_port()
    log = (tmp_path / "marimo.log").open("wb")
    proc = subprocess.Popen(
        [marimo, "edit", "studio_app.py", "--headless", "--host", "127.0.0.1", "--port",
         str(port), "--no-token", "--skip-update-check"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"marimo exited:\n{(tmp_path / 'marimo.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/health", timeout=5).close()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail("marimo did not start")
                time.sleep(0.5)
        yield f"{url}/?file=studio_app.py"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()


def test_studio_in_marimo_dark(marimo_url: str, page: Any, shots: Any) -> None:
    page.goto(marimo_url, wait_until="domcontentloaded")
    studio = page.locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=120_000)
    assert studio.locator('[data-testid="simulated-badge"]').is_visible()
    shots("rendered")

    prompt = studio.locator('[data-testid="prompt"]')
    prompt.fill(PROMPT)
    options = studio.locator('[data-testid="form-options"]')
    if options.is_visible():  # marimo's column is narrow: the form shows prompt and Generate
        options.click()
    studio.locator('[data-testid="field-resolution"] [data-value="480p"]').click()
    studio.locator('[data-testid="field-duration"] [data-value="4"]').click()
    studio.locator('[data-testid="generate"]').click()
    card = studio.locator('[data-testid="job"]').first
    card.wait_for(timeout=30_000)
    page.wait_for_function("c => c.dataset.status === 'succeeded'",
                           arg=card.element_handle(), timeout=120_000)
    poster = card.locator('[data-testid="poster"]')
    poster.wait_for(timeout=30_000)
    page.wait_for_function("i => i.complete && i.naturalWidth > 0",
                           arg=poster.element_handle(), timeout=30_000)
    card.locator('[data-testid="job-play"]').click()
    video = card.locator('[data-testid="job-video"]')
    video.wait_for(timeout=30_000)
    page.wait_for_function("v => !v.paused && v.currentTime > 0.2 && v.duration > 3.5",
                           arg=video.element_handle(), timeout=30_000)
    shots("played")

    # Insert code: marimo has no way for a widget to add a cell; the note says so, and Copy
    # puts the code on the clipboard.
    studio.locator('[data-testid="insert-code"]').click()
    note = studio.locator('[data-testid="code-note"]')
    page.wait_for_function("n => n.textContent.includes('marimo')",
                           arg=note.element_handle(), timeout=30_000)
    assert "not inserted" in note.inner_text()
    code = studio.locator('[data-testid="export-code"]').inner_text()
    assert PROMPT in code and "generate(" in code
    studio.locator('[data-testid="copy-code"]').click()
    page.wait_for_function("b => b.textContent === 'Copied'",
                           arg=studio.locator('[data-testid="copy-code"]').element_handle(),
                           timeout=10_000)
    assert page.evaluate("navigator.clipboard.readText()") == code

    # Dark: the studio follows marimo's theme, and every text keeps 4.5:1.
    background = studio.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), background
    shots("dark")
    failures = contrast_failures(page, studio)
    assert failures == [], failures
