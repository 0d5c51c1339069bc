"""What a generation costs, from a model's `pricing` object (per output second), in decimals.

The rates: `cost_per_second`, `cost_per_second_high_res` (any resolution above the model's
lowest) and `cost_per_second_with_audio`. How the service combines high resolution with
audio is not documented; we take the high-res rate plus the audio surcharge. An automatic
duration (`-1`, or 2.5's `"auto"`) counts as 5 s, what the simulator renders.

Money never passes through a float: rates are read as the decimal literals they were written
as (a JSON number, or a decimal string) and multiplied as `Decimal`s. Only `total_cost`,
made for the widget's JSON traits, hands back a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .request import VideoRequest
from .schema import ModelSpec

__all__ = ["AUTO_DURATIONS", "AUTO_SECONDS", "cost_of", "estimate_cost", "output_seconds",
           "total_cost"]

AUTO_SECONDS = 5
AUTO_DURATIONS = (-1, "auto")  # "the model picks": 2.0 writes -1, 2.5 writes "auto"


def output_seconds(duration: Any) -> int:
    """Seconds of video for a requested `duration`: an automatic one is 5 s."""
    return AUTO_SECONDS if duration in AUTO_DURATIONS else int(duration)


def cost_of(params: Mapping[str, Any], spec: ModelSpec) -> Decimal | None:
    """The price of one generation with these (complete, valid) params, or None when the
    model publishes no per-second rate."""
    pricing = spec.pricing
    base = _rate(pricing.get("cost_per_second"))
    if base is None:
        return None
    rate = base
    if _is_high_res(params.get("resolution"), spec):
        rate = _rate(pricing.get("cost_per_second_high_res")) or base
    if params.get("generate_audio"):
        with_audio = _rate(pricing.get("cost_per_second_with_audio"))
        rate += (with_audio - base) if with_audio is not None else 0
    return rate * output_seconds(params.get("duration", -1))


def estimate_cost(request: VideoRequest, spec: ModelSpec) -> Decimal | None:
    """Estimated price of one generation, or None when the model publishes no rates."""
    return cost_of(request.params, spec)


def total_cost(requests: Iterable[VideoRequest], spec: ModelSpec) -> float | None:
    """The sum of `estimate_cost` as a float (for JSON traits), or None if any is unknown."""
    costs = [estimate_cost(r, spec) for r in requests]
    known = [c for c in costs if c is not None]
    return float(sum(known, Decimal(0))) if len(known) == len(costs) else None


def _is_high_res(resolution: Any, spec: ModelSpec) -> bool:
    field = spec.field("resolution")
    return bool(field and field.enum and resolution is not None and resolution != field.enum[0])


def _rate(value: object) -> Decimal | None:
    """A rate as the decimal it was written as; None when absent or not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        # repr() of a float is the shortest literal that reads back as it: the JSON text.
        rate = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        return None
    return rate if rate.is_finite() else None
