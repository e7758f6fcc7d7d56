"""Unit tests for matching.engine.pairing: quotas, optimality against brute force, reasons."""

import itertools
from collections import Counter

import numpy as np
import pytest

from matching.engine.pairing import (
    FEWER_CANDIDATES,
    FIRMS_AT_CAPACITY,
    NO_CANDIDATES,
    SCORE_SCALE,
    PairingResult,
    pair,
)

Instance = tuple[list[int], list[int], list[int], list[float], dict[int, int]]


def random_instance(seed: int, n_pairs: int = 12) -> Instance:
    """Random candidate pairs over 4 needs, 6 capabilities and 3 firms (distinct pairs)."""
    rng = np.random.default_rng(seed)
    all_pairs = [(n, c) for n in range(1, 5) for c in range(10, 16)]
    chosen = rng.choice(len(all_pairs), size=n_pairs, replace=False)
    needs = [all_pairs[i][0] for i in chosen]
    caps = [all_pairs[i][1] for i in chosen]
    firms = [100 + (c % 3) for c in caps]
    scores = np.round(rng.random(n_pairs), 3).tolist()
    quota = {100 + f: int(rng.integers(0, 4)) for f in range(3)}
    return needs, caps, firms, scores, quota


def brute_force(instance: Instance, k: int) -> float:
    """The best total score over every subset of pairs that respects the quotas."""
    needs, _caps, firms, scores, quota = instance
    best = 0.0
    for mask in itertools.product([False, True], repeat=len(needs)):
        picked = [i for i, on in enumerate(mask) if on]
        per_need = Counter(needs[i] for i in picked)
        per_firm = Counter(firms[i] for i in picked)
        if any(v > k for v in per_need.values()):
            continue
        if any(v > quota[f] for f, v in per_firm.items()):
            continue
        best = max(best, sum(scores[i] for i in picked))
    return best


def assert_within_quotas(result: PairingResult, instance: Instance, k: int) -> None:
    _needs, caps, firms, _scores, quota = instance
    firm_of = dict(zip(caps, firms, strict=True))
    per_need = Counter(n for n, _, _ in result.pairs)
    per_firm = Counter(firm_of[c] for _, c, _ in result.pairs)
    assert all(v <= k for v in per_need.values())
    assert all(v <= quota[f] for f, v in per_firm.items())
    assert len(result.chosen()) == len(result.pairs)


@pytest.mark.parametrize("seed", range(25))
def test_pair_equals_brute_force_optimum_and_respects_quotas(seed: int) -> None:
    instance = random_instance(seed)
    k = 1 + seed % 3

    result = pair(*instance[:4], k=k, firm_capacity=instance[4])

    assert_within_quotas(result, instance, k)
    assert result.total_score == pytest.approx(brute_force(instance, k), abs=1e-6)


def test_pair_prefers_total_score_over_number_of_pairs() -> None:
    # Need 1 can take firm 7 (0.9) or firm 8 (0.1); need 2 only firm 7 (0.5); quota 1 each.
    # Two pairs would give 0.6, the optimum is one pair worth 0.9.
    needs, caps, firms, scores = [1, 1, 2], [10, 11, 12], [7, 8, 7], [0.9, 0.1, 0.5]

    result = pair(needs, caps, firms, scores, k=1, firm_capacity={7: 1, 8: 0})

    assert result.pairs == [(1, 10, 0.9)]
    assert result.shortfall == {2: FIRMS_AT_CAPACITY}


def test_pair_reports_why_needs_fall_short() -> None:
    needs, caps, firms, scores = [1, 1, 2, 2], [10, 11, 12, 13], [7, 7, 8, 8], [0.8, 0.7, 0.6, 0.5]

    result = pair(
        needs, caps, firms, scores, k=2, firm_capacity={7: 2, 8: 1}, all_need_ids=[1, 2, 3]
    )

    assert sorted(result.chosen()) == [(1, 10), (1, 11), (2, 12)]
    assert result.shortfall == {2: FIRMS_AT_CAPACITY, 3: NO_CANDIDATES}


def test_pair_reports_fewer_candidates_than_k() -> None:
    result = pair([1], [10], [7], [0.4], k=3, firm_capacity={7: 5})

    assert result.pairs == [(1, 10, 0.4)]
    assert result.shortfall == {1: FEWER_CANDIDATES}


def test_pair_never_chooses_zero_scores_and_keeps_best_duplicate() -> None:
    result = pair([1, 1, 1], [10, 10, 11], [7, 7, 7], [0.2, 0.6, 0.0], k=2, firm_capacity={7: 3})

    assert result.pairs == [(1, 10, 0.6)]
    assert result.shortfall == {1: FEWER_CANDIDATES}


def test_pair_respects_capability_capacity() -> None:
    needs, caps, firms, scores = [1, 2, 3], [10, 10, 11], [7, 7, 7], [0.9, 0.8, 0.1]

    result = pair(needs, caps, firms, scores, k=1, firm_capacity={7: 3}, cap_capacity={10: 1})

    assert sorted(result.chosen()) == [(1, 10), (3, 11)]


def test_pair_is_deterministic_and_independent_of_input_order() -> None:
    needs, caps, firms, scores, quota = random_instance(3, n_pairs=20)
    order = np.random.default_rng(1).permutation(len(needs))

    first = pair(needs, caps, firms, scores, k=2, firm_capacity=quota)
    shuffled = pair(
        [needs[i] for i in order],
        [caps[i] for i in order],
        [firms[i] for i in order],
        [scores[i] for i in order],
        k=2,
        firm_capacity=quota,
    )

    assert first == shuffled


def test_pair_rejects_inconsistent_input() -> None:
    with pytest.raises(ValueError, match="firm_capacity misses"):
        pair([1], [10], [7], [0.5], k=1, firm_capacity={})
    with pytest.raises(ValueError, match="more than one firm"):
        pair([1, 2], [10, 10], [7, 8], [0.5, 0.5], k=1, firm_capacity={7: 1, 8: 1})
    with pytest.raises(ValueError, match="same length"):
        pair([1, 2], [10], [7], [0.5], k=1, firm_capacity={7: 1})


def test_pair_handles_no_candidates() -> None:
    result = pair([], [], [], [], k=3, firm_capacity={}, all_need_ids=[5])

    assert result.pairs == []
    assert result.total_score == 0.0
    assert result.shortfall == {5: NO_CANDIDATES}


def test_pair_scales_scores_to_integers_without_losing_the_order() -> None:
    tiny = 1.0 / SCORE_SCALE

    result = pair([1, 1], [10, 11], [7, 8], [0.5, 0.5 + 2 * tiny], k=1, firm_capacity={7: 1, 8: 1})

    assert result.pairs == [(1, 11, 0.5 + 2 * tiny)]
