"""Queue states and the typed records the service sends about a generation."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import ProtocolError, safe_text

__all__ = ["COMPLETION_EVENT", "CompletionEvent", "Generation", "Status"]

COMPLETION_EVENT = "media_generation_completed"


class Status(StrEnum):
    """A generation's status. Anything else from the server is a protocol error."""

    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    @classmethod
    def parse(cls, value: Any) -> Status:
        """The status named by `value`; an unknown value raises, it is never taken as done."""
        try:
            return cls(value)
        except ValueError:
            raise ProtocolError(f"unknown generation status {value!r}") from None


_RECORD_FIELDS = {
    "generation_id", "model_name", "prompt", "media_type", "status", "result_url",
    "error_message", "enqueued_at", "started_at", "completed_at",
}
# Fields of a `GET /ai/generations` row that are about the generation, not its request.
_ROW_FIELDS = _RECORD_FIELDS | {
    "cost", "target_namespace", "target_repo", "target_directory", "user_id", "username",
    "user_image",
}


@dataclass(frozen=True)
class Generation:
    """One generation's record (`GET /ai/queue/{id}`), with the echoed request params apart."""

    generation_id: str
    status: Status
    model_name: str | None = None
    prompt: str | None = None
    media_type: str | None = None
    result_url: str | None = None
    error_message: str | None = None
    enqueued_at: float | None = None
    started_at: float | None = None
    completed_at: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Any) -> Generation:
        """Parse a queue record; a missing id or status or an unknown status raises."""
        if not isinstance(record, dict):
            raise ProtocolError(f"expected a generation record, got {type(record).__name__}")
        generation_id = record.get("generation_id")
        if not isinstance(generation_id, str) or not generation_id:
            raise ProtocolError("generation record without a `generation_id`")
        if "status" not in record:
            raise ProtocolError(f"generation {generation_id} record without a `status`")
        return cls(
            generation_id=generation_id,
            status=Status.parse(record["status"]),
            model_name=_opt_str(record.get("model_name")),
            prompt=_opt_str(record.get("prompt")),
            media_type=_opt_str(record.get("media_type")),
            result_url=_opt_str(record.get("result_url")),
            error_message=_server_text(record.get("error_message")),
            enqueued_at=_opt_num(record.get("enqueued_at")),
            started_at=_opt_num(record.get("started_at")),
            completed_at=_opt_num(record.get("completed_at")),
            params={k: v for k, v in record.items() if k not in _RECORD_FIELDS},
        )


    @classmethod
    def from_row(cls, row: Any) -> Generation:
        """Parse a `GET /ai/generations` row. Rows are published without a `status`; when it
        is absent it is read from the row's times and result (see docs/inferred.md)."""
        if not isinstance(row, dict):
            raise ProtocolError(f"expected a generation row, got {type(row).__name__}")
        if "status" not in row:
            row = {**row, "status": _status_of_row(row)}
        return cls.from_record({k: v for k, v in row.items()
                                if k not in _ROW_FIELDS or k in _RECORD_FIELDS})


def _status_of_row(row: dict[str, Any]) -> str:
    if row.get("completed_at") is not None:
        if row.get("result_url"):
            return Status.SUCCEEDED
        return Status.FAILED if row.get("error_message") else Status.CANCELLED
    return Status.PROCESSING if row.get("started_at") is not None else Status.QUEUED


@dataclass(frozen=True)
class CompletionEvent:
    """The data of one `media_generation_completed` event."""

    generation_id: str
    status: Status
    media_type: str | None = None
    model: str | None = None
    url: str | None = None
    error: str | None = None

    @classmethod
    def from_data(cls, data: Any) -> CompletionEvent:
        if not isinstance(data, dict) or not isinstance(data.get("generation_id"), str):
            raise ProtocolError("completion event without a `generation_id`")
        status = Status.parse(data.get("status"))
        if not status.is_terminal:
            raise ProtocolError(f"completion event with non-terminal status {status}")
        return cls(
            generation_id=data["generation_id"],
            status=status,
            media_type=_opt_str(data.get("media_type")),
            model=_opt_str(data.get("model")),
            url=_opt_str(data.get("url")),
            error=_server_text(data.get("error")),
        )


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _server_text(value: Any) -> str | None:
    """A server-written message, escaped and shortened before anything shows it."""
    return safe_text(value, 2000) if isinstance(value, str) else None


def _opt_num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
