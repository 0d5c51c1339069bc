"""What the service says a generation cost: `GET /ai/generations` and `/ai/generations/{id}`.

`cost` is the charged amount as a decimal string, or null (nothing charged, or not known
yet); `total_cost` the sum over a whole filter set. Money never passes through a float:
amounts are read into `Decimal`s, and anything that is not a finite amount >= 0 is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ProtocolError
from .status import Generation

__all__ = ["BilledGeneration", "GenerationsPage", "parse_amount"]


def parse_amount(value: Any, what: str = "cost") -> Decimal | None:
    """A charged amount (decimal string or JSON number) as a `Decimal`; None for null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ProtocolError(f"{what} is not an amount: {type(value).__name__}")
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ProtocolError(f"{what} is not an amount: {str(value)[:40]!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ProtocolError(f"{what} is not an amount >= 0: {str(value)[:40]!r}")
    return amount


@dataclass(frozen=True)
class BilledGeneration:
    """One row of the generations browse view: the generation and what it was charged
    (`cost` None: the service reports no charge)."""

    generation: Generation
    cost: Decimal | None

    @classmethod
    def from_row(cls, row: Any) -> BilledGeneration:
        if not isinstance(row, dict):
            raise ProtocolError(f"expected a generation row, got {type(row).__name__}")
        return cls(Generation.from_row(row), parse_amount(row.get("cost")))


@dataclass(frozen=True)
class GenerationsPage:
    """One page of `GET /ai/generations`, with the totals over the whole filter set."""

    rows: list[BilledGeneration]
    page_number: int
    page_size: int
    total_entries: int
    total_pages: int
    total_cost: Decimal | None

    @classmethod
    def from_body(cls, body: Any) -> GenerationsPage:
        rows = body.get("generations") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise ProtocolError("generations list without `generations`")
        numbers = {name: body.get(name) for name in
                   ("page_number", "page_size", "total_entries", "total_pages")}
        for name, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ProtocolError(f"generations list with a bad `{name}`: {value!r}")
        return cls(rows=[BilledGeneration.from_row(r) for r in rows],
                   total_cost=parse_amount(body.get("total_cost"), "total_cost"), **numbers)
