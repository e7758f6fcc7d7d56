"""Benchmark the public API's lists, details and search at province scale (a script, not a
timed test).

    uv run python bench/synthetic.py                 # once: 10k needs, 100k capabilities
    uv run python bench/benchmark_lists.py           # table + docs/benchmarks.md
    uv run python bench/benchmark_lists.py --no-docs --requests 60 --clients 2

gunicorn (``config.settings.production``, sync workers) serves the ``bench/synthetic.py``
database on 127.0.0.1; this process sends bounded loops of HTTP requests to it over
keep-alive connections (``--clients`` threads at once) and stops by itself. Each case is a
set of URLs (several pages, ids or words, so no single row is measured alone) requested
``--requests`` times after a warm-up; its latencies give p50/p95/p99 and its wall time the
throughput. Cases run twice:

``warm``   nothing changed since the previous request of the same URL: a list's count may
           come from the cache (as for every visitor after the first, until a write).
``fresh``  one row of the listed table, drawn at random, is written before every request
           (a committed save: the signals' after-commit work, as a publication or an edit
           does): the first visitor of a selection after a write.
``cold``   every cached count is made stale before every request (the lists' generation
           and the epoch move on, as after a bulk import or a firm's new name): the first
           visitor of a selection ever.

The anonymous rate limit is raised for the server (every request comes from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.synthetic import DEFAULT_URL, configure  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-lists:begin -->", "<!-- bench-lists:end -->"
LIST_TARGET_MS, SEARCH_TARGET_MS = 50, 100
OUT = ROOT / "var" / "bench-lists"
BIN = Path(sys.executable).parent
NEEDS, CAPS = "/api/v1/public/needs/", "/api/v1/public/capabilities/"


def q(path: str, **params: Any) -> str:
    return f"{path}?{urllib.parse.urlencode(params, doseq=True)}" if params else path


def cases(rng: random.Random) -> list[dict[str, Any]]:
    """What is measured: every public list with each filter and ordering it offers, deep
    pages, details, and searches (common, rare, two words, a ref, a firm's name, Latin,
    one character, relevance ordering)."""
    from django.db.models import Count

    from accounts.models import Organization
    from reference.models import IndustryChain
    from scenarios.models import Capability, ScenarioNeed

    need_ids = list(ScenarioNeed.objects.public().values_list("pk", flat=True))
    cap_ids = list(Capability.objects.public().values_list("pk", flat=True))
    if not need_ids or not cap_ids:
        raise SystemExit("no published rows: run bench/synthetic.py first")
    root = IndustryChain.objects.filter(parent__isnull=True).first()
    track = (
        IndustryChain.objects.filter(children__isnull=True)
        .annotate(n=Count("capabilities"))
        .order_by("-n")
        .first()
    )
    firms = list(
        Organization.objects.filter(capabilities__isnull=False)
        .values_list("pk", "name")
        .distinct()[:200]
    )
    cap_refs = list(Capability.objects.public().values_list("ref", flat=True)[:500])
    need_refs = list(ScenarioNeed.objects.public().values_list("ref", flat=True)[:500])
    if root is None or track is None:
        raise SystemExit("no industry chains: run bench/synthetic.py first")
    pages_n = max(1, len(need_ids) // 20)
    pages_c = max(1, len(cap_ids) // 20)
    firm_ids = [f[0] for f in firms]
    firm_words = [f[1][-4:] for f in firms]
    rare = ["鄱阳湖湿地", "氢能核聚变", "一体化碳纤维", "光模块", "超材料"]
    two = ["机器人 检测", "电池 储能", "无人机 巡检", "智能 平台"]
    return [
        # lists
        {"name": "needs", "kind": "list", "urls": [NEEDS]},
        {
            "name": "needs: page 2–50",
            "kind": "list",
            "urls": [q(NEEDS, page=p) for p in range(2, 51)],
        },
        {
            "name": "needs: deep pages (≥ 400)",
            "kind": "list",
            "urls": [q(NEEDS, page=p) for p in range(pages_n - 100, pages_n + 1)]
            + [q(NEEDS, page="last")],
        },
        {
            "name": "needs: category",
            "kind": "list",
            "urls": [
                q(NEEDS, category=c) for c in ("government_service", "new_track", "livelihood")
            ],
        },
        {"name": "needs: chain (root)", "kind": "list", "urls": [q(NEEDS, chain=root.slug)]},
        {
            "name": "needs: region (city)",
            "kind": "list",
            "urls": [q(NEEDS, region=r) for r in ("360100", "360700", "361100")],
        },
        {
            "name": "needs: budget + TRL",
            "kind": "list",
            "urls": [q(NEEDS, budget_min=500000, budget_max=5000000, trl_min=5)],
        },
        {
            "name": "needs: high value, major",
            "kind": "list",
            "urls": [q(NEEDS, high_value="true"), q(NEEDS, is_major="true")],
        },
        {
            "name": "needs: agency",
            "kind": "list",
            "urls": [
                q(NEEDS, agency=a)
                for a in ScenarioNeed.objects.public()
                .values_list("agency_id", flat=True)
                .distinct()[:20]
            ],
        },
        {
            "name": "needs: orderings",
            "kind": "list",
            "urls": [
                q(NEEDS, ordering=o, page=p)
                for o in (
                    "-budget_cny",
                    "deadline",
                    "min_trl",
                    "-value_score",
                    "created_at",
                    "-updated_at",
                    "id",
                )
                for p in (1, 5)
            ],
        },
        {"name": "capabilities", "kind": "list", "urls": [CAPS]},
        {
            "name": "capabilities: page 2–50",
            "kind": "list",
            "urls": [q(CAPS, page=p) for p in range(2, 51)],
        },
        {
            "name": "capabilities: deep pages (≥ 4,900)",
            "kind": "list",
            "urls": [q(CAPS, page=p) for p in range(pages_c - 100, pages_c + 1)]
            + [q(CAPS, page="last")],
        },
        {
            "name": "capabilities: chain (root, track)",
            "kind": "list",
            "urls": [q(CAPS, chain=root.slug), q(CAPS, chain=track.slug)],
        },
        {
            "name": "capabilities: region",
            "kind": "list",
            "urls": [q(CAPS, region=r) for r in ("360000", "360100", "440000")],
        },
        {
            "name": "capabilities: certification, TRL",
            "kind": "list",
            "urls": [
                q(CAPS, certification="high_tech"),
                q(CAPS, trl_min=7, trl_max=9),
                q(CAPS, certification="first_of_kind", trl_min=5),
            ],
        },
        {
            "name": "capabilities: firm",
            "kind": "list",
            "urls": [q(CAPS, firm=f) for f in firm_ids[:50]],
        },
        {
            "name": "capabilities: orderings",
            "kind": "list",
            "urls": [
                q(CAPS, ordering=o, page=p)
                for o in (
                    "-trl",
                    "-capacity",
                    "published_at",
                    "created_at",
                    "-updated_at",
                    "id",
                    "trl",
                )
                for p in (1, 5)
            ],
        },
        # details
        {
            "name": "need detail",
            "kind": "detail",
            "urls": [f"{NEEDS}{i}/" for i in rng.sample(need_ids, 100)],
        },
        {
            "name": "capability detail",
            "kind": "detail",
            "urls": [f"{CAPS}{i}/" for i in rng.sample(cap_ids, 100)],
        },
        # search
        {
            "name": "search needs: 机器人, 检测",
            "kind": "search",
            "urls": [q(NEEDS, search=w) for w in ("机器人", "检测")],
        },
        {
            "name": "search capabilities: 机器人, 检测",
            "kind": "search",
            "urls": [q(CAPS, search=w) for w in ("机器人", "检测")],
        },
        {
            "name": "search capabilities: common word, page 20",
            "kind": "search",
            "urls": [q(CAPS, search="检测", page=20), q(CAPS, search="机器人", page=20)],
        },
        {
            "name": "search capabilities: rare words",
            "kind": "search",
            "urls": [q(CAPS, search=w) for w in rare],
        },
        {
            "name": "search capabilities: two words",
            "kind": "search",
            "urls": [q(CAPS, search=w) for w in two],
        },
        {
            "name": "search capabilities: word + filters",
            "kind": "search",
            "urls": [
                q(CAPS, search="检测", region="360100", trl_min=6),
                q(CAPS, search="电池", chain=root.slug),
            ],
        },
        {
            "name": "search capabilities: ref",
            "kind": "search",
            "urls": [q(CAPS, search=r) for r in rng.sample(cap_refs, 20)],
        },
        {
            "name": "search capabilities: firm name",
            "kind": "search",
            "urls": [q(CAPS, search=w) for w in firm_words[:20]],
        },
        {
            "name": "search capabilities: Latin, digits",
            "kind": "search",
            "urls": [q(CAPS, search=w) for w in ("saas", "AI", "5G", "30%", "200")],
        },
        {
            "name": "search capabilities: one character",
            "kind": "search",
            "urls": [q(CAPS, search=w) for w in ("智", "鄱", "氢")],
        },
        {
            "name": "search needs: rare, two words, ref",
            "kind": "search",
            "urls": [q(NEEDS, search=w) for w in rare[:3] + two[:2] + need_refs[:5]],
        },
        {
            "name": "search capabilities: 检测, by relevance",
            "kind": "relevance",
            "urls": [q(CAPS, search="检测", ordering="-relevance")],
        },
        {
            "name": "search capabilities: rare / two words, by relevance",
            "kind": "relevance",
            "urls": [q(CAPS, search=w, ordering="-relevance") for w in rare[:3] + two[:2]],
        },
        {
            "name": "search needs: 机器人, by relevance",
            "kind": "relevance",
            "urls": [q(NEEDS, search="机器人", ordering="-relevance")],
        },
    ]


# ---------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 32,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "THROTTLE_ANON": "1000000/min",
            "LISTS_WARM_COUNTS": "false",  # no worker here: counts are the request's own
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@contextlib.contextmanager
def serving(args: argparse.Namespace) -> Iterator[tuple[str, int]]:
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(OUT / "gunicorn.log", "w", encoding="utf-8")  # noqa: SIM115
    web = subprocess.Popen(  # noqa: S603 - gunicorn of this project, fixed arguments
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=server_env(args),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if web.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {OUT / 'gunicorn.log'}")
            with contextlib.suppress(OSError):
                status, _ = get(http.client.HTTPConnection("127.0.0.1", args.port), "/healthz")
                if status == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer within 60 s")
            time.sleep(0.5)
        yield "127.0.0.1", args.port
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait()
        log.close()


def get(conn: http.client.HTTPConnection, url: str) -> tuple[int, bytes]:
    conn.request("GET", url, headers={"Accept": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def bump(url: str, rng: random.Random) -> None:
    """Write one row of the table ``url`` lists, drawn at random, as an edit does: a
    committed save, whose signals make the counts of its segment stale."""
    from scenarios.models import Capability, ScenarioNeed

    model = ScenarioNeed if url.startswith(NEEDS) else Capability
    ids = ROW_IDS.get(model)
    if ids is None:
        ids = ROW_IDS[model] = list(model.objects.public().values_list("pk", flat=True))
    row = model.objects.get(pk=rng.choice(ids))
    row.save(update_fields=["updated_at"])


ROW_IDS: dict[Any, list[int]] = {}


def bump_all() -> None:
    """Make every cached count stale, as a bulk import does (generation and epoch)."""
    from django.core.cache import cache

    from scenarios.facets import EPOCH_KEY, GENERATION_KEY

    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    cache.set(EPOCH_KEY, uuid.uuid4().hex, None)


def run_case(
    host: tuple[str, int], urls: list[str], n: int, clients: int, *, mode: str
) -> dict[str, Any]:
    """``n`` requests over ``urls`` (round robin) from ``clients`` threads; latencies in ms."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(n))
    rng = random.Random(7)

    def worker() -> None:
        conn = http.client.HTTPConnection(*host, timeout=30)
        for url in urls[:2]:  # warm-up of the connection and the worker
            get(conn, url)
        while True:
            with lock:
                i = next(counter, None)
                if i is None:
                    break
                url = urls[i % len(urls)]
                if mode == "fresh":
                    bump(url, rng)
                elif mode == "cold":
                    bump_all()
            start = time.perf_counter()
            status, body = get(conn, url)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(f"{status} {url}: {body[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall
    latencies.sort()
    qs = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "n": len(latencies),
        "p50": statistics.median(latencies),
        "p95": qs[94],
        "p99": qs[98],
        "rps": len(latencies) / wall,
        "errors": errors[:5],
        "error_count": len(errors),
    }


def target(kind: str) -> int:
    return SEARCH_TARGET_MS if kind in ("search", "relevance") else LIST_TARGET_MS


def render(results: list[dict[str, Any]], args: argparse.Namespace, counts: dict[str, int]) -> str:
    from bench.benchmark_matching import machine

    lines = [
        BEGIN,
        f"Generated by `bench/benchmark_lists.py` on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {machine()}; gunicorn, PostgreSQL, Redis and this script share it.",
        f"- Data: `bench/synthetic.py` province: {counts['needs']:,} published needs, "
        f"{counts['capabilities']:,} published capabilities.",
        f"- Server: gunicorn `config.settings.production`, {args.workers} sync workers, "
        f"127.0.0.1; {args.clients} client threads with keep-alive; {args.requests} requests "
        "per case and mode after a warm-up.",
        f"- Command: `uv run python bench/benchmark_lists.py --requests {args.requests} "
        f"--clients {args.clients} --workers {args.workers}`",
        "",
        "| case | URLs | warm p50 | warm p95 | warm p99 | warm req/s | fresh p50 | fresh p95 "
        "| fresh p99 | cold p50 | cold p95 | target p95 (warm, fresh) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        w, f, c = r["warm"], r["fresh"], r["cold"]
        limit = target(r["kind"])
        mark = "✅" if max(w["p95"], f["p95"]) <= limit else "❌"
        lines.append(
            f"| {r['name']} | {r['urls']} | {w['p50']:.0f} ms | {w['p95']:.0f} ms | "
            f"{w['p99']:.0f} ms | {w['rps']:.0f} | {f['p50']:.0f} ms | {f['p95']:.0f} ms | "
            f"{f['p99']:.0f} ms | {c['p50']:.0f} ms | {c['p95']:.0f} ms | ≤ {limit} ms {mark} |"
        )
    failed = sum(r[m]["error_count"] for r in results for m in ("warm", "fresh", "cold"))
    lines += ["", f"Requests that did not answer 200: {failed}.", END]
    return "\n".join(lines)


def write_docs(block: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Public API lists and search\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--only", default="", help="run cases whose name contains this")
    parser.add_argument("--modes", default="warm,fresh,cold")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)

    os.environ["REDIS_URL"] = args.redis_url
    configure(args.database_url)
    from scenarios.models import Capability, ScenarioNeed

    counts = {
        "needs": ScenarioNeed.objects.public().count(),
        "capabilities": Capability.objects.public().count(),
    }
    selected = [c for c in cases(random.Random(2026)) if args.only in c["name"]]
    modes = args.modes.split(",")
    results = []
    with serving(args) as host:
        for case in selected:
            row: dict[str, Any] = {
                "name": case["name"],
                "kind": case["kind"],
                "urls": len(case["urls"]),
            }
            for mode in modes:
                row[mode] = run_case(host, case["urls"], args.requests, args.clients, mode=mode)
            results.append(row)
            summary = "  ".join(
                f"{m} p50 {row[m]['p50']:.0f} p95 {row[m]['p95']:.0f} p99 {row[m]['p99']:.0f} "
                f"rps {row[m]['rps']:.0f} err {row[m]['error_count']}"
                for m in modes
            )
            print(f"{case['name']:<55} {summary}", flush=True)
            for m in modes:
                for e in row[m]["errors"][:1]:
                    print("   ", e)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.no_docs and modes == ["warm", "fresh", "cold"]:
        write_docs(render(results, args, counts))
    failed = any(r[m]["error_count"] for r in results for m in modes)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
