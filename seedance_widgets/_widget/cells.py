"""Putting code into the notebook: a new cell below the widget, or the next input.

In JupyterLab 4 and Notebook 7 the cell is inserted through ipylab, whose front-end
extension ships in its wheel and can run JupyterLab commands (a plain anywidget cannot).
Elsewhere (VS Code, Colab) `set_next_input` from a running cell is the portable fallback,
and the widget always shows the code with a Copy button.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["CellInserter"]

log = logging.getLogger(__name__)


class CellInserter:
    """Inserts code cells where the front end allows it."""

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

    @staticmethod
    def set_next_input(code: str) -> None:
        """Queue `code` as the next cell; takes effect when the running cell finishes."""
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("insert_code() needs IPython; use to_code() elsewhere")
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
