"""The HTML report: one page anyone can open in a browser, no Jupyter, no network, no key.

`write_report` writes `<name>.html` and, beside it, `<name>_files/` with each take's video
(copied, or symlinked on request) and a JPEG poster of its first frame. The page shows every
take as a card (poster, player, parameters, rating, note, tags, cost, reproducing code),
each sweep as its grid, and a blind comparison as its standings. Its CSS and its one small
script (the "Copy" buttons) are inline, and a Content-Security-Policy forbids anything else.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import logging
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._jobs.ranking import Comparison, Standing

__all__ = ["ReportComparison", "ReportSweep", "ReportTake", "write_report"]

log = logging.getLogger(__name__)

RATING_MAX = 5
POSTER_WIDTH = 640  # px: sharp in a card on a 2x screen, a few tens of kB as JPEG
VALUE_CHARS = 160  # longer parameter values are cut in the table (the code keeps them whole)
_OURS = re.compile(r"take-\d{3,}\.[a-z0-9]{1,8}")  # the only names written to the folder
_LITTER = {".DS_Store", "Thumbs.db", "desktop.ini"}  # left by file browsers: fine to replace


@dataclass(frozen=True)
class ReportTake:
    """One take. `key` is its ledger key (sweeps and comparisons refer to it); `params` are
    its request's parameters (`prompt` among them is shown as the title, not in the table);
    `code` is the toolkit code that makes it again; `cost` is None when not reported."""

    key: str
    prompt: str
    model: str
    params: Mapping[str, Any]
    code: str
    take: int = 1
    status: str = "succeeded"
    video: Path | None = None
    rating: int | None = None  # 1 to RATING_MAX stars
    note: str | None = None
    tags: tuple[str, ...] = ()
    cost: Decimal | None = None  # in US dollars; money never passes through a float
    cost_is_estimate: bool = False
    simulated: bool = False  # made by the built-in simulator, not by the service

    def __post_init__(self) -> None:
        if self.rating is not None and not 1 <= self.rating <= RATING_MAX:
            raise ValueError(f"rating must be 1 to {RATING_MAX}, got {self.rating!r}")
        if self.cost is not None and not (isinstance(self.cost, Decimal)
                                          and self.cost.is_finite() and self.cost >= 0):
            raise ValueError(f"cost must be a finite Decimal >= 0 or None, got {self.cost!r}")


@dataclass(frozen=True)
class ReportSweep:
    """A sweep's grid: its axes (name -> values, the last axis is the columns, the one before
    it the rows, and each combination of the others gets its own grid) and its cells, each
    (the axis values, a take key). Several takes may share a cell."""

    title: str
    axes: Mapping[str, Sequence[Any]]
    cells: Sequence[tuple[Mapping[str, Any], str]]

    def __post_init__(self) -> None:
        if not self.axes:
            raise ValueError(f"sweep {self.title!r} has no axes")
        for values, _ in self.cells:
            if any(name not in values or values[name] not in list(axis)
                   for name, axis in self.axes.items()):
                raise ValueError(f"sweep {self.title!r}: cell {dict(values)!r} is not on the "
                                 f"axes {dict(self.axes)!r}")

    def spot(self, values: Mapping[str, Any]) -> tuple[int, ...]:
        """Where a cell's values lie: the index of each value on its axis."""
        return tuple(list(axis).index(values[name]) for name, axis in self.axes.items())


@dataclass(frozen=True)
class ReportComparison:
    """A blind comparison's results: the standings from `ranking.rank`, the choices in the
    order they were made ((left, right, winner or None) by take key), and the reveal: the
    name each take was shown under during the rounds, when they had names."""

    standings: Sequence[Standing]
    choices: Sequence[Comparison]
    labels: Mapping[str, str] = field(default_factory=dict)
    title: str = "Blind comparison"


@dataclass(frozen=True)
class _Media:
    """What the folder holds for one take, and what the page says when something is missing."""

    video: str | None = None  # URL relative to the page
    poster: str | None = None
    size: tuple[int, int] | None = None
    problem: str | None = None


def write_report(path: Path | str, takes: Iterable[ReportTake], *,
                 sweeps: Sequence[ReportSweep] = (), comparison: ReportComparison | None = None,
                 title: str = "Seedance report", link_videos: bool = False) -> Path:
    """Write the report to `path` and its media to the sibling `<stem>_files/`; return `path`.

    With `link_videos` the folder holds symlinks to the videos' absolute paths (a copy where a
    link fails): smaller, but the report then plays only where those paths exist. A folder
    left by an earlier report is replaced; one holding anything else is an error.
    """
    path = Path(path)
    takes = list(takes)
    keys = [take.key for take in takes]
    if len(set(keys)) != len(keys):
        raise ValueError("take keys must be unique")
    folder = path.with_name(f"{path.stem}_files")
    _check_replaceable(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_folder(path.parent, folder.name)
    try:
        media = {take.key: _place(take, number, staging, folder.name, link_videos)
                 for number, take in enumerate(takes, 1)}
        page = _Page(takes, media).render(title, sweeps, comparison, folder.name)
        if folder.exists():
            old = _new_folder(path.parent, folder.name)
            folder.rename(old / folder.name)
            staging.rename(folder)
            shutil.rmtree(old)
        else:
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(page, encoding="utf-8", newline="")
    partial.replace(path)
    return path


def _new_folder(parent: Path, name: str) -> Path:
    """A new hidden folder beside the report, with the usual permissions (not mkdtemp's 0700,
    so the report stays readable wherever the page is)."""
    folder = parent / f".{name}.{secrets.token_hex(4)}"
    folder.mkdir()
    return folder


def _check_replaceable(folder: Path) -> None:
    if not (folder.exists() or folder.is_symlink()):
        return

    def replaceable(entry: Path) -> bool:
        if entry.name in _LITTER:
            return True
        return bool(_OURS.fullmatch(entry.name)) and (entry.is_file() or entry.is_symlink())

    if folder.is_symlink() or not folder.is_dir() or not all(map(replaceable, folder.iterdir())):
        raise FileExistsError(f"{folder} holds files this report did not write: "
                              "choose another report name or move that folder")


def _place(take: ReportTake, number: int, folder: Path, url_base: str, link: bool) -> _Media:
    """Put one take's video and poster in `folder`."""
    if take.video is None:
        return _Media(problem="No video for this take.")
    source = Path(take.video)
    if not source.is_file():
        return _Media(problem=f"The video file is missing: {source.name}")
    name = f"take-{number:03d}{source.suffix.lower() or '.mp4'}"
    if not _OURS.fullmatch(name):
        name = f"take-{number:03d}.mp4"
    target = folder / name
    if link:
        try:
            target.symlink_to(source.resolve())
        except OSError as exc:
            log.info("copying %s: cannot link it (%s)", source, exc)
            shutil.copyfile(source, target)
    else:
        shutil.copyfile(source, target)
    poster = f"take-{number:03d}.jpg"
    size = _write_poster(source, folder / poster)
    return _Media(video=f"{quote(url_base)}/{name}",
                  poster=f"{quote(url_base)}/{poster}" if size else None, size=size,
                  problem=None if size else "No poster: the video could not be read here.")


def _write_poster(video: Path, poster: Path) -> tuple[int, int] | None:
    """Save the first frame as a JPEG at most POSTER_WIDTH wide; the video's (width, height),
    or None when it can't be read."""
    try:
        import av

        with av.open(str(video)) as container:
            frame = next(container.decode(video=0))
            image = frame.to_image()
        size: tuple[int, int] = image.size
        image.thumbnail((POSTER_WIDTH, POSTER_WIDTH * 4))
        image.convert("RGB").save(poster, format="JPEG", quality=82, optimize=True)
    except Exception as exc:  # a broken video costs its poster, never the report
        log.info("no poster for %s: %s", video, exc)
        poster.unlink(missing_ok=True)
        return None
    return size


_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _esc(value: object) -> str:
    """Text for HTML content or a quoted attribute: escaped, with control characters and
    lone surrogates (which cannot be written as UTF-8) shown as U+FFFD."""
    return html.escape(_INVISIBLE.sub("\ufffd", str(value)), quote=True)


def _value(value: Any, limit: int = VALUE_CHARS) -> str:
    """A parameter value as plain text, the way the toolkit code writes it, cut to `limit`."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_value(item, limit) for item in value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _money(amount: Decimal) -> str:
    """US dollars with 2 to 4 decimals: `$0.70`, `$0.0375`."""
    exponent = amount.normalize().as_tuple().exponent
    places = min(max(2, -exponent if isinstance(exponent, int) else 2), 4)
    return f"${amount:,.{places}f}"


def _stars(rating: int | None) -> str:
    if rating is None:
        return '<span class="muted">Not rated</span>'
    return (f'<span class="stars" role="img" aria-label="Rated {rating} of {RATING_MAX}">'
            f'{"★" * rating}{"☆" * (RATING_MAX - rating)}</span>')


def _badges(take: ReportTake) -> str:
    tone = {"succeeded": "ok", "failed": "bad", "cancelled": "bad"}.get(str(take.status), "")
    badge = f'<span class="badge {tone}">{_esc(take.status)}</span>'
    if take.simulated:
        badge += ' <span class="badge sim">simulated</span>'
    return badge


class _Page:
    """The page's parts, given the takes and where their media went."""

    def __init__(self, takes: list[ReportTake], media: dict[str, _Media]):
        self.takes = {take.key: take for take in takes}
        self.number = {take.key: n for n, take in enumerate(takes, 1)}
        self.media = media

    def render(self, title: str, sweeps: Sequence[ReportSweep],
               comparison: ReportComparison | None, folder: str) -> str:
        sections = [self._sweep(sweep, n) for n, sweep in enumerate(sweeps, 1)]
        if comparison is not None:
            sections.append(self._comparison(comparison))
        cards = "".join(self._card(take) for take in self.takes.values())
        sections.append(f'<section id="takes"><h2>Takes</h2><div class="cards">{cards}'
                        "</div></section>")
        nav = ""
        if sweeps or comparison:
            links = [f'<a href="#sweep-{n}">{_esc(s.title)}</a>' for n, s in enumerate(sweeps, 1)]
            if comparison:
                links.append(f'<a href="#comparison">{_esc(comparison.title)}</a>')
            links.append('<a href="#takes">Takes</a>')
            nav = f'<nav aria-label="Sections">{" · ".join(links)}</nav>'
        # 'self' for a page served over HTTP; file: for one opened from disk, where browsers
        # differ on whether 'self' covers the files beside it.
        policy = (f"default-src 'none'; img-src 'self' file:; media-src 'self' file:; "
                  f"style-src '{_sha256(_CSS)}'; script-src '{_sha256(_SCRIPT)}'; "
                  "base-uri 'none'; form-action 'none'")
        return (
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="color-scheme" content="light">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
            f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<header class="top"><h1 dir="auto">{_esc(title)}</h1>{self._summary()}{nav}'
            f'</header>\n<main>{"".join(sections)}</main>\n'
            f'<footer>Made with seedance-widgets. The videos and posters are in the folder '
            f"<code>{_esc(folder)}/</code> beside this file: keep the two together.</footer>\n"
            f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
        )

    def _summary(self) -> str:
        takes = list(self.takes.values())
        costs = [t.cost for t in takes if t.cost is not None]
        parts = [f"{len(takes)} take{'s' * (len(takes) != 1)}"]
        if costs:
            estimated = " (includes estimates)" if any(
                t.cost_is_estimate for t in takes if t.cost is not None) else ""
            parts.append(f"total cost {_money(sum(costs, Decimal(0)))}{estimated}")
        if len(costs) < len(takes):
            parts.append(f"cost not reported for {len(takes) - len(costs)}")
        simulated = sum(t.simulated for t in takes)
        warning = (f'<p class="warn">{simulated} of these takes were made by the built-in '
                   "simulator, not by Seedance.</p>" if simulated else "")
        return f'<p class="muted">{" · ".join(parts)}</p>{warning}'

    def _link(self, key: str) -> str:
        if key not in self.number:
            return f'<span class="muted" dir="auto">{_esc(key)} (not in this report)</span>'
        n = self.number[key]
        return f'<a href="#take-{n}">#{n}</a>'

    def _thumb(self, key: str) -> str:
        """The take's poster linking to its card ("" without one)."""
        media = self.media.get(key)
        if media is None or media.poster is None:
            return ""
        n = self.number[key]
        return (f'<a class="thumb" href="#take-{n}"><img src="{_esc(media.poster)}" '
                f'alt="Take #{n}, first frame"></a>')

    def _card(self, take: ReportTake) -> str:
        n, media = self.number[take.key], self.media[take.key]
        if media.video:
            size = f' width="{media.size[0]}" height="{media.size[1]}"' if media.size else ""
            poster = f' poster="{_esc(media.poster)}"' if media.poster else ""
            player = (f'<video controls preload="none" playsinline{poster}{size} '
                      f'src="{_esc(media.video)}" aria-label="Take #{n}"></video>')
        else:
            player = f'<div class="no-video">{_esc(media.problem)}</div>'
        problem = (f'<p class="problem">{_esc(media.problem)}</p>'
                   if media.video and media.problem else "")
        params = "".join(f"<dt>{_esc(name)}</dt><dd dir=\"auto\">{_esc(_value(value))}</dd>"
                         for name, value in take.params.items() if name != "prompt")
        tags = "".join(f'<li dir="auto">{_esc(tag)}</li>' for tag in take.tags)
        note = f'<p class="note" dir="auto">{_esc(take.note)}</p>' if take.note else ""
        if take.cost is None:
            cost = '<span class="muted">not reported</span>'
        else:
            estimate = ' <span class="badge est">estimate</span>' if take.cost_is_estimate else ""
            cost = f"{_money(take.cost)}{estimate}"
        return (
            f'<article class="card" id="take-{n}"><div class="media">{player}</div>'
            f'<div class="body"><h3><a href="#take-{n}">#{n}</a> {_badges(take)}</h3>'
            f'<p class="prompt" dir="auto">{_esc(take.prompt)}</p>{problem}'
            f'<div class="judged">{_stars(take.rating)}'
            f'{f"<ul class=tags>{tags}</ul>" if tags else ""}</div>{note}'
            f'<dl class="params"><dt>model</dt><dd>{_esc(take.model)}</dd>'
            f"<dt>take</dt><dd>{take.take}</dd>{params}<dt>cost</dt><dd>{cost}</dd></dl>"
            f'<details class="code"><summary>Code to make it again</summary>'
            f'<div class="code-bar"><span>Python</span>'
            f'<button type="button" data-copy="code-{n}" hidden>Copy</button></div>'
            f'<pre id="code-{n}"><code>{_esc(take.code)}</code></pre></details>'
            f'<p class="key">key <span dir="auto">{_esc(take.key)}</span></p></div></article>'
        )

    def _sweep(self, sweep: ReportSweep, number: int) -> str:
        names = list(sweep.axes)
        at: dict[tuple[int, ...], list[str]] = {}
        for values, key in sweep.cells:
            at.setdefault(sweep.spot(values), []).append(key)
        columns, rows = names[-1], names[-2] if len(names) > 1 else None
        outer = names[:-2]
        shape = " × ".join(f"{_esc(name)} ({len(sweep.axes[name])})" for name in names)
        grids = []
        for combo in itertools.product(*(range(len(sweep.axes[name])) for name in outer)):
            heading = " · ".join(f"{_esc(name)} = {_esc(_value(sweep.axes[name][i]))}"
                                 for name, i in zip(outer, combo, strict=True))
            grids.append((f"<h4>{heading}</h4>" if heading else "")
                         + self._grid(sweep, combo, rows, columns, at))
        return (f'<section class="sweep" id="sweep-{number}"><h2 dir="auto">'
                f'{_esc(sweep.title)}</h2><p class="muted">Sweep of {len(sweep.cells)} '
                f'take{"s" * (len(sweep.cells) != 1)}: {shape}</p>{"".join(grids)}</section>')

    def _grid(self, sweep: ReportSweep, combo: tuple[int, ...], rows: str | None,
              columns: str, at: dict[tuple[int, ...], list[str]]) -> str:
        column_values = sweep.axes[columns]
        corner = f"{_esc(rows)} \\ {_esc(columns)}" if rows else _esc(columns)
        head = "".join(f'<th scope="col" dir="auto">{_esc(_value(v))}</th>'
                       for v in column_values)
        body = []
        for r, row_value in enumerate(sweep.axes[rows] if rows else [None]):
            cells = []
            for c in range(len(column_values)):
                spot = (*combo, r, c) if rows else (*combo, c)
                keys = at.get(spot, [])
                cells.append("<td>" + ("".join(self._cell(key) for key in keys)
                                       or '<span class="muted">no take</span>') + "</td>")
            label = (f'<th scope="row" dir="auto">{_esc(_value(row_value))}</th>'
                     if rows else "<th scope=\"row\"></th>")
            body.append(f"<tr>{label}{''.join(cells)}</tr>")
        return (f'<div class="scroll"><table class="grid"><thead><tr><th scope="col">{corner}'
                f"</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")

    def _cell(self, key: str) -> str:
        take = self.takes.get(key)
        if take is None:
            return f'<div class="cell">{self._link(key)}</div>'
        status = "" if take.status == "succeeded" else f" {_badges(take)}"
        thumb = self._thumb(key) or '<span class="no-poster">no poster</span>'
        return (f'<div class="cell">{thumb}<div>{self._link(key)}{status} '
                f"{_stars(take.rating) if take.rating else ''}</div></div>")

    def _comparison(self, comparison: ReportComparison) -> str:
        labels = comparison.labels
        shown_as = "<th scope=\"col\">Shown as</th>" if labels else ""
        differ = self._differences([s.key for s in comparison.standings])
        rows = []
        for place, s in enumerate(comparison.standings, 1):
            label = f'<td dir="auto">{_esc(labels.get(s.key, ""))}</td>' if labels else ""
            rate = "—" if s.win_rate is None else f"{s.win_rate:.0%}"
            rows.append(
                f"<tr><td>{place}</td><td><div class=\"who\">{self._thumb(s.key)}<span>"
                f"{self._link(s.key)} <span class=\"muted\" dir=\"auto\">"
                f"{_esc(differ.get(s.key, ''))}</span></span></div></td>{label}"
                f'<td class="num">{s.score:.0%} <meter min="0" max="1" value="{s.score:.4f}">'
                f"</meter></td><td class=\"num\">{rate}</td><td class=\"num\">{s.wins}</td>"
                f'<td class="num">{s.losses}</td><td class="num">{s.ties}</td>'
                f'<td class="num">{s.comparisons}</td></tr>')
        ties = sum(winner is None for *_, winner in comparison.choices)
        return (
            f'<section id="comparison"><h2 dir="auto">{_esc(comparison.title)}</h2>'
            f'<p class="muted">{len(comparison.choices)} choices between takes shown side by '
            f"side without their parameters ({ties} with no preference). Score: the estimated "
            "chance of being preferred to a take of average strength (Bradley–Terry, each "
            "take starting from one virtual tie).</p>"
            '<div class="scroll"><table class="standings"><thead><tr><th scope="col">Rank</th>'
            f'<th scope="col">Take</th>{shown_as}<th scope="col">Score</th>'
            '<th scope="col">Win rate</th><th scope="col">Wins</th><th scope="col">Losses</th>'
            '<th scope="col">Ties</th><th scope="col">Shown</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{self._rounds(comparison)}</section>")

    def _rounds(self, comparison: ReportComparison) -> str:
        def side(key: str, winner: str | None) -> str:
            label = comparison.labels.get(key)
            text = self._link(key) + (f' (<bdi>{_esc(label)}</bdi>)' if label else "")
            return f"<strong>{text}</strong>" if key == winner else text

        items = "".join(
            f"<li>{side(a, winner)} vs {side(b, winner)}: "
            f"{'no preference' if winner is None else 'chose ' + self._link(winner)}</li>"
            for a, b, winner in comparison.choices)
        return (f"<details><summary>Every round, in order</summary><ol class=\"rounds\">"
                f"{items}</ol></details>") if items else ""

    def _differences(self, keys: list[str]) -> dict[str, str]:
        """For each take, the parameters whose values differ among `keys`' takes."""
        takes = [self.takes[k] for k in keys if k in self.takes]
        varied = [name for name in dict.fromkeys(n for t in takes for n in t.params)
                  if len({repr(t.params.get(name)) for t in takes}) > 1]
        takes_vary = len({t.take for t in takes}) > 1
        return {t.key: " · ".join([f"{name}={_value(t.params.get(name), 40)}" for name in varied]
                                  + ([f"take {t.take}"] if takes_vary else []))
                for t in takes}


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


_SCRIPT = """
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const code = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(code.textContent);
      button.textContent = "Copied";
    } catch {
      getSelection().selectAllChildren(code);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
}
"""

_CSS = """
:root { --text: #1f2328; --muted: #59636e; --line: #d0d7de; --page: #f6f7f9;
  --link: #0550ae; --star: #8a5d00; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--text); line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
header.top, main, footer { max-width: 84rem; margin: 0 auto; padding: 0 1.25rem; }
header.top { padding-top: 1.5rem; }
h1 { font-size: 1.75rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .35rem; display: flex; gap: .4rem; align-items: center; }
h4 { font-size: .95rem; margin: 1rem 0 .4rem; }
a { color: var(--link); }
nav a { margin: 0 .15rem; }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.muted { color: var(--muted); }
.warn { background: #fff8c5; color: #6b4400; border: 1px solid #d4a72c; border-radius: 6px;
  padding: .4rem .7rem; display: inline-block; }
.cards { display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr)); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  overflow: hidden; display: flex; flex-direction: column; }
.card:target { outline: 3px solid var(--link); outline-offset: 2px; }
.media { background: #000; }
video { display: block; width: 100%; height: auto; max-height: 26rem; object-fit: contain;
  background: #000; }
.no-video { background: #eaeef2; color: #424a53; padding: 2.5rem 1rem; text-align: center; }
.body { padding: .75rem .9rem .9rem; display: flex; flex-direction: column; gap: .4rem; }
.body p { margin: 0; }
.prompt { font-weight: 600; overflow-wrap: anywhere; }
.note { white-space: pre-wrap; overflow-wrap: anywhere; border-left: 3px solid var(--line);
  padding-left: .6rem; }
.problem { color: #a40e26; }
.judged { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.stars { color: var(--star); letter-spacing: .1em; }
.tags { display: inline-flex; flex-wrap: wrap; gap: .3rem; list-style: none; margin: 0;
  padding: 0; }
.tags li { background: #ddf4ff; color: var(--link); border-radius: 999px; padding: 0 .55rem;
  font-size: .85rem; }
.badge { font-size: .75rem; font-weight: 600; border-radius: 999px; padding: .05rem .5rem;
  background: #eaeef2; color: #424a53; }
.badge.ok { background: #dafbe1; color: #116329; }
.badge.bad { background: #ffebe9; color: #a40e26; }
.badge.sim { background: #fbefff; color: #6639ba; }
.badge.est { background: #fff8c5; color: #7d4e00; }
.params { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;
  margin: .2rem 0 0; font-size: .9rem; }
.params dt { color: var(--muted); }
.params dd { margin: 0; overflow-wrap: anywhere; }
summary { cursor: pointer; color: var(--link); }
.code-bar { display: flex; justify-content: space-between; align-items: center;
  margin-top: .3rem; padding: .25rem .4rem .25rem .7rem; font-size: .8rem; color: var(--muted);
  background: #eef1f4; border: 1px solid var(--line); border-bottom: 0;
  border-radius: 6px 6px 0 0; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 0 0 6px 6px;
  margin: 0; padding: .6rem .7rem; white-space: pre-wrap; overflow-wrap: anywhere; }
button { font: inherit; font-size: .8rem; color: var(--text); background: #fff;
  border: 1px solid var(--line); border-radius: 6px; padding: .1rem .5rem; cursor: pointer; }
.key { font-size: .8rem; color: var(--muted); overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { border: 1px solid var(--line); padding: .4rem .55rem; vertical-align: top;
  text-align: left; }
thead th { background: #f6f8fa; }
tbody th, .standings td { vertical-align: middle; }
.grid td { min-width: 10rem; }
.cell + .cell { margin-top: .5rem; }
.thumb { display: block; width: fit-content; text-decoration: none; }
.thumb img { display: block; width: 10rem; height: auto; border-radius: 4px; }
.who { display: flex; gap: .6rem; align-items: center; }
.who .thumb img { width: 5rem; }
.no-poster { display: grid; place-items: center; width: 10rem; aspect-ratio: 16 / 9;
  background: #eaeef2; color: #424a53; font-size: .8rem; border-radius: 4px; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
meter { width: 4rem; vertical-align: middle; }
.rounds { margin: .4rem 0 0; }
footer { color: var(--muted); font-size: .85rem; padding-top: 2rem; padding-bottom: 2rem; }
"""
