"""Proof that a downloaded file is a whole video: its boxes fill the file, and it plays.

A transfer cut short without a `Content-Length` (the server just closes) looks complete to
HTTP. An MP4 or MOV is a sequence of boxes, each starting with its size, so a cut file ends
inside a box; PyAV then confirms a video stream with a duration. Nothing is decoded.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["video_problem"]

_HEADER = struct.Struct(">I4s")
_LARGE = struct.Struct(">Q")


def video_problem(path: Path) -> str | None:
    """Why `path` is not a whole MP4/MOV video, or None when it is."""
    problem = _box_problem(path)
    if problem is not None:
        return problem
    return _stream_problem(path)


def _box_problem(path: Path) -> str | None:
    size = path.stat().st_size
    offset = 0
    kinds: set[bytes] = set()
    with open(path, "rb") as handle:
        while offset < size:
            handle.seek(offset)
            header = handle.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return f"the file ends inside a box header at byte {offset:,} of {size:,}"
            length, kind = _HEADER.unpack(header)
            if length == 1:
                large = handle.read(_LARGE.size)
                if len(large) < _LARGE.size:
                    return f"the file ends inside a box header at byte {offset:,}"
                length = _LARGE.unpack(large)[0]
            elif length == 0:  # the last box runs to the end of the file
                length = size - offset
            if length < _HEADER.size:
                return f"a box at byte {offset:,} has an impossible size ({length})"
            kinds.add(kind)
            offset += length
    if offset != size:
        return f"the last box needs {offset - size:,} more bytes: the file was cut short"
    if b"moov" not in kinds:
        return "no movie header (moov box): not a whole MP4/MOV file"
    return None


def _stream_problem(path: Path) -> str | None:
    import av

    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            if video is None:
                return "the file has no video stream"
            duration = container.duration or (
                video.duration * video.time_base if video.duration and video.time_base else 0)
            if not duration or duration <= 0:
                return "the video has no duration"
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        return f"the file does not open as a video ({type(exc).__name__})"
    return None
