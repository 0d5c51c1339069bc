"""In-memory generations: the queue's state machine, their input media and renders, what
they cost, the repositories their inputs live in, and the event broadcaster.

Everything here runs on the server's event loop except the renders, which run in worker
threads (at most `config.max_parallel_renders` at once).
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from seedance_widgets._contract.pricing import AUTO_DURATIONS, cost_of, output_seconds
from seedance_widgets._contract.request import validate_params
from seedance_widgets._contract.status import COMPLETION_EVENT, Status

from .catalog import Catalog
from .config import SimulatorConfig
from .faults import FAIL_REASON, JOBS
from .media import gather_media
from .render import frame_size, render_video
from .repos import Repos

__all__ = ["API_PARAMS", "NAMESPACE", "RESULT_PATH", "USER_ID", "Broadcaster", "Job", "JobStore"]

# Request fields the API itself handles; everything else goes to the model's schema.
API_PARAMS = frozenset({"response_format", "target_namespace"})
# Where a succeeded job's video is served (a Starlette route template, same origin).
RESULT_PATH = "/api/results/{generation_id}/{token}/video.{extension}"
NAMESPACE = "simulator"  # the namespace and user name every job belongs to
USER_ID = "00000000-0000-4000-8000-00000000517e"

Event = tuple[str, dict[str, Any]]


def _now() -> int:
    return int(time.time())


@dataclass(eq=False)
class Job:
    """One generation: its request, its state and where its result lives."""

    generation_id: str
    model: str
    params: dict[str, Any]  # the request minus model / num_generations, echoed in the record
    origin: str  # scheme://host:port the request came in on, for the result URL
    status: Status = Status.QUEUED
    enqueued_at: int = field(default_factory=_now)
    started_at: int | None = None
    completed_at: int | None = None
    error_message: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    expired_tokens: set[str] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    echo_normalised: bool = False  # the `echo-normalised` fault: the record normalises params
    resolved: dict[str, Any] | None = None  # the params validated, defaults in, once it runs

    @property
    def result_url(self) -> str | None:
        if self.status is not Status.SUCCEEDED:
            return None
        path = RESULT_PATH.format(generation_id=self.generation_id, token=self.token,
                                  extension=self.extension)
        return self.origin + path

    @property
    def extension(self) -> str:
        """The result's container: `output_format` (2.5 models), else mp4."""
        return str((self.resolved or {}).get("output_format", "mp4"))

    @property
    def namespace(self) -> str:
        """The namespace the job is saved and billed to (`target_namespace`, else ours)."""
        target = self.params.get("target_namespace")
        return target if isinstance(target, str) else NAMESPACE

    def echoed_params(self) -> dict[str, Any]:
        """The params as the records echo them: verbatim, or normalised under the fault."""
        return _normalised(self.params) if self.echo_normalised else dict(self.params)

    def record(self) -> dict[str, Any]:
        """The flat record of `GET /ai/queue/{id}`: fixed fields, then the echoed params."""
        params = self.echoed_params()
        fixed = {
            "generation_id": self.generation_id,
            "model_name": self.model,
            "prompt": params.get("prompt"),
            "media_type": "video",
            "status": str(self.status),
            "result_url": self.result_url,
            "error_message": self.error_message,
            "enqueued_at": self.enqueued_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
        }
        return fixed | {k: v for k, v in params.items() if k not in fixed}

    def row(self, cost: Decimal | None) -> dict[str, Any]:
        """The row of `GET /ai/generations`: the record plus the billed cost and the owner."""
        record = self.record()
        owner = {
            "cost": None if cost is None else format(cost, "f"),
            "target_namespace": self.namespace,
            "target_repo": None,
            "target_directory": None,
            "user_id": USER_ID,
            "username": NAMESPACE,
            "user_image": None,
        }
        return owner | {k: v for k, v in record.items() if k not in owner}


def _normalised(params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` as a normalising service would echo them: an automatic duration as the
    seconds rendered, the prompt without surrounding whitespace."""
    echoed = dict(params)
    if isinstance(echoed.get("prompt"), str):
        echoed["prompt"] = echoed["prompt"].strip()
    if echoed.get("duration") in AUTO_DURATIONS:
        echoed["duration"] = output_seconds(echoed["duration"])
    return echoed


class Broadcaster:
    """Fan-out of `(event name, data)` to the subscribers connected right now; no replay."""

    def __init__(self) -> None:
        self._inboxes: set[asyncio.Queue[Event | None]] = set()
        self._closed = False

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[Event | None]]:
        """An inbox receiving every event published while subscribed; `None` means closed."""
        inbox: asyncio.Queue[Event | None] = asyncio.Queue()
        if self._closed:
            inbox.put_nowait(None)
        self._inboxes.add(inbox)
        try:
            yield inbox
        finally:
            self._inboxes.discard(inbox)

    def publish(self, name: str, data: dict[str, Any]) -> None:
        for inbox in self._inboxes:
            inbox.put_nowait((name, data))

    def close(self) -> None:
        """End every stream, now and later (the server is shutting down)."""
        self._closed = True
        for inbox in self._inboxes:
            inbox.put_nowait(None)


class RenderSlots:
    """At most `limit()` holders at once; the limit is re-read whenever a slot is requested.

    Held from the render thread itself, so a slot stays taken until the encoder really stops,
    even when the job was cancelled meanwhile.
    """

    def __init__(self, limit: Callable[[], int]):
        self._limit = limit
        self._active = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._active < max(1, self._limit()))
            self._active += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._changed.notify_all()


class JobStore:
    """All generations of one simulator, by id, in enqueue order."""

    def __init__(self, config: SimulatorConfig, catalog: Catalog | None = None):
        self.config = config
        self.catalog = catalog or Catalog.bundled()
        self.events = Broadcaster()
        self._jobs: dict[str, Job] = {}
        self._slots = RenderSlots(lambda: self.config.max_parallel_renders)
        self._executor = ThreadPoolExecutor(thread_name_prefix="simulator-render")
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if config.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="seedance-sim-",
                                                    ignore_cleanup_errors=True)
            self.data_dir = Path(self._tmp.name)
        else:
            self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.repos = Repos(self.data_dir / "repos")

    def validate(self, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The model's parameters, complete; raises `InvalidRequestError` like the real queue."""
        given = {k: v for k, v in params.items() if k not in API_PARAMS}
        return validate_params(self.catalog.spec(model), given)

    def submit(self, model: str, params: dict[str, Any], origin: str, count: int = 1) -> list[Job]:
        """Queue `count` generations of `model` (must be in the catalog); they start at once."""
        jobs = [Job(str(uuid.uuid4()), model, dict(params), origin) for _ in range(count)]
        for job in jobs:
            job.echo_normalised = self.config.faults.trigger("echo-normalised", JOBS,
                                                             job.generation_id)
            self._jobs[job.generation_id] = job
            job.task = asyncio.create_task(self._run(job), name=f"generation-{job.generation_id}")
        return jobs

    def get(self, generation_id: str) -> Job | None:
        return self._jobs.get(generation_id)

    def all(self) -> list[Job]:
        """Every generation ever accepted, in enqueue order (for tests and fault reports)."""
        return list(self._jobs.values())

    def result_path(self, generation_id: str) -> Path | None:
        """Where a succeeded job's MP4 is kept (no token needed: for tests)."""
        job = self._jobs.get(generation_id)
        return self._path(job) if job is not None and job.status is Status.SUCCEEDED else None

    def token_expired(self, generation_id: str, token: str) -> bool:
        job = self._jobs.get(generation_id)
        return job is not None and token in job.expired_tokens

    def renew_token(self, generation_id: str) -> None:
        """Expire the job's result URL; its record shows a fresh one from now on."""
        job = self._jobs[generation_id]
        job.expired_tokens.add(job.token)
        job.token = secrets.token_urlsafe(16)

    def find(
        self,
        statuses: Collection[Status],
        *,
        model: str | None = None,
        media_type: str | None = None,
        namespace: str | None = None,
        repo: str | None = None,
        folder: str | None = None,
    ) -> list[Job]:
        """Jobs matching every filter given, in enqueue order. Jobs have no repo or folder, so
        those match none."""
        if repo is not None or folder is not None:
            return []
        return [
            job for job in self._jobs.values()
            if job.status in statuses
            and model in (None, job.model)
            and media_type in (None, "video")
            and namespace in (None, job.namespace)
        ]

    def cost(self, job: Job) -> Decimal | None:
        """What `job` was charged: its model's price for a succeeded job, else nothing."""
        if job.status is not Status.SUCCEEDED or job.resolved is None:
            return None
        return cost_of(job.resolved, self.catalog.spec(job.model))

    def cancel(self, generation_id: str) -> Job | None:
        """Cancel an active job (no event is sent); a terminal one is left as it is."""
        job = self._jobs.get(generation_id)
        if job is not None and not job.status.is_terminal:
            self._finish(job, Status.CANCELLED)
            if job.task is not None:
                job.task.cancel()
        return job

    def result_file(self, generation_id: str, token: str,
                    extension: str | None = None) -> Path | None:
        """The video of a succeeded job, if `token` is its download token (and `extension`,
        when given, its container's)."""
        job = self._jobs.get(generation_id)
        if job is None or job.status is not Status.SUCCEEDED:
            return None
        if not secrets.compare_digest(job.token, token) or extension not in (None,
                                                                              job.extension):
            return None
        return self._path(job)

    def close(self) -> None:
        """Stop every job and stream, and drop the temporary results."""
        self.events.close()
        for generation_id in list(self._jobs):
            self.cancel(generation_id)
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._tmp is not None:
            self._tmp.cleanup()

    async def _run(self, job: Job) -> None:
        await asyncio.sleep(self.config.queue_seconds)
        job.status = Status.PROCESSING
        job.started_at = _now()
        self.events.publish("deployment_status", {"model": job.model, "status": "active"})
        faults = self.config.faults
        if faults.trigger("stuck", JOBS, job.generation_id):
            await asyncio.Event().wait()  # processing forever; only a cancel ends it
        if faults.trigger("fail", JOBS, job.generation_id):
            await asyncio.sleep(self.config.process_seconds)
            self._finish(job, Status.FAILED, FAIL_REASON)
            return
        try:
            params = job.resolved = self.validate(job.model, job.params)
            await asyncio.gather(asyncio.sleep(self.config.process_seconds),
                                 self._render(job, params))
        except Exception as exc:
            self._finish(job, Status.FAILED, str(exc) or type(exc).__name__)
        else:
            self._finish(job, Status.SUCCEEDED)

    async def _render(self, job: Job, params: Mapping[str, Any]) -> None:
        """Fetch and check the job's input media (`MediaError` fails the job), then render."""
        inputs = await gather_media(self.catalog.spec(job.model), params,
                                    own_file=partial(self._own_file, job.origin),
                                    timeout=self.config.fetch_timeout)
        width, height = frame_size(params.get("resolution", "720p"),
                                   params.get("aspect_ratio", "adaptive"), inputs.source_size)
        render = partial(
            render_video,
            self._path(job),
            prompt=str(params.get("prompt", "")),
            width=width,
            height=height,
            seconds=output_seconds(params.get("duration", -1)),
            audio=bool(params.get("generate_audio")),
            watermark=bool(params.get("watermark")),
            label="SIMULATED " + job.generation_id[:8],
            container=job.extension,
            first=inputs.first,
            last=inputs.last,
            references=[(r.label, r.picture) for r in inputs.references],
        )
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._render_in_slot, job, render)

    def _render_in_slot(self, job: Job, render: Callable[[], None]) -> None:
        with self._slots.hold():
            if job.status is Status.PROCESSING:  # not cancelled while waiting for a slot
                render()

    def _finish(self, job: Job, status: Status, error: str | None = None) -> None:
        if job.status.is_terminal:
            return
        job.status = status
        job.completed_at = _now()
        job.error_message = error
        job.done.set()
        data: dict[str, Any] = {"generation_id": job.generation_id, "status": str(status),
                                "media_type": "video"}
        if status is Status.SUCCEEDED:
            self.events.publish(COMPLETION_EVENT, data | {"model": job.model,
                                                          "url": job.result_url})
        elif status is Status.FAILED:
            self.events.publish(COMPLETION_EVENT, data | {"error": error})

    def _own_file(self, origin: str, url: str) -> Path | None:
        """The repository file `url` names on this simulator (see `media.OwnFile`)."""
        parts, ours = urlsplit(url), urlsplit(origin)
        loopback = {"127.0.0.1", "localhost", "::1"}
        same_host = parts.hostname == ours.hostname or {parts.hostname, ours.hostname} <= loopback
        if parts.scheme != ours.scheme or parts.port != ours.port or not same_host:
            return None
        return self.repos.file_at(parts.path)

    def _path(self, job: Job) -> Path:
        return self.data_dir / f"{job.generation_id}.{job.extension}"
