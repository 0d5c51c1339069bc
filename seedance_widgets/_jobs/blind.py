"""Blind comparison: pairs of takes shown without their parameters, each choice kept.

The pairs come from `ranking.draw_pairs` (fair and seeded), so the same takes, rounds, seed
and name always give the same comparison: re-running a notebook, or a new kernel, resumes it
where it stopped, from the choices in the ledger (`comparisons` and `choices` tables; a
round's first choice stands). `standings()` ranks the takes (Bradley–Terry, with counts).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from ..errors import InvalidRequestError, SeedanceError
from .job import Job
from .ledger import Ledger
from .ranking import Comparison, Standing, draw_pairs, rank

__all__ = ["BlindComparison", "Preference", "Preferences", "differing", "differing_params",
           "recorded_comparison"]

Side = str  # "left" | "right"


class BlindComparison:
    """`rounds` pairs of `jobs` (finished takes), shown one pair at a time.

    `pair` is the current (left, right) jobs, None once `done`; `choose(winner)` records a
    choice (`"left"`, `"right"`, one of the pair's jobs, or None for no preference).
    """

    def __init__(self, ledger: Ledger, namespace: str, jobs: Sequence[Job], *, rounds: int,
                 seed: int | None = None, name: str = "blind"):
        if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
            raise InvalidRequestError("rounds", rounds, "a whole number from 1")
        if not isinstance(name, str) or not name:
            raise InvalidRequestError("name", name, "some text")
        unready = [j for j in jobs if j.status != "succeeded" or j.generation_id is None]
        if unready:
            raise SeedanceError(f"{len(unready)} of these {len(jobs)} takes have no video yet "
                                f"({', '.join(sorted({j.status for j in unready}))}): await "
                                "them first, or leave them out")
        self.jobs = {str(j.generation_id): j for j in jobs}
        if len(self.jobs) < 2:
            raise InvalidRequestError("jobs", len(self.jobs), "two or more different takes")
        keys = list(self.jobs)
        if seed is None:
            seed = int(_digest([keys, name])[:8], 16)
        self.ledger = ledger
        self.name, self.rounds, self.seed = name, rounds, seed
        self.id = "c-" + _digest([namespace, keys, rounds, seed, name])[:12]
        self.pairs = draw_pairs(keys, rounds, seed)
        self._observers: list[Callable[[BlindComparison], None]] = []
        with ledger.writing() as db:
            db.execute("INSERT OR IGNORE INTO comparisons (comparison_id, at, namespace, name, "
                       "takes, rounds, seed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (self.id, time.time(), namespace, name, json.dumps(keys), rounds, seed))
        self.choices: list[Comparison] = []
        self.reload()

    @property
    def round(self) -> int:
        """The number of the next round to judge, from 0 (= `rounds` when done)."""
        return len(self.choices)

    @property
    def done(self) -> bool:
        return self.round >= self.rounds

    @property
    def pair(self) -> tuple[Job, Job] | None:
        if self.done:
            return None
        left, right = self.pairs[self.round]
        return self.jobs[left], self.jobs[right]

    def observe(self, callback: Callable[[BlindComparison], None]) -> None:
        """Call `callback(comparison)` after every choice."""
        self._observers.append(callback)

    def choose(self, winner: Job | Side | None, *, round: int | None = None) -> None:
        """Record the choice for the current round (`round`, when given, must be it: a late
        second click is ignored). A round already chosen elsewhere keeps its first choice."""
        if self.done:
            raise SeedanceError("this comparison is done: every round has its choice")
        if round is not None and round != self.round:
            return
        left, right = self.pairs[self.round]
        chosen = {"left": left, "right": right}.get(winner) if isinstance(winner, str) else (
            winner.generation_id if isinstance(winner, Job) else None)
        if winner is not None and chosen not in (left, right):
            raise InvalidRequestError("winner", winner, "'left', 'right', one of the two jobs "
                                                        "shown, or None for no preference")
        with self.ledger.writing() as db:
            db.execute("INSERT OR IGNORE INTO choices (at, comparison_id, round, left_id, "
                       "right_id, winner) VALUES (?, ?, ?, ?, ?, ?)",
                       (time.time(), self.id, self.round, left, right, chosen))
        self.reload()
        for callback in list(self._observers):
            callback(self)

    def reload(self) -> None:
        """Read the choices made so far (by any process) from the ledger."""
        with self.ledger.reading() as db:
            rows = db.execute("SELECT left_id, right_id, winner FROM choices "
                              "WHERE comparison_id = ? ORDER BY round", (self.id,)).fetchall()
        self.choices = [(r[0], r[1], r[2]) for r in rows][:self.rounds]

    def standings(self) -> list[Standing]:
        return rank(self.choices, self.jobs)

    def preferences(self) -> Preferences:
        return Preferences(self)

    def __repr__(self) -> str:
        state = "done" if self.done else f"round {self.round + 1} of {self.rounds}"
        return (f"<BlindComparison {self.id} of {len(self.jobs)} takes, {self.rounds} rounds: "
                f"{state}>")


@dataclass(frozen=True)
class Preference:
    """One take's place in a blind comparison: its `rank` (from 1), the `job`, and its
    `standing` (score, win rate, wins, losses, ties, times shown)."""

    rank: int
    job: Job
    standing: Standing
    differs: str  # the parameters that tell it from the others, e.g. "prompt='a fox'"


class Preferences(Sequence[Preference]):
    """The ranking of a blind comparison's takes, best first, with the counts beside it."""

    def __init__(self, comparison: BlindComparison):
        self.comparison = comparison
        standings = comparison.standings()
        labels = differing_params([comparison.jobs[s.key] for s in standings])
        self._items = [Preference(n, comparison.jobs[s.key], s, labels[s.key])
                       for n, s in enumerate(standings, 1)]

    @overload
    def __getitem__(self, index: int) -> Preference: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Preference]: ...
    def __getitem__(self, index: int | slice) -> Preference | Sequence[Preference]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Preference]:
        return iter(self._items)

    def __repr__(self) -> str:
        comparison = self.comparison
        ties = sum(w is None for *_, w in comparison.choices)
        lines = [f"Preferences from {len(comparison.choices)} of {comparison.rounds} blind "
                 f"choices ({ties} with no preference); score = Bradley–Terry chance of being "
                 "preferred to an average take",
                 " rank  score  win rate  wins  losses  ties  shown  take"]
        for item in self._items:
            s = item.standing
            rate = "—" if s.win_rate is None else f"{s.win_rate:.0%}"
            lines.append(f" {item.rank:>4}  {s.score:>5.0%}  {rate:>8}  {s.wins:>4}  "
                         f"{s.losses:>6}  {s.ties:>4}  {s.comparisons:>5}  {item.differs}")
        return "\n".join(lines)

    def to_pandas(self) -> Any:
        """The ranking as a `pandas.DataFrame` (pandas is an optional extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Preferences.to_pandas() needs pandas: pip install "
                              "'seedance-widgets[pandas]'") from None
        return pd.DataFrame([{
            "rank": p.rank, "generation_id": p.job.generation_id, "take": p.differs,
            "score": p.standing.score, "win_rate": p.standing.win_rate,
            "wins": p.standing.wins, "losses": p.standing.losses, "ties": p.standing.ties,
            "shown": p.standing.comparisons} for p in self._items])


def differing_params(jobs: Sequence[Job]) -> dict[str, str]:
    """For each job's generation id: the parameters whose values differ among `jobs`
    (`prompt='a fox' · aspect_ratio='16:9'`), or its take number when only that differs."""
    return differing({str(j.generation_id): (j.request.params, j.take) for j in jobs})


def differing(takes: Mapping[str, tuple[Mapping[str, Any], int]]) -> dict[str, str]:
    """`differing_params` for takes given as key -> (params, take number)."""
    params = [p for p, _ in takes.values()]
    names = [n for n in dict.fromkeys(n for p in params for n in p)
             if len({json.dumps(p.get(n), sort_keys=True) for p in params}) > 1]
    return {key: " · ".join(f"{n}={_short(values.get(n))}" for n in names) or f"take {take}"
            for key, (values, take) in takes.items()}


def recorded_comparison(ledger: Ledger, keys: Iterable[str]) -> tuple[str, list[str],
                                                                       list[Comparison]] | None:
    """The newest blind comparison in the ledger all of whose takes are among `keys`: its
    name, takes and choices (None when there is none)."""
    wanted = set(keys)
    with ledger.reading() as db:
        for row in db.execute("SELECT comparison_id, name, takes, rounds FROM comparisons "
                              "ORDER BY at DESC"):
            takes = json.loads(row["takes"])
            if set(takes) <= wanted:
                choices = db.execute("SELECT left_id, right_id, winner FROM choices WHERE "
                                     "comparison_id = ? ORDER BY round",
                                     (row["comparison_id"],)).fetchall()
                return row["name"], takes, [(c[0], c[1], c[2]) for c in choices][:row["rounds"]]
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 48 else text[:45] + "…'"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, separators=(",", ":")).encode()).hexdigest()
