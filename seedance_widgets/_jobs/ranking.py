"""Blind comparison: which pairs to show, and the ranking their outcomes imply.

`draw_pairs` schedules the rounds; `rank` turns the choices into standings with a
Bradley–Terry score. Both are pure: no I/O, and the same input gives the same output.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported when a ranking is made (it costs ~80 ms to import)
    import numpy as np

__all__ = ["Comparison", "Standing", "draw_pairs", "rank"]

Comparison = tuple[str, str, str | None]
"""One choice: the two takes shown, and the winner (one of them, or None for no preference)."""

PRIOR_GAMES = 1.0  # one virtual tie per take against an opponent of strength 1
TOLERANCE = 1e-10  # largest change of any log-strength at which the fit stops
MAX_ITERATIONS = 100_000  # a safety net: realistic inputs converge in a few thousand


@dataclass(frozen=True)
class Standing:
    """One take's record in a blind comparison.

    `win_rate` counts a tie as half a win (None when the take was never shown). `score` is the
    fitted Bradley–Terry probability that the take is preferred to a take of average
    strength (the geometric mean of all fitted strengths): 0.5 is average.
    """

    key: str
    comparisons: int
    wins: int
    losses: int
    ties: int
    win_rate: float | None
    score: float


def rank(comparisons: Iterable[Comparison], keys: Iterable[str] = ()) -> list[Standing]:
    """Standings, best first, for every take in `comparisons` (and in `keys`, shown or not).

    Bradley–Terry strengths are fitted by a Zermelo (MM) iteration, a tie counting as half a
    win to each side, with a prior of one virtual tie per take against an opponent of
    strength 1: an unbeaten or winless take gets a finite score, an unshown one the prior's.
    Equal scores are ordered by win rate (unshown takes last), then by the order in which
    takes first appear (`keys` first).
    """
    index: dict[str, int] = {key: 0 for key in keys}
    games = [(a, b, winner) for a, b, winner in comparisons]
    for a, b, winner in games:
        if a == b:
            raise ValueError(f"a take cannot be compared with itself: {a!r}")
        if winner is not None and winner not in (a, b):
            raise ValueError(f"winner {winner!r} is neither {a!r} nor {b!r}")
        index.setdefault(a, 0)
        index.setdefault(b, 0)
    for position, key in enumerate(index):
        index[key] = position

    size = len(index)
    wins, losses, ties = [0] * size, [0] * size, [0] * size
    meetings: dict[tuple[int, int], list[float]] = {}  # (i, j), i < j: [i's points, j's]
    for a, b, winner in games:
        i, j = sorted((index[a], index[b]))
        points = meetings.setdefault((i, j), [0.0, 0.0])
        if winner is None:
            ties[i] += 1
            ties[j] += 1
            points[0] += 0.5
            points[1] += 0.5
        else:
            w = index[winner]
            wins[w] += 1
            losses[j if w == i else i] += 1
            points[0 if w == i else 1] += 1

    import numpy as np

    strengths = _bradley_terry(size, meetings)
    average = math.exp(float(np.mean(np.log(strengths)))) if size else 1.0
    standings = []
    for key, i in index.items():
        played = wins[i] + losses[i] + ties[i]
        rate = (wins[i] + ties[i] / 2) / played if played else None
        score = float(strengths[i] / (strengths[i] + average))
        standings.append(Standing(key, played, wins[i], losses[i], ties[i], rate, score))
    # Rounded, so scores equal but for float noise fall through to the tie-breakers.
    return sorted(standings, key=lambda s: (-round(s.score, 9), -(s.win_rate or 0.0)))


def _bradley_terry(size: int, meetings: dict[tuple[int, int], list[float]]) -> np.ndarray:
    """The strengths maximising the posterior, given each pair's points (wins plus half ties).

    Each take also has `PRIOR_GAMES` ties against an opponent of strength 1, which anchors the
    scale. The update is the classic MM step (Hunter, Ann. Statist. 32, 2004), which raises the
    posterior at every step and so converges from any start.
    """
    import numpy as np

    first = np.array([i for i, _ in meetings], dtype=np.intp)
    second = np.array([j for _, j in meetings], dtype=np.intp)
    points = np.array(list(meetings.values()), dtype=float).reshape(-1, 2)
    met = points.sum(axis=1)
    target = (np.bincount(first, points[:, 0], size) + np.bincount(second, points[:, 1], size)
              + PRIOR_GAMES / 2)
    strengths = np.ones(size)
    for _ in range(MAX_ITERATIONS):
        per_meeting = met / (strengths[first] + strengths[second])
        exposure = (np.bincount(first, per_meeting, size) + np.bincount(second, per_meeting, size)
                    + PRIOR_GAMES / (strengths + 1))
        updated = target / exposure
        change = np.max(np.abs(np.log(updated / strengths)), initial=0.0)
        strengths = updated
        if change < TOLERANCE:
            break
    return strengths


def draw_pairs(keys: Sequence[str], rounds: int, seed: int | None = None) -> list[tuple[str, str]]:
    """The pairs to show in `rounds` rounds of blind comparison, each (left, right).

    Every pair of takes is used once before any is used again. Within such a cycle the pairs
    come in perfect matchings (the circle method of round-robin tournaments), so after any
    round every take has been shown as often as any other, give or take one (two when the
    number of takes is odd). Takes, matchings, pairs and sides are all shuffled by
    `random.Random(seed)`; the same seed gives the same list, and a longer list starts with
    the shorter one. A cycle never starts with the pair that ended the one before it, unless
    there is only one pair.
    """
    if len(set(keys)) != len(keys):
        raise ValueError("take keys must be unique")
    if len(keys) < 2:
        raise ValueError(f"a blind comparison needs at least two takes, got {len(keys)}")
    if rounds < 0:
        raise ValueError(f"rounds must be zero or more, got {rounds}")
    rng = random.Random(seed)
    drawn: list[tuple[str, str]] = []
    while len(drawn) < rounds:
        drawn.extend(_cycle(keys, rng, avoid=set(drawn[-1]) if drawn else set()))
    return drawn[:rounds]


def _cycle(keys: Sequence[str], rng: random.Random, avoid: set[str]) -> list[tuple[str, str]]:
    """Every pair of `keys` once, as shuffled perfect matchings with shuffled sides, not
    starting with the pair `avoid` when another can start. Reordering pairs within a matching,
    or whole matchings, keeps the balance."""
    order = list(keys)
    rng.shuffle(order)
    matchings = list(_round_robin(order))
    rng.shuffle(matchings)
    for matching in matchings:
        rng.shuffle(matching)
    if set(matchings[0][0]) == avoid:
        if len(matchings[0]) > 1:
            matchings[0].append(matchings[0].pop(0))
        elif len(matchings) > 1:
            matchings.append(matchings.pop(0))
    return [(a, b) if rng.random() < 0.5 else (b, a) for matching in matchings
            for a, b in matching]


def _round_robin(keys: list[str]) -> Iterator[list[tuple[str, str]]]:
    """The circle method: len(keys) - 1 matchings (len(keys) when odd, one take sitting
    out of each) that together hold every pair exactly once."""
    seats: list[str | None] = [*keys, None] if len(keys) % 2 else list(keys)
    half = len(seats) // 2
    for _ in range(len(seats) - 1):
        pairs = zip(seats[:half], reversed(seats[half:]), strict=True)
        yield [(a, b) for a, b in pairs if a is not None and b is not None]
        seats = [seats[0], seats[-1], *seats[1:-1]]
