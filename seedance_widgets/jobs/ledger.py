"""The ledger: an append-only record of every generation, on disk, safe for several kernels.

Each generation id is written the moment it is known, before anything else happens to it,
so a kernel restart or a network fault never loses a paid job. The ledger also answers the
cache ("this request, this take, already has a video") and resume ("these jobs were still
running"). SQLite in WAL mode: concurrent writers from two kernels are serialised by SQLite
itself. Never the API key: only requests, ids, statuses, paths and checksums.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Ledger", "LedgerRecord", "cache_key", "file_checksum"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,           -- intent | submitted | status | video
    cache_key TEXT NOT NULL,
    generation_id TEXT,           -- null only for an intent
    data TEXT NOT NULL            -- JSON
);
CREATE INDEX IF NOT EXISTS entries_by_key ON entries (cache_key);
CREATE INDEX IF NOT EXISTS entries_by_id ON entries (generation_id);
"""

ACTIVE = ("queued", "processing")


def cache_key(canonical_request: str, take: int, namespace: str) -> str:
    """The identity of a result: backend namespace + canonical request + take number."""
    text = json.dumps([namespace, canonical_request, take], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class LedgerRecord:
    """The folded state of one generation."""

    generation_id: str
    cache_key: str
    namespace: str
    model: str
    params: dict[str, Any]
    take: int
    submitted_at: float
    status: str = "queued"
    error: str | None = None
    video_path: str | None = None
    checksum: str | None = None
    size: int | None = None
    history: list[tuple[str, float]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in ("failed", "cancelled") or (
            self.status == "succeeded" and self.video_path is not None)

    def seconds_to_finish(self) -> float | None:
        """From `processing` to the terminal status, if both were seen."""
        times = dict(self.history)
        start, end = times.get("processing"), times.get(self.status)
        if start is None or end is None or self.status not in ("succeeded", "failed"):
            return None
        return end - start


class Ledger:
    """`.seedance/ledger.sqlite3` beside the notebook (or wherever `folder` says)."""

    def __init__(self, folder: Path | str = ".seedance"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "ledger.sqlite3"
        self._lock = threading.Lock()
        self._create()

    def __repr__(self) -> str:
        return f"Ledger({str(self.folder)!r})"

    # -- writing (append only) ------------------------------------------------------------

    def intent(self, key: str, data: dict[str, Any]) -> None:
        """About to enqueue `key`: if we crash before the id is back, this says to reconcile."""
        self._append("intent", key, None, data)

    def submitted(self, key: str, generation_id: str, *, namespace: str, model: str,
                  params: dict[str, Any], take: int) -> None:
        """The id is known: written before the job is followed, downloaded or shown."""
        self._append("submitted", key, generation_id, {
            "namespace": namespace, "model": model, "params": params, "take": take})

    def status(self, key: str, generation_id: str, status: str,
               error: str | None = None) -> None:
        self._append("status", key, generation_id, {"status": status, "error": error})

    def video(self, key: str, generation_id: str, path: Path) -> None:
        self._append("video", key, generation_id, {
            "path": str(path), "checksum": file_checksum(path), "size": path.stat().st_size})

    # -- reading --------------------------------------------------------------------------

    def records(self) -> list[LedgerRecord]:
        """Every generation, oldest first, with its entries folded in."""
        with self._connect() as db:
            rows = db.execute("SELECT at, kind, cache_key, generation_id, data FROM entries "
                              "WHERE generation_id IS NOT NULL ORDER BY seq").fetchall()
        return list(_fold(rows).values())

    def record(self, generation_id: str) -> LedgerRecord | None:
        with self._connect() as db:
            rows = db.execute("SELECT at, kind, cache_key, generation_id, data FROM entries "
                              "WHERE generation_id = ? ORDER BY seq",
                              (generation_id,)).fetchall()
        return _fold(rows).get(generation_id)

    def for_key(self, key: str) -> list[LedgerRecord]:
        """Generations made for this cache key, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT at, kind, cache_key, generation_id, data FROM entries "
                              "WHERE cache_key = ? AND generation_id IS NOT NULL ORDER BY seq",
                              (key,)).fetchall()
        return list(_fold(rows).values())

    def cached_video(self, key: str) -> LedgerRecord | None:
        """A finished generation for `key` whose file is still on disk, intact."""
        for record in reversed(self.for_key(key)):
            if record.status != "succeeded" or record.video_path is None:
                continue
            path = Path(record.video_path)
            if path.is_file() and path.stat().st_size == record.size \
                    and file_checksum(path) == record.checksum:
                return record
        return None

    def unfinished(self, namespace: str | None = None) -> list[LedgerRecord]:
        """Generations still queued/processing, or succeeded without a video on disk.

        Local errors are never written, so a job whose following failed stays resumable.
        """
        return [r for r in self.records()
                if not r.finished and (namespace is None or r.namespace == namespace)]

    def pending_intents(self, since: float) -> list[dict[str, Any]]:
        """Intents newer than `since` that never got an id (crashed mid-enqueue)."""
        with self._connect() as db:
            rows = db.execute("SELECT at, cache_key, data FROM entries WHERE kind = 'intent' "
                              "AND at >= ? AND cache_key NOT IN (SELECT cache_key FROM entries "
                              "WHERE kind = 'submitted')", (since,)).fetchall()
        return [{"at": at, "cache_key": key, **json.loads(data)} for at, key, data in rows]

    def durations(self, model: str, resolution: str | None) -> list[float]:
        """Past processing times for this model (and resolution), for ETAs."""
        return [d for r in self.records()
                if r.model == model and (resolution is None
                                         or r.params.get("resolution") == resolution)
                and (d := r.seconds_to_finish()) is not None]

    # -- plumbing -------------------------------------------------------------------------

    def _append(self, kind: str, key: str, generation_id: str | None,
                data: dict[str, Any]) -> None:
        with self._connect() as db:
            db.execute("INSERT INTO entries (at, kind, cache_key, generation_id, data) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (time.time(), kind, key, generation_id, json.dumps(data)))

    def _create(self, patience: float = 30.0) -> None:
        """Create the tables and switch to WAL (kept in the file). Two kernels opening a new
        ledger at once can find it locked while the other creates it: retry, briefly."""
        deadline = time.monotonic() + patience
        while True:
            try:
                with self._connect() as db:
                    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode: each INSERT is its own atomic transaction, and
        SQLite's locking (WAL, 30 s busy timeout) serialises writers from other kernels."""
        with self._lock:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                db.execute("PRAGMA synchronous=NORMAL")
                yield db
            finally:
                db.close()


def _fold(rows: list[tuple[float, str, str, str, str]]) -> dict[str, LedgerRecord]:
    records: dict[str, LedgerRecord] = {}
    for at, kind, key, generation_id, raw in rows:
        data = json.loads(raw)
        if kind == "submitted":
            records[generation_id] = LedgerRecord(
                generation_id=generation_id, cache_key=key, namespace=data["namespace"],
                model=data["model"], params=data["params"], take=data["take"],
                submitted_at=at, history=[("queued", at)])
            continue
        record = records.get(generation_id)
        if record is None:
            continue
        if kind == "status":
            record.status, record.error = data["status"], data.get("error")
            record.history.append((data["status"], at))
        elif kind == "video":
            record.video_path, record.checksum = data["path"], data["checksum"]
            record.size = data["size"]
    return records
