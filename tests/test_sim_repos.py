"""Repository files on the simulator: create, upload (multipart PUT), serve (GET, HEAD)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from seedance_widgets.simulator import SimulatorConfig, SimulatorServer
from seedance_widgets.simulator.faults import FAULTS
from seedance_widgets.simulator.repos import FILE_PATH

NOT_FOUND = {"error": {"type": "resource_not_found",
                       "title": "The requested resource could not be found"},
             "status": "error", "status_message": "resource_not_found"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig()) as server:
        yield server


@pytest.fixture(scope="module")
def http(sim: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": "Bearer k"}, timeout=10,
                      trust_env=False) as client:
        assert client.post("/repos", json={"namespace": "ox", "name": "data"}).status_code == 201
        yield client


def test_create_answers_the_repository_then_409(http) -> None:
    body = {"namespace": "ox", "name": "fresh", "description": "made by a test",
            "user": {"name": "Ox", "email": "ox@example.com"}}
    created = http.post("/repos", json=body)
    assert created.status_code == 201
    answer = created.json()
    assert {k: answer[k] for k in ("namespace", "name", "description")} == {
        "namespace": "ox", "name": "fresh", "description": "made by a test"}
    assert answer["created_at"].endswith("Z")
    again = http.post("/repos", json=body)
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "conflict"
    for bad in ({"namespace": "ox"}, {"namespace": "ox", "name": "../up"}, {"name": "x"}):
        refused = http.post("/repos", json=bad)
        assert refused.status_code == 400 and refused.json()["status_message"] == "invalid_params"


def test_upload_then_get_and_head(http) -> None:
    form = {"message": "Add the first frame", "name": "Ox", "email": "ox@example.com"}
    put = http.put("/repos/ox/data/file/main/frames/first.png", data=form,
                   files={"file": ("local-name.png", PNG, "image/png")})
    assert put.status_code == 200
    answer = put.json()
    assert answer["file"] == {"path": "frames/first.png", "size": len(PNG),
                              "hash": "sha256:" + hashlib.sha256(PNG).hexdigest()}
    commit = answer["commit"]
    assert (commit["message"], commit["author"]) == (form["message"],
                                                     {"name": "Ox", "email": "ox@example.com"})
    assert len(commit["id"]) >= 16 and commit["timestamp"].endswith("Z")
    got = http.get("/repos/ox/data/file/main/frames/first.png")
    assert (got.status_code, got.content) == (200, PNG)
    assert got.headers["content-type"] == "image/png"
    head = http.head("/repos/ox/data/file/main/frames/first.png")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(PNG))


def test_the_name_and_commit_fields_are_optional_and_uploads_replace(http) -> None:
    path = "/repos/ox/data/file/main/notes/readme.txt"
    assert http.put(path, files={"file": ("a.txt", b"one")}).status_code == 200
    assert http.put(path, files={"file": ("b.txt", b"two")}).json()["file"]["size"] == 3
    got = http.get(path)
    assert got.content == b"two" and got.headers["content-type"].startswith("text/plain")


def test_several_files_go_into_the_directory(http) -> None:
    files = [("file", ("a.jpg", b"A")), ("file", ("b.jpg", b"BB"))]
    answer = http.put("/repos/ox/data/file/main/batch", files=files).json()
    assert [f["path"] for f in answer["files"]] == ["batch/a.jpg", "batch/b.jpg"]
    listed = http.put("/repos/ox/data/file/main/listed",
                      files=[("files[]", ("c.webp", b"C"))]).json()
    assert listed["file"]["path"] == "listed/c.webp"  # one file: answered as `file`
    assert http.get("/repos/ox/data/file/main/batch/b.jpg").content == b"BB"


@pytest.mark.parametrize("path", [
    "/repos/ox/nope/file/main/a.png",  # no such repository
    "/repos/ox/data/file/main/frames/missing.png",  # no such file
    "/repos/ox/data/file/dev/frames/first.png",  # nothing on that branch
    "/repos/ox/data/file/main/frames",  # a directory
])
def test_missing_is_404(http, path) -> None:
    assert http.get(path).json() == NOT_FOUND
    assert http.head(path).status_code == 404


def test_upload_refusals(http) -> None:
    missing_repo = http.put("/repos/ox/nope/file/main/a.png", files={"file": ("a.png", PNG)})
    assert missing_repo.status_code == 404 and missing_repo.json() == NOT_FOUND
    no_file = http.put("/repos/ox/data/file/main/a.png", data={"message": "nothing"})
    assert no_file.status_code == 400 and no_file.json()["error"]["title"] == "No file"
    sneaky = http.put("/repos/ox/data/file/main/a/%2E%2E/%2E%2E/escape.png",
                      files={"file": ("x.png", PNG)})
    assert sneaky.status_code == 400 and "not a file path" in sneaky.json()["error"]["detail"]
    assert http.get("/repos/ox/escape.png").status_code == 404


def test_the_routes_need_the_key_and_take_faults(sim) -> None:
    for method, path in [("POST", "/repos"), ("PUT", "/repos/ox/data/file/main/a.png"),
                         ("GET", "/repos/ox/data/file/main/frames/first.png"),
                         ("HEAD", "/repos/ox/data/file/main/frames/first.png")]:
        assert httpx.request(method, sim.base_url + path, trust_env=False).status_code == 401
    for method in ("PUT", "GET", "HEAD"):
        assert f"{method} {FILE_PATH}" in FAULTS["reset-after"]
    assert "POST /api/repos" in FAULTS["500"]
    sim.faults.set("reset-after", every=1, max=1, routes=[f"PUT {FILE_PATH}"])
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": "Bearer k"},
                      trust_env=False) as client, pytest.raises(httpx.ReadError):
        client.put("/repos/ox/data/file/main/lost-answer.png", files={"file": ("x", PNG)})
    sim.faults.clear()
    assert sim.store.repos.file("ox", "data", "main", "lost-answer.png") is not None
