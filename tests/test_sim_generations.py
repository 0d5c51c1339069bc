"""`GET /ai/generations` and `GET /ai/generations/{id}`: past generations with what they cost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx
import pytest

from seedance_widgets._contract import (
    VideoRequest,
    bundled_model,
)
from seedance_widgets._contract.pricing import cost_of, estimate_cost, total_cost
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer
from seedance_widgets.simulator.faults import FAULTS

FAST = "bytedance-seedance-2-0-fast-text-to-video"
ROW_FIELDS = {"generation_id", "model_name", "enqueued_at", "started_at", "completed_at", "cost",
              "error_message", "result_url", "target_namespace", "target_repo",
              "target_directory", "user_id", "username", "user_image"}
NOT_FOUND = {"error": {"type": "resource_not_found",
                       "title": "The requested resource could not be found"},
             "status": "error", "status_message": "resource_not_found"}
# The fast model's placeholder rates: 0.08 / s, 0.12 / s at 720p, +0.02 / s with audio.
JOBS: list[tuple[dict[str, Any], str, str | None]] = [  # params, final status, cost
    ({"prompt": "cheap fox", "resolution": "480p", "duration": 4}, "succeeded", "0.32"),
    ({"prompt": "loud fox", "resolution": "720p", "duration": 5, "generate_audio": True},
     "succeeded", "0.70"),
    ({"prompt": "auto fox", "resolution": "480p", "duration": -1}, "succeeded", "0.40"),
    ({"prompt": "bad fox", "resolution": "1080p", "duration": 4}, "failed", None),
    ({"prompt": "crashed fox", "resolution": "480p", "duration": 4}, "failed", None),
    ({"prompt": "cancelled fox", "resolution": "480p", "duration": 4}, "cancelled", None),
]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(queue_seconds=0.2, process_seconds=0.2, keepalive_seconds=0.5)
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture(scope="module")
def http(sim: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": "Bearer k"}, timeout=10,
                      trust_env=False) as client:
        yield client


@pytest.fixture(scope="module")
def ids(sim: SimulatorServer, http: httpx.Client) -> list[str]:
    """The six jobs of `JOBS`, run to their end, in enqueue order."""
    sim.faults.set("fail", every=5, max=1)  # the fifth job to start: "crashed fox"
    found = []
    for params, _, _ in JOBS:
        answer = http.post("/ai/queue", json={"model": FAST, "aspect_ratio": "1:1", **params})
        (generation,) = answer.json()["generations"]
        found.append(generation["generation_id"])
        if params["prompt"] == "cancelled fox":
            http.delete(f"/ai/queue/{generation['generation_id']}")
        time.sleep(0.05)  # start in order, so `fail` hits the fifth
    deadline = time.monotonic() + 30
    while any(http.get(f"/ai/queue/{g}").json()["status"] in ("queued", "processing")
              for g in found):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sim.faults.clear()
    return found


def listing(http: httpx.Client, **query: Any) -> dict[str, Any]:
    response = http.get("/ai/generations", params=query)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_routes_need_the_key(sim) -> None:
    for path in ("/ai/generations", "/ai/generations/some-id"):
        answer = httpx.get(sim.base_url + path, trust_env=False)
        assert answer.status_code == 401 and answer.json()["status_message"] == "unauthenticated"


def test_the_routes_are_in_the_api_fault_group() -> None:
    for fault in ("429", "500", "502", "503", "reset-before", "slow", "malformed"):
        assert {"GET /api/ai/generations", "GET /api/ai/generations/{generation_id}"} <= set(
            FAULTS[fault])


def test_rows_newest_first_with_cost_only_when_succeeded(http, ids) -> None:
    page = listing(http)
    assert page["count"] == page["total_entries"] == len(JOBS)
    assert (page["page_number"], page["page_size"], page["total_pages"]) == (1, 50, 1)
    rows = page["generations"]
    assert [row["generation_id"] for row in rows] == ids[::-1]
    for row, (params, status, cost) in zip(rows, JOBS[::-1], strict=True):
        assert set(row) >= ROW_FIELDS | {"prompt", "status", "media_type"}
        assert (row["status"], row["cost"]) == (status, cost), row
        assert {k: row[k] for k in params} == params  # the request's params, merged in
        assert row["model_name"] == FAST and row["media_type"] == "video"
        assert (row["target_namespace"], row["username"]) == ("simulator", "simulator")
        assert row["target_repo"] is row["target_directory"] is row["user_image"] is None
        assert (row["result_url"] is not None) == (status == "succeeded")
    assert page["total_cost"] == "1.42"
    assert Decimal(page["total_cost"]) == sum(Decimal(r["cost"]) for r in rows if r["cost"])
    crashed = next(r for r in rows if r["prompt"] == "crashed fox")
    assert crashed["error_message"] and crashed["completed_at"] is not None


def test_pages_split_the_filter_set_and_totals_cover_all_of_it(http, ids) -> None:
    pages = [listing(http, page=n, page_size=4) for n in (1, 2, 3)]
    assert [p["count"] for p in pages] == [4, 2, 0]
    assert all(p["total_pages"] == 2 and p["total_entries"] == 6 for p in pages)
    assert all(p["total_cost"] == "1.42" for p in pages)  # the whole set, not the page
    assert [p["page_number"] for p in pages] == [1, 2, 3]
    joined = [row["generation_id"] for p in pages for row in p["generations"]]
    assert joined == ids[::-1]
    single = listing(http, page_size=1000)
    assert single["total_pages"] == 1 and single["page_size"] == 1000


@pytest.mark.parametrize(("query", "entries", "total"), [
    ({"status": "succeeded"}, 3, "1.42"),
    ({"status": "failed"}, 2, None),
    ({"status": "cancelled"}, 1, None),
    ({"status": "queued"}, 0, None),
    ({"model": FAST, "media_type": "video", "namespace": "simulator"}, 6, "1.42"),
    ({"model": "bytedance-seedance-2-5-text-to-video"}, 0, None),
    ({"media_type": "image"}, 0, None),
    ({"namespace": "someone-else"}, 0, None),
    ({"repo": "r"}, 0, None),
    ({"folder": "f"}, 0, None),
])
def test_filters(http, ids, query, entries, total) -> None:
    page = listing(http, **query)
    assert (page["total_entries"], page["count"], page["total_cost"]) == (entries, entries, total)
    if "status" in query:
        assert {row["status"] for row in page["generations"]} <= {query["status"]}


@pytest.mark.parametrize("query", [{"status": "pending"}, {"status": "SUCCEEDED"},
                                   {"page": 0}, {"page": "one"}, {"page_size": 0},
                                   {"page_size": 1001}, {"page_size": "1.5"}])
def test_bad_queries_are_invalid_params(http, query) -> None:
    response = http.get("/ai/generations", params=query)
    assert response.status_code == 400
    assert response.json()["status_message"] == "invalid_params"
    assert set(response.json()["error"]) == {"type", "title", "detail"}


def test_one_generation_with_its_cost(http, ids) -> None:
    answer = http.get(f"/ai/generations/{ids[1]}").json()
    assert (answer["status"], answer["status_message"]) == ("success", "resource_found")
    row = answer["generation"]
    assert row == listing(http, status="succeeded")["generations"][1]
    assert (row["prompt"], row["cost"]) == ("loud fox", "0.70")
    assert http.get(f"/ai/generations/{ids[3]}").json()["generation"]["cost"] is None
    missing = http.get("/ai/generations/no-such-id")
    assert missing.status_code == 404 and missing.json() == NOT_FOUND


def test_an_active_job_is_listed_uncharged(sim, http, ids) -> None:
    sim.faults.set("stuck", every=1, max=1)
    (generation,) = http.post("/ai/queue", json={"model": FAST, "prompt": "  stuck fox  ",
                                                 "duration": -1}).json()["generations"]
    try:
        deadline = time.monotonic() + 5
        while http.get(f"/ai/queue/{generation['generation_id']}").json()["status"] != \
                "processing":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        page = listing(http, status="processing")
        assert [r["generation_id"] for r in page["generations"]] == [generation["generation_id"]]
        assert page["generations"][0]["cost"] is None and page["total_cost"] is None
        assert page["generations"][0]["prompt"] == "  stuck fox  "  # verbatim by default
    finally:
        http.delete(f"/ai/queue/{generation['generation_id']}")
        sim.faults.clear()


def test_echo_normalised_shows_in_past_generations(sim, http, ids) -> None:
    sim.faults.set("echo-normalised", every=1, max=1)
    try:
        (generation,) = http.post("/ai/queue", json={
            "model": FAST, "prompt": " norm fox\n", "duration": -1, "resolution": "480p",
        }).json()["generations"]
    finally:
        sim.faults.clear()
    row = http.get(f"/ai/generations/{generation['generation_id']}").json()["generation"]
    assert (row["prompt"], row["duration"]) == ("norm fox", 5)
    http.delete(f"/ai/queue/{generation['generation_id']}")


# --- the arithmetic ---------------------------------------------------------------------------


def test_costs_are_exact_decimals() -> None:
    spec = bundled_model(FAST)
    request = VideoRequest("fox", resolution="720p", duration=15, generate_audio=True)
    assert estimate_cost(request, spec) == Decimal("2.10")  # (0.12 + 0.02) * 15
    assert isinstance(estimate_cost(request, spec), Decimal)
    assert total_cost([request, request], spec) == pytest.approx(4.2)  # a float, for traits
    thirds = {**spec.pricing, "cost_per_second": "0.1", "cost_per_second_high_res": 0.3,
              "cost_per_second_with_audio": None}
    priced = replace(spec, pricing=thirds)
    # 0.1 + 0.2 is not 0.3 in floats; these rates never pass through one.
    assert cost_of({"resolution": "480p", "duration": 3}, priced) == Decimal("0.3")
    assert cost_of({"resolution": "720p", "duration": "auto"}, priced) == Decimal("1.5")
    unpriced = replace(spec, pricing={})
    assert estimate_cost(request, unpriced) is None
    assert total_cost([request], unpriced) is None


@pytest.mark.parametrize(("model", "params", "cost"), [
    ("bytedance-seedance-2-0-text-to-video", {"resolution": "4k", "duration": 4}, "1.6"),
    ("bytedance-seedance-2-0-text-to-video", {"resolution": "1080p", "duration": -1}, "2.0"),
    ("bytedance-seedance-2-0-text-to-video", {"resolution": "480p", "duration": 4}, "0.8"),
    ("bytedance-seedance-2-0-mini-text-to-video", {"resolution": "480p", "duration": 4}, "0.20"),
    ("bytedance-seedance-2-0-fast-reference-to-video",
     {"resolution": "480p", "duration": 4, "generate_audio": True}, "0.32"),
    ("bytedance-seedance-2-5-text-to-video", {"resolution": "720p", "duration": "auto",
                                              "generate_audio": True}, "1.40"),
    ("bytedance-seedance-2-5-image-to-video", {"resolution": "480p", "duration": 30,
                                               "generate_audio": False}, "4.80"),
])
def test_family_costs(model, params, cost) -> None:
    spec = bundled_model(model)
    assert format(cost_of(params, spec), "f") == cost


def test_placeholder_prices_rank_the_tiers() -> None:
    def rate(model: str) -> Decimal:
        return cost_of({"resolution": "480p", "duration": 1}, bundled_model(model))

    assert rate("bytedance-seedance-2-0-mini-text-to-video") < rate(FAST) < rate(
        "bytedance-seedance-2-5-text-to-video") < rate("bytedance-seedance-2-0-text-to-video")
