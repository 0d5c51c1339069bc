"""Every notebook in notebooks/ executes headless (nbclient) against the simulator."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def execute(path: Path, workdir: Path) -> nbformat.NotebookNode:
    """Run a copy of `path` in `workdir` with no key set (the built-in simulator)."""
    copy = workdir / path.name
    shutil.copy(path, copy)
    notebook = nbformat.read(copy, as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in ("OXEN_API_KEY", "OXEN_BASE_URL")}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook


def text_of(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path: Path, tmp_path: Path):
    notebook = execute(path, tmp_path)
    errors = [o for c in notebook.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors


def test_quickstart_makes_a_video_and_exports_code(tmp_path: Path):
    notebook = execute(Path(__file__).parents[1] / "notebooks" / "quickstart.ipynb", tmp_path)
    output = text_of(notebook)
    assert "bytes" in output and ".mp4" in output
    assert list((tmp_path / "videos").glob("*.mp4"))
    assert "studio.generate(" in output and "httpx.Client" in output
    assert "Simulated" in output or "simulated" in output.lower()
