"""The controller: runs jobs as tasks on the running loop, under a concurrency bound.

Submission is exactly-once (`submission.py`): an intent is in the ledger before anything is
sent, and every generation id is recorded before anything else happens to it. A request
already made (same model, parameters and take) returns its video from disk without a single
request, a recorded video that went missing is fetched again from the same generation, and
jobs and intents left unfinished by a previous kernel are resumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._contract.request import VideoRequest
from .._contract.states import (
    Cancelled,
    LocalError,
    Submitting,
    Succeeded,
    Unconfirmed,
    state_from_record,
)
from .._contract.status import Generation, Status
from .._transport.client import AsyncOxenClient
from .._transport.events import EventHub
from ..errors import (
    EnqueueUnconfirmed,
    GenerationCancelled,
    GenerationFailed,
    LedgerError,
    ProtocolError,
    SeedanceError,
)
from .billing import Billing
from .budget import Budget
from .eta import EtaEstimator
from .files import video_path
from .follower import FollowPolicy, follow
from .inputs import LocalInput, Uploader, request_identity
from .job import Job
from .judgments import Judgments
from .ledger import PREPARED, Ledger, LedgerRecord, cache_key
from .submission import Submitter

__all__ = ["Controller", "Interrupted"]

log = logging.getLogger(__name__)

# On close, how long an enqueue on the wire may take to bring its id home.
CLOSE_GRACE = 5.0


@dataclass(frozen=True)
class Interrupted:
    """A job stopped (close, Ctrl-C) while its request was being submitted."""

    intent_id: str | None
    generation_id: str | None
    prompt: str

    def __str__(self) -> str:
        got = (f"its id {self.generation_id} is recorded" if self.generation_id
               else "no id came back yet")
        return (f"intent {self.intent_id} ({self.prompt[:40]!r}) was being submitted: {got}. "
                "Run `seedance resume` (or create a new Studio) to reconcile and follow it")


class Controller:
    """Submits requests, follows them to the end and downloads the videos into `output_dir`.

    Every job runs as an asyncio task on the loop that is running when `submit` is called, so
    the caller (a notebook cell, the CLI) never blocks. `namespace` keeps results of
    different backends apart in the cache (a simulated video is never served as a real one).
    `deadline` (seconds, off by default) cancels a job on the server when it passes.
    Without a `ledger`, a temporary one lives as long as the controller. `budget` caps the
    namespace's spend (checked again as each intent is recorded); each final job's billed
    cost is read once and recorded (`billing.py`).
    """

    def __init__(self, client: AsyncOxenClient, *, output_dir: Path | str = "videos",
                 policy: FollowPolicy | None = None, concurrency: int = 8,
                 ledger: Ledger | None = None, namespace: str = "default",
                 deadline: float | None = None, budget: Decimal | None = None):
        self.client = client
        self.output_dir = Path(output_dir)
        self.policy = policy or FollowPolicy()
        self.ledger = ledger or Ledger.temporary()
        self.namespace = namespace
        self.deadline = deadline
        self.budget = Budget(self.ledger, namespace, budget)
        self.billing = Billing(client, self.ledger)
        self.judgments = Judgments(self.ledger)
        self.submitter = Submitter(client, self.ledger, namespace, budget=self.budget)
        self.uploader = Uploader(client, self.ledger, namespace)
        self.eta = EtaEstimator(self.ledger)
        self.jobs: dict[str, Job] = {}
        self._hub: EventHub | None = None
        self._slots = asyncio.Semaphore(concurrency)
        self._submissions: dict[str, asyncio.Future[Generation]] = {}
        self._observers: list[Callable[[Job], None]] = []

    @property
    def hub(self) -> EventHub:
        """The shared event stream, created on first use on the running loop."""
        if self._hub is None:
            self._hub = EventHub(self.client)
        return self._hub

    def observe(self, callback: Callable[[Job], None]) -> None:
        """Call `callback(job)` after any change of any job."""
        self._observers.append(callback)

    def key(self, request: VideoRequest, take: int) -> str:
        identity = request_identity(request, self.client.settings.base_url)
        return cache_key(identity, take, self.namespace)

    def submit(self, request: VideoRequest, *, take: int = 1, resubmit: bool = False,
               uploads: tuple[LocalInput, ...] = ()) -> Job:
        """Start (or find) the job for `request` and `take`, and return its handle at once.

        The same request and take already running here returns that job; one finished
        before (ledger + file on disk) returns at once with its video and no request.
        `resubmit=True` is the user's explicit say-so to pay anew for a take whose earlier
        submission is unconfirmed. `uploads` (local inputs whose URLs `request` holds) are
        put in place before the intent is written.
        """
        key = self.key(request, take)
        running = next((j for j in self.jobs.values() if j.cache_key == key
                        and not _ended_without_video(j)), None)
        if running is not None and not (resubmit and running.done):
            return running
        if running is not None:
            del self.jobs[running.id]
        job = Job(request, take=take, cache_key=key,
                  job_id=running.id if running is not None else None)
        job.uploads = uploads
        cached = self._cached(key)
        if cached is not None:
            path = Path(cached.video_path or "")
            job.restore(cached.generation_id, Succeeded(path=path, at=cached.history[-1][1]),
                        path)
            job.intent_id = cached.intent_id
            return self._start(job, _done(job.video_path))
        return self._start(job, self._run(job, lambda: self._submit(job, resubmit)))

    async def _submit(self, job: Job, resubmit: bool) -> Generation:
        """Put the job's local inputs in place, then submit it exactly once."""
        if job.uploads:
            await self.uploader.ensure(job.uploads)
        return await self.submitter.submit(job, resubmit=resubmit)

    async def resume(self) -> list[Job]:
        """Reconcile every unresolved intent and follow every unfinished job the ledger
        holds (after a restart or a crash). An intent whose holder stopped before sending it
        is dropped: nothing was paid."""
        keys: dict[str, tuple[str, dict[str, Any], int]] = {}
        # The two scans read the ledger (a long history costs ~0.5 s to read whole): off
        # the loop, so a new Studio's kernel stays responsive while they run.
        for intent in await asyncio.to_thread(self.ledger.unsettled, self.namespace):
            if intent.phase == PREPARED and not intent.holder_alive:
                self.ledger.void(intent, "its holder stopped before sending it")
            elif intent.unresolved:
                keys[intent.cache_key] = (intent.model, intent.params, intent.take)
        for record in await asyncio.to_thread(self.ledger.unfinished, self.namespace):
            keys.setdefault(record.cache_key, (record.model, record.params, record.take))
        known = {j.cache_key for j in self.jobs.values()}
        resumed = []
        for key, (model, params, take) in keys.items():
            if key in known:
                continue
            spec = await self.client.model_spec(model)
            resumed.append(self.submit(VideoRequest(spec=spec, **params), take=take))
        return resumed

    def adopt(self, job: Job, generation_id: str) -> Job:
        """Settle an unconfirmed `job` with `generation_id` (one of its candidates, or an id
        the user knows), then follow and download it."""
        if not isinstance(job.state, Unconfirmed):
            raise SeedanceError(f"job {job.id} is {job.status}, not unconfirmed: nothing to "
                                "adopt")
        job.move_to(Submitting())
        return self._start(job, self._run(job, lambda: self.submitter.adopt(job, generation_id)))

    async def job_for_intent(self, intent_id: str) -> Job:
        """The job of an intent (from `seedance ls`), created from the ledger if needed."""
        found = next((j for j in self.jobs.values() if j.intent_id == intent_id), None)
        if found is not None:
            return found
        intent = self.ledger.intent(intent_id)
        if intent is None or intent.namespace != self.namespace:
            raise SeedanceError(f"no intent {intent_id} in {self.ledger.path} for this backend")
        spec = await self.client.model_spec(intent.model)
        job = Job(VideoRequest(spec=spec, **intent.params), take=intent.take,
                  cache_key=intent.cache_key)
        job.intent_id = intent.intent_id
        job.move_to(Unconfirmed(candidates=intent.candidates, why=intent.reason),
                    notify=False)
        self._register(job)
        return job

    async def cancel(self, job: Job) -> None:
        """Ask the server to cancel; the job ends `cancelled` unless it had already finished.

        Before the id is known the cancel is remembered (in the ledger too): nothing is sent
        if it was not yet, and once the id arrives it is cancelled at once.
        """
        if job.done:
            return
        if job.generation_id is None:
            job.cancel_requested = True
            intent = self.ledger.intent(job.intent_id) if job.intent_id else None
            if intent is not None:
                self.ledger.cancel_requested(intent)
            if not job.sending:  # nothing on the wire: stopping the task loses nothing
                job.cancel_task()
                job.move_to(Cancelled(why="cancelled before it was submitted"))
                return
            job.notify()  # "cancelling…": done once the id arrives
            return
        await self.client.cancel(job.generation_id)
        record = await self.client.get(job.generation_id)
        if record.status is Status.CANCELLED:
            self._record_status(job, record)
            job.cancel_task()
            job.move_to(state_from_record(record))

    async def aclose(self, grace: float = CLOSE_GRACE) -> list[Interrupted]:
        """Stop following jobs (they go on on the server). Enqueues on the wire get `grace`
        seconds to bring their ids home first; those interrupted are returned."""
        in_window = [(self.jobs[i], s) for i, s in self._submissions.items()
                     if not s.done() and self.jobs[i].sending]
        if in_window:
            await asyncio.wait([s for _, s in in_window], timeout=grace)
        for submission in self._submissions.values():
            submission.cancel()
        for job in self.jobs.values():
            job.cancel_task()
        self.submitter.holder.release()
        if self._hub is not None:
            await self._hub.aclose()
        self.ledger.close()  # reopened if used again
        return [Interrupted(job.intent_id, job.generation_id, job.request.prompt or "")
                for job, _ in in_window]

    def register(self, job: Job) -> Job:
        """Show a job restored from the ledger (a past take opened from the history):
        nothing is sent, nothing is followed."""
        self._register(job)
        job.notify()
        return job

    def highest_take(self, request: VideoRequest) -> int:
        """The highest take of `request` the ledger knows in this namespace (0 if none)."""
        return self.ledger.highest_take(self.submitter.request_key(request))

    # -- a job's life ---------------------------------------------------------------------

    def _register(self, job: Job) -> None:
        """Make `job` one of this controller's (observed once, whatever its restarts)."""
        job.judgments = self.judgments
        if self.jobs.get(job.id) is not job:
            self.jobs[job.id] = job
            for callback in self._observers:
                job.observe(callback)

    def _start(self, job: Job, work: Coroutine[Any, Any, Path]) -> Job:
        self._register(job)
        job.eta_seconds = self.eta.estimate(job.request)
        task = asyncio.get_running_loop().create_task(self._guard(job, work),
                                                      name=f"job-{job.id}")
        # The outcome lives in the job's status; don't let asyncio report it as unretrieved,
        # nor `work` as never awaited when the task was cancelled before it started.
        task.add_done_callback(_retrieve)
        task.add_done_callback(lambda _: work.close())
        job.attach(task)
        job.notify()
        return job

    async def _guard(self, job: Job, work: Coroutine[Any, Any, Path]) -> Path:
        """Run `work`; turn any local failure into the job's `error` state (never a hang)."""
        try:
            return await work
        except asyncio.CancelledError:
            if isinstance(job.state, Cancelled):
                raise GenerationCancelled(job.generation_id or job.id) from None
            raise
        except GenerationCancelled as exc:
            if not isinstance(job.state, Cancelled):
                job.move_to(Cancelled(why=str(exc)))
            raise
        except (GenerationFailed, EnqueueUnconfirmed):
            raise  # the job is already in the state that says so
        except Exception as exc:
            job.move_to(LocalError(why=str(exc) or type(exc).__name__))
            raise
        finally:
            await self.billing.settle(job)  # what a final job was charged, read once

    async def _run(self, job: Job, first: Callable[[], Awaitable[Generation]]) -> Path:
        """`first()` (a submission or an adoption) gives the generation; follow it to a
        video, within the whole-job deadline (counted once the job holds a slot)."""
        async with self._slots:
            return await self._within_deadline(job, self._to_video(job, first))

    async def _to_video(self, job: Job, first: Callable[[], Awaitable[Generation]]) -> Path:
        await self.hub.ready()
        # Shielded: a deadline must not cut an enqueue whose job the server may accept.
        submission = asyncio.ensure_future(first())
        submission.add_done_callback(_retrieve)
        self._submissions[job.id] = submission
        record = await asyncio.shield(submission)
        record = await self._honour_cancel(job, record)
        return await self._follow_and_fetch(job, record)

    async def _honour_cancel(self, job: Job, record: Generation) -> Generation:
        """A cancel asked for before the id came: send it now, and say what the server says."""
        if not job.cancel_requested or record.status.is_terminal:
            if job.cancel_requested and record.status is Status.SUCCEEDED:
                job.notice = "finished before the cancel arrived"
            return record
        await self.client.cancel(record.generation_id)
        record = await self.client.get(record.generation_id)
        if record.status is Status.SUCCEEDED:
            job.notice = "finished before the cancel arrived"
        return record

    async def _within_deadline(self, job: Job, work: Coroutine[Any, Any, Path]) -> Path:
        """`work` under the whole-job deadline."""
        deadline = asyncio.timeout(self.deadline)
        try:
            async with deadline:
                return await work
        except TimeoutError:
            if not deadline.expired():
                raise
            return await self._deadline_passed(job)
        finally:
            self._submissions.pop(job.id, None)

    async def _deadline_passed(self, job: Job) -> Path:
        """Cancel on the server and record what the server says happened."""
        note = f"deadline of {self.deadline:g}s passed"
        submission = self._submissions.get(job.id)
        if submission is not None and not submission.done():
            with contextlib.suppress(Exception):
                await submission  # the id is recorded even if the deadline cut the wait
        if job.generation_id is None:
            if isinstance(job.state, Unconfirmed):
                raise EnqueueUnconfirmed(job.error or "unconfirmed", sent_at=job.created_at,
                                         candidates=job.candidates, intent_id=job.intent_id)
            job.move_to(Cancelled(why=f"{note} before the job was submitted"))
            raise GenerationCancelled(job.id, f"cancelled: {note}")
        try:
            await self.client.cancel(job.generation_id)
            record = await self.client.get(job.generation_id)
        except SeedanceError as exc:
            job.move_to(LocalError(why=f"{note}, but cancelling it on the server failed "
                                           f"({exc}); it may still run, and resume() will "
                                           "follow it"))
            raise
        if record.status in (Status.SUCCEEDED, Status.FAILED):
            return await self._follow_and_fetch(job, record)  # finished just in time, or failed
        if record.status is not Status.CANCELLED:
            message = f"{note}, but the server still reports it {record.status}"
            job.move_to(LocalError(why=message))  # the ledger keeps it resumable
            raise GenerationCancelled(job.generation_id, message)
        self._record_status(job, record)
        job.move_to(Cancelled(why=f"{note}: cancelled on the server"))
        raise GenerationCancelled(job.generation_id, f"cancelled: {note}")

    async def _follow_and_fetch(self, job: Job, first: Generation) -> Path:
        generation_id = first.generation_id
        async for record in follow(self.client, self.hub, first, self.policy):
            job.result_url = record.result_url or job.result_url
            self._record_status(job, record)
            job.move_to(state_from_record(record))
        if job.status == Status.FAILED:
            raise GenerationFailed(generation_id, job.error)
        if job.status == Status.CANCELLED:
            raise GenerationCancelled(generation_id)
        if not job.result_url:
            raise ProtocolError(f"generation {generation_id} succeeded without a URL")
        earlier = self._ledger_call(self.ledger.record, generation_id)
        if earlier is not None and earlier.video_path is not None:
            job.notice = ("fetched again from the same generation (no new payment): the "
                          "recorded video was missing or damaged")
        container = str(job.request.params.get("output_format", "mp4"))
        path = await self.client.download(job.result_url,
                                          video_path(self.output_dir, generation_id, container),
                                          refresh_url=lambda: self._fresh_url(generation_id))
        self._ledger_call(self.ledger.video, job.cache_key, generation_id, path)
        job.video_path = path
        if job.started_at is not None:
            self.eta.learn(job.request, job.state.at - job.started_at)
        await self.billing.settle(job)  # before the job is done: its card shows the bill
        job.move_to(Succeeded(path=path))
        return path

    def _cached(self, key: str) -> LedgerRecord | None:
        """The newest succeeded generation of `key` whose video is on disk, intact."""
        return next((r for r in reversed(self.ledger.for_key(key))
                     if r.status == Status.SUCCEEDED and r.video_intact()), None)

    def _record_status(self, job: Job, record: Generation) -> None:
        if job.generation_id is None:
            return
        last = self._ledger_call(self.ledger.record, job.generation_id)
        if last is None or last.status != record.status:
            self._ledger_call(self.ledger.status, job.cache_key, job.generation_id,
                              str(record.status), record.error_message)

    def _ledger_call(self, method: Callable[..., Any], *args: Any) -> Any:
        """A ledger write or read after the id is known: a failing ledger must not stop the
        paid job from being followed and downloaded; it is said on the card instead."""
        try:
            return method(*args)
        except LedgerError as exc:
            log.error("%s", exc)
            for job in self.jobs.values():
                if job.generation_id in args and job.notice is None:
                    job.notice = str(exc)
            return None

    async def _fresh_url(self, generation_id: str) -> str:
        record = await self.client.get(generation_id)
        if not record.result_url:
            raise ProtocolError(f"generation {generation_id} has no result URL")
        return record.result_url


def _ended_without_video(job: Job) -> bool:
    """Failed, cancelled or broken here: a new submission of its take may start."""
    return job.state.terminal and not isinstance(job.state, Succeeded)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's outcome as seen (it lives in the job's status)."""
    if not task.cancelled():
        task.exception()


async def _done(path: Path | None) -> Path:
    assert path is not None
    return path
