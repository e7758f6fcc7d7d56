"""Pairing: choose the recommendations that maximise total score under the quotas.

Each need gets at most ``k`` recommended capabilities and each firm at most its open quota
(its capacity minus the recommendations and pilots it already holds). This is a min-cost
flow, solved exactly by OR-tools' ``SimpleMinCostFlow``::

    source -(cap k)-> need -(cap 1, cost -score)-> capability -(cap opt.)-> firm
           -(cap quota)-> sink,   plus source -(cost 0)-> sink (the bypass)

The source must send ``k`` units per need; the zero-cost bypass absorbs what the needs do
not use, so the solver takes a pair only when its negative cost lowers the total, i.e.
when it adds score. Scores are scaled to integers (``SCORE_SCALE``), so the optimum is
exact for scores rounded to six decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

SCORE_SCALE: Final = 1_000_000

NO_CANDIDATES: Final = "no_candidates"
FEWER_CANDIDATES: Final = "fewer_candidates"
FIRMS_AT_CAPACITY: Final = "firms_at_capacity"


class PairingError(RuntimeError):
    """The solver did not reach an optimal solution (never expected with the bypass arc)."""


@dataclass(frozen=True, slots=True)
class PairingResult:
    """The chosen pairs and why some needs got fewer than ``k``.

    ``pairs`` holds (need_id, cap_id, score) sorted by need id, score desc, cap id.
    ``shortfall`` maps each need with fewer than ``k`` pairs to a reason:
    ``no_candidates`` (no candidate with a positive score), ``fewer_candidates`` (every
    candidate was chosen, there were just fewer than ``k``) or ``firms_at_capacity``
    (candidates were left out because their firms' quotas, or capabilities' capacities,
    were used up by better-scoring pairs).
    """

    pairs: list[tuple[int, int, float]]
    total_score: float
    shortfall: dict[int, str] = field(default_factory=dict)

    def chosen(self) -> set[tuple[int, int]]:
        """The (need_id, cap_id) pairs, as a set."""
        return {(n, c) for n, c, _ in self.pairs}


def _as_int(values: Sequence[int] | npt.ArrayLike) -> npt.NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _dedupe(
    need: npt.NDArray[np.int64],
    cap: npt.NDArray[np.int64],
    firm: npt.NDArray[np.int64],
    cost: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Indices of one entry per (need, cap), the best one, sorted by (need, cap)."""
    order = np.lexsort((cost, cap, need))  # within a pair the most negative cost first
    need_s, cap_s = need[order], cap[order]
    first = np.ones(len(order), dtype=np.bool_)
    first[1:] = (need_s[1:] != need_s[:-1]) | (cap_s[1:] != cap_s[:-1])
    return order[first]


def pair(
    need_ids: Sequence[int] | npt.ArrayLike,
    cap_ids: Sequence[int] | npt.ArrayLike,
    firm_ids: Sequence[int] | npt.ArrayLike,
    scores: Sequence[float] | npt.ArrayLike,
    *,
    k: int,
    firm_capacity: Mapping[int, int],
    cap_capacity: Mapping[int, int] | None = None,
    all_need_ids: Iterable[int] = (),
) -> PairingResult:
    """Choose at most ``k`` pairs per need and ``firm_capacity[f]`` per firm, maximising
    the total score (optimal; deterministic for the same input).

    The four arrays describe candidate pairs, one element per pair; a duplicated pair keeps
    its best score, and pairs scoring 0 or less are never chosen. ``cap_capacity`` (optional)
    bounds how many needs one capability is recommended to. ``all_need_ids`` names needs
    that may have no candidates at all, so they get a shortfall reason too. Raises
    ``ValueError`` on inconsistent input (lengths differ, a capability under two firms, a
    firm missing from ``firm_capacity``) and :class:`PairingError` if the solver fails.
    """
    need, cap, firm = _as_int(need_ids), _as_int(cap_ids), _as_int(firm_ids)
    score = np.asarray(scores, dtype=np.float64).reshape(-1)
    if not (len(need) == len(cap) == len(firm) == len(score)):
        raise ValueError("need_ids, cap_ids, firm_ids and scores must have the same length")
    if k < 0:
        raise ValueError("k must be >= 0")
    cost = -np.rint(score * SCORE_SCALE).astype(np.int64)
    keep = _dedupe(need, cap, firm, cost)
    need, cap, firm, cost, score = need[keep], cap[keep], firm[keep], cost[keep], score[keep]
    _check_firms(cap, firm, firm_capacity)

    useful = cost < 0
    all_needs = np.union1d(np.unique(need), _as_int(list(all_need_ids)))
    if k == 0 or not useful.any():
        return _result(all_needs, need, cap, score, np.zeros(len(need), np.bool_), useful, k)
    chosen = _solve(
        need[useful], cap[useful], firm[useful], cost[useful], k, firm_capacity, cap_capacity
    )
    picked = np.zeros(len(need), dtype=np.bool_)
    picked[np.flatnonzero(useful)[chosen]] = True
    return _result(all_needs, need, cap, score, picked, useful, k)


def _check_firms(
    cap: npt.NDArray[np.int64], firm: npt.NDArray[np.int64], firm_capacity: Mapping[int, int]
) -> None:
    pairs = np.unique(np.stack([cap, firm], axis=1), axis=0) if len(cap) else np.zeros((0, 2))
    if len(np.unique(pairs[:, 0])) != len(pairs):
        raise ValueError("a capability appears under more than one firm")
    missing = sorted({int(f) for f in np.unique(firm)} - {int(f) for f in firm_capacity})
    if missing:
        raise ValueError(f"firm_capacity misses firms: {missing[:10]}")


def _solve(
    need: npt.NDArray[np.int64],
    cap: npt.NDArray[np.int64],
    firm: npt.NDArray[np.int64],
    cost: npt.NDArray[np.int64],
    k: int,
    firm_capacity: Mapping[int, int],
    cap_capacity: Mapping[int, int] | None,
) -> npt.NDArray[np.bool_]:
    """Run the min-cost flow; True for the candidate arcs that carry flow.

    Without ``cap_capacity`` the capability layer is left out: each candidate is an arc
    straight from its need to its firm (parallel arcs for several capabilities of one
    firm), which gives the same optimum on a graph a quarter the size.
    """
    needs, need_idx = np.unique(need, return_inverse=True)
    firms, firm_idx = np.unique(firm, return_inverse=True)
    supply = k * len(needs)
    # Node numbering: 0 source, 1 sink, needs, firms, then capabilities when bounded.
    need_node = 2 + np.arange(len(needs))
    firm_node = 2 + len(needs) + np.arange(len(firms))
    firm_limit = np.array(
        [min(max(int(firm_capacity[int(f)]), 0), supply) for f in firms], dtype=np.int64
    )
    tails = [np.array([0]), np.zeros(len(needs), np.int64)]
    heads = [np.array([1]), need_node]
    capacities = [np.array([supply]), np.full(len(needs), k)]
    costs = [np.zeros(1, np.int64), np.zeros(len(needs), np.int64)]
    n_nodes = 2 + len(needs) + len(firms)
    if cap_capacity is None:
        pair_heads = firm_node[firm_idx]
    else:
        caps, cap_idx = np.unique(cap, return_inverse=True)
        cap_node = n_nodes + np.arange(len(caps))
        n_nodes += len(caps)
        pair_heads = cap_node[cap_idx]
        cap_firm = np.zeros(len(caps), dtype=np.int64)
        cap_firm[cap_idx] = firm_idx
        limits = [min(max(int(cap_capacity.get(int(c), supply)), 0), supply) for c in caps]
        tails.append(cap_node)
        heads.append(firm_node[cap_firm])
        capacities.append(np.array(limits, dtype=np.int64))
        costs.append(np.zeros(len(caps), np.int64))
    first_pair_arc = 1 + len(needs)  # after source→sink and source→need arcs
    tails.insert(2, need_node[need_idx])
    heads.insert(2, pair_heads)
    capacities.insert(2, np.ones(len(need_idx), np.int64))
    costs.insert(2, cost)
    tails.append(firm_node)
    heads.append(np.ones(len(firms), np.int64))
    capacities.append(firm_limit)
    costs.append(np.zeros(len(firms), np.int64))
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(capacities).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[0], supplies[1] = supply, -supply
    solver.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise PairingError(f"min-cost flow ended with status {status}")
    pair_arcs = np.asarray(arcs)[first_pair_arc : first_pair_arc + len(need_idx)]
    return np.asarray(solver.flows(pair_arcs)) > 0


def _result(
    all_needs: npt.NDArray[np.int64],
    need: npt.NDArray[np.int64],
    cap: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    picked: npt.NDArray[np.bool_],
    useful: npt.NDArray[np.bool_],
    k: int,
) -> PairingResult:
    order = np.lexsort((cap[picked], -score[picked], need[picked]))
    pairs = [
        (int(n), int(c), float(s))
        for n, c, s in zip(
            need[picked][order], cap[picked][order], score[picked][order], strict=True
        )
    ]
    counts = dict(zip(*np.unique(need[picked], return_counts=True), strict=True))
    offered = dict(zip(*np.unique(need[useful], return_counts=True), strict=True))
    shortfall: dict[int, str] = {}
    for need_id in (int(x) for x in all_needs):
        got, available = int(counts.get(need_id, 0)), int(offered.get(need_id, 0))
        if got >= k:
            continue
        if available == 0:
            shortfall[need_id] = NO_CANDIDATES
        elif got == available:
            shortfall[need_id] = FEWER_CANDIDATES
        else:
            shortfall[need_id] = FIRMS_AT_CAPACITY
    return PairingResult(
        pairs=pairs, total_score=float(sum(p[2] for p in pairs)), shortfall=shortfall
    )
