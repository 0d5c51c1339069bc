"""The faults the client's exactly-once enqueue work needs, seen on the wire.

Each test uses a simulator of its own: a fault plan is global to a simulator.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from seedance_widgets.simulator import SimulatorConfig, SimulatorServer
from seedance_widgets.simulator.faults import ENQUEUE, FAULTS

MODEL = "bytedance-seedance-2-0-fast-text-to-video"
SMALL = {"model": MODEL, "resolution": "480p", "aspect_ratio": "1:1", "duration": 4}


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(queue_seconds=0.1, process_seconds=0.3, keepalive_seconds=0.5)
    config.faults.slow_seconds = 2.0
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
async def http(sim: SimulatorServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.base_url, headers={"Authorization": "Bearer k"},
                                 timeout=10, trust_env=False) as client:
        yield client


def accepted(sim: SimulatorServer, prompt: str) -> list[str]:
    return [j.generation_id for j in sim.store.all() if j.params.get("prompt") == prompt]


async def terminal(http: httpx.AsyncClient, generation_id: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        record = (await http.get(f"/ai/queue/{generation_id}")).json()
        if record["status"] in ("succeeded", "failed", "cancelled"):
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"{generation_id} did not finish")


def test_the_new_faults_are_declared() -> None:
    assert FAULTS["status-unknown"] == (ENQUEUE,)
    assert FAULTS["echo-normalised"] == ("job",)
    assert ENQUEUE in FAULTS["502-after"] and ENQUEUE in FAULTS["slow"]


async def test_echo_normalised_records_echo_what_was_rendered(sim, http) -> None:
    sim.faults.set("echo-normalised", every=2)  # the second job only
    verbatim, normalised = "  plain fox ", "\tnormal fox \n"
    ids = []
    for prompt in (verbatim, normalised):
        answer = await http.post("/ai/queue", json=SMALL | {"prompt": prompt, "duration": -1})
        ids.append(answer.json()["generations"][0]["generation_id"])
    first, second = [await terminal(http, gid) for gid in ids]
    assert (first["prompt"], first["duration"]) == (verbatim, -1)
    assert (second["prompt"], second["duration"]) == ("normal fox", 5)
    listed = (await http.get("/ai/queue", params={"status": "succeeded"})).json()["generations"]
    by_id = {row["generation_id"]: row for row in listed}
    assert (by_id[ids[0]]["prompt"], by_id[ids[0]]["duration"]) == (verbatim, -1)
    assert (by_id[ids[1]]["prompt"], by_id[ids[1]]["duration"]) == ("normal fox", 5)
    assert sim.faults.injected()["echo-normalised"] == 1
    assert [e.subject for e in sim.faults.events] == [ids[1]]


async def test_echo_normalised_turns_auto_into_seconds(sim, http) -> None:
    sim.faults.set("echo-normalised", every=1)
    answer = await http.post("/ai/queue", json={
        "model": "bytedance-seedance-2-5-text-to-video", "prompt": "auto fox ",
        "resolution": "480p", "duration": "auto", "generate_audio": False})
    generation_id = answer.json()["generations"][0]["generation_id"]
    record = (await http.get(f"/ai/queue/{generation_id}")).json()
    assert (record["prompt"], record["duration"]) == ("auto fox", 5)
    assert sim.store.get(generation_id).params["duration"] == "auto"  # what was asked
    await http.delete(f"/ai/queue/{generation_id}")


async def test_status_unknown_accepts_the_job_but_says_pending(sim, http) -> None:
    sim.faults.set("status-unknown", every=1, max=1)
    answer = await http.post("/ai/queue", json=SMALL | {"prompt": "pending fox",
                                                        "num_generations": 2})
    assert answer.status_code == 200
    generations = answer.json()["generations"]
    assert [g["status"] for g in generations] == ["pending", "pending"]
    assert sorted(g["generation_id"] for g in generations) == sorted(
        accepted(sim, "pending fox"))
    record = (await http.get(f"/ai/queue/{generations[0]['generation_id']}")).json()
    assert record["status"] in ("queued", "processing", "succeeded")
    again = await http.post("/ai/queue", json=SMALL | {"prompt": "next fox"})
    assert again.json()["generations"][0]["status"] == "queued"  # max=1
    assert [(e.fault, e.subject) for e in sim.faults.events] == [("status-unknown",
                                                                   "pending fox")]


async def test_slow_enqueue_holds_the_answer_of_an_accepted_job(sim, http) -> None:
    """`slow` on `POST /api/ai/queue` alone: accepted, listed, and only then answered."""
    sim.faults.set("slow", every=1, max=1, routes=[ENQUEUE])
    started = time.monotonic()
    post = asyncio.create_task(http.post("/ai/queue", json=SMALL | {"prompt": "held fox"}))
    while not accepted(sim, "held fox"):
        assert time.monotonic() - started < 1.5, "the job was not accepted before the answer"
        await asyncio.sleep(0.02)
    listed = (await http.get("/ai/queue", params={"status": "queued"})).json()["generations"]
    listed += (await http.get("/ai/queue")).json()["generations"]
    assert accepted(sim, "held fox")[0] in {row["generation_id"] for row in listed}
    assert not post.done()  # the answer is still held
    answer = await post
    assert time.monotonic() - started >= sim.faults.slow_seconds
    assert answer.json()["generations"][0]["generation_id"] == accepted(sim, "held fox")[0]


async def test_502_after_accepts_then_answers_bad_gateway(sim, http) -> None:
    sim.faults.set("502-after", every=1, max=1, routes=[ENQUEUE])
    answer = await http.post("/ai/queue", json=SMALL | {"prompt": "gateway fox"})
    assert answer.status_code == 502
    assert answer.headers["content-type"].startswith("text/html")
    assert len(accepted(sim, "gateway fox")) == 1
    sim.faults.set("502", every=1, max=1, routes=[ENQUEUE])  # the old one refuses first
    refused = await http.post("/ai/queue", json=SMALL | {"prompt": "refused fox"})
    assert refused.status_code == 502 and accepted(sim, "refused fox") == []
    assert [e.fault for e in sim.faults.events] == ["502-after", "502"]


def test_new_faults_parse_from_cli_specs() -> None:
    from seedance_widgets.simulator.faults import Faults

    specs = ["echo-normalised=0.5", "status-unknown=every:2,max=1", "502-after=every:3"]
    assert Faults.from_specs(specs).describe() == specs
