"""Streaming a result file to disk: resumable, size-checked, never a partial file in place."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from ..contract.errors import DownloadError
from .responses import error_from

__all__ = ["stream_to_file"]


async def stream_to_file(http: httpx.AsyncClient, url: str, dest: Path,
                         headers: dict[str, str]) -> Path:
    """Download `url` into `dest`, resuming a `.part` file left by an interrupted attempt.

    The `.part` file is renamed onto `dest` only when its size equals the advertised total;
    a short transfer raises `DownloadError` (retryable: the next attempt resumes). A resume
    the server answers from the wrong offset, or a file larger than announced, starts over.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request_headers = {**headers, "Accept-Encoding": "identity"}
    if have:
        request_headers["Range"] = f"bytes={have}-"
    async with http.stream("GET", url, headers=request_headers) as response:
        if response.status_code == 416 and have:
            part.unlink()
            raise DownloadError("the partial file no longer matches the result; restarting")
        if not response.is_success:
            await response.aread()
            raise error_from(response)
        resumed = response.status_code == 206 and have > 0
        if resumed and _range_start(response) != have:
            part.unlink()
            raise DownloadError("the server resumed from the wrong offset; restarting")
        total = _expected_total(response, have if resumed else 0)
        with open(part, "ab" if resumed else "wb") as out:
            # As it arrives (no big buffer): whatever came before a cut is kept for the resume.
            async for chunk in response.aiter_bytes():
                out.write(chunk)
    size = part.stat().st_size
    if total is not None and size > total:
        part.unlink()
        raise DownloadError(f"got {size} bytes where {total} were announced; restarting")
    if total is not None and size != total:
        raise DownloadError(f"download stopped at {size} of {total} bytes")
    if size == 0:
        part.unlink()
        raise DownloadError("the result is empty")
    os.replace(part, dest)
    return dest


def _range_start(response: httpx.Response) -> int | None:
    """The first byte of a 206 answer, from `Content-Range: bytes START-END/TOTAL`."""
    unit, _, spec = response.headers.get("content-range", "").partition(" ")
    start = spec.split("-", 1)[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _expected_total(response: httpx.Response, offset: int) -> int | None:
    content_range = response.headers.get("content-range", "")
    total = content_range.rsplit("/", 1)[1] if "/" in content_range else ""
    if total.isdigit():
        return int(total)
    length = response.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None
