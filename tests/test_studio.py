"""The Studio's kernel side: traits, messages and export, over real HTTP to the simulator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from decimal import Decimal

import pytest
import traitlets

from seedance_widgets import Studio
from seedance_widgets._contract import Status
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets.errors import InvalidRequestError

FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)
FULL_MODEL = "bytedance-seedance-2-0-text-to-video"


@pytest.fixture
async def studio(simulator, api_key, tmp_path):
    widget = Studio(api_key=api_key, base_url=simulator.base_url, output_dir=tmp_path / "v",
                    ledger=tmp_path / "ledger", policy=FAST)
    yield widget
    widget.close()
    await asyncio.sleep(0.05)


class Sent:
    """Captures what the kernel sends to the front end."""

    def __init__(self, widget: Studio):
        self.messages: list[tuple[dict, list]] = []
        widget.send = lambda content, buffers=None: self.messages.append((content, buffers))

    def of_type(self, kind: str) -> list[tuple[dict, list]]:
        return [m for m in self.messages if m[0].get("type") == kind]


async def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_controls_come_from_the_schema(studio, simulator, api_key):
    assert studio.model == "bytedance-seedance-2-0-fast-text-to-video"
    names = [f["name"] for f in studio.fields]
    assert names == ["prompt", "resolution", "duration", "aspect_ratio", "generate_audio",
                     "watermark"]
    resolution = next(f for f in studio.fields if f["name"] == "resolution")
    assert resolution["enum"] == ["480p", "720p"] and resolution["basic"] is True
    other = Studio(FULL_MODEL, api_key=api_key, base_url=simulator.base_url, ledger=None)
    try:
        other_resolution = next(f for f in other.fields if f["name"] == "resolution")
        assert other_resolution["enum"] == ["480p", "720p", "1080p", "4k"]
        other.params = {"resolution": "1080p"}
        assert other.request(prompt="x").resolution == "1080p"
    finally:
        other.close()
    assert studio.backend == {"simulated": False, "label": studio.backend["label"]}


async def test_params_are_settable_from_python_and_validated(studio):
    assert studio.params["resolution"] == "720p" and studio.params["prompt"] == ""
    studio.params = {"resolution": "480p", "aspect_ratio": "9:16"}
    assert studio.params["resolution"] == "480p" and studio.params["duration"] == -1
    with pytest.raises(traitlets.TraitError,
                       match=re.escape("resolution: '1080p' is not allowed. Allowed: 480p, 720p")):
        studio.params = {"resolution": "1080p"}
    with pytest.raises(traitlets.TraitError, match="colour"):
        studio.params = {"colour": "red"}
    assert studio.params["resolution"] == "480p"
    with pytest.raises(InvalidRequestError, match="prompt"):
        studio.generate()


async def test_generate_runs_in_the_background_and_reports_each_status(studio, simulator):
    sent = Sent(studio)
    job = studio.generate(prompt="a heron at dawn", resolution="480p", duration=4,
                          aspect_ratio="1:1")
    assert not job.done  # the call returned at once
    path = await asyncio.wait_for(job, 30)
    assert path.exists() and path.parent == studio.output_dir
    await wait_for(lambda: studio.jobs[0]["video"] is not None)
    card = studio.jobs[0]
    assert card["status"] == "succeeded" and card["video"] == path.name
    assert card["params"]["aspect_ratio"] == "1:1"
    assert card["finished_at"] >= card["started_at"] >= card["created_at"]
    # Each change reached the views as a patch of that one job (coalesced, never lost).
    patches = [m for m, _ in sent.of_type("feed") if not m["snapshot"]]
    assert all([item["id"] for item in m["items"]] == [job.id] for m in patches)
    statuses = [item["status"] for m in patches for item in m["items"]]
    assert statuses[-1] == "succeeded"
    assert {"submitting", "processing", "succeeded"} <= set(statuses), statuses
    revs = [item["rev"] for m in patches for item in m["items"]]
    assert revs == sorted(revs) and len(set(revs)) == len(revs)


async def test_ui_messages_generate_play_and_refuse_bad_input(studio, simulator):
    sent = Sent(studio)
    simulator.reset_stats()
    studio._handle_message(studio, {"type": "generate"}, [])
    assert "prompt" in studio.error and "empty" in studio.error
    assert simulator.stats() == {}
    for hostile in (None, [], "generate", {"type": 3}, {"type": "cancel", "job_id": "nope"},
                    {"type": "export", "flavour": "cobol"}, {"type": "video"},
                    {"type": "unknown"}, {"type": "generate", "params": {"x": 1}}):
        studio._handle_message(studio, hostile, [])
    assert "flavour" in studio.error or "prompt" in studio.error
    assert simulator.stats().get("POST /api/ai/queue", 0) == 0

    studio.params = {"prompt": "lanterns on a river", "resolution": "480p", "duration": 4}
    studio._handle_message(studio, {"type": "generate"}, [])
    assert studio.error == ""
    await wait_for(lambda: studio.jobs and studio.jobs[0]["video"] is not None)
    job_id = studio.jobs[0]["id"]
    assert not sent.of_type("video")  # video bytes travel only when asked for
    studio._handle_message(studio, {"type": "video", "job_id": job_id}, [])
    await wait_for(lambda: sent.of_type("video"))
    ((content, buffers),) = sent.of_type("video")
    assert content["job_id"] == job_id and content["mime"] == "video/mp4"
    assert bytes(buffers[0])[4:8] == b"ftyp"
    studio._handle_message(studio, {"type": "posters", "job_ids": [job_id, "nope"]}, [])
    await wait_for(lambda: sent.of_type("poster"))
    ((content, buffers),) = sent.of_type("poster")
    assert content == {"type": "poster", "job_id": job_id, "mime": "image/jpeg"}
    assert bytes(buffers[0])[:3] == b"\xff\xd8\xff" and len(buffers[0]) < 40_000


async def test_cancel_from_the_ui(studio, simulator):
    simulator.config.queue_seconds = 3.0
    try:
        job = studio.generate(prompt="a slow sunrise", resolution="480p", duration=4)
        await wait_for(lambda: job.generation_id is not None)
        studio._handle_message(studio, {"type": "cancel", "job_id": job.id}, [])
        await wait_for(lambda: studio.jobs[0]["status"] == "cancelled")
    finally:
        simulator.config.queue_seconds = 0.2


async def test_key_never_in_widget_state_or_exported_code(studio, api_key):
    studio.params = {"prompt": "a key-free fox", "resolution": "480p", "duration": 4}
    job = studio.generate()
    await asyncio.wait_for(job, 30)
    state = json.dumps(studio.get_state(), default=str)
    assert api_key not in state
    for flavour in ("toolkit", "httpx", "curl"):
        code = studio.to_code(flavour)
        assert api_key not in code
        assert "OXEN_API_KEY" in code or flavour == "toolkit"


async def test_exported_toolkit_code_reproduces_the_request(studio, simulator, api_key,
                                                             tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the exported cell's Studio keeps its ledger in the cwd
    studio.params = {"prompt": "a glass whale in the sky", "resolution": "480p",
                     "duration": 4, "aspect_ratio": "9:16", "watermark": True}
    code = studio.to_code("toolkit")
    compile(code, "<export>", "exec")
    os.environ.update(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    try:
        namespace: dict = {}
        exec(code, namespace)
        other: Studio = namespace["studio"]
        (job,) = other._session.jobs.values()
        await asyncio.wait_for(job, 30)
        assert job.request == studio.request()
        other.close()
    finally:
        del os.environ["OXEN_API_KEY"], os.environ["OXEN_BASE_URL"]


async def test_exported_httpx_and_curl_code_reproduce_the_request(studio, simulator, api_key,
                                                                  tmp_path):
    studio.params = {"prompt": "it's a \"quoted\" fox", "resolution": "480p", "duration": 4,
                     "aspect_ratio": "4:3", "generate_audio": True}
    wanted = studio.request().to_json()
    env = {**os.environ, "OXEN_API_KEY": api_key, "OXEN_BASE_URL": simulator.base_url}
    for flavour, command in (("httpx", ["python", "-c"]), ("curl", ["bash", "-c"])):
        code = studio.to_code(flavour).replace("time.sleep(5)", "time.sleep(0.2)")
        code = code.replace("sleep 5", "sleep 0.2")
        if command[0] == "python":
            command = [os.sys.executable, "-c"]
        result = await asyncio.to_thread(subprocess.run, [*command, code], env=env,
                                         cwd=tmp_path, capture_output=True, text=True,
                                         timeout=60)
        assert result.returncode == 0, result.stderr
        assert "saved" in result.stdout
        async with AsyncOxenClient(api_key=api_key, base_url=simulator.base_url) as client:
            done = await client.list(status=Status.SUCCEEDED)
        match = [g for g in done if g.prompt == wanted["prompt"]]
        assert match, flavour
        echoed = match[-1].params
        for name in ("resolution", "duration", "aspect_ratio", "generate_audio", "watermark"):
            assert echoed[name] == wanted[name], (flavour, name)


async def test_sweep_validates_everything_first_then_fills_the_gallery(studio, simulator):
    simulator.reset_stats()
    with pytest.raises(InvalidRequestError, match="aspect_ratio"):
        studio.sweep(prompt=["a", "b"], aspect_ratio=["16:9", "2:1"])
    assert simulator.stats() == {}
    sweep = studio.sweep(prompt=["a fox", "an owl"], aspect_ratio=["16:9", "1:1", "9:16"],
                         resolution="480p", duration=4)
    assert sweep.size == 6 and "6 generations" in repr(sweep)
    assert sweep.estimated_cost == 6 * 4 * Decimal("0.08")  # money stays decimal
    assert studio.gallery["axes"] == {"prompt": ["a fox", "an owl"],
                                      "aspect_ratio": ["16:9", "1:1", "9:16"]}
    assert [i["values"] for i in studio.gallery["items"]][:2] == [
        {"prompt": "a fox", "aspect_ratio": "16:9"}, {"prompt": "a fox", "aspect_ratio": "1:1"}]
    results = await asyncio.wait_for(sweep, 60)
    assert all(r.exists() for r in results)
    assert simulator.stats()["POST /api/ai/queue"] == 6
    studio.compare_jobs(*sweep.jobs[:2])
    assert studio.compare == [sweep.jobs[0].id, sweep.jobs[1].id]
    studio.compare = ["bogus", sweep.jobs[2].id, 7]
    assert studio.compare == [sweep.jobs[2].id]


async def test_new_take_makes_a_new_video_for_the_same_request(studio, simulator):
    first = studio.generate(prompt="a take fox", resolution="480p", duration=4)
    await asyncio.wait_for(first, 30)
    again = studio.generate(prompt="a take fox", resolution="480p", duration=4)
    assert again is first
    studio._handle_message(studio, {"type": "new_take", "job_id": first.id}, [])
    await wait_for(lambda: len(studio.jobs) == 2)
    second = next(j for j in studio._session.jobs.values() if j is not first)
    assert second.take == 2 and second.request == first.request
    assert await asyncio.wait_for(second, 30) != await first


async def test_a_second_click_on_generate_makes_a_new_take(studio, simulator):
    studio.params = {"prompt": "two clicks", "resolution": "480p", "duration": 4}
    studio._handle_message(studio, {"type": "generate"}, [])
    studio._handle_message(studio, {"type": "generate"}, [])  # double click: still running
    assert studio.error == "this request is already running"
    await wait_for(lambda: studio.jobs and studio.jobs[0]["video"] is not None)
    assert 'take=1,' in studio.to_code("toolkit")
    studio._handle_message(studio, {"type": "generate"}, [])
    assert studio.error == ""  # the first has ended: a click is a new take at once
    await wait_for(lambda: len(studio.jobs) == 2 and studio.jobs[0]["video"] is not None)
    assert [j["take"] for j in studio.jobs] == [2, 1]
    assert 'take=2,' in studio.to_code("toolkit")
    assert 'prompt="two clicks"' in studio.to_code("toolkit")
    assert simulator.stats()["POST /api/ai/queue"] >= 2


async def test_front_end_state_is_checked_and_kernel_traits_are_read_only(studio):
    resent: list[list[str]] = []
    studio.send_state = lambda key=None: resent.append(list(key or []))
    studio.set_state({"params": {**studio.params, "resolution": "1080p"}})
    assert "resolution: '1080p' is not allowed" in studio.error
    assert studio.params["resolution"] == "720p" and resent[-1] == ["params"]
    studio.set_state({"jobs": [{"id": "forged"}], "backend": {"simulated": True}})
    assert studio.jobs == [] and studio.backend["simulated"] is False
    assert resent[-1] == ["backend"]
    studio.set_state({"params": {**studio.params, "resolution": "480p"}})
    assert studio.params["resolution"] == "480p"


def test_the_public_surface_is_small_typed_and_lazy():
    """Users import from the package: the Studio, both clients, the request, the job and
    state types and the error tree (also `seedance_widgets.errors`); nothing internal."""
    import subprocess
    import sys

    import seedance_widgets
    from seedance_widgets import errors

    names = set(seedance_widgets.__all__)
    assert {"Studio", "OxenClient", "AsyncOxenClient", "VideoRequest", "Job", "JobState",
            "Succeeded", "Unconfirmed", "SeedanceError", "EnqueueUnconfirmed", "errors"} <= names
    assert not {"Controller", "Ledger", "FollowPolicy", "to_code"} & names
    for name in names - {"__version__", "errors"}:
        assert getattr(seedance_widgets, name) is not None
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == \
                errors.__name__ and not name.startswith("_") and name != "MalformedResponseError":
            assert name in names, f"{name} is not exported"
    lazy = subprocess.run([sys.executable, "-c", "import sys, seedance_widgets; "
                           "print('httpx' in sys.modules, 'anywidget' in sys.modules)"],
                          capture_output=True, text=True, check=True)
    assert lazy.stdout.split() == ["False", "False"]


def test_a_script_waits_for_a_job_without_a_notebook(tmp_path):
    """Outside a kernel the Studio runs jobs on a private loop; `job.wait()` blocks for it."""
    import subprocess
    import sys

    script = ("from seedance_widgets import Studio\n"
              "studio = Studio()\n"
              "job = studio.generate('a script fox', resolution='480p', duration=4)\n"
              "print(job.wait(60).name, job.status)\n"
              "studio.close()\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXEN_")}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    name, status = done.stdout.split()
    assert status == "succeeded" and (tmp_path / "videos" / name).stat().st_size > 1000
