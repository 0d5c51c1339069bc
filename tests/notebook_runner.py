"""Running a notebook headless (nbclient) with a chosen OXEN_* environment for its kernel."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run_notebook(notebook: nbformat.NotebookNode, workdir: Path, *,
                 store_widget_state: bool = False, **oxen_env: str) -> nbformat.NotebookNode:
    """Execute `notebook` in `workdir`; its kernel sees no OXEN_* variables but `oxen_env`
    (none given: the built-in simulator)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OXEN_API_KEY", "OXEN_BASE_URL")}
    env.update(oxen_env)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            store_widget_state=store_widget_state,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute(env=env)
    return notebook
