"""The key never leaks: a recognisable fake key is absent from widget state, a saved notebook
(widget state included) and its HTML export, exported code, the ledger, DEBUG logs, and the
messages and reprs of exceptions."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import re
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbconvert import HTMLExporter
from notebook_runner import run_notebook

from seedance_widgets import Studio
from seedance_widgets._contract import VideoRequest
from seedance_widgets._export import FLAVOURS
from seedance_widgets._jobs.controller import Controller
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets._transport.retry import RetryPolicy
from seedance_widgets._transport.settings import ApiKey, Settings
from seedance_widgets._widget.views import job_view
from seedance_widgets.errors import (
    GenerationCancelled,
    ProtocolError,
    SeedanceError,
)
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer
from seedance_widgets.simulator.faults import Faults

SMALL = {"resolution": "480p", "duration": 4, "aspect_ratio": "1:1"}
FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=2.0, stream_down=0.3)
QUICK = RetryPolicy(attempts=6, timeout=20, wait_initial=0.02, wait_max=0.1, wait_jitter=0.02)
LOGGERS = ("", "httpx", "httpcore", "seedance_widgets", "stamina", "asyncio", "uvicorn")


def assert_absent(key: str, *texts: Any) -> None:
    for text in texts:
        data = text if isinstance(text, bytes) else str(text).encode("utf-8", "replace")
        assert key.encode() not in data, f"the key leaked into: {str(text)[:300]!r}"
        # Also no recognisable middle part of it (a key cut by a line wrap or a repr limit).
        assert key[8:24].encode() not in data, f"part of the key leaked: {str(text)[:300]!r}"


def chain(exc: BaseException) -> Iterator[BaseException]:
    """An exception and every cause and context behind it."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def assert_exception_clean(key: str, exc: BaseException) -> None:
    assert_absent(key, "".join(traceback.format_exception(exc)))
    for link in chain(exc):
        assert_absent(key, str(link), repr(link), repr(link.args),
                      *getattr(link, "__notes__", ()))


@pytest.fixture
def faulty(api_key) -> Iterator[SimulatorServer]:
    """A simulator that checks the fake key and injects faults, so error paths run too."""
    faults = Faults.from_specs(["429=0.1", "500=0.1", "reset-before=0.05", "reset-after=0.05",
                                "malformed=0.05", "stream-drop=0.1", "expired-url=0.2",
                                "download-cut=0.2"], seed=5, retry_after=0.1)
    config = SimulatorConfig(queue_seconds=0.1, process_seconds=0.3, keepalive_seconds=0.3,
                             api_key=api_key, faults=faults)
    with SimulatorServer(config) as server:
        yield server


# --- the key object itself --------------------------------------------------------------------


def test_the_key_object_never_shows_itself(api_key):
    settings = Settings.resolve(api_key, "http://127.0.0.1:9/api")
    client = AsyncOxenClient(api_key=api_key, base_url="http://127.0.0.1:9/api")
    assert_absent(api_key, repr(settings), str(settings), repr(settings.api_key),
                  f"{settings.api_key}", repr(client), repr(vars(settings)))
    with pytest.raises(TypeError):
        pickle.dumps(settings.api_key)
    assert sent_authorization(settings) == f"Bearer {api_key}"  # the only place
    assert client.settings.api_key == ApiKey(api_key)


def sent_authorization(settings: Settings, url: str | None = None) -> str | None:
    """The Authorization header the client's auth puts on a request for `url`."""
    request = httpx.Request("GET", url or settings.base_url + "/ai/queue")
    return next(settings.auth.auth_flow(request)).headers.get("Authorization")


@pytest.mark.parametrize("junk", [" ", "\n", "\r\n\t"])
def test_a_pasted_key_loses_its_surrounding_whitespace(api_key, junk):
    client = AsyncOxenClient(api_key=junk + api_key + junk, base_url="http://127.0.0.1:9/api")
    assert sent_authorization(client.settings) == f"Bearer {api_key}"


@pytest.mark.parametrize("bad", ["key with spaces", "kéy", "key\x00", "key\nX-Evil: 1"])
def test_an_unusable_key_is_refused_without_being_quoted(api_key, bad):
    """Refused before any HTTP library could quote the header value back in an error."""
    with pytest.raises(SeedanceError) as info:
        AsyncOxenClient(api_key=api_key + bad, base_url="http://127.0.0.1:9/api")
    assert "api_key" in str(info.value)
    assert_exception_clean(api_key, info.value)


# --- exceptions, logs, ledger, widget state, exported code ------------------------------------


async def test_errors_logs_and_ledger_never_hold_the_key(api_key, faulty, tmp_path, caplog):
    """Real jobs through faults at DEBUG level, and every kind of error the client raises."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    errors: list[BaseException] = []

    async with AsyncOxenClient(api_key=api_key, base_url=faulty.base_url, retry=QUICK,
                               timeout=httpx.Timeout(2.0)) as client:
        ledger = Ledger(tmp_path / "ledger")
        controller = Controller(client, output_dir=tmp_path / "videos", policy=FAST,
                                ledger=ledger, namespace="secrets", deadline=30)
        jobs = [controller.submit(VideoRequest(f"secret-free fox {i}", **SMALL))
                for i in range(4)]
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
        assert any(isinstance(o, Path) for o in outcomes), outcomes
        errors += [o for o in outcomes if isinstance(o, BaseException)]
        assert_absent(api_key, *(repr(j) for j in jobs), *(json.dumps(job_view(j)) for j in jobs))

        faulty.faults.clear()
        try:
            await client.get("no-such-generation")
        except SeedanceError as exc:
            errors.append(exc)
        faulty.faults.set("500", every=1, routes=["GET /api/ai/queue/{generation_id}"])
        try:
            await client.get(jobs[0].generation_id)
        except SeedanceError as exc:
            errors.append(exc)
        faulty.faults.clear()
        faulty.faults.set("stuck", every=1, max=1)
        stuck = Controller(client, output_dir=tmp_path / "videos", policy=FAST, deadline=1.0)
        try:
            await stuck.submit(VideoRequest("stuck fox", **SMALL))
        except GenerationCancelled as exc:
            errors.append(exc)
        await stuck.aclose()
        await controller.aclose()

    wrong = SimulatorConfig(api_key="another-key")
    with SimulatorServer(wrong) as other:
        async with AsyncOxenClient(api_key=api_key, base_url=other.base_url) as client:
            try:
                await client.list()
            except SeedanceError as exc:
                errors.append(exc)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    async with AsyncOxenClient(api_key=api_key, base_url=f"http://127.0.0.1:{closed}/api",
                               retry=QUICK) as client:
        for attempt in (client.enqueue(VideoRequest("nowhere", **SMALL)),
                        client.download(f"http://127.0.0.1:{closed}/api/x.mp4",
                                        tmp_path / "x.mp4")):
            try:
                await attempt
            except SeedanceError as exc:
                errors.append(exc)

    def hostile(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"generation_id": "g", "status": "mystery"})

    async with AsyncOxenClient(api_key=api_key, base_url="http://127.0.0.1:9/api",
                               transport=httpx.MockTransport(hostile)) as client:
        with pytest.raises(ProtocolError) as info:
            await client.get("g")
        errors.append(info.value)

    kinds = {type(e).__name__ for e in errors}
    assert {"NotFoundError", "ServerError", "GenerationCancelled", "AuthenticationError",
            "NetworkError", "ProtocolError"} <= kinds, kinds
    for exc in errors:
        assert_exception_clean(api_key, exc)

    # Logs at DEBUG, with their arguments and structured extras.
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    for record in caplog.records:
        assert_absent(api_key, record.getMessage(), repr(record.args), repr(vars(record)))
    assert_absent(api_key, caplog.text)

    # The ledger, every byte of its files (database, WAL, shared memory).
    files = [p for p in (tmp_path / "ledger").iterdir() if p.is_file()]
    assert files and ledger.records()
    for path in files:
        assert_absent(api_key, path.read_bytes())
    assert_absent(api_key, *(p.name for p in tmp_path.rglob("*")))


async def test_widget_state_and_exported_code_never_hold_the_key(api_key, simulator, tmp_path):
    studio = Studio(api_key=api_key, base_url=simulator.base_url, output_dir=tmp_path / "v",
                    ledger=tmp_path / "ledger", policy=FAST)
    try:
        studio.params = {"prompt": "a fox in the widget", **SMALL}
        path = await asyncio.wait_for(studio.generate(), 30)
        assert path.exists()
        studio._handle_message(studio, {"type": "export", "flavour": "cobol"}, [])
        assert "flavour" in studio.error
        with pytest.raises(SeedanceError):
            studio.generate(duration=99)
        states = [studio.get_state()]
        codes = [studio.to_code(flavour) for flavour in FLAVOURS]
        assert "a fox in the widget" in json.dumps(states[0])  # the check reads real state
        assert_absent(api_key, json.dumps(states, default=repr), *codes, repr(studio),
                      studio._snapshot.render(list(studio._session.jobs.values())))
    finally:
        studio.close()

    wrong = SimulatorConfig(api_key="another-key")
    with SimulatorServer(wrong) as other:
        refused = Studio(api_key=api_key, base_url=other.base_url, ledger=None,
                         output_dir=tmp_path / "w")
        try:
            job = refused.generate("a refused fox", **SMALL)
            with pytest.raises(SeedanceError):
                await asyncio.wait_for(job, 30)
            assert "OXEN_API_KEY" in (job.error or "")  # the error says how to fix it...
            assert_absent(api_key, json.dumps(refused.get_state(), default=repr),
                          job.error, repr(job))  # ...without the key
        finally:
            refused.close()


# --- a saved notebook with widget state, and its HTML export ----------------------------------

CELLS = [
    "from seedance_widgets import Studio\n"
    "from seedance_widgets._jobs.follower import FollowPolicy\n"
    "studio = Studio(output_dir='videos', ledger='.seedance',\n"
    "                policy=FollowPolicy(0.1, 0.3, 2.0, 0.3))\n"
    "studio",
    "job = studio.generate('a fox saved in a notebook', resolution='480p', duration=4,\n"
    "                      aspect_ratio='1:1')\n"
    "path = await job\n"
    "print(path.name, job.status)",
    "for flavour in ('toolkit', 'httpx', 'curl'):\n"
    "    print(studio.to_code(flavour))",
    "print(repr(studio), repr(job), repr(studio._wiring.client), studio._wiring.client.settings)\n"
    "job",
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, force=True)\n"
    "second = studio.generate('a second fox, logged', resolution='480p', duration=4,\n"
    "                         aspect_ratio='1:1')\n"
    "print(await second)\n"
    "logging.basicConfig(level=logging.WARNING, force=True)",
    "await studio._wiring.client.get('no-such-generation')",
    "studio",
]


def test_a_saved_notebook_and_its_html_export_never_hold_the_key(api_key, simulator,
                                                                  tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.cells[5].metadata["tags"] = ["raises-exception"]
    run_notebook(notebook, tmp_path, store_widget_state=True, OXEN_API_KEY=api_key,
                 OXEN_BASE_URL=simulator.base_url)

    path = tmp_path / "saved.ipynb"
    nbformat.write(notebook, path)
    html, _resources = HTMLExporter().from_notebook_node(notebook)
    (tmp_path / "saved.html").write_text(html, encoding="utf-8")

    text = path.read_text(encoding="utf-8")
    outputs = "\n".join(json.dumps(cell.get("outputs", [])) for cell in notebook.cells)
    # The checks read real content: widget state, the job, logs, a traceback, the code.
    widget_state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    # (the form is in the widget state; jobs reach views as messages, so they are not)
    assert "a second fox, logged" in json.dumps(widget_state)
    assert "NotFoundError" in outputs and "DEBUG" in outputs and "httpx.Client" in outputs
    assert "a fox saved in a notebook" in html and "widget-state+json" in html
    assert_absent(api_key, text, html)
    kept = [p for p in (tmp_path / ".seedance").rglob("*") if p.is_file()]
    assert any(p.parent.parent.name == "models" for p in kept)  # the model object, kept
    for ledger_file in kept:
        assert_absent(api_key, ledger_file.read_bytes())


# --- a careless service, reprs and tracebacks with locals (exactly-once issue) ----------------


def test_the_backend_and_every_public_object_mask_the_key(api_key):
    from seedance_widgets import OxenClient
    from seedance_widgets._wiring import choose_backend

    backend = choose_backend(api_key, "http://127.0.0.1:9/api")
    assert backend.settings.api_key == ApiKey(api_key)
    client = OxenClient(api_key=api_key, base_url="http://127.0.0.1:9/api")
    half_built = Studio.__new__(Studio)  # its __init__ never ran (or failed early)
    try:
        assert_absent(api_key, repr(backend), str(backend), repr(client),
                      repr(Settings.resolve(api_key).auth))
        assert repr(half_built).startswith("Studio(")
    finally:
        client.close()


def _format_with_locals(exc: BaseException) -> str:
    """The traceback as `%xmode Verbose` would print it (every frame's locals), without the
    frames of this test file (whose own locals hold the key, as a user's cell might)."""
    formatted = traceback.TracebackException(type(exc), exc, exc.__traceback__,
                                             capture_locals=True)
    link: traceback.TracebackException | None = formatted
    while link is not None:
        link.stack = traceback.StackSummary.from_list(
            [f for f in link.stack if Path(f.filename).parent != Path(__file__).parent])
        link = link.__cause__ or link.__context__
    return "".join(formatted.format())


async def test_an_echoing_service_never_shows_the_key(api_key, tmp_path):
    """A service that quotes the Authorization header back, in an error body and in a failed
    generation's error_message: the key becomes *** before any error, job, trait, snapshot
    or ledger sees it, and tracebacks printed with every frame's locals hold none."""
    from hostile_server import HostileServer

    with HostileServer() as server:
        studio = Studio(api_key=api_key, base_url=server.echo_url, output_dir=tmp_path / "v",
                        ledger=tmp_path / "ledger", policy=FAST)
        try:
            job = studio.generate("a careless service", **SMALL)
            outcome = await asyncio.wait_for(job.outcome(), 30)
            assert job.status == "failed" and "Bearer ***" in job.error
            assert_absent(api_key, job.error, repr(job), json.dumps(studio.get_state()),
                          studio._snapshot.render(studio._session.ordered()))
            assert_absent(api_key, _format_with_locals(outcome))

            async with AsyncOxenClient(api_key=api_key, base_url=server.echo_url,
                                       retry=QUICK) as client:
                with pytest.raises(SeedanceError) as info:
                    await client.list()
                assert "Bearer ***" in str(info.value)
                assert_exception_clean(api_key, info.value)
                assert_absent(api_key, _format_with_locals(info.value))
        finally:
            studio.close()
        for path in (tmp_path / "ledger").iterdir():
            assert_absent(api_key, path.read_bytes())


def test_tracebacks_with_locals_hold_no_key(api_key, tmp_path):
    """Failing generate, sync call and download, formatted with every frame's locals."""
    from seedance_widgets import OxenClient
    from seedance_widgets._jobs.runner import JobRunner
    from seedance_widgets._wiring import choose_backend, wire

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    failures: list[BaseException] = []
    client = OxenClient(api_key=api_key, base_url=closed)
    runner = JobRunner(lambda: wire(choose_backend(api_key, closed), ledger=tmp_path / "ledger",
                                    output_dir=tmp_path / "v"))
    try:
        for call in (lambda: runner.generate_video(VideoRequest("refused fox", **SMALL)),
                     lambda: client.generate(VideoRequest("refused fox", **SMALL)),
                     lambda: client.get("some-generation"),
                     lambda: client.download(f"{closed}/results/x.mp4", tmp_path / "x.mp4")):
            with pytest.raises(SeedanceError) as info:
                call()
            failures.append(info.value)
    finally:
        client.close()
        runner.close()
    with pytest.raises(SeedanceError) as info:  # a Studio that fails while being built
        Studio(api_key=api_key, base_url=closed, model="no-such-model",
               ledger=tmp_path / "ledger")
    failures.append(info.value)
    assert {type(f).__name__ for f in failures} >= {"NetworkError"}
    for failure in failures:
        text = _format_with_locals(failure)
        assert re.search(r"^    \w+ = ", text, re.M), text  # locals were really captured
        assert_absent(api_key, text)
