"""Every error the toolkit raises, and the parser for the service's two error bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BudgetExceeded",
    "DownloadError",
    "EnqueueUnconfirmed",
    "GenerationCancelled",
    "GenerationFailed",
    "InvalidRequestError",
    "LedgerError",
    "MalformedResponseError",
    "NetworkError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitError",
    "SeedanceError",
    "ServerError",
    "api_error_from_response",
    "safe_text",
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
        self.reason = reason
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
    """`POST /ai/queue` ended without a usable answer after the server may have accepted it.

    Nothing was sent again (the queue has no idempotency key: that could pay twice).
    `cause` says why the outcome is unknown; `generation_ids` are ids the broken answer still
    carried; `candidates` are unclaimed generations the service lists that could be this
    request (None when none are known: not searched, or the listing failed); `rivals` counts
    other takes of the same request whose answers were lost in the same window (a candidate
    could be theirs); `sent_at` is when the request was first sent (unix seconds);
    `intent_id` names the ledger's intent, when there is one, for `seedance adopt`.
    """

    def __init__(self, error: BaseException | str, *, sent_at: float,
                 generation_ids: tuple[str, ...] = (),
                 candidates: tuple[str, ...] | None = None, rivals: int = 0,
                 intent_id: str | None = None):
        self.sent_at = sent_at
        self.intent_id = intent_id
        self.generation_ids = tuple(generation_ids)
        self.candidates = None if candidates is None else tuple(candidates)
        self.rivals = rivals
        self.cause = (error if isinstance(error, str)
                      else f"{type(error).__name__}: {_reason(error)}")
        if self.candidates is None:
            found = "no candidate is known"
        elif not self.candidates:
            found = "the service lists no generation that could be it"
        else:
            found = (f"the service lists {len(self.candidates)} that could be it: "
                     + ", ".join(self.candidates))
        if rivals:
            found += (f", but {rivals} other take(s) of this request lost their answers in the "
                      "same window, so it could be theirs")
        super().__init__(f"the service may have accepted this request ({self.cause}); "
                         f"{found}. It was not sent again, to avoid paying twice")


class LedgerError(SeedanceError):
    """The ledger file cannot be read or written; `path` names it. Nothing was paid for
    because of it: an enqueue is refused when its intent cannot be recorded."""

    def __init__(self, path: object, action: str, error: BaseException):
        self.path = path
        reason = _reason(error)
        super().__init__(f"the ledger {path} could not be {action} ({reason}): "
                         f"{_ledger_hint(reason)}")


def _ledger_hint(reason: str) -> str:
    text = reason.lower()
    if "full" in text or "disk i/o" in text:
        return "the disk may be full: free some space, then run `seedance resume`"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return "make it writable, or choose another folder (--ledger / Studio(ledger=...))"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return ("it is damaged: move it aside and run again (a new ledger starts empty), "
                "or choose another folder (--ledger / Studio(ledger=...))")
    return "check the file and its folder, or choose another folder (--ledger)"


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


class BudgetExceeded(SeedanceError):
    """A generate or sweep would take this ledger namespace's spend past its budget.

    Raised before anything is sent. All amounts are `Decimal` US dollars: `budget` the cap,
    `billed` what the service charged so far, `pending` the estimates of what is still
    running or unsettled, `requested` the estimate of what was asked for (`what`), and
    `left` = budget - billed - pending.
    """

    def __init__(self, what: str, *, budget: Decimal, billed: Decimal, pending: Decimal,
                 requested: Decimal):
        self.what = what
        self.budget = budget
        self.billed = billed
        self.pending = pending
        self.requested = requested
        self.left = budget - billed - pending
        super().__init__(
            f"budget exceeded: {what} would cost ≈ ${requested:.2f} (estimate), but only "
            f"${max(self.left, 0):.2f} of the ${budget:.2f} budget is left "
            f"(${billed:.2f} billed + ${pending:.2f} pending). Nothing was sent; raise the "
            "budget (Studio(budget=...), --budget, SEEDANCE_BUDGET) or ask for less")


class DownloadError(SeedanceError):
    """A result could not be downloaded completely."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_text(text: str, limit: int = 500) -> str:
    """Server-supplied text made safe to show: control characters escaped (no terminal
    escape sequences get through) and the whole shortened to `limit` characters."""
    escaped = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


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
    return safe_text(value, 300) if isinstance(value, str) and value else None
