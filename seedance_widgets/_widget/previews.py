"""What a media control shows of its value: a thumbnail (image), a poster frame and length
(video) or a length (audio), made in the kernel from a local file or the URL's bytes.

The browser never fetches an input itself: a URL on the API's own origin needs the key,
which stays in the kernel.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .._contract.media_formats import medium_of, sniff

__all__ = ["THUMBNAIL_PIXELS", "preview"]

THUMBNAIL_PIXELS = 320


def preview(data: bytes, name: str) -> tuple[dict[str, Any], bytes | None]:
    """(what to show, a JPEG thumbnail or None) for a file's bytes. Raises `ValueError`
    when the bytes are no medium the studio takes, or cannot be decoded."""
    fmt = sniff(data[:16])
    medium = medium_of(fmt)
    if medium is None:
        raise ValueError(f"{name} is not a JPEG, PNG, WebP, MP4, MOV, WAV, MP3 or M4A file")
    info: dict[str, Any] = {"name": Path(name).name or name, "size": len(data),
                            "format": fmt, "medium": medium}
    if medium == "image":
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            info["width"], info["height"] = image.size
            return info, _jpeg(image)
    import av

    try:
        with av.open(io.BytesIO(data), "r") as container:
            if container.duration is not None:
                info["seconds"] = round(container.duration / av.time_base, 2)
            if medium == "audio":
                return info, None
            frame = next(container.decode(video=0))
            info["width"], info["height"] = frame.width, frame.height
            return info, _jpeg(frame.to_image())
    except (av.FFmpegError, StopIteration) as exc:
        raise ValueError(f"{name} could not be decoded as {medium}") from exc


def _jpeg(image: Any) -> bytes:
    thumb = image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue()
