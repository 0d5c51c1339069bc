"""History: the ledger's past takes, newest first, searched, filtered and read a page at a time.

Filters run in SQLite over the ledger's indexes (one `submitted` entry per generation, the
newest `status`, `cost` and judgment events), so a page costs the same whatever the size of
the history; only the rows of the page asked for are read whole and folded.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, overload

from .._contract.pricing import cost_of
from .._contract.schema import ModelSpec, bundled_model
from ..errors import InvalidRequestError
from .billing import Charge, CostView, cost_view
from .judgments import STARS, Judgment, fold_judgments
from .ledger import Ledger, LedgerRecord, _fold, _rows

__all__ = ["History", "HistoryQuery", "TakeRecord", "change_stamp", "facets", "find_take",
           "query_history"]

MAX_PAGE_SIZE = 1000
FACET_TAKES = 1000
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_FINAL = ("succeeded", "failed", "cancelled")
_STATUSES = ("queued", "processing", *_FINAL)

# Every generation's first `submitted` entry (a generation adopted twice stays one take).
_TAKES = """
SELECT e.seq AS seq, e.generation_id AS generation_id, e.at AS at, e.data AS data
FROM entries e
WHERE e.kind = 'submitted' {namespace}
  AND NOT EXISTS (SELECT 1 FROM entries d WHERE d.generation_id = e.generation_id
                  AND d.kind = 'submitted' AND d.seq < e.seq)
"""
_STATUS = ("COALESCE((SELECT json_extract(s.data, '$.status') FROM entries s "
           "WHERE s.generation_id = t.generation_id AND s.kind = 'status' "
           "ORDER BY s.seq DESC LIMIT 1), 'queued')")
_RATING = ("(SELECT CAST(j.value AS INTEGER) FROM judgments j "
           "WHERE j.generation_id = t.generation_id AND j.kind = 'rating' "
           "ORDER BY j.seq DESC LIMIT 1)")
_TAGGED = ("(SELECT j.kind FROM judgments j WHERE j.generation_id = t.generation_id "
           "AND j.kind IN ('tag', 'untag') AND j.value = ? ORDER BY j.seq DESC LIMIT 1) = 'tag'")
_COST = ("(SELECT json_extract(c.data, '$.cost') FROM entries c "
         "WHERE c.generation_id = t.generation_id AND c.kind = 'cost' "
         "ORDER BY c.seq DESC LIMIT 1)")


@dataclass(frozen=True)
class TakeRecord:
    """One past take: its request, what became of it, what it cost, what people thought."""

    generation_id: str
    namespace: str
    model: str
    params: Mapping[str, Any]
    take: int
    status: str
    error: str | None
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    video_path: Path | None
    cost: CostView
    rating: int | None = None
    note: str = ""
    tags: tuple[str, ...] = ()

    @property
    def prompt(self) -> str:
        prompt = self.params.get("prompt")
        return prompt if isinstance(prompt, str) else ""

    @property
    def simulated(self) -> bool:
        return self.namespace == "simulator"

    def to_json(self) -> dict[str, Any]:
        """The record as JSON types: times in ISO 8601 (UTC), money as decimal strings."""
        return {
            "generation_id": self.generation_id,
            "namespace": self.namespace,
            "model": self.model,
            "take": self.take,
            "status": self.status,
            "error": self.error,
            "submitted_at": _iso(self.submitted_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "cost": None if self.cost.amount is None else str(self.cost.amount),
            "cost_kind": self.cost.kind,
            "rating": self.rating,
            "note": self.note,
            "tags": list(self.tags),
            "video_path": None if self.video_path is None else str(self.video_path),
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class HistoryQuery:
    """What to look for. `search` is text in the prompt (any case); `params` maps parameter
    names to the value they must have; `rating` is exact, `min_rating` a floor, `rated` True
    or False keeps only rated or unrated takes; every tag in `tags` must be on the take."""

    search: str = ""
    model: str | None = None
    status: tuple[str, ...] = ()
    rating: int | None = None
    min_rating: int | None = None
    rated: bool | None = None
    tags: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_filters(cls, filters: Mapping[str, Any]) -> HistoryQuery:
        """From keyword filters: the names above (`tag` for one tag, `status` a name or a
        list); any other name is a request parameter (`resolution="480p"`)."""
        known = {"search", "model", "status", "rating", "min_rating", "rated", "tag", "tags",
                 "params"}
        params = {**(filters.get("params") or {}),
                  **{k: v for k, v in filters.items() if k not in known}}
        for name in params:
            if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
                raise InvalidRequestError("history filter", name,
                                          "search, model, status, rating, min_rating, rated, "
                                          "tag, tags, or a parameter name")
        tags = filters.get("tags") or ()
        if filters.get("tag"):
            tags = (*_as_tuple(tags), filters["tag"])
        search = filters.get("search") or ""
        if not isinstance(search, str):
            raise InvalidRequestError("search", search, "text")
        status = _as_tuple(filters.get("status") or ())
        for name in status:
            if name not in _STATUSES:
                raise InvalidRequestError("status", name, ", ".join(_STATUSES))
        model = filters.get("model") or None
        if model is not None and not isinstance(model, str):
            raise InvalidRequestError("model", model, "a model id")
        rated = filters.get("rated")
        if rated is not None and not isinstance(rated, bool):
            raise InvalidRequestError("rated", rated, "True, False or None")
        return cls(search=search, model=model, status=status,
                   rating=_stars(filters.get("rating"), "rating"),
                   min_rating=_stars(filters.get("min_rating"), "min_rating"), rated=rated,
                   tags=tuple(str(t) for t in _as_tuple(tags)), params=params)

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on the takes (`t`) and its arguments."""
        terms: list[str] = []
        args: list[Any] = []
        if self.search:
            terms.append("instr(casefold(json_extract(t.data, '$.params.prompt')), ?) > 0")
            args.append(self.search.casefold())
        if self.model:
            terms.append("json_extract(t.data, '$.model') = ?")
            args.append(self.model)
        for name, value in self.params.items():
            terms.append(f"json_extract(t.data, '$.params.{name}') IS json_extract(?, '$')")
            args.append(json.dumps(value))
        if self.status:
            terms.append(f"{_STATUS} IN ({','.join('?' * len(self.status))})")
            args.extend(self.status)
        if self.rating is not None:
            terms.append(f"{_RATING} = ?")
            args.append(self.rating)
        if self.min_rating is not None:
            terms.append(f"{_RATING} >= ?")
            args.append(self.min_rating)
        if self.rated is not None:
            terms.append(f"{_RATING} IS {'NOT ' if self.rated else ''}NULL")
        for tag in self.tags:
            terms.append(_TAGGED)
            args.append(tag)
        return " AND ".join(terms) or "1", args

    def to_json(self) -> dict[str, Any]:
        return {"search": self.search, "model": self.model, "status": list(self.status),
                "rating": self.rating, "min_rating": self.min_rating, "rated": self.rated,
                "tags": list(self.tags), "params": dict(self.params)}


class History(Sequence[TakeRecord]):
    """Takes found by a query: one page of them (`page` from 1), or all (`page` None).

    `total` counts every match, `total_cost` sums what the service billed for them (None when
    nothing was billed). `to_pandas()` gives a DataFrame (pandas is an optional extra).
    """

    def __init__(self, records: list[TakeRecord], *, query: HistoryQuery, total: int,
                 total_cost: Decimal | None, page: int | None, page_size: int):
        self.records = records
        self.query = query
        self.total = total
        self.total_cost = total_cost
        self.page = page
        self.page_size = page_size

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.page_size) if self.page is not None else 1

    @overload
    def __getitem__(self, index: int) -> TakeRecord: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[TakeRecord]: ...
    def __getitem__(self, index: int | slice) -> TakeRecord | Sequence[TakeRecord]:
        return self.records[index]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[TakeRecord]:
        return iter(self.records)

    def __repr__(self) -> str:
        where = f"page {self.page} of {self.pages}, " if self.page is not None else ""
        cost = (f", ${self.total_cost:.2f} billed" if self.total_cost is not None else "")
        lines = [f"<History: {where}{len(self)} of {self.total} takes{cost}>"]
        for record in self.records[:20]:
            stars = "★" * (record.rating or 0)
            lines.append(f"  {record.generation_id}  {record.status:<10} {stars:<5} "
                         f"{record.prompt[:50]!r} {' '.join('#' + t for t in record.tags)}")
        if len(self) > 20:
            lines.append(f"  … {len(self) - 20} more")
        return "\n".join(lines)

    def to_pandas(self) -> Any:
        """The records as a `pandas.DataFrame`: one row per take, one column per field and
        per parameter (`params.<name>`), times as UTC timestamps, costs as `Decimal`s."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("History.to_pandas() needs pandas: pip install "
                              "'seedance-widgets[pandas]'") from None
        rows = []
        for record in self.records:
            row = record.to_json()
            row["cost"] = record.cost.amount
            params = row.pop("params")
            row.update({f"params.{k}": v for k, v in params.items()})
            rows.append(row)
        frame = pd.DataFrame(rows)
        for column in ("submitted_at", "started_at", "finished_at"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        return frame


def query_history(ledger: Ledger, namespace: str | None, query: HistoryQuery, *,
                  page: int | None = 1, page_size: int = 50,
                  totals: tuple[int, Decimal | None] | None = None) -> History:
    """The takes of `namespace` (every namespace when None) matching `query`, newest first:
    page `page` of `page_size`, or all of them when `page` is None. `totals` (count and
    billed sum of a previous answer to the same query, nothing recorded since) spares
    counting them again."""
    if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
        raise InvalidRequestError("page", page, "a whole number from 1")
    if isinstance(page_size, bool) or not isinstance(page_size, int) \
            or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequestError("page_size", page_size, f"1 to {MAX_PAGE_SIZE}")
    condition, args = query.where()
    takes, scope = _takes(namespace)
    with ledger.reading() as db:
        _prepare(db)
        if totals is None:
            costs = [row[0] for row in db.execute(
                f"SELECT {_COST} FROM ({takes}) t WHERE {condition}", [*scope, *args])]
            billed = [Decimal(c) for c in costs if c is not None]
            totals = len(costs), sum(billed, Decimal(0)) if billed else None
        limit = "" if page is None else f" LIMIT {page_size} OFFSET {(page - 1) * page_size}"
        ids = [row[0] for row in db.execute(
            f"SELECT t.generation_id FROM ({takes}) t WHERE {condition} "
            f"ORDER BY t.at DESC, t.seq DESC{limit}", [*scope, *args])]
        records = _records(db, ids)
    return History(records, query=query, total=totals[0], total_cost=totals[1], page=page,
                   page_size=page_size)


def change_stamp(ledger: Ledger) -> tuple[int, int]:
    """Changes whenever a take, status, cost or judgment is recorded (by any process)."""
    with ledger.reading() as db:
        entries = db.execute("SELECT MAX(seq) FROM entries").fetchone()[0] or 0
        judged = db.execute("SELECT MAX(seq) FROM judgments").fetchone()[0] or 0
    return entries, judged


def find_take(ledger: Ledger, generation_id: str) -> TakeRecord | None:
    """One take by its generation id (None when the ledger has no such take)."""
    with ledger.reading() as db:
        found = _records(db, [generation_id])
    return found[0] if found else None


def facets(ledger: Ledger, namespace: str | None) -> dict[str, Any]:
    """What the filters can choose from: the models, the tags on some take, and for each
    parameter (the prompt aside) its values, when few and short, among the newest
    `FACET_TAKES` takes (older values are still found by a query that names them)."""
    takes, scope = _takes(namespace)
    recent = f"SELECT * FROM ({takes}) r ORDER BY r.at DESC LIMIT {FACET_TAKES}"
    with ledger.reading() as db:
        models = [r[0] for r in db.execute(
            f"SELECT DISTINCT json_extract(t.data, '$.model') FROM ({takes}) t ORDER BY 1",
            scope)]
        values = db.execute(
            f"SELECT p.key, p.value, p.type FROM ({recent}) t, "
            "json_each(json_extract(t.data, '$.params')) p WHERE p.key != 'prompt' "
            "AND p.type IN ('text', 'integer', 'real', 'true', 'false') "
            "GROUP BY p.key, p.type, p.value ORDER BY p.key", scope).fetchall()
        tags = [r[0] for r in db.execute(
            "SELECT DISTINCT value FROM (SELECT j.generation_id, j.value, j.kind, "
            "ROW_NUMBER() OVER (PARTITION BY j.generation_id, j.value ORDER BY j.seq DESC) "
            "AS newest FROM judgments j WHERE j.kind IN ('tag', 'untag') AND j.generation_id "
            f"IN (SELECT t.generation_id FROM ({takes}) t)) WHERE newest = 1 "
            "AND kind = 'tag' ORDER BY value", scope)]
    params: dict[str, list[Any]] = {}
    for key, value, kind in values:
        shown = value if kind not in ("true", "false") else kind == "true"
        if isinstance(shown, str) and len(shown) > 40:
            continue
        params.setdefault(key, []).append(shown)
    return {"models": models, "tags": tags, "statuses": list(_STATUSES),
            "params": {k: v for k, v in params.items() if len(v) <= 30}}


def _takes(namespace: str | None) -> tuple[str, list[Any]]:
    if namespace is None:
        return _TAKES.format(namespace=""), []
    return _TAKES.format(namespace="AND json_extract(e.data, '$.namespace') = ?"), [namespace]


def _prepare(db: sqlite3.Connection) -> None:
    db.create_function("casefold", 1, lambda text: text.casefold()
                       if isinstance(text, str) else text, deterministic=True)


def _records(db: sqlite3.Connection, ids: list[str]) -> list[TakeRecord]:
    """The takes `ids`, in that order, each folded from its entries and judgments."""
    if not ids:
        return []
    folded: dict[str, LedgerRecord] = {}
    charges: dict[str, Decimal | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = _rows(db, f"generation_id IN ({marks})", tuple(chunk))
        folded.update(_fold(rows))
        for row in rows:
            if row["kind"] == "cost":
                cost = json.loads(row["data"]).get("cost")
                charges[row["generation_id"]] = None if cost is None else Decimal(cost)
    judged = fold_judgments(db, ids)
    specs: dict[str, ModelSpec | None] = {}
    return [_take(folded[g], charges, judged.get(g, Judgment(g)), specs)
            for g in ids if g in folded]


def _take(record: LedgerRecord, charges: dict[str, Decimal | None], judgment: Judgment,
          specs: dict[str, ModelSpec | None]) -> TakeRecord:
    times = dict(record.history)
    final = record.status in _FINAL
    if record.model not in specs:
        specs[record.model] = bundled_model(record.model)
    spec = specs[record.model]
    estimate = cost_of(record.params, spec) if spec is not None else None
    gid = record.generation_id
    charge = Charge(charges[gid]) if gid in charges else None
    return TakeRecord(
        generation_id=gid, namespace=record.namespace, model=record.model,
        params=record.params, take=record.take, status=record.status, error=record.error,
        submitted_at=record.submitted_at, started_at=times.get("processing"),
        finished_at=times.get(record.status) if final else None,
        video_path=Path(record.video_path) if record.video_path else None,
        cost=cost_view(charge, estimate, final), rating=judgment.rating, note=judgment.note,
        tags=judgment.tags)


def _stars(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in STARS:
        raise InvalidRequestError(name, value, "1, 2, 3, 4, 5")
    return value


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _iso(at: float | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")
