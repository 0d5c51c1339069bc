"""Poster frames: a small JPEG of a video's first frame, made in the kernel (PyAV, Pillow).

The live widget shows a take's poster at once and fetches its video only when it is played;
the static snapshot embeds the same frames as data URLs. `PosterCache` makes each poster
once, off the event loop, and keeps a bounded number of them in memory.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from pathlib import Path

__all__ = ["POSTER_BOX", "PosterCache", "poster_jpeg"]

log = logging.getLogger(__name__)

# Fits the card's player and a gallery cell (CSS scales it down), ~5-15 KB a frame.
POSTER_BOX = 320


def poster_jpeg(path: Path, box: int = POSTER_BOX, quality: int = 70) -> bytes | None:
    """The video's first frame as a JPEG fitting `box`×`box`, or None if it can't be read."""
    try:
        import av

        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            image = frame.to_image()
    except Exception as exc:  # a broken or missing file must not break the notebook
        log.debug("no poster for %s: %s", path, exc)
        return None
    image.thumbnail((box, box))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


class PosterCache:
    """Posters by video path: made once in a worker thread, at most `capacity` kept."""

    def __init__(self, capacity: int = 2000):
        self.capacity = capacity
        self._posters: OrderedDict[Path, bytes] = OrderedDict()
        self._making: dict[Path, asyncio.Future[bytes | None]] = {}

    def peek(self, path: Path) -> bytes | None:
        """The poster if it was made already, else None."""
        poster = self._posters.get(path)
        if poster is not None:
            self._posters.move_to_end(path)
        return poster

    async def get(self, path: Path) -> bytes | None:
        """The poster of `path`, made now (off the loop) unless it is cached or being made."""
        poster = self.peek(path)
        if poster is not None:
            return poster
        making = self._making.get(path)
        if making is None:
            making = asyncio.ensure_future(asyncio.to_thread(poster_jpeg, path))
            self._making[path] = making
            try:
                poster = await making
            finally:
                del self._making[path]
            if poster is not None:  # an unreadable video is tried again next time
                self._posters[path] = poster
                while len(self._posters) > self.capacity:
                    self._posters.popitem(last=False)
            return poster
        return await asyncio.shield(making)
