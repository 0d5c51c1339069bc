"""Cost estimates from a model's `pricing` object (per output second).

The rates: `cost_per_second`, `cost_per_second_high_res` (any resolution above the model's
lowest) and `cost_per_second_with_audio`. How the service combines high resolution with
audio is not documented; we take the high-res rate plus the audio surcharge, and mark every
figure as an estimate. `duration: -1` (auto) is counted as 5 s, the simulator's choice.
"""

from __future__ import annotations

from collections.abc import Iterable

from .request import VideoRequest
from .schema import ModelSpec

__all__ = ["AUTO_SECONDS", "estimate_cost"]

AUTO_SECONDS = 5


def estimate_cost(request: VideoRequest, spec: ModelSpec) -> float | None:
    """Estimated price of one generation, or None when the model publishes no rates."""
    pricing = spec.pricing
    base = _rate(pricing.get("cost_per_second"))
    if base is None:
        return None
    rate = base
    if _is_high_res(request, spec):
        rate = _rate(pricing.get("cost_per_second_high_res")) or base
    if request.params.get("generate_audio"):
        with_audio = _rate(pricing.get("cost_per_second_with_audio"))
        rate += (with_audio - base) if with_audio is not None else 0.0
    duration = request.params.get("duration", -1)
    seconds = AUTO_SECONDS if duration == -1 else duration
    return round(rate * seconds, 4)


def total_cost(requests: Iterable[VideoRequest], spec: ModelSpec) -> float | None:
    """The sum of `estimate_cost`, or None if any is unknown."""
    costs = [estimate_cost(r, spec) for r in requests]
    return None if any(c is None for c in costs) else round(sum(costs), 4)  # type: ignore[misc]


def _is_high_res(request: VideoRequest, spec: ModelSpec) -> bool:
    field = spec.field("resolution")
    resolution = request.params.get("resolution")
    return bool(field and field.enum and resolution is not None and resolution != field.enum[0])


def _rate(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
