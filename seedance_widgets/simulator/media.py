"""A job's input media: fetched from their URLs and checked, as the service does at run time.

A URL of one of the simulator's own repository files is read directly; any other http(s) URL
is fetched with a short timeout. Anything wrong (a URL that cannot be fetched, a file that is
not the image, video or audio its field asks for, too large a file) raises `MediaError`,
whose message becomes the job's `error_message`.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
from PIL import Image, UnidentifiedImageError

from seedance_widgets._contract.schema import FieldSpec, ModelSpec

__all__ = ["FORMATS", "MAX_BYTES", "InputMedia", "MediaError", "OwnFile", "Reference",
           "gather_media"]

# What the pages accept: images JPEG, PNG, WebP (Pillow's names); videos MP4, MOV; audio MP3,
# WAV (FFmpeg's demuxer names).
FORMATS = {"image": ("JPEG", "PNG", "WEBP"), "video": ("mov", "mp4"), "audio": ("mp3", "wav")}
MAX_BYTES = {"image": 30 * 2**20, "video": 50 * 2**20, "audio": 15 * 2**20}
FIRST_FRAME, LAST_FRAME = "input_image", "tail_image_url"

# A URL -> the file it names in the simulator's own repositories, or None when the URL is not
# one of theirs; FileNotFoundError when it is, but names no file.
OwnFile = Callable[[str], Path | None]


class MediaError(Exception):
    """An input the job cannot use; the message names the field and the URL."""


@dataclass(frozen=True)
class Reference:
    """One reference input: its name in the prompt (`@Image1`) and a picture of it (an image,
    a video's first frame; None for audio)."""

    label: str
    picture: Image.Image | None


@dataclass(frozen=True)
class InputMedia:
    """What a job's media fields hold, fetched and decoded."""

    first: Image.Image | None = None
    last: Image.Image | None = None
    references: tuple[Reference, ...] = ()

    @property
    def source_size(self) -> tuple[int, int] | None:
        """The size of the picture an `adaptive` aspect ratio follows: the first frame, else
        the first reference picture."""
        pictures = [self.first, *(r.picture for r in self.references)]
        return next((p.size for p in pictures if p is not None), None)


async def gather_media(spec: ModelSpec, params: Mapping[str, Any], *, own_file: OwnFile,
                       timeout: float) -> InputMedia:
    """Fetch and check every media URL in `params` (validated against `spec`) at once."""
    listed = [(f, url) for f in spec.reference_fields for url in params.get(f.name, ())]
    if not listed and not any(params.get(name) for name in (FIRST_FRAME, LAST_FRAME)):
        return InputMedia()
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True,
                                 trust_env=False) as http:
        async def load(fs: FieldSpec, url: str) -> Image.Image | None:
            data = await _fetch(http, fs, url, own_file)
            return await asyncio.to_thread(_decode, fs, url, data)

        async def frame(name: str) -> Image.Image | None:
            fs, url = spec.field(name), params.get(name)
            return await load(fs, url) if fs is not None and url else None

        first, last, *pictures = await asyncio.gather(
            frame(FIRST_FRAME), frame(LAST_FRAME), *(load(fs, url) for fs, url in listed))
    counts: dict[str, int] = {}
    references = []
    for (fs, _), picture in zip(listed, pictures, strict=True):
        medium = str(fs.media)
        counts[medium] = counts.get(medium, 0) + 1
        references.append(Reference(f"@{medium.title()}{counts[medium]}", picture))
    return InputMedia(first, last, tuple(references))


async def _fetch(http: httpx.AsyncClient, fs: FieldSpec, url: str, own_file: OwnFile) -> bytes:
    limit = MAX_BYTES[str(fs.media)]
    try:
        own = own_file(url)
    except FileNotFoundError:
        raise MediaError(f"{fs.name}: could not fetch {url} (HTTP 404)") from None
    if own is not None:
        if own.stat().st_size > limit:
            raise MediaError(f"{fs.name}: {url} is larger than {limit // 2**20} MB")
        return await asyncio.to_thread(own.read_bytes)
    try:
        async with http.stream("GET", url) as response:
            if response.status_code != 200:
                raise MediaError(f"{fs.name}: could not fetch {url} "
                                 f"(HTTP {response.status_code})")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise MediaError(f"{fs.name}: {url} is larger than {limit // 2**20} MB")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise MediaError(f"{fs.name}: could not fetch {url} ({type(exc).__name__})") from None


def _decode(fs: FieldSpec, url: str, data: bytes) -> Image.Image | None:
    """The picture of a fetched input (None for audio), or `MediaError` if it is not the
    medium its field asks for."""
    if fs.media == "image":
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError):
            raise MediaError(f"{fs.name}: {url} is not an image") from None
        if image.format not in FORMATS["image"]:
            raise MediaError(f"{fs.name}: {url} is a {image.format} image; "
                             "allowed: JPEG, PNG, WebP")
        return image.convert("RGB")
    medium = "a video (MP4, MOV)" if fs.media == "video" else "audio (MP3, WAV)"
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not set(container.format.name.split(",")) & set(FORMATS[str(fs.media)]):
                raise MediaError(f"{fs.name}: {url} is not {medium}")
            if fs.media == "video":
                first: Image.Image = next(container.decode(video=0)).to_image()
                return first
            next(container.decode(audio=0))
            return None
    except (av.FFmpegError, StopIteration, IndexError):
        raise MediaError(f"{fs.name}: {url} is not {medium}") from None
