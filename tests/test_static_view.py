"""A saved notebook shows each studio's last state without a kernel: poster frames and
parameters, no video bytes, and stays small."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from notebook_runner import run_notebook

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


def test_saved_sweep_notebook_renders_a_static_snapshot(tmp_path, simulator, api_key):
    shutil.copy(NOTEBOOKS / "prompt_sweep.ipynb", tmp_path)
    notebook = nbformat.read(tmp_path / "prompt_sweep.ipynb", as_version=4)
    run_notebook(notebook, tmp_path, store_widget_state=True, OXEN_API_KEY=api_key,
                 OXEN_BASE_URL=simulator.base_url)
    saved = tmp_path / "saved.ipynb"
    nbformat.write(notebook, saved)
    assert saved.stat().st_size < 300_000, saved.stat().st_size

    html, _ = HTMLExporter().from_notebook_node(nbformat.read(saved, as_version=4))
    snapshot = html[html.index('class="sdw-static"'):]
    assert snapshot.count("data:image/jpeg;base64,") == 6
    for prompt in ("A red kite dancing over a windy beach",
                   "A paper lantern drifting on a dark lake"):
        assert prompt in snapshot
    for ratio in ("aspect_ratio=16:9", "aspect_ratio=1:1", "aspect_ratio=9:16"):
        assert ratio in snapshot
    assert snapshot.count("<b>succeeded</b>") == 6
    assert not re.search(r"video/mp4;base64|AAAAIGZ0eXBpc29t", html)  # no video bytes
    assert api_key not in html and api_key not in saved.read_text()
