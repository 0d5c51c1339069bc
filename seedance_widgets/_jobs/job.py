"""A job: one generation's life in this process, awaitable, observable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._contract.request import VideoRequest
from .._contract.states import JobState, Processing, Submitting, Unconfirmed
from .._transport.loop import running_loop
from ..errors import SeedanceError
from .judgments import Judgment, Judgments

if TYPE_CHECKING:
    from .billing import Charge

if TYPE_CHECKING:
    from .inputs import LocalInput

__all__ = ["Job"]


class Job:
    """A generation followed by the controller. `await job` gives the video's path.

    `state` is a typed `JobState` (`Submitting`, `Queued`, `Processing`, `Succeeded`,
    `Failed`, `Cancelled`, `LocalError`, or `Unconfirmed` when the request was sent but its
    answer lost and no single listed generation could be told to be it); `status` is its
    name, `history` every state seen. `notice` is a sentence worth showing (a cancel that
    came too late, a video fetched again). `rate`, `note`, `tag` and `untag` record what a
    person thinks of the take in the ledger; `charge` is what the service billed for it.
    """

    def __init__(self, request: VideoRequest, *, take: int = 1, cache_key: str = "",
                 job_id: str | None = None):
        self.id = job_id or uuid.uuid4().hex[:12]
        self.request = request
        self.take = take
        self.cache_key = cache_key
        self.eta_seconds: float | None = None
        self.generation_id: str | None = None
        self.history: list[JobState] = [Submitting()]
        self.result_url: str | None = None
        self.video_path: Path | None = None
        self.cached = False
        self.intent_id: str | None = None
        self.cancel_requested = False
        self.sending = False  # an enqueue is on the wire: cancelling the task could lose its id
        self.notice: str | None = None
        self.charge: Charge | None = None  # the service's bill, once read (billing.py)
        self.judgments: Judgments | None = None  # where judgments go (set by the controller)
        self._judgment: Judgment | None = None
        self.uploads: tuple[LocalInput, ...] = ()  # local inputs to put in place first
        self._observers: list[Callable[[Job], None]] = []
        self._task: asyncio.Task[Path] | None = None

    @property
    def state(self) -> JobState:
        return self.history[-1]

    @property
    def status(self) -> str:
        """The state's name: `submitting`, `queued`, ..., `error` (see `vocabulary()`)."""
        return self.state.name

    @property
    def error(self) -> str | None:
        """What went wrong (or, unconfirmed, what to do next), from the state."""
        return self.state.reason

    @property
    def candidates(self) -> tuple[str, ...]:
        """For an unconfirmed job: the listed generations that could be it."""
        return self.state.candidates if isinstance(self.state, Unconfirmed) else ()

    @property
    def created_at(self) -> float:
        return self.history[0].at

    @property
    def started_at(self) -> float | None:
        return next((s.at for s in self.history if isinstance(s, Processing)), None)

    @property
    def finished_at(self) -> float | None:
        return self.state.at if self.state.terminal else None

    @property
    def done(self) -> bool:
        """Nothing more happens without the user: ended, or unconfirmed."""
        return (self.state.terminal or isinstance(self.state, Unconfirmed)) and (
            self._task is None or self._task.done())

    @property
    def judgment(self) -> Judgment:
        """This take's rating, note and tags, as the ledger holds them."""
        if self._judgment is None or self._judgment.generation_id != self.generation_id:
            self._judgment = (self.judgments.of(self.generation_id)
                              if self.judgments is not None and self.generation_id is not None
                              else Judgment(self.generation_id))
        return self._judgment

    def rate(self, stars: int | None) -> None:
        """Give the take 1 to 5 stars (`None` clears the rating)."""
        self._judge(lambda book, generation_id: book.rate(generation_id, stars))

    def note(self, text: str) -> None:
        """Write the take's note ("" clears it)."""
        self._judge(lambda book, generation_id: book.note(generation_id, text))

    def tag(self, *names: str) -> None:
        self._judge(lambda book, generation_id: book.tag(generation_id, names))

    def untag(self, *names: str) -> None:
        self._judge(lambda book, generation_id: book.untag(generation_id, names))

    def _judge(self, write: Callable[[Judgments, str], Judgment]) -> None:
        """Append a judgment to the ledger (the newest wins) and tell the observers."""
        if self.judgments is None or self.generation_id is None:
            raise SeedanceError(f"job {self.id} has no generation yet: there is no take to "
                                "judge")
        self._judgment = write(self.judgments, self.generation_id)
        self.notify()

    def observe(self, callback: Callable[[Job], None]) -> None:
        """Call `callback(job)` after every change."""
        self._observers.append(callback)

    def move_to(self, state: JobState, *, notify: bool = True) -> None:
        """Enter `state` (kept in the history when it differs from the current one)."""
        if state != self.state or type(state) is not type(self.state):
            self.history.append(state)
        if notify:
            self.notify()

    def restore(self, generation_id: str, state: JobState, video_path: Path) -> None:
        """Fill in a job that finished earlier (from the ledger), without notifying."""
        self.generation_id = generation_id
        self.video_path = video_path
        self.cached = True
        self.move_to(state, notify=False)

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

    def wait(self, timeout: float | None = None) -> Path:
        """Block until the job ends and return its video's path (raising what it raised).

        For scripts, whose `Studio` runs jobs on a private loop in another thread; in a
        notebook cell or any coroutine use `await job` (this would block the very loop the
        job runs on, so it refuses).
        """
        if self._task is None:
            raise asyncio.InvalidStateError("job has not started")
        loop = self._task.get_loop()
        if running_loop() is loop:
            raise RuntimeError("job.wait() would block the loop the job runs on: use "
                               "`await job`")

        async def finish() -> Path:
            return await self

        return asyncio.run_coroutine_threadsafe(finish(), loop).result(timeout)

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

    def __repr__(self) -> str:
        request = getattr(self, "request", None)
        history = getattr(self, "history", None)
        status = history[-1].name if history else None
        return (f"Job(id={getattr(self, 'id', None)!r}, status={status!r}, "
                f"generation_id={getattr(self, 'generation_id', None)!r}, "
                f"prompt={getattr(request, 'prompt', None)!r})")
