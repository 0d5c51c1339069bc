"""Render simulated clips: real H.264 (+ AAC) MP4 files whose pictures and tones follow the prompt.

Every frame is a prompt-seeded scrolling gradient with drifting soft blobs, under a static
text layer (the prompt, a small label and, optionally, an "AI generated" mark). The text is
drawn once with Pillow and kept as a sparse alpha layer, so composing a frame is a few numpy
operations and the encoder, not the drawing, sets the pace.
"""

from __future__ import annotations

import colorsys
import hashlib
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["SIZES", "frame_size", "render_video"]

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


def frame_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """(width, height) for a resolution and aspect ratio; "adaptive" renders as 16:9."""
    aspect = "16:9" if aspect_ratio == "adaptive" else aspect_ratio
    try:
        return SIZES[resolution][aspect]
    except KeyError:
        raise ValueError(f"no frame size for {resolution!r} at {aspect_ratio!r}") from None


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
) -> None:
    """Write an MP4 clip for `prompt` to `path` atomically (a partial file never shows there)."""
    frames = round(seconds * fps)
    if frames < 1 or fps < 1:
        raise ValueError(f"cannot render {seconds} s at {fps} fps")
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise ValueError(f"frame size must be positive and even, got {width}x{height}")
    digest = hashlib.sha256(prompt.encode()).digest()
    scene = _Scene(digest, prompt, width, height, label=label, watermark=watermark)
    sound = _tones(digest, round(frames * _AUDIO_RATE / fps)) if audio else None
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        _encode(Path(name), scene, frames, fps, sound)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _encode(path: Path, scene: _Scene, frames: int, fps: int, sound: np.ndarray | None) -> None:
    """Encode `frames` frames of `scene` (and `sound`, if any) into a fast-start MP4."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height = scene.width, scene.height
        video.pix_fmt = "yuv420p"
        video.codec_context.gop_size = 2 * fps
        track: _Soundtrack | None = None
        if sound is not None:
            track = _Soundtrack(out.add_stream("aac", rate=_AUDIO_RATE, layout="stereo"), sound)
        for index in range(frames):
            picture = av.VideoFrame.from_ndarray(scene.frame(index / fps, (index + 1) / frames))
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

    def encode(self, index: int, fps: int) -> list[av.Packet]:
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
        return (pixels * self.keep + self.premult) >> 8


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
    """The picture for one prompt: everything is seeded by the prompt's hash."""

    def __init__(
        self, digest: bytes, prompt: str, width: int, height: int, *, label: str, watermark: bool
    ) -> None:
        self.width, self.height = width, height
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        hue = rng.random()
        self._accent = _rgb(hue + 0.5, 0.5, 1.0).astype(np.uint8)
        self._tile = _gradient(rng, hue, width, height)
        self._scroll = width * rng.uniform(0.04, 0.1) * rng.choice([-1, 1])
        self._blobs = [_Blob.seeded(rng, hue, width, height) for _ in range(_BLOBS)]
        self._text = _Sparse.from_image(_text_layer(prompt, width, height, label, watermark))
        self._frame = np.empty((height, width, 3), dtype=np.uint8)

    def frame(self, t: float, progress: float) -> np.ndarray:
        """The RGB frame at `t` seconds, with a progress bar `progress` (0-1) along the bottom."""
        offset = round(t * self._scroll) % self.width
        frame = self._frame
        frame[:] = self._tile[:, offset : offset + self.width]
        for blob in self._blobs:
            blob.draw(frame, t)
        bar = max(2, self.height // 180)
        frame[-bar:, : round(progress * self.width)] = self._accent
        self._text.draw(frame)
        return frame


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


def _text_layer(prompt: str, width: int, height: int, label: str, watermark: bool) -> Image.Image:
    """The static overlay: the wrapped prompt in the middle, `label` and the mark in corners."""
    layer = Image.new("RGBA", (width, height))
    draw = ImageDraw.Draw(layer)
    unit = min(width, height)
    margin = max(4, unit // 40)
    _draw_prompt(draw, prompt, width, height)
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


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
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


def _split_word(word: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """`word` cut into pieces that each fit `max_width`."""
    pieces = [""]
    for char in word:
        if pieces[-1] and font.getlength(pieces[-1] + char) > max_width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def _ellipsize(line: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    """`line` shortened until it fits `max_width` with "..." appended."""
    while line and font.getlength(line + "...") > max_width:
        line = line[:-1]
    return line + "..."
