"""Media on demand: posters and video bytes, sent to a view only when it asks.

A finished take's poster (a small JPEG, `posters.py`) is made as soon as its video lands and
sent when a card or gallery cell that shows it asks (`{"type": "posters", "job_ids": [...]}`);
the video's bytes travel only when a card is played (`{"type": "video", "job_id": id}`). At
most `MAX_VIDEOS_IN_FLIGHT` videos are read and sent at a time, off the event loop, so a
burst of plays cannot hold the kernel or flood the page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from .._jobs.job import Job
from .._transport.loop import running_loop
from .posters import PosterCache

__all__ = ["MAX_POSTERS_PER_REQUEST", "MAX_VIDEOS_IN_FLIGHT", "MediaServer"]

log = logging.getLogger(__name__)

MAX_VIDEOS_IN_FLIGHT = 3
MAX_POSTERS_PER_REQUEST = 200

Send = Callable[..., None]


class MediaServer:
    """Answers a widget's media requests for the jobs in `jobs`."""

    def __init__(self, jobs: Mapping[str, Job], send: Send, loop: asyncio.AbstractEventLoop,
                 on_error: Callable[[BaseException], None],
                 posters: PosterCache | None = None):
        self._jobs = jobs
        self._send = send
        self._loop = loop
        self._on_error = on_error
        self.posters = posters or PosterCache()
        self._videos = asyncio.Semaphore(MAX_VIDEOS_IN_FLIGHT)
        self._tasks: set[asyncio.Task[Any]] = set()

    async def aclose(self) -> None:
        """Stop what is being made or sent (on the widget's close)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` on the loop (from any thread), kept until done so close can stop it."""
        if running_loop() is not self._loop:
            self._loop.call_soon_threadsafe(self._spawn, work)
            return
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._on_error(task.exception())  # type: ignore[arg-type]

    def video_landed(self, job: Job) -> None:
        """Make `job`'s poster now, so it is ready when a view asks."""
        if job.video_path is not None and self.posters.peek(job.video_path) is None:
            self._spawn(self.posters.get(job.video_path))

    def request_posters(self, job_ids: Any) -> None:
        """Send the posters of `job_ids` (those with a video), one message each."""
        if not isinstance(job_ids, list):
            return
        for job_id in job_ids[:MAX_POSTERS_PER_REQUEST]:
            self._spawn(self._send_poster(str(job_id)))

    def request_video(self, job_id: str) -> None:
        """Send the video bytes of a finished job (or why they can't come)."""
        self._spawn(self._send_video(job_id, self._jobs.get(job_id), named=False))

    def request_video_as(self, key: str, job: Job | None) -> None:
        """Send `job`'s video under `key`, the only name the view knows it by (a blind
        comparison's token): the file name says `key` too, never the job."""
        self._spawn(self._send_video(key, job, named=True))

    async def _send_poster(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.video_path is None:
            return
        poster = await self.posters.get(job.video_path)
        if poster is None:
            self._send({"type": "poster_error", "job_id": job_id, "error": "no frame"})
            return
        self._send({"type": "poster", "job_id": job_id, "mime": "image/jpeg"},
                   buffers=[poster])

    async def _send_video(self, job_id: str, job: Job | None, named: bool) -> None:
        if job is None or job.video_path is None:
            self._send({"type": "video_error", "job_id": job_id, "error": "no video yet"})
            return
        path = job.video_path
        async with self._videos:
            try:
                data = await asyncio.to_thread(path.read_bytes)
            except OSError as exc:
                self._send({"type": "video_error", "job_id": job_id, "error": str(exc)})
                return
            mime = "video/quicktime" if path.suffix == ".mov" else "video/mp4"
            name = f"{job_id}{path.suffix}" if named else path.name
            self._send({"type": "video", "job_id": job_id, "name": name, "mime": mime},
                       buffers=[data])
