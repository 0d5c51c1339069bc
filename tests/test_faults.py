"""Each injected fault, one at a time: what the wire shows, and what the client does about it."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from seedance_widgets._contract import (
    Status,
    VideoRequest,
)
from seedance_widgets._jobs.controller import Controller
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets._transport.retry import RetryPolicy
from seedance_widgets.errors import (
    APIError,
    DownloadError,
    EnqueueUnconfirmed,
    GenerationCancelled,
    GenerationFailed,
    NetworkError,
    NotFoundError,
    ProtocolError,
    ServerError,
)
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer
from seedance_widgets.simulator.__main__ import build_parser
from seedance_widgets.simulator.faults import EVENTS, FAIL_REASON, FAULTS, RESULTS, Faults
from seedance_widgets.simulator.store import RESULT_PATH

SMALL = {"resolution": "480p", "duration": 4, "aspect_ratio": "1:1"}
QUICK = RetryPolicy(attempts=4, timeout=30, wait_initial=0.02, wait_max=0.1, wait_jitter=0.02)
FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=30.0, stream_down=0.3)
ENQUEUE = "POST /api/ai/queue"
GET_ONE = "GET /api/ai/queue/{generation_id}"
LIST = "GET /api/ai/queue"
TIMEOUT = httpx.Timeout(1.0)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A simulator of this test's own (faults are global to a simulator)."""
    config = SimulatorConfig(queue_seconds=0.1, process_seconds=0.3, keepalive_seconds=0.5)
    config.faults.retry_after = 0.2
    config.faults.slow_seconds = 1.5
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
async def client(sim):
    async with AsyncOxenClient(api_key="sk-test", base_url=sim.base_url, retry=QUICK,
                               timeout=TIMEOUT) as c:
        yield c


def accepted(sim: SimulatorServer, prompt: str) -> list[str]:
    return [j.generation_id for j in sim.store.all() if j.params.get("prompt") == prompt]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def finished(sim: SimulatorServer, generation_id: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while sim.store.get(generation_id).status is not Status.SUCCEEDED:
        assert time.monotonic() < deadline, "the job did not finish"
        await asyncio.sleep(0.05)


# --- the plan ---------------------------------------------------------------------------------


def test_specs_parse_and_describe_themselves():
    faults = Faults.from_specs(["429=0.1", "reset-after=every:3,max=2,route=POST /api/ai/queue"])
    assert faults.describe() == ["429=0.1", "reset-after=every:3,max=2,route=POST /api/ai/queue"]
    for bad, message in [("nope=0.1", "unknown fault"), ("429", "NAME=TRIGGER"),
                         ("429=2", "between 0 and 1"), ("429=every:0", "at least 1"),
                         ("429=0.1,colour=red", "unknown option"), ("429=often", "429=often")]:
        with pytest.raises(ValueError, match=message):
            Faults().parse(bad)
    with pytest.raises(ValueError, match="exactly one"):
        Faults().set("429", rate=0.1, every=2)
    assert RESULTS == "GET " + RESULT_PATH  # the fault table names the real route


def test_every_max_routes_and_seed_are_deterministic():
    faults = Faults(seed=1)
    faults.set("500", every=3, max=2, routes=[GET_ONE])
    hits = [faults.trigger("500", GET_ONE) for _ in range(12)]
    assert hits == [False, False, True] * 2 + [False] * 6
    assert not faults.trigger("500", LIST)  # not on that route
    draws = []
    for _ in range(2):
        seeded = Faults(seed=7)
        seeded.set("429", rate=0.3)
        draws.append([seeded.trigger("429", LIST) for _ in range(50)])
    assert draws[0] == draws[1] and 5 < sum(draws[0]) < 25
    assert faults.injected()["500"] == 2 and set(faults.injected()) == set(FAULTS)


def test_cli_flags_build_the_plan():
    args = build_parser().parse_args(["--fault", "429=0.1", "--fault", "stuck=every:5",
                                      "--fault-seed", "3", "--fault-slow-seconds", "2"])
    faults = Faults.from_specs(args.fault, seed=args.fault_seed,
                               slow_seconds=args.fault_slow_seconds)
    assert faults.describe() == ["429=0.1", "stuck=every:5"] and faults.slow_seconds == 2
    with pytest.raises(SystemExit):
        from seedance_widgets.simulator.__main__ import main
        main(["--fault", "bogus=1"])


def test_the_plan_is_reachable_over_http(sim):
    with httpx.Client(base_url=sim.base_url.removesuffix("/api")) as http:
        answer = http.post("/_simulator/faults", json={"set": ["502=every:1,max=1"],
                                                        "retry_after": 0.5}).json()
        assert answer["plan"] == ["502=every:1,max=1"] and answer["retry_after"] == 0.5
        assert http.get("/api/ai/queue", headers={"Authorization": "Bearer k"}).status_code == 502
        assert http.get("/_simulator/faults").json()["injected"]["502"] == 1
        bad = http.post("/_simulator/faults", json={"set": ["502=often"]})
        assert bad.status_code == 400
        assert http.post("/_simulator/faults", json={"clear": True}).json()["plan"] == []


# --- what the wire shows ----------------------------------------------------------------------


async def test_each_request_fault_on_the_wire(sim):
    """Raw httpx: resets are real resets, `after` faults happen after the job was accepted."""
    body = {"model": "bytedance-seedance-2-0-fast-text-to-video", **SMALL}
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=TIMEOUT,
                                 headers={"Authorization": "Bearer k"}) as http:
        outcomes = {}
        for name in ("429", "500", "502", "503", "reset-before", "reset-after", "slow",
                     "malformed"):
            sim.faults.clear()
            sim.faults.set(name, every=1, max=1)
            try:
                response = await http.post("/ai/queue", json=body | {"prompt": name})
                outcomes[name] = (response.status_code, response.headers.get("retry-after"))
                if name == "malformed":
                    with pytest.raises(ValueError):
                        response.json()
            except httpx.HTTPError as exc:
                outcomes[name] = type(exc)
    assert outcomes == {
        "429": (429, "0.2"), "500": (500, None), "502": (502, None), "503": (503, "0.2"),
        "reset-before": httpx.ReadError, "reset-after": httpx.ReadError,
        "slow": httpx.ReadTimeout, "malformed": (200, None),
    }
    processed = {j.params["prompt"] for j in sim.store.all()}
    assert processed == {"500", "reset-after", "slow", "malformed"}
    # Tied to the job by its prompt, except where the body was never read.
    assert [e.subject for e in sim.faults.events] == [
        None if name == "reset-before" else name for name in outcomes]


async def test_result_faults_on_the_wire(sim, client, tmp_path):
    (first,) = await client.enqueue(VideoRequest("wire fox", **SMALL))
    await finished(sim, first.generation_id)
    url = (await client.get(first.generation_id)).result_url
    async with httpx.AsyncClient(timeout=TIMEOUT, auth=client.settings.auth) as http:
        sim.faults.set("download-cut", every=1, max=1)
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            await http.get(url)
        partial = await http.get(url, headers={"Range": "bytes=1000-"})
        assert partial.status_code == 206
        sim.faults.set("expired-url", every=1, max=1)
        assert (await http.get(url)).status_code == 403
        assert (await http.get(url)).status_code == 403  # until the record is read again
        fresh = (await client.get(first.generation_id)).result_url
        assert fresh != url and (await http.get(fresh)).status_code == 200


async def test_event_stream_faults_on_the_wire(sim):
    async with httpx.AsyncClient(base_url=sim.base_url, headers={"Authorization": "Bearer k"},
                                 timeout=httpx.Timeout(2.0)) as http:
        sim.faults.set("stream-refuse", every=1, max=2)
        with pytest.raises(httpx.ReadError):
            await http.get("/events")
        assert (await http.get("/events")).status_code == 503
        sim.faults.set("stream-drop", every=1, max=2)
        for ending in (httpx.RemoteProtocolError, httpx.ReadError):
            try:  # a clean end, then a reset
                async with http.stream("GET", "/events") as response:
                    assert response.status_code == 200
                    assert [line async for line in response.aiter_lines()] == []
                ended = httpx.RemoteProtocolError
            except httpx.ReadError:
                ended = httpx.ReadError
            assert ended is ending
    assert sim.faults.injected()["stream-drop"] == 2


# --- the client's policy, fault by fault ------------------------------------------------------


@pytest.mark.parametrize("fault", ["429", "500", "502", "503", "reset-before", "reset-after",
                                   "slow", "malformed"])
async def test_reads_retry_every_transient_fault(sim, client, fault):
    (first,) = await client.enqueue(VideoRequest(f"read {fault}", **SMALL))
    sim.faults.set(fault, every=1, max=2, routes=[GET_ONE])
    sim.reset_stats()
    started = time.monotonic()
    record = await client.get(first.generation_id)
    assert record.generation_id == first.generation_id
    assert sim.stats()[GET_ONE] == 3
    if fault in ("429", "503"):  # Retry-After (0.2 s) honoured, twice
        assert time.monotonic() - started >= 0.4


async def test_retries_are_bounded_with_a_clear_final_error(sim, client):
    (first,) = await client.enqueue(VideoRequest("bounded fox", **SMALL))
    sim.faults.set("reset-before", every=1, routes=[GET_ONE])
    sim.reset_stats()
    with pytest.raises(NetworkError, match=r"GET /ai/queue/\S+ failed after 4 attempts: "
                                           "ReadError") as info:
        await client.get(first.generation_id)
    assert isinstance(info.value.__cause__, httpx.ReadError)
    sim.faults.clear()
    sim.faults.set("502", every=1, routes=[GET_ONE])
    with pytest.raises(ServerError, match="HTTP 502") as info:
        await client.get(first.generation_id)
    assert any("gave up after 4 attempts" in note for note in info.value.__notes__)
    assert sim.stats()[GET_ONE] == 8
    sim.faults.clear()
    with pytest.raises(NotFoundError):  # a definite answer is not retried
        await client.get("no-such-generation")


@pytest.mark.parametrize("fault", ["429", "500", "503", "reset-after", "slow", "malformed"])
async def test_enqueue_survives_each_fault_and_never_pays_twice(sim, client, fault):
    prompt = f"enqueue {fault}"
    sim.faults.set(fault, every=1, max=1, routes=[ENQUEUE])
    sim.reset_stats()
    (generation,) = await client.enqueue(VideoRequest(prompt, **SMALL))
    assert accepted(sim, prompt) == [generation.generation_id]
    posts = sim.stats()[ENQUEUE]
    blind = fault in ("429", "503")  # refusals that cannot hide an accepted job: sent again
    assert posts == (2 if blind else 1), sim.stats()
    assert (sim.stats().get(LIST, 0) == 0) is blind


@pytest.mark.parametrize("fault", ["502", "reset-before"])
async def test_an_ambiguous_failure_is_never_sent_again(sim, client, fault):
    """Refused before processing, but nothing on the wire proves it: the queue is searched,
    lists nothing, and the request stays unconfirmed rather than risk a second payment."""
    prompt = f"ambiguous {fault}"
    sim.faults.set(fault, every=1, max=1, routes=[ENQUEUE])
    sim.reset_stats()
    with pytest.raises(EnqueueUnconfirmed, match="lists no generation") as info:
        await client.enqueue(VideoRequest(prompt, **SMALL))
    assert info.value.candidates == () and accepted(sim, prompt) == []
    assert sim.stats()[ENQUEUE] == 1 and sim.stats()[LIST] >= 1


async def test_enqueue_gives_up_rather_than_risk_paying_twice(sim, client):
    """Accepted, the answer lost, and the queue cannot be listed: no second POST."""
    sim.faults.set("reset-after", every=1, max=1, routes=[ENQUEUE])
    sim.faults.set("500", every=1, routes=[LIST])
    sim.reset_stats()
    with pytest.raises(EnqueueUnconfirmed, match="not sent again") as info:
        await client.enqueue(VideoRequest("unconfirmed fox", **SMALL))
    assert "ReadError" in str(info.value) and info.value.candidates is None
    assert sim.stats()[ENQUEUE] == 1 and len(accepted(sim, "unconfirmed fox")) == 1


async def test_identical_requests_in_flight_are_not_confused(sim, client):
    """Two takes of one request, both answers lost: each finds its own generation."""
    sim.faults.set("reset-after", every=1, max=2, routes=[ENQUEUE])
    request = VideoRequest("twin fox", **SMALL)
    results = await asyncio.gather(client.enqueue(request), client.enqueue(request))
    ids = [g.generation_id for (g,) in results]
    assert len(set(ids)) == 2 and sorted(ids) == sorted(accepted(sim, "twin fox"))


async def test_enqueue_to_a_closed_port_retries_then_says_so():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AsyncOxenClient(api_key="k", base_url=f"http://127.0.0.1:{port}/api",
                               retry=QUICK) as client:
        with pytest.raises(NetworkError, match="POST /ai/queue failed after 4 attempts: "
                                               "ConnectError"):
            await client.enqueue(VideoRequest("nowhere fox", **SMALL))


async def test_a_refused_enqueue_is_not_retried(sim):
    sim.reset_stats()
    async with AsyncOxenClient(api_key="", base_url=sim.base_url, retry=QUICK) as anonymous:
        with pytest.raises(APIError, match="HTTP 401"):
            await anonymous.enqueue(VideoRequest("who fox", **SMALL))
    assert sim.stats() == {ENQUEUE: 1}


async def test_downloads_resume_after_a_cut_and_renew_an_expired_url(sim, client, tmp_path):
    (first,) = await client.enqueue(VideoRequest("download fox", **SMALL))
    await finished(sim, first.generation_id)
    record = await client.get(first.generation_id)
    source = sim.store.result_path(first.generation_id)
    sim.faults.set("download-cut", every=1, max=2)
    sim.faults.set("expired-url", every=1, max=1)
    sim.reset_stats()
    ranges: list[str | None] = []

    async def remember_range(request: httpx.Request) -> None:
        if "/results/" in request.url.path:
            ranges.append(request.headers.get("range"))

    async def refresh() -> str:
        return (await client.get(first.generation_id)).result_url

    client._http.event_hooks["request"].append(remember_range)
    path = await client.download(record.result_url, tmp_path / "fox.mp4", refresh_url=refresh)
    assert sha(path) == sha(source) and not (tmp_path / "fox.mp4.part").exists()
    size = source.stat().st_size
    assert ranges[:2] == [None, None] and ranges[2] == f"bytes={size // 2}-"
    assert ranges[3] == f"bytes={size // 2 + (size - size // 2) // 2}-"
    assert sim.faults.injected()["download-cut"] == 2
    assert sim.faults.injected()["expired-url"] == 1
    assert sim.stats()["GET " + RESULT_PATH] == 4  # 403, cut, cut (resumed), resumed to the end


async def test_a_download_that_keeps_failing_leaves_no_result(sim, client, tmp_path):
    (first,) = await client.enqueue(VideoRequest("cut fox", **SMALL))
    await finished(sim, first.generation_id)
    record = await client.get(first.generation_id)
    sim.faults.set("download-cut", every=1)
    dest = tmp_path / "cut.mp4"
    with pytest.raises(NetworkError, match="failed after 4 attempts: RemoteProtocolError"):
        await client.download(record.result_url, dest)
    assert not dest.exists()
    part = tmp_path / "cut.mp4.part"
    assert 0 < part.stat().st_size < sim.store.result_path(first.generation_id).stat().st_size
    sim.faults.clear()
    assert sha(await client.download(record.result_url, dest)) == sha(
        sim.store.result_path(first.generation_id))


@pytest.mark.parametrize("served, announced, expect", [
    (b"x" * 500, 1000, "stopped at 500 of 1000 bytes"),
    (b"x" * 1500, 1000, "1500 bytes where 1000 were announced"),
    (b"", 0, "the result is empty"),
])
async def test_a_download_of_the_wrong_size_is_never_a_result(tmp_path, served, announced,
                                                              expect):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(announced)},
                              stream=httpx.ByteStream(served))

    async with AsyncOxenClient(api_key="k", base_url="http://127.0.0.1:9/api", retry=QUICK,
                               transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(DownloadError, match=expect):
            await client.download("http://127.0.0.1:9/api/results/x.mp4", tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


async def test_a_resume_from_the_wrong_offset_starts_over(tmp_path, small_mp4):
    data = small_mp4
    ranges = []

    def handler(request: httpx.Request) -> httpx.Response:
        ranges.append(request.headers.get("range"))
        if request.headers.get("range"):  # answers from 0 although asked from 100
            return httpx.Response(206, content=data,
                                  headers={"content-range": f"bytes 0-{len(data) - 1}/"
                                                            f"{len(data)}"})
        return httpx.Response(200, content=data)

    (tmp_path / "r.mp4.part").write_bytes(data[:100])
    async with AsyncOxenClient(api_key="k", base_url="http://127.0.0.1:9/api", retry=QUICK,
                               transport=httpx.MockTransport(handler)) as client:
        path = await client.download("http://127.0.0.1:9/api/r.mp4", tmp_path / "r.mp4")
    assert path.read_bytes() == data and ranges == ["bytes=100-", None]


async def test_a_result_url_that_is_not_http_is_refused(tmp_path):
    async with AsyncOxenClient(api_key="k", base_url="http://127.0.0.1:9/api") as client:
        for url in ("file:///etc/passwd", "ftp://127.0.0.1/x.mp4", ""):
            with pytest.raises(ProtocolError, match="result URL"):
                await client.download(url, tmp_path / "x.mp4")


# --- the event stream and whole jobs ----------------------------------------------------------


def controller_for(client: AsyncOxenClient, tmp_path: Path, **kwargs) -> Controller:
    return Controller(client, output_dir=tmp_path / "videos", policy=FAST,
                      ledger=Ledger(tmp_path / "ledger"), namespace="faults", **kwargs)


async def test_jobs_run_on_polling_alone_when_the_stream_never_connects(sim, client, tmp_path):
    sim.faults.set("stream-refuse", rate=1.0)
    controller = controller_for(client, tmp_path)
    for i in range(3):  # one after the other: `ready()` must not hold each up for 5 s
        started = time.monotonic()
        path = await asyncio.wait_for(controller.submit(VideoRequest(f"polled fox {i}",
                                                                     **SMALL)), 30)
        assert path.exists() and time.monotonic() - started < 4
    assert controller.hub.connections == 0
    assert sim.faults.injected()["stream-refuse"] >= 1
    await controller.aclose()


async def test_a_dropped_stream_reconnects_and_every_job_polls_once(tmp_path):
    """Every message is lost with the stream that was to carry it: only the poll each follower
    makes on reconnect can see the jobs end, long before any scheduled poll (30 s) would."""
    config = SimulatorConfig(queue_seconds=0.1, process_seconds=0.5, keepalive_seconds=30)
    slow_polls = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=30, stream_down=30)
    with SimulatorServer(config) as sim:
        async with AsyncOxenClient(api_key="k", base_url=sim.base_url, retry=QUICK,
                                   timeout=TIMEOUT) as client:
            controller = Controller(client, output_dir=tmp_path / "videos", policy=slow_polls)
            assert await controller.hub.ready()
            sim.faults.set("stream-drop", every=1)
            started = time.monotonic()
            jobs = [controller.submit(VideoRequest(f"drop fox {i}", **SMALL)) for i in range(2)]
            paths = await asyncio.wait_for(asyncio.gather(*jobs), 20)
            assert all(p.exists() for p in paths) and time.monotonic() - started < 10
            # Completion events were dropped with the stream (or sent while it was down).
            dropped = {e.subject for e in sim.faults.events}
            assert dropped & {j.generation_id for j in jobs}
            assert controller.hub.connections >= 3
            await controller.aclose()


async def test_a_stuck_job_is_cancelled_by_the_deadline(sim, client, tmp_path):
    sim.faults.set("stuck", every=1, max=1)
    controller = controller_for(client, tmp_path, deadline=2.0)
    job = controller.submit(VideoRequest("stuck fox", **SMALL))
    with pytest.raises(GenerationCancelled, match="deadline of 2s passed"):
        await asyncio.wait_for(job, 15)
    assert job.status == "cancelled" and "deadline" in job.error
    (server_job,) = sim.store.all()
    assert server_job.status is Status.CANCELLED
    assert Ledger(tmp_path / "ledger").record(job.generation_id).status == "cancelled"
    await controller.aclose()


async def test_a_server_side_failure_ends_the_job_with_its_reason(sim, client, tmp_path):
    sim.faults.set("fail", every=1, max=1)
    controller = controller_for(client, tmp_path)
    job = controller.submit(VideoRequest("failing fox", **SMALL))
    with pytest.raises(GenerationFailed, match=FAIL_REASON):
        await asyncio.wait_for(job, 15)
    assert job.status == "failed" and job.error == FAIL_REASON
    await controller.aclose()


def test_events_route_constant():
    assert EVENTS == "GET /api/events"
