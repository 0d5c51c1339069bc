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
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from .._contract.request import VideoRequest, keep_valid, validate_params
from .._contract.schema import DEFAULT_MODEL, ModelSpec, bundled_model, bundled_model_ids
from .._contract.states import Unconfirmed
from .._export import FLAVOURS, Flavour, to_code
from .._jobs.blind import BlindComparison, Preferences
from .._jobs.budget import parse_budget
from .._jobs.history import History, HistoryQuery, TakeRecord, find_take, query_history
from .._jobs.inputs import PreparedRequest
from .._jobs.job import Job
from .._jobs.sweep import Sweep, expand_grid
from .._report_build import (
    comparison_section,
    sweep_section,
    take_of_job,
    write_takes_report,
)
from .._transport.loop import LoopThread
from .._transport.settings import ApiKey, environment_budget
from .._wiring import choose_backend, wire
from ..errors import InvalidRequestError, NotFoundError, SeedanceError
from .blind_panel import BlindPanel
from .cells import CellInserter
from .feed import Feed
from .file_drop import FileDrops
from .history_panel import HistoryPanel
from .judging import JUDGMENT_MESSAGES, judge
from .media import MediaServer
from .media_messages import MediaPreviews
from .model_loading import load_spec
from .snapshot import Snapshot
from .views import job_view, models_view, spend_view, sweep_view, vocabulary_view

if TYPE_CHECKING:
    from .._jobs.follower import FollowPolicy

__all__ = ["Studio"]

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


class Studio(anywidget.AnyWidget):
    """A Seedance studio in a notebook cell, for every variant of the family.

    `Studio()` runs on the built-in simulator unless OXEN_API_KEY (or OXEN_BASE_URL) is set.
    `Studio(model=...)` or `studio.model = ...` picks the model (the form keeps every value
    still valid). `studio.generate(prompt=...)` returns a `Job` at once (`await job` for the
    video path); media fields take URLs or local files (`input_image="still.png"`), which
    are uploaded to `assets_repo` (else OXEN_ASSETS_REPO; on the simulator
    `simulator/seedance-assets`). `studio.params` is the form, readable and settable from
    Python; `studio.to_code()` exports the current request.
    """

    _esm = STATIC / "studio.js"
    _css = STATIC / "studio.css"

    # `model_id` is taken by ipywidgets (the comm id), hence `model` for the model's id.
    model = traitlets.Unicode().tag(sync=True)
    model_display_name = traitlets.Unicode().tag(sync=True)
    # The model picker's choices: [{id, display_name, kind}].
    models = traitlets.List(traitlets.Dict()).tag(sync=True)
    fields = traitlets.List(traitlets.Dict()).tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    backend = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    gallery = traitlets.Dict().tag(sync=True)
    compare = traitlets.List(traitlets.Any()).tag(sync=True)  # ids; others dropped
    # The job-status vocabulary and export flavours, so the front end keeps no copies.
    vocabulary = traitlets.Dict().tag(sync=True)
    history_page = traitlets.Dict().tag(sync=True)  # a page of the ledger's past takes
    blind = traitlets.Dict().tag(sync=True)  # the blind comparison on show ({} when none)
    spend = traitlets.Dict().tag(sync=True)  # billed, pending and the budget left

    def __init__(self, model: str = DEFAULT_MODEL, *, api_key: str | ApiKey | None = None,
                 base_url: str | None = None, simulate: bool | None = None,
                 output_dir: Path | str = "videos", ledger: Path | str | None = ".seedance",
                 concurrency: int = 4, deadline: float | None = None,
                 policy: FollowPolicy | None = None, assets_repo: str | None = None,
                 budget: float | str | Decimal | None = None, **params: Any):
        api_key = ApiKey.wrap(api_key)  # from here on no frame of ours holds the bare key
        chosen = choose_backend(api_key, base_url, simulate, assets_repo)
        self._backend = chosen
        # Jobs run on the kernel's loop when there is one (between cells), else a private one.
        self._loop = LoopThread.here_or_private(f"seedance-studio-{threading.get_ident()}")
        limit = (parse_budget(budget) if budget is not None
                 else parse_budget(environment_budget(), "SEEDANCE_BUDGET"))
        self._wiring = wire(chosen, ledger=ledger, output_dir=output_dir, policy=policy,
                            concurrency=concurrency, deadline=deadline, budget=limit)
        self._specs: dict[str, ModelSpec] = {}
        spec = self._spec = self._spec_for(model)
        initial = {f.name: f.default for f in spec.fields if f.default is not None}
        initial["prompt"] = ""
        super().__init__(
            model=spec.id,
            model_display_name=spec.display_name,
            models=self._family(spec),
            fields=[f.to_json() for f in spec.fields],
            params=initial,
            backend={"simulated": chosen.simulated, "label": chosen.label},
            vocabulary=vocabulary_view(),
        )
        if params:
            self.params = params
        self._closed = False
        self._session = self._wiring.session
        self._sweeps: list[Sweep] = []
        self._snapshot = Snapshot(self)
        self._feed = Feed("jobs", items=self._session.ordered, key=lambda job: job.id,
                          view=job_view, send=self._send_to_views, loop=self._loop.loop)
        self._media = MediaServer(self._session.jobs, self._send_to_views, self._loop.loop,
                                  self._report_error)
        self._history_panel = HistoryPanel(self._session, self._set_history,
                                           loop=self._loop.loop, on_refresh=self._refresh_spend)
        self._blind_panel = BlindPanel(self._set_blind, self._media)
        self._history_panel.refresh(new_takes=True)
        self._wiring.controller.observe(self._job_changed)
        self._cells = CellInserter()
        inputs = self._wiring.controller.ledger.folder / "inputs"
        self._drops = FileDrops(inputs, lambda: self._spec, self._send_to_views,
                                self._accept_file)
        self._previews = MediaPreviews(self._wiring, self._loop, self._send_to_views)
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

    @property
    def assets_repo(self) -> str | None:
        """Where local input files are uploaded (`namespace/repo`), or None."""
        assets = self._backend.assets
        return str(assets) if assets is not None else None

    def request(self, **overrides: Any) -> VideoRequest:
        """The validated request for the current form, with `overrides` applied (local files
        stand as the URLs their uploads will have)."""
        return self._prepare(self._spec, {**self.params, **overrides}).request

    def _prepare(self, spec: ModelSpec, values: dict[str, Any]) -> PreparedRequest:
        return self._wiring.inputs.prepare(spec, values)

    def generate(self, prompt: str | None = None, *, take: int = 1, **params: Any) -> Job:
        """Submit the current form (with any parameters given here) and return the job at once.

        Parameters given here also become the form's values. The same request and `take`
        made before returns its video from disk, with no request (generation is not
        deterministic: a new `take` number asks for a new video). Invalid parameters raise
        `InvalidRequestError` before anything is sent.
        """
        overrides = {**params, **({"prompt": prompt} if prompt is not None else {})}
        prepared = self._prepare(self._spec, {**self.params, **overrides})
        job = self._loop.call(lambda: self._session.generate(
            prepared.request, take=take, uploads=prepared.uploads))
        if overrides:
            self.params = {**self.params, **overrides}
        return job

    def sweep(self, *, take: int = 1, start: bool = True, **values: Any) -> Sweep:
        """Run every combination of the list-valued parameters (others are fixed).

        `studio.sweep(prompt=["a", "b"], aspect_ratio=["16:9", "9:16"])` validates all
        requests first, submits them (at most `concurrency` run at once), shows them in the
        gallery keyed by the varied parameters, and returns a `Sweep` whose repr gives the
        grid's size, estimated cost, how many cells are cached and new, and the budget left.
        With `start=False` it is a preview until `sweep.start()` (or the gallery's Start
        button). Raises `BudgetExceeded` before any request when the new cells would cross
        the budget. `model=[...]` sweeps across models: each cell is validated against its
        own model's schema (the form's values carried over where that model allows them),
        and the cost is given per model.
        """
        axes = {k: list(v) for k, v in values.items() if isinstance(v, list | tuple)
                and not self._is_list_field(k)}
        fixed = {k: v for k, v in values.items() if k not in axes}
        if not axes or any(not v for v in axes.values()):
            raise InvalidRequestError("sweep", values, "at least one parameter given as a "
                                      "non-empty list of values")
        cells = expand_grid(axes)
        prepared = [self._prepare_cell({**fixed, **cell}) for cell in cells]
        result = self._loop.call(lambda: self._session.sweep(
            axes, cells, [p.request for p in prepared], take=take, start=start,
            uploads=[p.uploads for p in prepared]))
        self._sweeps.append(result)
        self.gallery = sweep_view(result)
        return result

    def _is_list_field(self, name: str) -> bool:
        """A parameter whose value is itself a list (reference inputs): never a sweep axis
        (sweep several lists by giving a list of lists)."""
        fs = self._spec.field(name)
        return fs is not None and "array" in fs.types

    def _prepare_cell(self, values: dict[str, Any]) -> PreparedRequest:
        """One sweep cell's request, validated against its own model's schema."""
        model = values.pop("model", self._spec.id)
        spec = self._spec_for(model)
        base = dict(self.params) if spec.id == self._spec.id \
            else keep_valid(spec, self.params, self._spec)
        try:
            return self._prepare(spec, {**base, **values})
        except InvalidRequestError as exc:
            if spec.id == self._spec.id:
                raise
            raise InvalidRequestError(f"{exc.field} (for {spec.id})", exc.value, exc.allowed,
                                      reason=exc.reason) from None

    def start_sweep(self, sweep: Sweep | None = None) -> Sweep:
        """Start a sweep made with `start=False` (the latest one by default)."""
        chosen = sweep or (self._sweeps[-1] if self._sweeps else None)
        if chosen is None:
            raise SeedanceError("there is no sweep to start")
        self._loop.call(chosen.start)
        if self.gallery.get("id") == chosen.id:
            self.gallery = sweep_view(chosen)
        return chosen

    # -- history, judgments, blind comparison, report ------------------------------------

    def history(self, *, page: int | None = None, page_size: int = 50,
                **filters: Any) -> History:
        """This ledger namespace's takes, newest first (all of them, or page `page`).

        Filters: `search` (text in the prompt), `model`, `status` (a name or a list),
        `rating` (exact), `min_rating`, `rated` (True/False), `tag` / `tags`, and any
        request parameter by name (`resolution="480p"`). `.to_pandas()` gives a DataFrame.
        """
        controller = self._wiring.controller
        return query_history(controller.ledger, controller.namespace,
                             HistoryQuery.from_filters(filters), page=page,
                             page_size=page_size)

    def open_take(self, take: TakeRecord | Job | str) -> Job:
        """Show a past take (a history record or generation id) as a card with its video."""
        record = self._record(take)
        return self._loop.call(lambda: self._session.open(record))

    def restore(self, take: TakeRecord | Job | str) -> None:
        """Put a take's request (a job, history record or generation id) into the form."""
        if isinstance(take, Job):
            model, params = take.request.model, dict(take.request.params)
        else:
            record = self._record(take)
            model, params = record.model, dict(record.params)
        if model != self.model:
            raise InvalidRequestError("model", model, self.model,
                                      reason="is not this studio's model")
        self.params = {k: v for k, v in params.items() if self._spec.field(k) is not None}

    def blind_compare(self, jobs_or_sweep: Sweep | Iterable[Job | str], rounds: int = 10, *,
                      seed: int | None = None, name: str = "blind") -> BlindComparison:
        """Show pairs of these finished takes side by side without their parameters, in a
        fair random order, for `rounds` choices (left, right or no preference); each choice
        is kept in the ledger. The same takes, rounds, seed and name resume the same
        comparison (another `name`, say a judge's, starts a new one). The panel reveals
        which take was which once every round is chosen; `preferences()` ranks them."""
        jobs = (jobs_or_sweep.jobs if isinstance(jobs_or_sweep, Sweep)
                else [self._session.job(j) for j in jobs_or_sweep])
        controller = self._wiring.controller
        comparison = BlindComparison(controller.ledger, controller.namespace, jobs,
                                     rounds=rounds, seed=seed, name=name)
        self._blind_panel.show(comparison)
        return comparison

    def preferences(self, comparison: BlindComparison | None = None) -> Preferences:
        """The ranking of a blind comparison's takes (the latest one by default): win rates
        and Bradley–Terry scores, with the counts beside them."""
        chosen = comparison or self._blind_panel.comparison
        if chosen is None:
            raise SeedanceError("no blind comparison yet: studio.blind_compare(...) first")
        return chosen.preferences()

    def export_html(self, path: Path | str, jobs: Sweep | Iterable[Job | str] | None = None,
                    *, title: str = "Seedance report", link_videos: bool = False) -> Path:
        """Write a report anyone can open in a browser (no Jupyter, no network, no key):
        `path` plus a sibling `<name>_files/` folder of videos and posters (copied, or
        symlinked with `link_videos`). Per take: poster, player, parameters, rating, note,
        tags, cost and the code that makes it again; sweeps as grids and the latest blind
        comparison's results. `jobs` defaults to every job of this studio."""
        if jobs is None:
            chosen = self._session.ordered()[::-1]
        elif isinstance(jobs, Sweep):
            chosen = list(jobs.jobs)
        else:
            chosen = [self._session.job(j) for j in jobs]
        takes = [take_of_job(job, simulated=self.simulated) for job in chosen]
        sweeps = [sweep_section(s, n) for n, s in enumerate(
            (s for s in self._sweeps if s.started), 1)]
        comparison = self._blind_panel.comparison
        return write_takes_report(path, takes, sweeps=sweeps, title=title,
                                  comparison=comparison_section(comparison)
                                  if comparison is not None else None,
                                  link_videos=link_videos)

    def _record(self, take: TakeRecord | Job | str) -> TakeRecord:
        if isinstance(take, TakeRecord):
            return take
        generation_id = take.generation_id if isinstance(take, Job) else take
        controller = self._wiring.controller
        record = find_take(controller.ledger, str(generation_id))
        if record is None or record.namespace != controller.namespace:
            raise InvalidRequestError("take", take, "a generation id from studio.history()")
        return record

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
        prepared = self._prepare(self._spec, dict(self.params))
        if take is None:
            take = self._session.latest_take(prepared.request)
        return to_code(prepared.request, flavour, take=take,
                       base_url=self._backend.settings.base_url, simulated=self.simulated,
                       local_files=prepared.local_paths(), assets_repo=self._backend.assets)

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
        self._drops.close()
        self._feed.close()
        self._history_panel.close()
        if self._loop.owned:  # a private loop: shut down, then stop its thread
            self._loop.run(self._shutdown(), timeout=60)
            self._loop.close()
        elif not self._loop.loop.is_closed():
            self._loop.spawn(self._shutdown(), self._report_error)
        super().close()

    # -- kernel side of the protocol ------------------------------------------------------

    # Traits the front end may write; every other one is the kernel's alone.
    _FRONT_END_WRITABLE = frozenset({"params", "compare", "model"})

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """State from the front end: kernel-owned traits are ignored, and a refused value
        is reported in `error` and undone in the view, never raised into the kernel. The
        picker may choose only the models it lists."""
        allowed = {k: v for k, v in sync_data.items() if k in self._FRONT_END_WRITABLE}
        listed = {m.get("id") for m in self.models}
        if "model" in allowed and not (isinstance(allowed["model"], str)
                                       and allowed["model"] in listed):
            self.error = (f"model: {str(allowed.pop('model'))[:100]!r} is not one of the "
                          "models listed")
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
        spec = self._spec
        current = {k: v for k, v in self.params.items() if k == "prompt" or spec.field(k)}
        merged = {**current, **value}
        prompt = merged.get("prompt", "")
        if not isinstance(prompt, str):
            raise traitlets.TraitError(f"prompt: {prompt!r} is not text. Allowed: a string")
        try:  # the form may lack required inputs yet, and hold local files for media
            checked = validate_params(spec, {**merged, "prompt": "placeholder"},
                                      require=False, local_files=True)
        except InvalidRequestError as exc:
            raise traitlets.TraitError(str(exc)) from None
        return {**checked, "prompt": prompt}

    @traitlets.validate("model")
    def _check_model(self, proposal: dict[str, Any]) -> str:
        """A model whose spec can be had (bundled, kept, or from the service)."""
        model_id = proposal["value"]
        if getattr(self, "_specs", None) is None or model_id == self._spec.id:
            return str(model_id)
        try:
            return self._spec_for(model_id).id
        except SeedanceError as exc:
            raise traitlets.TraitError(str(exc)) from None

    @traitlets.observe("model")
    def _model_changed(self, change: dict[str, Any]) -> None:
        """Rebuild the form for the new model, keeping every value it still allows."""
        spec = self._specs.get(change["new"])
        if spec is None or spec.id == self._spec.id:
            return
        kept = keep_valid(spec, self.params, self._spec)
        with self.hold_sync():
            self._spec = spec
            self.model_display_name = spec.display_name
            self.fields = [f.to_json() for f in spec.fields]
            self.params = kept
            self.error = ""

    def _spec_for(self, model_id: Any) -> ModelSpec:
        """The spec of `model_id` (loaded once; see `load_spec`)."""
        if not isinstance(model_id, str) or not model_id.strip():
            raise InvalidRequestError("model", model_id, ", ".join(bundled_model_ids()))
        spec = self._specs.get(model_id)
        if spec is None:
            try:
                spec = load_spec(model_id, self._backend, self._wiring.controller.ledger.folder)
            except NotFoundError:
                raise InvalidRequestError(
                    "model", model_id, f"{', '.join(bundled_model_ids())}, or another model "
                    "the service serves", reason="is not a model the service knows") from None
            self._specs[model_id] = spec
        return spec

    @staticmethod
    def _family(current: ModelSpec) -> list[dict[str, Any]]:
        """The picker's models: every bundled Seedance variant, and the current model."""
        family = [s for s in map(bundled_model, bundled_model_ids()) if s is not None]
        return models_view(family if current.id in bundled_model_ids() else [current, *family])

    def _accept_file(self, field: str, path: str) -> None:
        """A file dropped in the browser becomes the field's value (a list's next item)."""
        fs = self._spec.field(field)
        try:
            if fs is not None and "array" in fs.types:
                items = list(self.params.get(field) or [])
                self.params = {field: items if path in items else [*items, path]}
            else:
                self.params = {field: path}
        except traitlets.TraitError as exc:
            raise ValueError(str(exc)) from None

    @traitlets.validate("compare")
    def _check_compare(self, proposal: dict[str, Any]) -> list[str]:
        """Only ids of this studio's jobs; anything else from the front end is dropped."""
        value = proposal["value"]
        return [i for i in value if isinstance(i, str) and i in self._session.jobs][:6]

    def _handle_message(self, _widget: Any, content: Any, buffers: list[bytes]) -> None:
        """Messages from the front end; a bad one is refused, it never breaks the widget."""
        if not isinstance(content, dict) or self._drops.handle(content, buffers) \
                or self._previews.handle(content):
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
            "history": self._history_panel.ask,
            "history_open": self._ui_history_open,
            "history_restore": lambda c: self.restore(str(c.get("generation_id"))),
            "blind_choice": self._blind_panel.choose,
            "blind_video": self._blind_panel.video,
            "sweep_start": self._ui_sweep_start,
            **{kind: lambda c: judge(self._session, c) for kind in JUDGMENT_MESSAGES},
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
        prepared = self._prepare(self._spec, dict(self.params))
        self._loop.call(lambda: self._session.another_take(prepared.request,
                                                           prepared.uploads))

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

    def _ui_history_open(self, content: dict[str, Any]) -> None:
        self.open_take(str(content.get("generation_id")))

    def _ui_sweep_start(self, content: dict[str, Any]) -> None:
        chosen = next((s for s in self._sweeps if s.id == content.get("sweep_id")), None)
        if chosen is not None:
            self.start_sweep(chosen)

    def _job_changed(self, job: Job) -> None:
        self._feed.changed(job)
        self._history_panel.job_changed(job)
        if not job.state.terminal:
            return
        if job.video_path is not None:
            self._media.video_landed(job)
        # The static snapshot (a whole HTML output with posters, tens of KB) is refreshed
        # when the last running job settles, not at every change; at once, since a notebook
        # run may end right after `await job`.
        if not any(j.state.running for j in self._session.jobs.values()):
            self._snapshot.refresh(self._session.ordered())

    def _set_history(self, view: dict[str, Any]) -> None:
        self.history_page = view

    def _set_blind(self, view: dict[str, Any]) -> None:
        self.blind = view

    def _refresh_spend(self) -> None:
        """The spend line, with a budget (without one, the history's total says it)."""
        if self._session.budget.limit is not None:
            self.spend = spend_view(self._session.budget.spend())

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
