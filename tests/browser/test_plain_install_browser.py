"""A plain install inserts cells: a fresh venv with only the wheel, JupyterLab and Notebook
(no `[lab]` extra) runs the quickstart's studio, and "Insert code" puts a cell below it.

The wheel is built with `python -m build` (as tests/test_packaging.py does); pip installs it
with `jupyterlab` and `notebook` from the package index into a new venv. Slow (a venv with
JupyterLab): marked `browser` and `packaging`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import _stop, start_server
from test_studio_browser import (
    cell_index,
    cell_source,
    cells,
    dismiss_popups,
    run_cell,
    wait_kernel_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.packaging, pytest.mark.timeout(1500)]

REPO = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], timeout: float = 900) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"


@pytest.fixture(scope="module")
def plain_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A venv holding the wheel, JupyterLab and Notebook, and nothing else we chose."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)])
    (wheel,) = out.glob("*.whl")
    venv = tmp_path_factory.mktemp("plain-venv")
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    python = str(venv / "bin" / "python")
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel),
          "jupyterlab", "notebook"], timeout=1200)
    return python


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_plain_install_inserts_a_cell_below_the_widget(plain_python: str, app: str,
                                                       tmp_path: Path, page: Any,
                                                       shots: Any) -> None:
    server, proc = start_server(app, tmp_path, python=plain_python)
    try:
        path = "/lab/tree/quickstart.ipynb" if app == "lab" else "/notebooks/quickstart.ipynb"
        page.goto(server.url(path), wait_until="domcontentloaded")
        first = page.locator(".jp-Notebook .jp-CodeCell").first
        first.wait_for(timeout=90_000)
        dismiss_popups(page)
        wait_kernel_idle(server, page, timeout=120)
        n_before = cells(page).count()
        run_cell(page, first)
        studio = first.locator(".sdw-studio")
        studio.locator('[data-testid="prompt"]').wait_for(timeout=90_000)
        studio.locator('[data-testid="prompt"]').fill("A plain install, a kite at dusk")
        studio.locator('[data-testid="insert-code"]').click()
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
            arg=n_before + 1, timeout=30_000)
        inserted = cells(page).nth(cell_index(page, ".sdw-studio") + 1)
        page.wait_for_function(
            "el => (el.querySelector('.cm-content') || {}).textContent?.includes('generate(')",
            arg=inserted.element_handle(), timeout=15_000)
        assert "A plain install, a kite at dusk" in cell_source(inserted)
        note = studio.locator('[data-testid="code-note"]').inner_text()
        assert "inserted in a new cell below" in note, note
        shots(f"inserted-{app}")
    finally:
        _stop(proc)
