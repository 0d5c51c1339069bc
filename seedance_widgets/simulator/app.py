"""The Oxen-compatible HTTP API over a `JobStore`, as a Starlette app.

Routing and the middleware stack are `_routes()` and `_middleware()`; a request passes the
counter first (so every request is counted, rejected ones too), then fault injection
(`faults.py`), then the Bearer check.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import threading
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from seedance_widgets._contract.status import Status
from seedance_widgets.errors import InvalidRequestError

from .config import SimulatorConfig
from .faults import ENQUEUE, EVENTS, RESULTS, InjectFaults
from .problems import (
    Reject,
    invalid,
    json_object,
    model_not_found,
    not_found,
    problem,
    reject_handler,
)
from .repo_api import REPO_ROUTES
from .store import RESULT_PATH, Job, JobStore

__all__ = ["RequestCounter", "create_app"]

_ACTIVE = (Status.QUEUED, Status.PROCESSING)
_RESPONSE_FORMATS = ("url", "b64_json")
_VIDEO_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime"}


def create_app(config: SimulatorConfig, store: JobStore | None = None) -> Starlette:
    """The simulator app; `app.state` holds `config`, `store`, `requests` (the counter) and
    `faults` (the fault plan, `config.faults`).

    A store created here is closed when the app shuts down; a store passed in is the caller's.
    """
    owned = store is None
    store = store or JobStore(config)
    counter = RequestCounter()
    routes = _routes()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                store.close()

    app = Starlette(
        routes=routes,
        middleware=_middleware(config, routes, counter),
        exception_handlers={Reject: reject_handler, 404: _no_route_handler},
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.store = store
    app.state.requests = counter
    app.state.faults = config.faults
    return app


def _routes() -> list[BaseRoute]:
    return [
        Route("/api/ai/models", list_models, methods=["GET"]),
        Route("/api/ai/models/{model_id}", get_model, methods=["GET"]),
        Route("/api/ai/queue", enqueue, methods=["POST"]),
        Route("/api/ai/queue", list_queue, methods=["GET"]),
        Route("/api/ai/queue/{generation_id}", get_generation, methods=["GET"]),
        Route("/api/ai/queue/{generation_id}", cancel_generation, methods=["DELETE"]),
        Route("/api/ai/generations", list_generations, methods=["GET"]),
        Route("/api/ai/generations/{generation_id}", get_past_generation, methods=["GET"]),
        Route("/api/ai/videos/generate", generate_video, methods=["POST"]),
        Route("/api/events", events, methods=["GET"]),
        Route(RESULT_PATH, download_result, methods=["GET"]),
        *REPO_ROUTES,
        Route("/_simulator/stats", simulator_stats, methods=["GET"]),
        Route("/_simulator/reset", simulator_reset, methods=["POST"]),
        Route("/_simulator/faults", simulator_faults, methods=["GET", "POST"]),
    ]


def _middleware(
    config: SimulatorConfig, routes: list[BaseRoute], counter: RequestCounter
) -> list[Middleware]:
    return [
        Middleware(CountRequests, routes=routes, counter=counter),
        Middleware(InjectFaults, routes=routes, faults=config.faults),
        Middleware(RequireBearer, config=config),
    ]


async def _no_route_handler(_request: Request, _exc: Exception) -> Response:
    return not_found().response


# --- middleware -------------------------------------------------------------------------------


class RequestCounter:
    """Thread-safe request counts keyed `"METHOD /route/template"`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class CountRequests:
    """Counts every HTTP request under its route template (the raw path when none matches)."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], counter: RequestCounter):
        self.app = app
        self.routes = routes
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.counter.add(f"{scope['method']} {self._template(scope)}")
        await self.app(scope, receive, send)

    def _template(self, scope: Scope) -> str:
        partial = None
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", scope["path"]))
            if match is Match.PARTIAL and partial is None:
                partial = route
        return str(getattr(partial, "path", scope["path"]))


class RequireBearer:
    """Every `/api` request needs `Authorization: Bearer <token>` (equal to `config.api_key`
    when that is set); otherwise 401 `unauthenticated`. The header is never logged."""

    def __init__(self, app: ASGIApp, config: SimulatorConfig):
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        guarded = scope["type"] == "http" and (path == "/api" or path.startswith("/api/"))
        if guarded and not self._authorized(Headers(scope=scope).get("authorization", "")):
            response = problem(401, "unauthenticated", "Unauthenticated",
                               "Missing or invalid API key")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        expected = self.config.api_key
        return expected is None or hmac.compare_digest(token.encode(), expected.encode())


# --- endpoints --------------------------------------------------------------------------------


def _store(request: Request) -> JobStore:
    store: JobStore = request.app.state.store
    return store


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _model_of(store: JobStore, body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise invalid("model is required", "Pass the id of an image or video model")
    if not isinstance(model, str) or model not in store.catalog:
        raise Reject(model_not_found(model))
    return model


async def list_models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": _store(request).catalog.objects()})


async def get_model(request: Request) -> Response:
    model_id = request.path_params["model_id"]
    model = _store(request).catalog.get(model_id)
    return JSONResponse(model) if model is not None else model_not_found(model_id)


async def enqueue(request: Request) -> Response:
    """Checks only the model and `num_generations`; the job validates its params when it runs."""
    store = _store(request)
    body = await json_object(request)
    model = _model_of(store, body)
    count = body.get("num_generations")
    count = 1 if count is None else count
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 4:
        raise invalid("num_generations must be an integer between 1 and 4", f"Got {count!r}")
    params = {k: v for k, v in body.items() if k not in ("model", "num_generations")}
    jobs = store.submit(model, params, _origin(request), count)
    prompt = params.get("prompt")
    unknown = request.app.state.faults.trigger(
        "status-unknown", ENQUEUE, prompt if isinstance(prompt, str) else None)
    return JSONResponse({"generations": [
        {"generation_id": job.generation_id, "status": "pending" if unknown else str(job.status)}
        for job in jobs
    ]})


def _filtered(request: Request, default: tuple[Status, ...]) -> list[Job]:
    """The jobs matching the query's filters (`status` else `default` statuses), in order."""
    query = request.query_params
    try:
        statuses = (Status(query["status"]),) if "status" in query else default
    except ValueError:
        allowed = ", ".join(Status)
        raise invalid("Invalid status filter", f"status must be one of: {allowed}") from None
    return _store(request).find(
        statuses,
        model=query.get("model"),
        media_type=query.get("media_type"),
        namespace=query.get("namespace"),
        repo=query.get("repo"),
        folder=query.get("folder"),
    )


def _int_param(request: Request, name: str, default: int, low: int,
               high: int | None = None) -> int:
    """The integer query parameter `name` (`default` when absent), from `low` to `high`."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise invalid(f"Invalid {name}", f"{name} must be an integer {bounds}")
    return value


async def list_queue(request: Request) -> Response:
    jobs = _filtered(request, _ACTIVE)
    return JSONResponse({"count": len(jobs), "generations": [job.record() for job in jobs]})


async def list_generations(request: Request) -> Response:
    """Past and active generations, newest first, a page at a time, with what each cost and
    the total over every page."""
    store = _store(request)
    page = _int_param(request, "page", 1, 1)
    size = _int_param(request, "page_size", 50, 1, 1000)
    jobs = _filtered(request, tuple(Status))[::-1]
    costs = [store.cost(job) for job in jobs]
    charged = [cost for cost in costs if cost is not None]
    start = (page - 1) * size
    rows = [job.row(cost) for job, cost in zip(jobs[start:start + size],
                                              costs[start:start + size], strict=True)]
    return JSONResponse({
        "count": len(rows),
        "page_number": page,
        "page_size": size,
        "total_entries": len(jobs),
        "total_pages": -(-len(jobs) // size),
        "total_cost": format(sum(charged, Decimal(0)), "f") if charged else None,
        "generations": rows,
    })


async def get_past_generation(request: Request) -> Response:
    """One generation's row, with what it cost once final."""
    store = _store(request)
    job = store.get(request.path_params["generation_id"])
    if job is None:
        raise not_found()
    return JSONResponse({"generation": job.row(store.cost(job)), "status": "success",
                         "status_message": "resource_found"})


async def get_generation(request: Request) -> Response:
    job = _store(request).get(request.path_params["generation_id"])
    if job is None:
        raise not_found()
    return JSONResponse(job.record())


async def cancel_generation(request: Request) -> Response:
    generation_id = request.path_params["generation_id"]
    if _store(request).cancel(generation_id) is None:
        raise not_found()
    return JSONResponse({"status": "success", "generation_id": generation_id})


async def generate_video(request: Request) -> Response:
    """Validates at once, then blocks for the job's whole queue + processing time."""
    store = _store(request)
    body = await json_object(request)
    model = _model_of(store, body)
    params = {k: v for k, v in body.items() if k != "model"}
    try:
        store.validate(model, params)
    except InvalidRequestError as exc:
        raise invalid("Invalid parameters", str(exc)) from None
    response_format = params.get("response_format", "url")
    if response_format not in _RESPONSE_FORMATS:
        raise invalid("Invalid response_format",
                       f"response_format must be one of: {', '.join(_RESPONSE_FORMATS)}")
    (job,) = store.submit(model, params, _origin(request))
    await job.done.wait()
    if job.status is not Status.SUCCEEDED:
        return problem(500, "unknown_error", f"Generation {job.status}", job.error_message)
    if response_format == "b64_json":
        path = store.result_file(job.generation_id, job.token)
        data = await asyncio.to_thread(path.read_bytes) if path else b""
        video = {"b64_json": base64.b64encode(data).decode("ascii")}
    else:
        video = {"url": job.result_url or ""}
    return JSONResponse({"model": model, "created": job.completed_at, "videos": [video]})


async def events(request: Request) -> Response:
    """The SSE stream: events published while connected, and keep-alive comments when idle."""
    store = _store(request)
    faults = store.config.faults
    abort = request.scope.get("extensions", {}).get("seedance.abort")

    async def stream() -> AsyncIterator[str]:
        with store.events.subscribe() as inbox:
            while True:
                try:
                    event = await asyncio.wait_for(inbox.get(), store.config.keepalive_seconds)
                except TimeoutError:
                    event = ("", {})
                if event is None:
                    return
                if faults.trigger("stream-drop", EVENTS, event[1].get("generation_id")):
                    # The message is lost: alternately a clean end and a reset connection.
                    if faults.injected()["stream-drop"] % 2 == 0 and abort is not None:
                        abort(reset=True)
                        await asyncio.sleep(0)
                    return
                name, data = event
                if not name:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


async def download_result(request: Request) -> Response:
    """The video behind a result URL; an expired token gets 403, as a presigned URL would."""
    store = _store(request)
    generation_id, token = request.path_params["generation_id"], request.path_params["token"]
    if store.token_expired(generation_id, token):
        return _expired()
    extension = request.path_params["extension"]
    path = store.result_file(generation_id, token, extension)
    if path is None or not path.is_file():
        raise not_found()
    if store.config.faults.trigger("expired-url", RESULTS, generation_id):
        store.renew_token(generation_id)
        return _expired()
    return FileResponse(path, media_type=_VIDEO_TYPES[extension])


def _expired() -> Response:
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
            "<Message>Request has expired</Message></Error>")
    return Response(body, status_code=403, media_type="application/xml")


async def simulator_stats(request: Request) -> Response:
    return JSONResponse({"requests": request.app.state.requests.snapshot()})


async def simulator_faults(request: Request) -> Response:
    """GET: the fault plan and counts. POST `{"clear": true, "set": ["429=0.1", ...],
    "seed": 1, "retry_after": 1, "slow_seconds": 35}` changes it (clear first, then set)."""
    faults = request.app.state.faults
    if request.method == "POST":
        body = await json_object(request)
        try:
            if body.get("clear"):
                faults.clear()
            if "seed" in body:
                faults.reseed(body["seed"])
            for knob in ("retry_after", "slow_seconds"):
                if knob in body:
                    setattr(faults, knob, float(body[knob]))
            for spec in body.get("set") or ():
                faults.parse(str(spec))
        except (ValueError, TypeError) as exc:
            raise invalid("Invalid fault plan", str(exc)) from None
    return JSONResponse(faults.to_json())


async def simulator_reset(request: Request) -> Response:
    request.app.state.requests.reset()
    return JSONResponse({"requests": {}})
