"""Cross-validate the relevance weights of the matching policy on the dev needs of both sets.

    uv run python -m bench.tune_weights [--folds 5] [--seed 2026]

The engine ranks every dev need of ``eval/`` and ``eval/hard/`` once, with a deep pool, and
keeps each candidate's named features; any weight vector then re-ranks the pool by the
weighted sum the service computes (``score_from_breakdown``), so a grid costs a few seconds.
Only the relevance features are searched: ``text``, ``chain`` and ``keywords``. The policy
features (TRL fit, locality, track record, free capacity) keep their default shares: they
encode what the province wants, which relevance labels cannot measure.

Cross-validation: the dev needs of both sets are split into folds (each set's needs spread
over all folds); for each fold the grid point with the best mean nDCG@10 on the other folds
(the two sets weighted equally) is scored on the held-out fold. The report compares that
held-out estimate with the default weights on the same folds, per set. The test splits are
never read.
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bench.eval_matching import (
    ROOT,
    build_analyzer,
    load_eval_set,
    ndcg_at,
    precision_at,
    read_region_parents,
    to_docs,
)
from matching.engine.ranking import MatchEngine
from matching.engine.scoring import FEATURES, Weights
from matching.engine.vectors import WordVectors

SETS = {"eval": ROOT / "eval", "hard": ROOT / "eval" / "hard"}
POOL = 200  # top_n of the deep run: the engine retrieves 2 × POOL per need
CHAIN_GRID = (0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.2)
KEYWORD_GRID = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


@dataclass
class NeedPool:
    set_name: str
    ref: str
    cap_refs: list[str]
    features: np.ndarray  # candidates × FEATURES
    cap_ids: np.ndarray
    grades: dict[str, int]


def pools() -> list[NeedPool]:
    """Every dev need of both sets with its deep candidate pool and features."""
    out: list[NeedPool] = []
    parents = read_region_parents()
    vectors = WordVectors.load(None)
    for set_name, directory in SETS.items():
        data = load_eval_set(directory)
        needs, caps = to_docs(data, parents)
        dev = set(data.splits["dev"])
        needs = [n for n in needs if n.ref in dev]
        engine = MatchEngine(build_analyzer(data), weights=Weights(), vectors=vectors)
        engine.build_index(caps)
        ref_of_cap = {c.id: c.ref for c in caps}
        by_need: dict[int, list] = {}
        for cand in engine.rank(needs, top_n=POOL):
            by_need.setdefault(cand.need_id, []).append(cand)
        for need in needs:
            cands = by_need.get(need.id, [])
            out.append(
                NeedPool(
                    set_name=set_name,
                    ref=need.ref,
                    cap_refs=[ref_of_cap[c.cap_id] for c in cands],
                    features=np.array(
                        [[c.features[f] for f in FEATURES] for c in cands], dtype=np.float64
                    ).reshape(len(cands), len(FEATURES)),
                    cap_ids=np.array([c.cap_id for c in cands]),
                    grades=dict(data.qrels.get(need.ref, {})),
                )
            )
    return out


def grid() -> list[Weights]:
    """Default policy shares kept; text, chain and keywords searched."""
    base = Weights()
    out = []
    for chain, keywords in itertools.product(CHAIN_GRID, KEYWORD_GRID):
        policy = {f: getattr(base, f) for f in ("trl", "region", "track_record", "capacity")}
        text = 1.0 - sum(policy.values()) - chain - keywords
        if text <= 0:
            continue
        out.append(Weights(text=text, chain=chain, keywords=keywords, **policy))
    return out


def ranking(pool: NeedPool, weights: Weights, top_n: int = 50) -> list[str]:
    w = np.array(weights.normalized())
    scores = pool.features @ w
    order = np.lexsort((pool.cap_ids, -scores))[:top_n]
    return [pool.cap_refs[i] for i in order]


def metrics(pools_: Sequence[NeedPool], weights: Weights) -> dict[str, dict[str, float]]:
    """Per set: mean nDCG@10 and P@5 over the given needs."""
    per: dict[str, list[tuple[float, float]]] = {}
    for pool in pools_:
        ranked = ranking(pool, weights)
        per.setdefault(pool.set_name, []).append(
            (ndcg_at(ranked, pool.grades, 10), precision_at(ranked, pool.grades, 5))
        )
    return {
        name: {
            "ndcg@10": float(np.mean([v[0] for v in values])),
            "p@5": float(np.mean([v[1] for v in values])),
        }
        for name, values in per.items()
    }


def objective(result: Mapping[str, Mapping[str, float]]) -> float:
    return float(np.mean([m["ndcg@10"] for m in result.values()]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    all_pools = pools()
    candidates = grid()
    rng = random.Random(args.seed)
    fold_of: dict[tuple[str, str], int] = {}
    for set_name in SETS:
        refs = sorted(p.ref for p in all_pools if p.set_name == set_name)
        rng.shuffle(refs)
        for i, ref in enumerate(refs):
            fold_of[(set_name, ref)] = i % args.folds
    tuned: dict[str, list[float]] = {name: [] for name in SETS}
    default: dict[str, list[float]] = {name: [] for name in SETS}
    chosen = []
    for fold in range(args.folds):
        train = [p for p in all_pools if fold_of[(p.set_name, p.ref)] != fold]
        held = [p for p in all_pools if fold_of[(p.set_name, p.ref)] == fold]
        best = max(candidates, key=lambda w: objective(metrics(train, w)))
        chosen.append(best)
        for pool in held:
            tuned[pool.set_name].append(ndcg_at(ranking(pool, best), pool.grades, 10))
            default[pool.set_name].append(ndcg_at(ranking(pool, Weights()), pool.grades, 10))
    print(f"{len(candidates)} weight vectors, {args.folds} folds over the dev needs of both sets")
    for name in SETS:
        print(
            f"{name:5s} held-out nDCG@10: default {np.mean(default[name]):.3f}, "
            f"tuned {np.mean(tuned[name]):.3f} ({len(tuned[name])} needs)"
        )
    for fold, w in enumerate(chosen):
        print(f"fold {fold}: " + ", ".join(f"{k} {v:.3f}" for k, v in w.as_dict().items()))
    best_all = max(candidates, key=lambda w: objective(metrics(all_pools, w)))
    print(
        "best on all dev needs: " + ", ".join(f"{k} {v:.3f}" for k, v in best_all.as_dict().items())
    )
    print(
        "its dev metrics:", metrics(all_pools, best_all), "default:", metrics(all_pools, Weights())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
