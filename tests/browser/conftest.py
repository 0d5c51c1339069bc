"""Real JupyterLab / Notebook 7 servers and a headless Chromium for the browser tests.

Each server runs from this venv on a free loopback port with a random token, in a temporary
copy of `notebooks/`, with its own config, runtime and IPython dirs (the venv's data dirs stay
on the path, so the anywidget / ipywidgets / ipylab lab extensions are found) and without
OXEN_API_KEY / OXEN_BASE_URL, so the kernel uses the built-in simulator.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT = 90.0


@dataclass(frozen=True)
class JupyterServer:
    """A running Jupyter server: where it is and how to reach it."""

    app: str
    base_url: str
    token: str
    root: Path
    log: Path

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def api(self, path: str) -> object:
        with urllib.request.urlopen(self.url(path), timeout=10) as reply:
            return json.loads(reply.read())

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(config_dir: Path) -> None:
    """Light theme, and no news / update toasts over the notebook."""
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab"
    files = {
        "apputils-extension/themes.jupyterlab-settings": {"theme": "JupyterLab Light"},
        "apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
            "doNotDisturbMode": False,
        },
        # Every cell in the DOM, so the tests can find the inserted cell without scrolling.
        "notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, content in files.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))


def _clean_env(tmp: Path, python: str = sys.executable) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"OXEN_API_KEY", "OXEN_BASE_URL", "JUPYTER_PATH", "JUPYTER_DATA_DIR",
                        "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH"}}
    dirs = {
        "JUPYTER_CONFIG_DIR": tmp / "jupyter-config",
        "JUPYTER_RUNTIME_DIR": tmp / "jupyter-runtime",
        "JUPYTER_DATA_DIR": tmp / "jupyter-data",
        "IPYTHONDIR": tmp / "ipython",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    _write_settings(dirs["JUPYTER_CONFIG_DIR"])
    venv_bin = str(Path(python).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("VIRTUAL_ENV", None)
    return env


def _wait_until_up(server: JupyterServer, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter {server.app} exited early:\n{server.log_tail()}")
        try:
            server.api("/api/status")
            return
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.3)
    raise RuntimeError(f"jupyter {server.app} did not answer /api/status:\n{server.log_tail()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def start_server(app: str, tmp: Path, extra_env: dict[str, str] | None = None,
                 python: str = sys.executable) -> tuple[JupyterServer, subprocess.Popen[bytes]]:
    """Start `jupyter lab` or `jupyter notebook` (of `python`'s environment) in a copy of
    notebooks/ and wait for it (its kernels see `extra_env` too, e.g. OXEN_* pointing at a
    simulator of the test's)."""
    root = tmp / "root"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints",
                                                                   "videos", "*.mp4"))
    port = _free_port()
    token = secrets.token_hex(16)
    log = tmp / f"jupyter-{app}.log"
    cmd = [
        python, "-m", "jupyter", app,
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
    ]
    if app == "lab":
        cmd.append("--LabApp.extension_manager=readonly")  # no PyPI look-ups
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=root,
                                env={**_clean_env(tmp, python), **(extra_env or {})},
                                stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server = JupyterServer(app=app, base_url=f"http://127.0.0.1:{port}", token=token,
                           root=root, log=log)
    try:
        _wait_until_up(server, proc)
    except BaseException:
        _stop(proc)
        raise
    return server, proc


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[JupyterServer]:
    server, proc = start_server("lab", tmp_path)
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture
def notebook_server(tmp_path: Path) -> Iterator[JupyterServer]:
    server, proc = start_server("notebook", tmp_path)
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is not installed (make test installs it)")
        pytest.skip(f"{CHROMIUM} is not installed")
    # Module scope: the sync API keeps an event loop running in this thread until it stops,
    # which would break every asyncio test collected after this module.
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light",  # type: ignore[attr-defined]
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.console_log = console  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        log_dir = ARTIFACTS / request.node.name
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / "console.log").write_text("\n".join(console))
        context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, page: object):
    """`shots("step")` saves test-artifacts/browser/<test>/NN-step.png."""
    folder = ARTIFACTS / request.node.name
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(step: str, **kwargs: object) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), **kwargs)  # type: ignore[attr-defined]
        return path

    return take
