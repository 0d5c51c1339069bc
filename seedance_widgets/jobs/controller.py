"""The controller: runs jobs as tasks on the running loop, under a concurrency bound.

With a ledger, every generation id is recorded before anything else happens to it, a request
already made (same model, parameters and take) returns its video from disk without a single
request, and jobs left running by a previous kernel are resumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import statistics
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ..contract.errors import GenerationCancelled, GenerationFailed, ProtocolError, SeedanceError
from ..contract.request import VideoRequest
from ..contract.status import Generation, Status
from ..transport.client import AsyncOxenClient
from ..transport.events import EventHub
from .follower import FollowPolicy, follow
from .job import ERROR, Job
from .ledger import Ledger, LedgerRecord, cache_key

__all__ = ["Controller"]

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class Controller:
    """Submits requests, follows them to the end and downloads the videos into `output_dir`.

    Every job runs as an asyncio task on the loop that is running when `submit` is called, so
    the caller (a notebook cell, the CLI) never blocks. `namespace` keeps results of
    different backends apart in the cache (a simulated video is never served as a real one).
    `deadline` (seconds, off by default) cancels a job on the server when it passes.
    """

    def __init__(self, client: AsyncOxenClient, *, output_dir: Path | str = "videos",
                 policy: FollowPolicy | None = None, concurrency: int = 8,
                 ledger: Ledger | None = None, namespace: str = "default",
                 deadline: float | None = None):
        self.client = client
        self.output_dir = Path(output_dir)
        self.policy = policy or FollowPolicy()
        self.ledger = ledger
        self.namespace = namespace
        self.deadline = deadline
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
        return cache_key(request.canonical_json(), take, self.namespace)

    def submit(self, request: VideoRequest, *, take: int = 1) -> Job:
        """Start (or find) the job for `request` and `take`, and return its handle at once.

        The same request and take already running here returns that job; one finished
        before (ledger + file on disk) returns at once with its video and no request.
        """
        key = self.key(request, take)
        running = next((j for j in self.jobs.values()
                        if j.cache_key == key and j.status not in (ERROR, "failed", "cancelled")),
                       None)
        if running is not None:
            return running
        job = Job(request, take=take, cache_key=key)
        cached = self.ledger.cached_video(key) if self.ledger else None
        active = self._active_record(key) if cached is None else None
        if cached is not None:
            job.restore(cached.generation_id, cached.status, Path(cached.video_path or ""),
                        at=cached.history[-1][1])
            return self._start(job, _done(job.video_path))
        if active is not None:
            job.generation_id = active.generation_id
            return self._start(job, self._resume(job))
        return self._start(job, self._run(job))

    async def resume(self) -> list[Job]:
        """Follow to the end every job the ledger says is still running (after a restart)."""
        if self.ledger is None:
            return []
        known = {j.generation_id for j in self.jobs.values()}
        resumed = []
        for record in self.ledger.unfinished(self.namespace):
            if record.generation_id in known:
                continue
            spec = await self.client.model_spec(record.model)
            job = Job(VideoRequest(spec=spec, **record.params), take=record.take,
                      cache_key=record.cache_key)
            job.generation_id = record.generation_id
            job.set_status(record.status, at=record.history[-1][1], notify=False)
            resumed.append(self._start(job, self._resume(job)))
        return resumed

    async def cancel(self, job: Job) -> None:
        """Ask the server to cancel; the job ends `cancelled` unless it had already finished."""
        if job.done:
            return
        if job.generation_id is None:
            job.cancel_task()
            job.error = "cancelled before it was submitted"
            job.set_status(Status.CANCELLED)
            return
        await self.client.cancel(job.generation_id)
        record = await self.client.get(job.generation_id)
        if record.status is Status.CANCELLED:
            self._record_status(job, Status.CANCELLED, None)
            job.cancel_task()
            job.set_status(Status.CANCELLED)

    async def aclose(self) -> None:
        for job in self.jobs.values():
            job.cancel_task()
        if self._hub is not None:
            await self._hub.aclose()

    def video_path(self, generation_id: str) -> Path:
        """Where a generation's video is saved; the id never escapes `output_dir`.

        An id that had to be cleaned or shortened gets a hash suffix, so two ids never
        share a file.
        """
        name = _SAFE_NAME.sub("_", generation_id).strip("._")[:120]
        if not name or name != generation_id:
            raw = generation_id.encode("utf-8", "surrogatepass")
            digest = hashlib.sha256(raw).hexdigest()[:12]
            name = f"{name or 'video'}-{digest}"
        return self.output_dir / f"{name}.mp4"

    def next_take(self, request: VideoRequest) -> int:
        """One more than the highest take of `request` seen here or in the ledger."""
        takes = [j.take for j in self.jobs.values() if j.request == request]
        if self.ledger is not None:
            wanted = dict(request.params)
            takes += [r.take for r in self.ledger.records()
                      if r.model == request.model and r.params == wanted
                      and r.namespace == self.namespace]
        return max(takes, default=0) + 1

    def eta_seconds(self, request: VideoRequest) -> float | None:
        """Median past processing time for this model and resolution, from the ledger."""
        if self.ledger is None:
            return None
        past = self.ledger.durations(request.model, request.params.get("resolution"))
        return statistics.median(past) if past else None

    # -- a job's life ---------------------------------------------------------------------

    def _start(self, job: Job, work: Coroutine[Any, Any, Path]) -> Job:
        self.jobs[job.id] = job
        for callback in self._observers:
            job.observe(callback)
        job.eta_seconds = self.eta_seconds(job.request)
        task = asyncio.get_running_loop().create_task(self._guard(job, work),
                                                      name=f"job-{job.id}")
        # The outcome lives in the job's status; don't let asyncio report it as unretrieved.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        job.attach(task)
        job.notify()
        return job

    async def _guard(self, job: Job, work: Coroutine[Any, Any, Path]) -> Path:
        """Run `work`; turn any local failure into the job's `error` state (never a hang)."""
        try:
            return await work
        except asyncio.CancelledError:
            if job.status == Status.CANCELLED:
                raise GenerationCancelled(job.generation_id or job.id) from None
            raise
        except (GenerationFailed, GenerationCancelled):
            raise
        except Exception as exc:
            job.error = str(exc) or type(exc).__name__
            job.set_status(ERROR)
            raise

    async def _run(self, job: Job) -> Path:
        async with self._slots:
            return await self._within_deadline(job, self._submit_and_follow(job))

    async def _resume(self, job: Job) -> Path:
        assert job.generation_id is not None
        async with self._slots:
            return await self._within_deadline(job, self._follow_from_server(job))

    async def _submit_and_follow(self, job: Job) -> Path:
        await self.hub.ready()
        # Shielded: a deadline must not cut an enqueue whose job the server may accept.
        submission = asyncio.ensure_future(self._submit(job))
        self._submissions[job.id] = submission
        first = await asyncio.shield(submission)
        return await self._follow_and_fetch(job, first)

    async def _follow_from_server(self, job: Job) -> Path:
        assert job.generation_id is not None
        await self.hub.ready()
        return await self._follow_and_fetch(job, await self.client.get(job.generation_id))

    async def _submit(self, job: Job) -> Generation:
        """Enqueue, and record the id before anything else happens to it."""
        if self.ledger is not None:
            self.ledger.intent(job.cache_key, {"model": job.request.model, "take": job.take,
                                               "params": dict(job.request.params)})
        (first,) = await self.client.enqueue(job.request)
        job.generation_id = first.generation_id
        if self.ledger is not None:
            self.ledger.submitted(job.cache_key, first.generation_id, namespace=self.namespace,
                                  model=job.request.model, params=dict(job.request.params),
                                  take=job.take)
        job.notify()
        return first

    async def _within_deadline(self, job: Job, work: Coroutine[Any, Any, Path]) -> Path:
        """`work` under the whole-job deadline (counted once the job holds a slot)."""
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
            job.error = f"{note} before the job was submitted"
            job.set_status(Status.CANCELLED)
            raise GenerationCancelled(job.id, f"cancelled: {note}")
        try:
            await self.client.cancel(job.generation_id)
            record = await self.client.get(job.generation_id)
        except SeedanceError as exc:
            job.error = (f"{note}, but cancelling it on the server failed ({exc}); it may still "
                         "run, and resume() will follow it")
            job.set_status(ERROR)
            raise
        if record.status is Status.SUCCEEDED:
            return await self._follow_and_fetch(job, record)  # it finished just in time
        if record.status is Status.FAILED:
            return await self._follow_and_fetch(job, record)  # raises with the server's reason
        if record.status is not Status.CANCELLED:
            job.error = f"{note}, but the server still reports it {record.status}"
            job.set_status(ERROR)  # the ledger keeps it resumable
            raise GenerationCancelled(job.generation_id, job.error)
        self._record_status(job, record.status, record.error_message)
        job.error = f"{note}: cancelled on the server"
        job.set_status(Status.CANCELLED)
        raise GenerationCancelled(job.generation_id, f"cancelled: {note}")

    async def _follow_and_fetch(self, job: Job, first: Generation) -> Path:
        generation_id = first.generation_id
        async for record in follow(self.client, self.hub, first, self.policy):
            job.error = record.error_message
            job.result_url = record.result_url or job.result_url
            self._record_status(job, record.status, record.error_message)
            job.set_status(record.status)
        if job.status == Status.FAILED:
            raise GenerationFailed(generation_id, job.error)
        if job.status == Status.CANCELLED:
            raise GenerationCancelled(generation_id)
        if not job.result_url:
            raise ProtocolError(f"generation {generation_id} succeeded without a URL")
        path = await self.client.download(job.result_url, self.video_path(generation_id),
                                          refresh_url=lambda: self._fresh_url(generation_id))
        if self.ledger is not None:
            self.ledger.video(job.cache_key, generation_id, path)
        job.video_path = path
        job.notify()
        return path

    def _record_status(self, job: Job, status: Status, error: str | None) -> None:
        if self.ledger is None or job.generation_id is None:
            return
        last = self.ledger.record(job.generation_id)
        if last is None or last.status != status:
            self.ledger.status(job.cache_key, job.generation_id, str(status), error)

    def _active_record(self, key: str) -> LedgerRecord | None:
        if self.ledger is None:
            return None
        return next((r for r in reversed(self.ledger.for_key(key)) if not r.finished
                     and r.namespace == self.namespace), None)

    async def _fresh_url(self, generation_id: str) -> str:
        record = await self.client.get(generation_id)
        if not record.result_url:
            raise ProtocolError(f"generation {generation_id} has no result URL")
        return record.result_url


async def _done(path: Path | None) -> Path:
    assert path is not None
    return path
