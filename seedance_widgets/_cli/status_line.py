"""A live status line: redrawn in place on a terminal, one line per change otherwise."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from .._contract.states import Submitting, Succeeded
from .._jobs.job import Job
from ..errors import safe_text

__all__ = ["StatusLine"]


class StatusLine:
    """Shows `[  12.3s] processing  <generation id>`, with the elapsed time ticking."""

    def __init__(self, stream: TextIO, tick: float = 0.5):
        self._stream = stream
        self._live = stream.isatty()
        self._tick = tick
        self._start = time.monotonic()
        self._text = Submitting.name
        self._last_printed: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._ticker, daemon=True)

    def __enter__(self) -> StatusLine:
        if self._live:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._live:
            self._thread.join()
            self._draw()
            self._stream.write("\n")
            self._stream.flush()

    def update(self, job: Job) -> None:
        """Observer for a job: remember its state and show it."""
        state = job.status
        if job.cached:
            state = f"cached (take {job.take}; --take {job.take + 1} for a new video)"
        elif isinstance(job.state, Succeeded) and job.video_path is None:
            state = "succeeded, downloading"
        elif job.cancel_requested and job.generation_id is None:
            state = "cancelling (once the id arrives)"
        self._text = safe_text(f"{state:<24} {job.generation_id or ''}".rstrip(), 200)
        if self._live:
            self._draw()
        elif self._text != self._last_printed:
            self._last_printed = self._text
            self._stream.write(f"[{time.monotonic() - self._start:6.1f}s] {self._text}\n")
            self._stream.flush()

    def _draw(self) -> None:
        with self._lock:
            elapsed = time.monotonic() - self._start
            self._stream.write(f"\r[{elapsed:6.1f}s] {self._text}\033[K")
            self._stream.flush()

    def _ticker(self) -> None:
        while not self._stop.wait(self._tick):
            self._draw()
