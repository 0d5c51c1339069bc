"""Render simulated clips: real H.264 (+ AAC) MP4 or MOV files that follow the request.

Every frame is a background with drifting soft blobs, under a static overlay (the prompt, a
small label, the reference thumbnails and, optionally, an "AI generated" mark). The
background is a prompt-seeded scrolling gradient or, for image-to-video, the first-frame
image letterboxed to the frame (scaled to fit whole, centred on black), cross-fading to the
end-frame image when there is one. Image-to-video clips start on the bare image (the overlay
fades in over half a second) and, with an end frame, end on the bare end image.

The overlay is drawn once with Pillow and kept as a sparse alpha layer, so composing a frame
is a few numpy operations and the encoder, not the drawing, sets the pace.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

__all__ = ["CONTAINERS", "SIZES", "frame_size", "letterbox", "reference_boxes", "render_video"]

CONTAINERS = ("mp4", "mov")  # `output_format` values, also FFmpeg's muxer names

_SIZES_720P: dict[str, tuple[int, int]] = {
    "16:9": (1280, 720),
    "4:3": (1112, 834),
    "1:1": (960, 960),
    "3:4": (834, 1112),
    "9:16": (720, 1280),
    "21:9": (1470, 630),
}


def _even(value: float) -> int:
    """`value` rounded (halves up) to the nearest even integer."""
    return int(value / 2 + 0.5) * 2


def _scaled(sizes: dict[str, tuple[int, int]], factor: float) -> dict[str, tuple[int, int]]:
    """`sizes` with both sides multiplied by `factor` and kept even."""
    return {aspect: (_even(w * factor), _even(h * factor)) for aspect, (w, h) in sizes.items()}


SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "480p": {
        "16:9": (864, 496),
        "4:3": (752, 560),
        "1:1": (640, 640),
        "3:4": (560, 752),
        "9:16": (496, 864),
        "21:9": (992, 432),
    },
    "720p": _SIZES_720P,
    "1080p": _scaled(_SIZES_720P, 1.5),
    "4k": _scaled(_SIZES_720P, 3),
}

_AUDIO_RATE = 48_000
_NOTE_SECONDS = 0.5
_PENTATONIC = (0, 2, 4, 7, 9, 12)
_BLOBS = 3
_FADE_SECONDS = 0.5  # the overlay's fade in from a bare first frame (and out to a last one)


def frame_size(resolution: str, aspect_ratio: str,
               source: tuple[int, int] | None = None) -> tuple[int, int]:
    """(width, height) for a resolution and aspect ratio. "adaptive" takes the aspect in the
    table nearest to `source` (an input picture's width and height), else 16:9."""
    aspect = aspect_ratio
    if aspect_ratio == "adaptive":
        aspect = "16:9" if source is None else _nearest_aspect(source)
    try:
        return SIZES[resolution][aspect]
    except KeyError:
        raise ValueError(f"no frame size for {resolution!r} at {aspect_ratio!r}") from None


def _nearest_aspect(size: tuple[int, int]) -> str:
    ratio = math.log(size[0] / size[1])
    return min(_SIZES_720P, key=lambda a: abs(math.log(_SIZES_720P[a][0] / _SIZES_720P[a][1])
                                              - ratio))


def letterbox(image: Image.Image, width: int, height: int) -> Image.Image:
    """`image` scaled to fit `width` x `height` whole, centred on black (RGB)."""
    return ImageOps.pad(image.convert("RGB"), (width, height), method=Image.Resampling.BICUBIC,
                        color=(0, 0, 0))


def reference_boxes(sizes: Sequence[tuple[int, int]], width: int,
                    height: int) -> list[tuple[int, int, int, int]]:
    """Where the reference thumbnails go, as (left, top, width, height): a row along the bottom
    of the frame, each a sixth of the frame high (narrower when many must fit)."""
    if not sizes:
        return []
    margin = max(4, min(width, height) // 40)
    gap = max(2, margin // 2)
    tall = max(8, height // 6)
    wide = [max(1, round(tall * w / h)) for w, h in sizes]
    room = width - 2 * margin - gap * (len(sizes) - 1)
    scale = min(1.0, room / sum(wide))
    tall = max(2, int(tall * scale))
    boxes, left = [], margin
    top = height - 2 * margin - tall
    for w in wide:
        box_width = max(2, int(w * scale))
        boxes.append((left, top, box_width, tall))
        left += box_width + gap
    return boxes


def render_video(
    path: Path,
    *,
    prompt: str,
    width: int,
    height: int,
    seconds: float,
    audio: bool,
    watermark: bool,
    label: str = "",
    fps: int = 24,
    container: str = "mp4",
    first: Image.Image | None = None,
    last: Image.Image | None = None,
    references: Sequence[tuple[str, Image.Image | None]] = (),
) -> None:
    """Write a clip for `prompt` to `path` atomically (a partial file never shows there).

    `container` is "mp4" or "mov" (QuickTime). `first` and `last` are image-to-video's
    first- and end-frame images; `references` are (label, picture) pairs shown as thumbnails
    (a None picture, audio, as a labelled tile).
    """
    frames = round(seconds * fps)
    if frames < 1 or fps < 1:
        raise ValueError(f"cannot render {seconds} s at {fps} fps")
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise ValueError(f"frame size must be positive and even, got {width}x{height}")
    if container not in CONTAINERS:
        raise ValueError(f"container must be one of {', '.join(CONTAINERS)}, got {container!r}")
    if last is not None and first is None:
        raise ValueError("an end frame needs a first frame")
    digest = hashlib.sha256(prompt.encode()).digest()
    overlay = _overlay(prompt, width, height, label, watermark, references)
    scene = _Scene(digest, width, height, overlay, first=first, last=last)
    sound = _tones(digest, round(frames * _AUDIO_RATE / fps)) if audio else None
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        _encode(Path(name), container, scene, frames, fps, sound)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _encode(path: Path, container: str, scene: _Scene, frames: int, fps: int,
            sound: np.ndarray | None) -> None:
    """Encode `frames` frames of `scene` (and `sound`, if any) into a fast-start file."""
    with av.open(str(path), "w", format=container, options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height = scene.width, scene.height
        video.pix_fmt = "yuv420p"
        video.codec_context.gop_size = 2 * fps
        track: _Soundtrack | None = None
        if sound is not None:
            track = _Soundtrack(out.add_stream("aac", rate=_AUDIO_RATE, layout="stereo"), sound)
        for index in range(frames):
            picture = av.VideoFrame.from_ndarray(scene.frame(index, frames, fps))
            picture.pts, picture.time_base = index, Fraction(1, fps)
            out.mux(video.encode(picture))
            if track:
                out.mux(track.encode(index, fps))
        out.mux(video.encode())
        if track:
            out.mux(track.stream.encode())


@dataclass(frozen=True)
class _Soundtrack:
    """An AAC stream and the samples (float32, shape (2, n)) it carries."""

    stream: av.AudioStream
    samples: np.ndarray

    def encode(self, index: int, fps: int) -> list[av.Packet[Any]]:
        """Packets for the samples that play during video frame `index`."""
        start, stop = (round(i * _AUDIO_RATE / fps) for i in (index, index + 1))
        chunk = np.ascontiguousarray(self.samples[:, start:stop])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = _AUDIO_RATE, start, Fraction(1, _AUDIO_RATE)
        return self.stream.encode(frame)


def _tones(digest: bytes, samples: int) -> np.ndarray:
    """A gentle prompt-seeded pentatonic melody over a drone: float32, shape (2, samples)."""
    rng = np.random.default_rng(int.from_bytes(digest[8:16], "big"))
    root = 220.0 * 2 ** (rng.integers(0, 12) / 12)
    note_samples = round(_NOTE_SECONDS * _AUDIO_RATE)
    notes = -(-samples // note_samples)
    steps = np.asarray(_PENTATONIC)[rng.integers(0, len(_PENTATONIC), notes)]
    pans = rng.uniform(0.2, 0.8, notes)
    n = np.arange(samples)
    which, local = np.divmod(n, note_samples)
    phase = 2 * np.pi * root * 2 ** (steps[which] / 12) * local / _AUDIO_RATE
    progress = local / note_samples
    envelope = np.minimum(progress * 25, 1) * (1 - progress) ** 2
    melody = (np.sin(phase) + 0.25 * np.sin(2 * phase)) * envelope
    drone = 0.15 * np.sin(2 * np.pi * root / 2 * n / _AUDIO_RATE)
    fade = np.minimum(1, np.minimum(n, samples - 1 - n) / (0.02 * _AUDIO_RATE))
    left = (melody * (1 - pans[which]) + drone) * fade
    right = (melody * pans[which] + drone) * fade
    return (0.3 * np.stack([left, right])).astype(np.float32)


def _rgb(hue: float, saturation: float, value: float) -> np.ndarray:
    """An HSV colour as float32 RGB in 0-255."""
    return np.array(colorsys.hsv_to_rgb(hue % 1, saturation, value), dtype=np.float32) * 255


@dataclass(frozen=True)
class _Layer:
    """A static RGBA layer as premultiplied colour and remaining background weight (of 256)."""

    premult: np.ndarray
    keep: np.ndarray

    @classmethod
    def from_rgba(cls, rgba: np.ndarray) -> _Layer:
        alpha = (rgba[..., 3:].astype(np.uint16) * 256 + 127) // 255
        return cls(rgba[..., :3].astype(np.uint16) * alpha, 256 - alpha)

    def blend(self, pixels: np.ndarray) -> np.ndarray:
        """`pixels` (uint8, same shape) with this layer over them, as uint16 values 0-255."""
        blended: np.ndarray = (pixels * self.keep + self.premult) >> 8
        return blended


@dataclass(frozen=True)
class _Sparse:
    """A mostly transparent full-frame layer, kept only where it covers something."""

    index: np.ndarray
    layer: _Layer

    @classmethod
    def from_image(cls, image: Image.Image) -> _Sparse:
        rgba = np.asarray(image).reshape(-1, 4)
        index = np.flatnonzero(rgba[:, 3])
        return cls(index, _Layer.from_rgba(rgba[index]))

    def draw(self, frame: np.ndarray) -> None:
        """Blend the layer over `frame` (uint8 RGB) in place."""
        pixels = frame.reshape(-1, 3)
        pixels[self.index] = self.layer.blend(pixels[self.index])


@dataclass(frozen=True)
class _Blob:
    """A soft disc drifting on a Lissajous path."""

    layer: _Layer
    centre: np.ndarray
    reach: np.ndarray
    speed: np.ndarray
    phase: np.ndarray

    @classmethod
    def seeded(cls, rng: np.random.Generator, hue: float, width: int, height: int) -> _Blob:
        radius = max(2, round(min(width, height) * rng.uniform(0.14, 0.26)))
        offset = np.arange(2 * radius) - radius + 0.5
        distance = np.hypot(offset[:, None], offset[None, :]) / radius
        alpha = 150 * np.clip(1 - distance**2, 0, 1) ** 1.5
        colour = _rgb(hue + rng.uniform(-0.15, 0.15), 0.45, 1.0)
        rgba = np.dstack([np.broadcast_to(colour, (*alpha.shape, 3)), alpha]).astype(np.uint8)
        size = np.array([width, height], dtype=float)
        return cls(
            _Layer.from_rgba(rgba),
            centre=size * rng.uniform(0.3, 0.7, 2) - radius,
            reach=size * rng.uniform(0.2, 0.4, 2),
            speed=rng.uniform(0.08, 0.25, 2) * 2 * np.pi,
            phase=rng.uniform(0, 2 * np.pi, 2),
        )

    def draw(self, frame: np.ndarray, t: float) -> None:
        """Blend the blob over `frame` in place at its position at `t` seconds, clipped."""
        x, y = (self.centre + self.reach * np.sin(self.speed * t + self.phase)).round().astype(int)
        size_y, size_x = self.layer.keep.shape[:2]
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + size_x, frame.shape[1]), min(y + size_y, frame.shape[0])
        if x0 >= x1 or y0 >= y1:
            return
        part = _Layer(
            self.layer.premult[y0 - y : y1 - y, x0 - x : x1 - x],
            self.layer.keep[y0 - y : y1 - y, x0 - x : x1 - x],
        )
        frame[y0:y1, x0:x1] = part.blend(frame[y0:y1, x0:x1])


class _Scene:
    """The pictures of one clip: everything not given is seeded by the prompt's hash."""

    def __init__(self, digest: bytes, width: int, height: int, overlay: Image.Image, *,
                 first: Image.Image | None = None, last: Image.Image | None = None) -> None:
        self.width, self.height = width, height
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        hue = rng.random()
        self._accent = _rgb(hue + 0.5, 0.5, 1.0).astype(np.uint8)
        self._tile = _gradient(rng, hue, width, height)
        self._scroll = width * rng.uniform(0.04, 0.1) * rng.choice([-1, 1])
        self._blobs = [_Blob.seeded(rng, hue, width, height) for _ in range(_BLOBS)]
        self._overlay = _Sparse.from_image(overlay)
        self._first, self._last = (None if image is None else
                                   np.asarray(letterbox(image, width, height), dtype=np.uint16)
                                   for image in (first, last))
        self._frame = np.empty((height, width, 3), dtype=np.uint8)

    def frame(self, index: int, frames: int, fps: int) -> np.ndarray:
        """Frame `index` (of `frames`, at `fps`) as RGB, a progress bar along the bottom."""
        t = index / fps
        frame = self._frame
        background = self._background(t, index / max(1, frames - 1))
        frame[:] = background
        for blob in self._blobs:
            blob.draw(frame, t)
        bar = max(2, self.height // 180)
        frame[-bar:, : round((index + 1) / frames * self.width)] = self._accent
        self._overlay.draw(frame)
        if self._first is not None:  # image-to-video: from the bare first (to the last) image
            end = (frames - 1 - index) / fps if self._last is not None else math.inf
            strength = min(1.0, t / _FADE_SECONDS, end / _FADE_SECONDS)
            if strength < 1:
                weight = np.uint16(round(strength * 256))
                frame[:] = (background * (256 - weight) + frame * weight) >> 8
        return frame

    def _background(self, t: float, progress: float) -> np.ndarray:
        """The gradient scrolled to `t`; or the first image, cross-faded to the end image by
        `progress` (0-1)."""
        if self._first is None:
            offset = round(t * self._scroll) % self.width
            return self._tile[:, offset : offset + self.width]
        if self._last is None:
            return self._first
        weight = round(progress * 256)
        return (self._first * (256 - weight) + self._last * weight) >> 8


def _gradient(rng: np.random.Generator, hue: float, width: int, height: int) -> np.ndarray:
    """A diagonal two-colour wave, periodic in x with period `width`, twice as wide as a frame."""
    first = _rgb(hue, 0.7, 0.62)
    second = _rgb(hue + rng.uniform(0.15, 0.35), 0.75, 0.42)
    shade = _rgb(hue + 0.5, 0.6, 0.12)
    slant = rng.uniform(0.5, 2.0) * np.pi
    x = np.arange(2 * width, dtype=np.float32) / width
    y = np.arange(height, dtype=np.float32)[:, None] / height
    wave = 0.5 + 0.5 * np.cos(2 * np.pi * x + slant * y + rng.uniform(0, 2 * np.pi))
    depth = 0.45 * y
    tile = np.empty((height, 2 * width, 3), dtype=np.uint8)
    for channel in range(3):
        mixed = second[channel] + (first[channel] - second[channel]) * wave
        tile[..., channel] = mixed * (1 - depth) + shade[channel] * depth
    return tile


def _overlay(prompt: str, width: int, height: int, label: str, watermark: bool,
             references: Sequence[tuple[str, Image.Image | None]]) -> Image.Image:
    """The static overlay: the wrapped prompt in the middle, `label` and the mark in corners,
    the reference thumbnails along the bottom."""
    layer = Image.new("RGBA", (width, height))
    draw = ImageDraw.Draw(layer)
    unit = min(width, height)
    margin = max(4, unit // 40)
    _draw_prompt(draw, prompt, width, height)
    _draw_references(layer, draw, references)
    if label:
        font = ImageFont.load_default(size=max(10, unit // 40))
        draw.text(
            (margin, margin),
            label,
            font=font,
            fill=(255, 255, 255, 220),
            stroke_width=max(1, unit // 400),
            stroke_fill=(0, 0, 0, 160),
        )
    if watermark:
        _draw_mark(draw, width, height, unit, margin)
    return layer


def _draw_references(layer: Image.Image, draw: ImageDraw.ImageDraw,
                     references: Sequence[tuple[str, Image.Image | None]]) -> None:
    """Each reference's picture (letterboxed into its box) with its label in the corner; audio,
    which has no picture, as a dark tile."""
    sizes = [picture.size if picture is not None else (1, 1) for _, picture in references]
    boxes = reference_boxes(sizes, *layer.size)
    for (label, picture), (left, top, width, height) in zip(references, boxes, strict=True):
        if picture is None:
            draw.rectangle((left, top, left + width - 1, top + height - 1),
                           fill=(20, 20, 28, 255))
        else:
            layer.paste(letterbox(picture, width, height).convert("RGBA"), (left, top))
        font = ImageFont.load_default(size=max(8, height // 6))
        draw.text((left + 2, top + 2), label, font=font, fill=(255, 255, 255, 255),
                  stroke_width=1, stroke_fill=(0, 0, 0, 255))


def _draw_prompt(draw: ImageDraw.ImageDraw, prompt: str, width: int, height: int) -> None:
    """The prompt, wrapped and centred; lines past 60% of the height are cut with "..."."""
    size = max(12, min(width, height) // 16)
    font = ImageFont.load_default(size=size)
    line_height = round(size * 1.25)
    max_lines = max(1, int(height * 0.6) // line_height)
    lines = _wrap(prompt, font, width * 0.84)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _ellipsize(lines[max_lines - 1], font, width * 0.84)]
    top = (height - line_height * len(lines)) // 2
    for row, line in enumerate(lines):
        draw.text(
            (width // 2, top + row * line_height),
            line,
            font=font,
            anchor="ma",
            fill=(255, 255, 255, 255),
            stroke_width=max(1, size // 12),
            stroke_fill=(0, 0, 0, 200),
        )


def _draw_mark(draw: ImageDraw.ImageDraw, width: int, height: int, unit: int, margin: int) -> None:
    """A white "AI generated" label on a dark pill in the bottom-right corner."""
    font = ImageFont.load_default(size=max(12, unit // 24))
    text = "AI generated"
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(3, unit // 90)
    x1, y1 = width - margin, height - 2 * margin
    x0, y0 = x1 - (right - left) - 2 * pad, y1 - (bottom - top) - 2 * pad
    draw.rounded_rectangle((x0, y0, x1, y1), radius=pad * 2, fill=(0, 0, 0, 170))
    draw.text((x0 + pad - left, y0 + pad - top), text, font=font, fill=(255, 255, 255, 255))


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
          max_width: float) -> list[str]:
    """`text` broken into lines no wider than `max_width`; over-long words are split."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        for piece in _split_word(word, font, max_width):
            candidate = f"{line} {piece}" if line else piece
            if line and font.getlength(candidate) > max_width:
                lines.append(line)
                candidate = piece
            line = candidate
    return [*lines, line] if line else lines


def _split_word(word: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
                max_width: float) -> list[str]:
    """`word` cut into pieces that each fit `max_width`."""
    pieces = [""]
    for char in word:
        if pieces[-1] and font.getlength(pieces[-1] + char) > max_width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def _ellipsize(line: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
               max_width: float) -> str:
    """`line` shortened until it fits `max_width` with "..." appended."""
    while line and font.getlength(line + "...") > max_width:
        line = line[:-1]
    return line + "..."
