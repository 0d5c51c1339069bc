"""Previews of media values for the front end: the `preview` message and its answer.

The front end asks once per value it shows (`{"type": "preview", "value": v}`); the kernel
answers with what `previews.preview` finds, and a JPEG thumbnail in the message's buffer.
A local file is read from disk; a URL the ledger knows as an upload, from the file it came
from; any other URL is fetched through the client (the key goes only to the API's origin).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._contract.media_formats import MAX_INPUT_BYTES
from .._contract.request import is_local_path
from .._transport.loop import LoopThread
from ..errors import SeedanceError
from .previews import preview

if TYPE_CHECKING:
    from .._wiring import Wiring

__all__ = ["MediaPreviews"]

# A reference video may be larger than an image; a preview reads no more than this.
MAX_PREVIEW_BYTES = 64 * 2**20

Send = Callable[..., None]


class MediaPreviews:
    """Answers `preview` messages (see the module doc)."""

    def __init__(self, wiring: Wiring, loop: LoopThread, send: Send):
        self._wiring = wiring
        self._loop = loop
        self._send = send

    def handle(self, content: dict[str, Any]) -> bool:
        """Start answering a preview message; False when `content` is not one."""
        if content.get("type") != "preview":
            return False
        value = content.get("value")
        if isinstance(value, str) and 0 < len(value) <= 4000:
            self._loop.spawn(self._answer(value), lambda exc: self._fail(value, exc))
        return True

    async def _answer(self, value: str) -> None:
        try:
            data, name = await self._bytes(value)
            info, thumbnail = await asyncio.to_thread(preview, data, name)
        except (SeedanceError, ValueError, OSError) as exc:
            self._fail(value, exc)
            return
        self._send({"type": "preview", "value": value, **info,
                    "mime": "image/jpeg" if thumbnail else None},
                   buffers=[thumbnail] if thumbnail else None)

    def _fail(self, value: str, exc: BaseException) -> None:
        self._send({"type": "preview", "value": value, "error": str(exc) or type(exc).__name__})

    async def _bytes(self, value: str) -> tuple[bytes, str]:
        if is_local_path(value):
            return await asyncio.to_thread(_read, Path(value).expanduser()), value
        controller = self._wiring.controller
        known = controller.ledger.upload_of(controller.namespace, value)
        if known is not None and Path(known["local_path"]).is_file():
            return await asyncio.to_thread(_read, Path(known["local_path"])), known["local_path"]
        data = await self._wiring.client.fetch_media(value, MAX_PREVIEW_BYTES)
        return data, value.split("?", 1)[0].rsplit("/", 1)[-1]


def _read(path: Path) -> bytes:
    if path.stat().st_size > max(MAX_INPUT_BYTES, MAX_PREVIEW_BYTES):
        raise ValueError(f"{path.name} is too large to preview")
    return path.read_bytes()
