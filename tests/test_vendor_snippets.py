"""The vendor page's own code blocks run unchanged against the simulator (only the URL differs).

`tests/vendor_snippets/` holds verbatim copies of the page's blocks; when the reference page is
beside the repository (`../shared/reference`), the copies are checked against it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from seedance_widgets.simulator import SimulatorServer

SNIPPETS = Path(__file__).parent / "vendor_snippets"
PAGE = (Path(__file__).resolve().parents[2] / "shared" / "reference"
        / "oxen-seedance-2.0-fast-text-to-video.md")
VENDOR_BASE_URL = "https://hub.oxen.ai/api"
MODEL = "bytedance-seedance-2-0-fast-text-to-video"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

# The page's code blocks in page order: each tab (Sync, Async, Async with SSE) has a
# Minimal and an All-parameters pane with a cURL and a Python block; then "Fetch model details".
PAGE_BLOCKS = [
    "sync_minimal.sh", "sync_minimal.py", "sync_all_params.sh", "sync_all_params.py",
    "async_minimal.sh", "async_minimal.py", "async_all_params.sh", "async_all_params.py",
    "sse_minimal.sh", "sse_minimal.py", "sse_all_params.sh", "sse_all_params.py",
    "fetch_model.sh",
]
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>bash|python)\b[^\n]*\n(?P<body>.*?)^(?P=indent)```$",
    re.MULTILINE | re.DOTALL,
)


def page_blocks(page: str) -> list[tuple[str, str]]:
    """(language, code) of every bash/python block, dedented by its fence's indentation."""
    blocks = []
    for match in _FENCE.finditer(page):
        indent = match["indent"]
        lines = match["body"].splitlines(keepends=True)
        blocks.append((match["lang"], "".join(line.removeprefix(indent) for line in lines)))
    return blocks


@pytest.mark.skipif(not PAGE.is_file(), reason="the reference page is not beside this checkout")
def test_committed_snippets_match_the_page() -> None:
    blocks = page_blocks(PAGE.read_text("utf-8"))
    assert len(blocks) == len(PAGE_BLOCKS)
    for name, (lang, code) in zip(PAGE_BLOCKS, blocks, strict=True):
        assert name.endswith({"bash": ".sh", "python": ".py"}[lang]), name
        assert (SNIPPETS / name).read_text("utf-8") == code, f"{name} differs from the page"


# Debian's default awk is mawk, which fills a large input buffer before running its program:
# in the SSE cURL snippet (`curl -N ... | awk ...`) it would hold the event until kilobytes of
# keep-alives more arrived. The snippets run with mawk in line-by-line mode instead.
_AWK = shutil.which("awk")
MAWK = _AWK is not None and Path(_AWK).resolve().name == "mawk"


@pytest.fixture(scope="session")
def shell_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PATH for the cURL snippets: the system's, with `awk` reading line by line."""
    path = os.environ.get("PATH", "")
    if not MAWK:
        return path
    shim = tmp_path_factory.mktemp("line-buffered-awk") / "awk"
    shim.write_text('#!/bin/sh\nexec mawk -W interactive "$@"\n')
    shim.chmod(0o755)
    return f"{shim.parent}{os.pathsep}{path}"


def start_snippet(name: str, simulator: SimulatorServer, api_key: str,
                  path: str) -> subprocess.Popen[str]:
    """Start one snippet against the simulator, in a process group of its own.

    The vendor base URL becomes the simulator's: the only change made to the code.
    """
    code = (SNIPPETS / name).read_text("utf-8")
    assert VENDOR_BASE_URL in code
    code = code.replace(VENDOR_BASE_URL, simulator.base_url)
    command = [sys.executable, "-c", code] if name.endswith(".py") else ["bash", "-c", code]
    env = {**os.environ, "PATH": path, "OXEN_API_KEY": api_key,
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def stop_group(process: subprocess.Popen[str]) -> None:
    """Kill the snippet and what it started (curl, awk, jq) if it is still running."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def run_snippet(name: str, simulator: SimulatorServer, api_key: str,
                path: str) -> subprocess.CompletedProcess[str]:
    process = start_snippet(name, simulator, api_key, path)
    try:
        out, err = process.communicate(timeout=60)
    finally:
        stop_group(process)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _assert_downloadable(url: str, simulator: SimulatorServer, api_key: str) -> None:
    assert url.startswith(simulator.base_url + "/results/"), url
    response = httpx.get(url, headers={"Authorization": f"Bearer {api_key}"}, trust_env=False)
    assert response.status_code == 200
    assert response.content[4:8] == b"ftyp"


def _check_generation(gid: str, simulator: SimulatorServer, api_key: str) -> dict[str, Any]:
    response = httpx.get(f"{simulator.base_url}/ai/queue/{gid}",
                         headers={"Authorization": f"Bearer {api_key}"}, trust_env=False)
    assert response.status_code == 200
    record = response.json()
    assert record["status"] == "succeeded"
    return record


def check_sync_python(out: str, sim: SimulatorServer, key: str) -> None:
    body = ast.literal_eval(out.strip())  # print(response.json()) prints a dict's repr
    assert body["model"] == MODEL
    assert isinstance(body["created"], int)
    _assert_downloadable(body["videos"][0]["url"], sim, key)


def check_sync_curl(out: str, sim: SimulatorServer, key: str) -> None:
    body = json.loads(out)
    assert body["model"] == MODEL
    _assert_downloadable(body["videos"][0]["url"], sim, key)


def check_async_python(out: str, sim: SimulatorServer, key: str) -> None:
    match = re.fullmatch(r"Result: (\S+)\n", out)
    assert match, out
    _assert_downloadable(match[1], sim, key)


def check_async_curl(out: str, sim: SimulatorServer, key: str) -> None:
    progress, _, final = out.rpartition("Status: succeeded\n")
    assert set(re.findall(r"Status: (\w+)", progress)) <= {"queued", "processing"}
    record = json.loads(final)
    assert record["status"] == "succeeded"
    _assert_downloadable(record["result_url"], sim, key)


def _check_completion(payload: dict[str, Any], sim: SimulatorServer, key: str) -> None:
    assert set(payload) == {"generation_id", "status", "media_type", "model", "url"}
    assert re.fullmatch(UUID, payload["generation_id"])
    assert (payload["status"], payload["media_type"], payload["model"]) == (
        "succeeded", "video", MODEL)
    record = _check_generation(payload["generation_id"], sim, key)
    assert payload["url"] == record["result_url"]
    _assert_downloadable(payload["url"], sim, key)


def check_sse_python(out: str, sim: SimulatorServer, key: str) -> None:
    _check_completion(ast.literal_eval(out.strip()), sim, key)


def check_sse_curl(out: str, sim: SimulatorServer, key: str) -> None:
    _check_completion(json.loads(out), sim, key)


def check_fetch_model(out: str, sim: SimulatorServer, key: str) -> None:
    model = json.loads(out)
    assert model["id"] == MODEL
    assert "json_request_schema" in model


Checker = Callable[[str, SimulatorServer, str], None]
RUNNABLE: dict[str, Checker] = {
    "sync_minimal.py": check_sync_python,
    "async_minimal.py": check_async_python,
    "sse_minimal.py": check_sse_python,
    "sync_minimal.sh": check_sync_curl,
    "sync_all_params.sh": check_sync_curl,
    "async_minimal.sh": check_async_curl,
    "async_all_params.sh": check_async_curl,
    "sse_minimal.sh": check_sse_curl,
    "sse_all_params.sh": check_sse_curl,
    "fetch_model.sh": check_fetch_model,
}
ALL_PARAMS_PYTHON = ["sync_all_params.py", "async_all_params.py", "sse_all_params.py"]


def test_every_page_block_is_covered() -> None:
    assert sorted([*RUNNABLE, *ALL_PARAMS_PYTHON]) == sorted(PAGE_BLOCKS)


@pytest.mark.parametrize("name", list(RUNNABLE))
def test_snippet_runs_against_the_simulator(name: str, simulator: SimulatorServer,
                                            api_key: str, shell_path: str) -> None:
    if name.endswith(".sh") and not (shutil.which("curl") and shutil.which("jq")):
        pytest.skip("the cURL snippets need curl and jq")
    result = run_snippet(name, simulator, api_key, shell_path)
    assert result.returncode == 0, result.stderr
    RUNNABLE[name](result.stdout, simulator, api_key)


@pytest.mark.parametrize("name", ALL_PARAMS_PYTHON)
def test_all_parameters_python_is_invalid_as_published(name: str, simulator: SimulatorServer,
                                                       api_key: str, shell_path: str) -> None:
    """The page pastes JSON into Python: `false` is not a Python name, so the call never runs."""
    code = (SNIPPETS / name).read_text("utf-8")
    assert '"generate_audio": false' in code
    result = run_snippet(name, simulator, api_key, shell_path)
    assert result.returncode == 1
    last_line = result.stderr.rstrip().splitlines()[-1]
    assert last_line.startswith("NameError: name 'false' is not defined")
    assert result.stdout == ""


@pytest.mark.skipif(not MAWK or not shutil.which("curl"), reason="documents mawk's buffering")
def test_sse_curl_snippet_stalls_under_plain_mawk(simulator: SimulatorServer,
                                                  api_key: str) -> None:
    """With the system's mawk as is, the vendor's SSE pipeline misses its moment: the event
    arrives (within ~2 s here) but mawk waits for a full buffer, so nothing is printed."""
    process = start_snippet("sse_minimal.sh", simulator, api_key, os.environ.get("PATH", ""))
    try:
        time.sleep(4)
        assert process.poll() is None
    finally:
        stop_group(process)
        out, _ = process.communicate(timeout=10)
    assert out == ""
