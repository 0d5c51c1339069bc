"""#7 Simulator render speed: a 720p 16:9 15 s clip with audio, as the simulator makes it.

Times `seedance_widgets.simulator.render.render_video` (the simulator's own call, watermark
on, label set) `RUNS` times in this process; the figure is the median, and the real-time
factor is clip seconds ÷ render seconds (above 1: faster than real time). Also reports the
CPU time, since the cores are shared with other work.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _common import Row, bench_main, info

RUNS = 3
SECONDS = 15


def _render_once(dest: Path) -> tuple[float, float]:
    from seedance_widgets.simulator.render import frame_size, render_video

    width, height = frame_size("720p", "16:9")
    started, cpu = time.perf_counter(), time.process_time()
    render_video(dest, prompt="A lone ox walks down an empty desert highway at golden hour, "
                 "dust drifting behind it, slow cinematic camera move",
                 width=width, height=height, seconds=SECONDS, audio=True, watermark=True,
                 label="SIMULATED benchmark")
    return time.perf_counter() - started, time.process_time() - cpu


def run() -> list[Row]:
    """Render the clip `RUNS` times and return the rows for the table."""
    walls: list[float] = []
    cpus: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        for i in range(RUNS):
            wall, cpu = _render_once(Path(tmp) / f"clip-{i}.mp4")
            size = (Path(tmp) / f"clip-{i}.mp4").stat().st_size
            walls.append(wall)
            cpus.append(cpu)
            print(f"  run {i + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, {size / 1e6:.1f} MB")
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return [
        info("7a. render 720p 16:9 15 s + audio (median of 3)",
             f"{wall:.2f} s wall, {cpu:.2f} s CPU"),
        info("7b. render real-time factor (clip s ÷ wall s)", f"{SECONDS / wall:.2f}×"),
    ]


if __name__ == "__main__":
    bench_main(run, "#7 simulator render speed: 720p 15 s clip with audio")
