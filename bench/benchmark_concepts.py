"""What the word-level explanations (matched concepts) cost, at scoring time or when shown.

    uv run python bench/synthetic.py --database-url postgres://…/scenario_concepts_bench \\
        --reset --needs 1000 --capabilities 10000 --firms 2000 --agencies 120
    uv run python bench/benchmark_concepts.py --database-url postgres://…/scenario_concepts_bench

Runs one full matching run inline when the database has none (``manage.py match --full``),
then measures, on the warm engine of this process:

* ``rank``: ``MatchEngine.rank`` of a sample of needs (top 50 each), the scoring a run does;
* ``concepts per pair``: ``matched_concepts`` over the same needs' candidates, from the
  documents the engine already holds (what computing them at scoring time would add);
* ``page``: the concepts of 20 current matches of one need as the agency's page loads them
  (``candidates_of_need``; token cache reads, the taxonomy, the concepts), cold (first page
  of the process: the vectors are read) and warm, and the page's explanations with and
  without them;
* ``explain``: ``matching.services.explain.pair_explain`` of a recommended pair and of a pair
  retrieval does not find, as the API answers them (warm engine).

Prints one table; writes nothing but the run (and the token cache) to the database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.synthetic import configure  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/scenario_concepts_bench"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _median(work: Any, times: int = 20) -> float:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        work()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def _full_run() -> None:
    from matching.models import NeedCurrentRun
    from matching.services import results, runs

    if NeedCurrentRun.objects.exists():
        return
    run = runs.match_run_request(scope="full", actor=None, enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    run.refresh_from_db()
    for number in range(run.chunk_count if run.chunk_count > 1 else 0):
        results.match_run_score_chunk(run_id=run.pk, number=number)
    results.match_run_finish(run_id=run.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--needs", type=int, default=200, help="needs in the scoring sample")
    parser.add_argument("--page", type=int, default=20, help="matches on one page")
    args = parser.parse_args()
    configure(args.database_url, str(ROOT / "var" / "bench-concepts"))

    from django.contrib.auth.models import User

    from matching import documents
    from matching.concepts import concepts_of_pairs
    from matching.engine.concepts import matched_concepts
    from matching.index import TOP_N, warm_engine_for
    from matching.models import Match
    from matching.selectors import candidates_of_need
    from matching.services.explain import pair_explain
    from portal.explain import explain, explain_all
    from scenarios.services.policy import policy_current

    t0 = time.perf_counter()
    _full_run()
    print(f"full run (only when none existed): {time.perf_counter() - t0:.1f} s")

    # Cold first: the process has read neither the vectors nor the taxonomy yet.
    admin: Any = User(is_superuser=True, is_active=True)
    need_id = Match.objects.current().filter(recommended=True).order_by("need_id")[0].need_id
    page = candidates_of_need(user=admin, need_id=need_id, limit=args.page)
    pairs_of_page = [(m.need, m.capability) for m in page]
    t0 = time.perf_counter()
    cold = concepts_of_pairs(pairs=pairs_of_page)
    concepts_cold = time.perf_counter() - t0
    concepts_warm = _median(lambda: concepts_of_pairs(pairs=pairs_of_page))
    with_concepts = _median(lambda: explain_all(page))
    without = _median(lambda: [explain(m) for m in page])

    engine, _key = warm_engine_for(policy_current())
    needs = documents.need_docs(analyzer=engine.analyzer)[: args.needs]
    caps = {d.id: d for d in documents.capability_docs(analyzer=engine.analyzer)}
    t0 = time.perf_counter()
    candidates = engine.rank(needs, top_n=TOP_N)
    rank_s = time.perf_counter() - t0
    by_id = {n.id: n for n in needs}
    taxonomy, vectors = engine.analyzer.taxonomy, documents.word_vectors()
    dictionary = frozenset(engine.analyzer.dictionary)
    t0 = time.perf_counter()
    found = [
        matched_concepts(
            by_id[c.need_id],
            caps[c.cap_id],
            taxonomy=taxonomy,
            vectors=vectors,
            dictionary=dictionary,
        )
        for c in candidates
    ]
    concepts_s = time.perf_counter() - t0
    per_pair = concepts_s / max(len(candidates), 1)

    recommended = Match.objects.current().filter(recommended=True).order_by("id")[0]
    explain_samples = []
    for _ in range(6):
        t0 = time.perf_counter()
        pair_explain(
            user=admin, need_id=recommended.need_id, capability_id=recommended.capability_id
        )
        explain_samples.append(time.perf_counter() - t0)

    pairs = len(candidates)
    rows = [
        ("needs ranked", f"{len(needs)} ({pairs} candidate pairs)"),
        ("rank (scoring time)", f"{rank_s:.2f} s = {_ms(rank_s / len(needs))} per need"),
        ("concepts of every candidate", f"{concepts_s:.2f} s = {_ms(per_pair)} per pair"),
        ("… added to a need's scoring", f"{concepts_s / rank_s * 100:.0f} % of rank()"),
        ("… pairs with concepts", f"{sum(1 for f in found if f) / max(pairs, 1) * 100:.0f} %"),
        ("concepts of a page, cold", f"{_ms(concepts_cold)} ({len(page)} matches)"),
        ("concepts of a page, warm (median)", _ms(concepts_warm)),
        ("page's explanations without concepts", _ms(without)),
        ("page's explanations with concepts", _ms(with_concepts)),
        ("explain endpoint, warm (median)", _ms(statistics.median(explain_samples[1:]))),
        ("concepts on the page", str(sum(len(c) for c in cold.values()))),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
