"""Matching runs: request, execute (inline or fanned out in chunks), finish, cancel, resume.

Every step is idempotent so Celery's at-least-once delivery is safe: a run's status says
whether it still has work, a chunk's ``done`` flag makes a redelivered chunk a no-op, the
chunk's rows are replaced as a whole in one transaction, and finishing twice does nothing.
"""

import hashlib
import json
import logging
import operator
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from matching import documents
from matching.engine import Candidate, MatchEngine
from matching.models import (
    FINISHED_STATUSES,
    Match,
    MatchRun,
    MatchRunChunk,
    NeedCurrentRun,
    RunScope,
    RunStatus,
    is_current_q,
)
from matching.notifications import notify_recommendations
from matching.pairing import pair
from matching.retrieval import Query
from matching.scoring import FEATURES, FloatArray, IntArray, NeedDoc, Weights
from scenarios import selectors as scenario_selectors
from scenarios.errors import ActorNotAllowed, InvalidInput, InvalidTransition
from scenarios.models import Pilot
from scenarios.roles import Actor, committees_of, is_platform_admin
from scenarios.services.policy import policy_current

logger = logging.getLogger(__name__)
TOP_N = 50
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
_ENGINES: dict[str, MatchEngine] = {}  # warm engines of this worker process, by index key


def chunk_size() -> int:
    return int(getattr(settings, "MATCHING_CHUNK_SIZE", 1000))


def _enqueue(task_name: str, **kwargs: Any) -> None:
    from matching import tasks  # tasks import this module

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.delay(**kwargs))


# -- requesting ---------------------------------------------------------------------------


def _check_operator(actor: Actor | None) -> None:
    if actor is None or is_platform_admin(actor) or committees_of(actor):
        return
    raise ActorNotAllowed(_("只有平台管理员或工作委员会成员可以发起匹配。"))


def _check_target(scope: str, object_id: int) -> None:
    """A single-item run needs a need or capability that matching scores."""
    if scope == RunScope.NEED and not scenario_selectors.matching_need_ids(need_ids=[object_id]):
        raise InvalidInput(
            _("该需求不存在，或不在可匹配状态（已发布或验证中）。"),
            fields={"object_id": [_("不是可匹配的需求。")]},
        )
    if scope == RunScope.CAPABILITY and not scenario_selectors.matching_capability_ids(
        capability_ids=[object_id]
    ):
        raise InvalidInput(
            _("该能力不存在，或未发布（或所属企业未认证）。"),
            fields={"object_id": [_("不是可匹配的能力。")]},
        )


@transaction.atomic
def match_run_request(
    *, scope: str, object_id: int | None = None, actor: Actor | None = None, enqueue: bool = True
) -> MatchRun:
    """Create a pending run under the current policy and enqueue it after commit.

    ``actor`` None is the system (publishing hooks, the nightly beat schedule); operators'
    commands pass ``enqueue=False`` and execute the run in their own process.
    """
    _check_operator(actor)
    if scope not in RunScope.values:
        raise InvalidInput(_("范围无效。"), fields={"scope": [_("无效的选项。")]})
    if (scope == RunScope.FULL) != (object_id is None):
        raise InvalidInput(
            _("单项匹配需要指定对象，全量匹配不需要。"), fields={"object_id": [_("与范围不符。")]}
        )
    if object_id is not None:
        _check_target(scope, object_id)
    policy = policy_current()
    run = MatchRun.objects.create(
        scope=scope,
        target_id=object_id,
        policy=policy,
        params={"k": policy.recommendations_per_need, "top_n": TOP_N, "inline": not enqueue},
        requested_by=actor if isinstance(actor, User) else None,
    )
    if enqueue:
        _enqueue("execute_run", run_id=run.pk)
    return run


@transaction.atomic
def match_run_cancel(*, run_id: int, actor: Actor | None) -> MatchRun:
    """Stop a pending or running run; chunks still queued return at once."""
    _check_operator(actor)
    run = MatchRun.objects.select_for_update().get(pk=run_id)
    if run.status == RunStatus.CANCELLED:
        return run
    if run.is_finished:
        raise InvalidTransition(_("批次已结束，不能取消。"), status=run.status)
    run.status = RunStatus.CANCELLED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


# -- executing ----------------------------------------------------------------------------


def _index_path(key: str) -> Path:
    return Path(settings.MATCHING_INDEX_DIR) / f"index-{key}.npz"


def _warm_engine(run: MatchRun, *, refresh_dictionary: bool) -> tuple[MatchEngine, str]:
    """An engine over every published capability, under the run's policy.

    The index is cached per worker process and shared between processes as a file, both
    keyed by the capability set, the analyzer, whether word vectors are on, and the policy
    version.
    """
    words = documents.dictionary_words(refresh=refresh_dictionary)
    analyzer = documents.analyzer_for(words)
    policy = run.policy
    dense = "dense" if getattr(settings, "MATCHING_WORD_VECTORS", True) else "sparse"
    raw = f"{scenario_selectors.matching_capability_set_key()}|{analyzer.fingerprint}|{dense}"
    key = hashlib.sha256(raw.encode()).hexdigest()[:24]
    engine_key = f"{key}|{policy.version}"
    if engine_key in _ENGINES:
        return _ENGINES[engine_key], key
    engine = documents.engine_for(
        analyzer=analyzer, weights=policy.matching_weights, region_weights=policy.region_weights
    )
    path = _index_path(key)
    try:
        engine.load_index(path)
    except (OSError, ValueError, KeyError):
        engine.build_index(documents.capability_docs(analyzer=analyzer))
        assert engine.index is not None  # noqa: S101 - build_index sets it
        engine.index.save(path)
    _ENGINES.clear()  # keep one warm engine: a province index is large
    _ENGINES[engine_key] = engine
    return engine, key


def _affected_needs(engine: MatchEngine, capability_id: int, need_docs: list[NeedDoc]) -> list[int]:
    """Needs whose ranking a newly published capability can change.

    Exactly the needs whose ranked top ``TOP_N`` contains the capability, found without
    ranking every need: a candidate always has a positive retrieval similarity, so one
    sparse product (the capability against all needs) leaves the needs that can reach it;
    retrieval (generous ``4 × TOP_N``, a superset of what ranking retrieves) keeps those
    that retrieve it, and only they are ranked.
    """
    index = engine.index
    assert index is not None  # noqa: S101
    try:
        row = index.row_of(capability_id)
    except KeyError:
        return []  # not matchable (unverified firm, negative list, not published)
    if not need_docs:
        return []
    query = index.encode(need_docs)
    similarity = np.asarray((query.sparse @ index.matrix[row].T).todense()).ravel()
    reach = np.flatnonzero(similarity > 0)
    if len(reach) == 0:
        return []
    subset = [need_docs[i] for i in reach.tolist()]
    sub_query = Query(
        sparse=query.sparse[reach],
        dense=None if query.dense is None else query.dense[reach],
        nodes=query.nodes[reach],
    )
    found = index.top_candidates(subset, n=4 * TOP_N, query=sub_query)
    hits = np.unique(found.need_rows[found.cap_rows == row])
    if len(hits) == 0:
        return []
    candidates = engine.rank(
        [subset[i] for i in hits.tolist()],
        top_n=TOP_N,
        related_pairs=scenario_selectors.matching_related_org_pairs(),
        negative_list=documents.negative_list(),
    )
    return sorted({c.need_id for c in candidates if c.cap_id == capability_id})


def match_run_execute(*, run_id: int) -> None:
    """Start a pending run: resolve its needs, then score inline or fan out chunk tasks.

    Redelivered while running, it re-enqueues the chunks that are not done (resume).
    """
    with transaction.atomic():
        found = MatchRun.objects.select_for_update().filter(pk=run_id).first()
        if found is None or found.is_finished:
            return  # finished, or deleted by an operator meanwhile
        run = found
        if run.status == RunStatus.RUNNING:
            resuming = True
        else:
            resuming = False
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
            run.save(update_fields=["status", "started_at"])
    if resuming:
        match_run_resume(run_id=run_id)
        return
    _plan(run)


def _plan(run: MatchRun) -> None:
    t0 = time.perf_counter()
    engine, key = _warm_engine(run, refresh_dictionary=run.scope == RunScope.FULL)
    t_index = time.perf_counter() - t0
    analyzer = engine.analyzer
    if run.scope == RunScope.NEED:
        # Only the ids: the chunk reads (and if needed segments) the need's text.
        targets = [run.target_id] if run.target_id is not None else []
        need_ids = scenario_selectors.matching_need_ids(need_ids=targets)
    elif run.scope == RunScope.CAPABILITY:
        all_needs = documents.need_docs(analyzer=analyzer)
        need_ids = _affected_needs(engine, int(run.target_id or 0), all_needs)
    else:
        need_ids = scenario_selectors.matching_need_ids()
    size = chunk_size()
    chunks = [need_ids[i : i + size] for i in range(0, len(need_ids), size)]
    with transaction.atomic():
        MatchRunChunk.objects.bulk_create(
            [MatchRunChunk(run=run, number=n, need_ids=ids) for n, ids in enumerate(chunks)],
            ignore_conflicts=True,
        )
        MatchRun.objects.filter(pk=run.pk).update(
            total=len(need_ids),
            chunk_count=len(chunks),
            params={**run.params, "index_key": key},
            timings={"index_s": round(t_index, 3), "plan_s": round(time.perf_counter() - t0, 3)},
        )
    if len(chunks) <= 1:
        # Small runs (every incremental one) finish in this task, on the warm engine.
        if chunks:
            match_run_score_chunk(run_id=run.pk, number=0)
        match_run_finish(run_id=run.pk)
        return
    if run.params.get("inline"):
        return  # the operator's process scores the chunks itself (manage.py match)
    for number in range(len(chunks)):
        _enqueue("score_chunk", run_id=run.pk, number=number)


def match_run_fail(*, run_id: int, error: BaseException) -> None:
    """Mark a run failed (its task gave up, or the operator's process hit an error)."""
    logger.exception("matching run %s failed", run_id, exc_info=error)
    MatchRun.objects.filter(pk=run_id).exclude(status__in=FINISHED_STATUSES).update(
        status=RunStatus.FAILED,
        error=f"{type(error).__name__}: {error}"[:2000],
        finished_at=timezone.now(),
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
    if candidates:
        cap_rows = np.fromiter(
            (index.row_of(c.cap_id) for c in candidates), dtype=np.int64, count=len(candidates)
        )
        firm_ids = index.caps.org_id[cap_rows].tolist()
    else:
        firm_ids = []
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


def _copy_line(row: tuple[Any, ...]) -> str:
    """One ``MATCH_COLUMNS`` row in COPY text format (floats as repr: exact round trip)."""
    run_id, need_id, cap_id, firm_id, score, rank, recommended, breakdown, at = row
    return (
        f"{run_id}\t{need_id}\t{cap_id}\t{firm_id}\t{score!r}\t{rank}\t"
        f"{'t' if recommended else 'f'}\t"
        f"{documents.copy_escape(breakdown)}\t{at.isoformat()}\n"
    )


def _write_matches(run_id: int, need_ids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """Replace the run's rows for these needs (same input, same rows; never duplicates)."""
    Match.objects.filter(run_id=run_id, need_id__in=need_ids).delete()
    if connection.vendor == "postgresql":
        documents.copy_text(Match._meta.db_table, MATCH_COLUMNS, map(_copy_line, rows))
        return
    Match.objects.bulk_create(
        [
            Match(**dict(zip(MATCH_COLUMNS, r, strict=True)) | {"breakdown": json.loads(r[7])})
            for r in rows
        ],
        batch_size=documents.WRITE_BATCH,
    )


def _run_engine(run: MatchRun) -> MatchEngine:
    """The engine a chunk scores with: the one its run planned, if this process holds it.

    A worker that planned the run (or scored an earlier chunk) skips recomputing the
    capability-set key and the analyzer; any other process warms up as before.
    """
    key = run.params.get("index_key")
    if key:
        engine = _ENGINES.get(f"{key}|{run.policy.version}")
        if engine is not None:
            return engine
    return _warm_engine(run, refresh_dictionary=False)[0]


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
    engine = _run_engine(run)
    needs = documents.need_docs(analyzer=engine.analyzer, need_ids=list(chunk.need_ids))
    candidates = engine.rank(
        needs,
        top_n=TOP_N,
        related_pairs=scenario_selectors.matching_related_org_pairs(),
        negative_list=documents.negative_list(),
    )
    rows = _rows_for(run, engine, candidates)
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
        chunk.save(update_fields=["done", "finished_at"])
        timings = _add_timings(
            current.timings, {"score_s": t_score, "write_s": time.perf_counter() - t1}
        )
        MatchRun.objects.filter(pk=run_id).update(
            processed=F("processed") + len(chunk.need_ids), timings=timings
        )
        remaining = MatchRunChunk.objects.filter(run_id=run_id, done=False).count()
        # An operator's inline run (manage.py match) finishes in its own process.
        if remaining == 0 and current.chunk_count > 1 and not current.params.get("inline"):
            _enqueue("finish_run", run_id=run_id)


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


def _finish_lock() -> None:
    # One finisher at a time: each run's firm quotas count the recommendations the others
    # made current, so two runs pairing at once could together exceed a firm's capacity.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [7_310_501])


def match_run_finish(*, run_id: int) -> None:
    """Pair under the quotas, mark the recommendations, make the run's rows current."""
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
        notify_recommendations(run, fresh_ids)


def match_run_resume(*, run_id: int) -> int:
    """Re-enqueue the chunks of a running run that are not done (after a lost worker).

    Returns how many chunks were enqueued; finishes the run if all chunks are done.
    """
    run = MatchRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return 0
    pending = list(
        MatchRunChunk.objects.filter(run_id=run_id, done=False).values_list("number", flat=True)
    )
    if not pending and run.chunk_count:
        _enqueue("finish_run", run_id=run_id)
        return 0
    if not run.chunk_count:
        # Died while planning: plan again (chunk rows are created with ignore_conflicts).
        _plan(run)
        return 0
    for number in pending:
        _enqueue("score_chunk", run_id=run_id, number=number)
    return len(pending)


def match_runs_resume_stalled(*, older_than_minutes: int = 15) -> list[int]:
    """Resume running runs that started long ago (their worker may have died)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        MatchRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=cutoff).values_list(
            "id", flat=True
        )
    )
    for run_id in ids:
        with transaction.atomic():
            match_run_resume(run_id=run_id)
    return ids


def match_history_prune(*, older_than_days: int) -> dict[int, int]:
    """Delete the superseded rows of runs that finished more than ``older_than_days`` ago.

    A row is superseded when its need points at another run; rows still current are kept
    whatever their age (a need not rescored since keeps its matches), and so are rows a
    pilot started from (``Pilot.source_match_id``). The runs themselves
    stay, with ``counts["pruned_rows"]`` saying how many of their rows were removed, so an
    empty ``?run=N`` is explained. Returns {run id: rows deleted} for the runs touched.
    """
    if older_than_days < 1:
        raise InvalidInput(_("历史保留天数至少为 1 天。"), fields={"older_than_days": [">= 1"]})
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old_runs = MatchRun.objects.filter(
        status__in=FINISHED_STATUSES,
        finished_at__lt=cutoff,
    ).filter(Exists(Match.objects.filter(run_id=OuterRef("pk"))))
    pruned: dict[int, int] = {}
    for run_id in old_runs.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():  # one run at a time: short transactions, resumable
            deleted, _detail = (
                Match.objects.filter(run_id=run_id)
                .exclude(is_current_q())
                .exclude(Exists(Pilot.objects.filter(source_match_id=OuterRef("pk"))))
                .delete()
            )
            if deleted:
                run = MatchRun.objects.select_for_update().get(pk=run_id)
                run.counts = {
                    **run.counts,
                    "pruned_rows": run.counts.get("pruned_rows", 0) + deleted,
                }
                run.save(update_fields=["counts"])
                pruned[run_id] = deleted
    if pruned:
        logger.info("pruned %s superseded match rows of %s runs", sum(pruned.values()), len(pruned))
    return pruned


def run_progress(run: MatchRun) -> float:
    """Share of the run's needs scored, in [0, 1] (1 once done)."""
    if run.status == RunStatus.DONE:
        return 1.0
    return round(run.processed / run.total, 4) if run.total else 0.0
