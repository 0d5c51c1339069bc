"""One shared event-stream connection that fans completion events out by generation id.

The stream has no buffering, ids or replay, so it must be open before a job is enqueued
(`await hub.ready()`), and after a reconnect every follower polls once (see `changed`).
While the stream is down (or never connects) followers poll; `ready()` then answers at once
instead of holding every new job up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

import httpx

from .._contract.status import CompletionEvent
from ..errors import APIError, AuthenticationError, ProtocolError
from .client import AsyncOxenClient
from .retry import RetryPolicy

__all__ = ["EventHub"]

log = logging.getLogger(__name__)

# Reconnecting the stream: quick at first, then every 15 s at most, with jitter.
RECONNECT = RetryPolicy(wait_initial=0.25, wait_max=15.0, wait_jitter=0.25)


class EventHub:
    """Keeps `GET /events` open, reconnecting with backoff, and routes events to waiters."""

    def __init__(self, client: AsyncOxenClient, *, reconnect: RetryPolicy = RECONNECT,
                 remember: int = 4096):
        self._client = client
        self._reconnect = reconnect
        self._waiters: dict[str, list[asyncio.Future[CompletionEvent]]] = {}
        self._recent: OrderedDict[str, CompletionEvent] = OrderedDict()
        self._remember = remember
        self._connected = asyncio.Event()
        self._changed = asyncio.Event()
        self._attempted = asyncio.Event()  # set when the current connection attempt resolves
        self._backing_off = False  # the last attempt failed; waiting before the next one
        self._task: asyncio.Task[None] | None = None
        self.connections = 0
        self.last_error: BaseException | None = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Start the background connection (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="seedance-events")

    async def ready(self, timeout: float = 5.0) -> bool:
        """Start if needed and wait until the stream is open; False if it is not by `timeout`,
        or at once when the last attempt failed (followers poll until it is back)."""
        self.start()
        if self.connected:
            return True
        if not self._backing_off:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._attempted.wait(), timeout)
        return self.connected

    def completion(self, generation_id: str) -> asyncio.Future[CompletionEvent]:
        """A future resolved by this generation's completion event (even if it came already)."""
        future: asyncio.Future[CompletionEvent] = asyncio.get_running_loop().create_future()
        if generation_id in self._recent:
            future.set_result(self._recent[generation_id])
        else:
            self._waiters.setdefault(generation_id, []).append(future)
            future.add_done_callback(lambda f: self._forget(generation_id, f))
        return future

    def changed(self) -> asyncio.Event:
        """An event set the next time the connection opens or drops."""
        return self._changed

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._set_connected(False)

    async def _run(self) -> None:
        """Reconnect for ever, waiting as the policy says after each failure in a row (its
        backoff, not its bounded executor: giving up is not an option for the stream)."""
        failures = 0
        while True:
            opened_at: float | None = None

            def opened() -> None:
                nonlocal opened_at
                opened_at = time.monotonic()
                self._opened()

            try:
                async for event in self._client.completion_events(on_open=opened):
                    self._deliver(event)
                log.info("event stream closed by the server; reconnecting")
            except AuthenticationError as exc:
                self.last_error = exc
                log.error("event stream refused: %s", exc)
                self._set_connected(False)
                self._attempted.set()
                return
            except Exception as exc:  # any failure of the stream: reconnect, never die
                self.last_error = exc
                level = logging.INFO if isinstance(exc, httpx.HTTPError | APIError
                                                   | ProtocolError) else logging.WARNING
                log.log(level, "event stream dropped (%s); reconnecting", type(exc).__name__)
            # A connection that stayed up a while (a second) was healthy: start the backoff
            # over. One dropped at once backs off more.
            healthy = opened_at is not None and time.monotonic() - opened_at >= 1.0
            failures = 1 if healthy else failures + 1
            self._backing_off = True
            self._set_connected(False)
            self._attempted.set()
            try:
                await asyncio.sleep(self._reconnect.backoff(failures))
            finally:
                self._attempted = asyncio.Event()  # for the next attempt
                self._backing_off = False

    def _opened(self) -> None:
        self.connections += 1
        self._set_connected(True)
        self._attempted.set()

    def _set_connected(self, value: bool) -> None:
        if value == self.connected:
            return
        if value:
            self._connected.set()
        else:
            self._connected.clear()
        self._changed.set()
        self._changed = asyncio.Event()

    def _deliver(self, event: CompletionEvent) -> None:
        self._recent[event.generation_id] = event
        while len(self._recent) > self._remember:
            self._recent.popitem(last=False)
        for future in self._waiters.pop(event.generation_id, []):
            if not future.done():
                future.set_result(event)

    def _forget(self, generation_id: str, future: asyncio.Future[CompletionEvent]) -> None:
        waiters = self._waiters.get(generation_id)
        if waiters and future in waiters:
            waiters.remove(future)
            if not waiters:
                del self._waiters[generation_id]
