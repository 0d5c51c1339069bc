"""Submission details that must hold in one process: remembered cancels, a ledger that fails
at the worst moment, results that went missing, and reconciliation's matching rules."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from media import small_mp4

from seedance_widgets._contract import (
    Status,
    VideoRequest,
)
from seedance_widgets._contract.echo import echo_matches
from seedance_widgets._contract.status import Generation
from seedance_widgets._jobs.controller import Controller
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets._transport.retry import RetryPolicy
from seedance_widgets._widget.views import job_view
from seedance_widgets.errors import (
    EnqueueUnconfirmed,
    GenerationCancelled,
    LedgerError,
)
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

SMALL = {"resolution": "480p", "duration": 4, "aspect_ratio": "1:1"}
FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)
QUICK = RetryPolicy(attempts=3, timeout=20, wait_initial=0.02, wait_max=0.1, wait_jitter=0.02)
ENQUEUE = "POST /api/ai/queue"
DELETE = "DELETE /api/ai/queue/{generation_id}"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(queue_seconds=0.3, process_seconds=0.5, keepalive_seconds=0.5)
    config.faults.slow_seconds = 1.5
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
async def client(sim) -> AsyncIterator[AsyncOxenClient]:
    async with AsyncOxenClient(api_key="sk-test", base_url=sim.base_url, retry=QUICK) as c:
        yield c


def controller_for(client: AsyncOxenClient, folder: Path) -> Controller:
    return Controller(client, output_dir=folder / "videos", policy=FAST,
                      ledger=Ledger(folder / "ledger"), namespace="submission")


def accepted(sim: SimulatorServer, prompt: str) -> list[str]:
    return [j.generation_id for j in sim.store.all() if j.params.get("prompt") == prompt]


async def until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


# --- a cancel during submission is remembered ------------------------------------------------


async def test_a_cancel_while_submitting_is_sent_when_the_id_arrives(sim, client, tmp_path):
    sim.config.queue_seconds = 3.0  # still queued when the held answer arrives
    sim.faults.set("slow", every=1, max=1, routes=[ENQUEUE])
    controller = controller_for(client, tmp_path)
    job = controller.submit(VideoRequest("cancel me while sending", **SMALL))
    await until(lambda: accepted(sim, "cancel me while sending"))  # accepted, answer held
    await controller.cancel(job)
    assert job.cancel_requested and job.status == "submitting"
    assert job_view(job)["cancel_requested"] is True
    with pytest.raises(GenerationCancelled):
        await asyncio.wait_for(job, 20)
    (paid,) = accepted(sim, "cancel me while sending")
    assert job.generation_id == paid and job.status == "cancelled"
    assert sim.store.get(paid).status is Status.CANCELLED and sim.stats()[DELETE] == 1
    assert controller.ledger.record(paid).status == "cancelled"
    await controller.aclose()


async def test_a_cancel_that_comes_too_late_says_so(sim, client, tmp_path):
    sim.faults.slow_seconds = 2.5  # longer than the whole job: it succeeds before the answer
    sim.faults.set("slow", every=1, max=1, routes=[ENQUEUE])
    controller = controller_for(client, tmp_path)
    job = controller.submit(VideoRequest("too late to cancel", **SMALL))
    await until(lambda: accepted(sim, "too late to cancel"))
    await controller.cancel(job)
    path = await asyncio.wait_for(job, 20)
    assert path.is_file() and job.status == "succeeded"
    assert job.notice == "finished before the cancel arrived" and sim.stats()[DELETE] == 1
    await controller.aclose()


async def test_a_cancel_before_sending_sends_nothing(sim, client, tmp_path):
    controller = Controller(client, output_dir=tmp_path / "v", policy=FAST, concurrency=1,
                            ledger=Ledger(tmp_path / "l"), namespace="submission")
    sim.faults.set("slow", every=1, max=1, routes=[ENQUEUE])
    first = controller.submit(VideoRequest("holds the only slot", **SMALL))
    waiting = controller.submit(VideoRequest("never sent", **SMALL))
    await controller.cancel(waiting)
    assert waiting.status == "cancelled" and "before it was submitted" in waiting.error
    await asyncio.wait_for(first, 20)
    assert accepted(sim, "never sent") == []
    await controller.aclose()


async def test_a_burst_of_submissions_writes_one_intent_per_loop_step(sim, client, tmp_path,
                                                                       monkeypatch):
    """200 jobs submitted at once must not hold the notebook while 200 intents are written:
    each claim happens in a loop step of its own, and each is marked sent in that step."""
    step = 0

    def tick() -> None:
        nonlocal step
        step += 1
        loop.call_soon(tick)

    steps: list[tuple[str, int]] = []
    for method in ("claim", "sending"):
        original = getattr(Ledger, method)

        def recording(self, *args, _original=original, _method=method, **kwargs):
            steps.append((_method, step))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Ledger, method, recording)
    loop = asyncio.get_running_loop()
    loop.call_soon(tick)
    controller = controller_for(client, tmp_path)
    jobs = [controller.submit(VideoRequest(f"burst {i}", **SMALL)) for i in range(12)]
    await until(lambda: sum(m == "sending" for m, _ in steps) == 12)
    claims = [n for m, n in steps if m == "claim"]
    assert len(claims) == 12 and len(set(claims)) == 12, steps
    sent = [n for m, n in steps if m == "sending"]
    assert sent == claims  # marked sent in the very step its intent was written
    await asyncio.wait_for(asyncio.gather(*jobs), 60)
    await controller.aclose()


def test_the_ledger_reopens_after_a_sqlite_error(tmp_path):
    """The kept connection is dropped when SQLite fails, so a ledger whose disk recovered
    works again without a restart."""
    ledger = Ledger(tmp_path)
    ledger.status("k1", "g1", "queued")
    broken = ledger._db
    broken.close()  # as a connection whose file went away would fail
    with pytest.raises(LedgerError):
        ledger.status("k1", "g1", "processing")
    ledger.status("k1", "g1", "processing")
    with sqlite3.connect(ledger.path) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 2
    assert ledger._db is not broken


# --- the ledger fails --------------------------------------------------------------------------


def _failing_once(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """Make `Ledger.<method>` fail once as a full disk would."""
    original = getattr(Ledger, method)
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(method)
        if len(calls) == 1:
            raise LedgerError(self.path, "written",
                              sqlite3.OperationalError("database or disk is full"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, method, failing)


async def test_a_full_disk_before_the_intent_refuses_before_paying(sim, client, tmp_path,
                                                                   monkeypatch):
    _failing_once(monkeypatch, "claim")
    controller = controller_for(client, tmp_path)
    job = controller.submit(VideoRequest("no room for the intent", **SMALL))
    with pytest.raises(LedgerError, match=r"ledger\.sqlite3 could not be written .*disk is full"
                                          ".*free some space"):
        await asyncio.wait_for(job, 20)
    assert job.status == "error" and "ledger.sqlite3" in job.error
    assert ENQUEUE not in sim.stats()
    await controller.aclose()


async def test_a_full_disk_after_acceptance_loses_no_id(sim, client, tmp_path, monkeypatch):
    _failing_once(monkeypatch, "confirm")
    controller = controller_for(client, tmp_path)
    job = controller.submit(VideoRequest("no room for the id", **SMALL))
    path = await asyncio.wait_for(job, 20)  # the paid job is still followed and downloaded
    (paid,) = accepted(sim, "no room for the id")
    assert path.is_file() and job.generation_id == paid
    assert "disk is full" in job.notice and job.intent_id in job.notice
    assert controller.ledger.record(paid) is None  # not recorded ...
    await controller.aclose()

    later = controller_for(client, tmp_path)  # ... until the next resume reconciles it
    (resumed,) = await later.resume()
    assert await asyncio.wait_for(resumed, 20) == path
    assert later.ledger.record(paid).intent_id == job.intent_id
    assert accepted(sim, "no room for the id") == [paid]
    await later.aclose()


# --- a paid result that went missing is fetched again, never paid again -----------------------


@pytest.mark.parametrize("damage", ["delete", "truncate", "corrupt"])
async def test_a_missing_video_is_fetched_again_from_the_same_generation(sim, client, tmp_path,
                                                                         damage):
    controller = controller_for(client, tmp_path)
    request = VideoRequest(f"a video that goes missing ({damage})", **SMALL)
    path = await asyncio.wait_for(controller.submit(request), 20)
    whole = path.read_bytes()
    if damage == "delete":
        path.unlink()
    elif damage == "truncate":
        path.write_bytes(whole[: len(whole) // 3])
    else:
        path.write_bytes(whole[:100] + bytes(len(whole) - 100))
    controller.jobs.clear()
    sim.reset_stats()
    again = controller.submit(request)
    assert await asyncio.wait_for(again, 20) == path and path.read_bytes() == whole
    assert ENQUEUE not in sim.stats() and "fetched again" in again.notice
    assert not again.cached
    await controller.aclose()


async def test_a_cut_download_without_a_length_is_never_a_result(tmp_path):
    whole = small_mp4()
    served = []

    def handler(request: httpx.Request) -> httpx.Response:
        cut = not served
        served.append(cut)
        body = whole[: len(whole) // 3] if cut else whole
        return httpx.Response(200, stream=httpx.ByteStream(body))  # no Content-Length

    async with AsyncOxenClient(api_key="k", base_url="http://127.0.0.1:9/api", retry=QUICK,
                               transport=httpx.MockTransport(handler)) as client:
        path = await client.download("http://127.0.0.1:9/api/r.mp4", tmp_path / "r.mp4")
    assert served == [True, False] and path.read_bytes() == whole


# --- matching a lost enqueue -------------------------------------------------------------------


def test_an_echo_matches_after_normalising():
    request = VideoRequest("  a heron\\n in the reeds\n", resolution="480p", duration=-1,
                           aspect_ratio="adaptive")
    echoed = Generation("g", Status.QUEUED, model_name=request.model,
                        prompt="a heron\\n in the reeds",
                        params={"duration": 5, "aspect_ratio": "16:9", "resolution": "480p",
                                "generate_audio": False})
    assert echo_matches(request, echoed)
    for different in ({"resolution": "720p"}, {"generate_audio": True}):
        other = Generation("g", Status.QUEUED, model_name=request.model,
                           prompt=echoed.prompt, params={**echoed.params, **different})
        assert not echo_matches(request, other)
    assert not echo_matches(request, Generation("g", Status.QUEUED, model_name=request.model,
                                                prompt="a heron", params={}))
    assert not echo_matches(request, Generation("g", Status.QUEUED, model_name="other-model",
                                                prompt=echoed.prompt))


async def test_a_normalising_echo_still_finds_the_lost_job(sim, client, tmp_path):
    """The service echoes `duration: -1` as the 5 s it rendered and trims the prompt; the
    answer to the enqueue is lost after acceptance. The job is found, not paid again."""
    sim.faults.set("echo-normalised", every=1)
    sim.faults.set("reset-after", every=1, max=1, routes=[ENQUEUE])
    controller = controller_for(client, tmp_path)
    prompt = "  a heron in the reeds, auto length\n"
    job = controller.submit(VideoRequest(prompt, **{**SMALL, "duration": -1}))
    path = await asyncio.wait_for(job, 20)
    (paid,) = accepted(sim, prompt)
    assert job.generation_id == paid and path.is_file()
    assert sim.stats()[ENQUEUE] == 1
    assert controller.ledger.record(paid).intent_id == job.intent_id
    await controller.aclose()


async def test_an_unknown_status_in_the_answer_keeps_the_id(sim, client, tmp_path):
    sim.faults.set("status-unknown", every=1, max=1, routes=[ENQUEUE])
    controller = controller_for(client, tmp_path)
    job = controller.submit(VideoRequest("a pending fox", **SMALL))
    path = await asyncio.wait_for(job, 20)
    (paid,) = accepted(sim, "a pending fox")
    assert job.generation_id == paid and path.is_file() and sim.stats()[ENQUEUE] == 1
    assert controller.ledger.record(paid).status == "succeeded"
    await controller.aclose()


async def test_reconciliation_waits_for_a_rival_take_in_flight(sim, client, tmp_path):
    """Two takes of one request in one controller; take 2's answer is lost while take 1's is
    still on the wire. Take 2 waits for take 1 to settle, then adopts its own job."""
    controller = controller_for(client, tmp_path)
    request = VideoRequest("two takes, one lost", **SMALL)
    sim.faults.set("slow", every=1, max=1, routes=[ENQUEUE])
    one = controller.submit(request, take=1)
    await until(lambda: accepted(sim, "two takes, one lost"))
    sim.faults.set("reset-after", every=1, max=1, routes=[ENQUEUE])
    two = controller.submit(request, take=2)
    await asyncio.wait_for(asyncio.gather(one, two), 30)
    paid = accepted(sim, "two takes, one lost")
    assert sorted([one.generation_id, two.generation_id]) == sorted(paid)
    assert one.generation_id != two.generation_id
    await controller.aclose()


async def test_an_unconfirmed_job_can_be_adopted_or_paid_anew(sim, client, tmp_path):
    controller = controller_for(client, tmp_path)
    request = VideoRequest("refused before processing", **SMALL)
    sim.faults.set("502", every=1, max=1, routes=[ENQUEUE])
    job = controller.submit(request)
    with pytest.raises(EnqueueUnconfirmed) as info:
        await asyncio.wait_for(job, 20)
    assert job.status == "unconfirmed" and job.candidates == () and info.value.intent_id
    assert accepted(sim, "refused before processing") == []
    assert controller.submit(request) is job  # no new payment without the say-so
    again = controller.submit(request, resubmit=True)
    assert again.id == job.id
    await asyncio.wait_for(again, 20)
    assert len(accepted(sim, "refused before processing")) == 1
    intents = controller.ledger.intents("submission")
    assert [i.phase for i in intents] == ["abandoned", "confirmed"]
    await controller.aclose()
