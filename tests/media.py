"""Small real media for tests: whole files the client's checks accept, pictures and sound."""

from __future__ import annotations

import io
import tempfile
import wave
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


@cache
def small_mp4() -> bytes:
    """A real, whole MP4 (64x64, half a second)."""
    from seedance_widgets.simulator.render import render_video

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "small.mp4"
        render_video(path, prompt="small", width=64, height=64, seconds=0.5, audio=False,
                     watermark=False)
        return path.read_bytes()


def picture(size: tuple[int, int], hue: int) -> Image.Image:
    """A smooth test picture: a horizontal ramp and a disc, different for each `hue`."""
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    width, height = size
    for x in range(width):
        ramp = x * 255 // width
        draw.line([(x, 0), (x, height)], fill=((ramp + hue) % 256, 90, (255 - ramp + hue) % 256))
    draw.ellipse((width // 3, height // 4, 2 * width // 3, 3 * height // 4),
                 fill=((hue * 7) % 256, 230, 40))
    return image


def tone_wav(seconds: float = 2.0) -> bytes:
    """A WAV file: a 440 Hz tone, mono, 8 kHz."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        t = np.arange(int(8000 * seconds)) / 8000
        sound.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes())
    return out.getvalue()
