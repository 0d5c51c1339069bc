"""Shared fixtures: one fast simulator per test session, reached with a recognisable fake key."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import media
import pytest

from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

FAKE_API_KEY = "sk-test-SEEDANCE-FAKE-KEY-0123456789"


@pytest.fixture(scope="session")
def api_key() -> str:
    """A fake key that is easy to spot if it ever leaks into output, logs or saved state."""
    return FAKE_API_KEY


@pytest.fixture(scope="session")
def simulator(api_key: str) -> Iterator[SimulatorServer]:
    """A started simulator accepting only `api_key`, with fast timings.

    queue + process stays >= 0.8 s so the vendor's SSE snippet (which enqueues before it
    subscribes) still catches its event.
    """
    config = SimulatorConfig(queue_seconds=0.2, process_seconds=0.6, keepalive_seconds=0.5,
                             api_key=api_key)
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture(scope="session")
def sim_base_url(simulator: SimulatorServer) -> str:
    """`http://127.0.0.1:<port>/api`."""
    return simulator.base_url


@pytest.fixture(scope="session")
def small_mp4() -> bytes:
    """A real, whole MP4 (64x64, half a second) for downloads served by fake servers."""
    return media.small_mp4()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Headless Debian Chromium through Playwright, for pages opened from files (reports);
    closed when the module's tests are done. The JupyterLab tests have their own, in
    `browser/conftest.py`."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable is not None, "chromium is not installed (make test installs it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"])
        try:
            yield browser
        finally:
            browser.close()
