"""A hostile or broken server can neither hang the client nor swell it.

The client runs in a subprocess of its own (`_probe` below) so that its peak memory (VmHWM)
is its own; the server (`hostile_server.py`) trickles a record one byte per half second,
sends a 200 MB JSON body (with and without a length) and an event-stream line that never
ends. Each call must fail cleanly within its deadline, with a clear error, and the process's
peak memory must grow by less than 64 MB over all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from hostile_server import HostileServer

PEAK_GROWTH_LIMIT = 64 * 2**20
DEADLINE = 3.0

_PROBE = textwrap.dedent("""
    import asyncio, json, sys, time
    from seedance_widgets._transport.client import AsyncOxenClient
    from seedance_widgets._transport.retry import RetryPolicy

    def peak() -> int:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM")

    async def main(base_url: str, deadline: float) -> None:
        retry = RetryPolicy(attempts=2, timeout=60, wait_initial=0.05, wait_max=0.1)
        results = {}
        async with AsyncOxenClient(api_key="k", base_url=base_url, retry=retry,
                                   deadline=deadline) as client:
            await client.model_spec("bytedance-seedance-2-0-fast-text-to-video")
            baseline = peak()
            calls = {
                "trickle": lambda: client.get("trickle"),
                "huge": lambda: client.get("huge"),
                "huge-declared": lambda: client.get("huge-declared"),
                "endless-line": lambda: anext(client.completion_events()),
            }
            for name, call in calls.items():
                started = time.monotonic()
                try:
                    await call()
                    outcome = "no error"
                except Exception as exc:
                    outcome = f"{type(exc).__name__}: {exc}"
                results[name] = {"seconds": time.monotonic() - started, "error": outcome,
                                 "growth": peak() - baseline}
        print(json.dumps(results))

    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
""")


@pytest.mark.timeout(120)
def test_a_hostile_server_is_bounded_in_time_and_memory(capsys):
    with HostileServer() as server:
        probe = subprocess.run([sys.executable, "-c", _PROBE, server.base_url, str(DEADLINE)],
                               capture_output=True, text=True, timeout=100, check=False)
    assert probe.returncode == 0, probe.stderr
    results = json.loads(probe.stdout)
    with capsys.disabled():
        print("\nhostile server: call, seconds, peak memory growth, error")
        for name, row in results.items():
            print(f"  {name:<14} {row['seconds']:5.1f} s {row['growth'] / 2**20:6.1f} MB  "
                  f"{row['error'][:90]}")

    trickle = results["trickle"]  # two attempts, each cut by the whole-request deadline
    assert "NetworkError" in trickle["error"] and "deadline" in trickle["error"]
    assert trickle["seconds"] < 2 * DEADLINE + 3
    for name in ("huge", "huge-declared"):
        assert "MalformedResponseError" in results[name]["error"], results[name]
        assert "allowed" in results[name]["error"]
        assert results[name]["seconds"] < 2 * DEADLINE + 3
    endless = results["endless-line"]
    assert "ProtocolError: the event stream sent" in endless["error"]
    assert max(row["growth"] for row in results.values()) < PEAK_GROWTH_LIMIT
