"""Evaluate the matching engine against a plain BM25 baseline on the labelled set in eval/.

Reads eval/needs.json and eval/capabilities.json (exchange format), eval/qrels.csv
(need_ref,capability_ref,grade 1-3) and eval/splits.json ({"dev": [...], "test": [...]}),
ranks every capability for every need with the real engine (matching.engine.MatchEngine) and
with BM25 over title + description, and prints nDCG@10, precision@5 and recall@50 per split.

    uv run python bench/eval_matching.py [--eval-dir eval] [--json]

Grades: nDCG uses gain 2**grade - 1 over every judged capability of the need; precision@5 and
recall@50 count grade >= 2 as relevant. Also printed, as eval/README.md suggests: the recall of
grade-3 capabilities in the top 10 and the share of needs whose first result is not grade 3.
Unjudged capabilities count as not relevant. Tune only on "dev"; "test" is the held-out report.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from matching.engine import MatchEngine  # noqa: E402
from matching.engine.retrieval import RetrievalConfig  # noqa: E402
from matching.engine.scoring import CapabilityDoc, NeedDoc, Weights, normalize_text  # noqa: E402
from matching.engine.text import Analyzer, read_taxonomy_csv  # noqa: E402
from matching.engine.vectors import WordVectors  # noqa: E402

TAXONOMY_CSV = ROOT / "reference" / "data" / "industry_chains.csv"
DIVISIONS_CSV = ROOT / "reference" / "data" / "china_divisions.csv"
RELEVANT_GRADE = 2
Ranking = dict[str, list[str]]  # need ref -> capability refs, best first


# ---------------------------------------------------------------------------------------------
# Loading and converting the exchange format
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalSet:
    """The labelled set: raw items, qrels (need ref -> capability ref -> grade), splits."""

    needs: list[dict[str, Any]]
    caps: list[dict[str, Any]]
    qrels: dict[str, dict[str, int]]
    splits: dict[str, list[str]]


def load_eval_set(directory: Path) -> EvalSet:
    """Read the four files of the evaluation set."""
    needs = json.loads((directory / "needs.json").read_text(encoding="utf-8"))
    caps = json.loads((directory / "capabilities.json").read_text(encoding="utf-8"))
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with (directory / "qrels.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            qrels[row["need_ref"]][row["capability_ref"]] = int(row["grade"])
    splits = json.loads((directory / "splits.json").read_text(encoding="utf-8"))
    return EvalSet(needs=needs, caps=caps, qrels=dict(qrels), splits=splits)


def read_region_parents(path: Path = DIVISIONS_CSV) -> dict[str, str]:
    """code -> parent code from the divisions table (empty for provinces)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["parent_code"] or "" for row in csv.DictReader(handle)}


def region_path(code: str, parents: Mapping[str, str]) -> str:
    """Ancestor path of a six-digit code, e.g. 360111 -> "360000/360100/360111".

    Walks the divisions table when it knows the code (exact for municipalities, whose
    counties hang directly under the province); otherwise falls back to the code prefixes.
    """
    if code in parents:
        chain = [code]
        while parents.get(chain[-1]) and len(chain) < 3:
            chain.append(parents[chain[-1]])
        return "/".join(reversed(chain))
    province, city = code[:2] + "0000", code[:4] + "00"
    parts = [province] + ([city] if city != province else [])
    parts += [code] if code not in parts else []
    return "/".join(parts)


def _text(item: Mapping[str, Any]) -> str:
    return f"{item['title']}\n{item['description']}"


def to_docs(data: EvalSet, parents: Mapping[str, str]) -> tuple[list[NeedDoc], list[CapabilityDoc]]:
    """Exchange-format items as engine documents; organisations get ids by name/credit code."""
    orgs: dict[str, int] = {}

    def org(key: str) -> int:
        return orgs.setdefault(key, len(orgs) + 1)

    needs = [
        NeedDoc(
            id=i + 1,
            ref=item["ref"],
            org_id=org("agency:" + item["org_name"]),
            region_path=region_path(item["region_code"], parents),
            chains=tuple(item["chains"]),
            keywords=tuple(item["keywords"]),
            text=_text(item),
            tokens=None,
            min_trl=int(item["min_trl"]),
            validation_type=item["validation_type"],
        )
        for i, item in enumerate(data.needs)
    ]
    caps = [
        CapabilityDoc(
            id=i + 1,
            ref=item["ref"],
            org_id=org("firm:" + (item.get("firm_credit_code") or item["firm_name"])),
            region_path=region_path(item["region_code"], parents),
            chains=tuple(item["chains"]),
            keywords=tuple(item["keywords"]),
            text=_text(item),
            tokens=None,
            trl=int(item["trl"]),
            certifications=tuple(item.get("certifications") or ()),
            # The exchange format carries past cases, not platform pilots; they stand in.
            validated_pilots=len(item.get("past_cases") or ()),
            open_load=0,
            capacity=int(item.get("capacity") or 1),
        )
        for i, item in enumerate(data.caps)
    ]
    return needs, caps


# ---------------------------------------------------------------------------------------------
# Rankers
# ---------------------------------------------------------------------------------------------


def build_analyzer(data: EvalSet, cache_dir: Path | None = None) -> Analyzer:
    """The analyzer the service would use: taxonomy plus every keyword in both lists."""
    keywords = [k for item in data.needs + data.caps for k in item["keywords"]]
    return Analyzer(read_taxonomy_csv(TAXONOMY_CSV), keywords, cache_dir=cache_dir)


def engine_ranking(
    needs: Sequence[NeedDoc],
    caps: Sequence[CapabilityDoc],
    analyzer: Analyzer,
    *,
    weights: Weights | None = None,
    retrieval: RetrievalConfig | None = None,
    vectors: WordVectors | None = None,
    top_n: int = 50,
    keyword_neighbours: bool = True,
) -> Ranking:
    """Rank with the real engine; returns need ref -> capability refs."""
    engine = MatchEngine(
        analyzer,
        weights=weights or Weights(),
        retrieval=retrieval,
        vectors=vectors,
        keyword_neighbours=keyword_neighbours,
    )
    engine.build_index(caps)
    ref_of_cap = {c.id: c.ref for c in caps}
    ref_of_need = {n.id: n.ref for n in needs}
    ranking: Ranking = {n.ref: [] for n in needs}
    for cand in engine.rank(needs, top_n=top_n):
        ranking[ref_of_need[cand.need_id]].append(ref_of_cap[cand.cap_id])
    return ranking


class PlainTokenizer:
    """jieba's default dictionary, lower case, no domain words, punctuation/digits dropped."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._tokenizer = jieba.Tokenizer()
        if cache_dir is not None:
            self._tokenizer.tmp_dir = str(cache_dir)

    def __call__(self, text: str) -> list[str]:
        tokens = (t.strip() for t in self._tokenizer.cut(normalize_text(text), HMM=False))
        return [t for t in tokens if t and any(ch.isalpha() for ch in t)]


def bm25_ranking(
    needs: Sequence[NeedDoc],
    caps: Sequence[CapabilityDoc],
    tokenize: Callable[[str], Sequence[str]],
    *,
    k1: float = 1.2,
    b: float = 0.75,
    top_n: int = 50,
) -> Ranking:
    """Okapi BM25 over title + description (the docs' text), scipy sparse, no extras."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for row, cap in enumerate(caps):
        for token in tokenize(cap.text):
            rows.append(row)
            cols.append(vocab.setdefault(token, len(vocab)))
    tf = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(caps), len(vocab)))
    tf.sum_duplicates()
    length = np.asarray(tf.sum(axis=1)).ravel()
    df = np.bincount(tf.indices, minlength=len(vocab))
    idf = np.log(1.0 + (len(caps) - df + 0.5) / (df + 0.5))
    weights = tf.copy()
    norm = k1 * (1.0 - b + b * length / max(length.mean(), 1e-9))
    row_of_entry = np.repeat(np.arange(len(caps)), np.diff(tf.indptr))
    weights.data = idf[tf.indices] * tf.data * (k1 + 1.0) / (tf.data + norm[row_of_entry])
    q_rows, q_cols = [], []
    for row, need in enumerate(needs):
        for col in {vocab[t] for t in tokenize(need.text) if t in vocab}:
            q_rows.append(row)
            q_cols.append(col)
    queries = sp.csr_matrix(
        (np.ones(len(q_rows)), (q_rows, q_cols)), shape=(len(needs), len(vocab))
    )
    scores = (queries @ weights.T).toarray()
    ids = np.array([c.id for c in caps])
    ranking: Ranking = {}
    for row, need in enumerate(needs):
        order = np.lexsort((ids, -scores[row]))
        order = order[scores[row][order] > 0][:top_n]
        ranking[need.ref] = [caps[i].ref for i in order]
    return ranking


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG@k with gain 2**grade - 1 and log2 discount; ideal from all judged items."""
    dcg = sum((2 ** grades.get(ref, 0) - 1) / math.log2(i + 2) for i, ref in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def precision_at(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Share of the first k (k, not fewer) that have grade >= 2."""
    return sum(1 for ref in ranked[:k] if grades.get(ref, 0) >= RELEVANT_GRADE) / k


def recall_at(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Share of the grade >= 2 items that appear in the first k (1 when there are none)."""
    relevant = {ref for ref, g in grades.items() if g >= RELEVANT_GRADE}
    if not relevant:
        return 1.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def top1_miss(ranked: Sequence[str], grades: Mapping[str, int]) -> float:
    """1 when the first result is not grade 3 (a distractor won), else 0."""
    return 0.0 if ranked and grades.get(ranked[0], 0) == 3 else 1.0


def grade3_recall_at(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Share of the grade-3 items in the first k (1 when there are none)."""
    best = {ref for ref, g in grades.items() if g == 3}
    return len(best.intersection(ranked[:k])) / len(best) if best else 1.0


def evaluate(
    ranking: Ranking, qrels: Mapping[str, Mapping[str, int]], refs: Sequence[str]
) -> dict[str, float]:
    """Mean nDCG@10, P@5, R@50, grade-3 recall@10 and top-1 miss rate over ``refs``."""
    metrics = {
        "ndcg@10": lambda r, g: ndcg_at(r, g, 10),
        "p@5": lambda r, g: precision_at(r, g, 5),
        "recall@50": lambda r, g: recall_at(r, g, 50),
        "g3_recall@10": lambda r, g: grade3_recall_at(r, g, 10),
        "top1_not_g3": top1_miss,
    }
    out = {}
    for name, metric in metrics.items():
        values = [metric(ranking.get(ref, []), qrels.get(ref, {})) for ref in refs]
        out[name] = float(np.mean(values)) if values else 0.0
    return out


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


TEXT_ONLY = Weights(text=1, chain=0, keywords=0, trl=0, region=0, track_record=0, capacity=0)


System = tuple[Weights, RetrievalConfig, bool] | tuple[Weights, RetrievalConfig, bool, bool] | str


def systems(*, ablation: bool) -> dict[str, System]:
    """The systems to compare: engine variants (weights, retrieval, use vectors) or a BM25.

    The default run compares the engine as the service runs it with plain BM25; the
    ablation adds one row per signal removed, measured the same way.
    """
    out: dict[str, System] = {
        "engine": (Weights(), RetrievalConfig(), True),
        "bm25": "plain",
    }
    if ablation:
        out |= {
            "engine, keywords verbatim only": (Weights(), RetrievalConfig(), True, False),
            "engine, text feature only": (TEXT_ONLY, RetrievalConfig(), True),
            "  - dense vectors": (TEXT_ONLY, RetrievalConfig(), False),
            "  - sub-words": (TEXT_ONLY, RetrievalConfig(subwords=False), True),
            "  - chain block": (TEXT_ONLY, RetrievalConfig(chain_weight=0), True),
            "  - search pruning": (TEXT_ONLY, RetrievalConfig(search_max_df=1.0), True),
            "  - chain union": (TEXT_ONLY, RetrievalConfig(chain_union_per_node=0), True),
            "bm25 with the domain analyzer": "analyzer",
        }
    return out


def run(
    eval_dir: Path, cache_dir: Path | None, *, ablation: bool = False
) -> dict[str, dict[str, dict[str, float]]]:
    """All systems on all splits: system -> split -> metric -> value."""
    data = load_eval_set(eval_dir)
    needs, caps = to_docs(data, read_region_parents())
    analyzer = build_analyzer(data, cache_dir)
    vectors = WordVectors.load(cache_dir / "vectors" if cache_dir else None)
    plain = PlainTokenizer(cache_dir)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, system in systems(ablation=ablation).items():
        if isinstance(system, str):
            tokenize = plain if system == "plain" else analyzer.tokenize
            ranking = bm25_ranking(needs, caps, tokenize)
        else:
            weights, retrieval, use_vectors = system[:3]
            neighbours = bool(system[3]) if len(system) > 3 else True
            ranking = engine_ranking(
                needs,
                caps,
                analyzer,
                weights=weights,
                retrieval=retrieval,
                vectors=vectors if use_vectors else None,
                keyword_neighbours=neighbours,
            )
        results[name] = {
            split: evaluate(ranking, data.qrels, refs) for split, refs in data.splits.items()
        }
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT / "eval")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="cache for jieba and word vectors"
    )
    parser.add_argument("--ablation", action="store_true", help="also remove one signal at a time")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(args.eval_dir, args.cache_dir, ablation=args.ablation)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    data = load_eval_set(args.eval_dir)
    judged = sum(len(v) for v in data.qrels.values())
    print(f"needs {len(data.needs)}, capabilities {len(data.caps)}, judged pairs {judged}")
    width = max(len(name) for name in results)
    print(
        f"{'system':<{width}} {'split':<5} {'needs':>5} {'nDCG@10':>8} {'P@5':>6} {'R@50':>6}"
        f" {'G3R@10':>7} {'top1≠3':>7}"
    )
    for system, per_split in results.items():
        for split, metrics in per_split.items():
            print(
                f"{system:<{width}} {split:<5} {len(data.splits[split]):>5} "
                f"{metrics['ndcg@10']:>8.3f} {metrics['p@5']:>6.3f} {metrics['recall@50']:>6.3f}"
                f" {metrics['g3_recall@10']:>7.3f} {metrics['top1_not_g3']:>7.3f}"
            )
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
