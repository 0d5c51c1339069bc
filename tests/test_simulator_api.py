"""The simulator's HTTP API, over real loopback HTTP, against the documented contract."""

from __future__ import annotations

import asyncio
import base64
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse

from seedance_widgets.simulator import SimulatorServer

FAST = "bytedance-seedance-2-0-fast-text-to-video"
FULL = "bytedance-seedance-2-0-text-to-video"
SMALL = {"prompt": "a red fox in the snow", "resolution": "480p", "duration": 4}
TERMINAL = {"succeeded", "failed", "cancelled"}
COMPLETED = "media_generation_completed"

UNAUTHENTICATED = {
    "error": {"type": "unauthenticated", "title": "Unauthenticated",
              "detail": "Missing or invalid API key"},
    "status": "error",
    "status_message": "unauthenticated",
}
RESOURCE_NOT_FOUND = {
    "error": {"type": "resource_not_found", "title": "The requested resource could not be found"},
    "status": "error",
    "status_message": "resource_not_found",
}
RECORD_FIELDS = {"generation_id", "model_name", "prompt", "media_type", "status", "result_url",
                 "error_message", "enqueued_at", "started_at", "completed_at"}


@pytest.fixture
def client(sim_base_url: str, api_key: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=sim_base_url, headers=headers, timeout=30,
                      trust_env=False) as http:
        yield http


@pytest.fixture
async def aclient(sim_base_url: str, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=sim_base_url, headers=headers, timeout=30,
                                 trust_env=False) as http:
        yield http


def enqueue(client: httpx.Client, **body: Any) -> list[str]:
    response = client.post("/ai/queue", json={"model": FAST, **SMALL, **body})
    assert response.status_code == 200, response.text
    return [g["generation_id"] for g in response.json()["generations"]]


def wait_terminal(client: httpx.Client, gid: str, timeout: float = 30) -> tuple[dict, list[str]]:
    """Poll until the job is terminal: (final record, distinct statuses seen in order)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = client.get(f"/ai/queue/{gid}").json()
        if not seen or seen[-1] != record["status"]:
            seen.append(record["status"])
        if record["status"] in TERMINAL:
            return record, seen
        time.sleep(0.05)
    raise AssertionError(f"{gid} still {seen[-1]} after {timeout} s")


def succeeded_job(client: httpx.Client) -> dict[str, Any]:
    (gid,) = enqueue(client)
    record, _ = wait_terminal(client, gid)
    assert record["status"] == "succeeded", record
    return record


@asynccontextmanager
async def sse(aclient: httpx.AsyncClient) -> AsyncIterator[AsyncIterator[ServerSentEvent]]:
    async with aconnect_sse(aclient, "GET", "/events") as source:
        source.response.raise_for_status()
        yield source.aiter_sse()


async def completions(events: AsyncIterator[ServerSentEvent], *ids: str,
                      seen: list[ServerSentEvent]) -> dict[str, dict[str, Any]]:
    """Read events (recording them in `seen`) until each of `ids` has had its completion event."""
    found: dict[str, dict[str, Any]] = {}
    async for event in events:
        seen.append(event)
        if event.event == COMPLETED and event.json()["generation_id"] in ids:
            gid = event.json()["generation_id"]
            assert f'"generation_id":"{gid}"' in event.data  # compact JSON, as the awk expects
            found[gid] = event.json()
            if len(found) == len(ids):
                return found
    raise AssertionError("event stream ended")


# --- auth -------------------------------------------------------------------------------------

API_ROUTES = [
    ("GET", "/ai/models"),
    ("GET", f"/ai/models/{FAST}"),
    ("POST", "/ai/queue"),
    ("GET", "/ai/queue"),
    ("GET", "/ai/queue/00000000-0000-4000-8000-000000000000"),
    ("DELETE", "/ai/queue/00000000-0000-4000-8000-000000000000"),
    ("POST", "/ai/videos/generate"),
    ("GET", "/events"),
    ("GET", "/results/00000000-0000-4000-8000-000000000000/token/video.mp4"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic abc", "Bearer wrong-key"])
def test_every_api_route_needs_the_bearer_key(sim_base_url: str, method: str, path: str,
                                              authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = httpx.request(method, sim_base_url + path, headers=headers, json={"model": FAST},
                             trust_env=False)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


# --- models -----------------------------------------------------------------------------------


def test_models_list_and_retrieve(client: httpx.Client) -> None:
    listing = client.get("/ai/models").json()
    assert listing["object"] == "list"
    ids = [m["id"] for m in listing["data"]]
    assert ids[0] == FAST and FULL in ids and len(ids) == 12  # the default first
    fast = client.get(f"/ai/models/{FAST}").json()
    assert fast["json_request_schema"]["properties"]["resolution"]["enum"] == ["480p", "720p"]
    full = client.get(f"/ai/models/{FULL}").json()
    assert "1080p" in full["request_schema"]["properties"]["resolution"]["enum"]
    missing = client.get("/ai/models/no-such-model")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "Model not found: no-such-model"}}


# --- enqueue ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 4])
def test_enqueue_returns_queued_generations(client: httpx.Client, count: int) -> None:
    response = client.post("/ai/queue", json={"model": FAST, **SMALL, "num_generations": count})
    assert response.status_code == 200
    generations = response.json()["generations"]
    assert len(generations) == count
    assert all(set(g) == {"generation_id", "status"} for g in generations)
    assert {g["status"] for g in generations} == {"queued"}
    assert len({g["generation_id"] for g in generations}) == count
    for g in generations:
        client.delete(f"/ai/queue/{g['generation_id']}")


@pytest.mark.parametrize("count", [0, 5, -1, "2", 1.5, True])
def test_enqueue_refuses_bad_num_generations(client: httpx.Client, count: Any) -> None:
    response = client.post("/ai/queue", json={"model": FAST, **SMALL, "num_generations": count})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["status_message"] == "invalid_params"
    assert body["error"]["type"] == "invalid_params"
    assert body["error"]["title"] == "num_generations must be an integer between 1 and 4"


def test_enqueue_refuses_unknown_model(client: httpx.Client) -> None:
    response = client.post("/ai/queue", json={"model": "x", "prompt": "p"})
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Model not found: x"}}


@pytest.mark.parametrize("content", [b"[1, 2]", b"not json", b'"text"'])
def test_enqueue_needs_a_json_object(client: httpx.Client, content: bytes) -> None:
    response = client.post("/ai/queue", content=content,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["status_message"] == "invalid_params"
    assert set(response.json()["error"]) == {"type", "title", "detail"}


# --- job life ---------------------------------------------------------------------------------


def test_job_goes_queued_processing_succeeded(client: httpx.Client) -> None:
    (gid,) = enqueue(client, aspect_ratio="9:16", generate_audio=True, watermark=True)
    record, seen = wait_terminal(client, gid)
    assert seen == ["queued", "processing", "succeeded"]
    assert set(record) >= RECORD_FIELDS
    assert record["generation_id"] == gid
    assert record["model_name"] == FAST
    assert record["prompt"] == SMALL["prompt"]
    assert record["media_type"] == "video"
    assert record["error_message"] is None
    assert record["result_url"].startswith(str(client.base_url).rstrip("/") + "/results/")
    assert all(isinstance(record[k], int) for k in ("enqueued_at", "started_at", "completed_at"))
    assert record["enqueued_at"] <= record["started_at"] <= record["completed_at"]
    echoed = {k: v for k, v in record.items() if k not in RECORD_FIELDS}
    assert echoed == {"resolution": "480p", "duration": 4, "aspect_ratio": "9:16",
                      "generate_audio": True, "watermark": True}


def test_invalid_param_is_accepted_then_fails(client: httpx.Client) -> None:
    (gid,) = enqueue(client, resolution="1080p")
    record, seen = wait_terminal(client, gid)
    assert seen[-1] == "failed"
    assert "resolution" in record["error_message"]
    assert "1080p" in record["error_message"]
    assert record["result_url"] is None
    assert record["started_at"] is not None
    assert record["completed_at"] is not None


def test_the_extra_model_accepts_1080p(client: httpx.Client) -> None:
    (gid,) = enqueue(client, model=FULL, resolution="1080p")
    record, _ = wait_terminal(client, gid)
    assert (record["status"], record["model_name"]) == ("succeeded", FULL), record


def test_unknown_generation_is_404(client: httpx.Client) -> None:
    for response in (client.get("/ai/queue/nope"), client.delete("/ai/queue/nope"),
                     client.get("/no/such/route")):
        assert response.status_code == 404
        assert response.json() == RESOURCE_NOT_FOUND


# --- listing ----------------------------------------------------------------------------------


def test_list_shows_active_jobs_by_default_and_finished_ones_on_request(
        client: httpx.Client) -> None:
    (gid,) = enqueue(client)
    active = client.get("/ai/queue").json()
    assert active["count"] == len(active["generations"])
    assert gid in [g["generation_id"] for g in active["generations"]]
    assert {g["status"] for g in active["generations"]} <= {"queued", "processing"}
    record, _ = wait_terminal(client, gid)

    def ids(**params: str) -> list[str]:
        body = client.get("/ai/queue", params=params).json()
        assert body["count"] == len(body["generations"])
        return [g["generation_id"] for g in body["generations"]]

    assert gid not in ids()
    assert gid in ids(status="succeeded")
    assert record in client.get("/ai/queue", params={"status": "succeeded"}).json()["generations"]
    assert gid not in ids(status="failed")
    assert gid in ids(status="succeeded", model=FAST, media_type="video", namespace="simulator")
    assert gid not in ids(status="succeeded", model=FULL)
    assert ids(status="succeeded", media_type="image") == []
    assert ids(status="succeeded", repo="some-repo") == []
    assert ids(status="succeeded", folder="out") == []
    bad = client.get("/ai/queue", params={"status": "done"})
    assert bad.status_code == 400
    assert bad.json()["error"]["type"] == "invalid_params"


# --- cancel -----------------------------------------------------------------------------------


async def test_cancel_sends_no_event_and_a_second_cancel_changes_nothing(
        aclient: httpx.AsyncClient) -> None:
    async with sse(aclient) as events:
        response = await aclient.post("/ai/queue",
                                      json={"model": FAST, **SMALL, "num_generations": 2})
        cancelled, finished = [g["generation_id"] for g in response.json()["generations"]]
        cancel = await aclient.delete(f"/ai/queue/{cancelled}")
        assert cancel.json() == {"status": "success", "generation_id": cancelled}
        seen: list[ServerSentEvent] = []
        async with asyncio.timeout(20):
            await completions(events, finished, seen=seen)
            # A job enqueued now ends well after the cancelled one would have: wait for it.
            later = await aclient.post("/ai/queue", json={"model": FAST, **SMALL})
            await completions(events, later.json()["generations"][0]["generation_id"], seen=seen)
        assert not any(cancelled in event.data for event in seen)
    record = (await aclient.get(f"/ai/queue/{cancelled}")).json()
    assert record["status"] == "cancelled"
    assert record["completed_at"] is not None and record["result_url"] is None
    again = await aclient.delete(f"/ai/queue/{cancelled}")
    assert again.json() == {"status": "success", "generation_id": cancelled}
    assert (await aclient.get(f"/ai/queue/{cancelled}")).json() == record


def test_cancel_a_processing_job_and_not_a_finished_one(client: httpx.Client) -> None:
    (gid,) = enqueue(client)
    deadline = time.monotonic() + 10
    while client.get(f"/ai/queue/{gid}").json()["status"] != "processing":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    client.delete(f"/ai/queue/{gid}")
    time.sleep(1.0)  # longer than the processing time
    assert client.get(f"/ai/queue/{gid}").json()["status"] == "cancelled"

    done = succeeded_job(client)
    response = client.delete(f"/ai/queue/{done['generation_id']}")
    assert response.json() == {"status": "success", "generation_id": done["generation_id"]}
    assert client.get(f"/ai/queue/{done['generation_id']}").json() == done


# --- events -----------------------------------------------------------------------------------


async def test_event_stream_headers_and_keep_alive(aclient: httpx.AsyncClient) -> None:
    async with aclient.stream("GET", "/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        async with asyncio.timeout(5):
            async for line in response.aiter_lines():
                if line == ": keep-alive":
                    break


async def test_completion_events_for_jobs_enqueued_after_subscribing(
        aclient: httpx.AsyncClient) -> None:
    async with sse(aclient) as events:
        ok = await aclient.post("/ai/queue", json={"model": FAST, **SMALL})
        bad = await aclient.post("/ai/queue", json={"model": FAST, **SMALL, "duration": 3})
        ok_id = ok.json()["generations"][0]["generation_id"]
        bad_id = bad.json()["generations"][0]["generation_id"]
        seen: list[ServerSentEvent] = []
        async with asyncio.timeout(20):
            found = await completions(events, ok_id, bad_id, seen=seen)
    succeeded, failed = found[ok_id], found[bad_id]
    record = (await aclient.get(f"/ai/queue/{ok_id}")).json()
    assert succeeded == {"generation_id": ok_id, "status": "succeeded", "media_type": "video",
                         "model": FAST, "url": record["result_url"]}
    assert set(failed) == {"generation_id", "status", "media_type", "error"}
    assert (failed["status"], failed["media_type"]) == ("failed", "video")
    assert "duration" in failed["error"]
    assert all(event.id == "" for event in seen)
    # Other event types share the stream; clients must filter on the event name.
    assert "deployment_status" in {event.event for event in seen}


async def test_events_fired_before_connecting_are_not_replayed(
        aclient: httpx.AsyncClient, client: httpx.Client) -> None:
    gid = (await asyncio.to_thread(succeeded_job, client))["generation_id"]
    async with aclient.stream("GET", "/events") as response:
        lines: list[str] = []
        async with asyncio.timeout(5):
            async for line in response.aiter_lines():
                lines.append(line)
                if lines.count(": keep-alive") == 2:
                    break
    assert not any(gid in line for line in lines)


# --- results ----------------------------------------------------------------------------------


def test_result_download_needs_the_key_and_supports_ranges(client: httpx.Client) -> None:
    url = succeeded_job(client)["result_url"]
    anonymous = httpx.get(url, trust_env=False)
    assert anonymous.status_code == 401
    assert anonymous.json() == UNAUTHENTICATED

    full = client.get(url)
    assert full.status_code == 200
    assert full.headers["content-type"] == "video/mp4"
    assert len(full.content) == int(full.headers["content-length"]) > 1000
    assert full.content[4:8] == b"ftyp"

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
    assert part.content == full.content[100:200]

    wrong_token = url.replace("/video.mp4", "x/video.mp4")
    assert client.get(wrong_token).status_code == 404


def test_result_of_an_unfinished_job_is_not_served(client: httpx.Client) -> None:
    (gid,) = enqueue(client)
    assert client.get(f"/results/{gid}/token/video.mp4").json() == RESOURCE_NOT_FOUND
    client.delete(f"/ai/queue/{gid}")


# --- sync generation --------------------------------------------------------------------------


def test_sync_generate_returns_a_url(client: httpx.Client) -> None:
    response = client.post("/ai/videos/generate", json={"model": FAST, **SMALL})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"model", "created", "videos"}
    assert body["model"] == FAST and isinstance(body["created"], int)
    (video,) = body["videos"]
    assert client.get(video["url"]).content[4:8] == b"ftyp"


def test_sync_generate_b64_json(client: httpx.Client) -> None:
    body = {"model": FAST, **SMALL, "response_format": "b64_json"}
    response = client.post("/ai/videos/generate", json=body)
    (video,) = response.json()["videos"]
    assert set(video) == {"b64_json"}
    assert base64.b64decode(video["b64_json"])[4:8] == b"ftyp"


def test_sync_generate_validates_at_once(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.post("/ai/videos/generate",
                           json={"model": FAST, **SMALL, "aspect_ratio": "2:1"})
    assert time.monotonic() - started < 0.5
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["status_message"]) == ("error", "invalid_params")
    assert "aspect_ratio" in body["error"]["detail"]
    missing = client.post("/ai/videos/generate", json={"model": "x", "prompt": "p"})
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "Model not found: x"}}


# --- request counting -------------------------------------------------------------------------


def test_stats_count_requests_by_route(simulator: SimulatorServer, client: httpx.Client,
                                       sim_base_url: str) -> None:
    simulator.reset_stats()
    client.get("/ai/models")
    client.get("/ai/queue/unknown-1")
    client.get("/ai/queue/unknown-2")
    httpx.post(sim_base_url + "/ai/queue", json={}, trust_env=False)  # 401
    client.post("/ai/queue", json={"model": "x"})  # 404
    expected = {
        "GET /api/ai/models": 1,
        "GET /api/ai/queue/{generation_id}": 2,
        "POST /api/ai/queue": 2,
    }
    assert simulator.stats() == expected
    origin = sim_base_url.removesuffix("/api")
    over_http = httpx.get(origin + "/_simulator/stats", trust_env=False).json()
    assert over_http == {"requests": {**expected, "GET /_simulator/stats": 1}}
    assert httpx.post(origin + "/_simulator/reset", trust_env=False).status_code == 200
    assert simulator.stats() == {}


def test_stats_key_sse_and_results_by_template(simulator: SimulatorServer,
                                               client: httpx.Client) -> None:
    url = succeeded_job(client)["result_url"]
    simulator.reset_stats()
    client.get(url)
    with client.stream("GET", "/events") as response:
        assert response.status_code == 200
    assert simulator.stats() == {
        "GET /api/results/{generation_id}/{token}/video.{extension}": 1,
        "GET /api/events": 1,
    }


# --- command line -----------------------------------------------------------------------------


def test_module_command_serves_until_sigterm(api_key: str) -> None:
    command = [sys.executable, "-m", "seedance_widgets.simulator", "--port", "0",
               "--api-key", api_key, "--queue-seconds", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        try:
            line = process.stdout.readline() if process.stdout else ""
            match = re.fullmatch(
                r"Oxen-compatible simulator \(simulated results\) at (http://127\.0\.0\.1:\d+/api)\n",
                line)
            assert match, line
            models = httpx.get(match[1] + "/ai/models", trust_env=False,
                               headers={"Authorization": f"Bearer {api_key}"})
            assert models.status_code == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
        assert api_key not in (process.stderr.read() if process.stderr else "")
