"""Judgments: what a person thought of a take (stars, a note, tags), kept in the ledger.

Each change is an event appended to the ledger's `judgments` table; nothing is rewritten.
The newest rating and the newest note win; a tag is on a take when its newest `tag` event is
newer than its newest `untag`. Every process working in the folder sees the same judgments.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidRequestError
from .ledger import Ledger

__all__ = ["MAX_NOTE", "MAX_TAG", "STARS", "Judgment", "Judgments", "fold_judgments"]

STARS = range(1, 6)
MAX_NOTE = 10_000  # characters
MAX_TAG = 40


@dataclass(frozen=True)
class Judgment:
    """One take's current rating (1-5, None when unrated), note ("" when none) and tags."""

    generation_id: str | None
    rating: int | None = None
    note: str = ""
    tags: tuple[str, ...] = ()


class Judgments:
    """Reads and appends judgments of generations in one ledger."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def of(self, generation_id: str) -> Judgment:
        return self.of_many([generation_id]).get(generation_id, Judgment(generation_id))

    def of_many(self, generation_ids: Iterable[str]) -> dict[str, Judgment]:
        """The judgments of these generations (those never judged are absent)."""
        ids = list(dict.fromkeys(generation_ids))
        if not ids:
            return {}
        with self.ledger.reading() as db:
            return fold_judgments(db, ids)

    def rate(self, generation_id: str, stars: int | None) -> Judgment:
        """Give 1 to 5 stars; None clears the rating."""
        if stars is not None and (isinstance(stars, bool) or not isinstance(stars, int)
                                  or stars not in STARS):
            raise InvalidRequestError("rating", stars, "1, 2, 3, 4, 5, or None to clear it")
        return self._append(generation_id, [("rating", None if stars is None else str(stars))])

    def note(self, generation_id: str, text: str) -> Judgment:
        """Replace the note ("" clears it)."""
        if not isinstance(text, str):
            raise InvalidRequestError("note", text, "text")
        if len(text) > MAX_NOTE:
            raise InvalidRequestError("note", text, f"at most {MAX_NOTE:,} characters",
                                      reason=f"has {len(text):,} characters")
        if any((ord(c) < 32 and c not in "\t\n\r") or 0xD800 <= ord(c) <= 0xDFFF for c in text):
            raise InvalidRequestError("note", text, "text without control characters")
        return self._append(generation_id, [("note", text)])

    def tag(self, generation_id: str, names: Iterable[str]) -> Judgment:
        return self._append(generation_id, [("tag", n) for n in _tag_names(names)])

    def untag(self, generation_id: str, names: Iterable[str]) -> Judgment:
        return self._append(generation_id, [("untag", n) for n in _tag_names(names)])

    def _append(self, generation_id: str, events: list[tuple[str, str | None]]) -> Judgment:
        now = time.time()
        with self.ledger.writing() as db:
            db.executemany("INSERT INTO judgments (at, generation_id, kind, value) "
                           "VALUES (?, ?, ?, ?)",
                           [(now, generation_id, kind, value) for kind, value in events])
            return fold_judgments(db, [generation_id]).get(generation_id,
                                                           Judgment(generation_id))


def _tag_names(names: Iterable[str]) -> list[str]:
    """Tags as written, without surrounding spaces; each 1 to MAX_TAG characters of text
    without commas or control characters (a comma separates tags in CSV listings)."""
    if isinstance(names, str):
        names = [names]
    cleaned = []
    for name in names:
        tag = name.strip() if isinstance(name, str) else name
        if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG or "," in tag \
                or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in tag):
            raise InvalidRequestError("tag", name, f"1 to {MAX_TAG} characters of text "
                                                   "without commas")
        cleaned.append(tag)
    if not cleaned:
        raise InvalidRequestError("tag", (), "one or more tag names")
    return list(dict.fromkeys(cleaned))


def fold_judgments(db: sqlite3.Connection, generation_ids: list[str]) -> dict[str, Judgment]:
    """The current judgment of each of `generation_ids` that has any, from its events."""
    ratings: dict[str, int | None] = {}
    notes: dict[str, str] = {}
    tags: dict[str, dict[str, bool]] = {}
    for start in range(0, len(generation_ids), 500):  # SQLite's bound-parameter limit
        chunk = generation_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute("SELECT generation_id, kind, value FROM judgments "
                          f"WHERE generation_id IN ({marks}) ORDER BY seq", chunk).fetchall()
        for generation_id, kind, value in rows:
            if kind == "rating":
                ratings[generation_id] = int(value) if value is not None else None
            elif kind == "note":
                notes[generation_id] = value or ""
            elif kind in ("tag", "untag"):
                tags.setdefault(generation_id, {})[value] = kind == "tag"
    judged = set(ratings) | set(notes) | set(tags)
    return {g: Judgment(g, ratings.get(g), notes.get(g, ""),
                        tuple(t for t, on in tags.get(g, {}).items() if on))
            for g in judged}
