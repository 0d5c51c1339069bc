"""`studio.export_html`: a Studio's takes, sweep and blind comparison as a report that plays
every video in headless Chromium, asks nothing of the network and holds no key."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_html import PLAYS, parse

from seedance_widgets import Studio
from seedance_widgets._jobs.follower import FollowPolicy

FAST = FollowPolicy(queued_first=0.1, queued_max=0.3, processing=5.0, stream_down=0.3)


@pytest.fixture(scope="module")
def report(tmp_path_factory, simulator, api_key) -> Path:
    """A studio's 2 x 2 sweep, blind-compared and judged, exported."""
    folder = tmp_path_factory.mktemp("export")
    studio = Studio(api_key=api_key, base_url=simulator.base_url, output_dir=folder / "v",
                    ledger=folder / "l", policy=FAST, resolution="480p", duration=4)
    try:
        sweep = studio.sweep(prompt=["a kite at dawn", "a lantern at dusk"],
                             aspect_ratio=["16:9", "9:16"])
        for job in sweep.jobs:
            job.wait(timeout=120)  # a script's Studio runs its jobs on a private loop
        blind = studio.blind_compare(sweep, rounds=4, seed=1)
        while not blind.done:
            blind.choose("left")
        sweep.jobs[0].rate(5)
        sweep.jobs[0].tag("winner")
        sweep.jobs[0].note("keep")
        return studio.export_html(folder / "study.html", title="Kite or lantern")
    finally:
        studio.close()


def test_the_exported_report_shows_takes_grid_and_comparison(report: Path, api_key) -> None:
    text = report.read_text()
    document = parse(text)
    assert len(document.find_all("video")) == 4
    assert len(document.find_all("table", cls="grid")) == 1  # the sweep's grid
    assert document.find("table", cls="standings")  # the blind comparison's results
    assert "winner" in text and "★★★★★" in text and "$0.32" in text
    assert "from seedance_widgets import Studio" in text
    for path in [report, *report.with_name("study_files").iterdir()]:
        assert api_key.encode() not in path.read_bytes(), path


@pytest.mark.browser
def test_the_exported_report_plays_every_video_offline(report: Path, chromium) -> None:
    context = chromium.new_context()  # type: ignore[attr-defined]
    try:
        tab = context.new_page()
        requests: list[str] = []
        tab.on("request", lambda request: requests.append(request.url))
        tab.goto(report.as_uri())
        tab.wait_for_load_state("load")
        videos = tab.locator("video").all()
        assert len(videos) == 4
        for video in videos:
            state = video.evaluate(PLAYS)
            assert state["ready"] >= 2 and state["time"] > 0, state
        assert [u for u in requests if not u.startswith("file://")] == []
    finally:
        context.close()
