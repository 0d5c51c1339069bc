"""The async client: one method per endpoint of the contract, retries per `retry.py`."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
import stamina
from httpx_sse import aconnect_sse

from .. import __version__
from ..contract.errors import (
    APIError,
    DownloadError,
    EnqueueUnconfirmed,
    InvalidRequestError,
    MalformedResponseError,
    NetworkError,
    ProtocolError,
    SeedanceError,
)
from ..contract.request import VideoRequest
from ..contract.schema import ModelSpec, bundled_model
from ..contract.status import COMPLETION_EVENT, CompletionEvent, Generation, Status
from .download import stream_to_file
from .responses import error_from
from .retry import (
    RetryPolicy,
    enqueue_is_retryable,
    idempotent_is_retryable,
    may_have_been_accepted,
)
from .settings import ApiKey, Settings

__all__ = ["AsyncOxenClient", "SyncVideo"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_REQUESTS_IN_FLIGHT = 8
MAX_DOWNLOADS_IN_FLIGHT = 4
# The event stream sends a keep-alive comment every 15 s: a longer silence means it is dead.
EVENT_STREAM_TIMEOUT = httpx.Timeout(30.0, connect=10.0, read=45.0)


@dataclass(frozen=True)
class SyncVideo:
    """One video from `POST /ai/videos/generate`: a URL or the bytes themselves."""

    url: str | None = None
    b64_json: str | None = None


class AsyncOxenClient:
    """Async client for Oxen.ai's video generation endpoints.

    The key comes from `api_key=` or OXEN_API_KEY, the base URL from `base_url=` or
    OXEN_BASE_URL (default https://hub.oxen.ai/api). The key is only sent to that origin.
    """

    def __init__(
        self,
        api_key: str | ApiKey | None = None,
        base_url: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = Settings.resolve(api_key, base_url)
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=self.settings.base_url,
            timeout=timeout,
            transport=transport,
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
        return f"AsyncOxenClient(base_url={self.settings.base_url!r})"

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

    async def model_spec(self, model_id: str) -> ModelSpec:
        """The model's schema and pricing: bundled for the default model, else fetched once."""
        spec = self._specs.get(model_id) or bundled_model(model_id)
        if spec is None:
            spec = ModelSpec.from_model_object(await self.model_object(model_id))
        self._specs[model_id] = spec
        return spec

    # -- synchronous generation -----------------------------------------------------------

    async def generate(self, request: VideoRequest, *, response_format: str = "url",
                       timeout: float | None = None) -> list[SyncVideo]:
        """`POST /ai/videos/generate`: blocks until the video exists (minutes on the service)."""
        if response_format not in ("url", "b64_json"):
            raise InvalidRequestError("response_format", response_format, "url, b64_json")
        body = {**request.to_json(), "response_format": response_format}
        try:
            data = await self._send("POST", "/ai/videos/generate", json=body,
                                    timeout=httpx.Timeout(timeout, connect=10.0))
        except httpx.TransportError as exc:
            raise NetworkError("POST /ai/videos/generate", exc) from exc
        videos = data.get("videos") if isinstance(data, dict) else None
        if not isinstance(videos, list) or not videos:
            raise ProtocolError("generate response without `videos`")
        return [SyncVideo(url=v.get("url") or v.get("video_url"), b64_json=v.get("b64_json"))
                for v in videos if isinstance(v, dict)]

    # -- the queue ------------------------------------------------------------------------

    async def enqueue(self, request: VideoRequest, num_generations: int = 1) -> list[Generation]:
        """`POST /ai/queue`. Never submits twice: see `retry.py`.

        When a failure leaves it unclear whether the server accepted the job, the queue is
        searched for it before any second attempt, and the request is sent again only once a
        successful search shows it was not accepted. Identical requests from this client are
        enqueued one at a time, so a search never mistakes one for the other.
        """
        if isinstance(num_generations, bool) or num_generations not in range(1, 5):
            raise InvalidRequestError("num_generations", num_generations, "1, 2, 3, 4")
        key = request.canonical_json()
        lock, users = self._enqueue_locks.get(key) or (asyncio.Lock(), 0)
        self._enqueue_locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await self._enqueue(request, num_generations)
        finally:
            lock, users = self._enqueue_locks[key]
            if users == 1:
                del self._enqueue_locks[key]
            else:
                self._enqueue_locks[key] = (lock, users - 1)

    async def _enqueue(self, request: VideoRequest, count: int) -> list[Generation]:
        body = {**request.to_json(), "num_generations": count}
        sent_at = time.time()
        policy = self.retry
        unsure: BaseException | None = None  # a failure that may hide an accepted job
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            if unsure is None:
                try:
                    data = await self._send("POST", "/ai/queue", json=body)
                    return self._remember(_parse_enqueued(data))
                except (httpx.TransportError, APIError, MalformedResponseError) as exc:
                    if enqueue_is_retryable(exc):
                        if last:
                            _raise_final(exc, "POST /ai/queue", attempt)
                        await asyncio.sleep(policy.backoff(attempt, exc))
                        continue
                    if not may_have_been_accepted(exc):
                        _raise_final(exc, "POST /ai/queue", attempt)
                    unsure = exc
            try:
                found = await self._find_accepted(request, count, sent_at)
            except (SeedanceError, httpx.HTTPError) as exc:
                log.warning("enqueue failed (%s) and the queue could not be listed to see "
                            "whether it was accepted (%s)", type(unsure).__name__, exc)
                if last:
                    raise EnqueueUnconfirmed(unsure, attempt) from exc
                await asyncio.sleep(policy.backoff(attempt, exc))
                continue
            if found:
                log.warning("enqueue failed (%s) but the job was accepted: %s",
                            type(unsure).__name__, [g.generation_id for g in found])
                return self._remember(found)
            # A successful list shows nothing was accepted: sending again is safe.
            assert unsure is not None
            refused, unsure = unsure, None
            if last:
                _raise_final(refused, "POST /ai/queue", attempt)
            await asyncio.sleep(policy.backoff(attempt, refused))
        raise AssertionError("unreachable")  # pragma: no cover

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
                   repo: str | None = None, folder: str | None = None) -> list[Generation]:
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
        """
        async with aconnect_sse(self._http, "GET", "/events", headers=self.settings.auth_headers(),
                                timeout=EVENT_STREAM_TIMEOUT) as source:
            response = source.response
            if response.status_code != 200:
                await response.aread()
                raise error_from(response)
            if on_open is not None:
                on_open()
            async for sse in source.aiter_sse():
                if sse.event != COMPLETION_EVENT:
                    continue
                try:
                    yield CompletionEvent.from_data(json.loads(sse.data))
                except (ValueError, ProtocolError) as exc:
                    log.warning("ignored a malformed completion event: %s", exc)

    async def download(self, url: str, dest: Path,
                       refresh_url: Callable[[], Awaitable[str]] | None = None) -> Path:
        """Stream a result to `dest` (via a `.part` file, renamed when complete).

        The Bearer header goes only to the API's own origin. Interrupted transfers resume
        with a Range request; an expired URL (401/403/404) is replaced via `refresh_url`.
        A URL that is not http(s) is refused. Gives up per the retry policy with
        `DownloadError` (or the service's `APIError` / `NetworkError`).
        """
        current = _result_url(url)
        attempts = 0
        try:
            async for attempt in self._retrying(_download_is_retryable):
                with attempt:
                    attempts = attempt.num
                    try:
                        async with self._download_slots:
                            return await stream_to_file(self._http, current, dest,
                                                        self._headers_for(current))
                    except APIError as exc:
                        if refresh_url is None or exc.status_code not in (401, 403, 404):
                            raise
                        current = _result_url(await refresh_url())
                        raise ResultURLRefreshed(str(exc)) from exc
        except ResultURLRefreshed as exc:
            raise DownloadError(f"the result could not be downloaded in {attempts} attempts: "
                                f"the last one refused a freshly read URL ({exc})") from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"downloading {_safe_url(current)}", exc, attempts) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # -- plumbing -------------------------------------------------------------------------

    def _headers_for(self, url: str) -> dict[str, str]:
        same = self.settings.is_same_origin(url) or not httpx.URL(url).is_absolute_url
        return self.settings.auth_headers() if same else {}

    def _remember(self, generations: list[Generation]) -> list[Generation]:
        self._known_ids.update(g.generation_id for g in generations)
        return generations

    def _retrying(self, retryable: Callable[[BaseException], bool]) -> Any:
        def hook(exc: Exception) -> bool | float:
            if not retryable(exc):
                return False
            return self.retry.backoff_hint(exc) or True

        return stamina.retry_context(
            on=hook, attempts=self.retry.attempts, timeout=self.retry.timeout,
            wait_initial=self.retry.wait_initial, wait_max=self.retry.wait_max,
            wait_jitter=self.retry.wait_jitter,
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An idempotent call, retried per the policy; then the last error, made clear."""
        attempts = 0
        try:
            async for attempt in self._retrying(idempotent_is_retryable):
                with attempt:
                    attempts = attempt.num
                    return await self._send(method, path, **kwargs)
        except (httpx.TransportError, APIError, MalformedResponseError) as exc:
            _raise_final(exc, f"{method} {path}", attempts)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the JSON body of a 2xx answer, or the typed error."""
        async with self._request_slots:
            response = await self._http.request(method, path,
                                                headers=self.settings.auth_headers(), **kwargs)
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise MalformedResponseError(
                    f"{method} {path} answered {response.status_code} with a body that is "
                    "not JSON") from None
        raise error_from(response)

    async def _find_accepted(self, request: VideoRequest, count: int,
                             sent_at: float) -> list[Generation]:
        """Generations matching `request`, enqueued since `sent_at`, that we did not know of.

        Raises when the queue cannot be listed: "not found" must mean "not accepted".
        """
        wanted = request.to_json()
        for status in (None, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED):
            candidates = await self.list(status=status, model=request.model)
            matches = sorted(
                (g for g in candidates
                 if g.generation_id not in self._known_ids and _matches(g, wanted, sent_at)),
                key=lambda g: g.enqueued_at or 0,
            )
            if len(matches) >= count:
                return matches[:count]
        return []


class ResultURLRefreshed(SeedanceError):
    """Internal: the result URL had expired and was replaced; try the download again."""


def _download_is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ResultURLRefreshed | DownloadError) or idempotent_is_retryable(exc)


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
    raise final from exc


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


def _matches(generation: Generation, wanted: dict[str, Any], sent_at: float) -> bool:
    if generation.enqueued_at is not None and generation.enqueued_at < int(sent_at) - 5:
        return False
    if generation.model_name not in (None, wanted["model"]):
        return False
    if generation.prompt != wanted.get("prompt"):
        return False
    echoed = generation.params
    return all(echoed[k] == v for k, v in wanted.items() if k in echoed)


def _parse_enqueued(data: Any) -> list[Generation]:
    """The generations of an enqueue answer; one we cannot read is malformed, which makes
    the client reconcile (the job may well have been accepted)."""
    items = data.get("generations") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise MalformedResponseError("enqueue response without `generations`")
    try:
        return [Generation.from_record(item) for item in items]
    except ProtocolError as exc:
        raise MalformedResponseError(f"enqueue response: {exc}") from None


def _path_segment(value: str, field: str = "generation_id") -> str:
    """An id as exactly one URL path segment; anything that could escape it is refused."""
    if not isinstance(value, str) or not value.strip() or value in (".", ".."):
        raise InvalidRequestError(field, value, "an id returned by the service")
    return quote(value, safe="")
