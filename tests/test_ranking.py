"""Blind comparison: the pair drawer is fair and repeatable, and the ranking follows the choices."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from itertools import combinations, pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedance_widgets._jobs.ranking import PRIOR_GAMES, Standing, _bradley_terry, draw_pairs, rank

KEYS = [f"take-{i}" for i in range(12)]


@st.composite
def comparisons(draw: st.DrawFn, min_keys: int = 2) -> list[tuple[str, str, str | None]]:
    keys = KEYS[: draw(st.integers(min_keys, len(KEYS)))]
    pairs = draw(st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(keys))
                          .filter(lambda p: p[0] != p[1]), max_size=60))
    return [(a, b, draw(st.sampled_from([a, b, None]))) for a, b in pairs]


def by_key(standings: list[Standing]) -> dict[str, Standing]:
    return {s.key: s for s in standings}


# --- rank ---------------------------------------------------------------------------------


@given(comparisons())
@settings(deadline=None)
def test_counts_add_up(games: list[tuple[str, str, str | None]]) -> None:
    standings = rank(games)
    assert len({s.key for s in standings}) == len(standings)
    assert {s.key for s in standings} == {k for a, b, _ in games for k in (a, b)}
    assert sum(s.comparisons for s in standings) == 2 * len(games)
    assert sum(s.wins for s in standings) == sum(s.losses for s in standings)
    assert sum(s.wins for s in standings) == sum(w is not None for *_, w in games)
    assert sum(s.ties for s in standings) == 2 * sum(w is None for *_, w in games)
    for s in standings:
        assert s.comparisons == s.wins + s.losses + s.ties
        assert s.comparisons == sum(s.key in (a, b) for a, b, _ in games)
        assert s.win_rate == pytest.approx((s.wins + s.ties / 2) / s.comparisons)
        assert 0 < s.score < 1


@given(comparisons())
@settings(deadline=None)
def test_best_first_and_deterministic(games: list[tuple[str, str, str | None]]) -> None:
    standings = rank(games)
    assert standings == rank(games)
    scores = [s.score for s in standings]
    assert all(a >= b - 1e-9 for a, b in pairwise(scores))


@given(comparisons(), st.randoms(use_true_random=False))
@settings(deadline=None)
def test_order_of_comparisons_does_not_matter(games: list[tuple[str, str, str | None]],
                                               rng: random.Random) -> None:
    shuffled = games[:]
    rng.shuffle(shuffled)
    flipped = [(b, a, w) for a, b, w in shuffled]
    expected = by_key(rank(games))
    for variant in (shuffled, flipped):
        for key, s in by_key(rank(variant)).items():
            assert s.score == pytest.approx(expected[key].score, abs=1e-7)
            assert (s.wins, s.losses, s.ties) == (expected[key].wins, expected[key].losses,
                                                  expected[key].ties)


@given(comparisons(min_keys=3), st.data())
@settings(deadline=None)
def test_a_take_that_beats_every_other_ranks_first(games: list[tuple[str, str, str | None]],
                                                   data: st.DataObject) -> None:
    others = sorted({k for a, b, _ in games for k in (a, b)} | {"take-0", "take-1"})
    champion = "champion"
    for other in others:
        for _ in range(data.draw(st.integers(1, 3))):
            side = data.draw(st.booleans())
            games.append((champion, other, champion) if side else (other, champion, champion))
    standings = rank(games)
    assert standings[0].key == champion
    assert standings[0].losses == standings[0].ties == 0
    assert standings[0].score > standings[1].score


def test_a_take_that_loses_every_comparison_ranks_last() -> None:
    games = [(a, b, a) for a, b in draw_pairs(KEYS[:5], 10, seed=3)]
    games += [(k, "dud", k) for k in KEYS[:5]]
    assert rank(games)[-1].key == "dud"


def test_symmetric_results_give_equal_scores() -> None:
    cycle = [("a", "b", "a"), ("b", "c", "b"), ("c", "a", "c")]
    mirrored = [("a", "b", "a"), ("a", "b", "b"), ("c", "d", None), ("c", "d", None)]
    for games in (cycle, mirrored, cycle * 7):
        scores = {s.key: s.score for s in rank(games)}
        assert max(scores.values()) - min(scores.values()) < 1e-9
        assert all(s == pytest.approx(0.5) for s in scores.values())


def test_equal_scores_keep_first_appearance_order() -> None:
    assert [s.key for s in rank([("b", "a", None), ("c", "d", None)])] == ["b", "a", "c", "d"]
    # Among equal scores, a take never shown comes after those shown.
    assert [s.key for s in rank([("b", "a", None)], keys=["x", "a"])] == ["a", "b", "x"]


def test_ties_count_half_a_win() -> None:
    standings = by_key(rank([("a", "b", None), ("a", "b", None), ("a", "c", "a")]))
    assert (standings["a"].wins, standings["a"].ties, standings["a"].losses) == (1, 2, 0)
    assert standings["a"].win_rate == pytest.approx(2 / 3)
    assert standings["b"].win_rate == pytest.approx(0.5)
    assert standings["b"].ties == 2
    # Two ties are the same evidence as one win and one loss.
    tied = by_key(rank([("a", "b", None), ("a", "b", None)]))
    split = by_key(rank([("a", "b", "a"), ("a", "b", "b")]))
    assert tied["a"].score == pytest.approx(split["a"].score) == pytest.approx(0.5)


def test_one_win_by_hand() -> None:
    """a beats b once. With the prior (a tie each against strength 1), strengths x and 1/x
    solve a's equation 1 + 1/2 = x²/(x² + 1) + x/(x + 1), that is x³ − x² − x − 3 = 0, whose
    real root is 2.1304...; the geometric mean is 1, so a's score is x / (x + 1)."""
    a, b = rank([("a", "b", "a")])
    x = a.score / (1 - a.score)
    assert x**3 - x**2 - x - 3 == pytest.approx(0, abs=1e-8)
    assert x == pytest.approx(2.1304, abs=1e-4)
    assert a.score == pytest.approx(0.6805, abs=1e-4)
    assert b.score == pytest.approx(1 - a.score)
    assert (a.key, a.wins, b.key, b.losses) == ("a", 1, "b", 1)


def test_unbeaten_and_winless_takes_have_finite_scores() -> None:
    games = [("a", "b", "a")] * 50
    a, b = rank(games)
    assert 0.9 < a.score < 1 and 0 < b.score < 0.1
    assert math.isfinite(a.score / (1 - a.score))
    # More evidence, more confidence.
    assert a.score > rank(games[:5])[0].score


def test_unshown_takes_are_listed_with_no_win_rate() -> None:
    standings = by_key(rank([("a", "b", "a")], keys=["a", "b", "idle"]))
    assert standings["idle"].comparisons == 0
    assert standings["idle"].win_rate is None
    assert standings["b"].score < standings["idle"].score < standings["a"].score
    assert rank([]) == []
    idle = rank([], keys=["x", "y"])
    assert [(s.key, s.score) for s in idle] == [("x", 0.5), ("y", 0.5)]


@given(comparisons())
@settings(max_examples=60, deadline=None)
def test_fit_solves_the_posterior_equations(games: list[tuple[str, str, str | None]]) -> None:
    """At the fitted strengths every take's expected points equal its actual points."""
    keys = sorted({k for a, b, _ in games for k in (a, b)})
    index = {k: i for i, k in enumerate(keys)}
    meetings: dict[tuple[int, int], list[float]] = {}
    for a, b, w in games:
        i, j = sorted((index[a], index[b]))
        points = meetings.setdefault((i, j), [0.0, 0.0])
        for side, k in enumerate((keys[i], keys[j])):
            points[side] += 0.5 if w is None else float(w == k)
    p = _bradley_terry(len(keys), meetings)
    expected = PRIOR_GAMES * p / (p + 1)
    actual = np.full(len(keys), PRIOR_GAMES / 2)
    for (i, j), (pi, pj) in meetings.items():
        expected[i] += (pi + pj) * p[i] / (p[i] + p[j])
        expected[j] += (pi + pj) * p[j] / (p[i] + p[j])
        actual[i] += pi
        actual[j] += pj
    np.testing.assert_allclose(expected, actual, rtol=1e-7, atol=1e-7)


def test_converges_where_a_faster_update_oscillates() -> None:
    """Newman's (2023) update, tried first, flips between two states on this input."""
    games = [("take-0", "take-2", "take-0")] * 4 + [("take-0", "take-1", "take-1")] * 2
    standings = by_key(rank(games))
    assert standings["take-1"].score > standings["take-0"].score > standings["take-2"].score
    assert standings["take-0"].score - standings["take-2"].score > 0.2


def test_recovers_known_strengths() -> None:
    rng = random.Random(7)
    truth = {k: i * 0.4 for i, k in enumerate(KEYS)}  # log-strengths, take-11 the best
    games = []
    for a, b in draw_pairs(KEYS, 3000, seed=7):
        p_a = 1 / (1 + math.exp(truth[b] - truth[a]))
        games.append((a, b, a if rng.random() < p_a else b))
    order = [s.key for s in rank(games)]
    assert order[:2] == ["take-11", "take-10"] or order[:2] == ["take-10", "take-11"]
    placed = {k: i for i, k in enumerate(reversed(order))}
    assert sum(abs(placed[k] - i) for i, k in enumerate(KEYS)) <= 8


def test_hundreds_of_takes_converge_quickly() -> None:
    keys = [f"k{i}" for i in range(300)]
    rng = random.Random(1)
    truth = {k: rng.gauss(0, 1.5) for k in keys}
    games = []
    for a, b in draw_pairs(keys, 6000, seed=1):
        p_a = 1 / (1 + math.exp(truth[b] - truth[a]))
        roll = rng.random()
        games.append((a, b, None if roll > 0.9 else a if roll < 0.9 * p_a else b))
    started = time.perf_counter()
    standings = rank(games)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"rank took {elapsed:.2f} s"
    assert len(standings) == 300


@pytest.mark.parametrize("games, message", [
    ([("a", "a", None)], "itself"),
    ([("a", "b", "c")], "neither"),
])
def test_rejects_malformed_comparisons(games: list[tuple[str, str, str | None]],
                                       message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rank(games)


# --- draw_pairs ---------------------------------------------------------------------------


@given(st.integers(2, 12), st.integers(0, 150), st.integers(0, 2**32))
def test_pairs_cycle_through_every_pair_before_repeating(n: int, rounds: int, seed: int) -> None:
    keys = KEYS[:n]
    drawn = draw_pairs(keys, rounds, seed=seed)
    assert len(drawn) == rounds
    assert all(a != b and a in keys and b in keys for a, b in drawn)
    everything = n * (n - 1) // 2
    for start in range(0, rounds, everything):
        cycle = [frozenset(p) for p in drawn[start:start + everything]]
        assert len(set(cycle)) == len(cycle), "a pair came back before all pairs were used"
        if len(cycle) == everything:
            assert set(cycle) == {frozenset(p) for p in combinations(keys, 2)}


@given(st.integers(2, 12), st.integers(0, 150), st.integers(0, 2**32))
def test_every_take_is_shown_about_equally_often(n: int, rounds: int, seed: int) -> None:
    keys = KEYS[:n]
    drawn = draw_pairs(keys, rounds, seed=seed)
    shown: Counter[str] = Counter({k: 0 for k in keys})
    slack = 1 if n % 2 == 0 else 2
    for a, b in drawn:
        shown[a] += 1
        shown[b] += 1
        assert max(shown.values()) - min(shown.values()) <= slack
    if rounds % (n * (n - 1) // 2) == 0:
        assert len(set(shown.values())) == 1


@given(st.integers(3, 12), st.integers(0, 2**32))
def test_no_pair_twice_in_a_row(n: int, seed: int) -> None:
    drawn = draw_pairs(KEYS[:n], 4 * n * (n - 1) // 2, seed=seed)
    assert all(set(x) != set(y) for x, y in pairwise(drawn))


@given(st.integers(2, 12), st.integers(0, 80), st.integers(0, 80), st.integers(0, 2**32))
def test_same_seed_same_pairs_and_longer_extends_shorter(n: int, short: int, extra: int,
                                                         seed: int) -> None:
    keys = KEYS[:n]
    longer = draw_pairs(keys, short + extra, seed=seed)
    assert draw_pairs(keys, short, seed=seed) == longer[:short]
    assert draw_pairs(keys, short + extra, seed=seed) == longer


def test_order_is_shuffled_within_and_across_pairs() -> None:
    keys = KEYS[:6]
    drawn = draw_pairs(keys, 15 * 200, seed=11)
    left = Counter(a for a, _ in drawn)
    assert all(0.4 < left[k] / 1000 < 0.6 for k in keys), left  # each shown 1000 times
    orders = Counter(tuple(drawn[start:start + 15]) for start in range(0, len(drawn), 15))
    assert len(orders) == 200, "cycles repeat their order"
    assert draw_pairs(keys, 15, seed=1) != draw_pairs(keys, 15, seed=2)
    first = Counter(frozenset(drawn[start]) for start in range(0, len(drawn), 15))
    assert len(first) == 15, "some pair never opens a cycle"


def test_two_takes_repeat_their_only_pair() -> None:
    drawn = draw_pairs(["x", "y"], 5, seed=0)
    assert all(set(p) == {"x", "y"} for p in drawn)


@pytest.mark.parametrize("keys, rounds, message", [
    (["a"], 1, "at least two"),
    (["a", "a", "b"], 1, "unique"),
    (["a", "b"], -1, "zero or more"),
])
def test_draw_pairs_rejects_bad_input(keys: list[str], rounds: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw_pairs(keys, rounds)
