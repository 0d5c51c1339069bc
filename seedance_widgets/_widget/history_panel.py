"""The kernel side of the history panel: the query and page the view asked for, read from the
ledger a page at a time, and refreshed when takes appear, finish, get billed or judged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .._jobs.history import History, HistoryQuery, change_stamp, facets, query_history
from .._jobs.job import Job
from .._jobs.session import Session
from .._transport.loop import running_loop
from ..errors import SeedanceError
from .throttle import Throttle
from .views import history_view

__all__ = ["PAGE_SIZE", "REFRESH_INTERVAL", "HistoryPanel"]

log = logging.getLogger(__name__)

PAGE_SIZE = 12
# At most one refresh a second while takes change (a lone change is shown at once): a sweep
# changes a job every few milliseconds, and each refresh reads the ledger and re-sends the
# page; the cards show every change as it happens.
REFRESH_INTERVAL = 1.0


class HistoryPanel:
    """Pages of this ledger namespace's takes for the `history` trait (`publish`)."""

    def __init__(self, session: Session, publish: Callable[[dict[str, Any]], None], *,
                 loop: asyncio.AbstractEventLoop,
                 on_refresh: Callable[[], None] = lambda: None):
        self.session = session
        self.publish = publish
        self.on_refresh = on_refresh  # what else follows the ledger (the spend)
        self.query = HistoryQuery()
        self.page = 1
        self._facets: dict[str, Any] | None = None
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._throttle = Throttle(self._refresh_soon, REFRESH_INTERVAL, loop)
        self._totals: tuple[Any, tuple[int, Decimal | None]] | None = None

    def current(self) -> History:
        """The page asked for; the counts are read again only when the query or the ledger
        changed (paging through a large history reads just the page)."""
        controller = self.session.controller
        key = (self.query, change_stamp(controller.ledger))
        found = query_history(controller.ledger, controller.namespace, self.query,
                              page=self.page, page_size=PAGE_SIZE,
                              totals=self._totals[1] if self._totals and self._totals[0] == key
                              else None)
        self._totals = (key, (found.total, found.total_cost))
        return found

    def ask(self, content: dict[str, Any]) -> None:
        """The view's `history` message: a new query and/or page."""
        if "query" in content:
            query = content.get("query")
            self.query = HistoryQuery.from_filters(query if isinstance(query, dict) else {})
        page = content.get("page", 1)
        self.page = page if isinstance(page, int) and not isinstance(page, bool) and page > 0 \
            else 1
        self.refresh()

    def refresh(self, *, new_takes: bool = False) -> None:
        """Publish the current page (past the last page: the last one)."""
        if new_takes or self._facets is None:
            controller = self.session.controller
            self._facets = facets(controller.ledger, controller.namespace)
        found = self.current()
        if self.page > max(found.pages, 1):
            self.page = max(found.pages, 1)
            found = self.current()
        self.publish(history_view(found, self._facets))
        self.on_refresh()

    def job_changed(self, job: Job) -> None:
        """Refresh when a take's row would look different: at once, or, within
        `REFRESH_INTERVAL` of the last refresh, once at its end for every change meanwhile."""
        if job.generation_id is None:
            return
        mark = (job.generation_id, job.status, job.charge, job.judgment, job.video_path)
        previous = self._seen.get(job.id)
        if previous == mark:
            return
        self._seen[job.id] = mark
        if previous is None or previous[2] != job.charge or job.state.terminal:
            self.on_refresh()  # the spend line: new pending money, or a bill, shown at once
        if running_loop() is not self._throttle.loop:  # a script's thread: at once
            self.refresh(new_takes=True)
            return
        self._facets = None  # new takes, models, values or tags to choose from
        self._throttle.request()

    def close(self) -> None:
        """Drop a refresh still waiting (on the widget's close)."""
        self._throttle.cancel()

    def _refresh_soon(self) -> None:
        try:
            self.refresh()
        except SeedanceError as exc:  # a ledger that cannot be read: said, not raised
            log.error("the history could not be read: %s", exc)
