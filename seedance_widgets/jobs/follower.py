"""Following one generation to its end: completion events first, polling where they can't help.

Polling is for what events don't tell: `queued → processing`, `cancelled` (no event is sent
for it), and everything while the event stream is down. After the stream reconnects the
follower polls once, since events that fired meanwhile are not replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from ..contract.status import CompletionEvent, Generation, Status
from ..transport.client import AsyncOxenClient
from ..transport.events import EventHub

__all__ = ["FollowPolicy", "follow"]


@dataclass(frozen=True)
class FollowPolicy:
    """How often to read the record. Defaults suit the real service's minutes-long jobs."""

    queued_first: float = 1.0  # first look, to see processing start
    queued_max: float = 15.0  # queued polls back off up to this
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
    try:
        while True:
            if not hub.connected:
                wait = policy.stream_down
            elif current.status is Status.QUEUED:
                wait, queued_wait = queued_wait, min(policy.queued_max, queued_wait * 2)
            else:
                wait = policy.processing
            event = await _next_signal(completion, hub.changed(), wait)
            latest = _from_event(current, event) if event else await client.get(
                current.generation_id)
            if latest.status is not current.status:
                current = latest
                yield current
            if current.status.is_terminal:
                return
    finally:
        completion.cancel()


async def _next_signal(completion: asyncio.Future[CompletionEvent], changed: asyncio.Event,
                       timeout: float) -> CompletionEvent | None:
    """The completion event if it comes within `timeout`; None on timeout or a stream change."""
    if completion.done():
        return completion.result()
    change = asyncio.ensure_future(changed.wait())
    try:
        await asyncio.wait({completion, change}, timeout=timeout,
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        change.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await change
    return completion.result() if completion.done() else None


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
