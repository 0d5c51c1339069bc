"""A job: one generation's life in this process, awaitable, observable."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract.request import VideoRequest

__all__ = ["Job", "JobState"]

# Local states around the server's statuses: before the id is known, sent but with no id
# known (the service may have accepted it: the user adopts a candidate or pays anew), and a
# local error.
SUBMITTING = "submitting"
UNCONFIRMED = "unconfirmed"
ERROR = "error"
TERMINAL = ("succeeded", "failed", "cancelled", ERROR)


@dataclass(frozen=True)
class JobState:
    """One entry of a job's history: a status and when this process saw it."""

    status: str
    at: float


class Job:
    """A generation followed by the controller. `await job` gives the video's path.

    `status` is `submitting`, then the server's `queued`, `processing`, `succeeded`, `failed`,
    `cancelled`, or `error` when something local went wrong (see `error`). `unconfirmed`
    means the request was sent but its answer lost, and no single listed generation could
    be told to be it: `candidates` lists those that could; see `Controller.adopt` and
    `Controller.submit(..., resubmit=True)`. `notice` is a sentence worth showing (a cancel
    that came too late, a video fetched again).
    """

    def __init__(self, request: VideoRequest, *, take: int = 1, cache_key: str = "",
                 job_id: str | None = None):
        self.id = job_id or uuid.uuid4().hex[:12]
        self.request = request
        self.take = take
        self.cache_key = cache_key
        self.eta_seconds: float | None = None
        self.generation_id: str | None = None
        self.status = SUBMITTING
        self.history: list[JobState] = [JobState(SUBMITTING, time.time())]
        self.error: str | None = None
        self.result_url: str | None = None
        self.video_path: Path | None = None
        self.cached = False
        self.intent_id: str | None = None
        self.candidates: tuple[str, ...] = ()
        self.cancel_requested = False
        self.sending = False  # an enqueue is on the wire: cancelling the task could lose its id
        self.notice: str | None = None
        self._observers: list[Callable[[Job], None]] = []
        self._task: asyncio.Task[Path] | None = None

    @property
    def created_at(self) -> float:
        return self.history[0].at

    @property
    def done(self) -> bool:
        """Nothing more happens without the user: ended, or unconfirmed."""
        return self.status in (*TERMINAL, UNCONFIRMED) and (
            self._task is None or self._task.done())

    def observe(self, callback: Callable[[Job], None]) -> None:
        """Call `callback(job)` after every change."""
        self._observers.append(callback)

    def set_status(self, status: str, *, at: float | None = None, notify: bool = True) -> None:
        status = str(status)
        if status != self.status:
            self.status = status
            self.history.append(JobState(status, at or time.time()))
        if notify:
            self.notify()

    def restore(self, generation_id: str, status: str, video_path: Path, *, at: float) -> None:
        """Fill in a job that finished earlier (from the ledger), without notifying."""
        self.generation_id = generation_id
        self.video_path = video_path
        self.cached = True
        self.set_status(status, at=at, notify=False)

    def cancel_task(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def notify(self) -> None:
        for callback in list(self._observers):
            callback(self)

    def attach(self, task: asyncio.Task[Path]) -> None:
        """Run this job's life as `task` (a new one after an adoption or a resubmission)."""
        self._task = task

    def result(self) -> Path:
        """The video path of a finished job (raises its error; `InvalidStateError` if running)."""
        if self._task is None:
            raise asyncio.InvalidStateError("job has not started")
        return self._task.result()

    async def outcome(self) -> Path | Exception:
        """Wait for the job: its video's path, or the exception it ended with."""
        try:
            return await self
        except Exception as exc:
            return exc

    def __await__(self) -> Generator[Any, None, Path]:
        if self._task is None:
            raise asyncio.InvalidStateError("job has not started")
        return self._task.__await__()

    def to_json(self) -> dict[str, Any]:
        """What a view needs to draw this job; no secrets, no video bytes."""
        finished = self.history[-1].at if self.status in TERMINAL else None
        started = next((h.at for h in self.history if h.status == "processing"), None)
        return {
            "id": self.id,
            "generation_id": self.generation_id,
            "model": self.request.model,
            "params": dict(self.request.params),
            "take": self.take,
            "status": str(self.status),
            "error": self.error,
            "created_at": self.created_at,
            "started_at": started,
            "finished_at": finished,
            "video": self.video_path.name if self.video_path else None,
            "cached": self.cached,
            "eta_seconds": self.eta_seconds,
            "intent_id": self.intent_id,
            "candidates": list(self.candidates),
            "cancel_requested": self.cancel_requested,
            "notice": self.notice,
        }

    def __repr__(self) -> str:
        request = getattr(self, "request", None)
        return (f"Job(id={getattr(self, 'id', None)!r}, status={getattr(self, 'status', None)!r}, "
                f"generation_id={getattr(self, 'generation_id', None)!r}, "
                f"prompt={getattr(request, 'prompt', None)!r})")
