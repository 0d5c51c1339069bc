"""The only way the key reaches the wire: an `httpx.Auth` for the API's own origin.

It sets the header on the outgoing request itself, so no plain dict anywhere in the call
chain holds the key (a traceback formatted with its frames' locals shows nothing), and it
leaves requests to any other origin (a presigned result URL) without it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from .settings import Settings

__all__ = ["BearerAuth"]


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <key>` on requests to the API's origin only; shows no key."""

    def __init__(self, settings: Settings):
        self._settings = settings

    def __repr__(self) -> str:
        return "BearerAuth(****)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = self._settings.api_key
        if key is not None and self._settings.is_same_origin(str(request.url)):
            request.headers["Authorization"] = "Bearer " + key.reveal()
        yield request
