"""From exploring to judging, over real HTTP to the simulator: the ledger's history in a new
Studio, judgments that survive a restart, blind comparison, billed costs, budgets."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cli_runner import clean_env
from cli_runner import seedance as run_cli

from seedance_widgets import BudgetExceeded, Studio
from seedance_widgets._contract import bundled_model
from seedance_widgets._contract.pricing import cost_of
from seedance_widgets._jobs.budget import Budget
from seedance_widgets._jobs.follower import FollowPolicy
from seedance_widgets._jobs.holders import Holder
from seedance_widgets._jobs.ledger import Ledger
from seedance_widgets._transport.client import AsyncOxenClient
from seedance_widgets.errors import InvalidRequestError, SeedanceError
from seedance_widgets.simulator import SimulatorConfig, SimulatorServer

FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)
MODEL = "bytedance-seedance-2-0-fast-text-to-video"
PROMPTS = ["A red KITE over a windy beach", "A paper lantern on a dark lake"]
ASPECTS = ["16:9", "1:1", "9:16"]


def studio_in(folder: Path, simulator: SimulatorServer, api_key: str, **options: object) -> Studio:
    return Studio(api_key=api_key, base_url=simulator.base_url, output_dir=folder / "videos",
                  ledger=folder / ".seedance", policy=FAST, **options)  # type: ignore[arg-type]


class Sent:
    """What the kernel sends to the front end."""

    def __init__(self, widget: Studio):
        self.messages: list[tuple[dict, list]] = []
        widget.send = lambda content, buffers=None: self.messages.append((content, buffers))


async def video_reply(sent: Sent, key: str) -> tuple[dict, list]:
    """The answer (sent off the loop) to a view's ask for `key`'s video."""
    for _ in range(600):
        replies = [m for m in sent.messages if m[0].get("type") in ("video", "video_error")
                   and m[0].get("job_id") == key]
        if replies:
            return replies[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no video answer for {key}")


def ui(widget: Studio, **content: object) -> None:
    widget._handle_message(widget, content, [])


@pytest.fixture
async def past(tmp_path, simulator, api_key) -> Iterator[Path]:
    """A folder whose ledger holds a finished 2 x 3 sweep, judged a little, by a closed Studio."""
    first = studio_in(tmp_path, simulator, api_key, resolution="480p", duration=4)
    sweep = first.sweep(prompt=PROMPTS, aspect_ratio=ASPECTS)
    await sweep
    kite_wide, kite_square = sweep.jobs[0], sweep.jobs[1]
    kite_wide.rate(5)
    kite_wide.tag("best", "class demo")
    kite_wide.note("the kite fills the frame")
    kite_square.rate(2)
    kite_square.tag("best")
    kite_square.untag("best")
    first.close()
    await asyncio.sleep(0.05)
    yield tmp_path


async def test_the_history_panel_keeps_up_with_a_sweep_without_flooding_the_page(
        tmp_path, simulator, api_key):
    """Each of a sweep's many job changes would re-read the ledger and re-send the page:
    the panel refreshes at most once a second meanwhile, and ends showing every take."""
    studio = studio_in(tmp_path, simulator, api_key, resolution="480p", duration=4)
    published: list[float] = []
    studio.observe(lambda change: published.append(time.monotonic()), "history_page")
    try:
        started = time.monotonic()
        await studio.sweep(prompt=PROMPTS, aspect_ratio=ASPECTS)
        for _ in range(100):
            records = studio.history_page["records"]
            if len(records) == 6 and all(r["status"] == "succeeded" for r in records):
                break
            await asyncio.sleep(0.05)
        assert [r["status"] for r in studio.history_page["records"]] == ["succeeded"] * 6
        assert len(published) <= time.monotonic() - started + 2, published
        gaps = [b - a for a, b in itertools.pairwise(published)]
        assert all(gap >= 0.9 for gap in gaps), gaps
    finally:
        studio.close()


async def test_a_new_studio_shows_the_folders_history_paged_and_filtered(past, simulator,
                                                                         api_key):
    simulator.reset_stats()
    studio = studio_in(past, simulator, api_key)
    try:
        assert studio.jobs == []  # this session has made nothing ...
        page = studio.history_page  # ... but the panel shows the ledger's six takes
        assert page["total"] == 6 and page["page"] == 1 and len(page["records"]) == 6
        assert page["total_cost"] == "1.92"  # 6 x 480p x 4 s at $0.08 / s, as billed
        assert sorted(r["params"]["aspect_ratio"] for r in page["records"]) == sorted(
            ASPECTS * 2)
        shown_times = [r["submitted_at"] for r in page["records"]]
        assert shown_times == sorted(shown_times, reverse=True)
        assert page["facets"]["tags"] == ["best", "class demo"]
        assert page["facets"]["params"]["aspect_ratio"] == sorted(ASPECTS)
        newest_first = [r.submitted_at for r in studio.history()]
        assert newest_first == sorted(newest_first, reverse=True)

        pages = [studio.history(page=n, page_size=4) for n in (1, 2, 3)]
        assert [len(p) for p in pages] == [4, 2, 0] and {p.total for p in pages} == {6}
        assert pages[0].pages == 2
        assert [r.generation_id for p in pages for r in p] == [
            r.generation_id for r in studio.history()]

        assert [r.prompt for r in studio.history(search="kite")] == [PROMPTS[0]] * 3
        assert len(studio.history(search="LANTERN", aspect_ratio="9:16")) == 1
        assert len(studio.history(status="succeeded")) == 6
        assert len(studio.history(status=["failed", "cancelled"])) == 0
        assert len(studio.history(model=MODEL)) == 6 and len(studio.history(model="x")) == 0
        best = studio.history(tag="best")
        assert [(r.rating, r.tags, r.note) for r in best] == [
            (5, ("best", "class demo"), "the kite fills the frame")]
        assert sorted(r.rating for r in studio.history(min_rating=2)) == [2, 5]
        assert len(studio.history(rated=False)) == 4 and len(studio.history(rating=2)) == 1
        assert studio.history(tag="best")[0].cost.amount == Decimal("0.32")
        with pytest.raises(InvalidRequestError, match="min_rating"):
            studio.history(min_rating=6)
        with pytest.raises(InvalidRequestError, match="status"):
            studio.history(status="done")

        # The panel asks for a query and a page; the kernel answers with that page only.
        ui(studio, type="history", query={"search": "kite", "params": {"aspect_ratio": "1:1"}},
           page=1)
        assert studio.history_page["total"] == 1
        assert studio.history_page["records"][0]["rating"] == 2
        ui(studio, type="history", query={"tag": "best", "min_rating": 4}, page=1)
        found = studio.history_page["records"]
        assert [r["tags"] for r in found] == [["best", "class demo"]]
        ui(studio, type="history", query={"rating": "lots"}, page=1)
        assert "rating" in studio.error

        # Opening one shows its card and its video; restoring one puts it in the form.
        sent = Sent(studio)
        ui(studio, type="history_open", generation_id=found[0]["generation_id"])
        (card,) = studio.jobs
        assert card["generation_id"] == found[0]["generation_id"]
        assert (card["status"], card["rating"], card["tags"]) == (
            "succeeded", 5, ["best", "class demo"])
        assert card["cost"] == {"kind": "billed", "amount": "0.32"}
        ui(studio, type="video", job_id=card["id"])
        reply, buffers = await video_reply(sent, card["id"])
        assert reply["type"] == "video" and buffers[0][4:8] == b"ftyp"
        ui(studio, type="history_restore", generation_id=found[0]["generation_id"])
        assert (studio.params["prompt"], studio.params["aspect_ratio"]) == (PROMPTS[0], "16:9")
        frame = studio.history().to_pandas()
        assert frame.shape[0] == 6 and "params.aspect_ratio" in frame
        assert str(frame["submitted_at"].dtype).startswith("datetime64")
    finally:
        studio.close()
    assert simulator.stats() == {}  # the history is the ledger's: no request at all


SCRIPT = """
import asyncio, sys
from seedance_widgets import Studio
async def main():
    studio = Studio(ledger=".seedance", output_dir="videos")
    job = studio.generate(prompt="a heron at dawn", resolution="480p", duration=4)
    await job
    if sys.argv[1] == "judge":
        job.rate(4)
        job.note("keep — for the poster")
        job.tag("heron", "keeper")
    print(job.judgment.rating, list(job.judgment.tags), repr(job.judgment.note))
    studio.close()
asyncio.run(main())
"""


def test_judgments_survive_a_kernel_restart_and_show_in_seedance_ls(tmp_path, simulator,
                                                                    api_key):
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    (tmp_path / "study.py").write_text(SCRIPT)

    def kernel(mode: str) -> str:
        import subprocess
        import sys
        done = subprocess.run([sys.executable, "study.py", mode], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert kernel("judge") == "4 ['heron', 'keeper'] 'keep — for the poster'"
    simulator.reset_stats()
    assert kernel("look") == "4 ['heron', 'keeper'] 'keep — for the poster'"  # a new kernel
    assert simulator.stats() == {}

    listing = run_cli(["ls", "--json"], env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    (take,) = json.loads(listing.stdout)
    assert (take["rating"], take["note"], take["tags"]) == (4, "keep — for the poster",
                                                            ["heron", "keeper"])
    assert (take["status"], take["cost"], take["cost_kind"]) == ("succeeded", "0.32", "billed")
    assert take["params"] == {"prompt": "a heron at dawn", "resolution": "480p", "duration": 4,
                              "aspect_ratio": "16:9", "generate_audio": False,
                              "watermark": False}
    assert take["submitted_at"].endswith("Z") and take["finished_at"] > take["submitted_at"]
    assert Path(tmp_path, take["video_path"]).is_file()
    table = run_cli(["ls", "--csv"], env=env, cwd=tmp_path)
    header, row = table.stdout.strip().splitlines()
    assert header.startswith("generation_id,namespace,model,take,status,")
    assert "params.prompt" in header and '"heron, keeper"' in row and ",4," in row
    lines = run_cli(["ls"], env=env, cwd=tmp_path).stdout
    assert "★★★★" in lines and "#heron #keeper" in lines and "$0.32" in lines


async def test_judgments_are_validated_and_the_newest_wins(tmp_path, simulator, api_key):
    studio = studio_in(tmp_path, simulator, api_key)
    try:
        job = studio.generate(prompt="a judged fox", resolution="480p", duration=4)
        with pytest.raises(SeedanceError, match="no generation yet"):
            job.rate(3)
        await job
        for bad in (0, 6, 2.5, True, "5"):
            with pytest.raises(InvalidRequestError, match="rating"):
                job.rate(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError, match="tag"):
            job.tag("a,b")
        with pytest.raises(InvalidRequestError, match="note"):
            job.note("bell \x07")
        job.rate(3)
        job.rate(5)
        job.rate(None)
        job.note("first")
        job.note("second")
        job.tag(" red ", "fox")
        job.untag("red")
        assert (job.judgment.rating, job.judgment.note, job.judgment.tags) == (
            None, "second", ("fox",))
        # Cards send the same as messages; a bad value is said, never raised.
        ui(studio, type="rate", job_id=job.id, rating=4)
        ui(studio, type="tag", job_id=job.id, tags=["keeper"])
        ui(studio, type="note", job_id=job.id, text="from the card")
        ui(studio, type="rate", job_id=job.id, rating=9)
        assert "rating" in studio.error
        card = studio.jobs[0]
        assert (card["rating"], card["note"], card["tags"]) == (4, "from the card",
                                                                ["fox", "keeper"])
        with sqlite3.connect(tmp_path / ".seedance" / "ledger.sqlite3") as db:
            kinds = [r[0] for r in db.execute("SELECT kind FROM judgments ORDER BY seq")]
        assert kinds.count("rating") == 4 and kinds.count("note") == 3  # appended, not rewritten
    finally:
        studio.close()


async def test_blind_comparison_of_a_2x2_sweep_records_and_ranks(tmp_path, simulator,
                                                                   api_key):
    studio = studio_in(tmp_path, simulator, api_key, resolution="480p", duration=4)
    try:
        sweep = studio.sweep(prompt=PROMPTS, aspect_ratio=["16:9", "9:16"])
        await sweep
        simulator.reset_stats()
        blind = studio.blind_compare(sweep, rounds=6, seed=3)
        shown = studio.blind
        assert shown["round"] == 0 and shown["rounds"] == 6 and shown["reveal"] is None
        text = json.dumps(shown)
        assert not any(j.id in text or j.generation_id in text for j in sweep.jobs)
        assert "prompt" not in text and "16:9" not in text  # blind: no parameters at all

        sent = Sent(studio)
        ui(studio, type="blind_video", token=shown["pair"]["left"])
        reply, buffers = await video_reply(sent, shown["pair"]["left"])
        assert reply["type"] == "video" and buffers[0][4:8] == b"ftyp"
        assert reply["name"] == shown["pair"]["left"] + ".mp4"  # the file's name says nothing
        ui(studio, type="blind_video", token="blind-guess-0-left")
        assert (await video_reply(sent, "blind-guess-0-left"))[0]["type"] == "video_error"

        def wide_kite_first(job) -> int:
            params = job.request.params
            return (params["aspect_ratio"] == "16:9") * 2 + ("KITE" in params["prompt"])

        ui(studio, type="blind_choice", comparison=blind.id, round=0, choice="none")
        ui(studio, type="blind_choice", comparison=blind.id, round=0, choice="left")  # late
        assert blind.round == 1 and blind.choices[0][2] is None
        while not blind.done:
            left, right = blind.pair
            blind.choose(left if wide_kite_first(left) > wide_kite_first(right) else right)
        ranking = studio.preferences()
        order = [wide_kite_first(p.job) for p in ranking]
        assert order[0] == 3 and order[-1] == 0  # the preferred take first, the least last
        assert sum(p.standing.comparisons for p in ranking) == 12  # 6 rounds, 2 takes each
        assert "win rate" in repr(ranking) and "prompt=" in repr(ranking)
        reveal = studio.blind["reveal"]
        assert [r["generation_id"] for r in reveal] == [p.job.generation_id for p in ranking]
        assert reveal[0]["params"]["aspect_ratio"] == "16:9"
        with pytest.raises(SeedanceError, match="done"):
            blind.choose("left")
        with sqlite3.connect(tmp_path / ".seedance" / "ledger.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM choices").fetchone()[0] == 6
        # The same call in a new studio resumes the recorded comparison: nothing to redo.
        again = studio_in(tmp_path, simulator, api_key, resolution="480p", duration=4)
        try:
            cached = again.sweep(prompt=PROMPTS, aspect_ratio=["16:9", "9:16"])
            await cached
            resumed = again.blind_compare(cached, rounds=6, seed=3)
            assert resumed.done and resumed.choices == blind.choices
            assert [p.job.generation_id for p in again.preferences()] == [
                p.job.generation_id for p in ranking]
        finally:
            again.close()
        assert simulator.stats() == {}
    finally:
        studio.close()


@pytest.fixture
def pricing_sim() -> Iterator[SimulatorServer]:
    """A simulator of its own (its fault plan is changed)."""
    config = SimulatorConfig(queue_seconds=0.1, process_seconds=0.3, keepalive_seconds=0.5)
    with SimulatorServer(config) as server:
        yield server


async def test_billed_costs_match_the_pricing_and_sum_to_total_cost(tmp_path, pricing_sim):
    studio = Studio(api_key="k", base_url=pricing_sim.base_url, output_dir=tmp_path / "v",
                    ledger=tmp_path / "l", policy=FAST)
    spec = bundled_model(MODEL)
    try:
        wanted = [dict(resolution="480p", duration=4), dict(resolution="720p", duration=5,
                                                            generate_audio=True),
                  dict(resolution="480p", duration=-1, generate_audio=False)]
        jobs = [studio.generate(prompt=f"priced fox {n}", **p) for n, p in enumerate(wanted)]
        for job in jobs:
            await job
        pricing_sim.faults.set("fail", every=1, max=1)
        failed = studio.generate(prompt="a fox that fails", resolution="480p", duration=4)
        assert isinstance(await failed.outcome(), Exception)
        expected = [cost_of(j.request.params, spec) for j in jobs]
        assert [j.charge.amount for j in jobs] == expected == [
            Decimal("0.32"), Decimal("0.70"), Decimal("0.40")]
        assert failed.charge is not None and failed.charge.amount is None
        cards = {c["id"]: c["cost"] for c in studio.jobs}
        assert cards[failed.id] == {"kind": "unreported", "amount": None}  # never $0
        assert cards[jobs[1].id] == {"kind": "billed", "amount": "0.70"}
        reads = pricing_sim.stats()["GET /api/ai/generations/{generation_id}"]
        assert reads == 4  # once per final job
        async with AsyncOxenClient("k", pricing_sim.base_url) as client:
            listed = await client.generations(page_size=10)
            one = await client.past_generation(jobs[1].generation_id)
        assert listed.total_cost == sum(expected) == studio.history().total_cost
        assert one.cost == Decimal("0.70")
        ledger = Ledger(tmp_path / "l")
        with ledger.reading() as db:
            costs = [json.loads(r[0])["cost"] for r in db.execute(
                "SELECT data FROM entries WHERE kind = 'cost' ORDER BY seq")]
        assert sorted(costs, key=str) == sorted(["0.32", "0.70", "0.40", None], key=str)
    finally:
        studio.close()


async def test_a_budget_refuses_a_generate_and_a_sweep_before_any_request(
        tmp_path, simulator, api_key, monkeypatch):
    studio = studio_in(tmp_path, simulator, api_key, budget="0.50", resolution="480p",
                       duration=4)
    try:
        first = studio.generate(prompt="the one we can afford")
        await first
        assert studio.spend == {"budget": "0.50", "billed": "0.32", "pending": "0",
                                "left": "0.18"}
        simulator.reset_stats()
        with pytest.raises(BudgetExceeded) as refused:
            studio.generate(prompt="one too many")
        assert (refused.value.budget, refused.value.billed, refused.value.requested) == (
            Decimal("0.50"), Decimal("0.32"), Decimal("0.32"))
        assert "$0.18 of the $0.50 budget is left" in str(refused.value)
        with pytest.raises(BudgetExceeded, match="sweep of 2"):
            studio.sweep(prompt=["a", "b"])
        ui(studio, type="generate")  # the Generate button: said in the form, nothing sent
        assert "budget exceeded" in studio.error
        assert studio.generate(prompt="the one we can afford") is first  # cached: free
        preview = studio.sweep(prompt=["the one we can afford", "new"], start=False)
        assert "1 cached, 1 new ≈ $0.32, $0.18 of the budget left; not started" in repr(preview)
        assert studio.gallery["started"] is False and studio.gallery["plan"] == {
            "cached": 1, "new": 1, "new_cost": "0.32", "budget_left": "0.18"}
        ui(studio, type="sweep_start", sweep_id=preview.id)
        assert "budget exceeded" in studio.error and not preview.started
        assert simulator.stats() == {}
    finally:
        studio.close()
    monkeypatch.setenv("SEEDANCE_BUDGET", "0.10")
    capped = studio_in(tmp_path / "env", simulator, api_key)
    try:
        with pytest.raises(BudgetExceeded):
            capped.generate(prompt="over the environment's budget", resolution="480p",
                            duration=4)
    finally:
        capped.close()
    monkeypatch.setenv("SEEDANCE_BUDGET", "lots")
    with pytest.raises(InvalidRequestError, match="SEEDANCE_BUDGET"):
        studio_in(tmp_path / "bad", simulator, api_key)
    # A new studio's folder reads the model object once; nothing was enqueued or paid.
    assert set(simulator.stats()) <= {"GET /api/ai/models/{model_id}"}


def test_the_cli_budget_refuses_before_any_request(tmp_path, simulator, api_key):
    env = clean_env(OXEN_API_KEY=api_key, OXEN_BASE_URL=simulator.base_url)
    simulator.reset_stats()
    refused = run_cli(["generate", "fox", "--resolution", "480p", "--duration", "4",
                       "--budget", "0.10"], env=env, cwd=tmp_path)
    assert refused.returncode == 8, refused.stderr
    assert "budget exceeded" in refused.stderr and "$0.10" in refused.stderr
    bad = run_cli(["generate", "fox", "--budget", "-1"], env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "--budget" in bad.stderr
    assert "POST /api/ai/queue" not in simulator.stats()


def test_processes_sharing_a_folder_cannot_jointly_overrun_the_budget(tmp_path):
    """Each claim checks the budget inside the transaction that writes its intent, so of
    eight processes racing for a remainder that fits three, exactly three get one."""
    Ledger(tmp_path)
    winners: list[str] = []
    refusals: list[BudgetExceeded] = []
    start = threading.Barrier(8)

    def process(n: int) -> None:
        ledger = Ledger(tmp_path)  # each its own connection, as another process would have
        budget = Budget(ledger, "ns", Decimal("1.00"))
        start.wait()
        try:
            claim = ledger.claim(key=f"k{n}", request=f"r{n}", namespace="ns", model=MODEL,
                                 params={"prompt": str(n)}, take=1, holder=Holder.new(),
                                 estimate=Decimal("0.32"),
                                 guard=budget.guard(Decimal("0.32"), "a take"))
            winners.append(claim.intent.intent_id)
        except BudgetExceeded as exc:
            refusals.append(exc)

    threads = [threading.Thread(target=process, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 3 and len(refusals) == 5
    spend = Budget(Ledger(tmp_path), "ns", Decimal("1.00")).spend()
    assert (spend.billed, spend.pending, spend.left) == (0, Decimal("0.96"), Decimal("0.04"))


def test_a_version_2_ledger_is_migrated_in_place(tmp_path):
    """A ledger written before judgments, costs and estimates keeps its takes: they show in
    the history, with no cost reported (never a made-up zero) and unrated."""
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE entries (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,
              kind TEXT NOT NULL, cache_key TEXT NOT NULL, generation_id TEXT,
              data TEXT NOT NULL, intent_id TEXT);
            CREATE TABLE intents (intent_id TEXT PRIMARY KEY, cache_key TEXT NOT NULL,
              attempt INTEGER NOT NULL, at REAL NOT NULL, namespace TEXT NOT NULL,
              request_key TEXT NOT NULL, model TEXT NOT NULL, take INTEGER NOT NULL,
              params TEXT NOT NULL, holder TEXT NOT NULL, UNIQUE (cache_key, attempt));
            PRAGMA user_version = 2;""")
        params = {"prompt": "an old fox", "resolution": "480p", "duration": 4}
        db.execute("INSERT INTO intents VALUES ('i-old', 'k', 1, 1.0, 'simulator', 'r', ?, 1, "
                   "?, '{}')", (MODEL, json.dumps(params)))
        db.execute("INSERT INTO entries (at, kind, cache_key, generation_id, data, intent_id) "
                   "VALUES (1.0, 'submitted', 'k', 'g-old', ?, 'i-old')", (json.dumps(
                       {"namespace": "simulator", "model": MODEL, "params": params,
                        "take": 1, "how": "answer"}),))
        db.execute("INSERT INTO entries (at, kind, cache_key, generation_id, data) VALUES "
                   "(2.0, 'status', 'k', 'g-old', '{\"status\": \"succeeded\"}')")
    ledger = Ledger(tmp_path)
    with ledger.reading() as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        assert "estimate" in {r[1] for r in db.execute("PRAGMA table_info(intents)")}
    from seedance_widgets._jobs.history import HistoryQuery, query_history
    (record,) = query_history(ledger, "simulator", HistoryQuery())
    assert (record.generation_id, record.status, record.rating) == ("g-old", "succeeded", None)
    assert (record.cost.kind, record.cost.amount) == ("unreported", None)
    # An old succeeded take whose bill was never read counts at its estimate, conservatively.
    assert Budget(ledger, "simulator", Decimal(5)).spend().pending == Decimal("0.32")
