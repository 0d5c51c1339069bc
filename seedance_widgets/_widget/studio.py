"""The Studio widget: schema-driven controls, live job cards, inline playback, code export.

The protocol between this class and `static/studio.js` is documented in
`docs/widget-protocol.md`. The API key stays in the kernel: it is in no trait, message or
exported code. Jobs reach the views as per-job messages (`feed.py`), posters and videos as
message buffers on request (`media.py`), never as synced state.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from .._contract.request import VideoRequest, validate_params
from .._contract.schema import DEFAULT_MODEL, ModelSpec
from .._contract.states import Unconfirmed
from .._export import FLAVOURS, Flavour, to_code
from .._jobs.job import Job
from .._jobs.sweep import Sweep, expand_grid
from .._transport.loop import LoopThread
from .._transport.settings import ApiKey
from .._wiring import choose_backend, wire
from ..errors import InvalidRequestError, SeedanceError
from .cells import CellInserter
from .feed import Feed
from .media import MediaServer
from .model_loading import load_spec
from .snapshot import Snapshot
from .views import job_view, sweep_view, vocabulary_view

if TYPE_CHECKING:
    from .._jobs.follower import FollowPolicy

__all__ = ["Studio"]

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


class Studio(anywidget.AnyWidget):
    """A text-to-video studio in a notebook cell.

    `Studio()` runs on the built-in simulator unless OXEN_API_KEY (or OXEN_BASE_URL) is set.
    `studio.generate(prompt=...)` returns a `Job` at once (`await job` for the video path);
    `studio.params` is the form, readable and settable from Python; `studio.to_code()`
    exports the current request.
    """

    _esm = STATIC / "studio.js"
    _css = STATIC / "studio.css"

    # `model_id` is taken by ipywidgets (the comm id), hence `model` for the model's id.
    model = traitlets.Unicode().tag(sync=True)
    model_display_name = traitlets.Unicode().tag(sync=True)
    fields = traitlets.List(traitlets.Dict()).tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    backend = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    gallery = traitlets.Dict().tag(sync=True)
    compare = traitlets.List(traitlets.Any()).tag(sync=True)  # ids; others dropped
    # The job-status vocabulary and export flavours, so the front end keeps no copies.
    vocabulary = traitlets.Dict().tag(sync=True)

    def __init__(self, model: str = DEFAULT_MODEL, *, api_key: str | ApiKey | None = None,
                 base_url: str | None = None, simulate: bool | None = None,
                 output_dir: Path | str = "videos", ledger: Path | str | None = ".seedance",
                 concurrency: int = 4, deadline: float | None = None,
                 policy: FollowPolicy | None = None, **params: Any):
        api_key = ApiKey.wrap(api_key)  # from here on no frame of ours holds the bare key
        chosen = choose_backend(api_key, base_url, simulate)
        spec = load_spec(model, chosen)
        initial = {f.name: f.default for f in spec.fields if f.default is not None}
        initial["prompt"] = ""
        self._spec = spec
        self._backend = chosen
        super().__init__(
            model=spec.id,
            model_display_name=spec.display_name,
            fields=[f.to_json() for f in spec.fields],
            params=initial,
            backend={"simulated": chosen.simulated, "label": chosen.label},
            vocabulary=vocabulary_view(),
        )
        if params:
            self.params = params
        self._closed = False
        # Jobs run on the kernel's loop when there is one (between cells), else a private one.
        self._loop = LoopThread.here_or_private(f"seedance-studio-{threading.get_ident()}")
        self._wiring = wire(chosen, ledger=ledger, output_dir=output_dir, policy=policy,
                            concurrency=concurrency, deadline=deadline)
        self._session = self._wiring.session
        self._snapshot = Snapshot(self)
        self._feed = Feed("jobs", items=self._session.ordered, key=lambda job: job.id,
                          view=job_view, send=self._send_to_views, loop=self._loop.loop)
        self._media = MediaServer(self._session.jobs, self._send_to_views, self._loop.loop,
                                  self._report_error)
        self._wiring.controller.observe(self._job_changed)
        self._cells = CellInserter()
        self.on_msg(self._handle_message)
        self._loop.spawn(self._wiring.controller.resume(), self._report_error)

    def __repr__(self) -> str:
        """Never raises, even on a Studio whose construction failed half-way."""
        backend = getattr(self, "_backend", None)
        try:
            model, jobs = self.model, len(self._session.jobs)
        except Exception:
            model, jobs = None, 0
        return (f"Studio(model={model!r}, backend={getattr(backend, 'label', None)!r}, "
                f"jobs={jobs})")

    # -- Python API -----------------------------------------------------------------------

    @property
    def jobs(self) -> list[dict[str, Any]]:
        """Every job of this studio, newest first, as the cards show them."""
        return [job_view(job) for job in self._session.ordered()]

    @property
    def spec(self) -> ModelSpec:
        return self._spec

    @property
    def simulated(self) -> bool:
        return self._backend.simulated

    @property
    def output_dir(self) -> Path:
        return self._wiring.controller.output_dir

    def request(self, **overrides: Any) -> VideoRequest:
        """The validated request for the current form, with `overrides` applied."""
        return VideoRequest(spec=self._spec, **{**self.params, **overrides})

    def generate(self, prompt: str | None = None, *, take: int = 1, **params: Any) -> Job:
        """Submit the current form (with any parameters given here) and return the job at once.

        Parameters given here also become the form's values. The same request and `take`
        made before returns its video from disk, with no request (generation is not
        deterministic: a new `take` number asks for a new video). Invalid parameters raise
        `InvalidRequestError` before anything is sent.
        """
        overrides = {**params, **({"prompt": prompt} if prompt is not None else {})}
        request = self.request(**overrides)
        job = self._loop.call(lambda: self._session.generate(request, take=take))
        if overrides:
            self.params = dict(request.params)
        return job

    def sweep(self, *, take: int = 1, **values: Any) -> Sweep:
        """Run every combination of the list-valued parameters (others are fixed).

        `studio.sweep(prompt=["a", "b"], aspect_ratio=["16:9", "9:16"])` validates all
        requests first, submits them (at most `concurrency` run at once), shows them in the
        gallery keyed by the varied parameters, and returns a `Sweep` whose repr gives the
        grid's size and estimated cost.
        """
        axes = {k: list(v) for k, v in values.items() if isinstance(v, list | tuple)}
        fixed = {k: v for k, v in values.items() if k not in axes}
        if not axes or any(not v for v in axes.values()):
            raise InvalidRequestError("sweep", values, "at least one parameter given as a "
                                      "non-empty list of values")
        cells = expand_grid(axes)
        requests = [self.request(**fixed, **cell) for cell in cells]
        result = self._loop.call(lambda: self._session.sweep(axes, cells, requests, take=take))
        self.gallery = sweep_view(result)
        return result

    def compare_jobs(self, *jobs: Job | str) -> None:
        """Show these jobs side by side (synchronised playback, differences highlighted)."""
        ids: list[Any] = [job if isinstance(job, str) else job.id for job in jobs]
        unknown = [i for i in ids if i not in self._session.jobs]
        if unknown:
            raise InvalidRequestError("compare", unknown, "ids of this studio's jobs")
        self.compare = ids

    def new_take(self, job: Job | str) -> Job:
        """Generate `job`'s request again under the next unused take number."""
        return self._loop.call(lambda: self._session.new_take(job))

    def cancel(self, job: Job | str) -> None:
        """Cancel a job (or job id) on the server. Before its id is known the cancel is
        remembered and sent as soon as the id arrives."""
        self._loop.spawn(self._wiring.controller.cancel(self._session.job(job)),
                         self._report_error)

    def adopt(self, job: Job | str, generation_id: str) -> Job:
        """Settle an unconfirmed job (the answer to its enqueue was lost) with one of its
        `candidates`: that generation is recorded as this take's, followed and downloaded."""
        return self._loop.call(lambda: self._session.adopt(job, generation_id))

    def resubmit(self, job: Job | str) -> Job:
        """Pay for a new generation of an unconfirmed job's request and take: the explicit
        say-so the toolkit waits for when it cannot tell whether the first was accepted."""
        return self._loop.call(lambda: self._session.resubmit(job))

    def to_code(self, flavour: Flavour = "toolkit", *, take: int | None = None) -> str:
        """Code that reproduces the current request: `toolkit`, `httpx` or `curl`.

        `take` defaults to the latest take made of this request, so the exported cell
        returns that very video.
        """
        if flavour not in FLAVOURS:
            raise InvalidRequestError("flavour", flavour, ", ".join(FLAVOURS))
        request = self.request()
        if take is None:
            take = self._session.latest_take(request)
        return to_code(request, flavour, take=take,
                       base_url=self._backend.settings.base_url, simulated=self.simulated)

    def insert_code(self, flavour: Flavour = "toolkit") -> str:
        """Put the exported code into the next cell, from a running cell (IPython's
        `set_next_input`: JupyterLab, Notebook, VS Code, Colab); returns the code."""
        code = self.to_code(flavour)
        self._cells.set_next_input(code)
        return code

    def close(self) -> None:
        """Stop following jobs (they keep running on the server) and close the widget.

        Safe to call twice (ipywidgets closes every widget again at interpreter exit).
        """
        if getattr(self, "_closed", True):
            super().close()
            return
        self._closed = True
        self._feed.close()
        if self._loop.owned:  # a private loop: shut down, then stop its thread
            self._loop.run(self._shutdown(), timeout=60)
            self._loop.close()
        elif not self._loop.loop.is_closed():
            self._loop.spawn(self._shutdown(), self._report_error)
        super().close()

    # -- kernel side of the protocol ------------------------------------------------------

    # Traits the front end may write; every other one is the kernel's alone.
    _FRONT_END_WRITABLE = frozenset({"params", "compare"})

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """State from the front end: kernel-owned traits are ignored, and a refused value
        is reported in `error` and undone in the view, never raised into the kernel."""
        allowed = {k: v for k, v in sync_data.items() if k in self._FRONT_END_WRITABLE}
        try:
            super().set_state(allowed)
        except traitlets.TraitError as exc:
            self.error = str(exc)
        refused = [k for k in sync_data if k in self.keys
                   and (k not in allowed or sync_data[k] != getattr(self, k))]
        if refused:
            self.send_state(refused)

    @traitlets.validate("params")
    def _check_params(self, proposal: dict[str, Any]) -> dict[str, Any]:
        value = proposal["value"]
        if not isinstance(value, dict):
            raise traitlets.TraitError("params must be a dict of field values")
        merged = {**self.params, **value}
        prompt = merged.get("prompt", "")
        if not isinstance(prompt, str):
            raise traitlets.TraitError(f"prompt: {prompt!r} is not text. Allowed: a string")
        try:
            checked = validate_params(self._spec, {**merged, "prompt": "placeholder"})
        except InvalidRequestError as exc:
            raise traitlets.TraitError(str(exc)) from None
        return {**checked, "prompt": prompt}

    @traitlets.validate("compare")
    def _check_compare(self, proposal: dict[str, Any]) -> list[str]:
        """Only ids of this studio's jobs; anything else from the front end is dropped."""
        value = proposal["value"]
        return [i for i in value if isinstance(i, str) and i in self._session.jobs][:6]

    def _handle_message(self, _widget: Any, content: Any, buffers: list[bytes]) -> None:
        """Messages from the front end; a bad one is refused, it never breaks the widget."""
        if not isinstance(content, dict):
            return
        handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "generate": self._ui_generate,
            "cancel": self._ui_cancel,
            "adopt": self._ui_adopt,
            "resubmit": self._ui_resubmit,
            "video": self._ui_video,
            "posters": self._ui_posters,
            "sync": self._ui_sync,
            "export": self._ui_export,
            "new_take": self._ui_new_take,
        }
        handler = handlers.get(content.get("type"))  # type: ignore[arg-type]
        if handler is None:
            log.debug("ignored widget message of type %r", content.get("type"))
            return
        try:
            handler(content)
        except (SeedanceError, traitlets.TraitError, ValueError, KeyError, TypeError) as exc:
            self.error = str(exc)

    def _ui_generate(self, _content: dict[str, Any]) -> None:
        """A click means a new video: a request made before gets its next take."""
        self.error = ""
        request = self.request()
        self._loop.call(lambda: self._session.another_take(request))

    def _ui_cancel(self, content: dict[str, Any]) -> None:
        job = self._session.jobs.get(str(content.get("job_id")))
        if job is not None:
            self.cancel(job)

    def _ui_adopt(self, content: dict[str, Any]) -> None:
        job = self._session.jobs.get(str(content.get("job_id")))
        generation_id = content.get("generation_id")
        if job is not None and isinstance(generation_id, str) \
                and generation_id in job.candidates:
            self.adopt(job, generation_id)

    def _ui_resubmit(self, content: dict[str, Any]) -> None:
        job = self._session.jobs.get(str(content.get("job_id")))
        if job is not None and isinstance(job.state, Unconfirmed):
            self.resubmit(job)

    def _ui_new_take(self, content: dict[str, Any]) -> None:
        job = self._session.jobs.get(str(content.get("job_id")))
        if job is not None:
            self.new_take(job)

    def _ui_video(self, content: dict[str, Any]) -> None:
        self._media.request_video(str(content.get("job_id")))

    def _ui_posters(self, content: dict[str, Any]) -> None:
        self._media.request_posters(content.get("job_ids"))

    def _ui_sync(self, content: dict[str, Any]) -> None:
        """A view opened (or reloaded): it gets every job once, then only changes."""
        if content.get("topic", "jobs") == self._feed.topic:
            self.send(self._feed.snapshot())

    def _ui_export(self, content: dict[str, Any]) -> None:
        flavour = content.get("flavour", "toolkit")
        code = self.to_code(flavour)
        wanted = bool(content.get("insert"))
        inserted = wanted and self._cells.insert_below(code)
        self.error = ""
        self.send({"type": "code", "flavour": flavour, "text": code, "inserted": inserted,
                   "reason": self._cells.why_not() if wanted and not inserted else ""})

    def _job_changed(self, job: Job) -> None:
        self._feed.changed(job)
        if not job.state.terminal:
            return
        if job.video_path is not None:
            self._media.video_landed(job)
        # The static snapshot (a whole HTML output with posters, tens of KB) is refreshed
        # when the last running job settles, not at every change; at once, since a notebook
        # run may end right after `await job`.
        if not any(j.state.running for j in self._session.jobs.values()):
            self._snapshot.refresh(self._session.ordered())

    def _ipython_display_(self) -> None:
        """The live widget, plus a static snapshot for viewers without a kernel."""
        self._snapshot.display(self._session.ordered())

    def _send_to_views(self, content: dict[str, Any],
                       buffers: list[bytes] | None = None) -> None:
        """A message to the views (looked up at each call, so a test can capture `send`)."""
        self.send(content, buffers=buffers)

    def _report_error(self, error: BaseException) -> None:
        self.error = str(error)

    async def _shutdown(self) -> None:
        await self._media.aclose()
        for interrupted in await self._wiring.controller.aclose():
            print(f"seedance: {interrupted}", file=sys.stderr)
        await self._wiring.client.aclose()
