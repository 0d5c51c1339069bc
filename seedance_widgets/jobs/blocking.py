"""A blocking facade for scripts and the CLI: coroutines run on a private loop in a thread.

Nothing here patches asyncio (no `nest_asyncio.apply()`): the private loop is separate from
any loop the caller runs, so it also works inside a notebook cell.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from ..contract.errors import SeedanceError
from ..contract.request import VideoRequest
from ..contract.schema import ModelSpec
from ..contract.status import Generation, Status
from ..transport.client import AsyncOxenClient, SyncVideo
from ..transport.settings import ApiKey
from .controller import Controller, Interrupted
from .follower import FollowPolicy
from .job import Job
from .ledger import Intent, Ledger

__all__ = ["LoopThread", "OxenClient"]

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self, name: str = "seedance-loop"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the private loop and wait for its result."""
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
        if not self.loop.is_running():
            self.loop.close()


class OxenClient:
    """Blocking twin of `AsyncOxenClient`, plus `generate_video` for whole jobs."""

    def __init__(self, api_key: str | ApiKey | None = None, base_url: str | None = None, *,
                 output_dir: Path | str = "videos", policy: FollowPolicy | None = None,
                 ledger: Ledger | None = None, namespace: str | None = None):
        api_key = ApiKey.wrap(api_key)
        self._loop = LoopThread()
        self._client = self._loop.run(_make_client(api_key, base_url))
        self._controller = Controller(self._client, output_dir=output_dir, policy=policy,
                                      ledger=ledger,
                                      namespace=namespace or self._client.settings.base_url)

    def __repr__(self) -> str:
        settings = getattr(getattr(self, "_client", None), "settings", None)
        return f"OxenClient(base_url={getattr(settings, 'base_url', None)!r})"

    def __enter__(self) -> OxenClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> list[Interrupted]:
        """Stop following jobs (they go on on the server); returns the jobs interrupted while
        their request was being submitted (see `Interrupted`: `seedance resume` settles
        them)."""
        interrupted = self._loop.run(self._controller.aclose())
        self._loop.run(self._client.aclose())
        self._loop.close()
        return interrupted

    @property
    def base_url(self) -> str:
        return self._client.settings.base_url

    def model_spec(self, model_id: str) -> ModelSpec:
        return self._loop.run(self._client.model_spec(model_id))

    def generate(self, request: VideoRequest, *, response_format: str = "url") -> list[SyncVideo]:
        return self._loop.run(self._client.generate(request, response_format=response_format))

    def enqueue(self, request: VideoRequest, num_generations: int = 1) -> list[Generation]:
        return self._loop.run(self._client.enqueue(request, num_generations))

    def get(self, generation_id: str) -> Generation:
        return self._loop.run(self._client.get(generation_id))

    def list(self, *, status: Status | str | None = None, **filters: str) -> list[Generation]:
        return self._loop.run(self._client.list(status=status, **filters))

    def cancel(self, generation_id: str) -> None:
        self._loop.run(self._client.cancel(generation_id))

    def download(self, url: str, dest: Path | str) -> Path:
        return self._loop.run(self._client.download(url, Path(dest)))

    def generate_video(self, request: VideoRequest, *, take: int = 1,
                       dest: Path | str | None = None,
                       on_change: Callable[[Job], None] | None = None,
                       timeout: float | None = None, resubmit: bool = False) -> Path:
        """Queue `request`, follow it and download the video; returns its path.

        `on_change(job)` is called (from the private loop's thread) on every status change.
        Raises `GenerationFailed` / `GenerationCancelled` / `APIError` as they happen, and
        `EnqueueUnconfirmed` when the answer was lost and no single generation can be told
        to be it (then `adopt()` one, or call again with `resubmit=True` to pay anew).
        """
        path = self._loop.run(self._run_job(request, take, on_change, resubmit), timeout)
        if dest is None:
            return path
        target = Path(dest)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        except OSError as exc:
            raise SeedanceError(f"the video is saved at {path}, but it could not be copied to "
                                f"{target} ({exc.strerror or exc})") from None
        return target

    def resume(self, on_change: Callable[[Job], None] | None = None) -> list[Job]:
        """Reconcile every unresolved intent and follow every unfinished job in the ledger
        to its end; returns them all."""
        return self._loop.run(self._resume_all(on_change))

    def adopt(self, intent_id: str, generation_id: str,
              on_change: Callable[[Job], None] | None = None) -> Path:
        """Settle an unconfirmed intent with `generation_id`, follow it and download it."""
        return self._loop.run(self._adopt(intent_id, generation_id, on_change))

    def unresolved(self) -> list[Intent]:
        """Intents sent with no id known (to reconcile, adopt or resubmit)."""
        return self._controller.ledger.unresolved(self._controller.namespace)

    async def _run_job(self, request: VideoRequest, take: int,
                       on_change: Callable[[Job], None] | None, resubmit: bool) -> Path:
        return await _watched(self._controller.submit(request, take=take, resubmit=resubmit),
                              on_change)

    async def _adopt(self, intent_id: str, generation_id: str,
                     on_change: Callable[[Job], None] | None) -> Path:
        job = await self._controller.job_for_intent(intent_id)
        return await _watched(self._controller.adopt(job, generation_id), on_change)

    async def _resume_all(self, on_change: Callable[[Job], None] | None) -> list[Job]:
        jobs = await self._controller.resume()
        for job in jobs:
            if on_change is not None:
                job.observe(on_change)
                on_change(job)
        await asyncio.gather(*(job.outcome() for job in jobs))
        return jobs


async def _watched(job: Job, on_change: Callable[[Job], None] | None) -> Path:
    if on_change is not None:
        job.observe(on_change)
        on_change(job)
    return await job


async def _make_client(api_key: ApiKey | None, base_url: str | None) -> AsyncOxenClient:
    """Create the client on the private loop, so its connections belong to that loop."""
    return AsyncOxenClient(api_key=api_key, base_url=base_url)
