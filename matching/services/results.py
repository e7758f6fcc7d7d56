"""What a run writes: each chunk's scored candidates, then the pairing under quotas that
marks the recommendations and makes the run's rows its needs' current ones.

A chunk's rows are replaced as a whole in one transaction (same input, same rows, never
duplicates); finishing is serialised by an advisory lock and done once.
"""

import json
import operator
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from core.tasks import enqueue_on_commit
from matching import documents
from matching.engine import Candidate, MatchEngine
from matching.engine.batch import collector_paused
from matching.engine.pairing import pair
from matching.engine.scoring import FEATURES, FloatArray, IntArray, Weights
from matching.index import TOP_N, run_engine
from matching.models import (
    Match,
    MatchRun,
    MatchRunChunk,
    NeedCurrentRun,
    RunScope,
    RunStatus,
)
from matching.services.recommendations import notify_recommendations
from scenarios import selectors as scenario_selectors

# Up to this many rows, the finish step asks whether the run's own needs and capabilities
# still exist; above, it reads every id (a full run's 100,000 capabilities).
EXISTENCE_BY_ID_ROWS = 5000
MATCH_COLUMNS = (
    "run_id",
    "need_id",
    "capability_id",
    "firm_id",
    "score",
    "rank",
    "recommended",
    "breakdown",
    "created_at",
)


def _rows_for(
    run: MatchRun, engine: MatchEngine, candidates: list[Candidate]
) -> list[tuple[Any, ...]]:
    index = engine.index
    assert index is not None  # noqa: S101
    weights = dict(
        zip(
            Weights.from_mapping(run.policy.matching_weights).as_dict(),
            Weights.from_mapping(run.policy.matching_weights).normalized(),
            strict=True,
        )
    )
    # The breakdown is the JSON of {"features", "weights", "matched_keywords",
    # "policy_version"}; the parts every row shares are encoded once, the features (floats
    # in FEATURES order, written like json.dumps writes them) through one format string.
    head = "{" + ", ".join(f'"{name}": %s' for name in FEATURES) + "}"
    tail = f', "weights": {json.dumps(weights, ensure_ascii=False)}, "matched_keywords": '
    version = f', "policy_version": {json.dumps(run.policy.version)}}}'
    features_of = operator.itemgetter(*FEATURES)
    dumps = json.dumps
    now = timezone.now()
    row_of = index.row_of
    cap_rows = np.array([row_of(c.cap_id) for c in candidates], dtype=np.int64)
    firm_ids = index.caps.org_id[cap_rows].tolist()
    return [
        (
            run.pk,
            c.need_id,
            c.cap_id,
            firm_id,
            c.score,
            c.rank,
            False,
            '{"features": '
            + head % features_of(c.features)
            + tail
            + (dumps(c.matched_keywords, ensure_ascii=False) if c.matched_keywords else "[]")
            + version,
            now,
        )
        for c, firm_id in zip(candidates, firm_ids, strict=True)
    ]


def _copy_lines(rows: list[tuple[Any, ...]]) -> Iterator[str]:
    """``MATCH_COLUMNS`` rows in COPY text format (floats as repr: exact round trip)."""
    escape = documents.copy_escape
    last_at, stamp = None, ""
    for run_id, need_id, cap_id, firm_id, score, rank, recommended, breakdown, at in rows:
        if at is not last_at:  # a chunk's rows share one timestamp
            last_at, stamp = at, at.isoformat()
        yield (
            f"{run_id}\t{need_id}\t{cap_id}\t{firm_id}\t{score!r}\t{rank}\t"
            f"{'t' if recommended else 'f'}\t{escape(breakdown)}\t{stamp}\n"
        )


def _write_matches(run_id: int, need_ids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """Replace the run's rows for these needs (same input, same rows; never duplicates)."""
    Match.objects.filter(run_id=run_id, need_id__in=need_ids).delete()
    if connection.vendor == "postgresql":
        documents.copy_text(Match._meta.db_table, MATCH_COLUMNS, _copy_lines(rows))
        return
    Match.objects.bulk_create(
        [
            Match(**dict(zip(MATCH_COLUMNS, r, strict=True)) | {"breakdown": json.loads(r[7])})
            for r in rows
        ],
        batch_size=documents.WRITE_BATCH,
    )


def _add_timings(timings: dict[str, Any], extra: dict[str, float]) -> dict[str, Any]:
    """``timings`` with each of ``extra``'s seconds added to its running total."""
    out = dict(timings)
    for name, seconds in extra.items():
        out[name] = round(out.get(name, 0) + seconds, 3)
    return out


def match_run_score_chunk(*, run_id: int, number: int) -> None:
    """Score one chunk of needs and store their ranked candidates; a done chunk is skipped."""
    run = MatchRun.objects.select_related("policy").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return
    chunk = MatchRunChunk.objects.filter(run_id=run_id, number=number).first()
    if chunk is None or chunk.done:
        return
    t0 = time.perf_counter()
    engine = run_engine(run)
    excluded: dict[int, tuple[int, int]] = {}
    with collector_paused():
        needs = documents.need_docs(analyzer=engine.analyzer, need_ids=list(chunk.need_ids))
        candidates = engine.rank(
            needs,
            top_n=TOP_N,
            related_pairs=scenario_selectors.matching_related_org_pairs(),
            negative_list=documents.negative_list(),
            excluded=excluded,
        )
        rows = _rows_for(run, engine, candidates)
        del candidates
    t_score = time.perf_counter() - t0
    with transaction.atomic():
        chunk = MatchRunChunk.objects.select_for_update().get(pk=chunk.pk)
        current = MatchRun.objects.select_for_update().get(pk=run_id)
        if chunk.done or current.status != RunStatus.RUNNING:
            return
        t1 = time.perf_counter()
        _write_matches(run_id, list(chunk.need_ids), rows)
        chunk.done = True
        chunk.finished_at = timezone.now()
        chunk.excluded = {str(n): list(counts) for n, counts in excluded.items()}
        chunk.save(update_fields=["done", "finished_at", "excluded"])
        timings = _add_timings(
            current.timings, {"score_s": t_score, "write_s": time.perf_counter() - t1}
        )
        MatchRun.objects.filter(pk=run_id).update(
            processed=F("processed") + len(chunk.need_ids), timings=timings
        )
        remaining = MatchRunChunk.objects.filter(run_id=run_id, done=False).count()
        # An operator's inline run (manage.py match) finishes in its own process.
        if remaining == 0 and current.chunk_count > 1 and not current.params.get("inline"):
            enqueue_on_commit("matching.finish_run", run_id=run_id)


def _firm_quotas(
    run: MatchRun, need_ids: list[int], firm_ids: list[int] | None = None
) -> dict[int, int]:
    """Open recommendations a firm may still take: its capabilities' capacity, less running
    pilots, less current recommendations on needs this run does not rescore (of needs and
    capabilities still matched: a closed need's old recommendations hold nothing).

    ``firm_ids`` limits the answer to those firms (the ones the run's candidates belong to,
    the only ones pairing consults); None means every firm.
    """
    quota = dict(scenario_selectors.matching_firm_capacity(firm_ids=firm_ids))
    wanted = None if firm_ids is None else set(firm_ids)
    for firm_id, n in scenario_selectors.matching_firm_open_pilots().items():
        if wanted is None or firm_id in wanted:
            quota[firm_id] = quota.get(firm_id, 0) - n
    if run.scope != RunScope.FULL:
        held_qs = (
            Match.objects.current()
            .filter(recommended=True)
            .filter(scenario_selectors.matching_live_rows_q())
        )
        if firm_ids is not None:
            held_qs = held_qs.filter(firm_id__in=firm_ids)
        held = (
            held_qs.exclude(need_id__in=need_ids)
            .values("firm_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in held:
            quota[row["firm_id"]] = quota.get(row["firm_id"], 0) - row["n"]
    return {firm: max(q, 0) for firm, q in quota.items()}


def _run_candidates(run_id: int) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
    """(match id, need, capability, firm, score) columns of a run's rows, in any order."""
    qs = Match.objects.filter(run_id=run_id).order_by()
    columns = ("id", "need_id", "capability_id", "firm_id", "score")
    sql, params = qs.values_list(*columns).query.sql_with_params()
    # Plain cursor rows into one float64 array (ids are far below 2**53, so exact): half
    # a million rows without the ORM's per-row converters.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        table = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, len(columns))
    ids, needs, caps, firms = (table[:, i].astype(np.int64) for i in range(4))
    return ids, needs, caps, firms, table[:, 4].copy()


def _pair_keys(needs: IntArray, caps: IntArray) -> IntArray:
    return (needs.astype(np.int64) << 32) | caps.astype(np.int64)


def _make_current(run_id: int, need_ids: list[int], chosen_ids: list[int]) -> None:
    """The run's rows become the current ones of its needs, the chosen ones recommended.

    Only the chosen rows are rewritten; "current" is one pointer per need (NeedCurrentRun),
    moved by one upsert, so older runs' rows are left untouched as history. Pointers only
    move forward: a run that started before the need's current one (a long full run
    finishing after a later single-need run) does not replace the newer result.
    """
    for start in range(0, len(chosen_ids), 10000):
        Match.objects.filter(pk__in=chosen_ids[start : start + 10000]).update(recommended=True)
    table = NeedCurrentRun._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(need_ids), 2000):
            batch = need_ids[start : start + 2000]
            values = ", ".join(["(%s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} (need_id, run_id, updated_at) VALUES {values} "  # noqa: S608 - table name from the model, values bound
                "ON CONFLICT (need_id) DO UPDATE SET run_id = excluded.run_id, "
                f"updated_at = excluded.updated_at WHERE {table}.run_id < excluded.run_id",
                [v for need_id in batch for v in (need_id, run_id, now)],
            )


def _new_recommendations(need_ids: list[int], chosen_ids: list[int]) -> list[int]:
    """The chosen rows whose (need, capability) pair was not already recommended: a rerun
    that keeps a recommendation does not announce it again."""
    before = set(
        Match.objects.current()
        .filter(need_id__in=need_ids, recommended=True)
        .values_list("need_id", "capability_id")
    )
    if not before:
        return chosen_ids
    chosen = Match.objects.filter(pk__in=chosen_ids).values_list("pk", "need_id", "capability_id")
    return [pk for pk, need_id, cap_id in chosen if (need_id, cap_id) not in before]


def _excluded_of(run_id: int, need_ids: list[int]) -> dict[str, list[int]]:
    """For the needs that came short: candidates the negative list and conflicts of
    interest removed, as the chunks recorded them."""
    wanted = {str(n) for n in need_ids}
    out: dict[str, list[int]] = {}
    if not wanted:
        return out
    for excluded in MatchRunChunk.objects.filter(run_id=run_id).values_list("excluded", flat=True):
        for need_id, counts in (excluded or {}).items():
            if need_id in wanted:
                out[need_id] = list(counts)
    return out


def _finish_lock() -> None:
    # One finisher at a time: each run's firm quotas count the recommendations the others
    # made current, so two runs pairing at once could together exceed a firm's capacity.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [7_310_501])


def match_run_finish(*, run_id: int) -> None:
    """Pair under the quotas, mark the recommendations, make the run's rows current.

    A need deleted while this runs (after the check of which needs exist, before the
    commit) makes the commit refuse its current-run pointer: the step is done once more,
    and then no longer sees that need."""
    try:
        _finish(run_id)
    except IntegrityError:
        _finish(run_id)


def _finish(run_id: int) -> None:
    t0 = time.perf_counter()
    with transaction.atomic():
        _finish_lock()
        found = MatchRun.objects.select_for_update().select_related("policy").filter(pk=run_id)
        run = found.first()
        if run is None or run.status != RunStatus.RUNNING:
            return
        if MatchRunChunk.objects.filter(run_id=run_id, done=False).exists():
            return
        need_ids = sorted({i for ids in run.chunks.values_list("need_ids", flat=True) for i in ids})
        ids, needs, caps, firms, scores = _run_candidates(run_id)
        # A need or capability deleted while the chunks were written leaves rows behind
        # (no database foreign keys, see Match): they go before anything is paired or shown.
        small = len(ids) <= EXISTENCE_BY_ID_ROWS  # a publication's run: ask for its ids
        need_ids_now, cap_ids_now = scenario_selectors.matching_existing_ids(
            need_ids=need_ids if small else None,
            capability_ids=np.unique(caps).tolist() if small else None,
        )
        existing = set(need_ids_now)
        need_ids = [n for n in need_ids if n in existing]  # a deleted need gets no pointer
        gone = ~(np.isin(needs, need_ids_now) & np.isin(caps, cap_ids_now))
        if gone.any():
            Match.objects.filter(pk__in=ids[gone].tolist()).delete()
            kept = ~gone
            ids, needs, caps, firms = ids[kept], needs[kept], caps[kept], firms[kept]
            scores = scores[kept]
        t_read = time.perf_counter()
        k = int(run.params.get("k", run.policy.recommendations_per_need))
        result = pair(
            needs,
            caps,
            firms,
            scores,
            k=k,
            # A full run's candidates reach nearly every firm: one aggregate over all.
            firm_capacity=_firm_quotas(
                run, need_ids, None if run.scope == RunScope.FULL else np.unique(firms).tolist()
            ),
            all_need_ids=need_ids,
        )
        t_pair = time.perf_counter()
        picked = np.array([(n, c) for n, c, _ in result.pairs], dtype=np.int64).reshape(-1, 2)
        is_chosen = np.isin(_pair_keys(needs, caps), _pair_keys(picked[:, 0], picked[:, 1]))
        chosen_ids = ids[is_chosen].tolist()
        # Incremental runs tell firms and agencies what is new; the nightly full run does not
        # (it would repeat every recommendation every night).
        fresh_ids = [] if run.scope == RunScope.FULL else _new_recommendations(need_ids, chosen_ids)
        _make_current(run_id, need_ids, chosen_ids)
        t_swap = time.perf_counter()
        shortfall: dict[str, int] = {}
        for reason in result.shortfall.values():
            shortfall[reason] = shortfall.get(reason, 0) + 1
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.processed = run.total
        run.counts = {
            "needs": len(need_ids),
            "candidates": len(ids),
            "recommended": len(chosen_ids),
            "total_score": round(result.total_score, 6),
            "shortfall": shortfall,
            "shortfall_needs": {str(n): r for n, r in list(result.shortfall.items())[:500]},
            "shortfall_excluded": _excluded_of(run_id, list(result.shortfall)[:500]),
        }
        run.timings = {
            **run.timings,
            "finish_read_s": round(t_read - t0, 3),
            "finish_pair_s": round(t_pair - t_read, 3),
            "finish_swap_s": round(t_swap - t_pair, 3),
            "finish_s": round(time.perf_counter() - t0, 3),
        }
        if run.started_at:
            run.timings["wall_s"] = round((run.finished_at - run.started_at).total_seconds(), 3)
        run.save(update_fields=["status", "finished_at", "processed", "counts", "timings"])
        notify_recommendations(match_ids=fresh_ids)
