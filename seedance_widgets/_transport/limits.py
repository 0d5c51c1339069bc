"""Bounds on what a server may make the client hold: JSON bodies, event-stream lines and events.

A broken or hostile server must not be able to swell the process (a 200 MB record, a line
that never ends) any more than hang it (the whole-request deadline lives in the client).
Each bound fails with a `ProtocolError` saying which limit was passed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from ..errors import MalformedResponseError, ProtocolError

__all__ = ["MAX_EVENT_BYTES", "MAX_JSON_BYTES", "guard_event_stream", "read_capped"]

MAX_JSON_BYTES = 16 * 2**20
MAX_EVENT_BYTES = 2**20


async def read_capped(response: httpx.Response, limit: int, what: str) -> bytes:
    """The whole (decoded) body of a streamed `response`, refused past `limit` bytes (as a
    malformed answer: for an enqueue, one that may hide an accepted job)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise MalformedResponseError(f"{what}: the answer announces {int(declared):,} bytes, "
                                     f"more than the {limit:,} allowed")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            body.clear()  # what a traceback's locals would show is not the server's text
            raise MalformedResponseError(f"{what}: the answer is larger than the {limit:,} "
                                         "bytes allowed")
    return bytes(body)


def guard_event_stream(response: httpx.Response, limit: int = MAX_EVENT_BYTES) -> None:
    """Make `response` fail once one line, or one event, of its event stream passes `limit`.

    The stream must arrive uncompressed (the client asks for `identity`): the bound is
    checked on the bytes as they come, before any decoder can buffer them.
    """
    if response.headers.get("content-encoding", "identity") != "identity":
        raise ProtocolError("the event stream arrived compressed; it is read only as sent")
    if not isinstance(response.stream, httpx.AsyncByteStream):
        raise TypeError("the event stream is read by an async client")
    response.stream = _BoundedEvents(response.stream, limit)


class _BoundedEvents(httpx.AsyncByteStream):
    """Passes bytes through, counting those since the last line end and the last event end."""

    def __init__(self, inner: httpx.AsyncByteStream, limit: int):
        self._inner = inner
        self._limit = limit
        self._line = 0
        self._event = 0
        self._previous = b""  # the last byte seen, to find a blank line across chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._count(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()

    def _count(self, chunk: bytes) -> None:
        cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        self._line = len(chunk) - cut - 1 if cut >= 0 else self._line + len(chunk)
        text = (self._previous + chunk).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        blank = text.rfind(b"\n\n")
        self._event = len(text) - blank - 2 if blank >= 0 else self._event + len(chunk)
        self._previous = chunk[-1:]
        if self._line > self._limit:
            raise ProtocolError(f"the event stream sent a line longer than {self._limit:,} "
                                "bytes; reconnecting")
        if self._event > self._limit:
            raise ProtocolError(f"the event stream sent an event larger than {self._limit:,} "
                                "bytes; reconnecting")
