"""Turning an httpx response that failed into the contract's typed error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from ..errors import APIError, api_error_from_response

__all__ = ["error_from", "json_or_none"]


def error_from(response: httpx.Response, scrub: Callable[[Any], Any],
               body: bytes) -> APIError:
    """The typed error for a non-2xx response with `body` (already scrubbed of the key);
    `scrub` also cleans what its JSON decodes to (an escaped echo of the key)."""
    return api_error_from_response(response.status_code, scrub(json_or_none(body)),
                                   response.headers)


def json_or_none(raw: bytes) -> Any:
    """The JSON value of `raw`, or None when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return None
