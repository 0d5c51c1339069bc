"""The ledger: an append-only record of every intent to pay and every generation, on disk,
shared safely by every kernel and process working in one folder.

Before any enqueue an *intent* is written: request, take, model, namespace, time and who
holds it. `claim()` decides inside one write transaction, so across processes one
(namespace, request, take) has at most one live intent: a second process attaches to it
instead of paying again. Each generation id is written the moment it is known. The ledger
also answers the cache ("this take already has a video"), resume ("these jobs and intents
were left unfinished") and reconciliation ("these ids are already claimed").

SQLite in WAL mode; nothing is rewritten (a one-time migration aside), and never the key.
Every SQLite failure surfaces as `LedgerError`, naming the file and the next step.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._contract.status import Status
from .._transport.retry import RetryPolicy
from ..errors import LedgerError
from .holders import Holder, holder_alive

__all__ = ["Claim", "Intent", "Ledger", "LedgerRecord", "cache_key", "file_checksum",
           "request_key"]

_VERSION = 3
# Waiting out another process creating the same new ledger: up to 30 s, in short steps.
_WHILE_LOCKED = RetryPolicy(attempts=10_000, timeout=30.0, wait_initial=0.02, wait_max=0.2,
                            wait_jitter=0.02)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,           -- submitted | status | video | upload | an intent's event
    cache_key TEXT NOT NULL,
    generation_id TEXT,
    data TEXT NOT NULL,           -- JSON
    intent_id TEXT
);
CREATE INDEX IF NOT EXISTS entries_by_key ON entries (cache_key);
CREATE INDEX IF NOT EXISTS entries_by_id ON entries (generation_id);
CREATE TABLE IF NOT EXISTS intents (
    intent_id TEXT PRIMARY KEY,
    cache_key TEXT NOT NULL,
    attempt INTEGER NOT NULL,     -- 1, 2, ... for one (namespace, request, take)
    at REAL NOT NULL,
    namespace TEXT NOT NULL,
    request_key TEXT NOT NULL,    -- the request without its take: other takes share it
    model TEXT NOT NULL,
    take INTEGER NOT NULL,
    params TEXT NOT NULL,         -- JSON
    holder TEXT NOT NULL,         -- JSON: host, pid, start time, token
    estimate TEXT,                -- its price when claimed, a decimal (version 3)
    UNIQUE (cache_key, attempt)
);
CREATE INDEX IF NOT EXISTS intents_by_request ON intents (request_key);
-- Version 3: judgments (append-only events, the last one of a kind wins), blind comparisons
-- and their choices, and the indexes the history pages and the budget read through.
CREATE TABLE IF NOT EXISTS judgments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    generation_id TEXT NOT NULL,
    kind TEXT NOT NULL,           -- rating | note | tag | untag
    value TEXT                    -- the stars ('1'..'5', NULL = cleared), the note, the tag
);
CREATE INDEX IF NOT EXISTS judgments_by_take ON judgments (generation_id, kind, value);
CREATE TABLE IF NOT EXISTS comparisons (
    comparison_id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    takes TEXT NOT NULL,          -- JSON: the generation ids compared
    rounds INTEGER NOT NULL,
    seed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS choices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    comparison_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    left_id TEXT NOT NULL,
    right_id TEXT NOT NULL,
    winner TEXT,                  -- left_id, right_id, or NULL for no preference
    UNIQUE (comparison_id, round)
);
CREATE INDEX IF NOT EXISTS entries_by_take ON entries (generation_id, kind);
CREATE INDEX IF NOT EXISTS entries_takes ON entries (json_extract(data, '$.namespace'), at)
    WHERE kind = 'submitted';
"""
# Generations not failed or cancelled that lack a success with a video: resume's candidates.
_UNFINISHED = """
SELECT g.generation_id FROM (
  SELECT e.generation_id AS generation_id,
         COALESCE((SELECT json_extract(s.data, '$.status') FROM entries s
                   WHERE s.generation_id = e.generation_id AND s.kind = 'status'
                   ORDER BY s.seq DESC LIMIT 1), 'queued') AS status
  FROM entries e WHERE e.kind = 'submitted') g
WHERE g.status NOT IN ('failed', 'cancelled')
  AND NOT (g.status = 'succeeded' AND EXISTS (SELECT 1 FROM entries v
           WHERE v.generation_id = g.generation_id AND v.kind = 'video'))
"""
_INDEX_BY_INTENT = "CREATE INDEX IF NOT EXISTS entries_by_intent ON entries (intent_id)"

# An intent's phases. Settled ones never change again, except that a late-found id confirms
# an unconfirmed or abandoned one.
PREPARED, SENDING, CONFIRMED = "prepared", "sending", "confirmed"
UNCONFIRMED, REFUSED, VOID, ABANDONED = "unconfirmed", "refused", "void", "abandoned"
_DEAD = (REFUSED, VOID, ABANDONED)
# A take whose generation ended so may be generated again (nothing was delivered).
_RETRYABLE_OUTCOMES = (Status.FAILED, Status.CANCELLED)


def cache_key(canonical_request: str, take: int, namespace: str) -> str:
    """The identity of a result: backend namespace + canonical request + take number."""
    text = json.dumps([namespace, canonical_request, take], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_key(canonical_request: str, namespace: str) -> str:
    """The identity of a request whatever its take: intents sharing it are rivals when their
    answers are lost at the same time."""
    text = json.dumps([namespace, canonical_request], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _upload_key(namespace: str, url: str) -> str:
    """Where an uploaded input is recorded: its own key space beside the cache keys."""
    text = json.dumps(["upload", namespace, url], separators=(",", ":"))
    return "upload:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Intent:
    """One attempt to pay for (namespace, request, take), with its events folded in."""

    intent_id: str
    cache_key: str
    attempt: int
    at: float
    namespace: str
    request_key: str
    model: str
    take: int
    params: dict[str, Any]
    holder: dict[str, Any]
    phase: str = PREPARED
    generation_id: str | None = None
    candidates: tuple[str, ...] = ()
    reason: str | None = None
    sent_at: float | None = None
    last_at: float = 0.0
    cancel_requested: bool = False

    @property
    def holder_alive(self) -> bool:
        return holder_alive(self.holder, self.last_at)

    @property
    def in_flight(self) -> bool:
        """Its holder may still be sending it: wait for the answer, don't reconcile."""
        return self.phase in (PREPARED, SENDING) and self.holder_alive

    @property
    def unresolved(self) -> bool:
        """Sent, with no id known, and nobody is waiting for the answer any more."""
        return (self.phase == SENDING and not self.holder_alive) or self.phase == UNCONFIRMED


@dataclass
class Claim:
    """`Ledger.claim`'s answer: the intent to act on; `fresh` when the caller must send it."""

    intent: Intent
    fresh: bool


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
    intent_id: str | None = None
    status: str = Status.QUEUED
    error: str | None = None
    video_path: str | None = None
    checksum: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    history: list[tuple[str, float]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in _RETRYABLE_OUTCOMES or (
            self.status == Status.SUCCEEDED and self.video_path is not None)

    def video_intact(self) -> bool:
        """Whether the recorded video is on disk as recorded (size, then checksum; the
        checksum is skipped while size and modification time are unchanged)."""
        if self.video_path is None:
            return False
        path = Path(self.video_path)
        try:
            stat = path.stat()
        except OSError:
            return False
        if stat.st_size != self.size:
            return False
        return stat.st_mtime_ns == self.mtime_ns or file_checksum(path) == self.checksum

    def seconds_to_finish(self) -> float | None:
        """From `processing` to the terminal status, if both were seen."""
        times = dict(self.history)
        start, end = times.get(Status.PROCESSING), times.get(self.status)
        if start is None or end is None or self.status not in (Status.SUCCEEDED, Status.FAILED):
            return None
        return end - start


class Ledger:
    """`.seedance/ledger.sqlite3` beside the notebook (or wherever `folder` says)."""

    def __init__(self, folder: Path | str = ".seedance"):
        self.folder = Path(folder)
        self.path = self.folder / "ledger.sqlite3"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        with self._failing_as("opened"):
            self.folder.mkdir(parents=True, exist_ok=True)
            self._create()

    @classmethod
    def temporary(cls) -> Ledger:
        """A ledger in a temporary folder, removed with the object: the same guarantees
        within one process, nothing kept after it (`Studio(ledger=None)`)."""
        folder = tempfile.TemporaryDirectory(prefix="seedance-ledger-",
                                             ignore_cleanup_errors=True)
        ledger = cls(folder.name)
        ledger._temporary = folder
        return ledger

    def __repr__(self) -> str:
        return f"Ledger({str(self.folder)!r})"

    # -- intents ----------------------------------------------------------------------------

    def claim(self, *, key: str, request: str, namespace: str, model: str,
              params: dict[str, Any], take: int, holder: Holder,
              resubmit: bool = False, estimate: Decimal | None = None,
              guard: Callable[[sqlite3.Connection], None] | None = None) -> Claim:
        """The intent to act on for (namespace, request, take), decided in one transaction.

        A new intent (`fresh`) is written when there is none yet, or the last one can no
        longer be paid for (refused, never sent, abandoned, or its generation failed or was
        cancelled). Otherwise the live one is returned: the caller waits for it, follows its
        generation, or reconciles it. `resubmit=True` abandons an unresolved one (the user's
        explicit choice to pay again). `estimate` (its price) is kept with a new intent;
        `guard(db)` runs in the same transaction just before one is written and may refuse
        it by raising (the budget: two processes cannot both pass it with one remainder).
        """
        with self._transaction("written") as db:
            latest = self._latest_intent(db, key)
            if latest is not None and not self._replaceable(db, latest, resubmit):
                return Claim(latest, fresh=False)
            if guard is not None:
                guard(db)
            intent_id = "i-" + uuid.uuid4().hex[:10]
            attempt = latest.attempt + 1 if latest is not None else 1
            now = time.time()
            db.execute("INSERT INTO intents (intent_id, cache_key, attempt, at, namespace, "
                       "request_key, model, take, params, holder, estimate) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (intent_id, key, attempt, now, namespace, request, model, take,
                        json.dumps(params), json.dumps(holder.to_json()),
                        None if estimate is None else str(estimate)))
        intent = self.intent(intent_id)
        assert intent is not None
        return Claim(intent, fresh=True)

    def _replaceable(self, db: sqlite3.Connection, latest: Intent, resubmit: bool) -> bool:
        """Whether a new attempt may follow `latest` (appending what settles it, if needed)."""
        if latest.phase in _DEAD:
            return True
        if latest.phase == CONFIRMED and latest.generation_id is not None:
            record = _fold(_rows(db, "generation_id = ?", (latest.generation_id,)))
            status = record[latest.generation_id].status if record else Status.QUEUED
            return status in _RETRYABLE_OUTCOMES
        if latest.phase == PREPARED and not latest.holder_alive:
            self._event(db, "void", latest, {"reason": "its holder stopped before sending it"})
            return True
        if resubmit and latest.unresolved:
            self._event(db, "abandoned", latest, {"reason": "paid anew on the user's request"})
            return True
        return False

    def sending(self, intent: Intent) -> None:
        """About to send: from now on the server may have it, so only reconciliation settles
        it if no answer comes."""
        self._append_event("sending", intent, {})

    def confirm(self, intent: Intent, generation_ids: list[str], how: str) -> None:
        """The service issued these ids for `intent` (`how`: answer, reconciled, adopted):
        written before the job is followed, downloaded or shown."""
        with self._transaction("written") as db:
            for generation_id in generation_ids:
                db.execute("INSERT INTO entries (at, kind, cache_key, generation_id, data, "
                           "intent_id) VALUES (?, 'submitted', ?, ?, ?, ?)",
                           (time.time(), intent.cache_key, generation_id, json.dumps({
                               "namespace": intent.namespace, "model": intent.model,
                               "params": intent.params, "take": intent.take, "how": how}),
                            intent.intent_id))

    def unconfirmed(self, intent: Intent, reason: str, candidates: list[str]) -> None:
        self._append_event("unconfirmed", intent, {"reason": reason, "candidates": candidates})

    def refused(self, intent: Intent, reason: str) -> None:
        """The server provably did not take it: nothing was paid."""
        self._append_event("refused", intent, {"reason": reason})

    def void(self, intent: Intent, reason: str) -> None:
        """It was never sent."""
        self._append_event("void", intent, {"reason": reason})

    def cancel_requested(self, intent: Intent) -> None:
        """The user cancelled before the id was known: cancel it as soon as it is."""
        self._append_event("cancel", intent, {})

    def intent(self, intent_id: str) -> Intent | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM intents WHERE intent_id = ?",
                             (intent_id,)).fetchone()
            return _intent(db, row) if row is not None else None

    def intents(self, namespace: str | None = None) -> list[Intent]:
        """Every intent, oldest first."""
        with self._reading() as db:
            rows = db.execute("SELECT * FROM intents ORDER BY at").fetchall()
            return [_intent(db, r) for r in rows if namespace in (None, r["namespace"])]

    def unresolved(self, namespace: str | None = None) -> list[Intent]:
        """Intents sent with no id known and nobody waiting for their answer: the ones to
        reconcile (after a kill, a restart, or an answer lost on the way)."""
        return [i for i in self.unsettled(namespace) if i.unresolved]

    def unsettled(self, namespace: str | None = None) -> list[Intent]:
        """Intents with no generation recorded and no refusal, oldest first: those being
        sent, unconfirmed, or left prepared (found by index, so a long history costs
        nothing here)."""
        with self._reading() as db:
            rows = db.execute("SELECT * FROM intents i WHERE NOT EXISTS (SELECT 1 FROM "
                              "entries e WHERE e.intent_id = i.intent_id AND e.kind IN "
                              "('submitted', 'refused')) ORDER BY at").fetchall()
            return [_intent(db, r) for r in rows if namespace in (None, r["namespace"])]

    def rivals(self, intent: Intent, since: float, until: float) -> list[Intent]:
        """Other intents for the same request (any take) made in [since, until] whose ids
        are not known: a listed generation could be theirs as well as `intent`'s."""
        with self._reading() as db:
            rows = db.execute("SELECT * FROM intents WHERE request_key = ? AND intent_id != ? "
                              "AND at BETWEEN ? AND ?",
                              (intent.request_key, intent.intent_id, since, until)).fetchall()
            found = [_intent(db, r) for r in rows]
        return [i for i in found if i.phase in (PREPARED, SENDING, UNCONFIRMED, ABANDONED)
                and not (i.phase == PREPARED and not i.holder_alive)]

    def highest_take(self, request: str) -> int:
        """The highest take any intent was made for, for this request key (0 if none)."""
        with self._reading() as db:
            row = db.execute("SELECT MAX(take) FROM intents WHERE request_key = ?",
                             (request,)).fetchone()
        return int(row[0] or 0)

    def claimed_ids(self) -> set[str]:
        """Every generation id already recorded for some intent."""
        with self._reading() as db:
            rows = db.execute("SELECT DISTINCT generation_id FROM entries "
                              "WHERE kind = 'submitted'").fetchall()
        return {r[0] for r in rows}

    # -- generations ------------------------------------------------------------------------

    def status(self, key: str, generation_id: str, status: str,
               error: str | None = None) -> None:
        self._append("status", key, generation_id, {"status": status, "error": error})

    def video(self, key: str, generation_id: str, path: Path) -> None:
        stat = path.stat()
        self._append("video", key, generation_id, {
            "path": str(path), "checksum": file_checksum(path), "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns})

    def charge(self, key: str, generation_id: str, cost: Decimal | None) -> None:
        """What the service says `generation_id` was charged, read once it was final
        (None: it reports no charge)."""
        self._append("cost", key, generation_id,
                      {"cost": None if cost is None else str(cost)})

    def records(self) -> list[LedgerRecord]:
        """Every generation, oldest first, with its entries folded in."""
        with self._reading() as db:
            return list(_fold(_rows(db, "generation_id IS NOT NULL", ())).values())

    def record(self, generation_id: str) -> LedgerRecord | None:
        with self._reading() as db:
            return _fold(_rows(db, "generation_id = ?", (generation_id,))).get(generation_id)

    def for_key(self, key: str) -> list[LedgerRecord]:
        """Generations made for this cache key, oldest first."""
        with self._reading() as db:
            return list(_fold(_rows(db, "cache_key = ? AND generation_id IS NOT NULL",
                                    (key,))).values())

    def unfinished(self, namespace: str | None = None) -> list[LedgerRecord]:
        """Generations still queued/processing, or succeeded without a video on disk.

        Local errors are never written, so a job whose following failed stays resumable.
        Only the generations whose newest entries say so are read whole.
        """
        with self._reading() as db:
            ids = [r[0] for r in db.execute(_UNFINISHED)]
            found = _fold(_rows(db, f"generation_id IN ({','.join('?' * len(ids))})",
                                tuple(ids))) if ids else {}
        return [r for r in found.values()
                if not r.finished and (namespace is None or r.namespace == namespace)]

    # -- uploaded inputs --------------------------------------------------------------------

    def upload(self, namespace: str, *, url: str, checksum: str, local_path: str, size: int,
               how: str) -> None:
        """A local input file is at `url` (`how`: uploaded, or found already there)."""
        self._append("upload", _upload_key(namespace, url), None, {
            "namespace": namespace, "url": url, "checksum": checksum,
            "local_path": local_path, "size": size, "how": how})

    def upload_of(self, namespace: str, url: str) -> dict[str, Any] | None:
        """What `upload` recorded for `url` (the local path, its checksum, ...), or None."""
        with self._reading() as db:
            row = db.execute("SELECT data FROM entries WHERE cache_key = ? AND kind = 'upload' "
                             "ORDER BY seq DESC LIMIT 1",
                             (_upload_key(namespace, url),)).fetchone()
        return json.loads(row["data"]) if row is not None else None

    def durations(self, model: str, resolution: str | None) -> list[float]:
        """Past processing times for this model (and resolution), for ETAs."""
        return [d for r in self.records()
                if r.model == model and (resolution is None
                                         or r.params.get("resolution") == resolution)
                and (d := r.seconds_to_finish()) is not None]

    # -- for the query modules (history, judgments, budget, blind comparison) --------------

    def reading(self) -> AbstractContextManager[sqlite3.Connection]:
        """A connection to read through (failures surface as `LedgerError`)."""
        return self._reading()

    def writing(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction holding SQLite's write lock from its first statement."""
        return self._transaction("written")

    # -- plumbing ---------------------------------------------------------------------------

    def _append_event(self, kind: str, intent: Intent, data: dict[str, Any]) -> None:
        with self._transaction("written") as db:
            self._event(db, kind, intent, data)

    @staticmethod
    def _event(db: sqlite3.Connection, kind: str, intent: Intent, data: dict[str, Any]) -> None:
        db.execute("INSERT INTO entries (at, kind, cache_key, generation_id, data, intent_id) "
                    "VALUES (?, ?, ?, NULL, ?, ?)",
                    (time.time(), kind, intent.cache_key, json.dumps(data), intent.intent_id))

    def _append(self, kind: str, key: str, generation_id: str | None,
                data: dict[str, Any]) -> None:
        with self._transaction("written") as db:
            db.execute("INSERT INTO entries (at, kind, cache_key, generation_id, data) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (time.time(), kind, key, generation_id, json.dumps(data)))

    def _latest_intent(self, db: sqlite3.Connection, key: str) -> Intent | None:
        row = db.execute("SELECT * FROM intents WHERE cache_key = ? ORDER BY attempt DESC "
                         "LIMIT 1", (key,)).fetchone()
        return _intent(db, row) if row is not None else None

    def _create(self) -> None:
        """Create the tables, switch to WAL (kept in the file) and migrate a ledger written
        before intents existed. Two kernels opening a new ledger at once can find it locked
        while the other creates it (switching to WAL is not covered by the busy timeout):
        retried briefly, by the transport's one retry executor."""
        for attempt in _WHILE_LOCKED.retrying(_locked):
            with attempt, self._connect() as db:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                if db.execute("PRAGMA user_version").fetchone()[0] < _VERSION:
                    db.execute("BEGIN IMMEDIATE")
                    _migrate(db)
                    db.execute("COMMIT")

    @contextmanager
    def _failing_as(self, action: str) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(self.path, action, exc) from None

    @contextmanager
    def _transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds SQLite's write lock from its first statement, so
        decisions made inside it are made by one process at a time."""
        with self._failing_as(action), self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._failing_as("read"), self._connect() as db:
            yield db

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """The ledger's connection, one thread at a time, in autocommit mode (explicit
        transactions only); SQLite's locking (WAL, 30 s busy timeout) serialises writers from
        other kernels. It is kept open between calls (opening and closing one per call was
        most of a submission's time on the event loop, ~1 ms) and dropped after any SQLite
        error, so the next call starts afresh (a disk that was full or read-only, say)."""
        with self._lock:
            try:
                if self._db is None:
                    self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                               check_same_thread=False)
                    self._db.row_factory = sqlite3.Row
                    self._db.execute("PRAGMA synchronous=NORMAL")
                yield self._db
            except sqlite3.Error:
                self._drop()
                raise

    def close(self) -> None:
        """Close the connection (the next call opens another)."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            with contextlib.suppress(sqlite3.Error):
                db.close()


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a ledger to `_VERSION`, whatever version it is at: tables, columns and indexes;
    for a version-1 ledger, intents for what it recorded."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= _VERSION:
        return  # another process migrated it while this one waited for the lock
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    columns = {r[1] for r in db.execute("PRAGMA table_info(entries)")}
    if "intent_id" not in columns:
        db.execute("ALTER TABLE entries ADD COLUMN intent_id TEXT")
    db.execute(_INDEX_BY_INTENT)
    if "estimate" not in {r[1] for r in db.execute("PRAGMA table_info(intents)")}:
        db.execute("ALTER TABLE intents ADD COLUMN estimate TEXT")  # version 3
    if version < 2:
        _intents_for_version_1(db)
    db.execute(f"PRAGMA user_version = {_VERSION}")


def _intents_for_version_1(db: sqlite3.Connection) -> None:
    """A version-1 ledger recorded generations and enqueue intents without intents: one
    confirmed intent per recorded generation, and an unconfirmed one per interrupted enqueue
    (an `intent` entry whose request and take never got a generation)."""
    legacy = db.execute("SELECT seq, at, kind, cache_key, generation_id, data FROM entries "
                        "WHERE kind IN ('submitted', 'intent') AND intent_id IS NULL "
                        "ORDER BY seq").fetchall()
    submitted_keys = {r[0] for r in db.execute(
        "SELECT DISTINCT cache_key FROM entries WHERE kind = 'submitted'")}
    attempts: dict[str, int] = {r[0]: r[1] for r in db.execute(
        "SELECT cache_key, MAX(attempt) FROM intents GROUP BY cache_key")}
    for row in legacy:
        data = json.loads(row["data"])
        if row["kind"] == "intent" and row["cache_key"] in submitted_keys:
            continue  # its generation is recorded
        key = row["cache_key"]
        attempts[key] = attempts.get(key, 0) + 1
        intent_id = "i-" + uuid.uuid4().hex[:10]
        params = data.get("params", {})
        db.execute("INSERT INTO intents (intent_id, cache_key, attempt, at, namespace, "
                   "request_key, model, take, params, holder) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (intent_id, key, attempts[key], row["at"], data.get("namespace", "default"),
                    "legacy:" + key, data.get("model", ""), data.get("take", 1),
                    json.dumps(params), json.dumps({})))
        if row["kind"] == "submitted":
            db.execute("UPDATE entries SET intent_id = ? WHERE seq = ?", (intent_id, row["seq"]))
        else:
            db.execute("INSERT INTO entries (at, kind, cache_key, data, intent_id) "
                       "VALUES (?, 'sending', ?, '{}', ?)", (row["at"], key, intent_id))


def _rows(db: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[sqlite3.Row]:
    return db.execute("SELECT at, kind, cache_key, generation_id, data, intent_id FROM entries "
                      f"WHERE {where} ORDER BY seq", args).fetchall()


def _intent(db: sqlite3.Connection, row: sqlite3.Row) -> Intent:
    intent = Intent(
        intent_id=row["intent_id"], cache_key=row["cache_key"], attempt=row["attempt"],
        at=row["at"], namespace=row["namespace"], request_key=row["request_key"],
        model=row["model"], take=row["take"], params=json.loads(row["params"]),
        holder=json.loads(row["holder"]), last_at=row["at"])
    events = db.execute("SELECT at, kind, generation_id, data FROM entries WHERE intent_id = ? "
                        "ORDER BY seq", (intent.intent_id,)).fetchall()
    for event in events:
        _apply(intent, event["kind"], event["at"], event["generation_id"],
               json.loads(event["data"]))
    return intent


def _apply(intent: Intent, kind: str, at: float, generation_id: str | None,
           data: dict[str, Any]) -> None:
    """Fold one event into `intent` (see the phases above)."""
    intent.last_at = max(intent.last_at, at)
    if kind == "submitted" and intent.phase != CONFIRMED:
        intent.phase, intent.generation_id = CONFIRMED, generation_id
    elif kind == "sending" and intent.phase == PREPARED:
        intent.phase, intent.sent_at = SENDING, at
    elif kind == "unconfirmed" and intent.phase in (SENDING, UNCONFIRMED):
        intent.phase, intent.reason = UNCONFIRMED, data.get("reason")
        intent.candidates = tuple(data.get("candidates") or ())
    elif kind == "refused" and intent.phase != CONFIRMED:
        intent.phase, intent.reason = REFUSED, data.get("reason")
    elif kind == "void" and intent.phase == PREPARED:
        intent.phase, intent.reason = VOID, data.get("reason")
    elif kind == "abandoned" and intent.phase in (SENDING, UNCONFIRMED):
        intent.phase, intent.reason = ABANDONED, data.get("reason")
    elif kind == "cancel":
        intent.cancel_requested = True


def _fold(rows: list[sqlite3.Row]) -> dict[str, LedgerRecord]:
    records: dict[str, LedgerRecord] = {}
    for row in rows:
        kind, generation_id, at = row["kind"], row["generation_id"], row["at"]
        if generation_id is None:
            continue
        data = json.loads(row["data"])
        if kind == "submitted":
            if generation_id not in records:
                records[generation_id] = LedgerRecord(
                    generation_id=generation_id, cache_key=row["cache_key"],
                    namespace=data["namespace"], model=data["model"], params=data["params"],
                    take=data["take"], submitted_at=at, intent_id=row["intent_id"],
                    history=[(Status.QUEUED, at)])
            continue
        record = records.get(generation_id)
        if record is None:
            continue
        if kind == "status":
            record.status, record.error = data["status"], data.get("error")
            record.history.append((data["status"], at))
        elif kind == "video":
            record.video_path, record.checksum = data["path"], data["checksum"]
            record.size, record.mtime_ns = data["size"], data.get("mtime_ns")
    return records

