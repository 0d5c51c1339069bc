"""Hostile and bad input: property-based tests over everything a user, a front end or a server
can hand us. Each ends in a clear error or a clean refusal; nothing crashes the controller,
nothing reaches the network, and nothing from the server escapes the output folder."""

from __future__ import annotations

import ast
import asyncio
import json
import math
import os
import shlex
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import traitlets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media import small_mp4

from seedance_widgets import Studio
from seedance_widgets._contract import VideoRequest
from seedance_widgets._contract.request import validate_params
from seedance_widgets._contract.schema import bundled_model
from seedance_widgets._export import FLAVOURS, to_code
from seedance_widgets._jobs.controller import Controller
from seedance_widgets._jobs.files import video_path
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets._transport.retry import RetryPolicy
from seedance_widgets.errors import (
    EnqueueUnconfirmed,
    InvalidRequestError,
    SeedanceError,
)
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

SPEC = bundled_model()
FIELDS = {f.name: f for f in SPEC.fields}
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- strategies -------------------------------------------------------------------------------

odd_text = st.text(alphabet=st.characters(categories=[
    "Cc", "Cf", "Co", "Cs", "Zl", "Zp", "Zs", "Mn", "Me", "So", "Lo", "Lu", "Nd", "Po"]),
    max_size=40)
huge_text = st.builds(lambda piece, times: piece * times,
                      st.text(min_size=1, max_size=4), st.integers(2_000, 60_000))
any_text = st.one_of(st.text(max_size=60), odd_text, huge_text)
scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), any_text)
json_like = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


def field_value(name: str) -> st.SearchStrategy[Any]:
    spec = FIELDS[name]
    valid = st.sampled_from(spec.enum) if spec.enum else st.nothing()
    if spec.type == "integer" and spec.minimum is not None:
        valid = valid | st.integers(int(spec.minimum), int(spec.maximum))
    if spec.type == "boolean":
        valid = st.booleans()
    if name == "prompt":
        valid = st.text(min_size=1, max_size=80)
    return st.one_of(valid, json_like)


known_fields = st.fixed_dictionaries({}, optional={name: field_value(name) for name in FIELDS})
unknown_fields = st.dictionaries(st.text(min_size=1, max_size=12).filter(
    lambda k: k not in FIELDS), json_like, max_size=2)
form_updates = st.one_of(st.builds(lambda a, b: {**a, **b}, known_fields, unknown_fields),
                         json_like)


def valid_prompts() -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=200).filter(_prompt_ok) | st.sampled_from([
        "it's a \"quoted\" fox; $(rm -rf /) `id` ${HOME} \\n \\\\ '", "狐狸在雪中奔跑 🦊",
        "line one\nline two\ttabbed\r", "\u202eRTL override\u200d zero-width", "a" * 5000])


def _prompt_ok(prompt: str) -> bool:
    try:
        VideoRequest(prompt)
    except InvalidRequestError:
        return False
    return True


# --- the request model ------------------------------------------------------------------------


def _check_valid(request: VideoRequest) -> None:
    params = request.params
    assert isinstance(params["prompt"], str) and params["prompt"].strip()
    assert set(params) <= set(FIELDS)
    text = request.canonical_json()
    again = VideoRequest.from_json(json.loads(text))
    assert again == request and again.fingerprint() == request.fingerprint()


def _check_refusal(exc: InvalidRequestError) -> None:
    message = str(exc)
    assert isinstance(exc.field, str) and message.startswith(exc.field) and "Allowed:" in message
    assert len(message) < 1500  # a huge value is never echoed in full


@PROPERTY
@given(known=known_fields, unknown=unknown_fields)
def test_any_request_is_valid_or_refused_clearly(known, unknown):
    try:
        request = VideoRequest(**{**known, **unknown})
    except InvalidRequestError as exc:
        _check_refusal(exc)
    else:
        assert all(value is None for value in unknown.values())  # None means "not given"
        _check_valid(request)


@PROPERTY
@given(body=st.one_of(json_like, st.builds(lambda a, b, m: {**a, **b, **m}, known_fields,
                                           unknown_fields, st.fixed_dictionaries(
                                               {}, optional={"model": json_like}))))
def test_any_request_body_is_valid_or_refused_clearly(body):
    try:
        request = VideoRequest.from_json(body)
    except InvalidRequestError as exc:
        _check_refusal(exc)
    else:
        _check_valid(request)


@pytest.mark.parametrize("prompt", ["", "   ", "\x00", "fox\x07", "fox\x1b[31m", "\ud800",
                                    "fox\x85", "fox\x7f"])
def test_empty_and_control_character_prompts_are_refused(prompt):
    with pytest.raises(InvalidRequestError, match="prompt"):
        VideoRequest(prompt)


def test_a_huge_bad_value_is_not_echoed_in_full():
    with pytest.raises(InvalidRequestError) as info:
        VideoRequest("fox", watermark="0" * 100_000)
    assert len(str(info.value)) < 1500


def test_a_huge_prompt_is_either_refused_or_sent_intact():
    prompt = "a paper boat " * 100_000  # 1.3 MB
    try:
        request = VideoRequest(prompt)
    except InvalidRequestError as exc:
        _check_refusal(exc)
    else:
        assert json.loads(request.canonical_json())["prompt"] == prompt


# --- exported code ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=valid_prompts(), audio=st.booleans(), watermark=st.booleans(),
       base_url=st.sampled_from([None, "http://127.0.0.1:8800/api", "https://x.test/a%27b"]))
def test_exported_code_carries_any_prompt_exactly_and_injects_nothing(prompt, audio, watermark,
                                                                      base_url):
    request = VideoRequest(prompt, generate_audio=audio, watermark=watermark)
    toolkit = ast.parse(to_code(request, "toolkit", take=2))
    call = next(node for node in ast.walk(toolkit) if isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "generate")
    given_params = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert given_params == {**request.params, "take": 2}

    code = to_code(request, "httpx", base_url=base_url)
    tree = ast.parse(code)
    body = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                and getattr(node.targets[0], "id", "") == "REQUEST")
    assert ast.literal_eval(body) == request.to_json()

    script = to_code(request, "curl", base_url=base_url)
    words = shlex.split(script.replace("\\\n", " "), comments=False)
    payload = words[words.index("-d") + 1]
    assert json.loads(payload) == request.to_json()


def test_a_base_url_cannot_inject_shell_into_the_curl_export(tmp_path):
    marker = tmp_path / "pwned"
    base_url = f'http://x.test/$(touch {marker})"`touch {marker}`'
    script = to_code(VideoRequest("fox"), "curl", base_url=base_url)
    setup = "\n".join(line for line in script.splitlines()[:3] if "BASE_URL" in line)
    env = {k: v for k, v in os.environ.items() if k != "OXEN_BASE_URL"}
    result = subprocess.run(["bash", "-c", setup + '\nprintf %s "$BASE_URL"'], env=env,
                            capture_output=True, text=True, timeout=10, check=True)
    assert result.stdout == base_url
    assert not marker.exists()


# --- the widget: Python setters and front-end messages ----------------------------------------


@pytest.fixture(scope="module")
def quiet_simulator() -> Iterator[SimulatorServer]:
    """A simulator of this module's own, to prove no request reaches it."""
    with SimulatorServer(SimulatorConfig(queue_seconds=0.1, process_seconds=0.2)) as server:
        yield server


@pytest.fixture(scope="module")
def studio(quiet_simulator, tmp_path_factory) -> Iterator[Studio]:
    widget = Studio(api_key="sk-hostile", base_url=quiet_simulator.base_url, ledger=None,
                    output_dir=tmp_path_factory.mktemp("videos"))
    quiet_simulator.reset_stats()  # its model object was read (the service's wins): a GET
    sent: list[tuple[Any, Any]] = []
    widget.send = lambda content, buffers=None: sent.append((content, buffers))
    widget.sent = sent  # type: ignore[attr-defined]
    yield widget
    widget.close()


def _form_is_valid(studio: Studio) -> None:
    params = studio.params
    assert isinstance(params.get("prompt"), str)
    validate_params(SPEC, {**params, "prompt": "placeholder"})


@PROPERTY
@given(update=form_updates)
def test_any_form_update_from_python_is_applied_or_refused(studio, quiet_simulator, update):
    before = dict(studio.params)
    try:
        studio.params = update
    except traitlets.TraitError as exc:
        assert str(exc) and len(str(exc)) < 1500 + len(repr(update))
        assert studio.params == before
    _form_is_valid(studio)
    assert quiet_simulator.stats() == {}


@PROPERTY
@given(state=st.dictionaries(st.sampled_from(["params", "jobs", "compare", "gallery", "error",
                                              "model", "backend", "fields", "unknown"]),
                             json_like | form_updates, min_size=1, max_size=3))
def test_any_state_update_from_the_front_end_is_applied_or_refused(studio, quiet_simulator,
                                                                  state):
    message = {"content": {"data": {"method": "update", "state": state}}, "buffers": []}
    try:
        studio._handle_msg(message)
    except traitlets.TraitError as exc:  # ipykernel logs it; the widget stays as it was
        assert str(exc)
    _form_is_valid(studio)
    assert isinstance(studio.compare, list) and all(isinstance(i, str) for i in studio.compare)
    studio.request(prompt="still works")  # the controller side is unharmed
    assert quiet_simulator.stats() == {} and studio._session.jobs == {}


message_types = st.sampled_from(["generate", "cancel", "video", "export", "new_take",
                                 "posters", "sync", "unknown", "", None, 3])
messages = st.one_of(
    json_like,
    st.builds(lambda kind, extra: {**extra, "type": kind}, message_types,
              st.dictionaries(st.sampled_from(["job_id", "job_ids", "topic", "flavour",
                                               "insert", "prompt", "params", "type2"]),
                              json_like, max_size=3)),
)


@PROPERTY
@given(content=messages, buffers=st.lists(st.binary(max_size=16), max_size=2))
def test_any_message_from_the_front_end_is_refused_cleanly(studio, quiet_simulator, content,
                                                           buffers):
    """With an empty prompt in the form, no message can start a job or reach the network."""
    studio.params = {"prompt": ""}
    studio.sent.clear()
    msg = {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers}
    studio._handle_msg(msg)  # never raises
    kind = content.get("type") if isinstance(content, dict) else None
    if kind in ("generate", "export"):
        assert studio.error, "a refusal must say why"
    for sent, _buffers in studio.sent:
        assert sent["type"] in ("video_error", "code", "feed") and json.dumps(sent)
    assert quiet_simulator.stats() == {} and studio._session.jobs == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.builds(lambda kind, extra: {**extra, "type": kind},
                         st.sampled_from(["export", "video", "cancel", "new_take"]),
                         st.dictionaries(st.sampled_from(["job_id", "flavour", "insert"]),
                                         json_like | st.sampled_from(FLAVOURS), max_size=3)))
def test_messages_with_a_valid_form_still_reach_no_network(studio, quiet_simulator, content):
    studio.params = {"prompt": "a valid fox"}
    studio.sent.clear()
    studio._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                        "buffers": []})
    if content["type"] == "export":
        codes = [m for m, _ in studio.sent if m["type"] == "code"]
        if content.get("flavour", "toolkit") in FLAVOURS:
            assert codes and "a valid fox" in codes[0]["text"]
        else:
            assert not codes and "flavour" in studio.error
    assert quiet_simulator.stats() == {} and studio._session.jobs == {}


# --- untrusted server responses ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(generation_id=st.one_of(st.text(), odd_text, st.sampled_from([
    "..", ".", "../../etc/passwd", "/etc/passwd", "a/../../b", "..\\..\\win", "~root", "",
    "\x00", "CON", "a" * 500, "%2e%2e%2f", ".hidden", "x.mp4/../.."])))
def test_no_generation_id_escapes_the_output_folder(tmp_path_factory, generation_id):
    out = tmp_path_factory.getbasetemp() / "escape-check" / "videos"
    path = video_path(out, generation_id)
    assert path.parent == out and path.suffix == ".mp4"
    assert path.resolve().parent == out.resolve()
    assert not path.name.startswith(".") and len(path.name) < 200


SMALL = {"resolution": "480p", "duration": 4, "aspect_ratio": "1:1"}
QUICK = RetryPolicy(attempts=3, timeout=10, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)
FAST = FollowPolicy(queued_first=0.05, queued_max=0.1, processing=0.2, stream_down=0.1)


def hostile_server(record: Callable[[str], Any], enqueued_id: Any = "gen-1",
                   url: str | None = None) -> httpx.MockTransport:
    """A server that enqueues `enqueued_id`, answers every record read with `record(id)`,
    serves MP4 bytes and refuses the event stream."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/events":
            return httpx.Response(503, json={"error": {"message": "no stream"}})
        if request.method == "POST" and path == "/api/ai/queue":
            return httpx.Response(200, json={"generations": [
                {"generation_id": enqueued_id, "status": "queued"}]})
        if path.startswith("/api/ai/queue/"):
            raw = request.url.raw_path.decode().rsplit("/", 1)[1]
            return httpx.Response(200, json=record(raw))
        if path.startswith("/api/files/"):
            return httpx.Response(200, content=small_mp4())
        return httpx.Response(404, json={"error": {"message": "nope"}})

    return httpx.MockTransport(handler)


def _done(generation_id: str, **extra: Any) -> dict[str, Any]:
    return {"generation_id": generation_id, "status": "succeeded",
            "result_url": "http://127.0.0.1:9/api/files/video.mp4", **extra}


async def _run_one(transport: httpx.MockTransport, tmp_path: Path) -> tuple[Any, Any]:
    async with AsyncOxenClient(api_key="k", base_url="http://127.0.0.1:9/api", retry=QUICK,
                               transport=transport) as client:
        controller = Controller(client, output_dir=tmp_path / "out" / "videos", policy=FAST,
                                ledger=Ledger(tmp_path / "out" / "ledger"), namespace="hostile")
        job = controller.submit(VideoRequest("hostile fox", **SMALL))
        try:
            result = await asyncio.wait_for(job, 20)  # an error, never a hang
        except SeedanceError as exc:
            result = exc
        await controller.aclose()
        return job, result


def _only_inside(tmp_path: Path) -> None:
    outside = [p for p in tmp_path.rglob("*") if p.is_file()
               and not p.resolve().is_relative_to((tmp_path / "out").resolve())]
    assert outside == []


@pytest.mark.parametrize("generation_id", ["../../escaped", "/abs/escaped", "a/b/../../../c",
                                           "..%2f..%2fescaped"])
async def test_a_hostile_generation_id_stays_in_the_output_folder(tmp_path, generation_id):
    transport = hostile_server(lambda raw: _done(generation_id), enqueued_id=generation_id)
    _job, result = await _run_one(transport, tmp_path)
    assert isinstance(result, Path), result
    assert result.resolve().parent == (tmp_path / "out" / "videos").resolve()
    assert result.read_bytes() == small_mp4()
    _only_inside(tmp_path)


@pytest.mark.parametrize("enqueued_id, record, expect", [
    ("..", lambda raw: _done(".."), "generation_id"),
    ("gen-1", lambda raw: {"generation_id": "gen-1", "status": "done"}, "unknown generation "
     "status 'done'"),
    ("gen-1", lambda raw: {"generation_id": "gen-1", "status": None}, "unknown generation"),
    ("gen-1", lambda raw: {"generation_id": "gen-1"}, "without a `status`"),
    ("gen-1", lambda raw: {"status": "succeeded"}, "without a `generation_id`"),
    ("gen-1", lambda raw: _done("gen-2"), "asked for generation gen-1, got gen-2"),
    ("gen-1", lambda raw: ["not", "a", "record"], "expected a generation record"),
    ("gen-1", lambda raw: _done("gen-1", result_url=None), "succeeded without a URL"),
    ("gen-1", lambda raw: _done("gen-1", result_url="file:///etc/passwd"), "scheme 'file'"),
])
async def test_an_unexpected_answer_is_an_error_not_a_hang(tmp_path, enqueued_id, record,
                                                           expect):
    job, result = await _run_one(hostile_server(record, enqueued_id=enqueued_id), tmp_path)
    assert isinstance(result, SeedanceError), result
    assert expect in str(result), str(result)
    assert job.done and job.status == "error" and expect in job.error
    _only_inside(tmp_path)


@pytest.mark.parametrize("enqueued_id", [17, None, ""])
async def test_an_enqueue_answer_without_a_usable_id_is_never_sent_again(tmp_path, enqueued_id):
    """The server may have taken the job: the client reconciles (here the listing fails)
    and leaves the job unconfirmed rather than paying again."""
    posts = []
    inner = hostile_server(lambda raw: _done("x"), enqueued_id=enqueued_id)

    def counting(request: httpx.Request) -> httpx.Response:
        posts.append(request.method == "POST")
        return inner.handle_request(request)

    job, result = await _run_one(httpx.MockTransport(counting), tmp_path)
    assert isinstance(result, EnqueueUnconfirmed), result
    assert "usable `generation_id`" in str(result) and sum(posts) == 1
    assert job.status == "unconfirmed" and job.intent_id in job.error
    _only_inside(tmp_path)


def test_floats_that_are_not_numbers_are_refused():
    for value in (math.nan, math.inf, -math.inf, 5.0, True):
        with pytest.raises(InvalidRequestError, match="duration"):
            VideoRequest("fox", duration=value)
