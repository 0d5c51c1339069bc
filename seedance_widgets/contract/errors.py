"""Every error the toolkit raises, and the parser for the service's two error bodies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "DownloadError",
    "EnqueueUnconfirmed",
    "GenerationCancelled",
    "GenerationFailed",
    "InvalidRequestError",
    "MalformedResponseError",
    "NetworkError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitError",
    "SeedanceError",
    "ServerError",
    "api_error_from_response",
]

KEY_HELP = (
    "Set OXEN_API_KEY to an API key from your oxen.ai profile "
    "(e.g. `export OXEN_API_KEY=...`), or unset both OXEN_API_KEY and OXEN_BASE_URL "
    "to use the built-in simulator."
)


class SeedanceError(Exception):
    """Base class for everything this toolkit raises on purpose."""


class InvalidRequestError(SeedanceError, ValueError):
    """A request parameter is missing, unknown or outside its allowed values.

    Raised before anything is sent: the queue itself would only fail the job after it ran.
    """

    def __init__(self, field: str, value: Any, allowed: str, reason: str = "is not allowed"):
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = _short_repr(value)
        super().__init__(f"{field}: {shown} {reason}. Allowed: {allowed}")


class APIError(SeedanceError):
    """The service answered with an error status."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error_type: str | None = None,
        detail: str | None = None,
    ):
        self.status_code = status_code
        self.error_type = error_type
        self.detail = detail
        self.message = message
        super().__init__(f"HTTP {status_code}: {message}")


class AuthenticationError(APIError):
    """401: the key is missing or not accepted."""

    def __init__(self, status_code: int, message: str, **kwargs: Any):
        super().__init__(status_code, f"{message}. {KEY_HELP}", **kwargs)


class NotFoundError(APIError):
    """404: unknown generation id or model."""


class RateLimitError(APIError):
    """429: too many requests; `retry_after` is the server's hint in seconds, if it gave one."""

    def __init__(self, status_code: int, message: str, *, retry_after: float | None = None,
                 **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(status_code, message, **kwargs)


class ServerError(APIError):
    """5xx: the service failed; `retry_after` is set when it said when to come back."""

    def __init__(self, status_code: int, message: str, *, retry_after: float | None = None,
                 **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(status_code, message, **kwargs)


class ProtocolError(SeedanceError):
    """The service answered something outside the documented contract."""


class MalformedResponseError(ProtocolError):
    """A body that should be JSON is not (a GET may be retried: it changes nothing)."""


class NetworkError(SeedanceError):
    """A request got no usable answer (connection failed, reset or timed out), after retries.

    `attempts` is how many times it was sent; the httpx error is the `__cause__`.
    """

    def __init__(self, what: str, error: BaseException, attempts: int = 1):
        self.what = what
        self.attempts = attempts
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{what} failed{tries}: {type(error).__name__}: {_reason(error)}")


def _reason(error: BaseException) -> str:
    """The first non-empty message down the exception chain (httpx's own are often empty)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if str(current):
            return str(current)
        current = current.__cause__ or current.__context__
    return "no details"


class EnqueueUnconfirmed(SeedanceError):
    """`POST /ai/queue` failed in a way that may hide an accepted job, and the queue could not
    be listed to find out. The request was not sent again (that could pay twice)."""

    def __init__(self, error: BaseException, attempts: int):
        self.attempts = attempts
        super().__init__(
            f"the service may have accepted this request ({type(error).__name__}: "
            f"{_reason(error)}), but listing the queue to confirm failed {attempts} "
            "times; it was not sent again, to avoid paying twice. Check the queue "
            "(`client.list()`) before submitting it again")


class GenerationFailed(SeedanceError):
    """The generation ended with status `failed`; `reason` is the server's error message."""

    def __init__(self, generation_id: str, reason: str | None):
        self.generation_id = generation_id
        self.reason = reason
        super().__init__(f"generation {generation_id} failed: {reason or 'no reason given'}")


class GenerationCancelled(SeedanceError):
    """The generation ended with status `cancelled`."""

    def __init__(self, generation_id: str, why: str = "cancelled"):
        self.generation_id = generation_id
        super().__init__(f"generation {generation_id} was {why}")


class DownloadError(SeedanceError):
    """A result could not be downloaded completely."""


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def allowed_list(values: Iterable[Any]) -> str:
    """Render allowed values the way a person would type them: `480p, 720p`."""
    return ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (the HTTP-date form is treated as absent)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def api_error_from_response(
    status_code: int, body: Any, headers: Mapping[str, str] | None = None
) -> APIError:
    """Build the typed error for a failed response from either documented error body.

    Shapes: `{"error": {"type", "title", "detail"}, "status": "error", "status_message"}`
    and `{"error": {"message": "Model not found: x"}}`.
    """
    error_type = title = detail = None
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            error_type = _text(error.get("type")) or _text(body.get("status_message"))
            title = _text(error.get("title")) or _text(error.get("message"))
            detail = _text(error.get("detail"))
        elif isinstance(error, str):
            title = error
    message = ": ".join(part for part in (title, detail) if part) or error_type or "no details"
    retry_after = parse_retry_after((headers or {}).get("retry-after"))
    kwargs: dict[str, Any] = {"error_type": error_type, "detail": detail}
    if status_code == 401:
        return AuthenticationError(status_code, message, **kwargs)
    if status_code == 404:
        return NotFoundError(status_code, message, **kwargs)
    if status_code == 429:
        return RateLimitError(status_code, message, retry_after=retry_after, **kwargs)
    if status_code >= 500:
        return ServerError(status_code, message, retry_after=retry_after, **kwargs)
    return APIError(status_code, message, **kwargs)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
