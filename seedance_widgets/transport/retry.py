"""The retry policy, in one place: what may be retried, how often, and how long to wait.

Idempotent calls (GET, DELETE, downloads) retry on connection errors, timeouts, 408, 429
and 5xx, honouring `Retry-After`. Enqueue is not idempotent (a blind retry can pay twice):
it is retried only where the server cannot have accepted it; see `enqueue_is_retryable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..contract.errors import APIError, MalformedResponseError, RateLimitError, ServerError

__all__ = ["RetryPolicy", "enqueue_is_retryable", "idempotent_is_retryable"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter (executed by `stamina`)."""

    attempts: int = 5
    timeout: float | None = 120.0
    wait_initial: float = 0.25
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    max_retry_after: float = 60.0

    def backoff_hint(self, exc: BaseException) -> float | None:
        """The server's `Retry-After`, capped, when the error carries one."""
        hint = getattr(exc, "retry_after", None)
        return None if hint is None else min(float(hint), self.max_retry_after)


def idempotent_is_retryable(exc: BaseException) -> bool:
    """Whether a GET/DELETE/download may be tried again after `exc`."""
    if isinstance(exc, httpx.TransportError | MalformedResponseError):
        return True
    if isinstance(exc, RateLimitError | ServerError):
        return True
    return isinstance(exc, APIError) and exc.status_code == 408


def enqueue_is_retryable(exc: BaseException) -> bool:
    """Whether an enqueue may be sent again blindly: only when it cannot have been accepted.

    A refused or timed-out connection never reached the server; 429 and a 503 that says when
    to come back are refusals. Anything else (reset mid-request, read timeout, 500/502) may
    have been accepted and must be reconciled against the active list first.
    """
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return True
    if isinstance(exc, RateLimitError):
        return True
    return isinstance(exc, ServerError) and exc.status_code == 503 and exc.retry_after is not None
