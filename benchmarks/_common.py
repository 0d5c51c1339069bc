"""Shared pieces of the benchmarks: result rows, the simulator in a separate process,
a copy-instead-of-render patch, RSS sampling and small statistics helpers.

Every benchmark script imports this module by name (`benchmarks/` is the script directory,
hence first on `sys.path`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PYTHON = sys.executable
API_KEY = "bench-token"
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Row:
    """One figure of the results table.

    `ratio` is figure ÷ target (≤ 1 is good for "at most" targets, ≥ 1 for "at least" ones);
    `met` is None for figures reported without a target.
    """

    name: str
    figure: str
    target: str
    ratio: str
    met: bool | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _num(value: float, unit: str, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".strip() if unit not in ("×", "") else f"{text}{unit}"


def at_most(name: str, value: float, limit: float, unit: str = "", digits: int = 1) -> Row:
    """A figure whose target is `value ≤ limit`."""
    ratio = value / limit if limit else math.inf
    return Row(name, _num(value, unit, digits), f"≤ {_num(limit, unit, digits)}",
               f"{ratio:.2f}", value <= limit)


def at_least(name: str, value: float, limit: float, unit: str = "", digits: int = 1) -> Row:
    """A figure whose target is `value ≥ limit`."""
    ratio = value / limit if limit else math.inf
    return Row(name, _num(value, unit, digits), f"≥ {_num(limit, unit, digits)}",
               f"{ratio:.2f}", value >= limit)


def info(name: str, figure: str, target: str = "(report)") -> Row:
    """A figure reported without a target."""
    return Row(name, figure, target, "–", None)


def missing(name: str, target: str, why: str) -> Row:
    """A figure that could not be measured in this run."""
    return Row(name, f"not measured: {why}", target, "–", False)


def format_table(rows: Sequence[Row], *, markdown: bool = True) -> str:
    """The rows as a Markdown table (also readable on a terminal)."""
    head = ("figure", "measured", "target", "ratio", "met?")
    cells = [(r.name, r.figure, r.target, r.ratio,
              "–" if r.met is None else ("yes" if r.met else "**NO**" if markdown else "NO"))
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(head)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(c) for c in cells)])


def load_note() -> str:
    """The 1-minute load average now, for the record (other engineers share these cores)."""
    one, five, _ = os.getloadavg()
    return f"load avg {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def bench_main(run: Callable[[], list[Row]], description: str) -> None:
    """Command line of each benchmark: run it, print the table, optionally write JSON rows."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", type=Path, help="also write the rows here (for run_all.py)")
    args = parser.parse_args()
    print(f"# {description}\n# before: {load_note()}", flush=True)
    started = time.monotonic()
    rows = run()
    print(f"\n{format_table(rows, markdown=False)}")
    print(f"# took {time.monotonic() - started:.1f} s; after: {load_note()}", flush=True)
    if args.json:
        args.json.write_text(json.dumps([r.to_json() for r in rows], indent=1))


# --- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The `p`-th percentile (0-100) with linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


# --- memory -----------------------------------------------------------------------------------


def rss_bytes() -> int:
    """This process's resident set size now (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


class RssSampler:
    """Samples this process's RSS every `interval` seconds in a thread; `.peak` is the max."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.baseline = rss_bytes()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> RssSampler:
        self.baseline = rss_bytes()
        self.peak = self.baseline
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


# --- the simulator ----------------------------------------------------------------------------


def prerender(dest: Path, *, resolution: str = "480p", aspect_ratio: str = "16:9",
              seconds: int = 4, audio: bool = False) -> Path:
    """Render one real clip with the simulator's renderer (the template the patch copies)."""
    from seedance_widgets.simulator.render import frame_size, render_video

    width, height = frame_size(resolution, aspect_ratio)
    dest.parent.mkdir(parents=True, exist_ok=True)
    render_video(dest, prompt="benchmark template clip", width=width, height=height,
                 seconds=seconds, audio=audio, watermark=False, label="SIMULATED benchmark")
    return dest


def patch_render_with_copy(template: Path) -> None:
    """Make this process's simulator link (or copy) `template` instead of rendering.

    Generation time is the server's and outside the toolkit; the benchmarks that are not
    about rendering use this so the renderer's CPU does not disturb what they measure.
    """
    from seedance_widgets.simulator import store

    def copy_template(path: Path, **_ignored: Any) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.part")
        try:
            os.link(template, tmp)
        except OSError:
            shutil.copyfile(template, tmp)
        os.replace(tmp, path)

    store.render_video = copy_template  # type: ignore[assignment]


_URL = re.compile(r"(http://\S+/api)")


@dataclass
class SimProcess:
    """The simulator in a child process (`benchmarks/_simproc.py`), so its CPU is not ours."""

    base_url: str
    process: subprocess.Popen[str]

    def stats(self) -> dict[str, int]:
        """Request counts per `"METHOD /route"` (from the simulator's own counter)."""
        import httpx

        root = self.base_url.rsplit("/api", 1)[0]
        reply = httpx.get(f"{root}/_simulator/stats", timeout=10)
        return dict(reply.json()["requests"])

    def reset_stats(self) -> None:
        import httpx

        root = self.base_url.rsplit("/api", 1)[0]
        httpx.post(f"{root}/_simulator/reset", timeout=10)

    def cpu_seconds(self) -> float:
        """User + system CPU time the simulator process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks


@contextmanager
def simulator_process(*, queue_seconds: float, process_seconds: float,
                      template: Path | None = None, render_template: bool = False,
                      max_parallel_renders: int = 2,
                      keepalive_seconds: float = 15.0) -> Iterator[SimProcess]:
    """Start the simulator in a child process and stop it (SIGTERM to that pid) afterwards.

    `template` (a file) or `render_template` (render a 480p 4 s clip over there) replaces
    rendering by a hard link to that clip.
    """
    cmd = [PYTHON, str(BENCH_DIR / "_simproc.py"),
           "--queue-seconds", str(queue_seconds), "--process-seconds", str(process_seconds),
           "--keepalive-seconds", str(keepalive_seconds),
           "--max-parallel-renders", str(max_parallel_renders), "--api-key", API_KEY]
    if template is not None:
        cmd += ["--template", str(template)]
    elif render_template:
        cmd.append("--render-template")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = _URL.search(line)
        if not found:
            raise RuntimeError(f"the simulator process did not print its URL: {line!r}")
        yield SimProcess(found.group(1), proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


def bench_request(prompt: str, **params: Any) -> Any:
    """A validated request for the default model (480p, 4 s, 16:9 unless given)."""
    from seedance_widgets._contract.request import VideoRequest

    defaults: dict[str, Any] = {"resolution": "480p", "duration": 4, "aspect_ratio": "16:9"}
    return VideoRequest(prompt, **{**defaults, **params})
