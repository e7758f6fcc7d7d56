"""Explore weighting the need's words by how often capabilities, not needs, use them.

    .venv/bin/python -m bench.explore_sided [--folds 5] [--seed 2026] [--pool 100]

The idea: a need names where the scenario happens (政务服务大厅, 博物馆) and what the
technology must do (识读, 超声); site words should be frequent in needs and rare in
capabilities, function words the other way round. Each word of the need (title, keywords
and description, the engine's analyzer with sub-words) gets a weight ``side[t] ** alpha``,
``side(t) = pc / (pc + pn)`` with ``pc`` and ``pn`` the smoothed shares of capabilities and
of needs of the set whose text holds it, inside a BM25 between the need and each capability
of the engine's pool (the set's capabilities are the BM25 corpus). Each alpha is measured
alone and as ``engine score + w × signal`` with w chosen on the other folds, exactly as
``bench/explore_title.py`` does (its folds, grid and report). Only dev needs are ranked; the
needs' texts (not their labels) give the word shares, as the service's own needs would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bench import explore_title as base
from bench.eval_matching import build_analyzer, load_eval_set, read_region_parents, to_docs
from matching.engine.ranking import MatchEngine
from matching.engine.scoring import Weights
from matching.engine.vectors import WordVectors

ALPHAS = (0.0, 0.5, 1.0, 2.0)


def _full(item: Mapping) -> str:
    return item["title"] + "\n" + "\n".join(item["keywords"]) + "\n" + item["description"]


def _doc_freq(docs: Mapping[str, Sequence[str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for toks in docs.values():
        for term in set(toks):
            out[term] = out.get(term, 0) + 1
    return out


def pools(pool_size: int) -> list[base.NeedPool]:
    out: list[base.NeedPool] = []
    parents = read_region_parents()
    vectors = WordVectors.load(None)
    for set_name, directory in base.SETS.items():
        data = load_eval_set(directory)
        needs, caps = to_docs(data, parents)
        dev = set(data.splits["dev"])  # only dev needs are ranked; test labels are never read
        analyzer = build_analyzer(data)
        engine = MatchEngine(analyzer, weights=Weights(), vectors=vectors)
        engine.build_index(caps)
        ref_of_cap = {c.id: c.ref for c in caps}
        cap_toks = {it["ref"]: base.tokens(analyzer, _full(it)) for it in data.caps}
        need_toks = {it["ref"]: base.tokens(analyzer, _full(it)) for it in data.needs}
        bm25 = base.BM25(cap_toks)
        df_cap, df_need = _doc_freq(cap_toks), _doc_freq(need_toks)
        n_cap, n_need = len(cap_toks), len(need_toks)

        side = {}
        for term in set(df_cap) | set(df_need):
            pc, pn = _share(df_cap, term, n_cap), _share(df_need, term, n_need)
            side[term] = pc / (pc + pn)

        dev_needs = [n for n in needs if n.ref in dev]
        pools_ = base.engine_pools(engine, dev_needs, set_name, ref_of_cap, data, pool_size)
        for need, pool in pools_:
            query = set(need_toks[need.ref])
            for alpha in ALPHAS:
                raw = np.array(
                    [_sided_score(bm25, query, ref, side, alpha) for ref in pool.cap_refs]
                )
                top = raw.max() if len(raw) else 0.0
                pool.signal[f"s/alpha{alpha}/max"] = raw / top if top > 0 else raw
            out.append(pool)
    return out


def _share(df: Mapping[str, int], term: str, n: int) -> float:
    return (df.get(term, 0) + 0.5) / (n + 1)


def _sided_score(
    bm25: base.BM25, query: set[str], ref: str, side: Mapping[str, float], alpha: float
) -> float:
    counts = bm25.tf[ref]
    norm = base.K1 * (1.0 - base.B + base.B * bm25.length[ref] / bm25.avg)
    return sum(
        bm25.idf[t] * side[t] ** alpha * counts[t] * (base.K1 + 1.0) / (counts[t] + norm)
        for t in query
        if t in counts
    )


def main(argv: Sequence[str] | None = None) -> int:
    base.pools = pools
    base.VARIANTS["s"] = (_full, _full, "need full -> capability full, words weighted by side")
    return base.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
