"""The async client: one method per endpoint of the contract, retries per `retry.py`.

Every JSON call runs under a whole-request deadline and a body-size cap, and whatever the
server sends back is scrubbed of the key before it reaches an error, a record or a log.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import json
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
from httpx_sse import aconnect_sse

from .. import __version__
from .._contract.billing import BilledGeneration, GenerationsPage
from .._contract.echo import echo_matches
from .._contract.request import VideoRequest
from .._contract.schema import ModelSpec, bundled_model
from .._contract.status import COMPLETION_EVENT, CompletionEvent, Generation, Status
from ..errors import (
    APIError,
    DownloadError,
    EnqueueUnconfirmed,
    InvalidRequestError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    SeedanceError,
)
from .download import stream_to_file
from .limits import MAX_JSON_BYTES, guard_event_stream, read_capped
from .model_cache import ModelCache
from .responses import error_from
from .retry import (
    RetryPolicy,
    enqueue_is_retryable,
    idempotent_is_retryable,
    may_have_been_accepted,
)
from .settings import ApiKey, Settings

__all__ = ["AsyncOxenClient", "SyncVideo", "repo_file_path"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# A JSON call that has not fully answered by then is abandoned (a trickling server).
DEFAULT_DEADLINE = 60.0
MAX_REQUESTS_IN_FLIGHT = 8
MAX_DOWNLOADS_IN_FLIGHT = 4
# The event stream sends a keep-alive comment every 15 s: a longer silence means it is dead.
EVENT_STREAM_TIMEOUT = httpx.Timeout(30.0, connect=10.0, read=45.0)
# How far the service's clock may be from ours, for "enqueued after we sent it".
CLOCK_SKEW = 120.0
# Pages of `GET /ai/generations` read when searching for a lost enqueue.
MAX_HISTORY_PAGES = 5
# A model object is asked for once, briefly, when a kept or bundled one can stand in.
MODEL_DEADLINE = 10.0
# An input file (at most 30 MB) may take a while to upload on a slow line.
UPLOAD_DEADLINE = 600.0
_IDS_IN_TEXT = re.compile(rb'"generation_id"\s*:\s*"([^"\\]{1,200})"')


@dataclass(frozen=True)
class SyncVideo:
    """One video from `POST /ai/videos/generate`: a URL or the bytes themselves."""

    url: str | None = None
    b64_json: str | None = None


class AsyncOxenClient:
    """Async client for Oxen.ai's video generation endpoints.

    The key comes from `api_key=` or OXEN_API_KEY, the base URL from `base_url=` or
    OXEN_BASE_URL (default https://hub.oxen.ai/api), or both from `settings`. The key is only
    sent to that origin. `deadline` bounds each JSON call as a whole (seconds), beyond
    `timeout`'s per-read bound.
    """

    def __init__(
        self,
        api_key: str | ApiKey | None = None,
        base_url: str | None = None,
        *,
        settings: Settings | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        transport: httpx.AsyncBaseTransport | None = None,
        model_cache: ModelCache | None = None,
    ):
        api_key = ApiKey.wrap(api_key)
        self.model_cache = model_cache
        self.settings = settings or Settings.resolve(api_key, base_url)
        self.retry = retry or RetryPolicy()
        self.deadline = deadline
        self._http = httpx.AsyncClient(
            base_url=self.settings.base_url,
            timeout=timeout,
            transport=transport,
            auth=self.settings.auth,
            headers={"User-Agent": f"seedance-widgets/{__version__}"},
        )
        self._specs: dict[str, ModelSpec] = {}
        self._known_ids: set[str] = set()
        # Per identical request: (lock, number of callers using it).
        self._enqueue_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        # Bounds on requests in flight, so hundreds of jobs don't burst in one loop step
        # (benchmarks/ #3: event-loop lag with 200 jobs).
        self._request_slots = asyncio.Semaphore(MAX_REQUESTS_IN_FLIGHT)
        self._download_slots = asyncio.Semaphore(MAX_DOWNLOADS_IN_FLIGHT)

    def __repr__(self) -> str:
        settings = getattr(self, "settings", None)
        return f"AsyncOxenClient(base_url={getattr(settings, 'base_url', None)!r})"

    async def __aenter__(self) -> AsyncOxenClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- models ---------------------------------------------------------------------------

    async def model_object(self, model_id: str) -> dict[str, Any]:
        """The raw model object from `GET /ai/models/{id}`."""
        data = await self._call("GET", f"/ai/models/{_path_segment(model_id, 'model')}")
        if not isinstance(data, dict):
            raise ProtocolError("model details are not a JSON object")
        return data

    async def models(self) -> builtins.list[dict[str, Any]]:
        """`GET /ai/models`: every model object the service lists."""
        data = await self._call("GET", "/ai/models")
        listed = data.get("data") if isinstance(data, dict) else None
        if not isinstance(listed, list):
            raise ProtocolError("the model list has no `data` list")
        return [m for m in listed if isinstance(m, dict)]

    async def model_spec(self, model_id: str) -> ModelSpec:
        """The model's schema and pricing, once per client.

        The service's model object wins when it answers (kept in `model_cache`, which then
        serves it without a request while fresh); when it cannot be had, a kept one, else
        the bundled one (every Seedance variant), stands in.
        """
        spec = self._specs.get(model_id)
        if spec is None:
            spec = self._specs[model_id] = await self._load_spec(model_id)
        return spec

    async def _load_spec(self, model_id: str) -> ModelSpec:
        cache = self.model_cache
        fresh = cache.fresh(model_id) if cache is not None else None
        if fresh is not None:
            with contextlib.suppress(ProtocolError):
                return ModelSpec.from_model_object(fresh)
        bundled = bundled_model(model_id)
        kept = cache.get(model_id) if cache is not None else None
        try:
            if bundled is None and kept is None:
                obj = await self.model_object(model_id)
            else:  # one short try: something can stand in
                obj = await self._once("GET", f"/ai/models/{_path_segment(model_id, 'model')}",
                                       MODEL_DEADLINE)
            spec = ModelSpec.from_model_object(obj)
        except SeedanceError as exc:
            stand_in = ModelSpec.from_model_object(kept.object) if kept is not None else bundled
            if stand_in is None:
                raise
            log.info("model %s: using the %s model object (%s)", model_id,
                     "kept" if kept is not None else "bundled", exc)
            return stand_in
        if cache is not None:
            cache.put(model_id, obj)
        return spec

    # -- repository files (where input media are uploaded) --------------------------------

    def file_url(self, namespace: str, repo: str, branch: str, path: str) -> str:
        """The URL that serves a repository file (what a media field may point at)."""
        return self.settings.base_url + repo_file_path(namespace, repo, branch, path)

    async def create_repo(self, namespace: str, name: str, *, description: str = "") -> bool:
        """`POST /repos`: True when it was created (200 or 201), False when it exists (409)."""
        try:
            await self._call("POST", "/repos", json={
                "namespace": _name_segment(namespace, "namespace"),
                "name": _name_segment(name, "repository"), "description": description})
        except APIError as exc:
            if exc.status_code == 409:
                return False
            raise
        return True

    async def upload_file(self, namespace: str, repo: str, branch: str, path: str,
                          data: bytes, *, content_type: str = "application/octet-stream",
                          message: str = "Upload an input") -> dict[str, Any]:
        """`PUT /repos/{namespace}/{repo}/file/{branch}/{path}` (multipart, one `file` at the
        full path, committed at once): the service's answer. Sending it again puts the same
        bytes at the same path, so it is retried like a read."""
        where = repo_file_path(namespace, repo, branch, path)
        name = path.rsplit("/", 1)[-1]
        answer = await self._call("PUT", where, files={"file": (name, data, content_type)},
                                  data={"message": message}, deadline=UPLOAD_DEADLINE)
        return answer if isinstance(answer, dict) else {}

    async def file_exists(self, namespace: str, repo: str, branch: str, path: str) -> bool:
        """`HEAD` of a repository file: whether it is there (404: not)."""
        where = repo_file_path(namespace, repo, branch, path)
        attempts = 0
        try:
            async for attempt in self.retry.retrying(idempotent_is_retryable):
                with attempt:
                    attempts = attempt.num
                    response, raw = await self._exchange("HEAD", where)
                    if response.status_code == 404:
                        return False
                    if not response.is_success:
                        raise error_from(response, self.settings.scrub, raw)
                    return True
        except (httpx.TransportError, APIError) as exc:
            _raise_final(exc, f"HEAD {where}", attempts)
        raise AssertionError("unreachable")  # pragma: no cover

    async def fetch_media(self, url: str, max_bytes: int) -> bytes:
        """The bytes behind an input's URL (for a preview), at most `max_bytes`; the key goes
        only to the API's own origin, as for every request."""
        if not url.startswith(("http://", "https://")):
            raise InvalidRequestError("url", url, "an http(s) URL")
        try:
            async with self._request_slots, asyncio.timeout(self.deadline), \
                    self._http.stream("GET", url) as response:
                raw = await read_capped(response, max_bytes, f"GET {_safe_url(url)}")
                if not response.is_success:
                    raise error_from(response, self.settings.scrub, raw[:MAX_JSON_BYTES])
                return raw
        except TimeoutError:
            raise NetworkError(f"GET {_safe_url(url)}", httpx.ReadTimeout("deadline")) from None
        except httpx.TransportError as exc:
            raise NetworkError(f"GET {_safe_url(url)}", exc) from _without_locals(exc)

    # -- synchronous generation -----------------------------------------------------------

    async def generate(self, request: VideoRequest, *, response_format: str = "url",
                       timeout: float | None = None) -> list[SyncVideo]:
        """`POST /ai/videos/generate`: blocks until the video exists (minutes on the service)."""
        if response_format not in ("url", "b64_json"):
            raise InvalidRequestError("response_format", response_format, "url, b64_json")
        body = {**request.to_json(), "response_format": response_format}
        try:
            response, raw = await self._exchange(
                "POST", "/ai/videos/generate", deadline=None, json=body,
                timeout=httpx.Timeout(timeout, connect=10.0))
            data = self._decode("POST", "/ai/videos/generate", response, raw)
        except httpx.TransportError as exc:
            raise NetworkError("POST /ai/videos/generate", exc) from exc
        videos = data.get("videos") if isinstance(data, dict) else None
        if not isinstance(videos, list) or not videos:
            raise ProtocolError("generate response without `videos`")
        return [SyncVideo(url=v.get("url") or v.get("video_url"), b64_json=v.get("b64_json"))
                for v in videos if isinstance(v, dict)]

    # -- the queue ------------------------------------------------------------------------

    async def enqueue(self, request: VideoRequest, num_generations: int = 1) -> list[Generation]:
        """`POST /ai/queue`, never paying twice for one call.

        When the answer is lost after the server may have accepted the job, the queue is
        searched once (`find_candidates`) and exactly `num_generations` unclaimed matches are
        taken as the answer; otherwise `EnqueueUnconfirmed` names the candidates and nothing
        is sent again. Identical requests from this client are enqueued one at a time, so a
        search never mistakes one for the other. (The jobs layer does more: a durable intent
        and reconciliation across processes, see `jobs/submission.py`.)
        """
        key = request.canonical_json()
        lock, users = self._enqueue_locks.get(key) or (asyncio.Lock(), 0)
        self._enqueue_locks[key] = (lock, users + 1)
        try:
            async with lock:
                return self._remember(await self._enqueue_or_find(request, num_generations))
        finally:
            lock, users = self._enqueue_locks[key]
            if users == 1:
                del self._enqueue_locks[key]
            else:
                self._enqueue_locks[key] = (lock, users - 1)

    async def _enqueue_or_find(self, request: VideoRequest, count: int) -> list[Generation]:
        try:
            return await self.enqueue_once(request, count)
        except EnqueueUnconfirmed as unsure:
            if unsure.generation_ids:
                return [Generation(i, Status.QUEUED) for i in unsure.generation_ids]
            try:
                found = [g for g in await self.find_candidates(request, since=unsure.sent_at)
                         if g.generation_id not in self._known_ids]
            except SeedanceError as exc:
                log.warning("enqueue unconfirmed, and the queue could not be listed: %s", exc)
                raise unsure from exc
            if len(found) == count:
                log.warning("enqueue failed but the job was accepted: %s",
                            [g.generation_id for g in found])
                return found
            raise EnqueueUnconfirmed(str(unsure.__cause__ or unsure), sent_at=unsure.sent_at,
                                     candidates=tuple(g.generation_id for g in found)) from unsure

    async def enqueue_once(self, request: VideoRequest,
                           num_generations: int = 1) -> list[Generation]:
        """One enqueue: `POST /ai/queue`, sent again only after a refusal that proves nothing
        was accepted (connection refused, 429, 503 with `Retry-After`).

        Any other failure that may hide an accepted job raises `EnqueueUnconfirmed` with the
        time it was sent and any generation ids the broken answer still carried. An answer
        whose status is outside the contract still gives its ids (followed as `queued`).
        """
        if isinstance(num_generations, bool) or num_generations not in range(1, 5):
            raise InvalidRequestError("num_generations", num_generations, "1, 2, 3, 4")
        body = {**request.to_json(), "num_generations": num_generations}
        sent_at = time.time()
        attempts = 0
        try:
            async for attempt in self.retry.retrying(enqueue_is_retryable):
                with attempt:
                    attempts = attempt.num
                    return await self._post_queue(body, sent_at)
        except (httpx.TransportError, APIError, MalformedResponseError) as exc:
            if may_have_been_accepted(exc):
                raise EnqueueUnconfirmed(exc, sent_at=sent_at) from _without_locals(exc)
            _raise_final(exc, "POST /ai/queue", attempts)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post_queue(self, body: dict[str, Any], sent_at: float) -> list[Generation]:
        """One POST; an error answer that still names generation ids raises
        `EnqueueUnconfirmed` carrying them (they may be paid for)."""
        response, raw = await self._exchange("POST", "/ai/queue", json=body)
        try:
            return _parse_enqueued(self._decode("POST", "/ai/queue", response, raw))
        except (APIError, MalformedResponseError) as exc:
            ids = tuple(dict.fromkeys(m.decode("utf-8", "replace")
                                      for m in _IDS_IN_TEXT.findall(raw)))
            if ids:
                raise EnqueueUnconfirmed(exc, sent_at=sent_at, generation_ids=ids) from exc
            raise

    async def find_candidates(self, request: VideoRequest, *, since: float,
                              until: float | None = None) -> list[Generation]:
        """Generations the service lists that could be `request`, enqueued in
        [`since`, `until`] (give or take `CLOCK_SKEW`), oldest first.

        Lists the queue with each status filter, and `GET /ai/generations` where the
        service has it; compares each echo with `echo_matches`. Raises when a listing fails:
        "none found" must mean none was there. Which of them are already claimed is the
        caller's knowledge, not the service's.
        """
        found: dict[str, Generation] = {}
        for status in (None, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED):
            for generation in await self.list(status=status, model=request.model):
                found.setdefault(generation.generation_id, generation)
        for generation in await self._history_since(request.model, since - CLOCK_SKEW):
            found.setdefault(generation.generation_id, generation)
        low, high = since - CLOCK_SKEW, (until or time.time()) + CLOCK_SKEW
        matches = [g for g in found.values()
                   if (g.enqueued_at is None or low <= g.enqueued_at <= high)
                   and echo_matches(request, g)]
        return sorted(matches, key=lambda g: g.enqueued_at or 0)

    async def _history_since(self, model: str, since: float) -> list[Generation]:
        """`GET /ai/generations` rows of `model` newest first, back to `since`; empty where
        the service does not serve it (404)."""
        rows: builtins.list[Generation] = []
        for page in range(1, MAX_HISTORY_PAGES + 1):
            try:
                data = await self._call("GET", "/ai/generations", params={
                    "model": model, "page": str(page), "page_size": "1000"})
            except NotFoundError:
                return rows
            records = data.get("generations") if isinstance(data, dict) else None
            if not isinstance(records, list):
                raise ProtocolError("generations list without `generations`")
            batch = [Generation.from_row(r) for r in records]
            rows += batch
            pages = data.get("total_pages")
            oldest = min((g.enqueued_at for g in batch if g.enqueued_at is not None),
                         default=None)
            if not batch or (isinstance(pages, int) and page >= pages) \
                    or (oldest is not None and oldest < since):
                break
        return rows

    async def get(self, generation_id: str) -> Generation:
        """`GET /ai/queue/{id}`: one generation's record."""
        data = await self._call("GET", f"/ai/queue/{_path_segment(generation_id)}")
        generation = Generation.from_record(data)
        if generation.generation_id != generation_id:
            raise ProtocolError(f"asked for generation {generation_id}, "
                                f"got {generation.generation_id}")
        return generation

    async def list(self, *, status: Status | str | None = None, model: str | None = None,
                   media_type: str | None = None, namespace: str | None = None,
                   repo: str | None = None, folder: str | None = None) -> builtins.list[Generation]:
        """`GET /ai/queue`: active generations, or those with `status`."""
        if status is not None:
            status = Status.parse(status)
        query = {"status": status, "model": model, "media_type": media_type,
                 "namespace": namespace, "repo": repo, "folder": folder}
        data = await self._call("GET", "/ai/queue",
                                params={k: str(v) for k, v in query.items() if v is not None})
        records = data.get("generations") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise ProtocolError("queue list without `generations`")
        return [Generation.from_record(r) for r in records]

    async def generations(self, *, page: int = 1, page_size: int = 50,
                          status: Status | str | None = None, model: str | None = None,
                          media_type: str | None = None, namespace: str | None = None,
                          repo: str | None = None, folder: str | None = None) -> GenerationsPage:
        """`GET /ai/generations`: one page of past and active generations, newest first, each
        with what it was charged, and the total charged over the whole filter set."""
        if status is not None:
            status = Status.parse(status)
        query = {"page": page, "page_size": page_size, "status": status, "model": model,
                 "media_type": media_type, "namespace": namespace, "repo": repo,
                 "folder": folder}
        data = await self._call("GET", "/ai/generations",
                                params={k: str(v) for k, v in query.items() if v is not None})
        return GenerationsPage.from_body(data)

    async def past_generation(self, generation_id: str) -> BilledGeneration:
        """`GET /ai/generations/{id}`: one generation with its charged `cost` (None when the
        service reports none), to read once the generation is final."""
        data = await self._call("GET", f"/ai/generations/{_path_segment(generation_id)}")
        row = data.get("generation") if isinstance(data, dict) else None
        billed = BilledGeneration.from_row(row)
        if billed.generation.generation_id != generation_id:
            raise ProtocolError(f"asked for generation {generation_id}, "
                                f"got {billed.generation.generation_id}")
        return billed

    async def cancel(self, generation_id: str) -> None:
        """`DELETE /ai/queue/{id}`: no effect on a generation that already ended."""
        await self._call("DELETE", f"/ai/queue/{_path_segment(generation_id)}")

    # -- events and results ---------------------------------------------------------------

    async def completion_events(
        self, on_open: Callable[[], None] | None = None
    ) -> AsyncIterator[CompletionEvent]:
        """Follow `GET /events` and yield each `media_generation_completed` event.

        One connection, no reconnect (see `EventHub` for that). `on_open` runs once the
        server has accepted the stream. Other event types are skipped, as the docs ask.
        A line or event over `limits.MAX_EVENT_BYTES` ends the stream with `ProtocolError`.
        """
        async with aconnect_sse(self._http, "GET", "/events", timeout=EVENT_STREAM_TIMEOUT,
                                headers={"Accept-Encoding": "identity"}) as source:
            response = source.response
            if response.status_code != 200:
                raise error_from(response, self.settings.scrub, self.settings.scrub(
                    await read_capped(response, MAX_JSON_BYTES, "GET /events")))
            guard_event_stream(response)
            if on_open is not None:
                on_open()
            async for sse in source.aiter_sse():
                if sse.event != COMPLETION_EVENT:
                    continue
                try:
                    yield CompletionEvent.from_data(self.settings.scrub(json.loads(sse.data)))
                except (ValueError, ProtocolError) as exc:
                    log.warning("ignored a malformed completion event: %s", exc)

    async def download(self, url: str, dest: Path,
                       refresh_url: Callable[[], Awaitable[str]] | None = None) -> Path:
        """Stream a result to `dest` (via a `.part` file, renamed once it is a whole video).

        The Bearer header goes only to the API's own origin. Interrupted transfers resume
        with a Range request; an expired URL (401/403/404) is replaced via `refresh_url`.
        A URL that is not http(s) is refused. Gives up per the retry policy with
        `DownloadError` (or the service's `APIError` / `NetworkError`).
        """
        current = _result_url(url)

        def retryable(exc: BaseException) -> bool:
            expired = isinstance(exc, APIError) and exc.status_code in (401, 403, 404)
            return (expired and refresh_url is not None) or isinstance(exc, DownloadError) \
                or idempotent_is_retryable(exc)

        attempts = 0
        try:
            async for attempt in self.retry.retrying(retryable):
                with attempt:
                    attempts = attempt.num
                    try:
                        async with self._download_slots:
                            return await stream_to_file(self._http, current, dest,
                                                        self.settings.scrub)
                    except APIError as exc:
                        if refresh_url is not None and exc.status_code in (401, 403, 404):
                            current = _result_url(await refresh_url())
                        raise
        except httpx.TransportError as exc:
            raise NetworkError(f"downloading {_safe_url(current)}", exc,
                               attempts) from _without_locals(exc)
        except APIError as exc:
            exc.add_note(f"downloading {_safe_url(current)}: gave up after {attempts} attempts")
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- plumbing -------------------------------------------------------------------------

    def _remember(self, generations: builtins.list[Generation]) -> builtins.list[Generation]:
        self._known_ids.update(g.generation_id for g in generations)
        return generations

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An idempotent call, retried per the policy; then the last error, made clear."""
        attempts = 0
        try:
            async for attempt in self.retry.retrying(idempotent_is_retryable):
                with attempt:
                    attempts = attempt.num
                    response, raw = await self._exchange(method, path, **kwargs)
                    return self._decode(method, path, response, raw)
        except (httpx.TransportError, APIError, MalformedResponseError) as exc:
            _raise_final(exc, f"{method} {path}", attempts)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, path: str, deadline: float) -> Any:
        """One call, no retry, within `deadline`: its JSON, or the error made clear."""
        try:
            response, raw = await self._exchange(method, path, deadline=deadline)
            return self._decode(method, path, response, raw)
        except httpx.TransportError as exc:
            _raise_final(exc, f"{method} {path}", 1)

    async def _exchange(self, method: str, path: str, *, deadline: float | None = -1.0,
                        **kwargs: Any) -> tuple[httpx.Response, bytes]:
        """One request and its whole body (at most `MAX_JSON_BYTES`), within the
        whole-request deadline (`self.deadline` unless given; None for none)."""
        limit = self.deadline if deadline == -1.0 else deadline
        try:
            async with self._request_slots, asyncio.timeout(limit), \
                    self._http.stream(method, path, **kwargs) as response:
                return response, self.settings.scrub(
                    await read_capped(response, MAX_JSON_BYTES, f"{method} {path}"))
        except TimeoutError:
            raise httpx.ReadTimeout(f"no complete answer within the {limit:g} s deadline") \
                from None
        except httpx.HTTPError as exc:
            _without_locals(exc)
            raise

    def _decode(self, method: str, path: str, response: httpx.Response, raw: bytes) -> Any:
        """The JSON body of a 2xx answer (scrubbed of the key), or the typed error."""
        if not response.is_success:
            raise error_from(response, self.settings.scrub, raw)
        try:
            return self.settings.scrub(json.loads(raw))
        except ValueError:
            raise MalformedResponseError(
                f"{method} {path} answered {response.status_code} with a body that is "
                "not JSON") from None


def _without_locals(exc: BaseException) -> BaseException:
    """`exc` with the local variables of the finished frames it passed through (httpx's,
    httpcore's, h11's) cleared, down its whole chain, so a traceback printed with locals
    cannot show a request's headers. Returns `exc`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__
    return exc


def _final(exc: BaseException, what: str, attempts: int) -> BaseException:
    """The error to raise after the last attempt: a network failure as `NetworkError`; the
    service's own errors as they are, noting how often they were tried."""
    if isinstance(exc, httpx.TransportError):
        return NetworkError(what, exc, attempts)
    if attempts > 1 and isinstance(exc, SeedanceError):
        exc.add_note(f"{what}: gave up after {attempts} attempts")
    return exc


def _raise_final(exc: BaseException, what: str, attempts: int) -> NoReturn:
    final = _final(exc, what, attempts)
    if final is exc:
        raise exc
    raise final from _without_locals(exc)


def _result_url(url: Any) -> str:
    """A result URL we are willing to fetch: absolute http(s), or a path on the API."""
    if not isinstance(url, str) or not url:
        raise ProtocolError("the service gave no usable result URL")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ProtocolError("the service gave a result URL that is not a URL") from None
    if parsed.scheme not in ("", "http", "https") or (parsed.scheme and not parsed.host):
        raise ProtocolError(f"refusing a result URL with scheme {parsed.scheme!r} "
                            "(only http and https are fetched)")
    return url


def _safe_url(url: str) -> str:
    """A URL without its query (presigned URLs carry signatures there)."""
    return url.split("?", 1)[0]


def _parse_enqueued(data: Any) -> builtins.list[Generation]:
    """The generations of an enqueue answer. Ids are what matters: an answer without any is
    malformed (the job may well have been accepted, so it is reconciled); a status outside
    the contract (say "pending") is logged and followed as `queued`, never dropped."""
    items = data.get("generations") if isinstance(data, dict) else None
    ids = [item.get("generation_id") for item in items if isinstance(item, dict)] \
        if isinstance(items, list) else []
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise MalformedResponseError("enqueue response without a usable `generation_id`")
    generations = []
    for item in items:  # type: ignore[union-attr]
        status = item.get("status")
        if status not in tuple(Status):
            log.warning("enqueue answered status %r for %s, which the contract does not know; "
                        "following its record", status, item["generation_id"])
            status = Status.QUEUED
        generations.append(Generation(item["generation_id"], Status(status)))
    return generations


_REPO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _name_segment(value: str, field: str) -> str:
    """A namespace, repository or branch name: letters, digits, `.`, `_`, `-`."""
    if not isinstance(value, str) or not _REPO_NAME.fullmatch(value):
        raise InvalidRequestError(field, value, "letters, digits, '.', '_' or '-'")
    return value


def repo_file_path(namespace: str, repo: str, branch: str, path: str) -> str:
    """`/repos/{namespace}/{repo}/file/{branch}/{path}`, each part checked or quoted."""
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") for p in parts):
        raise InvalidRequestError("path", path, "a relative file path in the repository")
    return (f"/repos/{_name_segment(namespace, 'namespace')}/{_name_segment(repo, 'repository')}"
            f"/file/{_name_segment(branch, 'branch')}/"
            + "/".join(quote(p, safe="") for p in parts))


def _path_segment(value: str, field: str = "generation_id") -> str:
    """An id as exactly one URL path segment; anything that could escape it is refused."""
    if not isinstance(value, str) or not value.strip() or value in (".", ".."):
        raise InvalidRequestError(field, value, "an id returned by the service")
    return quote(value, safe="")
