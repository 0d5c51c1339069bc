"""Following one generation to its end: completion events first, polling where they can't help.

Polling is for what events don't tell: `queued → processing`, `cancelled` (no event is sent
for it), and everything while the event stream is down. After the stream reconnects the
follower polls once, since events that fired meanwhile are not replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from .._contract.status import CompletionEvent, Generation, Status
from .._transport.client import AsyncOxenClient
from .._transport.events import EventHub

__all__ = ["FollowPolicy", "follow"]


@dataclass(frozen=True)
class FollowPolicy:
    """How often to read the record. Defaults suit the real service's minutes-long jobs."""

    queued_first: float = 1.0  # first look, to see processing start
    queued_max: float = 30.0  # queued polls back off up to the slow poll
    processing: float = 30.0  # slow poll while events cover completion (catches cancel)
    stream_down: float = 5.0  # while the event stream is down: the vendor page's own pace

    def scaled(self, factor: float) -> FollowPolicy:
        """Every interval times `factor` (tests and demos on the simulator)."""
        return FollowPolicy(*(value * factor for value in (
            self.queued_first, self.queued_max, self.processing, self.stream_down)))


async def follow(client: AsyncOxenClient, hub: EventHub, first: Generation,
                 policy: FollowPolicy | None = None) -> AsyncIterator[Generation]:
    """Yield `first`, then each status change of that generation, ending with a terminal one.

    An unknown status raises `ProtocolError`; it is never taken as done.
    """
    policy = policy or FollowPolicy()
    current = first
    yield current
    if current.status.is_terminal:
        return
    completion = hub.completion(current.generation_id)
    queued_wait = policy.queued_first
    # Taken before each look at the record, so a reconnect during that look is not missed.
    changed = hub.changed()
    try:
        while True:
            if not hub.connected:
                wait = policy.stream_down
            elif current.status is Status.QUEUED:
                wait, queued_wait = queued_wait, min(policy.queued_max, queued_wait * 2)
            else:
                wait = policy.processing
            # Jitter, so hundreds of jobs started together don't all poll in the same instant.
            signal = await _next_signal(completion, changed, wait * random.uniform(0.8, 1.2))
            if signal is _CHANGED and not hub.connected:
                # The stream went down: keep waiting, now at the polling pace. The poll that
                # matters comes on reconnect (events sent meanwhile are lost) or on schedule.
                changed = hub.changed()
                continue
            changed = hub.changed()
            if isinstance(signal, CompletionEvent) and _usable(signal):
                latest = _from_event(current, signal)
            else:  # timeout, (re)connect, or an event that lacks what we need: read it
                if isinstance(signal, CompletionEvent):  # used up: don't act on it again
                    completion = asyncio.get_running_loop().create_future()
                latest = await client.get(current.generation_id)
            if latest.status is not current.status:
                current = latest
                yield current
            if current.status.is_terminal:
                return
    finally:
        completion.cancel()


_CHANGED = object()  # the event stream connected or dropped


async def _next_signal(completion: asyncio.Future[CompletionEvent], changed: asyncio.Event,
                       timeout: float) -> CompletionEvent | object | None:
    """The completion event if it comes within `timeout`; `_CHANGED` when the stream connects
    or drops first; None on timeout."""
    if completion.done():
        return completion.result()
    if not changed.is_set():
        change = asyncio.ensure_future(changed.wait())
        try:
            waiting: set[asyncio.Future[Any]] = {completion, change}
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            change.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await change
    if completion.done():
        return completion.result()
    return _CHANGED if changed.is_set() else None


def _usable(event: CompletionEvent) -> bool:
    """A success event must carry the result URL; otherwise the record is read instead."""
    return event.status is not Status.SUCCEEDED or bool(event.url)


def _from_event(last: Generation, event: CompletionEvent) -> Generation:
    """The terminal record an event implies, without another request."""
    return replace(
        last,
        status=event.status,
        result_url=event.url if event.status is Status.SUCCEEDED else None,
        error_message=event.error if event.status is Status.FAILED else None,
        completed_at=time.time(),
        started_at=last.started_at or last.enqueued_at,
    )
