"""Small real media for fake servers: whole files the client's checks accept."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path


@cache
def small_mp4() -> bytes:
    """A real, whole MP4 (64x64, half a second)."""
    from seedance_widgets.simulator.render import render_video

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "small.mp4"
        render_video(path, prompt="small", width=64, height=64, seconds=0.5, audio=False,
                     watermark=False)
        return path.read_bytes()
