"""A session: what a person does with jobs, the same for every surface.

It numbers takes (a click on Generate is a new video, a re-run notebook cell is the same
one), refuses to start a request that is already running, runs sweeps with their estimated
cost, keeps the budget (what would be paid anew must fit in what it leaves, before any
request) and lists jobs newest first. The controller below it runs each job exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .._contract.pricing import cost_of
from .._contract.request import VideoRequest
from .._contract.schema import bundled_model
from .._contract.states import JobState, LocalError, Succeeded, Unconfirmed, state_from_record
from .._contract.status import Generation, Status
from ..errors import InvalidRequestError, SeedanceError
from .billing import estimate_of
from .budget import Budget
from .controller import Controller
from .history import TakeRecord
from .inputs import LocalInput
from .job import Job
from .sweep import Sweep, SweepPlan

__all__ = ["Session"]


class Session:
    """Takes, sweeps and their order, over one `Controller`."""

    def __init__(self, controller: Controller):
        self.controller = controller

    @property
    def jobs(self) -> dict[str, Job]:
        return self.controller.jobs

    def job(self, job: Job | str) -> Job:
        """A job of this session, by handle or id (an unknown id raises `KeyError`)."""
        return job if isinstance(job, Job) else self.controller.jobs[job]

    def generate(self, request: VideoRequest, *, take: int = 1,
                 uploads: tuple[LocalInput, ...] = ()) -> Job:
        """The job for `request` and `take`: the same take made before comes back from the
        ledger with no request; a new take number asks for a new video. `uploads` are the
        local inputs `request` points at (see `inputs.py`)."""
        if isinstance(take, bool) or not isinstance(take, int) or take < 1:
            raise InvalidRequestError("take", take, "a whole number from 1")
        return self._pay_for(request, take, "this generation", uploads)

    def another_take(self, request: VideoRequest,
                     uploads: tuple[LocalInput, ...] = ()) -> Job:
        """A new video of `request` under its next take number (a click on Generate); refused
        while the same request is still running here, or unconfirmed (its card asks first).
        A take that has ended counts as ended at once, before its bill is read."""
        if any(j.request == request and (j.state.running or isinstance(j.state, Unconfirmed))
               for j in self.jobs.values()):
            raise SeedanceError("this request is already running")
        return self._pay_for(request, self.next_take(request), "this generation", uploads)

    def new_take(self, job: Job | str) -> Job:
        """`job`'s request again, under the next unused take number."""
        source = self.job(job)
        return self._pay_for(source.request, self.next_take(source.request), "a new take",
                             source.uploads)

    def resubmit(self, job: Job | str) -> Job:
        """Pay anew for an unconfirmed job's request and take: the user's explicit say-so."""
        source = self.job(job)
        self.budget.check(estimate_of(source.request), "paying anew", self._unclaimed())
        return self.controller.submit(source.request, take=source.take, resubmit=True,
                                      uploads=source.uploads)

    def adopt(self, job: Job | str, generation_id: str) -> Job:
        """Settle an unconfirmed job with one of its candidates (or an id the user knows)."""
        return self.controller.adopt(self.job(job), generation_id)

    def sweep(self, axes: Mapping[str, Sequence[Any]], cells: list[dict[str, Any]],
              requests: list[VideoRequest], *, take: int = 1, start: bool = True,
              uploads: Sequence[tuple[LocalInput, ...]] | None = None) -> Sweep:
        """One job per cell (`requests[i]` is cell `i`, already validated, and `uploads[i]`
        its local inputs), started at once unless `start` is False (a preview whose `plan`
        says what it would cost), with the estimated cost of each model."""
        if isinstance(take, bool) or not isinstance(take, int) or take < 1:
            raise InvalidRequestError("take", take, "a whole number from 1")
        inputs = list(uploads) if uploads is not None else [()] * len(requests)

        def launch() -> list[Job]:
            self.afford(requests, take, f"this sweep of {len(requests)}")
            return [self.controller.submit(request, take=take, uploads=local)
                    for request, local in zip(requests, inputs, strict=True)]

        sweep = Sweep(axes, cells, [], estimated_cost(requests),
                      plan=self.plan(requests, take), launch=launch,
                      cost_by_model=costs_by_model(requests))
        return sweep.start() if start else sweep

    @property
    def budget(self) -> Budget:
        return self.controller.budget

    def plan(self, requests: Sequence[VideoRequest], take: int) -> SweepPlan:
        """What running `requests` under `take` would cost anew, and what the budget leaves."""
        fresh = [r for r in requests if self._would_pay(r, take)]
        left = None
        if self.budget.limit is not None:
            spent = self.budget.spend()
            assert spent.left is not None
            left = spent.left - self._unclaimed()
        return SweepPlan(cached=len(requests) - len(fresh), new=len(fresh),
                         estimated_cost=estimated_cost(requests),
                         new_cost=estimated_cost(fresh), budget_left=left)

    def afford(self, requests: Sequence[VideoRequest], take: int, what: str) -> None:
        """Raise `BudgetExceeded` (before any request) when what `requests` would pay anew
        does not fit in what the budget leaves."""
        if self.budget.limit is None:
            return
        fresh = [r for r in requests if self._would_pay(r, take)]
        if fresh:
            self.budget.check(estimated_cost(fresh), what, self._unclaimed())

    def _pay_for(self, request: VideoRequest, take: int, what: str,
                 uploads: tuple[LocalInput, ...] = ()) -> Job:
        self.afford([request], take, what)
        return self.controller.submit(request, take=take, uploads=uploads)

    def _would_pay(self, request: VideoRequest, take: int) -> bool:
        """Whether submitting `request` under `take` would start a new paid generation (not
        one running here, nor one the ledger has that did not fail or get cancelled)."""
        key = self.controller.key(request, take)
        if any(j.cache_key == key and (not j.state.terminal or isinstance(j.state, Succeeded))
               for j in self.jobs.values()):
            return False
        return all(r.status in (Status.FAILED, Status.CANCELLED)
                   for r in self.controller.ledger.for_key(key))

    def _unclaimed(self) -> Decimal:
        """Estimates of jobs started here whose intents are not recorded yet."""
        waiting = [j.request for j in self.jobs.values()
                   if j.intent_id is None and j.generation_id is None and not j.cached
                   and not j.state.terminal]
        return estimated_cost(waiting) or Decimal(0)

    def open(self, record: TakeRecord) -> Job:
        """The job of a past take from the history (this session's, or one restored from the
        ledger as it is: a finished take shows its video; nothing is sent)."""
        found = next((j for j in self.jobs.values()
                      if j.generation_id == record.generation_id), None)
        if found is not None:
            return found
        spec = bundled_model(record.model)
        if spec is None:
            raise SeedanceError(f"take {record.generation_id} was made with {record.model}, "
                                "whose schema is not bundled: it cannot be shown here")
        request = VideoRequest(spec=spec, **record.params)
        job = Job(request, take=record.take, cache_key=self.controller.key(request, record.take))
        job.generation_id, job.cached = record.generation_id, True
        job.charge = self.controller.billing.recorded(record.generation_id)
        video = record.video_path if record.video_path and record.video_path.is_file() else None
        job.video_path = video
        if record.status == Status.SUCCEEDED and video is not None:
            state: JobState = Succeeded(path=video, at=record.finished_at or record.submitted_at)
        elif record.status == Status.SUCCEEDED:
            state = LocalError(why="its video is no longer on disk: generate this take "
                                       "again to fetch it from the same generation")
        else:
            state = state_from_record(
                Generation(record.generation_id, Status(record.status),
                           error_message=record.error),
                at=record.finished_at or record.submitted_at)
        job.move_to(state, notify=False)
        return self.controller.register(job)

    def next_take(self, request: VideoRequest) -> int:
        """One more than the highest take of `request` made here or in the ledger."""
        here = max((j.take for j in self.jobs.values() if j.request == request), default=0)
        return max(here, self.controller.highest_take(request)) + 1

    def latest_take(self, request: VideoRequest) -> int:
        """The newest take of `request` (1 when there is none yet): what exported code asks
        for, so running it returns that very video."""
        return max(1, self.next_take(request) - 1)

    def ordered(self) -> list[Job]:
        """This session's jobs, newest first."""
        return sorted(self.jobs.values(), key=lambda j: j.created_at, reverse=True)


def costs_by_model(requests: Sequence[VideoRequest]) -> dict[str, Decimal | None]:
    """The estimated cost of the requests of each model, in the order models first appear."""
    models = dict.fromkeys(r.model for r in requests)
    return {m: estimated_cost([r for r in requests if r.model == m]) for m in models}


def estimated_cost(requests: Sequence[VideoRequest]) -> Decimal | None:
    """What these generations would cost at their models' prices; None if any is unknown."""
    costs = [cost_of(r.params, r.spec) for r in requests]
    if any(c is None for c in costs):
        return None
    return sum((c for c in costs if c is not None), Decimal(0))
