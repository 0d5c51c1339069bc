"""A job's states, as small typed objects a caller can match on (as fal-client's queue states).

Around the service's five statuses a job has three local states: `Submitting` (no id yet),
`Unconfirmed` (sent, but the answer was lost and no single listed generation can be told to
be it) and `LocalError` (something on this side failed). Each state says whether it is
`terminal` and whether the job is `running`; `state_from_record` is the one place a
service record becomes a state, and `vocabulary()` is what a view needs to know of them.

    match job.state:
        case Succeeded(path=path): ...
        case Failed(reason=reason): ...
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .status import Generation, Status

__all__ = [
    "STATES",
    "Cancelled",
    "Failed",
    "JobState",
    "LocalError",
    "Processing",
    "Queued",
    "Submitting",
    "Succeeded",
    "Unconfirmed",
    "state_from_record",
    "vocabulary",
]


@dataclass(frozen=True)
class JobState:
    """Where a job is, and when this process saw it get there (`at`, unix seconds)."""

    name: ClassVar[str]
    terminal: ClassVar[bool] = False
    running: ClassVar[bool] = False
    at: float = field(default_factory=time.time, kw_only=True, compare=False)

    @property
    def reason(self) -> str | None:
        """What went wrong or what to do next, for the states that have one."""
        return None


@dataclass(frozen=True)
class Submitting(JobState):
    """Waiting for a slot, or for the answer to the enqueue: no generation id yet."""

    name: ClassVar[str] = "submitting"
    running: ClassVar[bool] = True


@dataclass(frozen=True)
class _Explained(JobState):
    """A state that carries a sentence (`why`): what went wrong, or what to do next."""

    why: str | None = None

    @property
    def reason(self) -> str | None:
        return self.why


@dataclass(frozen=True)
class Unconfirmed(_Explained):
    """Sent, but its answer was lost: `candidates` are the listed generations that could be
    it. Nothing happens until the user adopts one or pays anew."""

    name: ClassVar[str] = "unconfirmed"
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Queued(JobState):
    name: ClassVar[str] = "queued"
    running: ClassVar[bool] = True


@dataclass(frozen=True)
class Processing(JobState):
    name: ClassVar[str] = "processing"
    running: ClassVar[bool] = True


@dataclass(frozen=True)
class Succeeded(JobState):
    """Done; `path` is the video on disk once it is downloaded (None until then)."""

    name: ClassVar[str] = "succeeded"
    terminal: ClassVar[bool] = True
    path: Path | None = None


@dataclass(frozen=True)
class Failed(_Explained):
    """The service ran it and it failed; `why` is the service's `error_message`."""

    name: ClassVar[str] = "failed"
    terminal: ClassVar[bool] = True


@dataclass(frozen=True)
class Cancelled(_Explained):
    name: ClassVar[str] = "cancelled"
    terminal: ClassVar[bool] = True


@dataclass(frozen=True)
class LocalError(_Explained):
    """Something on this side failed (the network, the disk, a broken answer); the job may
    still run on the service, and the ledger keeps it resumable."""

    name: ClassVar[str] = "error"
    terminal: ClassVar[bool] = True


STATES: tuple[type[JobState], ...] = (Submitting, Unconfirmed, Queued, Processing, Succeeded,
                                      Failed, Cancelled, LocalError)
_BY_STATUS: dict[Status, type[JobState]] = {
    Status.QUEUED: Queued, Status.PROCESSING: Processing, Status.SUCCEEDED: Succeeded,
    Status.FAILED: Failed, Status.CANCELLED: Cancelled,
}


def state_from_record(record: Generation, *, at: float | None = None) -> JobState:
    """The state a service record puts a job in (a success has no local path yet)."""
    kind = _BY_STATUS[record.status]
    kwargs: dict[str, Any] = {} if at is None else {"at": at}
    if kind is Failed:
        return Failed(why=record.error_message, **kwargs)
    if kind is Cancelled:
        return Cancelled(why=record.error_message, **kwargs)
    return kind(**kwargs)


def vocabulary() -> dict[str, list[str]]:
    """Every state's name in order, and which of them are running or terminal."""
    return {"statuses": [s.name for s in STATES],
            "running": [s.name for s in STATES if s.running],
            "terminal": [s.name for s in STATES if s.terminal]}
