"""A session: what a person does with jobs, the same for every surface.

It numbers takes (a click on Generate is a new video, a re-run notebook cell is the same
one), refuses to start a request that is already running, runs sweeps with their estimated
cost, and lists jobs newest first. The controller below it runs each job exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .._contract.pricing import cost_of
from .._contract.request import VideoRequest
from ..errors import InvalidRequestError, SeedanceError
from .controller import Controller
from .inputs import LocalInput
from .job import Job
from .sweep import Sweep

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
        return self.controller.submit(request, take=take, uploads=uploads)

    def another_take(self, request: VideoRequest,
                     uploads: tuple[LocalInput, ...] = ()) -> Job:
        """A new video of `request` under its next take number (a click on Generate); refused
        while the same request is still running here."""
        if any(j.request == request and not j.done for j in self.jobs.values()):
            raise SeedanceError("this request is already running")
        return self.controller.submit(request, take=self.next_take(request), uploads=uploads)

    def new_take(self, job: Job | str) -> Job:
        """`job`'s request again, under the next unused take number."""
        source = self.job(job)
        return self.controller.submit(source.request, take=self.next_take(source.request),
                                      uploads=source.uploads)

    def resubmit(self, job: Job | str) -> Job:
        """Pay anew for an unconfirmed job's request and take: the user's explicit say-so."""
        source = self.job(job)
        return self.controller.submit(source.request, take=source.take, resubmit=True,
                                      uploads=source.uploads)

    def adopt(self, job: Job | str, generation_id: str) -> Job:
        """Settle an unconfirmed job with one of its candidates (or an id the user knows)."""
        return self.controller.adopt(self.job(job), generation_id)

    def sweep(self, axes: Mapping[str, Sequence[Any]], cells: list[dict[str, Any]],
              requests: list[VideoRequest], *, take: int = 1,
              uploads: Sequence[tuple[LocalInput, ...]] | None = None) -> Sweep:
        """Run one job per cell (`requests[i]` is cell `i`, already validated, and
        `uploads[i]` its local inputs), with the estimated cost of each model."""
        inputs = list(uploads) if uploads is not None else [()] * len(requests)
        jobs = [self.generate(request, take=take, uploads=local)
                for request, local in zip(requests, inputs, strict=True)]
        return Sweep(axes, cells, jobs, estimated_cost(requests),
                     cost_by_model=costs_by_model(requests))

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
