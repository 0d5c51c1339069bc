"""What an input medium may be: its formats, told by their magic bytes, and the size limit.

The pages accept JPEG, PNG or WebP images, MP4 or MOV videos and WAV, MP3 or M4A audio, at
most 30 MB each. Eight signatures are all it takes to tell them apart (a general file-type
library would call an M4A an MP4, and a QuickTime file either), so they are written here.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

from .schema import Media

__all__ = ["ALLOWED", "EXTENSIONS", "MAX_INPUT_BYTES", "MIME_TYPES", "SNIFF_BYTES",
           "allowed_text", "medium_of", "medium_of_name", "sniff"]

MAX_INPUT_BYTES = 30 * 1000 * 1000  # "Max 30 MB"
SNIFF_BYTES = 16  # enough of a file's head for every signature below

ALLOWED: dict[Media, tuple[str, ...]] = {
    "image": ("JPEG", "PNG", "WebP"),
    "video": ("MP4", "MOV"),
    "audio": ("WAV", "MP3", "M4A"),
}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WebP": "webp", "MP4": "mp4", "MOV": "mov",
              "WAV": "wav", "MP3": "mp3", "M4A": "m4a"}
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WebP": "image/webp",
              "MP4": "video/mp4", "MOV": "video/quicktime", "WAV": "audio/wav",
              "MP3": "audio/mpeg", "M4A": "audio/mp4"}
_NAME_SUFFIXES = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WebP", "mp4": "MP4",
                  "mov": "MOV", "wav": "WAV", "mp3": "MP3", "m4a": "M4A"}
# Old QuickTime files start with an atom other than `ftyp`.
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff(head: bytes) -> str | None:
    """The format a file's first bytes show (one of `EXTENSIONS`, or GIF, which no field
    takes but an error message should name), or None."""
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "MOV"
        return "M4A" if brand in (b"M4A ", b"M4B ") else "MP4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "MOV"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF
                                   and head[1] & 0xE0 == 0xE0 and head[1] & 0x06):
        return "MP3"  # an ID3 tag, or an MPEG audio frame's sync word with a layer
    return None


def medium_of(fmt: str | None) -> Media | None:
    """The medium a format belongs to."""
    return next((m for m, formats in ALLOWED.items() if fmt in formats), None)


def medium_of_name(name: str) -> Media | None:
    """The medium a file name or URL's path ends in (`.png`: image), or None."""
    suffix = PurePosixPath(urlsplit(name).path).suffix.lower().lstrip(".")
    return medium_of(_NAME_SUFFIXES.get(suffix))


def allowed_text(medium: Media | None) -> str:
    """`JPEG, PNG or WebP`, for error messages."""
    formats = ALLOWED.get(medium, ()) if medium is not None else ()
    return " or ".join(", ".join(formats).rsplit(", ", 1)) if formats else "a media file"
