"""A small hostile HTTP server on loopback: it trickles, swells and never ends a line.

Raw asyncio streams, so nothing on the server side smooths what the client receives.
`python tests/hostile_server.py` serves until killed and prints its port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading

TRICKLE_BYTES = 2000
HUGE_BYTES = 200 * 2**20
ENDLESS_LINE_BYTES = 300 * 2**20
_CHUNK = 2**20


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        request_line = (await reader.readline()).decode("latin-1")
        headers: list[str] = []
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            header = line.decode("latin-1").strip()
            headers.append(header)
            if header.lower().startswith("content-length:"):
                length = int(header.split(":", 1)[1])
        if length:
            await reader.readexactly(length)
        path = request_line.split(" ")[1] if " " in request_line else ""
        method = request_line.split(" ")[0]
        if path.startswith("/echo/"):
            await _echo(writer, method, path, headers)
        elif path.endswith("/ai/queue/trickle"):
            await _trickle(writer)
        elif path.endswith("/ai/queue/huge-declared"):
            writer.write(_head("application/json", f"Content-Length: {HUGE_BYTES}"))
            await _stream(writer, b"[" * HUGE_BYTES, chunked=False)
        elif path.endswith("/ai/queue/huge"):
            writer.write(_head("application/json", "Transfer-Encoding: chunked"))
            await _stream(writer, b"[", chunked=True, total=HUGE_BYTES)
        elif path.endswith("/events"):
            writer.write(_head("text/event-stream", "Transfer-Encoding: chunked"))
            writer.write(_chunk(b"event: media_generation_completed\ndata: "))
            await _stream(writer, b"x", chunked=True, total=ENDLESS_LINE_BYTES)
        else:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass  # the client gave up, as it should
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _echo(writer: asyncio.StreamWriter, method: str, path: str,
                headers: list[str]) -> None:
    """A careless service under `/echo/api`: it quotes the request's headers back in every
    error (in an error body, and as a failed generation's `error_message`)."""
    quoted = "; ".join(headers)
    if method == "POST" and path.endswith("/ai/queue"):
        body: dict[str, object] = {"generations": [{"generation_id": "echo-1",
                                                    "status": "queued"}]}
        status = "200 OK"
    elif method == "GET" and path.endswith("/ai/queue/echo-1"):
        body = {"generation_id": "echo-1", "status": "failed", "result_url": None,
                "error_message": f"render failed for request with headers: {quoted}"}
        status = "200 OK"
    else:
        body = {"error": {"type": "unknown_error", "title": "Internal Server Error",
                          "detail": f"could not serve {path}; headers were: {quoted}"},
                "status": "error", "status_message": "unknown_error"}
        status = "500 Internal Server Error"
    data = json.dumps(body).encode()
    writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)


def _head(content_type: str, framing: str) -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{framing}\r\n"
            "Connection: close\r\n\r\n").encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _trickle(writer: asyncio.StreamWriter) -> None:
    """A JSON record sent one byte every half second."""
    writer.write(_head("application/json", f"Content-Length: {TRICKLE_BYTES}"))
    for _ in range(TRICKLE_BYTES):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.5)


async def _stream(writer: asyncio.StreamWriter, unit: bytes, *, chunked: bool,
                  total: int | None = None) -> None:
    size = total if total is not None else len(unit)
    block = (unit * _CHUNK)[:_CHUNK] if total is not None else None
    sent = 0
    while sent < size:
        piece = block[: size - sent] if block is not None else unit[sent:sent + _CHUNK]
        writer.write(_chunk(piece) if chunked else piece)
        await writer.drain()
        sent += len(piece)
    if chunked:
        writer.write(b"0\r\n\r\n")


class HostileServer:
    """Serves the routes above on 127.0.0.1 from a daemon thread; `base_url` ends in /api."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def echo_url(self) -> str:
        """The base URL of the careless service that quotes request headers in its errors."""
        return f"http://127.0.0.1:{self.port}/echo/api"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(_handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()


if __name__ == "__main__":
    with HostileServer() as hostile:
        print(hostile.port, flush=True)
        sys.stdin.read()
