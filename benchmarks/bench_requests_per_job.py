"""#2 Requests per job, for a 15 s job and a 5-minute one, against the vendor's polling loop.

A job's length is the simulator's default timing (0.5 s queued + 2 s processing) scaled:
×6 gives 15 s (3 s queued + 12 s processing), ×120 gives 5 minutes (60 s + 240 s). To run
in seconds, each is then compressed by a factor (1/5 and 1/20), and the client's
`FollowPolicy` and the vendor loop's 5 s sleep by the same factor, so every count is the
one the real timings give. Counts come from the simulator's own request counter.

Toolkit: `JOBS` jobs per length through one `Controller` (one shared event stream, counted
once and shared by the jobs in flight), each job's video downloaded. Vendor: the page's
loop (POST, then GET + sleep 5 s until terminal) for as many jobs at the same time, plus
the one download of the result that the toolkit also does; its requests are counted
client-side and subtracted from the server's totals.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from _common import (
    API_KEY,
    Row,
    at_most,
    bench_main,
    bench_request,
    info,
    patch_render_with_copy,
    prerender,
)

JOBS = 4
SIM_QUEUE, SIM_PROCESS = 0.5, 2.0  # the simulator's default timings
VENDOR_INTERVAL = 5.0
SLOW_POLL = 30.0  # FollowPolicy.processing: the slow status poll the growth may come from
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
MODEL = "bytedance-seedance-2-0-fast-text-to-video"


@dataclass(frozen=True)
class Length:
    """A simulated job length and how much it is compressed in wall time."""

    label: str
    seconds: float
    compress: float

    @property
    def scale(self) -> float:
        """Factor on the simulator's default timings that gives this length."""
        return self.seconds / (SIM_QUEUE + SIM_PROCESS)


LENGTHS = (Length("15 s", 15, 1 / 5), Length("5 min", 300, 1 / 20))


def _vendor_job(base_url: str, interval: float, counts: Counter[str], lock: threading.Lock,
                prompt: str) -> None:
    """The vendor page's loop for one job, counting its own requests; then one download."""
    headers = {"Authorization": f"Bearer {API_KEY}"}

    def count(key: str) -> None:
        with lock:
            counts[key] += 1

    body = {"model": MODEL, "prompt": prompt, "resolution": "480p", "duration": 4,
            "aspect_ratio": "16:9"}
    reply = requests.post(f"{base_url}/ai/queue", json=body, headers=headers, timeout=30)
    count("POST queue")
    generation_id = reply.json()["generations"][0]["generation_id"]
    while True:
        data = requests.get(f"{base_url}/ai/queue/{generation_id}", headers=headers,
                            timeout=30).json()
        count("GET status")
        if data["status"] in TERMINAL:
            break
        time.sleep(interval)
    requests.get(data["result_url"], headers=headers, timeout=60).content  # noqa: B018
    count("GET result")


async def _toolkit(base_url: str, length: Length, out: Path, queued_max: float | None) -> None:
    from seedance_widgets._jobs.controller import Controller
    from seedance_widgets._jobs.follower import FollowPolicy
    from seedance_widgets._transport.client import AsyncOxenClient

    base = FollowPolicy() if queued_max is None else FollowPolicy(queued_max=queued_max)
    policy = base.scaled(length.compress)
    async with AsyncOxenClient(api_key=API_KEY, base_url=base_url) as client:
        controller = Controller(client, output_dir=out, policy=policy, concurrency=JOBS)
        jobs = []
        for i in range(JOBS):
            jobs.append(controller.submit(bench_request(f"requests {length.label} {i}")))
            await asyncio.sleep(0.02)
        await asyncio.gather(*jobs)
        await controller.aclose()


def _measure(length: Length, root: Path, queued_max: float | None = None
             ) -> tuple[dict[str, float], dict[str, float]]:
    """Per-job request counts by kind: (toolkit, vendor). `queued_max` overrides the policy's."""
    from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

    wall = length.scale * length.compress
    config = SimulatorConfig(queue_seconds=SIM_QUEUE * wall, process_seconds=SIM_PROCESS * wall,
                             api_key=API_KEY, data_dir=root / "sim")
    vendor: Counter[str] = Counter()
    lock = threading.Lock()
    with SimulatorServer(config) as server:
        threads = [threading.Thread(target=_vendor_job, daemon=True, args=(
            server.base_url, VENDOR_INTERVAL * length.compress, vendor, lock, f"vendor {i}"))
            for i in range(JOBS)]
        for thread in threads:
            thread.start()
        asyncio.run(_toolkit(server.base_url, length, root / f"out-{length.compress:g}",
                             queued_max))
        for thread in threads:
            thread.join(timeout=120)
        stats = server.stats()
    toolkit = {
        "POST queue": stats.get("POST /api/ai/queue", 0) - vendor["POST queue"],
        "GET status": stats.get("GET /api/ai/queue/{generation_id}", 0) - vendor["GET status"],
        "GET events": stats.get("GET /api/events", 0),
        "GET result": sum(v for k, v in stats.items() if k.startswith("GET /api/results/"))
        - vendor["GET result"],
    }
    other = {k: v for k, v in stats.items() if not k.startswith(
        ("POST /api/ai/queue", "GET /api/ai/queue/", "GET /api/events", "GET /api/results/"))}
    if other:
        toolkit["other"] = sum(other.values())
        print(f"  other requests: {other}")
    per_job = {k: v / JOBS for k, v in toolkit.items()}
    return per_job, {k: v / JOBS for k, v in vendor.items()}


def _show(label: str, who: str, counts: dict[str, float]) -> None:
    parts = ", ".join(f"{k} {v:g}" for k, v in counts.items())
    print(f"  {label:5} {who:7} {sum(counts.values()):5.2f} per job  ({parts})")


def run() -> list[Row]:
    """Run both lengths and return the rows for the table."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as tmp:
        root = Path(tmp)
        patch_render_with_copy(prerender(root / "template.mp4"))
        for length in LENGTHS:
            toolkit, vendor = _measure(length, root)
            _show(length.label, "toolkit", toolkit)
            _show(length.label, "vendor", vendor)
            results[length.label] = (sum(toolkit.values()), sum(vendor.values()), toolkit)
        # What a queued back-off capped at the slow poll (30 s, not 15 s) would give.
        alt, _ = _measure(LENGTHS[1], root, queued_max=SLOW_POLL)
        _show(LENGTHS[1].label, "toolkit with FollowPolicy(queued_max=30)", alt)
    short, long = (results[length.label] for length in LENGTHS)
    growth = long[0] - short[0]
    allowance = (LENGTHS[1].seconds - LENGTHS[0].seconds) / SLOW_POLL
    long_status = long[2]["GET status"]
    return [
        at_most("2a. requests per job, 15 s job (toolkit)", short[0], 5, "", 2),
        at_most("2b. growth 15 s → 5 min job, vs one slow poll per 30 s", growth, allowance,
                "", 2),
        info("2c. requests per job, 5 min job (toolkit)",
             f"{long[0]:.2f} ({long_status:g} status GETs)"),
        info("2d. vendor loop requests per job, 15 s / 5 min",
             f"{short[1]:.2f} / {long[1]:.2f}"),
        info("2e. vendor loop ÷ toolkit requests, 15 s / 5 min job",
             f"{short[1] / short[0]:.2f}× / {long[1] / long[0]:.2f}×"),
        info("2f. growth with FollowPolicy(queued_max=30) (proposal)",
             f"{sum(alt.values()) - short[0]:.2f} ({alt['GET status']:g} status GETs)",
             f"(proposal; cf. ≤ {allowance:.2f})"),
    ]


if __name__ == "__main__":
    bench_main(run, "#2 requests per job: toolkit vs the vendor's 5 s polling loop")
