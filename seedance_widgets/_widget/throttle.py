"""A leading-edge throttle on an event loop: an action run at most once per interval."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

__all__ = ["Throttle"]


class Throttle:
    """Runs `action` on `loop` at most once per `interval` seconds: at once when the last run
    is that long ago, else once when the interval ends, for every request made meanwhile.
    `request()` is called on `loop`."""

    def __init__(self, action: Callable[[], None], interval: float,
                 loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.interval = interval
        self._action = action
        self._last = -math.inf
        self._timer: asyncio.TimerHandle | None = None

    def request(self) -> None:
        """Run the action now, or once at the end of the current interval."""
        if self._timer is not None:
            return
        wait = self._last + self.interval - self.loop.time()
        if wait <= 0:
            self._run()
        else:
            self._timer = self.loop.call_later(wait, self._run)

    def _run(self) -> None:
        self._timer = None
        self._last = self.loop.time()
        self._action()

    def cancel(self) -> None:
        """Drop a waiting run."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
