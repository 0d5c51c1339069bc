"""The controller: runs jobs as tasks on the running loop, under a concurrency bound."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path

from ..contract.errors import GenerationCancelled, GenerationFailed, ProtocolError, SeedanceError
from ..contract.request import VideoRequest
from ..contract.status import Status
from ..transport.client import AsyncOxenClient
from ..transport.events import EventHub
from .follower import FollowPolicy, follow
from .job import ERROR, Job

__all__ = ["Controller"]

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class Controller:
    """Submits requests, follows them to the end and downloads the videos into `output_dir`.

    Every job runs as an asyncio task on the loop that is running when `submit` is called, so
    the caller (a notebook cell, the CLI) never blocks.
    """

    def __init__(self, client: AsyncOxenClient, *, output_dir: Path | str = "videos",
                 policy: FollowPolicy | None = None, concurrency: int = 8):
        self.client = client
        self.output_dir = Path(output_dir)
        self.policy = policy or FollowPolicy()
        self.jobs: dict[str, Job] = {}
        self._hub: EventHub | None = None
        self._slots = asyncio.Semaphore(concurrency)
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

    def submit(self, request: VideoRequest, *, take: int = 1) -> Job:
        """Start a job for `request` and return its handle at once."""
        job = Job(request, take=take)
        self._track(job)
        task = asyncio.get_running_loop().create_task(self._run(job), name=f"job-{job.id}")
        # The outcome lives in the job's status; don't let asyncio report it as unretrieved.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        job.attach(task)
        job.notify()
        return job

    async def cancel(self, job: Job) -> None:
        """Ask the server to cancel; the job ends `cancelled` unless it had already finished."""
        if job.done:
            return
        if job.generation_id is None:
            job.error = "cancelled before it was submitted"
            job.set_status(Status.CANCELLED)
            return
        await self.client.cancel(job.generation_id)
        record = await self.client.get(job.generation_id)
        if record.status is Status.CANCELLED and job._task is not None:
            job._task.cancel()
            job.set_status(Status.CANCELLED)

    async def aclose(self) -> None:
        for job in self.jobs.values():
            if job._task is not None and not job._task.done():
                job._task.cancel()
        if self._hub is not None:
            await self._hub.aclose()

    def video_path(self, generation_id: str) -> Path:
        """Where a generation's video is saved; the id never escapes `output_dir`."""
        name = _SAFE_NAME.sub("_", generation_id).strip("._") or "video"
        return self.output_dir / f"{name[:120]}.mp4"

    def _track(self, job: Job) -> None:
        self.jobs[job.id] = job
        for callback in self._observers:
            job.observe(callback)

    async def _run(self, job: Job) -> Path:
        try:
            async with self._slots:
                return await self._generate(job)
        except asyncio.CancelledError:
            if job.status == Status.CANCELLED:
                raise GenerationCancelled(job.generation_id or job.id) from None
            raise
        except (GenerationFailed, GenerationCancelled):
            raise
        except (SeedanceError, OSError) as exc:
            job.error = str(exc)
            job.set_status(ERROR)
            raise

    async def _generate(self, job: Job) -> Path:
        await self.hub.ready()
        (first,) = await self.client.enqueue(job.request)
        job.generation_id = first.generation_id
        async for record in follow(self.client, self.hub, first, self.policy):
            job.error = record.error_message
            job.result_url = record.result_url
            job.set_status(record.status)
        if job.status == Status.FAILED:
            raise GenerationFailed(first.generation_id, job.error)
        if job.status == Status.CANCELLED:
            raise GenerationCancelled(first.generation_id)
        if not job.result_url:
            raise ProtocolError(f"generation {first.generation_id} succeeded without a URL")
        path = await self.client.download(job.result_url, self.video_path(first.generation_id),
                                          refresh_url=lambda: self._fresh_url(first.generation_id))
        job.video_path = path
        job.notify()
        return path

    async def _fresh_url(self, generation_id: str) -> str:
        record = await self.client.get(generation_id)
        if not record.result_url:
            raise ProtocolError(f"generation {generation_id} has no result URL")
        return record.result_url
