"""Budgets: a cap on what one ledger namespace may spend, kept before anything is sent.

Spend is what the service billed so far plus the estimates of everything that may still be
charged: intents not yet settled, generations still running, and succeeded ones whose bill
was not read (or came back empty). Failed and cancelled generations with no bill count as
nothing charged; refused, void and abandoned intents as never sent.

The check runs twice: once when a person asks (a clear `BudgetExceeded` before any request),
and again inside the ledger's write transaction that records each new intent (`guard`), so
processes sharing a folder cannot together pass one remainder: the second sees the first's
intent as pending.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .._contract.pricing import cost_of
from .._contract.schema import ModelSpec, bundled_model
from .._contract.status import Status
from ..errors import BudgetExceeded, InvalidRequestError
from .ledger import Ledger

__all__ = ["Budget", "Spend", "parse_budget"]

_NOT_CHARGED = (Status.FAILED, Status.CANCELLED)
_SPEND_ROWS = """
SELECT i.estimate, i.model, i.params, s.generation_id AS generation_id,
       (SELECT c.data FROM entries c WHERE c.generation_id = s.generation_id
          AND c.kind = 'cost' ORDER BY c.seq DESC LIMIT 1) AS cost,
       (SELECT json_extract(t.data, '$.status') FROM entries t
          WHERE t.generation_id = s.generation_id AND t.kind = 'status'
          ORDER BY t.seq DESC LIMIT 1) AS status,
       EXISTS (SELECT 1 FROM entries d WHERE d.intent_id = i.intent_id
          AND d.kind IN ('refused', 'void', 'abandoned')) AS dead
FROM intents i LEFT JOIN entries s ON s.intent_id = i.intent_id AND s.kind = 'submitted'
WHERE i.namespace = ?
"""


def parse_budget(value: Any, source: str = "budget") -> Decimal | None:
    """A budget in US dollars (a number or decimal text, >= 0) as a `Decimal`; None for
    none. `source` names where it came from in the error (`budget`, `--budget`, ...)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidRequestError(source, value, "an amount in US dollars, such as 5 or 2.50")
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise InvalidRequestError(source, value, "an amount in US dollars >= 0, such as 5 "
                                                 "or 2.50")
    return amount


@dataclass(frozen=True)
class Spend:
    """A namespace's spend: `billed` by the service, `pending` estimates, and the `budget`
    (None when uncapped)."""

    budget: Decimal | None
    billed: Decimal
    pending: Decimal

    @property
    def left(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.billed - self.pending


class Budget:
    """The cap (`limit`, None for none) on one ledger namespace's spend."""

    def __init__(self, ledger: Ledger, namespace: str, limit: Decimal | None = None):
        self.ledger = ledger
        self.namespace = namespace
        self.limit = limit
        self._specs: dict[str, ModelSpec | None] = {}

    def spend(self) -> Spend:
        with self.ledger.reading() as db:
            return self._spend(db)

    def check(self, requested: Decimal | None, what: str,
              unclaimed: Decimal = Decimal(0)) -> None:
        """Raise `BudgetExceeded` if `requested` (plus `unclaimed`: asked for here but not yet
        recorded as intents) would take the spend past the limit."""
        if self.limit is not None:
            self._refuse_over(self.spend(), requested, what, unclaimed)

    def guard(self, requested: Decimal | None,
              what: str) -> Callable[[sqlite3.Connection], None] | None:
        """The check to run inside the transaction that records a new intent (None when
        there is no limit)."""
        if self.limit is None:
            return None
        return lambda db: self._refuse_over(self._spend(db), requested, what, Decimal(0))

    def _refuse_over(self, spend: Spend, requested: Decimal | None, what: str,
                     unclaimed: Decimal) -> None:
        assert spend.budget is not None
        if requested is None:
            raise InvalidRequestError("budget", spend.budget, "requests whose model publishes "
                                      "prices", reason=f"cannot be kept: {what} has no price")
        pending = spend.pending + unclaimed
        if spend.billed + pending + requested > spend.budget:
            raise BudgetExceeded(what, budget=spend.budget, billed=spend.billed,
                                 pending=pending, requested=requested)

    def _spend(self, db: sqlite3.Connection) -> Spend:
        billed = pending = Decimal(0)
        for row in db.execute(_SPEND_ROWS, (self.namespace,)):
            cost = json.loads(row["cost"]).get("cost") if row["cost"] is not None else None
            if cost is not None:
                billed += Decimal(cost)
            elif row["generation_id"] is not None:
                if row["status"] not in _NOT_CHARGED:
                    pending += self._estimate(row)  # running, or its bill is not known
            elif not row["dead"]:
                pending += self._estimate(row)  # not settled: it may have been accepted
        return Spend(self.limit, billed, pending)

    def _estimate(self, row: sqlite3.Row) -> Decimal:
        """An intent's recorded estimate (older intents: priced now from the bundled model;
        0 where no price is known)."""
        if row["estimate"] is not None:
            return Decimal(row["estimate"])
        model = row["model"]
        if model not in self._specs:
            self._specs[model] = bundled_model(model)
        spec = self._specs[model]
        price = cost_of(json.loads(row["params"]), spec) if spec is not None else None
        return price or Decimal(0)
