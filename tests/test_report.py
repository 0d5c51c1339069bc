"""The HTML report: one self-contained page plus a folder of videos and posters, escaped,
offline, keyless, and playable in a real browser."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from report_html import PLAYS, Element, parse

from seedance_widgets._contract import VideoRequest
from seedance_widgets._export import to_code
from seedance_widgets._jobs.ranking import draw_pairs, rank
from seedance_widgets._report import (
    POSTER_WIDTH,
    ReportComparison,
    ReportSweep,
    ReportTake,
    write_report,
)
from seedance_widgets.simulator.render import render_video

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "report"
HOSTILE = ('</script><script>alert("x")</script> "quoted" \'single\' & &amp; <b>bold</b> '
           "🦊🎬 עברית العربية \u202eevil\u202c")
CLIPS = {  # name: (prompt, audio, container)
    "fox": ("a red fox in snow", True, "mp4"),
    "owl": ("an owl at dusk", False, "mp4"),
    "cat": ("a cat on a piano", True, "mov"),
    "eel": ("an eel in a reef", False, "mp4"),
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real tiny clips (160x90, 1 s): with and without audio, an MP4 and a QuickTime file."""
    folder = tmp_path_factory.mktemp("clips")
    paths = {}
    for name, (prompt, audio, container) in CLIPS.items():
        path = folder / f"{name}.{container}"
        render_video(path, prompt=prompt, width=160, height=90, seconds=1, audio=audio,
                     watermark=False, container=container)
        paths[name] = path
    return paths


def make_take(key: str, video: Path | None, prompt: str = "a red fox in snow", *,
              take: int = 1, simulated: bool = False, **changes: object) -> ReportTake:
    """A take with real parameters and real toolkit code, as the Studio will build it."""
    params = {"resolution": "480p", "duration": 4, "aspect_ratio": "16:9",
              "generate_audio": True}
    params.update({k: v for k, v in changes.items() if k in params})
    request = VideoRequest(prompt, **params)
    extra = {k: v for k, v in changes.items() if k not in params}
    return ReportTake(key=key, prompt=prompt, model=request.model, params=dict(request.params),
                      code=to_code(request, take=take, simulated=simulated), take=take,
                      video=video, simulated=simulated, **extra)  # type: ignore[arg-type]


def sweep_takes(clips: dict[str, Path]) -> tuple[list[ReportTake], ReportSweep]:
    """A 2 x 2 sweep over duration (rows) and aspect ratio (columns)."""
    axes = {"duration": [4, 8], "aspect_ratio": ["16:9", "1:1"]}
    videos = iter(CLIPS.items())
    takes, cells = [], []
    for duration in axes["duration"]:
        for aspect in axes["aspect_ratio"]:
            key = f"sweep-{duration}-{aspect}"
            name, (prompt, *_) = next(videos)
            takes.append(make_take(key, clips[name], prompt, duration=duration,
                                   aspect_ratio=aspect,
                                   cost=Decimal("0.08") * duration,
                                   cost_is_estimate=duration == 8))
            cells.append(({"duration": duration, "aspect_ratio": aspect}, key))
    return takes, ReportSweep("Duration against aspect ratio", axes, cells)


def full_report(clips: dict[str, Path], path: Path) -> Path:
    """Every feature at once: a sweep, a blind comparison, judged and failed takes."""
    takes, sweep = sweep_takes(clips)
    takes[0] = replace(takes[0], rating=5, note="Best light.\nKeep.", tags=("favourite", "snow"))
    takes[1] = replace(takes[1], rating=2, tags=("too dark",))
    takes.append(make_take("failed-1", None, "a storm over the sea", status="failed"))
    keys = [t.key for t in takes[:4]]
    # The judge prefers earlier takes, and can't tell a take from the one just after it.
    strength = {key: i for i, key in enumerate(reversed(keys))}
    choices = [(a, b, None if strength[a] == strength[b] + 1 else max(a, b, key=strength.get))
               for a, b in draw_pairs(keys, 9, seed=4)]
    comparison = ReportComparison(rank(choices, keys), choices,
                                  labels={k: f"Clip {chr(65 + i)}" for i, k in enumerate(keys)})
    return write_report(path, takes, sweeps=[sweep], comparison=comparison, title="Fox study")


def page(path: Path) -> Element:
    return parse(path.read_bytes().decode("utf-8"))  # as written: no newline translation


def local_file(report: Path, url: str) -> Path:
    assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.I), f"not relative: {url}"
    return report.parent / unquote(url)


# --- files --------------------------------------------------------------------------------


def test_one_page_and_a_folder_of_videos_and_posters(clips: dict[str, Path],
                                                     tmp_path: Path) -> None:
    report = full_report(clips, tmp_path / "out" / "fox.html")
    assert report == tmp_path / "out" / "fox.html"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fox.html", "fox_files"]
    folder = tmp_path / "out" / "fox_files"
    assert sorted(p.name for p in folder.iterdir()) == [
        "take-001.jpg", "take-001.mp4", "take-002.jpg", "take-002.mp4",
        "take-003.jpg", "take-003.mov", "take-004.jpg", "take-004.mp4"]
    assert (folder / "take-003.mov").read_bytes() == clips["cat"].read_bytes()
    assert not (folder / "take-001.mp4").is_symlink()

    doc = page(report)
    videos = doc.find_all("video")
    assert len(videos) == 4
    for video in videos:
        assert "controls" in video.attrs
        assert video.attrs["preload"] == "none"
        assert local_file(report, video.attrs["src"]).is_file()
        poster = local_file(report, video.attrs["poster"])
        with Image.open(poster) as image:
            assert image.format == "JPEG"
            assert image.size == (160, 90)  # smaller than POSTER_WIDTH: kept as it is
        assert (video.attrs["width"], video.attrs["height"]) == ("160", "90")
    for img in doc.find_all("img"):
        assert local_file(report, img.attrs["src"]).is_file()
        assert img.attrs["alt"]


def test_poster_is_the_first_frame_at_most_poster_width(tmp_path: Path) -> None:
    video = tmp_path / "wide.mp4"
    render_video(video, prompt="wide", width=1280, height=720, seconds=1 / 24, audio=False,
                 watermark=False)
    report = write_report(tmp_path / "r.html", [make_take("wide", video)])
    with Image.open(tmp_path / "r_files" / "take-001.jpg") as poster:
        assert poster.size == (POSTER_WIDTH, 360)
    assert 'width="1280" height="720"' in report.read_text()


def test_link_videos_symlinks_and_falls_back_to_copies(clips: dict[str, Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write_report(tmp_path / "linked.html", [make_take("fox", clips["fox"])], link_videos=True)
    linked = tmp_path / "linked_files" / "take-001.mp4"
    assert linked.is_symlink() and linked.resolve() == clips["fox"].resolve()

    def refuse(self: Path, target: Path) -> None:
        raise OSError("symlinks not allowed here")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    write_report(tmp_path / "copied.html", [make_take("fox", clips["fox"])], link_videos=True)
    copied = tmp_path / "copied_files" / "take-001.mp4"
    assert not copied.is_symlink() and copied.read_bytes() == clips["fox"].read_bytes()


def test_missing_and_broken_videos_are_said_not_raised(clips: dict[str, Path],
                                                       tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    takes = [make_take("none", None, status="failed"),
             make_take("gone", tmp_path / "gone.mp4"),
             make_take("broken", broken),
             make_take("fine", clips["owl"])]
    report = write_report(tmp_path / "r.html", takes)
    doc = page(report)
    cards = {card.attrs["id"]: card for card in doc.find_all("article", cls="card")}
    assert "No video for this take." in cards["take-1"].text
    assert "The video file is missing: gone.mp4" in cards["take-2"].text
    assert "No poster" in cards["take-3"].text
    assert "poster" not in cards["take-3"].find("video").attrs
    assert (tmp_path / "r_files" / "take-003.mp4").read_bytes() == broken.read_bytes()
    assert "No poster" not in cards["take-4"].text
    assert sorted(p.name for p in (tmp_path / "r_files").iterdir()) == [
        "take-003.mp4", "take-004.jpg", "take-004.mp4"]


def test_writing_again_replaces_the_old_folder(clips: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    write_report(path, [make_take(k, clips[k]) for k in ("fox", "owl", "cat")])
    write_report(path, [make_take("eel", clips["eel"])])
    assert sorted(p.name for p in (tmp_path / "r_files").iterdir()) == [
        "take-001.jpg", "take-001.mp4"]
    assert (tmp_path / "r_files" / "take-001.mp4").read_bytes() == clips["eel"].read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r_files"]


def test_file_browser_litter_does_not_block_writing_again(clips: dict[str, Path],
                                                          tmp_path: Path) -> None:
    write_report(tmp_path / "r.html", [make_take("fox", clips["fox"])])
    (tmp_path / "r_files" / ".DS_Store").write_bytes(b"\0")
    write_report(tmp_path / "r.html", [make_take("owl", clips["owl"])])
    assert sorted(p.name for p in (tmp_path / "r_files").iterdir()) == [
        "take-001.jpg", "take-001.mp4"]


def test_the_folder_is_readable_like_any_new_folder(clips: dict[str, Path],
                                                    tmp_path: Path) -> None:
    write_report(tmp_path / "r.html", [make_take("fox", clips["fox"])])
    (tmp_path / "plain").mkdir()
    assert (tmp_path / "r_files").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_a_folder_it_did_not_write_is_left_alone(clips: dict[str, Path], tmp_path: Path) -> None:
    mine = tmp_path / "r_files"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    with pytest.raises(FileExistsError, match="did not write"):
        write_report(tmp_path / "r.html", [make_take("fox", clips["fox"])])
    assert [p.name for p in mine.iterdir()] == ["thesis.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r_files"]


def test_names_with_spaces_and_hashes_make_working_urls(clips: dict[str, Path],
                                                        tmp_path: Path) -> None:
    report = write_report(tmp_path / "my report #1 ü.html", [make_take("fox", clips["fox"])])
    video = page(report).find("video")
    assert video.attrs["src"] == "my%20report%20%231%20%C3%BC_files/take-001.mp4"
    assert local_file(report, video.attrs["src"]).is_file()
    assert local_file(report, video.attrs["poster"]).is_file()


# --- the page -----------------------------------------------------------------------------


def test_a_card_shows_everything_about_its_take(clips: dict[str, Path], tmp_path: Path) -> None:
    take = make_take("job-7f3a", clips["fox"], take=2, rating=4, note="Lovely fur.",
                     tags=("fur", "snow"), cost=Decimal("0.70"), resolution="720p")
    doc = page(write_report(tmp_path / "r.html", [take]))
    card = doc.find("article", id="take-1")
    assert card.find("p", cls="prompt").text == "a red fox in snow"
    params = dict(zip([dt.text for dt in card.find_all("dt")],
                      [dd.text for dd in card.find_all("dd")], strict=True))
    assert params == {"model": take.model, "take": "2", "resolution": "720p", "duration": "4",
                      "aspect_ratio": "16:9", "generate_audio": "True", "watermark": "False",
                      "cost": "$0.70"}
    assert card.find("span", cls="stars").attrs["aria-label"] == "Rated 4 of 5"
    assert card.find("span", cls="stars").text == "★★★★☆"
    assert card.find("p", cls="note").text == "Lovely fur."
    assert [li.text for li in card.find("ul", cls="tags").find_all("li")] == ["fur", "snow"]
    assert card.find("pre").text == take.code
    assert "take=2," in card.find("pre").text
    assert card.find("p", cls="key").text == "key job-7f3a"
    assert card.find("span", cls="badge").text == "succeeded"


@pytest.mark.parametrize("cost, estimate, shown", [
    (Decimal("0.70"), False, "$0.70"),
    (Decimal("0.0375"), False, "$0.0375"),
    (Decimal("0.123456"), True, "$0.1235 estimate"),
    (Decimal("12"), True, "$12.00 estimate"),
    (Decimal("1234.5"), False, "$1,234.50"),
    (Decimal("0"), False, "$0.00"),
    (None, False, "not reported"),
    (None, True, "not reported"),
])
def test_cost_is_estimate_or_not_reported_never_a_made_up_zero(
        clips: dict[str, Path], tmp_path: Path, cost: Decimal | None, estimate: bool,
        shown: str) -> None:
    take = make_take("k", None, cost=cost, cost_is_estimate=estimate)
    doc = page(write_report(tmp_path / "r.html", [take]))
    dds = doc.find("dl", cls="params").find_all("dd")
    assert dds[-1].text == shown


def test_summary_totals_reported_costs_only(tmp_path: Path) -> None:
    takes = [make_take("a", None, cost=Decimal("0.70")),
             make_take("b", None, cost=Decimal("0.32"), cost_is_estimate=True),
             make_take("c", None), make_take("d", None, simulated=True)]
    top = page(write_report(tmp_path / "r.html", takes)).find("header", cls="top")
    summary = top.find("p", cls="muted").text
    assert summary == "4 takes · total cost $1.02 (includes estimates) · cost not reported for 2"
    assert top.find("p", cls="warn").text.startswith("1 of these takes were made by the built-in")
    assert "$0" not in page(write_report(tmp_path / "s.html", takes[2:])).find(
        "header", cls="top").text


def test_unrated_untagged_take_says_so_quietly(tmp_path: Path) -> None:
    card = page(write_report(tmp_path / "r.html", [make_take("k", None)])).find("article")
    assert "Not rated" in card.text
    assert not card.find_all("ul", cls="tags")
    assert not card.find_all("p", cls="note")


def test_long_values_are_cut_in_the_table_but_whole_in_the_code(tmp_path: Path) -> None:
    url = "https://example.invalid/" + "x" * 500
    take = ReportTake(key="k", prompt="p", model="m", params={"prompt": "p", "image_url": url},
                      code=f'image_url="{url}"')
    card = page(write_report(tmp_path / "r.html", [take])).find("article")
    shown = [dd.text for dd in card.find_all("dd")][2]
    assert len(shown) == 160 and shown.endswith("…")
    assert url in card.find("pre").text


def test_user_text_is_escaped_everywhere(clips: dict[str, Path], tmp_path: Path) -> None:
    odd = HOSTILE + "\x00\x07\ud800"
    take = ReportTake(key=odd, prompt=odd, model=odd, params={odd: odd, "prompt": odd},
                      code=odd, note=odd, tags=(odd,), status=odd, video=clips["fox"])
    other = make_take("plain", clips["owl"])
    sweep = ReportSweep(odd, {odd: [odd, "b"]}, [({odd: odd}, odd), ({odd: "b"}, "plain")])
    comparison = ReportComparison(rank([(odd, "plain", odd)]), [(odd, "plain", odd)],
                                  labels={odd: odd, "plain": "P"}, title=odd)
    report = write_report(tmp_path / "r.html", [take, other], sweeps=[sweep],
                          comparison=comparison, title=odd)
    text = report.read_text(encoding="utf-8")
    doc = parse(text)
    clean = HOSTILE + "\ufffd\ufffd\ufffd"
    assert doc.find("title").text == clean
    assert doc.find("h1").text == clean
    card = doc.find("article", id="take-1")
    assert card.find("p", cls="prompt").text == clean
    assert card.find("p", cls="note").text == clean
    assert card.find("pre").text == clean
    assert card.find("ul", cls="tags").text == clean
    assert clean in [dt.text for dt in card.find_all("dt")]
    assert len(doc.find_all("script")) == 1
    assert "alert" not in doc.find("script").text
    assert not doc.find_all("b")
    for element in doc.iter():
        assert not [name for name in element.attrs if name.startswith("on")]
    assert "<script>alert" not in text and "\x00" not in text


@given(st.text(st.characters(exclude_categories=()), max_size=40), st.data())
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_comes_back_as_written(tmp_path: Path, text: str, data: st.DataObject) -> None:
    """Whatever a prompt, note, tag or key holds, the page shows it as text (control
    characters and lone surrogates as U+FFFD) and nothing else."""
    field = data.draw(st.sampled_from(["prompt", "note", "tag", "key"]))
    take = ReportTake(key=text if field == "key" else "k",
                      prompt=text if field == "prompt" else "p", model="m", params={}, code="",
                      note=text if field == "note" else None,
                      tags=(text,) if field == "tag" else ())
    doc = page(write_report(tmp_path / "fuzz.html", [take]))
    shown = {"prompt": lambda c: c.find("p", cls="prompt").text,
             "note": lambda c: c.find("p", cls="note").text if text else "",
             "tag": lambda c: c.find("ul", cls="tags").text if text else "",
             "key": lambda c: c.find("p", cls="key").text.removeprefix("key ")}[field]
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", "\ufffd", text)
    assert shown(doc.find("article")) == expected
    assert len(doc.find_all("script")) == 1


def test_nothing_comes_from_the_network(clips: dict[str, Path], tmp_path: Path) -> None:
    report = full_report(clips, tmp_path / "r.html")
    doc = page(report)
    assert not doc.find_all("link") and not doc.find_all("iframe")
    assert not doc.find_all("object") and not doc.find_all("embed")
    urls = [(e.tag, name, value) for e in doc.iter() for name, value in e.attrs.items()
            if name in {"src", "href", "poster", "srcset", "action", "data"} and value]
    assert urls
    for tag, name, value in urls:
        if name == "href" and value.startswith("#"):
            assert doc.find_all(id=value[1:]), f"dangling link {value}"
            continue
        assert local_file(report, value).is_file(), (tag, name, value)
    (style,) = doc.find_all("style")
    assert "url(" not in style.text and "@import" not in style.text
    assert "@font-face" not in style.text
    (script,) = doc.find_all("script")
    assert "src" not in script.attrs
    assert not re.search(r"fetch|XMLHttpRequest|import\(|WebSocket|https?:", script.text)


def test_the_content_security_policy_allows_only_the_inline_style_and_script(
        clips: dict[str, Path], tmp_path: Path) -> None:
    doc = page(full_report(clips, tmp_path / "r.html"))
    (meta,) = doc.find_all("meta", http_equiv="Content-Security-Policy")
    policy = dict(part.strip().split(" ", 1) for part in meta.attrs["content"].split(";"))

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert policy["default-src"] == "'none'"
    assert policy["img-src"] == policy["media-src"] == "'self' file:"
    assert policy["style-src"] == digest(doc.find("style").text)
    assert policy["script-src"] == digest(doc.find("script").text)
    for element in doc.iter():
        assert "style" not in element.attrs, "inline style attributes are blocked by the policy"


def test_a_sweep_is_shown_as_its_grid(clips: dict[str, Path], tmp_path: Path) -> None:
    takes, sweep = sweep_takes(clips)
    doc = page(write_report(tmp_path / "r.html", takes, sweeps=[sweep]))
    section = doc.find("section", id="sweep-1")
    assert section.find("h2").text == "Duration against aspect ratio"
    (table,) = section.find_all("table")
    head = [th.text for th in table.find("thead").find_all("th")]
    assert head == ["duration \\ aspect_ratio", "16:9", "1:1"]
    rows = table.find("tbody").find_all("tr")
    assert [row.find("th").text for row in rows] == ["4", "8"]
    number = {t.key: n for n, t in enumerate(takes, 1)}
    expected = [[f"#take-{number[f'sweep-{d}-{a}']}" for a in ("16:9", "1:1")] for d in (4, 8)]
    assert [[td.find("a", cls="thumb").attrs["href"] for td in row.find_all("td")]
            for row in rows] == expected
    assert doc.find("nav").find("a").attrs["href"] == "#sweep-1"


def test_more_than_two_axes_give_one_grid_per_combination_of_the_others(
        tmp_path: Path) -> None:
    axes = {"resolution": ["480p", "720p"], "generate_audio": [True, False],
            "duration": [4, 8], "aspect_ratio": ["16:9", "1:1", "9:16"]}
    takes, cells = [], []
    for r in axes["resolution"]:
        for g in axes["generate_audio"]:
            for d in axes["duration"]:
                for a in axes["aspect_ratio"]:
                    key = f"{r}-{g}-{d}-{a}"
                    takes.append(make_take(key, None, resolution=r, generate_audio=g,
                                           duration=d, aspect_ratio=a))
                    cells.append(({"resolution": r, "generate_audio": g, "duration": d,
                                   "aspect_ratio": a}, key))
    sweep = ReportSweep("Big", axes, cells)
    section = page(write_report(tmp_path / "r.html", takes, sweeps=[sweep])).find("section")
    assert [h.text for h in section.find_all("h4")] == [
        "resolution = 480p · generate_audio = True", "resolution = 480p · generate_audio = False",
        "resolution = 720p · generate_audio = True", "resolution = 720p · generate_audio = False"]
    tables = section.find_all("table")
    assert len(tables) == 4
    number = {t.key: n for n, t in enumerate(takes, 1)}
    last = tables[3].find("tbody").find_all("tr")[1].find_all("td")[2]
    assert last.find("a").attrs["href"] == f"#take-{number['720p-False-8-9:16']}"
    assert "Sweep of 24 takes: resolution (2) × generate_audio (2)" in section.text


def test_one_axis_sweep_is_a_row_and_gaps_and_strangers_are_marked(tmp_path: Path) -> None:
    takes = [make_take("a", None, duration=4), make_take("b", None, duration=8)]
    sweep = ReportSweep("Durations", {"duration": [4, 8, 12]},
                        [({"duration": 4}, "a"), ({"duration": 4}, "a2"),
                         ({"duration": 8}, "b")])
    table = page(write_report(tmp_path / "r.html", takes, sweeps=[sweep])).find("table")
    assert [th.text for th in table.find("thead").find_all("th")] == ["duration", "4", "8", "12"]
    (row,) = table.find("tbody").find_all("tr")
    first, second, third = row.find_all("td")
    assert len(first.find_all("div", cls="cell")) == 2
    assert "a2 (not in this report)" in first.text
    assert second.find("a", cls=None).attrs["href"] == "#take-2"
    assert third.text == "no take"


def test_a_cell_off_the_axes_is_an_error() -> None:
    with pytest.raises(ValueError, match="not on the axes"):
        ReportSweep("Bad", {"duration": [4, 8]}, [({"duration": 5}, "a")])
    with pytest.raises(ValueError, match="not on the axes"):
        ReportSweep("Bad", {"duration": [4, 8], "seed": [1]}, [({"duration": 4}, "a")])
    with pytest.raises(ValueError, match="no axes"):
        ReportSweep("Bad", {}, [])


def test_a_blind_comparison_shows_standings_with_counts_and_reveals_the_takes(
        clips: dict[str, Path], tmp_path: Path) -> None:
    takes = [make_take("x", None, duration=4), make_take("y", None, duration=8),
             make_take("z", None, duration=12)]
    choices = [("x", "y", "y"), ("y", "z", "y"), ("z", "x", None), ("x", "y", "x")]
    standings = rank(choices)
    comparison = ReportComparison(standings, choices, labels={"x": "Left clip", "y": "Clip 2"})
    section = page(write_report(tmp_path / "r.html", takes, comparison=comparison)).find(
        "section", id="comparison")
    head = [th.text for th in section.find("thead").find_all("th")]
    assert head == ["Rank", "Take", "Shown as", "Score", "Win rate", "Wins", "Losses", "Ties",
                    "Shown"]
    rows = [[td.text.strip() for td in tr.find_all("td")]
            for tr in section.find("tbody").find_all("tr")]
    by_take = {row[1].split()[0]: row for row in rows}
    assert [row[1].split()[0] for row in rows] == ["#2", "#1", "#3"]
    assert by_take["#2"][2:] == ["Clip 2", f"{standings[0].score:.0%}", "67%", "2", "1", "0",
                                 "3"]
    assert by_take["#1"][1] == "#1 duration=4"
    assert by_take["#3"][2:4] == ["", f"{standings[2].score:.0%}"]
    assert by_take["#3"][4:] == ["25%", "0", "1", "1", "2"]
    rounds = [li.text for li in section.find("ol", cls="rounds").find_all("li", cls=None)]
    assert rounds[:3] == ["#1 (Left clip) vs #2 (Clip 2): chose #2",
                          "#2 (Clip 2) vs #3: chose #2", "#3 vs #1 (Left clip): no preference"]
    assert "4 choices" in section.text and "(1 with no preference)" in section.text


def test_rejects_what_it_cannot_show_honestly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rating"):
        make_take("a", None, rating=0)
    with pytest.raises(ValueError, match="rating"):
        make_take("a", None, rating=6)
    with pytest.raises(ValueError, match="cost"):
        make_take("a", None, cost=0.7)
    with pytest.raises(ValueError, match="cost"):
        make_take("a", None, cost=Decimal("-1"))
    with pytest.raises(ValueError, match="cost"):
        make_take("a", None, cost=Decimal("NaN"))
    with pytest.raises(ValueError, match="unique"):
        write_report(tmp_path / "r.html", [make_take("a", None), make_take("a", None)])


def test_the_key_appears_nowhere(clips: dict[str, Path], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, api_key: str) -> None:
    """A realistic report made while a key is set: the page and every file beside it."""
    monkeypatch.setenv("OXEN_API_KEY", api_key)
    full_report(clips, tmp_path / "r.html")
    write_report(tmp_path / "linked.html", [make_take("fox", clips["fox"])], link_videos=True)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 8
    for path in files:
        data = path.read_bytes()
        assert api_key.encode() not in data, path
        assert api_key[8:24].encode() not in data, path
    assert "from seedance_widgets import Studio" in (tmp_path / "r.html").read_text()


# --- in a browser -------------------------------------------------------------------------


POSTER_LOADS = """async (url) => {
  const image = new Image();
  image.src = url;
  try { await image.decode(); } catch (e) { return 0; }
  return image.naturalWidth;
}"""

# Every element with its own text: its colour against the first opaque background behind it.
CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const failures = [];
  let checked = 0;
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    let bg = null;
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) { bg = c; break; }
    }
    bg = bg || [255, 255, 255];
    const style = getComputedStyle(el);
    const [a, b] = [lum(rgb(style.color)), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    checked += 1;
    if (ratio < (large ? 3 : 4.5)) {
      const text = el.textContent.slice(0, 30);
      failures.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} "${text}"`);
    }
  }
  return {checked, failures};
}"""


@pytest.mark.browser
def test_the_report_plays_in_headless_chromium(clips: dict[str, Path], tmp_path: Path,
                                               chromium: object) -> None:
    report = full_report(clips, tmp_path / "fox study #1.html")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900}, color_scheme="light",
        permissions=["clipboard-read", "clipboard-write"])
    try:
        tab = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        tab.on("request", lambda request: requests.append(request.url))
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.goto(report.as_uri())
        tab.wait_for_load_state("load")
        # Chromium's parser builds the same tree as a naive one: no element was misplaced
        # (a <ul> in a <p>, say) and closed or moved by the HTML5 error recovery.
        assert tab.evaluate("document.getElementsByTagName('*').length") == len(
            list(page(report).iter()))

        for image in tab.locator("img").all():
            image.scroll_into_view_if_needed()
            assert image.evaluate("(img) => img.complete && img.naturalWidth") > 0
        videos = tab.locator("video").all()
        assert len(videos) == 4
        started = time.monotonic()
        for video in videos:
            poster = video.evaluate("(v) => v.poster")
            assert tab.evaluate(POSTER_LOADS, poster) > 0, poster
            state = video.evaluate(PLAYS)
            assert state["ready"] >= 2 and state["time"] > 0, (video.get_attribute("src"), state)
            assert state["width"] == 160
        played = time.monotonic() - started

        contrast = tab.evaluate(CONTRAST)
        assert contrast["checked"] > 50
        assert contrast["failures"] == []

        tab.locator("details.code summary").first.click()
        copy = tab.locator("details.code button").first
        copy.click()
        tab.wait_for_function("() => document.querySelector('details.code button')"
                              ".textContent !== 'Copy'")
        assert copy.text_content() == "Copied"
        assert tab.evaluate("navigator.clipboard.readText()").startswith(
            "from seedance_widgets import Studio")

        tab.evaluate("window.scrollTo(0, 0)")
        tab.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        tab.set_viewport_size({"width": 400, "height": 800})
        tab.screenshot(path=str(ARTIFACTS / "report-narrow.png"), full_page=True)
        assert tab.evaluate("document.documentElement.scrollWidth") <= 400
    finally:
        context.close()

    assert requests, "no requests recorded"
    assert [url for url in requests if not url.startswith("file://")] == []
    assert errors == []
    assert played < 30
