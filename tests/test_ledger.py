"""The ledger, the cache and resume: nothing paid for is lost or paid twice."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from seedance_widgets._contract import VideoRequest
from seedance_widgets._jobs.controller import Controller
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._jobs.holders import Holder
from seedance_widgets._jobs.ledger import Ledger, cache_key, request_key
from seedance_widgets._jobs.session import Session
from seedance_widgets._transport.client import AsyncOxenClient

FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)
SMALL = {"resolution": "480p", "duration": 4, "aspect_ratio": "1:1"}


@pytest.fixture
async def controller(simulator, api_key, tmp_path):
    async with AsyncOxenClient(api_key=api_key, base_url=simulator.base_url) as client:
        made = Controller(client, output_dir=tmp_path / "videos", policy=FAST,
                          ledger=Ledger(tmp_path / "ledger"), namespace="test")
        yield made
        await made.aclose()


def paid(ledger: Ledger, key: str, generation_id: str, holder: Holder | None = None,
         prompt: str = "p") -> None:
    """Record `generation_id` as the answer to a new intent for `key`."""
    claim = ledger.claim(key=key, request=request_key(key, "n"), namespace="n", model="m",
                         params={"prompt": prompt}, take=1, holder=holder or Holder.new())
    ledger.sending(claim.intent)
    ledger.confirm(claim.intent, [generation_id], "answer")
    ledger.status(key, generation_id, "failed")  # so the next claim of `key` is fresh


def _write_entries(folder: str, worker: int, count: int) -> None:
    ledger = Ledger(folder)
    holder = Holder.new()
    for i in range(count):
        paid(ledger, f"key-{worker}", f"gen-{worker}-{i}", holder)


def test_two_processes_write_at_once_and_nothing_is_lost(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_entries, args=(str(tmp_path), w, 150))
               for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    ids = {r.generation_id for r in Ledger(tmp_path).records()}
    assert ids == {f"gen-{w}-{i}" for w in range(2) for i in range(150)}


def test_a_damaged_video_is_not_intact(tmp_path):
    ledger = Ledger(tmp_path)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"0" * 1000)
    key = cache_key("{}", 1, "n")
    paid(ledger, key, "g1")
    ledger.status(key, "g1", "succeeded")
    ledger.video(key, "g1", video)
    assert ledger.record("g1").video_intact()
    os.utime(video, ns=(0, 0))  # same size, another time: the checksum decides
    assert ledger.record("g1").video_intact()
    video.write_bytes(b"1" * 1000)
    assert not ledger.record("g1").video_intact()
    video.unlink()
    assert not ledger.record("g1").video_intact()
    assert [r.generation_id for r in ledger.unfinished()] == []


async def test_same_request_and_take_is_served_from_disk_with_zero_requests(controller,
                                                                          simulator):
    request = VideoRequest("a cached lighthouse", **SMALL)
    first = controller.submit(request)
    path = await asyncio.wait_for(first, 30)
    record = controller.ledger.record(first.generation_id)
    assert record.status == "succeeded" and record.video_path == str(path)
    assert "sk-" not in controller.ledger.path.read_bytes().decode("latin-1")

    controller.jobs.clear()
    simulator.reset_stats()
    again = controller.submit(request)
    assert await asyncio.wait_for(again, 5) == path
    assert again.cached and again.generation_id == first.generation_id
    assert simulator.stats() == {}

    new_take = Session(controller).new_take(again)
    assert new_take.take == 2
    other = await asyncio.wait_for(new_take, 30)
    assert other != path and simulator.stats()["POST /api/ai/queue"] == 1


async def test_id_is_in_the_ledger_before_the_job_finishes(controller, simulator):
    simulator.config.queue_seconds = 1.5
    try:
        job = controller.submit(VideoRequest("an early record", **SMALL))
        while job.generation_id is None:
            await asyncio.sleep(0.02)
        record = controller.ledger.record(job.generation_id)
        assert record is not None and record.status in ("queued", "processing")
        await asyncio.wait_for(job, 30)
    finally:
        simulator.config.queue_seconds = 0.2


async def test_eta_is_learned_from_past_durations(controller):
    request = VideoRequest("eta one", **SMALL)
    await asyncio.wait_for(controller.submit(request), 30)
    assert controller.eta.estimate(request.replace(prompt="eta two")) > 0


async def test_deadline_cancels_on_the_server_and_says_so(simulator, api_key, tmp_path):
    simulator.config.queue_seconds = 5.0
    try:
        async with AsyncOxenClient(api_key=api_key, base_url=simulator.base_url) as client:
            controller = Controller(client, output_dir=tmp_path, policy=FAST, deadline=0.8,
                                    ledger=Ledger(tmp_path / "l"), namespace="t")
            job = controller.submit(VideoRequest("too slow", **SMALL))
            with pytest.raises(Exception, match="deadline"):
                await asyncio.wait_for(job, 10)
            assert job.status == "cancelled" and "deadline" in job.error
            assert (await client.get(job.generation_id)).status == "cancelled"
            assert controller.ledger.record(job.generation_id).status == "cancelled"
            await controller.aclose()
    finally:
        simulator.config.queue_seconds = 0.2


KERNEL_SETUP = """
import asyncio, os
from seedance_widgets import Studio
from seedance_widgets._jobs.follower import FollowPolicy
studio = Studio(ledger={ledger!r}, output_dir={videos!r},
                policy=FollowPolicy(0.1, 0.3, 5.0, 0.3))
"""


def _execute(client, code: str, timeout: float = 60) -> str:
    msg_id = client.execute(code)
    output = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            output.append(content["text"])
        elif kind == "error":
            raise AssertionError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(output)
    raise AssertionError("kernel did not finish in time")


def test_a_killed_kernel_loses_nothing(simulator, api_key, tmp_path):
    ledger_dir, videos = str(tmp_path / ".seedance"), str(tmp_path / "videos")
    env = {**os.environ, "OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url}
    setup = KERNEL_SETUP.format(ledger=ledger_dir, videos=videos)
    simulator.config.queue_seconds = 4.0
    try:
        manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
        _execute(client, setup + textwrap.dedent("""
            job = studio.generate(prompt="a lighthouse in a storm", resolution="480p",
                                  duration=4)
            while job.generation_id is None:
                await asyncio.sleep(0.05)
            print(job.generation_id)
        """))
        (paid,) = [r.generation_id for r in Ledger(ledger_dir).records()]
        client.stop_channels()
        process = manager.provisioner.process
        process.kill()  # SIGKILL mid-job: the generation is still queued on the server
        process.wait(10)
        assert Ledger(ledger_dir).record(paid).status == "queued"
    finally:
        simulator.config.queue_seconds = 0.2

    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:
        simulator.reset_stats()
        out = _execute(client, setup + textwrap.dedent("""
            for _ in range(300):
                if studio.jobs and studio.jobs[0]["video"]:
                    break
                await asyncio.sleep(0.1)
            print(studio.jobs[0]["generation_id"], studio.jobs[0]["status"],
                  studio.jobs[0]["video"])
        """))
        assert out.split() == [paid, "succeeded", f"{paid}.mp4"]
        assert Path(videos, f"{paid}.mp4").stat().st_size > 1000
        assert Ledger(ledger_dir).record(paid).status == "succeeded"
        assert "POST /api/ai/queue" not in simulator.stats()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_cli_lists_the_ledger(tmp_path, simulator, api_key):
    import subprocess

    env = {**os.environ, "OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url}
    cli = [sys.executable, "-m", "seedance_widgets"]
    made = subprocess.run([*cli, "generate", "a listed fox", "--resolution", "480p",
                           "--duration", "4"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([*cli, "ls"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, check=False)
    assert listed.returncode == 0, listed.stderr
    assert "a listed fox" in listed.stdout and "succeeded" in listed.stdout
    again = subprocess.run([*cli, "generate", "a listed fox", "--resolution", "480p",
                            "--duration", "4"], env=env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=120, check=False)
    assert again.returncode == 0 and "cached" in again.stderr


def test_ls_shows_an_enqueue_interrupted_before_its_id_was_known(tmp_path):
    import subprocess

    ledger = Ledger(tmp_path / ".seedance")
    gone = Holder(Holder.new().host, pid=2**22 + 7, started="1", token="gone")  # no such process
    lost = ledger.claim(key="k1", request=request_key("k1", "n"), namespace="n", model="m",
                        params={"prompt": "lost in transit"}, take=1, holder=gone).intent
    ledger.sending(lost)
    paid(ledger, "k2", "g2", prompt="made it")
    listed = subprocess.run([sys.executable, "-m", "seedance_widgets", "ls"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            check=True)
    assert "g2" in listed.stdout and "'made it'" in listed.stdout
    (unconfirmed,) = [line for line in listed.stdout.splitlines() if "no id" in line]
    assert "'lost in transit'" in unconfirmed and lost.intent_id in unconfirmed
    assert f"seedance adopt {lost.intent_id}" in unconfirmed


def test_a_version_1_ledger_is_migrated_through_every_version(tmp_path):
    """A ledger from before intents: its recorded generation becomes a confirmed intent, its
    interrupted enqueue an unresolved one to reconcile; the intent entry written before the
    recorded generation is not mistaken for a second, interrupted one."""
    import json
    import sqlite3

    with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
        db.executescript("""
            CREATE TABLE entries (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,
              kind TEXT NOT NULL, cache_key TEXT NOT NULL, generation_id TEXT,
              data TEXT NOT NULL);""")
        made = {"model": "m", "take": 1, "params": {"prompt": "made it"}}
        lost = {"model": "m", "take": 1, "params": {"prompt": "lost in transit"}}
        rows = [(1.0, "intent", "k-made", None, made),
                (2.0, "submitted", "k-made", "g-made", {**made, "namespace": "n"}),
                (3.0, "intent", "k-lost", None, lost)]
        db.executemany("INSERT INTO entries (at, kind, cache_key, generation_id, data) "
                       "VALUES (?, ?, ?, ?, ?)",
                       [(at, kind, key, gid, json.dumps(data)) for at, kind, key, gid, data
                        in rows])
    ledger = Ledger(tmp_path)
    again = Ledger(tmp_path)  # a second open migrates nothing twice
    intents = {i.cache_key: i for i in again.intents()}
    assert sorted(intents) == ["k-lost", "k-made"] and len(ledger.intents()) == 2
    assert intents["k-made"].phase == "confirmed"
    assert intents["k-made"].generation_id == "g-made"
    assert intents["k-lost"].phase == "sending" and intents["k-lost"].unresolved
    assert ledger.record("g-made").intent_id == intents["k-made"].intent_id
