"""The async client, event hub and follower over real HTTP against the simulator."""

from __future__ import annotations

import asyncio
import base64
import logging

import av
import httpx
import pytest

from seedance_widgets._contract import (
    Status,
    VideoRequest,
)
from seedance_widgets._jobs.follower import FollowPolicy, follow
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets._transport.events import EventHub
from seedance_widgets.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    ProtocolError,
)

FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)
SMALL = {"resolution": "480p", "duration": 4, "aspect_ratio": "1:1"}


@pytest.fixture
async def client(simulator, api_key):
    async with AsyncOxenClient(api_key=api_key, base_url=simulator.base_url) as c:
        yield c


async def test_model_spec_bundled_and_fetched(client, simulator):
    """The service's model object wins when it answers: asked for once per client."""
    simulator.reset_stats()
    fast = await client.model_spec("bytedance-seedance-2-0-fast-text-to-video")
    assert simulator.stats() == {"GET /api/ai/models/{model_id}": 1}
    assert await client.model_spec("bytedance-seedance-2-0-fast-text-to-video") is fast
    assert simulator.stats() == {"GET /api/ai/models/{model_id}": 1}
    full = await client.model_spec("bytedance-seedance-2-0-text-to-video")
    assert full.field("resolution").enum == ("480p", "720p", "1080p", "4k")
    assert fast.field("resolution").enum == ("480p", "720p")
    request = VideoRequest("fox", spec=full, resolution="1080p")
    assert request.model == "bytedance-seedance-2-0-text-to-video"
    with pytest.raises(NotFoundError, match="Model not found: nope"):
        await client.model_spec("nope")


async def test_sync_generate_url_and_b64(client, tmp_path):
    request = VideoRequest("sync fox", **SMALL)
    (video,) = await client.generate(request)
    assert video.url and video.url.startswith("http://127.0.0.1")
    path = await client.download(video.url, tmp_path / "sync.mp4")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (640, 640)
    (inline,) = await client.generate(request, response_format="b64_json")
    assert base64.b64decode(inline.b64_json)[4:8] == b"ftyp"


async def test_enqueue_get_list_cancel(client):
    generations = await client.enqueue(VideoRequest("queue fox", **SMALL), num_generations=2)
    assert len(generations) == 2
    assert {g.status for g in generations} == {Status.QUEUED}
    record = await client.get(generations[0].generation_id)
    assert record.prompt == "queue fox" and record.params["aspect_ratio"] == "1:1"
    active = {g.generation_id for g in await client.list()}
    assert {g.generation_id for g in generations} <= active
    await client.cancel(generations[1].generation_id)
    assert (await client.get(generations[1].generation_id)).status is Status.CANCELLED
    cancelled = await client.list(status="cancelled")
    assert generations[1].generation_id in {g.generation_id for g in cancelled}
    with pytest.raises(InvalidRequestError, match="num_generations"):
        await client.enqueue(VideoRequest("x"), num_generations=5)
    with pytest.raises(NotFoundError):
        await client.get("00000000-0000-0000-0000-000000000000")


async def test_follow_with_events_sees_every_status(client, simulator):
    hub = EventHub(client)
    assert await hub.ready()
    simulator.reset_stats()
    (first,) = await client.enqueue(VideoRequest("followed fox", **SMALL))
    seen = [g.status async for g in follow(client, hub, first, FAST)]
    assert seen == [Status.QUEUED, Status.PROCESSING, Status.SUCCEEDED]
    gets = simulator.stats().get("GET /api/ai/queue/{generation_id}", 0)
    assert gets <= 4, simulator.stats()
    await hub.aclose()


async def test_follow_reports_server_side_failure(client):
    hub = EventHub(client)
    await hub.ready()
    body = VideoRequest("bad fox", **SMALL).to_json() | {"resolution": "1080p"}
    data = (await client._http.post("/ai/queue", json=body)).json()
    first = await client.get(data["generations"][0]["generation_id"])
    records = [g async for g in follow(client, hub, first, FAST)]
    assert records[-1].status is Status.FAILED
    assert "resolution" in records[-1].error_message
    await hub.aclose()


async def test_follow_catches_cancel_without_event(client):
    hub = EventHub(client)
    await hub.ready()
    (first,) = await client.enqueue(VideoRequest("cancelled fox", **SMALL))
    await client.cancel(first.generation_id)
    records = [g async for g in follow(client, hub, first, FAST)]
    assert records[-1].status is Status.CANCELLED
    await hub.aclose()


async def test_follow_works_on_polling_alone_when_the_stream_is_refused(simulator, api_key):
    async with AsyncOxenClient(api_key=api_key, base_url=simulator.base_url) as client:
        hub = EventHub(client)  # never started: as if the stream were down
        (first,) = await client.enqueue(VideoRequest("polled fox", **SMALL))
        records = [g async for g in follow(client, hub, first, FAST)]
        assert records[-1].status is Status.SUCCEEDED and records[-1].result_url


async def test_bad_key_error_says_how_to_set_it_and_hides_the_key(simulator, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "sk-wrong-SECRET-should-not-appear"
    async with AsyncOxenClient(api_key=wrong, base_url=simulator.base_url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.list()
        assert "OXEN_API_KEY" in str(info.value)
        assert wrong not in str(info.value) and wrong not in repr(client)
        assert wrong not in repr(client.settings)
    assert wrong not in caplog.text


async def test_unknown_status_is_a_protocol_error():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"generation_id": "g1", "status": "done"})

    async with AsyncOxenClient(api_key="k", base_url="http://127.0.0.1:9/api",
                               transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProtocolError, match="unknown generation status 'done'"):
            await client.get("g1")


async def test_key_is_not_sent_to_other_origins(tmp_path, small_mp4):
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("authorization")
        return httpx.Response(200, content=small_mp4)

    async with AsyncOxenClient(api_key="sk-abc", base_url="http://127.0.0.1:9/api",
                               transport=httpx.MockTransport(handler)) as client:
        await client.download("http://127.0.0.1:9/api/results/x.mp4", tmp_path / "a.mp4")
        await client.download("http://cdn.example/x.mp4?sig=1", tmp_path / "b.mp4")
    assert seen == {"127.0.0.1": "Bearer sk-abc", "cdn.example": None}


async def test_many_followers_share_one_stream(client, simulator):
    hub = EventHub(client)
    await hub.ready()
    simulator.reset_stats()
    firsts = [g for _ in range(3) for g in
              await client.enqueue(VideoRequest("shared fox", **SMALL), num_generations=4)]

    async def last(first):
        return [g async for g in follow(client, hub, first, FAST)][-1]

    results = await asyncio.wait_for(asyncio.gather(*(last(f) for f in firsts)), 60)
    assert all(r.status is Status.SUCCEEDED for r in results)
    assert simulator.stats().get("GET /api/events", 0) == 0
    assert hub.connections == 1
    await hub.aclose()
