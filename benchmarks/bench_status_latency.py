"""#1 Status latency: from the simulator marking a job terminal to the toolkit seeing it.

The simulator runs in this process (its own thread), so the moment a job turns terminal is
taken by wrapping `JobStore._finish`, on the same clock as the observers. Half the jobs run
through a bare `Controller` (latency to its observer), half through a `Studio` widget created
in this plain asyncio program (latency to the job feed message it sends its views). Every job
is also followed by the vendor page's own loop (`requests.get` of `GET /ai/queue/{id}`,
`time.sleep(5)`), one thread per job, started as soon as the generation id is known, in the
same run.

The simulator links a pre-rendered clip instead of rendering (generation time is not what is
measured here), and each job waits a random 0-5 s before it starts, so the vendor loop's
5 s poll meets completions at uniformly spread phases (its mean is ~2.5 s by construction).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from _common import (
    API_KEY,
    Row,
    at_least,
    at_most,
    bench_main,
    bench_request,
    info,
    mean,
    patch_render_with_copy,
    percentile,
    prerender,
)

JOBS_PER_SIDE = 30  # Controller jobs, and as many Studio jobs
STAGGER = 0.15  # seconds between two submissions
QUEUE_SECONDS = 0.3
PROCESS_SECONDS = 1.0
JITTER = 5.0  # extra random queue time per job: spreads completion phases over a 5 s poll
VENDOR_INTERVAL = 5.0
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


class Clock:
    """Timestamps (time.perf_counter) keyed by generation id, written from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.at: dict[str, float] = {}

    def mark(self, key: str, when: float) -> None:
        with self._lock:
            self.at.setdefault(key, when)


def _instrument_simulator(terminal: Clock, rng: random.Random) -> None:
    """Record when each job turns terminal; give each job a random extra queue time."""
    from seedance_widgets.simulator.store import JobStore

    finish, run = JobStore._finish, JobStore._run

    def timed_finish(self: JobStore, job: Any, status: Any, error: str | None = None) -> None:
        now = time.perf_counter()
        was_terminal = job.status.is_terminal
        finish(self, job, status, error)
        if not was_terminal and job.status.is_terminal:
            terminal.mark(job.generation_id, now)

    async def jittered_run(self: JobStore, job: Any) -> None:
        await asyncio.sleep(rng.uniform(0, JITTER))
        await run(self, job)

    JobStore._finish = timed_finish  # type: ignore[method-assign]
    JobStore._run = jittered_run  # type: ignore[method-assign]


def _vendor_loop(base_url: str, generation_id: str, seen: Clock) -> None:
    """The vendor page's polling loop, verbatim in shape: GET, check, sleep 5 s."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    while True:
        data = requests.get(f"{base_url}/ai/queue/{generation_id}", headers=headers,
                            timeout=30).json()
        if data["status"] in TERMINAL:
            seen.mark(generation_id, time.perf_counter())
            return
        time.sleep(VENDOR_INTERVAL)


async def _measure(base_url: str, out: Path) -> dict[str, Clock]:
    from seedance_widgets._jobs.controller import Controller
    from seedance_widgets._transport.client import AsyncOxenClient
    from seedance_widgets._widget.studio import Studio

    clocks = {name: Clock() for name in ("controller", "trait", "vendor")}
    vendors: dict[str, threading.Thread] = {}

    def start_vendor(generation_id: str | None) -> None:
        if generation_id and generation_id not in vendors:
            thread = threading.Thread(target=_vendor_loop, daemon=True,
                                      args=(base_url, generation_id, clocks["vendor"]))
            vendors[generation_id] = thread
            thread.start()

    def on_job(job: Any) -> None:
        now = time.perf_counter()
        if job.generation_id and str(job.status) in TERMINAL:
            clocks["controller"].mark(job.generation_id, now)
        start_vendor(job.generation_id)

    def on_message(content: dict[str, Any], buffers: Any = None) -> None:
        """What the Studio sends its views: the job feed's messages are the stamp."""
        now = time.perf_counter()
        if content.get("type") != "feed":
            return
        for card in content["items"]:
            if card["generation_id"] and card["status"] in TERMINAL:
                clocks["trait"].mark(card["generation_id"], now)
            start_vendor(card["generation_id"])

    client = AsyncOxenClient(api_key=API_KEY, base_url=base_url)
    controller = Controller(client, output_dir=out / "controller", concurrency=100)
    controller.observe(on_job)
    studio = Studio(api_key=API_KEY, base_url=base_url, simulate=False,
                    output_dir=out / "studio", concurrency=100)
    studio.send = on_message  # type: ignore[method-assign]
    jobs = []
    for i in range(JOBS_PER_SIDE):
        jobs.append(controller.submit(bench_request(f"latency controller {i}")))
        await asyncio.sleep(STAGGER / 2)
        jobs.append(studio.generate(prompt=f"latency studio {i}", resolution="480p",
                                    duration=4, aspect_ratio="16:9"))
        await asyncio.sleep(STAGGER / 2)
    await asyncio.gather(*jobs, return_exceptions=True)
    failed = [j for j in jobs if j.status != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} jobs did not succeed: {failed[:3]}")
    for thread in list(vendors.values()):
        await asyncio.to_thread(thread.join, 2 * VENDOR_INTERVAL + 30)
    await controller.aclose()
    await client.aclose()
    studio.close()
    # Studio.close() is not idempotent and ipywidgets' Widget.__del__ calls it again at
    # interpreter exit, after this loop is closed ("Event loop is closed"): make that a no-op.
    studio.close = lambda: None  # type: ignore[method-assign]
    await asyncio.sleep(0.1)
    return clocks


def _latencies_ms(terminal: Clock, seen: Clock) -> list[float]:
    return [(seen.at[g] - terminal.at[g]) * 1000 for g in seen.at if g in terminal.at]


def run() -> list[Row]:
    """Run the jobs and return the rows for the table."""
    from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

    terminal = Clock()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        root = Path(tmp)
        patch_render_with_copy(prerender(root / "template.mp4"))
        _instrument_simulator(terminal, random.Random(1))
        config = SimulatorConfig(queue_seconds=QUEUE_SECONDS, process_seconds=PROCESS_SECONDS,
                                 api_key=API_KEY, data_dir=root / "sim")
        with SimulatorServer(config) as server:
            clocks = asyncio.run(_measure(server.base_url, root))
    ctrl = _latencies_ms(terminal, clocks["controller"])
    trait = _latencies_ms(terminal, clocks["trait"])
    vendor = _latencies_ms(terminal, clocks["vendor"])
    for name, values in (("Controller observer", ctrl), ("Studio job feed", trait),
                         ("vendor polling loop", vendor)):
        print(f"{name:22} n={len(values):3}  mean {mean(values):8.1f} ms  "
              f"p50 {percentile(values, 50):8.1f}  p95 {percentile(values, 95):8.1f}  "
              f"max {max(values):8.1f}")
    toolkit_mean = mean(ctrl + trait)
    return [
        at_most(f"1a. status latency p95, Controller observer (n={len(ctrl)})",
                percentile(ctrl, 95), 100, "ms"),
        at_most(f"1b. status latency p95, Studio job feed message (n={len(trait)})",
                percentile(trait, 95), 100, "ms"),
        info("1c. mean latency: toolkit (both) / vendor 5 s loop",
             f"{toolkit_mean:.1f} ms / {mean(vendor):,.0f} ms (n={len(vendor)})"),
        at_least("1d. vendor loop mean ÷ toolkit mean", mean(vendor) / toolkit_mean, 25, "×"),
    ]


if __name__ == "__main__":
    bench_main(run, "#1 status latency: terminal in the simulator -> observer / trait")
