"""Running coroutines on an event loop from any thread: a private loop in a daemon thread
(scripts, the CLI, a Studio outside a kernel), or a loop that is already running (a kernel's).

Nothing here patches asyncio (no `nest_asyncio.apply()`): a private loop is separate from
any loop the caller runs, so it also works inside a notebook cell.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["LoopThread", "running_loop"]

T = TypeVar("T")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LoopThread:
    """An event loop and a way in from other threads: its own, started in a daemon thread
    (`LoopThread()`), or one already running (`LoopThread.of(loop)`)."""

    def __init__(self, name: str = "seedance-loop", *,
                 loop: asyncio.AbstractEventLoop | None = None):
        self.owned = loop is None
        self.loop = loop or asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        if self.owned:
            self._thread = threading.Thread(target=self.loop.run_forever, name=name,
                                            daemon=True)
            self._thread.start()

    @classmethod
    def here_or_private(cls, name: str) -> LoopThread:
        """The loop running in this thread (a kernel's, where cells await), else a private
        one."""
        loop = running_loop()
        return cls(name, loop=loop) if loop is not None else cls(name)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for its result (from another thread)."""
        return self.submit(coro).result(timeout)

    def call(self, make: Callable[[], T], timeout: float = 30) -> T:
        """`make()` run on the loop (where it may create tasks), from any thread."""
        if running_loop() is self.loop:
            return make()

        async def call() -> T:
            return make()

        return self.run(call(), timeout)

    def spawn(self, coro: Coroutine[Any, Any, Any],
              on_error: Callable[[BaseException], None]) -> None:
        """Start `coro` on the loop without waiting; `on_error` gets what it raised."""
        def done(future: Any) -> None:
            if not future.cancelled() and future.exception() is not None:
                on_error(future.exception())

        if running_loop() is self.loop:
            self.loop.create_task(coro).add_done_callback(done)
        else:
            self.submit(coro).add_done_callback(done)

    def close(self) -> None:
        """Stop and close a private loop (a borrowed one is left alone)."""
        if not self.owned:
            return
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
        if not self.loop.is_running():
            self.loop.close()
