"""A keyed collection mirrored to every view by custom messages: the whole of it when a view
asks, then only the items that changed, coalesced.

A synced trait is re-sent whole on every change (ipywidgets has no partial update), so a list
of N jobs in a trait costs N jobs' bytes per status change, N² over a sweep. A `Feed` sends a
view the whole collection once (`{"type": "sync", "topic": ...}` from the view; a page
reload or a second view asks again), and afterwards one message per flush holding only the
changed items. Flushes are throttled to one per `interval`, leading edge: a lone change goes
out at once, a burst is gathered. Every item carries `rev`, a counter that grows with each
change, so a view keeps whichever of a patch and a snapshot is newer, in any arrival order.

Messages (docs/widget-protocol.md): `{"type": "feed", "topic": t, "snapshot": bool,
"items": [...]}`. The jobs are one topic (`"jobs"`); another keyed list (a history page, a
judging card's extras) is another `Feed` with its own topic and view function.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from .._transport.loop import running_loop
from .throttle import Throttle

__all__ = ["DEFAULT_INTERVAL", "Feed"]

T = TypeVar("T")

# At most twenty messages a second per topic: a person cannot tell (a change waits 50 ms at
# worst), and a 300-job sweep's ~1,500 state changes travel in a few hundred small messages.
DEFAULT_INTERVAL = 0.05


class Feed(Generic[T]):
    """Mirrors `items()` (in their order) to the views of one widget under `topic`.

    `key(item)` names an item, `view(item)` is its JSON (without `rev`, added here), `send`
    is the widget's `send`. `changed(item)` may be called from any thread; messages are sent
    from `loop`.
    """

    def __init__(self, topic: str, *, items: Callable[[], Iterable[T]],
                 key: Callable[[T], str], view: Callable[[T], dict[str, Any]],
                 send: Callable[[dict[str, Any]], None], loop: asyncio.AbstractEventLoop,
                 interval: float = DEFAULT_INTERVAL):
        self.topic = topic
        self._items = items
        self._key = key
        self._view = view
        self._send = send
        self._loop = loop
        self._throttle = Throttle(self._flush, interval, loop)
        self._rev = 0
        self._revs: dict[str, int] = {}
        self._dirty: dict[str, T] = {}

    def changed(self, item: T) -> None:
        """`item` changed: send it with the next flush (at once if none was sent lately)."""
        if running_loop() is not self._loop:
            self._loop.call_soon_threadsafe(self.changed, item)
            return
        key = self._key(item)
        self._rev += 1
        self._revs[key] = self._rev
        self._dirty[key] = item
        self._throttle.request()

    def _flush(self) -> None:
        """Send what changed since the last flush (nothing when nothing did)."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, {}
        self._send(self._message([self._json(item) for item in dirty.values()],
                                 snapshot=False))

    def snapshot(self) -> dict[str, Any]:
        """The whole collection, in order: the answer to a view's `sync`."""
        return self._message([self._json(item) for item in self._items()], snapshot=True)

    def close(self) -> None:
        self._throttle.cancel()

    def _json(self, item: T) -> dict[str, Any]:
        key = self._key(item)
        if key not in self._revs:
            self._rev += 1
            self._revs[key] = self._rev
        return {**self._view(item), "rev": self._revs[key]}

    def _message(self, items: list[dict[str, Any]], *, snapshot: bool) -> dict[str, Any]:
        return {"type": "feed", "topic": self.topic, "snapshot": snapshot, "items": items}
