"""Turning an httpx response that failed into the contract's typed error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from ..contract.errors import APIError, api_error_from_response

__all__ = ["error_from", "json_or_none"]


def error_from(response: httpx.Response, scrub: Callable[[Any], Any],
               body: bytes | None = None) -> APIError:
    """The typed error for a non-2xx response, from `body` (default: the response's, which
    must already be read); `scrub` cleans the key out of whatever the server echoed."""
    raw = response.content if body is None else body
    return api_error_from_response(response.status_code, scrub(json_or_none(raw)),
                                   response.headers)


def json_or_none(raw: bytes) -> Any:
    """The JSON value of `raw`, or None when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return None
