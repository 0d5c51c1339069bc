"""Fault injection for the simulator: the network and service failures a client must survive.

Every fault has a trigger: a `rate` (probability per opportunity, drawn from a seeded RNG) or
`every=N` (the Nth, 2Nth, ... opportunity), optionally capped by `max=` injections and limited
to some routes. An *opportunity* is one request on a route the fault applies to, unless the
list below says "per message", "per attempt", "per job" or "per download".

Fault (default routes): what happens.

- `429` (API, results): 429 with `Retry-After`; the request is not processed.
- `500` (API, results): the request IS processed (a `POST /ai/queue` accepts the job), then 500.
- `502` (API, results): 502 before the request is processed (the gateway lost the backend).
- `502-after` (API): the request IS processed (a `POST /ai/queue` accepts the job), then 502
  (the gateway lost the backend's answer).
- `503` (API, results): 503 with `Retry-After`, before the request is processed.
- `reset-before` (API, results): connection reset (RST) before the request body is read.
- `reset-after` (API): body read and request processed (job accepted), then connection reset.
- `slow` (API): processed, then the answer waits `slow_seconds` (beyond the client's timeout);
  on `POST /api/ai/queue` the job is in the queue (and listed) while its answer is held.
- `malformed` (API): processed, then the JSON answer arrives cut in half (not JSON).
- `status-unknown` (`POST /api/ai/queue`): the job IS accepted, but the answer gives each
  generation `"status": "pending"`, a status outside the contract.
- `stream-drop` (events; per message): `GET /events` ends mid-stream and the message is lost,
  alternately a clean end and a reset.
- `stream-refuse` (events; per attempt): `GET /events` never connects (alternately a reset
  and a 503); at rate 1 the stream never connects at all.
- `stuck` (per job): the job stays `processing` forever, until cancelled.
- `fail` (per job): the job ends `failed` with `FAIL_REASON` as its `error_message`.
- `echo-normalised` (per job, drawn when it is accepted): the job's record (`GET
  /ai/queue/{id}`, `GET /ai/queue`, `GET /ai/generations`) echoes normalised params instead
  of the verbatim request: `duration` -1 or `"auto"` as the seconds rendered (5), the prompt
  with surrounding whitespace stripped.
- `expired-url` (results; per download): the result URL answers 403 from now on; re-reading
  the record gives a fresh URL.
- `download-cut` (results; per download): the download stops halfway (connection closed
  mid-body, after the full `Content-Length` was announced).

"API" is the JSON routes of the queue, the models and past generations, and the repository
routes (`POST /ai/videos/generate` is left alone: it blocks for a whole job); "results" is
the result-file route. Simulator control
routes (`/_simulator/...`) never fail.

Python: `server.faults.set("429", rate=0.1)`, `server.faults.set("reset-after", every=3,
routes=["POST /api/ai/queue"], max=2)`, `server.faults.clear()`, `server.faults.injected()`
(counts), `server.faults.events` (what was injected where), `server.faults.retry_after` /
`.slow_seconds` (the knobs), or `SimulatorConfig(faults=Faults.from_specs([...], seed=1))`.

CLI (`python -m seedance_widgets.simulator`, `seedance simulate`): repeat
`--fault NAME=TRIGGER[,max=N][,route=METHOD /template]...` where TRIGGER is a rate (`0.1`) or
`every:N`, plus `--fault-seed N`, `--fault-retry-after S`, `--fault-slow-seconds S`. E.g.
`--fault 429=0.1 --fault reset-before=0.05 --fault "reset-after=every:4,route=POST /api/ai/queue"`.
At run time: `GET /_simulator/faults` shows the plan and counts, `POST /_simulator/faults`
with `{"set": ["429=0.1", ...], "clear": true}` changes it.

Resets need the uvicorn server `SimulatorServer` runs (they close its socket with SO_LINGER
0, so the client sees a real connection reset).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .repos import FILE_PATH, REPOS_PATH

__all__ = [
    "ENQUEUE",
    "FAIL_REASON",
    "FAULTS",
    "Fault",
    "FaultEvent",
    "Faults",
    "InjectFaults",
    "abort_connection",
]

FAIL_REASON = "simulated fault: the render worker crashed"

# Route keys are "METHOD /route/template", as the request counter uses.
_API = (
    "GET /api/ai/models",
    "GET /api/ai/models/{model_id}",
    "GET /api/ai/generations",
    "GET /api/ai/generations/{generation_id}",
    "POST /api/ai/queue",
    "GET /api/ai/queue",
    "GET /api/ai/queue/{generation_id}",
    "DELETE /api/ai/queue/{generation_id}",
    f"POST {REPOS_PATH}",
    f"PUT {FILE_PATH}",
    f"GET {FILE_PATH}",
    f"HEAD {FILE_PATH}",
)
RESULTS = "GET /api/results/{generation_id}/{token}/video.{extension}"
EVENTS = "GET /api/events"
ENQUEUE = "POST /api/ai/queue"
JOBS = "job"  # the opportunity of the per-job faults: a job accepted, or starting to process

FAULTS: dict[str, tuple[str, ...]] = {
    "429": (*_API, RESULTS),
    "500": (*_API, RESULTS),
    "502": (*_API, RESULTS),
    "503": (*_API, RESULTS),
    "reset-before": (*_API, RESULTS),
    "502-after": _API,
    "reset-after": _API,
    "slow": _API,
    "malformed": _API,
    "status-unknown": (ENQUEUE,),
    "stream-drop": (EVENTS,),
    "stream-refuse": (EVENTS,),
    "stuck": (JOBS,),
    "fail": (JOBS,),
    "echo-normalised": (JOBS,),
    "expired-url": (RESULTS,),
    "download-cut": (RESULTS,),
}
"""Every fault name, with the routes it applies to unless told otherwise."""

# Faults answered before the request reaches the app, and after it has been processed.
_BEFORE = ("reset-before", "429", "502", "503")
_AFTER = ("reset-after", "500", "502-after", "malformed", "slow")
_BAD_GATEWAY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass
class Fault:
    """One fault's trigger: `rate` or `every`, at most `max` times, on `routes`."""

    name: str
    rate: float | None = None
    every: int | None = None
    max: int | None = None
    routes: tuple[str, ...] = ()
    seen: int = 0  # opportunities so far
    injected: int = 0

    def describe(self) -> str:
        trigger = f"every:{self.every}" if self.every is not None else f"{self.rate:g}"
        extra = "" if self.max is None else f",max={self.max}"
        if self.routes != FAULTS[self.name]:
            extra += "".join(f",route={r}" for r in self.routes)
        return f"{self.name}={trigger}{extra}"


@dataclass(frozen=True)
class FaultEvent:
    """One injected fault: which, on which route, about which job (id or prompt) if known."""

    fault: str
    route: str
    subject: str | None
    at: float = field(default_factory=time.time)


class Faults:
    """The fault plan of one simulator, and the record of what it injected. Thread-safe."""

    def __init__(self, *, seed: int | None = 0, retry_after: float = 1.0,
                 slow_seconds: float = 35.0):
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._plan: dict[str, Fault] = {}
        self._events: list[FaultEvent] = []

    @classmethod
    def from_specs(cls, specs: Iterable[str], **kwargs: Any) -> Faults:
        faults = cls(**kwargs)
        for spec in specs:
            faults.parse(spec)
        return faults

    def __repr__(self) -> str:
        return f"Faults({', '.join(self.describe()) or 'none'})"

    # -- configuring ----------------------------------------------------------------------

    def set(self, name: str, rate: float | None = None, *, every: int | None = None,
            max: int | None = None, routes: Iterable[str] | None = None) -> None:
        """Enable `name` with a trigger (`rate` in 0..1, or `every` N opportunities)."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        if (rate is None) == (every is None):
            raise ValueError(f"fault {name}: give exactly one of rate= or every=")
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault {name}: rate {rate!r} is not between 0 and 1")
        if every is not None and every < 1:
            raise ValueError(f"fault {name}: every={every!r} must be at least 1")
        if max is not None and max < 0:
            raise ValueError(f"fault {name}: max={max!r} must not be negative")
        chosen = tuple(routes) if routes is not None else FAULTS[name]
        with self._lock:
            self._plan[name] = Fault(name, rate, every, max, chosen)

    def parse(self, spec: str) -> None:
        """`NAME=TRIGGER[,max=N][,route=METHOD /template]...`, TRIGGER `0.1` or `every:N`."""
        name, sep, rest = spec.partition("=")
        if not sep or not rest:
            raise ValueError(f"fault spec {spec!r}: expected NAME=TRIGGER, e.g. 429=0.1")
        trigger, *options = [part.strip() for part in rest.split(",")]
        kwargs: dict[str, Any] = {}
        try:
            if trigger.startswith("every:"):
                kwargs["every"] = int(trigger.removeprefix("every:"))
            else:
                kwargs["rate"] = float(trigger)
            routes = []
            for option in options:
                key, _, value = option.partition("=")
                if key == "max":
                    kwargs["max"] = int(value)
                elif key == "route":
                    routes.append(value.strip())
                else:
                    raise ValueError(f"unknown option {key!r} (max=, route=)")
        except ValueError as exc:
            raise ValueError(f"fault spec {spec!r}: {exc}") from None
        self.set(name.strip(), routes=routes or None, **kwargs)

    def clear(self, name: str | None = None) -> None:
        """Disable one fault, or all of them (the record of past injections stays)."""
        with self._lock:
            if name is None:
                self._plan.clear()
            else:
                self._plan.pop(name, None)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def reset_counts(self) -> None:
        """Forget what was injected (the plan stays)."""
        with self._lock:
            self._events.clear()
            for fault in self._plan.values():
                fault.seen = fault.injected = 0

    # -- reading --------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return bool(self._plan)

    def describe(self) -> list[str]:
        """The plan as CLI specs."""
        with self._lock:
            return [fault.describe() for fault in self._plan.values()]

    @property
    def events(self) -> list[FaultEvent]:
        with self._lock:
            return list(self._events)

    def injected(self) -> dict[str, int]:
        """How often each fault was injected (every fault name, zeros included)."""
        counts = Counter(event.fault for event in self.events)
        return {name: counts.get(name, 0) for name in FAULTS}

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.describe(), "injected": self.injected(),
                "retry_after": self.retry_after, "slow_seconds": self.slow_seconds}

    # -- deciding -------------------------------------------------------------------------

    def draw(self, name: str, route: str) -> bool:
        """One opportunity for `name` on `route`: whether to inject it now (not yet recorded)."""
        with self._lock:
            fault = self._plan.get(name)
            if fault is None or route not in fault.routes:
                return False
            if fault.max is not None and fault.injected >= fault.max:
                return False
            fault.seen += 1
            if fault.every is not None:
                hit = fault.seen % fault.every == 0
            else:
                hit = self._rng.random() < (fault.rate or 0.0)
            if hit:
                fault.injected += 1
            return hit

    def record(self, name: str, route: str, subject: str | None) -> None:
        with self._lock:
            self._events.append(FaultEvent(name, route, subject))

    def trigger(self, name: str, route: str, subject: str | None = None) -> bool:
        """`draw` and, when it hits, `record` at once."""
        hit = self.draw(name, route)
        if hit:
            self.record(name, route, subject)
        return hit


# --- the ASGI side ----------------------------------------------------------------------------


def abort_connection(receive: Receive, *, reset: bool = True) -> bool:
    """Drop the client's connection now, without an answer: a TCP reset, or with
    `reset=False` a plain close. Works under uvicorn (whose `receive` belongs to the request
    cycle that owns the transport); returns False elsewhere."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        return False
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


class InjectFaults:
    """ASGI middleware injecting the request-level faults of `faults` (see the module doc).

    It also puts `scope["extensions"]["seedance.abort"]` (a `reset=`-taking callable) in
    reach of the endpoints, for the event stream's own faults.
    """

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], faults: Faults):
        self.app = app
        self.routes = routes
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extensions = scope.setdefault("extensions", {})
        extensions["seedance.abort"] = lambda reset=True: abort_connection(receive, reset=reset)
        if not self.faults.active:
            await self.app(scope, receive, send)
            return
        route, params = self._match(scope)
        subject = params.get("generation_id")
        faults = self.faults

        if route == EVENTS:
            if faults.draw("stream-refuse", route):
                faults.record("stream-refuse", route, None)
                if faults.injected()["stream-refuse"] % 2:
                    await _abort(receive)
                else:
                    await _answer(send, 503, _problem("unknown_error", "Service Unavailable",
                                                      "the event stream is not available"))
                return
            await self.app(scope, receive, send)
            return

        for name in _BEFORE:
            if faults.draw(name, route):
                if name == "reset-before":
                    faults.record(name, route, subject)
                    await _abort(receive)
                    return
                refused = await _read_body(receive)
                faults.record(name, route, subject or _prompt_of(refused))
                await self._refuse(name, send)
                return

        after = next((name for name in _AFTER if faults.draw(name, route)), None)
        if after is None:
            if route == RESULTS:  # a download may be cut (decided once it is answered)
                def cut_now() -> bool:
                    return faults.trigger("download-cut", route, subject)

                send = _cut_halfway(send, receive, cut_now)
            await self.app(scope, receive, send)
            return

        body = bytearray()

        async def capture_receive() -> Message:
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        captured: list[Message] = []

        async def capture_send(message: Message) -> None:
            captured.append(message)

        await self.app(scope, capture_receive, capture_send)
        faults.record(after, route, subject or _prompt_of(bytes(body)))
        if after == "reset-after":
            await _abort(receive)
        elif after == "500":
            await _answer(send, 500, _problem("unknown_error", "Internal Server Error",
                                              "simulated fault after the request was processed"))
        elif after == "502-after":
            await _answer(send, 502, _BAD_GATEWAY, content_type=b"text/html")
        elif after == "malformed":
            await _send_malformed(send, captured)
        else:  # slow
            await asyncio.sleep(faults.slow_seconds)
            for message in captured:
                await send(message)

    def _match(self, scope: Scope) -> tuple[str, dict[str, Any]]:
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return (f"{scope['method']} {getattr(route, 'path', scope['path'])}",
                        child.get("path_params", {}))
        return f"{scope['method']} {scope['path']}", {}

    async def _refuse(self, name: str, send: Send) -> None:
        retry = {"retry-after": _seconds(self.faults.retry_after)}
        if name == "429":
            await _answer(send, 429, _problem("rate_limited", "Too Many Requests",
                                              "slow down"), retry)
        elif name == "502":
            await _answer(send, 502, _BAD_GATEWAY, content_type=b"text/html")
        else:
            await _answer(send, 503, _problem("unknown_error", "Service Unavailable",
                                              "try again later"), retry)


def _problem(error_type: str, title: str, detail: str) -> bytes:
    return json.dumps({"error": {"type": error_type, "title": title, "detail": detail},
                       "status": "error", "status_message": error_type}).encode()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


async def _answer(send: Send, status: int, body: bytes, headers: dict[str, str] | None = None,
                  content_type: bytes = b"application/json") -> None:
    raw = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _abort(receive: Receive, *, reset: bool = True) -> None:
    if not abort_connection(receive, reset=reset):
        raise ConnectionAbortedError("simulated connection reset (needs uvicorn)")
    # Let the server see the connection is gone, so it sends nothing and logs nothing.
    for _ in range(3):
        await asyncio.sleep(0)


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body.extend(message.get("body", b""))
        if not message.get("more_body"):
            break
    return bytes(body)


def _prompt_of(body: bytes) -> str | None:
    """The prompt of a JSON request body, to tie a fault to the job it hit."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    prompt = data.get("prompt") if isinstance(data, dict) else None
    return prompt if isinstance(prompt, str) else None


async def _send_malformed(send: Send, captured: list[Message]) -> None:
    start = next((m for m in captured if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
    status = start["status"] if start else 200
    cut = body[: max(1, len(body) // 2)] if body else b'{"generations": ['
    await _answer(send, status, cut)


def _cut_halfway(send: Send, receive: Receive,
                 cut_now: Callable[[], bool]) -> Callable[[Message], Awaitable[None]]:
    """A `send` that, for a successful answer and when `cut_now()` says so, passes half the
    body on and then closes the connection."""
    limit: int | None = None
    sent = 0
    done = False

    async def cutting_send(message: Message) -> None:
        nonlocal limit, sent, done
        if done:
            return
        if message["type"] == "http.response.start":
            length = dict(message.get("headers", [])).get(b"content-length", b"")
            if 200 <= message["status"] < 300 and length.isdigit() and int(length) > 1 \
                    and cut_now():
                limit = int(length) // 2
            await send(message)
            return
        chunk = message.get("body", b"")
        if message["type"] != "http.response.body" or limit is None or sent + len(chunk) < limit:
            sent += len(chunk)
            await send(message)
            return
        await send({"type": "http.response.body", "body": chunk[: limit - sent],
                    "more_body": True})
        done = True
        await _abort(receive, reset=False)

    return cutting_send
