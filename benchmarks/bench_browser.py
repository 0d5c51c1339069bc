"""#5 Browser: from a job card turning `succeeded` to its `<video>` being playable.

Starts JupyterLab (this venv, a free port in 18900-18999, a random token, a temporary root
holding one notebook whose only cell is `Studio()`, its own config/runtime/IPython dirs and
no OXEN_* variables, so the kernel uses the built-in simulator with real renders), drives
headless Debian Chromium through Playwright, and generates `JOBS` 720p 16:9 15 s clips with
audio through the widget's own controls (`data-testid` hooks of docs/widget-protocol.md).

In the page, a MutationObserver stamps `performance.now()` when a card's `data-status`
becomes `succeeded`, when its poster's play button appears (and presses it at once, as a
person waiting for the take would: video bytes travel only when a take is played), and when
its `job-video` element appears; a capturing `canplay` listener stamps when that video
reaches readyState ≥ 3. The figure is canplay − succeeded.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from _common import PYTHON, Row, at_most, bench_main, info, missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
PORTS = range(18900, 19000)
JOBS = 3
CHOICES = {"resolution": "720p", "duration": "15", "aspect_ratio": "16:9"}
NOTEBOOK = "bench.ipynb"
JOB_TIMEOUT_MS = 240_000
TARGET_MS = 1000.0

RECORDER = """
() => {
  if (window.__bench) return;
  const marks = (window.__bench = {succeeded: {}, played: {}, attached: {}, canplay: {},
                                   ready: {}});
  const stamp = (kind, id) => {
    if (id && !(id in marks[kind])) marks[kind][id] = performance.now();
  };
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    const cards = node.matches('[data-testid="job"]') ? [node] : [];
    cards.push(...node.querySelectorAll('[data-testid="job"]'));
    for (const card of cards) {
      if (card.dataset.status === "succeeded") stamp("succeeded", card.dataset.jobId);
      const play = card.querySelector('[data-testid="job-play"]');
      if (play && !(card.dataset.jobId in marks.played) && !play.getAttribute("aria-busy")) {
        stamp("played", card.dataset.jobId);
        play.click();
      }
    }
    const videos = node.matches('video[data-testid="job-video"]') ? [node] : [];
    videos.push(...node.querySelectorAll('video[data-testid="job-video"]'));
    for (const v of videos) {
      const card = v.closest('[data-testid="job"]');
      stamp("attached", card ? card.dataset.jobId : v.dataset.jobId);
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") scan(r.target);
      else {
        r.addedNodes.forEach(scan);
        const card = r.target.closest && r.target.closest('[data-testid="job"]');
        if (card) scan(card);
      }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ["data-status"]});
  document.addEventListener("canplay", (event) => {
    const v = event.target;
    if (!(v instanceof HTMLVideoElement) || v.dataset.testid !== "job-video") return;
    const card = v.closest('[data-testid="job"]');
    const id = card ? card.dataset.jobId : v.dataset.jobId;
    stamp("canplay", id);
    if (!(id in marks.ready)) marks.ready[id] = v.readyState;
  }, true);
  scan(document.body);
}
"""


def _free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18900-18999")


def _notebook(root: Path) -> None:
    cell = {"cell_type": "code", "execution_count": None, "id": "bench-studio", "metadata": {},
            "outputs": [], "source": ["from seedance_widgets import Studio\n",
                                      "studio = Studio()\n", "studio"]}
    nb = {"cells": [cell], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}}}
    (root / NOTEBOOK).write_text(json.dumps(nb))


def _env(tmp: Path) -> dict[str, str]:
    """No OXEN_* (the simulator), private Jupyter dirs, quiet JupyterLab settings."""
    env = {k: v for k, v in os.environ.items() if k not in {
        "OXEN_API_KEY", "OXEN_BASE_URL", "JUPYTER_PATH", "JUPYTER_DATA_DIR",
        "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH", "VIRTUAL_ENV"}}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        path = tmp / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    settings = Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings" / "@jupyterlab"
    for name, content in {
        "apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false", "checkForUpdates": False},
        "notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(content))
    env["PATH"] = str(Path(PYTHON).parent) + os.pathsep + env.get("PATH", "")
    return env


class Lab:
    """`jupyter lab` in a child process (its own session), stopped with SIGTERM."""

    def __init__(self, tmp: Path):
        self.root = tmp / "root"
        self.root.mkdir()
        _notebook(self.root)
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log = tmp / "jupyter.log"
        cmd = [PYTHON, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=_env(tmp), stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(self.url(path), timeout=10) as reply:
            return json.loads(reply.read())

    def wait_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited:\n{self.log.read_text()[-3000:]}")
            try:
                self.api("/api/status")
                return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.3)
        raise RuntimeError("jupyter lab did not start")

    def kernel_idle(self) -> bool:
        sessions = self.api("/api/sessions")
        mine = [s for s in sessions if str(s.get("path", "")).endswith(NOTEBOOK)]
        return bool(mine and mine[0].get("kernel")
                    and mine[0]["kernel"].get("execution_state") == "idle")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _dismiss_dialogs(page: Any) -> None:
    for dialog in page.locator(".jp-Dialog").all():
        if dialog.is_visible():
            accept = dialog.locator(".jp-Dialog-button.jp-mod-accept")
            if "kernel" in dialog.inner_text().lower() and accept.count():
                accept.first.click()
            else:
                page.keyboard.press("Escape")


def _open_studio(lab: Lab, page: Any) -> Any:
    page.goto(lab.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded")
    cell = page.locator(".jp-Notebook .jp-CodeCell").first
    cell.wait_for(timeout=90_000)
    deadline = time.monotonic() + 90
    while not lab.kernel_idle():
        if time.monotonic() > deadline:
            raise RuntimeError("the kernel did not become idle")
        _dismiss_dialogs(page)
        time.sleep(0.3)
    _dismiss_dialogs(page)
    cell.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Shift+Enter")
    studio = cell.locator(".sdw-studio")
    studio.locator('[data-testid="prompt"]').wait_for(timeout=90_000)
    page.evaluate(RECORDER)
    return studio


def _fill_form(studio: Any, prompt: str) -> None:
    box = studio.locator('[data-testid="prompt"]')
    box.click()
    box.fill(prompt)
    for name, value in CHOICES.items():
        option = studio.locator(f'[data-testid="field-{name}"] [data-value="{value}"]')
        if option.get_attribute("aria-pressed") != "true":
            option.click()
    audio = studio.locator('[data-testid="field-generate_audio"] [data-value]')
    if not audio.is_visible():
        studio.locator('[data-testid="more-toggle"]').click()
    if audio.get_attribute("data-value") != "true":
        audio.click()


def _one_job(page: Any, studio: Any, index: int) -> dict[str, float]:
    before = set(studio.locator('[data-testid="job"]').evaluate_all(
        "cards => cards.map(c => c.dataset.jobId)"))
    _fill_form(studio, f"Benchmark clip {index}: a paper lantern drifting over a night river")
    studio.locator('[data-testid="generate"]').click()
    page.wait_for_function(
        "(known) => Array.from(document.querySelectorAll('[data-testid=\"job\"]'))"
        ".some(c => !known.includes(c.dataset.jobId))", arg=sorted(before), timeout=30_000)
    job_id = studio.locator('[data-testid="job"]').evaluate_all(
        "(cards, known) => cards.map(c => c.dataset.jobId).find(id => !known.includes(id))",
        sorted(before))
    page.wait_for_function(
        "(id) => { const m = window.__bench; const card = document.querySelector("
        "`[data-testid=\"job\"][data-job-id=\"${id}\"]`);"
        " return (id in m.canplay) || (card && ['failed', 'error', 'cancelled']"
        ".includes(card.dataset.status)); }", arg=job_id, timeout=JOB_TIMEOUT_MS)
    marks = page.evaluate(
        "(id) => ({succeeded: window.__bench.succeeded[id], played: window.__bench.played[id],"
        " attached: window.__bench.attached[id],"
        " canplay: window.__bench.canplay[id], ready: window.__bench.ready[id],"
        " status: document.querySelector(`[data-testid=\"job\"][data-job-id=\"${id}\"]`)"
        ".dataset.status, params: document.querySelector("
        "`[data-testid=\"job\"][data-job-id=\"${id}\"]`).dataset.params || ''})", job_id)
    if marks["status"] != "succeeded" or marks.get("canplay") is None:
        raise RuntimeError(f"job {job_id} ended {marks['status']}")
    return marks


def _measure() -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        lab = Lab(Path(tmp))
        try:
            lab.wait_up()
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
                try:
                    page = browser.new_context(viewport={"width": 1400, "height": 1000}
                                               ).new_page()
                    page.set_default_timeout(60_000)
                    studio = _open_studio(lab, page)
                    return [_one_job(page, studio, i) for i in range(JOBS)]
                finally:
                    browser.close()
        finally:
            lab.stop()


def run() -> list[Row]:
    """Generate the clips in JupyterLab and return the rows for the table."""
    name = (f"5a. job succeeded → <video> playable (play pressed at once), 720p 15 s + audio"
            f" (max of {JOBS})")
    target = f"≤ {TARGET_MS:,.0f} ms"
    if not Path(CHROMIUM).exists():
        return [missing(name, target, f"{CHROMIUM} is not installed")]
    try:
        jobs = _measure()
    except ImportError as exc:
        return [missing(name, target, f"playwright is missing ({exc})")]
    total = [j["canplay"] - j["succeeded"] for j in jobs]
    poster = [j["played"] - j["succeeded"] for j in jobs]
    bytes_in = [j["attached"] - j["played"] for j in jobs]
    decode = [j["canplay"] - j["attached"] for j in jobs]
    for i, job in enumerate(jobs):
        print(f"  job {i + 1}: succeeded → play {poster[i]:.0f} ms, → video element "
              f"{poster[i] + bytes_in[i]:.0f} ms, → canplay {total[i]:.0f} ms "
              f"(readyState {job['ready']}); {job['params']}")
    return [
        at_most(name, max(total), TARGET_MS, "ms", 0),
        info("5b. of which: kernel download + poster / play → bytes in the page / <video> "
             "to canplay",
             f"{statistics.median(poster):.0f} / {statistics.median(bytes_in):.0f} / "
             f"{statistics.median(decode):.0f} ms (medians; total median "
             f"{statistics.median(total):.0f} ms)"),
    ]


if __name__ == "__main__":
    bench_main(run, "#5 browser: job succeeded -> <video> playable in JupyterLab")
