"""How long a job will take, from how long its kind took before (the ledger's history)."""

from __future__ import annotations

import statistics

from .._contract.request import VideoRequest
from .ledger import Ledger

__all__ = ["EtaEstimator"]


class EtaEstimator:
    """Median past processing time per (model, resolution): read from the ledger once per
    kind, then kept up to date as this process sees jobs finish."""

    def __init__(self, ledger: Ledger):
        self._ledger = ledger
        self._seen: dict[tuple[str, str | None], list[float]] = {}

    def estimate(self, request: VideoRequest) -> float | None:
        past = self._durations(request)
        return statistics.median(past) if past else None

    def learn(self, request: VideoRequest, seconds: float) -> None:
        """A job of this kind just took `seconds` to process."""
        self._durations(request).append(seconds)

    def _durations(self, request: VideoRequest) -> list[float]:
        resolution = request.params.get("resolution")
        kind = (request.model, None if resolution is None else str(resolution))
        if kind not in self._seen:
            self._seen[kind] = self._ledger.durations(request.model, kind[1])
        return self._seen[kind]
