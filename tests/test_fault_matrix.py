"""The fault matrix: a batch of jobs against a simulator with every fault enabled at once.

Done when every job ends succeeded, failed with the server's reason, or cancelled by the
deadline; no generation id is missing from the ledger; no request was accepted twice; every
video on disk is complete. The table of faults injected and survived is printed.

A failure that hides whether the enqueue was accepted (a 502, a reset before the answer)
with nothing listed leaves the job `unconfirmed`: the toolkit will not risk a second payment.
The test then does what its user would: with no candidate, say "pay anew" (`resubmit=True`),
after checking that nothing had in fact been accepted; with candidates (a resubmission whose
own answer was lost, beside the abandoned first attempt), adopt one, after checking it is
this job's.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import pytest

from seedance_widgets._contract import VideoRequest
from seedance_widgets._jobs.controller import Controller
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._jobs.job import Job
from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets._transport.retry import RetryPolicy
from seedance_widgets.errors import (
    EnqueueUnconfirmed,
    GenerationCancelled,
    GenerationFailed,
)
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer
from seedance_widgets.simulator.faults import FAIL_REASON, FAULTS, Faults

JOBS = 56
WORKERS = 10
DEADLINE = 25.0  # seconds; only a stuck job should ever reach it
SEED = int(os.environ.get("FAULT_MATRIX_SEED", "20260801"))  # another seed, another draw
PLAN = [
    "429=0.04",
    "500=0.03",
    "502=0.03",
    "503=0.03",
    "reset-before=0.03",
    "reset-after=0.03",
    "slow=0.012",
    "malformed=0.03",
    "stream-drop=0.25",
    "stream-refuse=every:3",
    "stuck=every:14",
    "fail=every:9",
    "expired-url=0.15",
    "download-cut=0.15",
    "502-after=0.03",
    "status-unknown=every:15",
    "echo-normalised=0.3",
]
PARAMS = {"resolution": "480p", "duration": 4, "aspect_ratio": "16:9"}


def params_of(index: int) -> dict[str, object]:
    """Every third job lets the model choose its length, which a normalising echo reports
    as the seconds rendered (5)."""
    return {**PARAMS, "duration": -1} if index % 3 == 0 else PARAMS


@dataclass
class Outcome:
    prompt: str
    job: Job
    result: Path | BaseException
    seconds: float


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(240)
async def test_a_batch_survives_every_fault_at_once(tmp_path, api_key, capsys):
    faults = Faults.from_specs(PLAN, seed=SEED, retry_after=0.3, slow_seconds=2.5)
    assert {spec.split("=")[0] for spec in PLAN} == set(FAULTS)  # every fault, none left out
    config = SimulatorConfig(queue_seconds=0.2, process_seconds=0.4, keepalive_seconds=0.5,
                             api_key=api_key, faults=faults)
    retry = RetryPolicy(attempts=8, timeout=60, wait_initial=0.05, wait_max=1.0,
                        wait_jitter=0.1)
    policy = FollowPolicy(queued_first=0.2, queued_max=0.5, processing=2.0, stream_down=0.5)
    # Odd jobs' prompts end in white space, which a normalising echo trims.
    prompts = [f"fault matrix job {i:02d}, take 1: a paper boat on a rainy street"
               + ("\n " if i % 2 else "")
               for i in range(JOBS)]
    out = tmp_path / "videos"
    started = time.monotonic()

    with SimulatorServer(config) as sim:
        async with AsyncOxenClient(api_key=api_key, base_url=sim.base_url, retry=retry,
                                   timeout=httpx.Timeout(2.0)) as client:
            controller = Controller(client, output_dir=out, policy=policy, concurrency=WORKERS,
                                    ledger=Ledger(tmp_path / "ledger"),
                                    namespace="fault-matrix", deadline=DEADLINE)
            todo = list(reversed(prompts))
            outcomes: list[Outcome] = []
            settled: list[tuple[str, EnqueueUnconfirmed, set[str]]] = []

            async def worker() -> None:
                # One job at a time per worker: the deadline clock starts at submit.
                while todo:
                    prompt = todo.pop()
                    begun = time.monotonic()
                    request = VideoRequest(prompt, **params_of(prompts.index(prompt)))
                    job = controller.submit(request)
                    result: Path | BaseException = await job.outcome()
                    for _ in range(3):  # what the user does with an unconfirmed job
                        if not isinstance(result, EnqueueUnconfirmed):
                            break
                        taken = {j.generation_id for j in sim.store.all()
                                 if j.params.get("prompt") == prompt}
                        settled.append((prompt, result, taken))
                        if result.candidates:
                            job = controller.adopt(job, result.candidates[0])
                        else:
                            job = controller.submit(request, resubmit=True)  # the say-so
                        result = await job.outcome()
                    outcomes.append(Outcome(prompt, job, result, time.monotonic() - begun))

            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(WORKERS))), 200)
            streams = (controller.hub.connections, sim.stats().get("GET /api/events", 0))
            await controller.aclose()
        server_jobs = sim.store.all()
        sources = {j.generation_id: sim.store.result_path(j.generation_id) for j in server_jobs}
        source_sums = {gid: sha256(p) for gid, p in sources.items() if p is not None}
        events = faults.events
        requests = sum(sim.stats().values())
    elapsed = time.monotonic() - started

    # --- judge every job ------------------------------------------------------------------
    by_prompt = {o.prompt: o for o in outcomes}
    by_gid = {o.job.generation_id: o for o in outcomes if o.job.generation_id}
    stuck = {e.subject for e in events if e.fault == "stuck"}
    failing = {e.subject for e in events if e.fault == "fail"}
    ledger = {r.generation_id: r for r in Ledger(tmp_path / "ledger").records()}
    server = {j.generation_id: j for j in server_jobs}
    problems: dict[str, list[str]] = {}

    def problem(outcome: Outcome, text: str) -> None:
        problems.setdefault(outcome.prompt, []).append(text)

    for o in outcomes:
        gid, status = o.job.generation_id, o.job.status
        if gid is None or gid not in server:
            problem(o, f"no accepted generation (status {status}: {o.result!r})")
            continue
        if str(server[gid].status) != status:
            problem(o, f"local status {status}, server {server[gid].status}")
        if gid not in ledger or ledger[gid].status != status:
            problem(o, f"ledger says {ledger.get(gid) and ledger[gid].status}")
        if gid in stuck:
            if not (status == "cancelled" and isinstance(o.result, GenerationCancelled)
                    and "deadline" in str(o.result) and "deadline" in (o.job.error or "")):
                problem(o, f"stuck job not cancelled by the deadline: {status} {o.result!r}")
        elif gid in failing:
            if not (status == "failed" and isinstance(o.result, GenerationFailed)
                    and o.job.error == FAIL_REASON and FAIL_REASON in str(o.result)):
                problem(o, f"failed job lost the server's reason: {status} {o.result!r}")
        elif status != "succeeded" or not isinstance(o.result, Path):
            problem(o, f"ended {status}: {o.result!r}")
        else:
            path = o.result
            if not path.is_file() or sha256(path) != source_sums.get(gid):
                problem(o, f"video {path.name} is not the complete result")
            elif ledger[gid].size != path.stat().st_size or ledger[gid].checksum != sha256(path):
                problem(o, "ledger size/checksum differ from the file")

    for prompt, unsure, taken in settled:
        if unsure.candidates is None or not set(unsure.candidates) <= taken \
                or (not unsure.candidates and taken):
            problems.setdefault(prompt, []).append(
                f"left unconfirmed with candidates {unsure.candidates}; accepted: {taken}")

    accepted = Counter(j.params.get("prompt") for j in server_jobs)
    twice = {p: n for p, n in accepted.items() if n > 1}
    lost = sorted(set(server) - set(ledger))
    on_disk = sorted(p.name for p in out.iterdir()) if out.exists() else []
    expected_files = sorted(o.result.name for o in outcomes if isinstance(o.result, Path))
    batch_ok = (len(outcomes) == JOBS and not problems and not twice and not lost
                and set(accepted) == set(prompts) and on_disk == expected_files)

    # --- the table: an injection is survived when the job it hit ended as it should (or,
    # for one no job can be blamed for, when the whole batch did) ---------------------------
    rows = []
    for name in FAULTS:
        hits = [e for e in events if e.fault == name]
        jobs_hit = {o.prompt for e in hits
                    if (o := by_gid.get(e.subject) or by_prompt.get(e.subject)) is not None}
        survived = sum(
            (o.prompt not in problems) if (o := by_gid.get(e.subject)
                                           or by_prompt.get(e.subject)) else batch_ok
            for e in hits)
        on_enqueue = sum(e.route == "POST /api/ai/queue" for e in hits)
        rows.append((name, len(hits), on_enqueue, len(jobs_hit), survived))
    ends = Counter(o.job.status for o in outcomes)
    table = [f"\nfault matrix: {len(outcomes)} jobs in {elapsed:.0f} s, "
             f"{', '.join(f'{n} {s}' for s, n in sorted(ends.items()))}; "
             f"{sum(r[1] for r in rows)} faults injected in {requests} requests (seed {SEED})",
             f"{'fault':<14} {'injected':>8} {'on enqueue':>10} {'jobs hit':>8} {'survived':>8}",
             f"{'-' * 14} {'-' * 8} {'-' * 10} {'-' * 8} {'-' * 8}"]
    table += [f"{name:<14} {n:>8} {enq:>10} {jobs:>8} {ok:>8}"
              for name, n, enq, jobs, ok in rows]
    slowest = max((o.seconds for o in outcomes if o.job.generation_id not in stuck), default=0)
    table.append(f"left unconfirmed: {len(settled)} times; then paid anew on request "
                 f"(nothing accepted): {sum(not u.candidates for _, u, _ in settled)}, "
                 f"adopted a listed candidate: {sum(bool(u.candidates) for _, u, _ in settled)}")
    table.append(f"duplicate enqueues: {len(twice)}; ids missing from the ledger: {len(lost)}; "
                 f"slowest job not stuck: {slowest:.1f} s (deadline {DEADLINE:g} s); "
                 f"event stream opened {streams[0]} times in {streams[1]} attempts")
    with capsys.disabled():
        print("\n".join(table))

    assert not problems, problems
    assert len(outcomes) == JOBS and set(accepted) == set(prompts), "a job was never accepted"
    assert not twice, f"enqueued twice: {twice}"
    assert not lost, f"generation ids missing from the ledger: {lost}"
    assert on_disk == expected_files, "a file on disk is not a finished result (.part?)"
    for name, injected, _enqueue, _jobs, survived in rows:
        assert injected > 0, f"{name} was never injected"
        assert survived == injected, name
    assert len(stuck) >= 2 and len(failing) >= 2
    some = next(o.result for o in outcomes if isinstance(o.result, Path)
                and o.job.request.params["duration"] == 4)
    with av.open(str(some)) as container:  # a complete file decodes to its last frame
        assert sum(1 for _ in container.decode(video=0)) == 4 * 24
