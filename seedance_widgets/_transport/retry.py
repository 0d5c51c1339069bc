"""The retry policy, in one place: what may be retried, how often, and how long to wait.

Idempotent calls (GET, DELETE, downloads) retry on connection errors, timeouts (per read, or
the whole-request deadline), a connection dropped by the server, 408, 429 and 5xx, honouring
`Retry-After`, with exponential backoff and jitter, for a bounded number of attempts; then
the last error is raised (a network failure as `NetworkError`, saying how many attempts were
made). One executor (`stamina`, configured by `RetryPolicy`) runs every retry.

Enqueue is not idempotent (the queue has no idempotency key: a blind retry can pay twice).
It is sent again only after a refusal that proves nothing was accepted
(`enqueue_is_retryable`). Any other failure that `may_have_been_accepted` leaves the outcome
unknown: the client raises `EnqueueUnconfirmed` and the caller reconciles against the queue.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import (
    APIError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
)

__all__ = [
    "RetryPolicy",
    "enqueue_is_retryable",
    "idempotent_is_retryable",
    "may_have_been_accepted",
]


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

    def retrying(self, retryable: Callable[[BaseException], bool]) -> Any:
        """The one retry executor: a `stamina` retry context that retries what `retryable`
        accepts, waiting `Retry-After` when the error carries one. Use as
        `async for attempt in policy.retrying(pred): with attempt: ...` (or plain `for`)."""
        import stamina

        def hook(exc: Exception) -> bool | float:
            if not retryable(exc):
                return False
            return self.backoff_hint(exc) or True

        return stamina.retry_context(on=hook, attempts=self.attempts, timeout=self.timeout,
                                     wait_initial=self.wait_initial, wait_max=self.wait_max,
                                     wait_jitter=self.wait_jitter)

    def backoff(self, attempt: int, exc: BaseException | None = None) -> float:
        """The wait after failed attempt number `attempt` (1-based): `Retry-After` when the
        server gave one, else exponential with jitter, capped at `wait_max`."""
        hint = self.backoff_hint(exc) if exc is not None else None
        if hint:
            return hint
        base = min(self.wait_max, self.wait_initial * 2.0 ** (attempt - 1))
        return min(self.wait_max, base + random.uniform(0, self.wait_jitter))


# Failures that say nothing about the request itself: worth another try. Not retried:
# `UnsupportedProtocol` (a URL that is not http/https) and `LocalProtocolError` (our bug).
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError,
              httpx.ProxyError)


def idempotent_is_retryable(exc: BaseException) -> bool:
    """Whether a GET/DELETE/download may be tried again after `exc`."""
    if isinstance(exc, (*_TRANSIENT, MalformedResponseError)):
        return True
    if isinstance(exc, RateLimitError | ServerError):
        return True
    return isinstance(exc, APIError) and exc.status_code == 408


def enqueue_is_retryable(exc: BaseException) -> bool:
    """Whether an enqueue may be sent again blindly: only when it cannot have been accepted.

    A refused or timed-out connection never reached the server, nor did a request that waited
    for a pooled connection; 429 and a 503 that says when to come back are refusals. Anything
    else (reset mid-request, read timeout, 500/502) may have been accepted and must be
    reconciled against the active list first.
    """
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True
    if isinstance(exc, RateLimitError):
        return True
    return isinstance(exc, ServerError) and exc.status_code == 503 and exc.retry_after is not None


def may_have_been_accepted(exc: BaseException) -> bool:
    """Whether a failed enqueue may still have created generations (then: reconcile).

    Not for a definite refusal (4xx other than 408) nor for what `enqueue_is_retryable`
    already covers.
    """
    if enqueue_is_retryable(exc):
        return False
    if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        return False  # never left this machine
    if isinstance(exc, httpx.TransportError | MalformedResponseError):
        return True
    return isinstance(exc, APIError) and (exc.status_code >= 500 or exc.status_code == 408)
