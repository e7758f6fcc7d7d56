"""Cross-validate the retrieval settings (text blocks and BM25) on the dev needs of both sets.

    uv run python -m bench.tune_retrieval [--folds 5] [--seeds 2026 7 11]

The text feature is ``Σ weight × block similarity`` over the word block (BM25 with ``k1``
and ``b``), the chain block and the dense word vectors (``matching.engine.retrieval``). Those
settings were first chosen on ``eval/`` dev alone, before the hard set existed. This script
ranks every dev need of ``eval/`` and ``eval/hard/`` under each point of a grid (the default
policy weights, top 50), then, per fold, picks the point with the best mean nDCG@10 over the
other folds (the two sets weighted equally) and scores it on the held-out fold, for several
shufflings of the needs into folds. It prints each point's dev means and the held-out
estimate of choosing, beside the current defaults. The test splits are never read.
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Sequence

import numpy as np

from bench.eval_matching import (
    build_analyzer,
    load_eval_set,
    ndcg_at,
    precision_at,
    read_region_parents,
    to_docs,
)
from bench.tune_weights import SETS
from matching.engine.ranking import MatchEngine
from matching.engine.retrieval import RetrievalConfig
from matching.engine.vectors import WordVectors

DENSE = (0.15, 0.3, 0.5)
CHAIN = (0.0, 0.05, 0.1, 0.2)
K1 = (0.5, 0.8, 1.2, 1.8)
B = (0.0, 0.3, 0.5, 0.75)
# The settings before this tuning (chosen on eval/ dev alone), printed for comparison.
PREVIOUS: tuple[float, float, float, float] = (0.3, 0.1, 1.2, 0.75)

Point = tuple[float, float, float, float]  # dense, chain, k1, b
Scores = dict[tuple[str, str], tuple[float, float]]  # (set, need ref) -> (nDCG@10, P@5)


def config_of(point: Point) -> RetrievalConfig:
    dense, chain, k1, b = point
    return RetrievalConfig(dense_weight=dense, chain_weight=chain, bm25_k1=k1, bm25_b=b)


def score_grid(points: Sequence[Point]) -> dict[Point, Scores]:
    parents = read_region_parents()
    vectors = WordVectors.load(None)
    prepared = []
    for name, directory in SETS.items():
        data = load_eval_set(directory)
        needs, caps = to_docs(data, parents)
        dev = set(data.splits["dev"])
        prepared.append(
            (name, data, [n for n in needs if n.ref in dev], caps, build_analyzer(data))
        )
    out: dict[Point, Scores] = {}
    for point in points:
        scores: Scores = {}
        for name, data, needs, caps, analyzer in prepared:
            engine = MatchEngine(analyzer, vectors=vectors, retrieval=config_of(point))
            engine.build_index(caps)
            ref_of = {c.id: c.ref for c in caps}
            ranked: dict[int, list[str]] = {}
            for cand in engine.rank(needs, top_n=50):
                ranked.setdefault(cand.need_id, []).append(ref_of[cand.cap_id])
            for need in needs:
                grades = dict(data.qrels.get(need.ref, {}))
                got = ranked.get(need.id, [])
                scores[(name, need.ref)] = (ndcg_at(got, grades, 10), precision_at(got, grades, 5))
        out[point] = scores
    return out


def mean(scores: Scores, keys: Sequence[tuple[str, str]], metric: int) -> dict[str, float]:
    return {
        name: float(np.mean([scores[k][metric] for k in keys if k[0] == name])) for name in SETS
    }


def objective(scores: Scores, keys: Sequence[tuple[str, str]]) -> float:
    return float(np.mean(list(mean(scores, keys, 0).values())))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 7, 11])
    args = parser.parse_args(argv)
    current = RetrievalConfig()
    default: Point = (current.dense_weight, current.chain_weight, current.bm25_k1, current.bm25_b)
    points = sorted(set(itertools.product(DENSE, CHAIN, K1, B)) | {default, PREVIOUS})
    results = score_grid(points)
    keys = sorted(results[default])
    print("dense chain k1   b     | eval nDCG P@5 | hard nDCG P@5   (dev, all needs)")
    ordered = sorted(points, key=lambda p: -objective(results[p], keys))
    for point in [*ordered[:10], *(p for p in (default, PREVIOUS) if p not in ordered[:10])]:
        n, p = mean(results[point], keys, 0), mean(results[point], keys, 1)
        mark = {default: "  <- current defaults", PREVIOUS: "  <- before tuning"}.get(point, "")
        print(
            f"{point[0]:<5} {point[1]:<5} {point[2]:<4} {point[3]:<5} | {n['eval']:.3f} "
            f"{p['eval']:.3f} | {n['hard']:.3f} {p['hard']:.3f}{mark}"
        )
    for seed in args.seeds:
        rng = random.Random(seed)
        fold_of: dict[tuple[str, str], int] = {}
        for name in SETS:
            refs = [k for k in keys if k[0] == name]
            rng.shuffle(refs)
            fold_of.update({k: i % args.folds for i, k in enumerate(refs)})
        chosen: dict[tuple[str, str], Point] = {}
        picks = []
        for fold in range(args.folds):
            train = [k for k in keys if fold_of[k] != fold]
            best = max(points, key=lambda p: (objective(results[p], train), p == default))
            picks.append(best)
            chosen.update({k: best for k in keys if fold_of[k] == fold})
        held: Scores = {k: results[chosen[k]][k] for k in keys}
        n, p = mean(held, keys, 0), mean(held, keys, 1)
        d_n, d_p = mean(results[default], keys, 0), mean(results[default], keys, 1)
        print(
            f"seed {seed}: held-out eval {n['eval']:.3f} / {p['eval']:.3f}, hard "
            f"{n['hard']:.3f} / {p['hard']:.3f} (defaults {d_n['eval']:.3f} / {d_p['eval']:.3f}, "
            f"{d_n['hard']:.3f} / {d_p['hard']:.3f}); picks {sorted(set(picks))}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
