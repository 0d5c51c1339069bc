"""Local input files and the Seedance family through the Studio, over real HTTP to the
simulator: checks before anything is sent, one upload per content, the ledger's record of
it, model switching, sweeps across models, the service's model object, exported code."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import traitlets
from PIL import Image

from seedance_widgets import Studio
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets._transport.model_cache import ModelCache
from seedance_widgets.errors import InvalidRequestError
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)
FAST_I2V = "bytedance-seedance-2-0-fast-image-to-video"
MINI_I2V = "bytedance-seedance-2-0-mini-image-to-video"
PRO_I2V = "bytedance-seedance-2-0-image-to-video"
FAST_R2V = "bytedance-seedance-2-0-fast-reference-to-video"
T2V_25 = "bytedance-seedance-2-5-text-to-video"
UPLOAD = "PUT /api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
PROBE = "HEAD /api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
ENQUEUE = "POST /api/ai/queue"
SMALL = {"resolution": "480p", "duration": 4}


def png(path: Path, colour: tuple[int, int, int] = (200, 40, 40),
        size: tuple[int, int] = (160, 120)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(np.zeros(8000, "<i2").tobytes())
    return path


def make_studio(simulator, api_key, folder: Path, model: str = FAST_I2V, **options) -> Studio:
    options.setdefault("assets_repo", "tester/family-assets")
    return Studio(model, api_key=api_key, base_url=simulator.base_url,
                  output_dir=folder / "videos", ledger=folder / ".seedance", policy=FAST,
                  **options)


@pytest.fixture
async def studio(simulator, api_key, tmp_path):
    widget = make_studio(simulator, api_key, tmp_path)
    yield widget
    widget.close()
    await asyncio.sleep(0.05)


# --- a local file: uploaded once, recorded, never again -----------------------------------


async def test_a_local_file_is_uploaded_once_and_recorded(studio, simulator, api_key,
                                                          tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    still = png(tmp_path / "still.png")
    simulator.reset_stats()
    job = studio.generate("a red card", input_image="still.png", **SMALL)
    await asyncio.wait_for(job, 60)
    counts = simulator.stats()
    assert counts[UPLOAD] == 1 and counts[ENQUEUE] == 1 and counts[PROBE] == 1
    url = job.request.input_image
    assert url.startswith(simulator.base_url + "/repos/tester/family-assets/file/main/"
                          "seedance-inputs/") and url.endswith(".png")
    controller = studio._wiring.controller
    record = controller.ledger.upload_of(controller.namespace, url)
    assert record["checksum"] == hashlib.sha256(still.read_bytes()).hexdigest()
    assert record["local_path"] == str(still.resolve()) and record["how"] == "uploaded"
    assert studio.params["input_image"] == "still.png"  # the form keeps the path

    # A new take of the same file: no upload, no probe; only the new enqueue.
    simulator.reset_stats()
    again = studio.new_take(job)
    await asyncio.wait_for(again, 60)
    assert UPLOAD not in simulator.stats() and PROBE not in simulator.stats()
    assert simulator.stats()[ENQUEUE] == 1

    # Another kernel, the same ledger and file: the same take from disk, nothing sent.
    other = make_studio(simulator, api_key, tmp_path)
    try:
        simulator.reset_stats()
        cached = other.generate("a red card", input_image=str(still), **SMALL)
        assert await asyncio.wait_for(cached, 10) == job.video_path
        assert cached.cached and simulator.stats() == {}
    finally:
        other.close()


async def test_a_file_the_repository_has_is_recorded_without_sending_it(simulator, api_key,
                                                                        tmp_path):
    still = png(tmp_path / "same.png", (10, 200, 30))
    first = make_studio(simulator, api_key, tmp_path / "a")
    second = make_studio(simulator, api_key, tmp_path / "b")  # a ledger of its own
    try:
        await asyncio.wait_for(first.generate("one", input_image=str(still), **SMALL), 60)
        simulator.reset_stats()
        job = second.generate("two", input_image=str(still), **SMALL)
        await asyncio.wait_for(job, 60)
        assert simulator.stats()[PROBE] == 1 and UPLOAD not in simulator.stats()
        controller = second._wiring.controller
        assert controller.ledger.upload_of(controller.namespace,
                                           job.request.input_image)["how"] == "found"
    finally:
        first.close()
        second.close()


async def test_a_sweep_across_models_uploads_the_still_once(studio, simulator, tmp_path):
    still = png(tmp_path / "tiers.png", (90, 90, 220))
    simulator.reset_stats()
    sweep = studio.sweep(model=[MINI_I2V, FAST_I2V, PRO_I2V], prompt=["a", "b"],
                         input_image=str(still), **SMALL)
    assert sweep.axes == {"model": [MINI_I2V, FAST_I2V, PRO_I2V], "prompt": ["a", "b"]}
    assert [job.request.model for job in sweep.jobs] == [MINI_I2V] * 2 + [FAST_I2V] * 2 + \
        [PRO_I2V] * 2
    costs = {m: float(c) for m, c in sweep.cost_by_model.items()}
    assert costs == {MINI_I2V: 0.40, FAST_I2V: 0.64, PRO_I2V: 1.60}
    assert float(sweep.estimated_cost) == pytest.approx(2.64)
    assert "(bytedance-seedance-2-0-mini-image-to-video: $0.40" in repr(sweep)
    assert studio.gallery["cost_by_model"] == costs
    results = await asyncio.wait_for(sweep, 90)
    assert all(isinstance(r, Path) for r in results), results
    assert simulator.stats()[UPLOAD] == 1 and simulator.stats()[ENQUEUE] == 6


async def test_a_sweep_cell_is_checked_against_its_own_model(studio, simulator):
    simulator.reset_stats()
    with pytest.raises(InvalidRequestError, match=r"aspect_ratio \(for "
                       r"bytedance-seedance-2-5-image-to-video\)"):
        studio.sweep(model=[FAST_I2V, "bytedance-seedance-2-5-image-to-video"], prompt="p",
                     input_image="https://example.com/a.png", aspect_ratio="16:9", **SMALL)
    with pytest.raises(InvalidRequestError, match=r"duration \(for "):
        studio.sweep(model=["bytedance-seedance-2-0-fast-text-to-video", T2V_25], prompt=["p"],
                     duration=7)
    # Only the models' objects were read (each once); nothing was uploaded or sent.
    assert set(simulator.stats()) == {"GET /api/ai/models/{model_id}"}


# --- refused before any upload or payment ----------------------------------------------------


def test_bad_media_are_refused_before_anything_is_sent(simulator, api_key, tmp_path):
    text = tmp_path / "notes.png"
    text.write_bytes(b"these are not pixels at all")
    gif = tmp_path / "anim.png"
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    huge = tmp_path / "huge.png"
    with huge.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.truncate(30_000_001)
    mp4 = tmp_path / "clip.png"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
    good = png(tmp_path / "good.png")
    studio = make_studio(simulator, api_key, tmp_path, FAST_R2V)
    try:
        simulator.reset_stats()
        cases = [
            ({"input_images": [str(text)]}, "input_images: ", "is not a format its bytes show"),
            ({"input_images": [str(gif)]}, "input_images: ", "is a GIF file"),
            ({"input_images": [str(huge)]}, "input_images: ", "is 30.0 MB"),
            ({"input_images": [str(mp4)]}, "input_images: ", "is an MP4 file"),
            ({"input_audios": [str(good)]}, "input_audios: ", "is a PNG file"),
            ({"input_images": [str(good)] * 10}, "input_images: ", "has 10 items"),
            ({"input_face_images": [str(good)] * 7, "input_images": [str(good)] * 9},
             "input_images: ", "makes 16 references in all"),
            ({"input_images": ["no such file.png"]}, "input_images: ",
             "is neither a URL nor a file that exists"),
            ({"input_videos": ["ftp://example.com/a.mp4"]}, "input_videos: ",
             "is not an http(s) URL"),
        ]
        for params, field, reason in cases:
            with pytest.raises(InvalidRequestError) as caught:
                studio.generate("refs", **SMALL, **params)
            assert str(caught.value).startswith(field) and reason in str(caught.value), \
                (params, str(caught.value))
            assert "Allowed: " in str(caught.value)
        i2v = make_studio(simulator, api_key, tmp_path / "i2v")
        simulator.reset_stats()  # (its model object was read: a free GET)
        try:
            with pytest.raises(InvalidRequestError, match="input_image: 'a sunset' is neither"):
                i2v.generate("p", input_image="a sunset", **SMALL)
            with pytest.raises(InvalidRequestError, match="input_image: None is required"):
                i2v.generate("p", **SMALL)
        finally:
            i2v.close()
        assert simulator.stats() == {}
        assert studio._session.jobs == {}
    finally:
        studio.close()


def test_without_an_assets_repository_the_real_service_refuses_local_files(
        simulator, api_key, tmp_path, monkeypatch):
    monkeypatch.delenv("OXEN_ASSETS_REPO", raising=False)
    still = png(tmp_path / "s.png")
    studio = make_studio(simulator, api_key, tmp_path, assets_repo=None)
    try:
        assert studio.assets_repo is None
        simulator.reset_stats()
        with pytest.raises(InvalidRequestError) as caught:
            studio.generate("p", input_image=str(still), **SMALL)
        text = str(caught.value)
        assert text.startswith("input_image: ") and "no assets repository is set" in text
        assert "an http(s) URL" in text and "OXEN_ASSETS_REPO" in text
        assert simulator.stats() == {}
        with pytest.raises(InvalidRequestError, match="assets_repo: 'no-slash'"):
            make_studio(simulator, api_key, tmp_path, assets_repo="no-slash")
    finally:
        studio.close()


# --- the model: picked, switched, the service's object winning -------------------------------


async def test_switching_models_keeps_every_value_still_valid(studio, tmp_path):
    still = png(tmp_path / "keep.png")
    assert any(m["id"] == T2V_25 for m in studio.models) and len(studio.models) == 12
    studio.params = {"prompt": "keep me", "input_image": str(still), "resolution": "480p",
                     "duration": 4, "aspect_ratio": "9:16", "input_image_has_face": True}
    studio.model = MINI_I2V
    assert studio.model_display_name == "Seedance 2.0 Mini - Image to Video"
    assert studio.params["input_image"] == str(still) and studio.params["duration"] == 4
    assert studio.params["input_image_has_face"] is True
    studio.model = T2V_25
    names = [f["name"] for f in studio.fields]
    assert "input_image" not in names and "input_image" not in studio.params
    assert studio.params["prompt"] == "keep me" and studio.params["aspect_ratio"] == "9:16"
    assert studio.params["duration"] == 4 and studio.params["generate_audio"] is True
    duration = next(f for f in studio.fields if f["name"] == "duration")
    assert duration["type"] == ["integer", "string"] and duration["enum"][0] == "auto"
    studio.params = {"duration": "auto"}
    assert studio.request().duration == "auto"
    studio.model = FAST_I2V
    assert studio.params["duration"] == -1  # "auto" is 2.5's; 2.0 writes it -1
    with pytest.raises(traitlets.TraitError, match="model"):
        studio.model = "no-such-model"
    assert studio.model == FAST_I2V


async def test_the_front_end_picks_only_listed_models(studio, simulator):
    simulator.reset_stats()
    studio.set_state({"model": "bytedance-evil"})
    assert studio.model == FAST_I2V and "is not one of the models listed" in studio.error
    studio.set_state({"model": MINI_I2V})
    assert studio.model == MINI_I2V
    face = next(f for f in studio.fields if f["name"] == "input_image")
    assert face["face"] == "input_image_has_face" and face["media"] == "image"


async def test_the_services_model_object_wins_and_is_kept(tmp_path, api_key):
    config = SimulatorConfig(queue_seconds=0.1, process_seconds=0.2, api_key=api_key)
    with SimulatorServer(config) as sim:
        served = sim.store.catalog.get(FAST_I2V)
        served["display_name"] = "Fast I2V as served"
        served["pricing"]["cost_per_second"] = 0.5
        cache = ModelCache(tmp_path, sim.base_url)
        async with AsyncOxenClient(api_key=api_key, base_url=sim.base_url,
                                   model_cache=cache) as client:
            spec = await client.model_spec(FAST_I2V)
        assert spec.display_name == "Fast I2V as served" and spec.pricing["cost_per_second"] == 0.5
        assert sim.stats() == {"GET /api/ai/models/{model_id}": 1}
        kept = json.loads(next((tmp_path / "models").rglob("*.json")).read_text())
        assert kept["object"]["display_name"] == "Fast I2V as served" and kept["fetched_at"] > 0
        sim.reset_stats()
        async with AsyncOxenClient(api_key=api_key, base_url=sim.base_url,
                                   model_cache=cache) as client:
            assert (await client.model_spec(FAST_I2V)).display_name == "Fast I2V as served"
        assert sim.stats() == {}  # fresh: no request
        base_url = sim.base_url
    # The service gone: a stale kept object stands in, and without one the bundled object.
    stale = ModelCache(tmp_path, base_url, ttl=0)
    async with AsyncOxenClient(api_key=api_key, base_url=base_url, model_cache=stale) as client:
        assert (await client.model_spec(FAST_I2V)).display_name == "Fast I2V as served"
        bundled = await client.model_spec(MINI_I2V)
    assert bundled.display_name == "Seedance 2.0 Mini - Image to Video"


# --- exported code, all three flavours, with the upload step ---------------------------------


def test_exported_code_uploads_the_local_file_and_runs(simulator, api_key, tmp_path,
                                                       monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    png(work / "still.png", (250, 120, 10))
    studio = make_studio(simulator, api_key, work, assets_repo="tester/export-assets")
    try:
        studio.params = {"prompt": "exported", "input_image": "still.png", **SMALL}
        codes = {f: studio.to_code(f) for f in ("toolkit", "httpx", "curl")}
    finally:
        studio.close()
    assert 'input_image="still.png"' in codes["toolkit"]
    assert 'assets_repo="tester/export-assets"' in codes["toolkit"]
    assert 'upload(client, "still.png", "png")' in codes["httpx"]
    assert 'upload still.png png' in codes["curl"]
    for code in codes.values():
        assert api_key not in code
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OXEN_")},
           "OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url}
    simulator.reset_stats()
    toolkit = codes["toolkit"].replace("studio.generate(", "job = studio.generate(").rsplit(
        "\nstudio", 1)[0] + "\nprint('VIDEO', job.wait(120))\nstudio.close()\n"
    ran = subprocess.run([sys.executable, "-c", toolkit], cwd=work, env=env,
                         capture_output=True, text=True, timeout=180)
    assert ran.returncode == 0 and "VIDEO" in ran.stdout, ran.stderr
    assert simulator.stats()[UPLOAD] == 1
    simulator.reset_stats()
    ran = subprocess.run([sys.executable, "-c", codes["httpx"]], cwd=work, env=env,
                         capture_output=True, text=True, timeout=180)
    assert ran.returncode == 0 and "saved" in ran.stdout, ran.stderr
    assert UPLOAD not in simulator.stats()  # the same content is there already
    assert simulator.stats()[PROBE] == 1
    other = make_studio(simulator, api_key, tmp_path / "w2", assets_repo="tester/curl-assets")
    try:
        other.params = {"prompt": "exported", "input_image": str(work / "still.png"), **SMALL}
        curl = other.to_code("curl")
    finally:
        other.close()
    simulator.reset_stats()
    ran = subprocess.run(["bash", "-c", curl], cwd=work, env=env, capture_output=True,
                         text=True, timeout=180)
    assert ran.returncode == 0 and "saved" in ran.stdout, ran.stdout + ran.stderr
    assert simulator.stats()[UPLOAD] == 1 and simulator.stats()["POST /api/repos"] == 1


def test_an_input_given_as_a_url_is_exported_as_that_url(simulator, api_key, tmp_path):
    studio = make_studio(simulator, api_key, tmp_path)
    try:
        studio.params = {"prompt": "p", "input_image": "https://example.com/a.png", **SMALL}
        code = studio.to_code("toolkit")
        assert 'input_image="https://example.com/a.png"' in code
        assert "assets_repo" not in code  # no local file: no repository needed
        assert "upload(" not in studio.to_code("httpx")
    finally:
        studio.close()


def test_first_frame_of_a_generated_video_is_the_still(simulator, api_key, tmp_path):
    still = Image.new("RGB", (400, 300))
    for x in range(400):
        still.paste((x * 255 // 400, 80, 255 - x * 255 // 400), (x, 0, x + 1, 300))
    still.save(tmp_path / "ramp.png")
    studio = make_studio(simulator, api_key, tmp_path)
    try:
        job = studio.generate("ramp", input_image=str(tmp_path / "ramp.png"), resolution="480p",
                              duration=4, aspect_ratio="4:3")
        path = job.wait(60)
    finally:
        studio.close()
    import av
    from PIL import ImageOps
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)
    want = np.asarray(ImageOps.pad(still, (frame.shape[1], frame.shape[0])), np.int16)
    assert float(np.abs(frame - want).mean()) < 8.0
