"""Streaming a result file to disk: resumable, proven whole, never a partial file in place.

Two processes fetching the same result (two kernels on one folder) take turns on a lock
named after it (in the temporary folder, so the videos folder holds only videos); the second
finds the first one's whole file and is done.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from filelock import AsyncFileLock

from ..errors import DownloadError
from .responses import error_from
from .video_check import video_problem

__all__ = ["stream_to_file"]


async def stream_to_file(http: httpx.AsyncClient, url: str, dest: Path,
                         scrub: Callable[[Any], Any]) -> Path:
    """Download `url` into `dest`, resuming a `.part` file left by an interrupted attempt.

    The `.part` file becomes `dest` only when its size equals the advertised total (when
    there is one) and it is a whole video (`video_problem`); otherwise `DownloadError`, which
    is retryable: the next attempt resumes a short file, or starts over a bad one. `scrub`
    cleans the key out of an error body the server sends instead.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncFileLock(_lock_path(dest)):
        if dest.is_file() and video_problem(dest) is None:
            return dest  # another process fetched it meanwhile
        part = dest.with_name(dest.name + ".part")
        await _fetch(http, url, part, scrub)
        problem = video_problem(part)
        if problem is not None:
            part.unlink()
            raise DownloadError(f"the download is not a whole video ({problem}); starting over")
        os.replace(part, dest)
    return dest


def _lock_path(dest: Path) -> Path:
    folder = Path(tempfile.gettempdir(), "seedance-widgets-locks")
    folder.mkdir(exist_ok=True)
    name = hashlib.sha256(str(dest.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return folder / f"{name[:32]}.lock"


async def _fetch(http: httpx.AsyncClient, url: str, part: Path,
                 scrub: Callable[[Any], Any]) -> None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    async with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 416 and have:
            part.unlink()
            raise DownloadError("the partial file no longer matches the result; restarting")
        if not response.is_success:
            raise error_from(response, scrub, scrub(await response.aread()))
        resumed = response.status_code == 206 and have > 0
        if resumed and _range_start(response) != have:
            part.unlink()
            raise DownloadError("the server resumed from the wrong offset; restarting")
        total = _expected_total(response, have if resumed else 0)
        try:
            with open(part, "ab" if resumed else "wb") as out:
                # As it arrives (no big buffer): what came before a cut is kept for the resume.
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
        except OSError as exc:
            raise DownloadError(f"could not write {part.parent} ({exc.strerror or exc}): free "
                                "some disk space, then run `seedance resume` (the generation "
                                "is paid; it is fetched again, not generated again)") from None
    size = part.stat().st_size
    if total is not None and size > total:
        part.unlink()
        raise DownloadError(f"got {size} bytes where {total} were announced; restarting")
    if total is not None and size != total:
        raise DownloadError(f"download stopped at {size} of {total} bytes")
    if size == 0:
        part.unlink()
        raise DownloadError("the result is empty")


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
