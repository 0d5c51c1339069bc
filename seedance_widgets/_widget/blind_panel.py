"""The kernel side of the blind comparison panel: the current pair as opaque tokens (the view
learns neither job ids nor parameters until the reveal), their videos on request, choices."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._jobs.blind import BlindComparison
from .._jobs.job import Job
from .media import MediaServer
from .views import blind_token, blind_view

__all__ = ["BlindPanel"]


class BlindPanel:
    """Shows one comparison at a time in the `blind` trait (`publish`)."""

    def __init__(self, publish: Callable[[dict[str, Any]], None], media: MediaServer):
        self.publish = publish
        self.media = media
        self.comparison: BlindComparison | None = None

    def show(self, comparison: BlindComparison) -> None:
        if comparison is not self.comparison:
            self.comparison = comparison
            comparison.observe(lambda c: self.refresh() if c is self.comparison else None)
        self.refresh()

    def refresh(self) -> None:
        self.publish(blind_view(self.comparison))

    def choose(self, content: dict[str, Any]) -> None:
        """`{"type": "blind_choice", "comparison": id, "round": n, "choice": "left" | "right"
        | "none"}`; a choice for another comparison or an old round is ignored."""
        comparison = self.comparison
        choice = content.get("choice")
        if comparison is None or content.get("comparison") != comparison.id \
                or comparison.done or choice not in ("left", "right", "none"):
            return
        round_ = content.get("round")
        if not isinstance(round_, int) or isinstance(round_, bool):
            return
        comparison.choose(None if choice == "none" else choice, round=round_)

    def video(self, content: dict[str, Any]) -> None:
        """`{"type": "blind_video", "token": t}`: the bytes of the current pair's side `t`
        names, sent as a `video` message under the token (never the job's id)."""
        token = str(content.get("token"))
        self.media.request_video_as(token, self._job_of(token))

    def _job_of(self, token: str) -> Job | None:
        comparison = self.comparison
        if comparison is None or comparison.pair is None:
            return None
        left, right = comparison.pair
        sides = {blind_token(comparison, "left"): left, blind_token(comparison, "right"): right}
        return sides.get(token)
