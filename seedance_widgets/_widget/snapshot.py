"""A static snapshot of a Studio for viewers without a kernel (nbconvert HTML, GitHub).

The widget is displayed together with a plain HTML output (`display_id`-updated when the
last running job settles: each update is a whole output with its posters) showing each
job's parameters, status and a small JPEG poster frame. The live widget's CSS hides
`.sdw-static`, so a running notebook shows only the widget; a saved notebook opened without
a kernel shows the snapshot. No video bytes, no secrets.
"""

from __future__ import annotations

import base64
import contextvars
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .posters import poster_jpeg

if TYPE_CHECKING:
    from .._jobs.job import Job

__all__ = ["Snapshot", "poster_data_url"]

MAX_JOBS = 12
POSTER_WIDTH = 160


class Snapshot:
    """Keeps the static HTML beside one widget up to date."""

    def __init__(self, widget: Any):
        self._widget = widget
        self._handles: list[Any] = []
        self._posters: dict[str, str] = {}
        self._html: str | None = None

    def display(self, jobs: Sequence[Job]) -> None:
        from IPython.display import HTML, display

        data, metadata = self._widget._repr_mimebundle_()
        display(data, metadata=metadata, raw=True)
        self._html = self.render(jobs)
        self._handles.append(display(HTML(self._html), display_id=True))

    def refresh(self, jobs: Sequence[Job]) -> None:
        if not self._handles:
            return
        rendered = self.render(jobs)
        if rendered == self._html:
            return
        self._html = rendered
        # A job task keeps the context of the cell that started it, and ipykernel takes the
        # message's parent from that context. Publish from an empty context instead, so the
        # update goes out under the latest request, as headless runners (nbclient) expect.
        contextvars.Context().run(self._publish, rendered)

    def _publish(self, rendered: str) -> None:
        from IPython.display import HTML

        for handle in self._handles:
            handle.update(HTML(rendered))

    def render(self, jobs: Sequence[Job]) -> str:
        widget = self._widget
        cards = "".join(self._card(job) for job in list(jobs)[:MAX_JOBS])
        more = len(jobs) - MAX_JOBS
        extra = f"<p>… and {more} more</p>" if more > 0 else ""
        return (
            '<div class="sdw-static" style="font-family:sans-serif;font-size:13px">'
            f"<b>{html.escape(widget.model_display_name)}</b> · "
            f"{html.escape(widget.backend.get('label', ''))} · {len(jobs)} job(s) "
            "<i>(static snapshot; run the notebook for the live studio)</i>"
            f'<div style="display:flex;flex-wrap:wrap;gap:8px;margin-top:6px">{cards}</div>'
            f"{extra}</div>"
        )

    def _card(self, job: Job) -> str:
        poster = self._poster(job)
        image = (f'<img src="{poster}" width="{POSTER_WIDTH}" alt="poster frame">'
                 if poster else "")
        params = " · ".join(f"{k}={html.escape(str(v))}" for k, v in job.request.params.items()
                            if k != "prompt")
        error = f'<div style="color:#b00">{html.escape(job.error)}</div>' if job.error else ""
        return (
            f'<div style="border:1px solid #ccc;border-radius:6px;padding:6px;width:'
            f'{POSTER_WIDTH + 40}px">{image}'
            f"<div><b>{html.escape(str(job.status))}</b> take {job.take}</div>"
            f"<div>{html.escape(job.request.prompt)}</div>"
            f'<div style="color:#666">{params}</div>{error}</div>'
        )

    def _poster(self, job: Job) -> str | None:
        if job.video_path is None:
            return None
        if job.id not in self._posters:
            url = poster_data_url(job.video_path)
            if url is None:
                return None
            self._posters[job.id] = url
        return self._posters[job.id]

def poster_data_url(path: Path, width: int = POSTER_WIDTH) -> str | None:
    """A small JPEG of the video's first frame as a data URL, or None if it can't be read."""
    jpeg = poster_jpeg(path, box=width)
    if jpeg is None:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
