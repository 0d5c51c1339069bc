"""Turning an httpx response that failed into the contract's typed error."""

from __future__ import annotations

from typing import Any

import httpx

from ..contract.errors import APIError, api_error_from_response

__all__ = ["error_from"]


def error_from(response: httpx.Response) -> APIError:
    """The typed error for a non-2xx response (its body must already be read)."""
    return api_error_from_response(response.status_code, _json_or_none(response),
                                   response.headers)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
