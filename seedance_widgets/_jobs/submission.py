"""Submission as an exactly-once operation: intent first, then a confirmed or reconciled id.

The queue has no idempotency key, so the client carries the guarantee: a paid generation is
never lost and never paid twice without the user's explicit say-so.

1. An intent is claimed in the ledger before anything is sent (`Ledger.claim`): a second
   process or kernel wanting the same (namespace, request, take) gets the live intent and
   waits for its id instead of paying again. No intent, no request: a ledger that cannot be
   written refuses the enqueue.
2. The request is sent once (`AsyncOxenClient.enqueue_once`, which resends only after a
   refusal that proves nothing was accepted). Every id in any answer is recorded at once.
3. An unknown outcome (answer lost, kill, an unexpected answer) is reconciled: the service's
   generations that could be this intent (same model, parameters equal after normalising,
   enqueued since it was sent, not claimed by any ledger entry) are listed. Exactly one, with
   no rival intent for the same request in the same window: adopt it. Otherwise nothing is
   sent; the job is `unconfirmed`, with its candidates, until the user adopts one or pays
   anew (`resubmit`).
"""

from __future__ import annotations

import asyncio
import logging

from .._contract.request import VideoRequest
from .._contract.states import Unconfirmed
from .._contract.status import Generation, Status
from .._transport.client import CLOCK_SKEW, AsyncOxenClient
from ..errors import (
    EnqueueUnconfirmed,
    GenerationCancelled,
    InvalidRequestError,
    LedgerError,
    SeedanceError,
)
from .billing import estimate_of
from .budget import Budget
from .holders import Holder
from .inputs import request_identity
from .job import Job
from .ledger import CONFIRMED, Intent, Ledger, request_key

__all__ = ["ENQUEUE_SPAN", "Submitter"]

log = logging.getLogger(__name__)

# The longest an intent's request may take to be accepted after its last sign of life (the
# client's deadline times its retries, with room): the window a candidate must fall in.
ENQUEUE_SPAN = 300.0


class Submitter:
    """Gets each job exactly one generation id, or says plainly that it cannot tell."""

    def __init__(self, client: AsyncOxenClient, ledger: Ledger, namespace: str, *,
                 holder: Holder | None = None, poll: float = 0.2, settle: float = 2.0,
                 budget: Budget | None = None):
        self.client = client
        self.budget = budget
        self.ledger = ledger
        self.namespace = namespace
        self.holder = holder or Holder.new()
        self.poll = poll
        self.settle = settle
        self._turn = asyncio.Lock()

    async def submit(self, job: Job, *, resubmit: bool = False) -> Generation:
        """The first record of `job`'s generation: sent now, found, or another holder's.

        Raises `EnqueueUnconfirmed` (the job is then `unconfirmed`), `LedgerError` before
        anything is sent when the intent cannot be written, `GenerationCancelled` when the
        user cancelled before it was sent, or the service's refusal.
        """
        estimate = estimate_of(job.request)
        guard = self.budget.guard(estimate, "this generation") if self.budget else None
        while True:
            # Submissions take turns at the ledger, one claim per loop step: a burst of 200
            # would otherwise write 200 intents in one step and hold the notebook meanwhile.
            # The step is yielded before the claim, so no await falls between writing an
            # intent and marking it sent (a cancel there would strand it).
            async with self._turn:
                await asyncio.sleep(0)
                claim = self.ledger.claim(
                    key=job.cache_key, request=self.request_key(job.request),
                    namespace=self.namespace, model=job.request.model,
                    params=dict(job.request.params), take=job.take, holder=self.holder,
                    resubmit=resubmit, estimate=estimate, guard=guard)
            resubmit = False
            intent = claim.intent
            job.intent_id = intent.intent_id
            job.cancel_requested = job.cancel_requested or intent.cancel_requested
            if claim.fresh:
                return await self._send(job, intent)
            if intent.phase == CONFIRMED:
                assert intent.generation_id is not None
                job.generation_id = intent.generation_id
                return await self.client.get(intent.generation_id)
            if intent.in_flight:
                await self._wait_for_holder(intent)
                continue
            return await self.reconcile(job, intent)

    def request_key(self, request: VideoRequest) -> str:
        identity = request_identity(request, self.client.settings.base_url)
        return request_key(identity, self.namespace)

    async def adopt(self, job: Job, generation_id: str) -> Generation:
        """Take `generation_id` as the generation of `job`'s intent (the user's choice among
        the candidates, or an id they know). It must exist, be of the intent's model, and
        not be recorded for anything else."""
        intent = self.ledger.intent(job.intent_id or "")
        if intent is None:
            raise InvalidRequestError("intent", job.intent_id, "an intent id from `seedance ls`")
        if intent.phase == CONFIRMED:
            if intent.generation_id == generation_id:
                return await self.client.get(generation_id)
            raise InvalidRequestError("generation_id", generation_id,
                                      f"{intent.generation_id} (already recorded for "
                                      f"{intent.intent_id})")
        if generation_id in self.ledger.claimed_ids():
            raise InvalidRequestError("generation_id", generation_id,
                                      "a generation not yet recorded for another take",
                                      reason="is already recorded in the ledger")
        record = await self.client.get(generation_id)
        if record.model_name not in (None, intent.model):
            raise InvalidRequestError("generation_id", generation_id,
                                      f"a generation of {intent.model}",
                                      reason=f"is a generation of {record.model_name}")
        self._confirm(job, intent, [generation_id], "adopted")
        return record

    async def reconcile(self, job: Job, intent: Intent, *, settle: bool = False) -> Generation:
        """Find the generation of an intent whose answer was lost; adopt it when it is the
        only possible one, else leave the job `unconfirmed` (raising `EnqueueUnconfirmed`).

        `settle`: look a second time after a short pause when nothing is listed yet (a
        service may record an accepted job a moment after the connection broke).
        """
        cause = intent.reason or "the sender stopped before its answer came"
        since = intent.sent_at or intent.at
        window = (since - CLOCK_SKEW - ENQUEUE_SPAN, intent.last_at + CLOCK_SKEW)
        free: list[Generation] = []
        rivals: list[Intent] = []
        for look in range(2 if settle else 1):
            if look:
                await asyncio.sleep(self.settle)
            rivals = await self._settled_rivals(intent, window)
            try:
                found = await self.client.find_candidates(
                    job.request, since=since, until=intent.last_at + ENQUEUE_SPAN)
            except SeedanceError as exc:
                self._unconfirmed(job, intent, f"{cause}; listing the queue failed: {exc}",
                                  None, 0)
            claimed = self.ledger.claimed_ids()
            free = [g for g in found if g.generation_id not in claimed]
            if len(free) == 1 and not rivals:
                log.warning("the answer to intent %s was lost; the service lists %s for it",
                            intent.intent_id, free[0].generation_id)
                self._confirm(job, intent, [free[0].generation_id], "reconciled")
                return free[0]
            if free:
                break
        self._unconfirmed(job, intent, cause, [g.generation_id for g in free],
                          len(rivals) if free else 0)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- steps --------------------------------------------------------------------------------

    async def _send(self, job: Job, intent: Intent) -> Generation:
        if job.cancel_requested:
            self.ledger.void(intent, "cancelled before it was sent")
            raise GenerationCancelled(job.id, "cancelled before it was sent")
        self.ledger.sending(intent)
        job.sending = True
        try:
            generations = await self.client.enqueue_once(job.request)
        except EnqueueUnconfirmed as unsure:
            if unsure.generation_ids:
                self._confirm(job, intent, list(unsure.generation_ids), "answer")
                return Generation(unsure.generation_ids[0], Status.QUEUED)
            self._note_unconfirmed(intent, unsure.cause, [])
            reread = self.ledger.intent(intent.intent_id) or intent
            return await self.reconcile(job, reread, settle=True)
        except SeedanceError as exc:  # a definite refusal: nothing was accepted
            self.ledger.refused(intent, str(exc))
            raise
        finally:
            job.sending = False
        self._confirm(job, intent, [g.generation_id for g in generations], "answer")
        return generations[0]

    def _confirm(self, job: Job, intent: Intent, ids: list[str], how: str) -> None:
        """Record the ids (before anything else happens to them) and show the first. A ledger
        that cannot take them is said on the card; the job goes on, and since its intent is
        recorded, `seedance resume` finds the generation again later."""
        job.generation_id = ids[0]
        try:
            self.ledger.confirm(intent, ids, how)
        except LedgerError as exc:
            log.error("generation %s was accepted but could not be recorded: %s", ids[0], exc)
            job.notice = (f"generation {ids[0]} was accepted, but {exc}. Its intent "
                          f"{intent.intent_id} is recorded, so `seedance resume` finds it "
                          "again once the ledger can be written")
        job.notify()

    def _unconfirmed(self, job: Job, intent: Intent, cause: str, ids: list[str] | None,
                     rivals: int) -> None:
        """Leave `job` unconfirmed with its candidates, and raise `EnqueueUnconfirmed`."""
        error = EnqueueUnconfirmed(cause, sent_at=intent.sent_at or intent.at,
                                   candidates=None if ids is None else tuple(ids),
                                   rivals=rivals, intent_id=intent.intent_id)
        self._note_unconfirmed(intent, cause, ids or [])
        job.move_to(Unconfirmed(candidates=tuple(ids or ()),
                                why=f"{error}. Adopt a candidate (`seedance adopt "
                                    f"{intent.intent_id} ID`) or pay anew (`--resubmit`)"))
        raise error

    def _note_unconfirmed(self, intent: Intent, cause: str, ids: list[str]) -> None:
        try:
            self.ledger.unconfirmed(intent, cause, ids)
        except LedgerError as exc:  # the intent itself is recorded: resume reconciles it
            log.error("intent %s is unconfirmed, and that could not be recorded: %s",
                      intent.intent_id, exc)

    async def _settled_rivals(self, intent: Intent,
                              window: tuple[float, float]) -> list[Intent]:
        """Rival intents for the same request, after those still in flight have settled
        (their ids, once recorded, are claimed and so no longer candidates)."""
        while True:
            rivals = self.ledger.rivals(intent, *window)
            if not any(r.in_flight for r in rivals):
                return rivals
            await asyncio.sleep(self.poll)

    async def _wait_for_holder(self, intent: Intent) -> None:
        """Poll the ledger until another holder's intent is no longer in flight (its answer
        came, or that holder stopped)."""
        current: Intent | None = intent
        while current is not None and current.in_flight:
            await asyncio.sleep(self.poll)
            current = self.ledger.intent(intent.intent_id)
