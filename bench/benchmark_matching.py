"""Benchmark the matching layer at province scale (a script, not a timed test).

    uv run python bench/synthetic.py                 # once: 10k needs, 100k capabilities
    uv run python bench/benchmark_matching.py        # every phase, table + docs/benchmarks.md
    uv run python bench/benchmark_matching.py --phases warm,incremental --no-docs

Phases, each in a fresh child process so its peak memory (``ru_maxrss``) is its own:

``cold``        full run from raw text: token cache emptied, index files removed; every
                document is segmented again, its tokens stored, the index built.
``warm``        full run with cached tokens: the index file is removed, so the run reads
                the tokens from PostgreSQL and builds the index from them (the nightly run
                after capabilities changed).
``warm-index``  full run with cached tokens and the index file of the unchanged
                capability set reused.
``incremental`` inside one warm process (engine cached as a Celery worker holds it), 20
                new needs are published one by one; reports the top-k scoring itself
                (``MatchEngine.rank`` for the one need) and the whole run (request, plan,
                score, write, pair, swap current rows) until its recommendations are visible.
``publish``     the same 20 publications end to end through the services and a real
                Celery worker on Redis (one warm prefork process): ``need_create`` commits a
                published need, its need_published event starts the incremental run, and the
                clock stops when the run is done and its recommendations are in the table.
``capability``  three new capabilities published one by one, each rescored inline
                (``scope=capability``): the changed capability set rebuilds the index from
                cached tokens, then the needs the capability reaches are found and rescored.
``pairing``     the pairing step alone (OR-tools min-cost flow) on the latest full run's
                candidates (10,000 needs × 50), checked against the LP optimum (HiGHS).
``workers2``    a full run with cached tokens (index file removed) fanned out to a real
                Celery worker with two prefork processes on Redis; wall time from request
                to done, peak RSS of each worker process.

Full runs go through ``matching.services`` exactly like ``manage.py match --full``
(``enqueue=False``, chunks of ``MATCHING_CHUNK_SIZE`` needs scored in order, then the
finish step). Before each full run, older runs are deleted so one previous run's rows are
current (the steady state of a nightly run) and ``matching_match`` is vacuumed (not timed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.synthetic import DEFAULT_URL, configure  # noqa: E402

PHASES = (
    "cold",
    "warm",
    "warm-index",
    "incremental",
    "publish",
    "capability",
    "capability-publish",
    "pairing",
    "workers2",
)
INDEX_DIR = ROOT / "var" / "bench-matching"
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS_DIR = ROOT / "var" / "bench-results"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
GIB = 1024**3
INC_PREFIX = "BENCH-INC"
CAP_PREFIX = "BENCH-CINC"


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def maxrss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RssSampler:
    """Samples the RSS of some processes in a thread: overall peak and per-stage peaks."""

    def __init__(self, pids: list[int] | None = None, interval: float = 0.1) -> None:
        import psutil

        self._psutil = psutil
        self.pids = pids or [os.getpid()]
        self.interval = interval
        self.peak: dict[int, int] = {}
        self.stage = "start"
        self.stage_peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def processes(self) -> list[Any]:
        out = []
        for pid in self.pids:
            with contextlib.suppress(self._psutil.Error):
                proc = self._psutil.Process(pid)
                out.append(proc)
                out.extend(proc.children(recursive=True))
        return out

    def sample(self) -> None:
        total = 0
        for proc in self.processes():
            with contextlib.suppress(self._psutil.Error):
                rss = proc.memory_info().rss
                self.peak[proc.pid] = max(self.peak.get(proc.pid, 0), rss)
                total += rss
        self.stage_peak[self.stage] = max(self.stage_peak.get(self.stage, 0), total)

    def mark(self, stage: str) -> None:
        self.sample()
        self.stage = stage

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


# ---------------------------------------------------------------------------------------------
# Preparing the database between phases
# ---------------------------------------------------------------------------------------------


def sql(statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return list(cursor.fetchall()) if cursor.description else []


def keep_latest_run() -> None:
    """Delete every run but the latest finished full run (its rows stay current)."""
    from django.db import connection

    latest = sql("SELECT max(id) FROM matching_matchrun WHERE status = 'done' AND scope = 'full'")
    keep = latest[0][0] or 0
    if keep:
        sql("UPDATE matching_needcurrentrun SET run_id = %s WHERE run_id <> %s", [keep, keep])
    else:  # no full run yet: nothing stays current
        sql("DELETE FROM matching_needcurrentrun")
    sql("DELETE FROM matching_match WHERE run_id <> %s", [keep])
    sql("DELETE FROM matching_matchrunchunk WHERE run_id <> %s", [keep])
    sql("DELETE FROM matching_matchrun WHERE id <> %s", [keep])
    old = connection.autocommit
    connection.set_autocommit(True)
    try:
        sql("VACUUM ANALYZE matching_match")
        sql("VACUUM ANALYZE matching_documenttokens")
    finally:
        connection.set_autocommit(old)


def clear_index_files() -> None:
    for path in INDEX_DIR.glob("index-*.npz"):
        path.unlink()


def clear_token_cache() -> None:
    sql("DELETE FROM matching_documenttokens")
    sql("DELETE FROM matching_analyzerdictionary")


# ---------------------------------------------------------------------------------------------
# Phases (run in a child process)
# ---------------------------------------------------------------------------------------------


def full_run_inline(sampler: RssSampler) -> dict[str, Any]:
    """One full run in this process, chunk by chunk, like ``manage.py match --full``."""
    from matching.models import MatchRun
    from matching.services import results, runs

    t0 = time.perf_counter()
    sampler.mark("plan")
    run = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    t_plan = time.perf_counter() - t0
    run.refresh_from_db()
    sampler.mark("score")
    t1 = time.perf_counter()
    if run.chunk_count > 1:
        for number in range(run.chunk_count):
            results.match_run_score_chunk(run_id=run.pk, number=number)
    t_score = time.perf_counter() - t1
    sampler.mark("finish")
    t2 = time.perf_counter()
    results.match_run_finish(run_id=run.pk)
    t_finish = time.perf_counter() - t2
    wall = time.perf_counter() - t0
    sampler.mark("end")
    run = MatchRun.objects.get(pk=run.pk)
    if run.status != "done":
        raise RuntimeError(f"run {run.pk} ended {run.status}: {run.error}")
    counts = {k: v for k, v in run.counts.items() if k != "shortfall_needs"}
    return {
        "rows_md5": rows_checksum(run.pk),
        "wall_s": round(wall, 2),
        "plan_s": round(t_plan, 2),
        "score_s": round(t_score, 2),
        "finish_s": round(t_finish, 2),
        "run_timings": run.timings,
        "counts": counts,
        "chunks": run.chunk_count,
        "stage_peak_rss": sampler.stage_peak,
    }


def rows_checksum(run_id: int) -> str:
    """md5 over a run's rows (pair, rank, score, recommended, breakdown), in order:
    equal checksums mean two runs stored the same results."""
    rows = sql(
        "SELECT md5(string_agg(concat_ws('|', need_id, capability_id, firm_id, rank, score, "
        "recommended, breakdown::text), ',' ORDER BY need_id, rank, capability_id)) "
        "FROM matching_match WHERE run_id = %s",
        [run_id],
    )
    return str(rows[0][0])


def phase_full(name: str) -> dict[str, Any]:
    keep_latest_run()
    if name != "warm-index":  # warm-index reuses the file the previous full run left
        clear_index_files()
    if name == "cold":
        clear_token_cache()
    tokens = sql("SELECT count(*) FROM matching_documenttokens")[0][0]
    index_files = len(list(INDEX_DIR.glob("index-*.npz")))
    with RssSampler() as sampler:
        result = full_run_inline(sampler)
    result["cached_tokens_before"] = tokens
    result["index_files_before"] = index_files
    return result


def _new_need(vocab: Any, rng: random.Random, serial: int) -> Any:
    """A published need created straight in the database (what a publish commits)."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Organization
    from bench.synthetic import CATEGORIES, VALIDATION_TYPES, need_text
    from scenarios.models import ScenarioNeed

    agency = Organization.objects.filter(kind="agency").order_by("id")[rng.randrange(1000)]
    chains = vocab.chains(1, 2)
    keywords = vocab.keywords(chains, rng.randint(2, 5))
    min_trl = rng.randint(3, 8)
    title, description = need_text(
        vocab, rng, chains, vocab.place(agency.region_id), agency.name, keywords, min_trl
    )
    with transaction.atomic():
        need = ScenarioNeed.objects.create(
            ref=f"{INC_PREFIX}-{os.getpid()}-{serial:03d}",
            title=title,
            description=description,
            category=rng.choice(CATEGORIES),
            keywords=keywords,
            validation_type=rng.choice(VALIDATION_TYPES),
            min_trl=min_trl,
            status="published",
            published_at=timezone.now(),
            agency=agency,
            region_id=agency.region_id,
        )
        need.chains.set([vocab.chain_id[s] for s in chains])
    return need


def _drop_incremental_needs() -> None:
    ids = [r[0] for r in sql("SELECT id FROM scenarios_scenarioneed WHERE ref LIKE 'BENCH-INC%%'")]
    if not ids:
        return
    runs = [
        r[0]
        for r in sql(
            "SELECT id FROM matching_matchrun WHERE scope = 'need' AND target_id = ANY(%s)", [ids]
        )
    ]
    sql(
        "DELETE FROM matching_needcurrentrun WHERE need_id = ANY(%s) OR run_id = ANY(%s)",
        [ids, runs],
    )
    sql("DELETE FROM matching_match WHERE need_id = ANY(%s) OR run_id = ANY(%s)", [ids, runs])
    sql("DELETE FROM matching_matchrunchunk WHERE run_id = ANY(%s)", [runs])
    sql("DELETE FROM matching_matchrun WHERE id = ANY(%s)", [runs])
    sql("DELETE FROM matching_documenttokens WHERE kind = 'need' AND object_id = ANY(%s)", [ids])
    sql("DELETE FROM scenarios_scenarioneed_chains WHERE scenarioneed_id = ANY(%s)", [ids])
    # Their audit rows stay: the audit log is append-only (a trigger refuses deletes), and
    # rows naming a deleted need harm nothing here.
    sql("DELETE FROM scenarios_scenarioneed WHERE id = ANY(%s)", [ids])


def phase_incremental(count: int) -> dict[str, Any]:
    """Publish ``count`` needs one by one in a warm process; time rank and the whole run."""
    from bench.synthetic import Vocabulary
    from matching import documents, index
    from matching.models import Match, MatchRun
    from matching.services import runs
    from scenarios import selectors

    _drop_incremental_needs()
    keep_latest_run()
    rng = random.Random(4242)
    vocab = Vocabulary(rng)
    topk: list[float] = []
    whole: list[float] = []
    phases: list[dict[str, float]] = []
    with RssSampler() as sampler:
        try:
            # Warm-up: the first run loads the index as a fresh worker would (not counted).
            t0 = time.perf_counter()
            need = _new_need(vocab, rng, 0)
            run = runs.match_run_request(scope="need", object_id=need.pk, enqueue=False)
            runs.match_run_execute(run_id=run.pk)
            warmup = time.perf_counter() - t0
            for serial in range(1, count + 1):
                need = _new_need(vocab, rng, serial)
                t0 = time.perf_counter()
                run = runs.match_run_request(scope="need", object_id=need.pk, enqueue=False)
                runs.match_run_execute(run_id=run.pk)
                visible = Match.objects.current().filter(need_id=need.pk, recommended=True).count()
                whole.append(time.perf_counter() - t0)
                run = MatchRun.objects.get(pk=run.pk)
                if run.status != "done" or not visible:
                    raise RuntimeError(f"incremental run {run.pk}: {run.status}, {visible} recs")
                phases.append({k: float(v) for k, v in run.timings.items()})
                # The top-k scoring itself, in the same warm engine the run used.
                engine = next(iter(index._WARM.values())).engine
                docs = documents.need_docs(analyzer=engine.analyzer, need_ids=[need.pk])
                related = selectors.matching_related_org_pairs()
                negative = documents.negative_list()
                t1 = time.perf_counter()
                engine.rank(docs, top_n=index.TOP_N, related_pairs=related, negative_list=negative)
                topk.append(time.perf_counter() - t1)
        finally:
            _drop_incremental_needs()
    keys = sorted({k for p in phases for k in p})
    return {
        "n": len(whole),
        "warmup_s": round(warmup, 3),
        "topk_ms": {
            "p50": round(1000 * statistics.median(topk), 1),
            "p95": round(1000 * percentile(topk, 95), 1),
            "max": round(1000 * max(topk), 1),
        },
        "run_ms": {
            "p50": round(1000 * statistics.median(whole), 1),
            "p95": round(1000 * percentile(whole, 95), 1),
            "max": round(1000 * max(whole), 1),
        },
        "run_timings_median_ms": {
            k: round(1000 * statistics.median([p.get(k, 0.0) for p in phases]), 1) for k in keys
        },
        "peak_rss": sampler.stage_peak,
    }


def _new_capability(vocab: Any, rng: random.Random, serial: int) -> Any:
    """A published capability of a verified firm, created straight in the database."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Organization
    from bench.synthetic import capability_text
    from scenarios.models import Capability

    firm = Organization.objects.filter(kind="firm", verified_at__isnull=False).order_by("id")[
        rng.randrange(1000)
    ]
    chains = vocab.chains(1, 3)
    keywords = vocab.keywords(chains, rng.randint(3, 6))
    title, description = capability_text(vocab, rng, chains, keywords)
    with transaction.atomic():
        cap = Capability.objects.create(
            ref=f"{CAP_PREFIX}-{os.getpid()}-{serial:03d}",
            firm=firm,
            title=title,
            description=description,
            keywords=keywords,
            trl=rng.randint(4, 9),
            region_id=firm.region_id,
            capacity=2,
            status="published",
            published_at=timezone.now(),
        )
        cap.chains.set([vocab.chain_id[s] for s in chains])
    return cap


def _drop_new_capabilities() -> None:
    ids = [r[0] for r in sql("SELECT id FROM scenarios_capability WHERE ref LIKE 'BENCH-CINC%%'")]
    if not ids:
        return
    runs = [
        r[0]
        for r in sql(
            "SELECT id FROM matching_matchrun WHERE scope = 'capability' AND target_id = ANY(%s)",
            [ids],
        )
    ]
    # The rescored needs get their rows of the latest full run back as current.
    sql(
        "UPDATE matching_needcurrentrun SET run_id = (SELECT max(id) FROM matching_matchrun "
        "WHERE status = 'done' AND scope = 'full') WHERE run_id = ANY(%s)",
        [runs],
    )
    sql("DELETE FROM matching_match WHERE capability_id = ANY(%s) OR run_id = ANY(%s)", [ids, runs])
    sql("DELETE FROM matching_matchrunchunk WHERE run_id = ANY(%s)", [runs])
    sql("DELETE FROM matching_matchrun WHERE id = ANY(%s)", [runs])
    sql(
        "DELETE FROM matching_documenttokens WHERE kind = 'capability' AND object_id = ANY(%s)",
        [ids],
    )
    sql("DELETE FROM scenarios_capability_chains WHERE capability_id = ANY(%s)", [ids])
    sql("DELETE FROM scenarios_capability WHERE id = ANY(%s)", [ids])


def phase_capability(count: int) -> dict[str, Any]:
    """Publish ``count`` capabilities one by one; rescore what each reaches, inline."""
    from bench.synthetic import Vocabulary
    from matching.models import MatchRun
    from matching.services import runs

    _drop_new_capabilities()
    keep_latest_run()
    rng = random.Random(4444)
    vocab = Vocabulary(rng)
    measured: list[dict[str, Any]] = []
    warmup = 0.0
    try:
        for serial in range(count + 1):
            cap = _new_capability(vocab, rng, serial)
            t0 = time.perf_counter()
            run = runs.match_run_request(scope="capability", object_id=cap.pk, enqueue=False)
            runs.match_run_execute(run_id=run.pk)
            wall = time.perf_counter() - t0
            run = MatchRun.objects.get(pk=run.pk)
            if run.status != "done":
                raise RuntimeError(f"capability run {run.pk} ended {run.status}: {run.error}")
            timings = {k: float(v) for k, v in run.timings.items()}
            if serial == 0:
                # Warm-up: the process loads the index and encodes the needs once, as a
                # fresh worker does on its first capability (not counted).
                warmup = wall
                continue
            measured.append(
                {
                    "wall_s": round(wall, 4),
                    "index_s": timings.get("index_s", 0.0),
                    "affected_s": round(timings.get("plan_s", 0.0) - timings.get("index_s", 0), 3),
                    "needs_rescored": run.total,
                    "timings": timings,
                }
            )
    finally:
        _drop_new_capabilities()
    walls = [m["wall_s"] for m in measured]
    return {
        "warmup_s": round(warmup, 2),
        "wall_ms": {
            "p50": round(1000 * statistics.median(walls), 1),
            "p95": round(1000 * percentile(walls, 95), 1),
            "max": round(1000 * max(walls), 1),
        },
        "runs": measured,
    }


def phase_pairing(verify: bool) -> dict[str, Any]:
    """Time ``pair`` on the latest full run's candidates; check it against the LP optimum."""
    import numpy as np

    from matching.engine.pairing import pair
    from matching.models import Match, MatchRun
    from matching.services import results

    run = MatchRun.objects.filter(status="done", scope="full").order_by("-id").first()
    if run is None:
        raise RuntimeError("no finished full run: run a full phase first")
    rows = np.array(
        list(
            Match.objects.filter(run=run).values_list(
                "need_id", "capability_id", "firm_id", "score"
            )
        ),
        dtype=np.float64,
    )
    need, cap, firm = (rows[:, i].astype(np.int64) for i in range(3))
    score = rows[:, 3]
    need_ids = sorted(set(need.tolist()))
    quota = results._firm_quotas(run, need_ids)
    k = int(run.params.get("k", 5))
    timings = []
    result = None
    for _ in range(3):
        t0 = time.perf_counter()
        result = pair(need, cap, firm, score, k=k, firm_capacity=quota, all_need_ids=need_ids)
        timings.append(time.perf_counter() - t0)
    assert result is not None  # noqa: S101
    out: dict[str, Any] = {
        "needs": len(need_ids),
        "candidates": len(need),
        "firms": len(set(firm.tolist())),
        "k": k,
        "pair_s": {"median": round(statistics.median(timings), 3), "max": round(max(timings), 3)},
        "recommended": len(result.pairs),
        "total_score": round(result.total_score, 6),
    }
    if verify:
        # Both sides in the solver's integer units (scores × 10^6, rounded): the LP optimum
        # of the relaxation equals the integer optimum, so an optimal pairing has gap 0.
        out["lp"] = _lp_optimum(need, firm, score, k, quota)
        chosen = sum(round(s * 1_000_000) for _, _, s in result.pairs)
        out["solver_units"] = chosen
        out["gap"] = out["lp"]["optimum_units"] - chosen
    return out


def _lp_optimum(need: Any, firm: Any, score: Any, k: int, quota: dict[int, int]) -> dict[str, Any]:
    """The LP relaxation's optimum (equal to the integer one: the constraint matrix of a
    bipartite b-matching is totally unimodular), solved independently with HiGHS."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.optimize import linprog

    rounded = np.rint(score * 1_000_000)  # the solver's integer costs
    useful = rounded > 0
    need, firm, rounded = need[useful], firm[useful], rounded[useful]
    needs, need_idx = np.unique(need, return_inverse=True)
    firms, firm_idx = np.unique(firm, return_inverse=True)
    n = len(rounded)
    cols = np.arange(n)
    a = sp.vstack(
        [
            sp.csr_matrix((np.ones(n), (need_idx, cols)), shape=(len(needs), n)),
            sp.csr_matrix((np.ones(n), (firm_idx, cols)), shape=(len(firms), n)),
        ],
        format="csr",
    )
    b = np.concatenate(
        [np.full(len(needs), k), np.array([max(quota.get(int(f), 0), 0) for f in firms])]
    )
    t0 = time.perf_counter()
    res = linprog(-rounded, A_ub=a, b_ub=b, bounds=(0, 1), method="highs")
    if res.status != 0:
        raise RuntimeError(f"LP failed: {res.message}")
    return {
        "optimum_units": round(-float(res.fun)),
        "lp_residual": abs(-float(res.fun) - round(-float(res.fun))),
        "seconds": round(time.perf_counter() - t0, 2),
    }


@contextlib.contextmanager
def celery_worker(concurrency: int) -> Any:
    """A Celery worker on this run's own queue, stopped (by its pid) on exit."""
    import redis

    queue = os.environ["CELERY_QUEUE"]
    log = open(RESULTS_DIR / f"worker-{os.getpid()}.log", "ab")  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
            f"--concurrency={concurrency}", "--pool=prefork", "--loglevel=WARNING",
            "-n", f"bench{os.getpid()}@{socket.gethostname()}",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=log,
        stderr=log,
    )  # fmt: skip
    try:
        from config.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the Celery worker did not start")
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)


def wait_for_run(*, timeout: float, interval: float, **lookup: Any) -> Any:
    from matching.models import MatchRun

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        run = MatchRun.objects.filter(**lookup).order_by("-id").first()
        if run is not None and run.is_finished:
            return run
        time.sleep(interval)
    raise RuntimeError(f"no finished run for {lookup} after {timeout} s")


def phase_workers2(concurrency: int, timeout: float) -> dict[str, Any]:
    """A full run fanned out to one Celery worker with ``concurrency`` prefork processes."""
    from matching.models import MatchRun
    from matching.services import runs

    keep_latest_run()
    clear_index_files()
    with celery_worker(concurrency) as worker:
        with RssSampler([worker.pid], interval=0.2) as sampler:
            t0 = time.perf_counter()
            run = runs.match_run_request(scope="full", enqueue=True)
            while True:
                time.sleep(0.2)
                run = MatchRun.objects.get(pk=run.pk)
                if run.is_finished or time.perf_counter() - t0 > timeout:
                    break
            wall = time.perf_counter() - t0
        if run.status != "done":
            raise RuntimeError(f"run {run.pk} ended {run.status}: {run.error}")
        children = {pid: rss for pid, rss in sampler.peak.items() if pid != worker.pid}
        return {
            "concurrency": concurrency,
            "wall_s": round(wall, 2),
            "run_timings": run.timings,
            "counts": {k: v for k, v in run.counts.items() if k != "shortfall_needs"},
            "peak_rss_per_process": sorted(children.values(), reverse=True),
            "peak_rss_main": sampler.peak.get(worker.pid, 0),
            "peak_rss_total": max(sampler.stage_peak.values()),
        }


def _publish_need(vocab: Any, rng: random.Random, serial: int) -> Any:
    """Publish a need through the service (the trusted-import path), event included."""
    from accounts.models import Organization
    from bench.synthetic import CATEGORIES, VALIDATION_TYPES
    from scenarios.services.needs import need_create

    agency = Organization.objects.filter(kind="agency").order_by("id")[rng.randrange(1000)]
    chains = vocab.chains(1, 2)
    keywords = vocab.keywords(chains, rng.randint(2, 5))
    min_trl = rng.randint(3, 8)
    title, description = _need_text(vocab, rng, chains, agency, keywords, min_trl)
    return need_create(
        actor=None,
        agency=agency,
        ref=f"{INC_PREFIX}-{os.getpid()}-{serial:03d}",
        status="published",
        title=title,
        description=description,
        category=rng.choice(CATEGORIES),
        chains=chains,
        keywords=keywords,
        validation_type=rng.choice(VALIDATION_TYPES),
        min_trl=min_trl,
    )


def _need_text(
    vocab: Any, rng: random.Random, chains: list[str], agency: Any, kws: list[str], trl: int
) -> tuple[str, str]:
    from bench.synthetic import need_text

    return need_text(vocab, rng, chains, vocab.place(agency.region_id), agency.name, kws, trl)


def phase_publish(count: int) -> dict[str, Any]:
    """Publish ``count`` needs through the services; a real worker runs the matching."""
    from bench.synthetic import Vocabulary
    from matching.models import Match

    _drop_incremental_needs()
    keep_latest_run()
    rng = random.Random(4343)
    vocab = Vocabulary(rng)
    visible: list[float] = []
    timings: list[dict[str, float]] = []
    try:
        with celery_worker(1):
            # Warm-up: the worker loads the index and the analyzer (not counted).
            need = _publish_need(vocab, rng, 0)
            t0 = time.perf_counter()
            wait_for_run(timeout=600, interval=0.05, scope="need", target_id=need.pk)
            warmup = time.perf_counter() - t0
            for serial in range(1, count + 1):
                t0 = time.perf_counter()
                need = _publish_need(vocab, rng, serial)
                run = wait_for_run(timeout=60, interval=0.005, scope="need", target_id=need.pk)
                shown = Match.objects.current().filter(need_id=need.pk, recommended=True).exists()
                visible.append(time.perf_counter() - t0)
                if run.status != "done" or not shown:
                    raise RuntimeError(f"run {run.pk} ended {run.status}, recommendations {shown}")
                timings.append({k: float(v) for k, v in run.timings.items()})
    finally:
        _drop_incremental_needs()
    keys = sorted({k for t in timings for k in t})
    return {
        "n": len(visible),
        "warmup_s": round(warmup, 2),
        "visible_ms": {
            "p50": round(1000 * statistics.median(visible), 1),
            "p95": round(1000 * percentile(visible, 95), 1),
            "max": round(1000 * max(visible), 1),
        },
        "run_timings_median_ms": {
            k: round(1000 * statistics.median([t.get(k, 0.0) for t in timings]), 1) for k in keys
        },
    }


def _publish_capability(vocab: Any, rng: random.Random, serial: int) -> Any:
    """Create and submit a capability through the services (a trusted import of a verified
    firm's capability): it publishes at once, and its event starts the matching run after
    the commit."""
    from accounts.models import Organization
    from bench.synthetic import capability_text
    from scenarios.services.capabilities import capability_create, capability_submit

    firm = Organization.objects.filter(
        kind="firm", verified_at__isnull=False, suspended_at__isnull=True
    ).order_by("id")[rng.randrange(1000)]
    chains = vocab.chains(1, 3)
    keywords = vocab.keywords(chains, rng.randint(3, 6))
    title, description = capability_text(vocab, rng, chains, keywords)
    cap = capability_create(
        actor=None,
        firm=firm,
        ref=f"{CAP_PREFIX}-{os.getpid()}-{serial:03d}",
        title=title,
        description=description,
        keywords=keywords,
        trl=rng.randint(4, 9),
        capacity=2,
        chains=chains,
    )
    return capability_submit(actor=None, capability=cap)


def _all_warm(sampler: RssSampler, main_pid: int, concurrency: int) -> bool:
    """Every pool process of the worker holds a warm engine (over half a GiB resident)."""
    sampler.sample()
    children = [rss for pid, rss in sampler.peak.items() if pid != main_pid]
    return len(children) >= concurrency and all(rss > GIB // 2 for rss in children)


def phase_capability_publish(count: int, concurrency: int) -> dict[str, Any]:
    """Publish ``count`` capabilities through the services; a warm Celery worker on Redis
    (``concurrency`` processes, 2 as in docker-compose.yml) runs what their events start.
    The clock runs from the call to the service until every need the run rescored shows its
    new recommendations (its current run is the new one). A publication also enqueues the
    lists' count warm-up (``scenarios.warm_list_counts``), which a single process runs
    before the matching run."""
    from bench.synthetic import Vocabulary
    from matching.models import Match, MatchRunChunk, NeedCurrentRun

    _drop_new_capabilities()
    keep_latest_run()
    rng = random.Random(4545)
    vocab = Vocabulary(rng)
    visible: list[float] = []
    measured: list[dict[str, Any]] = []
    try:
        with (
            celery_worker(concurrency) as worker,
            RssSampler([worker.pid], interval=0.2) as sampler,
        ):
            # Warm-up (not counted): each process loads the index, encodes the needs and
            # reads their cut-offs once, as after a deployment or a compaction. Which
            # process takes a run is the pool's choice: publish until two in a row are warm
            # and every process holds a warm engine (its memory shows it: a cold process
            # is ~0.2 GiB, a warm one ~1 GiB).
            t0, serial, fast = time.perf_counter(), 0, 0
            while serial < 8 * concurrency and not (
                fast >= 2 and _all_warm(sampler, worker.pid, concurrency)
            ):
                cap = _publish_capability(vocab, rng, serial)
                run = wait_for_run(timeout=900, interval=0.05, scope="capability", target_id=cap.pk)
                fast = fast + 1 if float(run.timings.get("wall_s", 99)) < 5 else 0
                serial += 1
            warmup = time.perf_counter() - t0
            first = serial
            for serial in range(first, first + count):
                t0 = time.perf_counter()
                cap = _publish_capability(vocab, rng, serial)
                if cap.status != "published":
                    raise RuntimeError(f"capability {cap.ref} is {cap.status}, not published")
                run = wait_for_run(
                    timeout=120, interval=0.005, scope="capability", target_id=cap.pk
                )
                needs = [n for c in MatchRunChunk.objects.filter(run=run) for n in c.need_ids]
                shown = NeedCurrentRun.objects.filter(need_id__in=needs, run_id=run.pk).count()
                visible.append(time.perf_counter() - t0)
                if run.status != "done" or shown != len(needs):
                    raise RuntimeError(
                        f"run {run.pk} ended {run.status}; {shown} of {len(needs)} needs current"
                    )
                entered = Match.objects.current().filter(capability_id=cap.pk).count()
                measured.append(
                    {
                        "visible_s": round(visible[-1], 4),
                        "needs_rescored": len(needs),
                        "needs_holding_it": entered,
                        "timings": {k: float(v) for k, v in run.timings.items()},
                    }
                )
        children = {pid: rss for pid, rss in sampler.peak.items() if pid != worker.pid}
    finally:
        _drop_new_capabilities()
    keys = sorted({k for m in measured for k in m["timings"]})
    return {
        "n": len(visible),
        "concurrency": concurrency,
        "warmup_s": round(warmup, 2),
        "visible_ms": {
            "p50": round(1000 * statistics.median(visible), 1),
            "p95": round(1000 * percentile(visible, 95), 1),
            "max": round(1000 * max(visible), 1),
        },
        "run_timings_median_ms": {
            k: round(1000 * statistics.median([m["timings"].get(k, 0.0) for m in measured]), 1)
            for k in keys
        },
        "peak_rss_per_process": sorted(children.values(), reverse=True),
        "peak_rss_main": sampler.peak.get(worker.pid, 0),
        "runs": measured,
    }


def run_child(args: argparse.Namespace) -> None:
    """Run one phase in this process and write its result as JSON to ``args.out``."""
    if args.child in ("workers2", "publish", "capability-publish"):
        os.environ["REDIS_URL"] = args.redis_url
        os.environ["CELERY_QUEUE"] = f"bench-matching-{os.getpid()}"
    configure(args.database_url, str(INDEX_DIR))
    from django.conf import settings

    settings.MATCHING_CHUNK_SIZE = args.chunk_size
    os.environ["MATCHING_CHUNK_SIZE"] = str(args.chunk_size)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    if args.child in ("cold", "warm", "warm-index"):
        result = phase_full(args.child)
    elif args.child == "incremental":
        result = phase_incremental(args.incremental_needs)
    elif args.child == "pairing":
        result = phase_pairing(verify=not args.no_lp)
    elif args.child == "workers2":
        result = phase_workers2(args.workers, args.timeout)
    elif args.child == "publish":
        result = phase_publish(args.incremental_needs)
    elif args.child == "capability":
        result = phase_capability(args.incremental_needs)
    elif args.child == "capability-publish":
        result = phase_capability_publish(args.incremental_needs, args.workers)
    else:
        raise SystemExit(f"unknown phase {args.child}")
    if profiler is not None:
        import pstats

        profiler.disable()
        path = RESULTS_DIR / f"profile-{args.child}.prof"
        profiler.dump_stats(path)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    result["phase"] = args.child
    result["child_s"] = round(time.perf_counter() - t0, 2)
    result["maxrss"] = maxrss_bytes()
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))


# ---------------------------------------------------------------------------------------------
# Orchestration and report
# ---------------------------------------------------------------------------------------------


def run_phase(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    out = RESULTS_DIR / f"phase-{phase}-{os.getpid()}.json"
    cmd = [
        sys.executable,
        __file__,
        "--child",
        phase,
        "--out",
        str(out),
        "--database-url",
        args.database_url,
        "--chunk-size",
        str(args.chunk_size),
        "--incremental-needs",
        str(args.incremental_needs),
        "--workers",
        str(args.workers),
        "--redis-url",
        args.redis_url,
        "--timeout",
        str(args.timeout),
    ]
    if args.no_lp:
        cmd.append("--no-lp")
    if args.profile:
        cmd.append("--profile")
    print(f"-- {phase} ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)  # noqa: S603 - this script, fixed arguments
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    print(f"   {phase} done in {time.perf_counter() - t0:.1f} s", flush=True)
    return result


def gib(value: float) -> str:
    return f"{value / GIB:.2f} GiB"


def table(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, verdict) rows."""
    rows: list[tuple[str, str, str, str]] = []

    def add(measure: str, value: float, shown: str, target: float | None, tshown: str) -> None:
        verdict = "" if target is None else ("ok" if value <= target else "OVER")
        rows.append((measure, shown, tshown, verdict))

    labels = {
        "cold": "full run, raw text (token cache empty)",
        "warm": "full run, cached tokens (index rebuilt)",
        "warm-index": "full run, cached tokens + index file reused",
    }
    targets = {"cold": 360.0, "warm": 60.0, "warm-index": 60.0}
    for name, label in labels.items():
        r = results.get(name)
        if not r:
            continue
        add(
            f"{label}: wall",
            r["wall_s"],
            f"{r['wall_s']:.1f} s",
            targets[name],
            f"≤ {targets[name]:.0f} s",
        )
        add(
            f"{label}: peak RSS",
            r["maxrss"],
            gib(r["maxrss"]),
            2 * GIB if name != "cold" else None,
            "≤ 2 GiB" if name != "cold" else "-",
        )
    inc = results.get("incremental")
    if inc:
        add(
            "incremental: top-k scoring p50",
            inc["topk_ms"]["p50"],
            f"{inc['topk_ms']['p50']:.1f} ms",
            None,
            "-",
        )
        add(
            "incremental: top-k scoring p95",
            inc["topk_ms"]["p95"],
            f"{inc['topk_ms']['p95']:.1f} ms",
            50.0,
            "≤ 50 ms",
        )
        add(
            "incremental: publish → visible p50",
            inc["run_ms"]["p50"],
            f"{inc['run_ms']['p50']:.0f} ms",
            None,
            "-",
        )
        add(
            "incremental: publish → visible p95",
            inc["run_ms"]["p95"],
            f"{inc['run_ms']['p95']:.0f} ms",
            1000.0,
            "≤ 1 s",
        )
        add("incremental: worker peak RSS", inc["maxrss"], gib(inc["maxrss"]), 2 * GIB, "≤ 2 GiB")
    pub = results.get("publish")
    if pub:
        add(
            "publish → visible, real Celery worker on Redis p50",
            pub["visible_ms"]["p50"],
            f"{pub['visible_ms']['p50']:.0f} ms",
            None,
            "-",
        )
        add(
            "publish → visible, real Celery worker on Redis p95",
            pub["visible_ms"]["p95"],
            f"{pub['visible_ms']['p95']:.0f} ms",
            1000.0,
            "≤ 1 s",
        )
    cap = results.get("capability")
    if cap and cap["runs"]:
        found = [r["affected_s"] for r in cap["runs"]]
        add(
            "new capability, inline (append + affected needs + rescoring) p50",
            cap["wall_ms"]["p50"],
            f"{cap['wall_ms']['p50']:.0f} ms",
            None,
            "-",
        )
        add(
            "new capability, inline (append + affected needs + rescoring) p95",
            cap["wall_ms"]["p95"],
            f"{cap['wall_ms']['p95']:.0f} ms",
            1000.0,
            "≤ 1 s",
        )
        add(
            "  … of which finding the affected needs: median",
            statistics.median(found),
            f"{1000 * statistics.median(found):.0f} ms",
            None,
            "-",
        )
    cp = results.get("capability-publish")
    if cp:
        add(
            f"capability publish → visible in every affected need, Celery worker "
            f"({cp['concurrency']} processes) p50",
            cp["visible_ms"]["p50"],
            f"{cp['visible_ms']['p50']:.0f} ms",
            None,
            "-",
        )
        add(
            f"capability publish → visible in every affected need, Celery worker "
            f"({cp['concurrency']} processes) p95",
            cp["visible_ms"]["p95"],
            f"{cp['visible_ms']['p95']:.0f} ms",
            1000.0,
            "≤ 1 s",
        )
        top = cp["peak_rss_per_process"][0] if cp["peak_rss_per_process"] else 0
        add("  … peak RSS of the largest worker process", top, gib(top), 2 * GIB, "≤ 2 GiB")
    pr = results.get("pairing")
    if pr:
        add(
            f"pairing alone ({pr['needs']} needs, {pr['candidates']} candidates)",
            pr["pair_s"]["median"],
            f"{pr['pair_s']['median']:.2f} s",
            10.0,
            "≤ 10 s",
        )
        if "gap" in pr:
            add(
                "pairing: LP optimum − solver total (units of 10⁻⁶ score)",
                abs(pr["gap"]),
                f"{pr['gap']}",
                0,
                "0 (optimal)",
            )
    w2 = results.get("workers2")
    if w2:
        add(
            f"full run, cached tokens, Celery {w2['concurrency']} processes: wall",
            w2["wall_s"],
            f"{w2['wall_s']:.1f} s",
            60.0,
            "≤ 60 s",
        )
        top = w2["peak_rss_per_process"][0] if w2["peak_rss_per_process"] else 0
        add("  … peak RSS of the largest worker process", top, gib(top), 2 * GIB, "≤ 2 GiB")
    return rows


def render_table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| measure | value | target | |", "|---|---:|---:|---|"]
    lines += [f"| {m} | {v} | {t} | {ok} |" for m, v, t, ok in rows]
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import psutil

    mem = psutil.virtual_memory().total
    pg = sql("SELECT version()")[0][0].split(" on ")[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem / GIB:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {pg} on the same machine"
    )


def details(results: dict[str, dict[str, Any]]) -> str:
    out = []
    for name, r in results.items():
        keep = {k: v for k, v in r.items() if k not in ("phase",)}
        out.append(f"- `{name}`: `{json.dumps(keep, ensure_ascii=False)}`")
    return "\n".join(out)


def write_docs(results: dict[str, dict[str, Any]], command: str, data: str) -> None:
    block = "\n".join(
        [
            BEGIN,
            f"Generated by `bench/benchmark_matching.py` on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} "
            "UTC.",
            "",
            f"- Machine: {machine()}.",
            f"- Data: {data}.",
            f"- Command: `{command}`",
            "",
            render_table(table(results)),
            "",
            "<details><summary>Raw numbers (seconds, bytes)</summary>",
            "",
            details(results),
            "",
            "</details>",
            END,
        ]
    )
    text = (
        DOCS.read_text(encoding="utf-8") if DOCS.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    )
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--phases", default=",".join(PHASES), help=f"from {', '.join(PHASES)}")
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--incremental-needs", type=int, default=20)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes for workers2 and capability-publish",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--no-lp", action="store_true", help="skip the LP optimality check")
    parser.add_argument("--no-docs", action="store_true", help=f"do not update {DOCS.name}")
    parser.add_argument("--profile", action="store_true", help="cProfile each phase (slower)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    INDEX_DIR.mkdir(parents=True, exist_ok=True)
    if args.child:
        run_child(args)
        return 0

    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        parser.error(f"unknown phases: {', '.join(unknown)}")
    if shutil.which("psql") is None:
        print("(psql not found; not needed)")
    results: dict[str, dict[str, Any]] = {}
    for phase in phases:
        results[phase] = run_phase(phase, args)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS_DIR / f"results-{stamp}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1)
    )
    rows = table(results)
    width = max(len(r[0]) for r in rows) if rows else 10
    print()
    for measure, value, target, verdict in rows:
        print(f"{measure:<{width}}  {value:>12}  {target:>10}  {verdict}")
    if not args.no_docs:
        configure(args.database_url, str(INDEX_DIR))
        needs = sql("SELECT count(*) FROM scenarios_scenarioneed WHERE status = 'published'")
        caps = sql("SELECT count(*) FROM scenarios_capability WHERE status = 'published'")
        firms = sql("SELECT count(*) FROM scenarios_organization WHERE kind = 'firm'")
        data = (
            f"`bench/synthetic.py` province in `{args.database_url.rsplit('/', 1)[1]}`: "
            f"{needs[0][0]:,} published needs, {caps[0][0]:,} published capabilities of "
            f"{firms[0][0]:,} verified firms"
        )
        command = "uv run python bench/benchmark_matching.py " + " ".join(argv or sys.argv[1:])
        write_docs(results, command.strip(), data)
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
