"""Explore a title channel beside the engine's score, cross-validated on the dev needs only.

    .venv/bin/python -m bench.explore_title [--folds 5] [--seed 2026] [--pool 100] [--curve]

The engine ranks every dev need of ``eval/`` and ``eval/hard/`` (default policy, pool of
``--pool``); each pool pair gets a BM25 score between a need field and a capability field
(the capability collection of the set is the BM25 corpus: idf and mean length), scaled to
[0, 1] in one of two ways: ``max`` divides by the best score in the need's pool, ``query`` by
the sum of the idf of the query's terms (about the score of a title holding them all).
Re-ranking uses
``engine score + w × signal``; w is chosen per fold from a small grid on the other folds (mean
nDCG@10 of the two sets, ties to the smaller w) and scored on the held-out fold. Folds are
the ones of ``bench/tune_weights.py`` (each set's dev needs shuffled with the seed, spread
over all folds). The test splits are never read.

Variants (need field -> capability field):
  a1  title + keywords     -> title
  a2  title + description  -> title
  b   title + keywords     -> title + keywords
  c   title                -> title + keywords
Tokens: the engine's analyzer (taxonomy + list keywords as dictionary words), ``sub`` with
the dictionary sub-words of long tokens as the engine's word block does, ``whole`` without.
Each line is named variant/tokens/scaling. ``--curve`` adds the dev means at each fixed w
(not held-out, only to show the shape).
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bench.eval_matching import (
    ROOT,
    EvalSet,
    build_analyzer,
    load_eval_set,
    ndcg_at,
    precision_at,
    read_region_parents,
    to_docs,
)
from matching.engine.ranking import MatchEngine
from matching.engine.scoring import NeedDoc, Weights
from matching.engine.text import Analyzer
from matching.engine.vectors import WordVectors

SETS = {"eval": ROOT / "eval", "hard": ROOT / "eval" / "hard"}
W_GRID = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
K1, B = 1.2, 0.75

Field = Callable[[Mapping], str]


def _title(item: Mapping) -> str:
    return item["title"]


def _title_kw(item: Mapping) -> str:
    return item["title"] + "\n" + "\n".join(item["keywords"])


def _title_desc(item: Mapping) -> str:
    return item["title"] + "\n" + item["description"]


VARIANTS: dict[str, tuple[Field, Field, str]] = {
    "a1": (_title_kw, _title, "need title+kw -> cap title"),
    "a2": (_title_desc, _title, "need title+desc -> cap title"),
    "b": (_title_kw, _title_kw, "need title+kw -> cap title+kw"),
    "c": (_title, _title_kw, "need title -> cap title+kw"),
}


@dataclass
class NeedPool:
    set_name: str
    ref: str
    cap_refs: list[str]
    cap_ids: np.ndarray
    score: np.ndarray  # engine score
    grades: dict[str, int]
    signal: dict[str, np.ndarray] = field(default_factory=dict)


def tokens(analyzer: Analyzer, text: str, subwords: bool = True) -> list[str]:
    out = []
    for token in analyzer.tokenize(text):
        out.append(token)
        if subwords:
            out.extend(analyzer.subwords(token))
    return out


class BM25:
    """Okapi BM25 over one field of every capability of a set."""

    def __init__(self, docs: Mapping[str, list[str]]) -> None:
        self.tf = {ref: _counts(toks) for ref, toks in docs.items()}
        self.length = {ref: len(toks) for ref, toks in docs.items()}
        self.avg = max(float(np.mean(list(self.length.values()))), 1e-9)
        df: dict[str, int] = {}
        for counts in self.tf.values():
            for term in counts:
                df[term] = df.get(term, 0) + 1
        n = len(docs)
        self.idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def ceiling(self, query: set[str]) -> float:
        """Sum of the idf of the query's terms: about the score of a title holding them all."""
        return sum(self.idf.get(t, 0.0) for t in query)

    def score(self, query: set[str], ref: str) -> float:
        counts = self.tf[ref]
        norm = K1 * (1.0 - B + B * self.length[ref] / self.avg)
        return sum(
            self.idf[t] * counts[t] * (K1 + 1.0) / (counts[t] + norm) for t in query if t in counts
        )


def _counts(toks: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in toks:
        out[t] = out.get(t, 0) + 1
    return out


def engine_pools(
    engine: MatchEngine,
    needs: Sequence[NeedDoc],
    set_name: str,
    ref_of_cap: Mapping[int, str],
    data: EvalSet,
    pool_size: int,
) -> list[tuple[NeedDoc, NeedPool]]:
    """Each need with the engine's pool of ``pool_size`` capabilities, scored and graded."""
    by_need: dict[int, list] = {}
    for cand in engine.rank(needs, top_n=pool_size):
        by_need.setdefault(cand.need_id, []).append(cand)
    out = []
    for need in needs:
        cands = by_need.get(need.id, [])
        pool = NeedPool(
            set_name=set_name,
            ref=need.ref,
            cap_refs=[ref_of_cap[c.cap_id] for c in cands],
            cap_ids=np.array([c.cap_id for c in cands]),
            score=np.array([c.score for c in cands], dtype=np.float64),
            grades=dict(data.qrels.get(need.ref, {})),
        )
        out.append((need, pool))
    return out


def pools(pool_size: int) -> list[NeedPool]:
    out: list[NeedPool] = []
    parents = read_region_parents()
    vectors = WordVectors.load(None)
    for set_name, directory in SETS.items():
        data = load_eval_set(directory)
        needs, caps = to_docs(data, parents)
        dev = set(data.splits["dev"])  # only dev needs are ranked; test is never read
        needs = [n for n in needs if n.ref in dev]
        analyzer = build_analyzer(data)
        engine = MatchEngine(analyzer, weights=Weights(), vectors=vectors)
        engine.build_index(caps)
        ref_of_cap = {c.id: c.ref for c in caps}
        need_item = {item["ref"]: item for item in data.needs}
        bm25 = {
            (name, sub): BM25(
                {item["ref"]: tokens(analyzer, cap_f(item), sub) for item in data.caps}
            )
            for name, (_, cap_f, _) in VARIANTS.items()
            for sub in (True, False)
        }
        for need, pool in engine_pools(engine, needs, set_name, ref_of_cap, data, pool_size):
            for (name, sub), index in bm25.items():
                need_f = VARIANTS[name][0]
                query = set(tokens(analyzer, need_f(need_item[need.ref]), sub))
                raw = np.array([index.score(query, r) for r in pool.cap_refs])
                top = raw.max() if len(raw) else 0.0
                ceiling = index.ceiling(query)
                tok = "sub" if sub else "whole"
                # max: share of the pool's best title score; query: share of the query's idf
                pool.signal[f"{name}/{tok}/max"] = raw / top if top > 0 else raw
                pool.signal[f"{name}/{tok}/query"] = raw / ceiling if ceiling > 0 else raw
            out.append(pool)
    return out


def ranking(pool: NeedPool, variant: str | None, w: float, alone: bool = False) -> list[str]:
    if alone and variant is not None:
        # signal alone; ties broken by the engine score, then capability id
        order = np.lexsort((pool.cap_ids, -pool.score, -pool.signal[variant]))
    else:
        scores = pool.score + (w * pool.signal[variant] if variant and w else 0.0)
        order = np.lexsort((pool.cap_ids, -scores))
    return [pool.cap_refs[i] for i in order[:50]]


def per_need(pool: NeedPool, ranked: list[str]) -> tuple[float, float]:
    return ndcg_at(ranked, pool.grades, 10), precision_at(ranked, pool.grades, 5)


def objective(pools_: Sequence[NeedPool], variant: str, w: float, metric: int) -> float:
    per: dict[str, list[float]] = {}
    for pool in pools_:
        per.setdefault(pool.set_name, []).append(per_need(pool, ranking(pool, variant, w))[metric])
    return float(np.mean([np.mean(v) for v in per.values()]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pool", type=int, default=100)
    parser.add_argument("--curve", action="store_true", help="also print fixed-w dev means")
    args = parser.parse_args(argv)
    all_pools = pools(args.pool)
    rng = random.Random(args.seed)
    fold_of: dict[tuple[str, str], int] = {}
    for set_name in SETS:  # the fold scheme of bench/tune_weights.py
        refs = sorted(p.ref for p in all_pools if p.set_name == set_name)
        rng.shuffle(refs)
        for i, ref in enumerate(refs):
            fold_of[(set_name, ref)] = i % args.folds

    base = {(p.set_name, p.ref): per_need(p, ranking(p, None, 0.0)) for p in all_pools}

    def summary(values: Mapping[tuple[str, str], tuple[float, float]]) -> str:
        cells = []
        for name in SETS:
            vals = [v for k, v in values.items() if k[0] == name]
            cells.append(f"{np.mean([v[0] for v in vals]):.3f} {np.mean([v[1] for v in vals]):.3f}")
        return " | ".join(cells)

    def changes(values: Mapping[tuple[str, str], tuple[float, float]]) -> str:
        out = []
        for name in SETS:
            keys = [k for k in values if k[0] == name]
            for m, label in ((0, "nDCG"), (1, "P@5")):
                up = sum(values[k][m] > base[k][m] + 1e-12 for k in keys)
                down = sum(values[k][m] < base[k][m] - 1e-12 for k in keys)
                out.append(f"{name} {label} +{up}/-{down}")
        return ", ".join(out)

    n_eval = sum(p.set_name == "eval" for p in all_pools)
    n_hard = sum(p.set_name == "hard" for p in all_pools)
    print(f"dev needs: eval {n_eval}, hard {n_hard}; pool {args.pool}; {args.folds} folds")
    print(f"  {'system':42s} eval nDCG P@5 | hard nDCG P@5   (held-out; needs up/down vs engine)")
    print(f"  {'engine (default policy)':42s} {summary(base)}")
    for variant in all_pools[0].signal:
        label = VARIANTS[variant.split("/")[0]][2]
        alone = {
            (p.set_name, p.ref): per_need(p, ranking(p, variant, 0, alone=True)) for p in all_pools
        }
        print(f"{variant} ({label})")
        print(f"  {'signal alone':42s} {summary(alone)}")
        for metric, mname in ((0, "nDCG@10"), (1, "P@5")):
            held: dict[tuple[str, str], tuple[float, float]] = {}
            chosen = []
            for fold in range(args.folds):
                train = [p for p in all_pools if fold_of[(p.set_name, p.ref)] != fold]
                best = max(W_GRID, key=lambda w: objective(train, variant, w, metric))
                chosen.append(best)
                for p in all_pools:
                    if fold_of[(p.set_name, p.ref)] == fold:
                        held[(p.set_name, p.ref)] = per_need(p, ranking(p, variant, best))
            print(
                f"  {'engine + w x signal, w by ' + mname:42s} {summary(held)}"
                f"  w/fold {chosen}; {changes(held)}"
            )
        if args.curve:
            for w in W_GRID[1:]:
                vals = {(p.set_name, p.ref): per_need(p, ranking(p, variant, w)) for p in all_pools}
                print(f"    (all dev, fixed w={w}, not held-out) {summary(vals)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
