"""The card's judgment messages: stars, a note, tags, each appended to the ledger."""

from __future__ import annotations

from typing import Any

from .._jobs.session import Session
from ..errors import InvalidRequestError

__all__ = ["JUDGMENT_MESSAGES", "judge"]

JUDGMENT_MESSAGES = ("rate", "note", "tag", "untag")


def judge(session: Session, content: dict[str, Any]) -> None:
    """`{"type": "rate", "job_id": id, "rating": 1-5 | null}`, `{"type": "note", "job_id",
    "text"}`, `{"type": "tag" | "untag", "job_id", "tags": [...]}`; an unknown job is
    ignored, a bad value refused (the caller shows it)."""
    job = session.jobs.get(str(content.get("job_id")))
    if job is None:
        return
    kind = content.get("type")
    if kind == "rate":
        job.rate(content.get("rating"))
    elif kind == "note":
        job.note(content.get("text"))  # type: ignore[arg-type]  # checked by Judgments
    else:
        tags = content.get("tags")
        if not isinstance(tags, list) or not tags:
            raise InvalidRequestError("tags", tags, "a list of tag names")
        (job.tag if kind == "tag" else job.untag)(*tags)
