"""The kernel side of files dropped or picked in the browser, sent in chunks.

Tornado refuses a websocket message over ~10 MB (ipywidgets#2522), so the front end sends a
file as `upload_start`, then `upload_chunk` messages of at most `MAX_CHUNK_BYTES` each (the
bytes in the message's one buffer), each sent after the kernel acknowledged the one before
(`upload_ack`). Once every announced byte is in, the file is checked (its magic bytes must
show a format its field allows; at most 30 MB) and kept under `<ledger folder>/inputs/` by
its checksum; `upload_done` names that path, which becomes the field's value. Anything wrong
ends the upload with `upload_error`. The protocol is in docs/widget-protocol.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .._contract.media_formats import (
    EXTENSIONS,
    MAX_INPUT_BYTES,
    SNIFF_BYTES,
    allowed_text,
    medium_of,
    sniff,
)
from .._contract.schema import ModelSpec
from ..errors import InvalidRequestError, SeedanceError

__all__ = ["MAX_CHUNK_BYTES", "FileDrops"]

MAX_CHUNK_BYTES = 4 * 2**20  # the front end sends 1 MiB; well under Tornado's 10 MB
MAX_OPEN_UPLOADS = 8


@dataclass
class _Incoming:
    field_name: str
    name: str
    size: int
    part: Path
    handle: IO[bytes]
    received: int = 0
    head: bytes = b""
    digest: Any = field(default_factory=hashlib.sha256)


class FileDrops:
    """Receives chunked files for the media fields of the current model.

    `spec()` gives the current model's spec, `send(content)` answers the front end, and
    `accept(field, path)` puts a finished file into the form (raising `SeedanceError` or
    `ValueError` when the form refuses it, e.g. one reference too many).
    """

    def __init__(self, folder: Path, spec: Callable[[], ModelSpec],
                 send: Callable[[dict[str, Any]], None],
                 accept: Callable[[str, str], None]):
        self.folder = folder
        self._spec = spec
        self._send = send
        self._accept = accept
        self._open: dict[str, _Incoming] = {}

    def handle(self, content: dict[str, Any], buffers: list[bytes]) -> bool:
        """Act on an upload message; False when `content` is not one."""
        kind = content.get("type")
        if kind not in ("upload_start", "upload_chunk", "upload_cancel"):
            return False
        upload_id = content.get("upload_id")
        if not isinstance(upload_id, str) or not upload_id or len(upload_id) > 100:
            return True
        try:
            if kind == "upload_start":
                self._start(upload_id, content)
            elif kind == "upload_chunk":
                self._chunk(upload_id, content, buffers)
            else:
                self._close(upload_id)
        except (SeedanceError, ValueError, OSError) as exc:
            self._close(upload_id)
            self._send({"type": "upload_error", "upload_id": upload_id, "error": str(exc)})
        return True

    def close(self) -> None:
        for upload_id in list(self._open):
            self._close(upload_id)

    def _start(self, upload_id: str, content: dict[str, Any]) -> None:
        name, size, field_name = content.get("name"), content.get("size"), content.get("field")
        fs = self._spec().field(str(field_name))
        if fs is None or fs.media is None:
            raise InvalidRequestError("field", field_name, "a media field of the current model")
        medium = fs.media
        allowed = f"a {allowed_text(medium)} file of at most {MAX_INPUT_BYTES // 1_000_000} MB"
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise InvalidRequestError(fs.name, name, allowed, reason="is empty")
        if size > MAX_INPUT_BYTES:
            raise InvalidRequestError(fs.name, name, allowed,
                                      reason=f"is {size / 1_000_000:.1f} MB")
        if upload_id in self._open or len(self._open) >= MAX_OPEN_UPLOADS:
            raise ValueError("too many uploads at once; wait for one to finish")
        self.folder.mkdir(parents=True, exist_ok=True)
        part = self.folder / f".upload-{uuid.uuid4().hex}.part"
        self._open[upload_id] = _Incoming(fs.name, str(name or "file")[:200], size, part,
                                          part.open("wb"))
        self._send({"type": "upload_ack", "upload_id": upload_id, "received": 0})

    def _chunk(self, upload_id: str, content: dict[str, Any], buffers: list[bytes]) -> None:
        incoming = self._open.get(upload_id)
        if incoming is None:
            raise ValueError("this upload was not started, or has ended")
        data = bytes(buffers[0]) if len(buffers) == 1 else b""
        if content.get("offset") != incoming.received or not data \
                or len(data) > MAX_CHUNK_BYTES or incoming.received + len(data) > incoming.size:
            raise ValueError(f"{incoming.name}: a chunk out of order or size; send it again")
        incoming.handle.write(data)
        incoming.digest.update(data)
        if len(incoming.head) < SNIFF_BYTES:
            incoming.head += data[:SNIFF_BYTES - len(incoming.head)]
        incoming.received += len(data)
        if incoming.received < incoming.size:
            self._send({"type": "upload_ack", "upload_id": upload_id,
                        "received": incoming.received})
            return
        self._finish(upload_id, incoming)

    def _finish(self, upload_id: str, incoming: _Incoming) -> None:
        incoming.handle.close()
        fs = self._spec().field(incoming.field_name)
        fmt = sniff(incoming.head)
        if fs is None or medium_of(fmt) != fs.media:
            shown = f"{'an' if fmt[0] in 'AEIMO' else 'a'} {fmt} file" if fmt \
            else "not a format its bytes show"
            raise InvalidRequestError(incoming.field_name, incoming.name,
                                      f"a {allowed_text(fs.media if fs else None)} file",
                                      reason=f"is {shown}")
        assert fmt is not None
        target = self.folder / f"{incoming.digest.hexdigest()}.{EXTENSIONS[fmt]}"
        incoming.part.replace(target)
        del self._open[upload_id]
        self._accept(incoming.field_name, str(target))
        self._send({"type": "upload_done", "upload_id": upload_id, "field": incoming.field_name,
                    "name": incoming.name, "path": str(target)})

    def _close(self, upload_id: str) -> None:
        incoming = self._open.pop(upload_id, None)
        if incoming is None:
            return
        incoming.handle.close()
        with contextlib.suppress(OSError):
            incoming.part.unlink()
