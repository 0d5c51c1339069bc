"""Putting code into the notebook: a new cell below the widget, or the next input.

In JupyterLab 4 and Notebook 7 the cell is inserted through ipylab (a core dependency: its
wheel ships its prebuilt front-end extension, which can run JupyterLab commands, which a
plain anywidget cannot). Where no JupyterLab front end answers (VS Code, Colab, marimo) the
widget says why and offers Copy, and `Studio.insert_code()` run from a cell uses IPython's
`set_next_input` (VS Code and Colab put the code in the next cell).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

__all__ = ["CellInserter", "host_name"]

log = logging.getLogger(__name__)

INSERT_CODE_HINT = "run `studio.insert_code()` in a cell to get it as the next cell"


def host_name() -> str:
    """The notebook front end the kernel can tell it runs under: "marimo" or "jupyter"."""
    marimo = sys.modules.get("marimo")
    try:
        if marimo is not None and marimo.running_in_notebook():
            return "marimo"
    except Exception:  # an old or partial marimo: not one we can tell
        pass
    return "jupyter"


class CellInserter:
    """Inserts code cells where the front end allows it, and says why not elsewhere."""

    def __init__(self) -> None:
        self._app = _ipylab_frontend()

    @property
    def available(self) -> bool:
        """Whether a JupyterLab-based front end answered ipylab (so commands will run)."""
        return self._app is not None and bool(getattr(self._app, "version", ""))

    def insert_below(self, code: str) -> bool:
        """Insert `code` as a new cell below the active one (the widget's, after a click)."""
        if not self.available:
            return False
        self._app.commands.execute("notebook:insert-cell-below")
        self._app.commands.execute("notebook:replace-selection", {"text": code})
        return True

    def why_not(self) -> str:
        """One sentence for the widget: why no cell was inserted, and what to do instead."""
        if host_name() == "marimo":
            return "marimo does not let a widget add cells: copy the code into a new cell"
        if self._app is None:
            return ("cells can be inserted only in JupyterLab 4 and Notebook 7 (ipylab is "
                    f"not installed): copy it, or {INSERT_CODE_HINT}")
        return ("this front end did not answer ipylab (JupyterLab 4 and Notebook 7 do; VS "
                f"Code and Colab cannot insert cells from a widget): copy it, or "
                f"{INSERT_CODE_HINT}")

    @staticmethod
    def set_next_input(code: str) -> None:
        """Queue `code` as the next cell; takes effect when the running cell finishes."""
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("insert_code() needs IPython (JupyterLab, Notebook, VS Code, "
                               "Colab); elsewhere use to_code() and paste it")
        shell.set_next_input(code, replace=False)


def _ipylab_frontend() -> Any:
    try:
        from ipylab import JupyterFrontEnd
    except ImportError:
        return None
    try:
        return JupyterFrontEnd()
    except Exception as exc:  # no kernel comm (plain Python): no front end to drive
        log.debug("ipylab unavailable: %s", exc)
        return None
