"""#4 Download: a 200 MB result streamed to disk, `AsyncOxenClient.download` against `curl`.

The simulator runs in a child process and hands out a 200 MB file (a real 480p clip followed
by a `free` box of random bytes, so the toolkit's whole-video check accepts it; hard-linked in
place of a render) as a finished job's result. The same result URL is then fetched,
alternately, by the toolkit (in this process) and by `curl -H "Authorization: Bearer ..."
-o FILE URL`, `ROUNDS` times each after one warm-up round of both (not counted), into the
same directory; each figure is the median.
Peak RSS growth of this process during a toolkit download is sampled every 5 ms in a thread.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _common import (
    API_KEY,
    Row,
    RssSampler,
    at_least,
    at_most,
    bench_main,
    info,
    prerender,
    simulator_process,
)

SIZE = 200 * 10**6  # bytes ("200 MB")
ROUNDS = 7
MB = 10**6
MODEL = "bytedance-seedance-2-0-fast-text-to-video"


def _make_file(path: Path, size: int) -> Path:
    """A whole MP4 of `size` bytes: a short real clip, then one `free` box (which players
    skip) of random, incompressible bytes written in 4 MiB pieces."""
    clip = prerender(path.with_name("clip.mp4"), seconds=1).read_bytes()
    padding = size - len(clip) - 16
    piece = 4 << 20
    with open(path, "wb") as out:
        out.write(clip)
        out.write((1).to_bytes(4, "big") + b"free" + (padding + 16).to_bytes(8, "big"))
        left = padding
        while left:
            out.write(os.urandom(min(piece, left)))
            left -= min(piece, left)
    return path


def _finished_result_url(base_url: str) -> str:
    """Enqueue one job on the simulator and return its result URL once it succeeded."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    body = {"model": MODEL, "prompt": "a 200 MB result", "resolution": "480p", "duration": 4}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        generation_id = http.post("/ai/queue", json=body).json()["generations"][0][
            "generation_id"]
        for _ in range(600):
            record = http.get(f"/ai/queue/{generation_id}").json()
            if record["status"] == "succeeded":
                return str(record["result_url"])
            if record["status"] in ("failed", "cancelled"):
                raise RuntimeError(f"the result job ended {record['status']}: {record}")
            time.sleep(0.05)
    raise RuntimeError("the result job did not finish")


async def _toolkit_download(base_url: str, url: str, dest: Path) -> tuple[float, float, int]:
    """Download `url` to `dest` with the toolkit: seconds, CPU seconds, peak RSS growth."""
    from seedance_widgets._transport.client import AsyncOxenClient

    async with AsyncOxenClient(api_key=API_KEY, base_url=base_url) as client:
        with RssSampler() as rss:
            started, cpu = time.perf_counter(), time.process_time()
            await client.download(url, dest)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, cpu, rss.growth


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _curl_download(url: str, dest: Path) -> tuple[float, float]:
    """Download `url` to `dest` with curl: seconds, CPU seconds."""
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(["curl", "-sS", "--fail", "-H", f"Authorization: Bearer {API_KEY}",
                    "-o", str(dest), url], check=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def _check(dest: Path) -> None:
    size = dest.stat().st_size
    if size != SIZE:
        raise RuntimeError(f"{dest.name}: {size} bytes, expected {SIZE}")
    dest.unlink()


def run() -> list[Row]:
    """Download the result alternately with both clients and return the rows."""
    if shutil.which("curl") is None:
        raise RuntimeError("curl is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        root = Path(tmp)
        template = _make_file(root / "result.bin", SIZE)
        toolkit: list[float] = []
        curl: list[float] = []
        cpu: dict[str, list[float]] = {"toolkit": [], "curl": []}
        growth: list[int] = []
        with simulator_process(queue_seconds=0.05, process_seconds=0.05,
                               template=template) as sim:
            url = _finished_result_url(sim.base_url)
            asyncio.run(_toolkit_download(sim.base_url, url, root / "warm-up.mp4"))
            _check(root / "warm-up.mp4")
            _curl_download(url, root / "warm-up.mp4")
            _check(root / "warm-up.mp4")
            maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            for i in range(ROUNDS):
                seconds, used, grew = asyncio.run(_toolkit_download(
                    sim.base_url, url, root / f"toolkit-{i}.mp4"))
                _check(root / f"toolkit-{i}.mp4")
                toolkit.append(seconds)
                cpu["toolkit"].append(used)
                growth.append(grew)
                seconds, used = _curl_download(url, root / f"curl-{i}.mp4")
                _check(root / f"curl-{i}.mp4")
                curl.append(seconds)
                cpu["curl"].append(used)
        maxrss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before) / 1024
    ours = SIZE / MB / statistics.median(toolkit)
    theirs = SIZE / MB / statistics.median(curl)
    # Each round's pair ran back to back: the median of the pairs' ratios is the least
    # disturbed by load that comes and goes (the cores are shared).
    ratio = statistics.median(c / t for t, c in zip(toolkit, curl, strict=True))
    print(f"  toolkit: {', '.join(f'{SIZE / MB / s:.0f}' for s in toolkit)} MB/s; "
          f"curl: {', '.join(f'{SIZE / MB / s:.0f}' for s in curl)} MB/s")
    print(f"  CPU per 200 MB (median): toolkit {statistics.median(cpu['toolkit']):.2f} s, "
          f"curl {statistics.median(cpu['curl']):.2f} s")
    print(f"  peak RSS growth per toolkit download: "
          f"{', '.join(f'{g / 2**20:.1f}' for g in growth)} MiB "
          f"(ru_maxrss grew {maxrss_growth:.1f} MiB over the measured rounds)")
    return [
        at_least(f"4a. download throughput, toolkit ÷ curl ({ours:.0f} vs {theirs:.0f} MB/s)",
                 ratio, 0.8, "×", 2),
        info("4b. CPU per 200 MB download, toolkit / curl",
             f"{statistics.median(cpu['toolkit']):.2f} s / "
             f"{statistics.median(cpu['curl']):.2f} s"),
        at_most("4c. peak RSS growth during a 200 MB download", max(growth) / 2**20, 50, "MiB"),
    ]


if __name__ == "__main__":
    bench_main(run, "#4 download: 200 MB result to disk, toolkit vs curl")
