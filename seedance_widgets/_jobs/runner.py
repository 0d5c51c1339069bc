"""`JobRunner`: whole jobs (submit exactly once, follow, download) from blocking code such
as the CLI, on a private loop in a daemon thread."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .._contract.request import VideoRequest
from .._contract.schema import ModelSpec
from .._transport.loop import LoopThread
from ..errors import SeedanceError
from .controller import Interrupted
from .inputs import LocalInput, MediaInputs
from .job import Job
from .ledger import Intent

if TYPE_CHECKING:
    from .._wiring import Wiring

__all__ = ["JobRunner"]

Watcher = Callable[[Job], None]


class JobRunner:
    """The jobs layer behind blocking calls; `connect` is `_wiring.wire` run on its loop."""

    def __init__(self, connect: Callable[[], Wiring]):
        self._loop = LoopThread("seedance-jobs")

        async def make() -> Wiring:  # on the private loop: connections and tasks live there
            return connect()

        self._wiring = self._loop.run(make())

    def close(self) -> list[Interrupted]:
        """Stop following jobs (they go on on the server); returns the jobs interrupted while
        their request was being submitted (`seedance resume` settles them)."""
        interrupted = self._loop.run(self._wiring.controller.aclose())
        self._loop.run(self._wiring.client.aclose())
        self._loop.close()
        return interrupted

    def model_spec(self, model_id: str) -> ModelSpec:
        return self._loop.run(self._wiring.client.model_spec(model_id))

    @property
    def inputs(self) -> MediaInputs:
        return self._wiring.inputs

    def generate_video(self, request: VideoRequest, *, take: int = 1,
                       dest: Path | str | None = None, on_change: Watcher | None = None,
                       resubmit: bool = False, uploads: tuple[LocalInput, ...] = ()) -> Path:
        """Queue `request` (after putting its local `uploads` in place), follow it and
        download the video; returns its path (or `dest`, a copy). Raises as the job ends:
        `GenerationFailed`, `GenerationCancelled`, `EnqueueUnconfirmed` (then `adopt`, or
        again with `resubmit=True`), ...; and `BudgetExceeded` before anything is sent."""
        controller, session = self._wiring.controller, self._wiring.session

        async def run() -> Path:
            session.afford([request], take, "this generation")  # BudgetExceeded, unsent
            return await _observed(controller.submit(request, take=take, resubmit=resubmit,
                                                     uploads=uploads), on_change)

        path = self._loop.run(run())
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

    def resume(self, on_change: Watcher | None = None) -> list[Job]:
        """Reconcile every unresolved intent and follow every unfinished job in the ledger
        to its end; returns them all."""
        controller = self._wiring.controller

        async def run() -> list[Job]:
            jobs = await controller.resume()
            await asyncio.gather(*(_observed(job, on_change).outcome() for job in jobs))
            return jobs

        return self._loop.run(run())

    def adopt(self, intent_id: str, generation_id: str,
              on_change: Watcher | None = None) -> Path:
        """Settle an unconfirmed intent with `generation_id`, follow it and download it."""
        controller = self._wiring.controller

        async def run() -> Path:
            job = await controller.job_for_intent(intent_id)
            return await _observed(controller.adopt(job, generation_id), on_change)

        return self._loop.run(run())

    def unresolved(self) -> list[Intent]:
        """Intents sent with no id known (to reconcile, adopt or resubmit)."""
        controller = self._wiring.controller
        return controller.ledger.unresolved(controller.namespace)



def _observed(job: Job, on_change: Watcher | None) -> Job:
    """`job`, with `on_change` told now and after every change."""
    if on_change is not None:
        job.observe(on_change)
        on_change(job)
    return job
