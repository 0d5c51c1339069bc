"""Billed cost: what the service charged for a generation, read once it is final.

The charged amount comes from `GET /ai/generations/{id}` and is recorded in the ledger as an
append-only `cost` entry (a decimal string, or null when the service reports no charge), so
it is read once per generation and never again: a cached or resumed take gets it from the
ledger. Where nothing was reported, that is what is said, never a zero.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .._contract.pricing import cost_of
from .._contract.request import VideoRequest
from .._contract.status import Status
from ..errors import LedgerError, NotFoundError, SeedanceError
from .ledger import Ledger

if TYPE_CHECKING:
    from .._transport.client import AsyncOxenClient
    from .job import Job

__all__ = ["Billing", "Charge", "CostView", "cost_view", "estimate_of"]

log = logging.getLogger(__name__)

_FINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


@dataclass(frozen=True)
class Charge:
    """What the service said a generation cost; `amount` None: it reported no charge."""

    amount: Decimal | None


@dataclass(frozen=True)
class CostView:
    """A cost as it is shown: `kind` is `billed` (the service's charge), `estimate` (from the
    model's prices, before the bill is known) or `unreported` (the service gave none;
    `amount` is then None)."""

    kind: str
    amount: Decimal | None


def estimate_of(request: VideoRequest) -> Decimal | None:
    """The price of `request` from its model's pricing (None when it publishes none)."""
    return cost_of(request.params, request.spec)


def cost_view(charge: Charge | None, estimate: Decimal | None, final: bool) -> CostView:
    """How to show a take's cost: its charge once read, else its estimate while it may still
    be charged, else "not reported"."""
    if charge is not None:
        return CostView("billed", charge.amount) if charge.amount is not None \
            else CostView("unreported", None)
    if not final and estimate is not None:
        return CostView("estimate", estimate)
    return CostView("unreported", None)


class Billing:
    """Reads and records what each finished generation was charged."""

    def __init__(self, client: AsyncOxenClient, ledger: Ledger):
        self.client = client
        self.ledger = ledger

    def recorded(self, generation_id: str) -> Charge | None:
        """The charge the ledger holds for `generation_id` (None: never read)."""
        with self.ledger.reading() as db:
            row = db.execute("SELECT data FROM entries WHERE generation_id = ? AND kind = "
                             "'cost' ORDER BY seq DESC LIMIT 1", (generation_id,)).fetchone()
        if row is None:
            return None
        cost = json.loads(row[0]).get("cost")
        return Charge(None if cost is None else Decimal(cost))

    async def settle(self, job: Job) -> None:
        """Give `job` its charge: from the ledger when it is there, else, once the job is
        final (and was not served from the cache), from the service, recorded at once.
        Never raises: a cost that cannot be read is logged and left unknown."""
        generation_id = job.generation_id
        if generation_id is None or job.charge is not None:
            return
        charge: Charge | None = None
        try:
            charge = self.recorded(generation_id)
            if charge is None and not job.cached and job.status in _FINAL:
                charge = await self._read(generation_id)
                if charge is not None:
                    self.ledger.charge(job.cache_key, generation_id, charge.amount)
        except LedgerError as exc:
            log.error("the cost of %s could not be recorded: %s", generation_id, exc)
        if charge is not None:
            job.charge = charge
            job.notify()

    async def _read(self, generation_id: str) -> Charge | None:
        try:
            return Charge((await self.client.past_generation(generation_id)).cost)
        except NotFoundError:
            return Charge(None)  # the service keeps no bill for it
        except SeedanceError as exc:
            log.warning("the cost of generation %s could not be read: %s", generation_id, exc)
            return None
