"""Benchmark the portal's public pages at province scale (a script, not a timed test).

    uv run python bench/synthetic.py                  # once: 10k needs, 100k capabilities
    uv run python bench/benchmark_portal.py           # table + docs/benchmarks.md
    uv run python bench/benchmark_portal.py --no-docs --repeat 10

Pages are requested through Django's test client in this process (the whole view: URL
routing, middleware, session, queries, templates; no network and no WSGI server), with
DEBUG off, templates cached and the cache on Redis as in production. Each list URL is
measured two ways:

``fresh``  the lists' generation is moved on before every request (``lists_changed`` after
           a publication does this), so facet counts and the home page's counts are computed
           again each time: the first visitor of a selection after the lists changed.
``warm``   the same URL again while nothing was published: counts come from the cache.

Detail pages are requested once each for ``--details`` random published needs and
capabilities. Every page's query count is recorded too.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.synthetic import DEFAULT_URL, configure  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-portal:begin -->", "<!-- bench-portal:end -->"
LIST_TARGET_MS, DETAIL_TARGET_MS = 150, 50


def list_urls() -> list[tuple[str, str]]:
    """The list pages measured: no filter, each facet, search, sorts and a deep page."""
    from reference.models import IndustryChain

    chain = IndustryChain.objects.filter(parent__isnull=False, children__isnull=True).first()
    root = IndustryChain.objects.filter(parent__isnull=True).first()
    if chain is None or root is None:
        raise SystemExit("no industry chains: run bench/synthetic.py first")
    return [
        ("home", "/"),
        ("needs", "/opportunities/"),
        ("needs: category", "/opportunities/?category=government_service"),
        ("needs: chain (root)", f"/opportunities/?chain={root.slug}"),
        ("needs: chain (track)", f"/opportunities/?chain={chain.slug}"),
        ("needs: region (city)", "/opportunities/?region=360100"),
        ("needs: budget + TRL", "/opportunities/?budget_min=50&budget_max=500&trl_min=5"),
        ("needs: search", "/opportunities/?q=%E6%A3%80%E6%B5%8B"),  # 检测
        ("needs: sort budget, page 20", "/opportunities/?sort=budget&page=20"),
        ("capabilities", "/capabilities/"),
        ("capabilities: chain (root)", f"/capabilities/?chain={root.slug}"),
        ("capabilities: chain (track)", f"/capabilities/?chain={chain.slug}"),
        ("capabilities: region (province)", "/capabilities/?region=360000"),
        ("capabilities: certification", "/capabilities/?certification=specialized_sme"),
        ("capabilities: search", "/capabilities/?q=%E6%A3%80%E6%B5%8B"),
        ("capabilities: TRL 7-9, page 50", "/capabilities/?trl_min=7&trl_max=9&page=50"),
    ]


def timed(client: Any, url: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed, len(ctx.captured_queries)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(repeat: int, details: int) -> dict[str, Any]:
    from django.test import Client

    from scenarios.facets import lists_changed
    from scenarios.models import Capability, ScenarioNeed

    client = Client()
    for _name, url in list_urls():  # reference trees and templates loaded once
        timed(client, url)
    rows: list[dict[str, Any]] = []
    fresh_all: list[float] = []
    warm_all: list[float] = []
    for name, url in list_urls():
        fresh, warm, queries = [], [], set()
        for _ in range(repeat):
            lists_changed()
            ms, n = timed(client, url)
            fresh.append(ms)
            queries.add(n)
            ms, n = timed(client, url)
            warm.append(ms)
        fresh_all += fresh
        warm_all += warm
        rows.append(
            {
                "page": name,
                "url": url,
                "fresh_p50": statistics.median(fresh),
                "fresh_p95": p95(fresh),
                "warm_p50": statistics.median(warm),
                "warm_p95": p95(warm),
                "queries": sorted(queries),
            }
        )
        print(
            f"{name:<34} fresh p95 {p95(fresh):7.1f} ms  warm p95 {p95(warm):7.1f} ms  "
            f"queries {sorted(queries)}"
        )
    rng = random.Random(7)
    need_refs = list(ScenarioNeed.objects.public().values_list("ref", flat=True))
    cap_refs = list(Capability.objects.public().values_list("ref", flat=True))
    detail_rows = []
    for label, prefix, refs in (
        ("need detail", "/opportunities/", need_refs),
        ("capability detail", "/capabilities/", cap_refs),
    ):
        times, queries = [], set()
        for ref in rng.sample(refs, min(details, len(refs))):
            ms, n = timed(client, f"{prefix}{ref}/")
            times.append(ms)
            queries.add(n)
        detail_rows.append(
            {
                "page": label,
                "n": len(times),
                "p50": statistics.median(times),
                "p95": p95(times),
                "queries": sorted(queries),
            }
        )
        print(
            f"{label:<34} p50 {statistics.median(times):6.1f} ms  p95 {p95(times):6.1f} ms  "
            f"queries {sorted(queries)}"
        )
    return {
        "lists": rows,
        "details": detail_rows,
        "fresh_p95_all": p95(fresh_all),
        "warm_p95_all": p95(warm_all),
        "counts": {
            "needs": len(need_refs),
            "capabilities": len(cap_refs),
        },
    }


def render(result: dict[str, Any], command: str) -> str:
    from bench.benchmark_matching import machine

    ok = "✅"
    lines = [
        BEGIN,
        f"Generated by `bench/benchmark_portal.py` on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {machine()}.",
        f"- Data: `bench/synthetic.py` province: {result['counts']['needs']:,} published needs, "
        f"{result['counts']['capabilities']:,} published capabilities.",
        f"- Command: `{command}`",
        "",
        "| list page | fresh p50 | fresh p95 | warm p95 | queries |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in result["lists"]:
        lines.append(
            f"| {row['page']} | {row['fresh_p50']:.0f} ms | {row['fresh_p95']:.0f} ms | "
            f"{row['warm_p95']:.0f} ms | {', '.join(map(str, row['queries']))} |"
        )
    fresh, warm = result["fresh_p95_all"], result["warm_p95_all"]
    lines += [
        "",
        f"All list requests: fresh p95 **{fresh:.0f} ms**, warm p95 **{warm:.0f} ms** "
        f"(target ≤ {LIST_TARGET_MS} ms {'' if max(fresh, warm) > LIST_TARGET_MS else ok}).",
        "",
        "| detail page | requests | p50 | p95 | queries |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in result["details"]:
        verdict = ok if row["p95"] <= DETAIL_TARGET_MS else ""
        lines.append(
            f"| {row['page']} | {row['n']} | {row['p50']:.0f} ms | {row['p95']:.0f} ms {verdict} "
            f"| {', '.join(map(str, row['queries']))} |"
        )
    lines.append(END)
    return "\n".join(lines)


def write_docs(block: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Portal pages at province scale\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--repeat", type=int, default=20, help="requests per list URL and mode")
    parser.add_argument("--details", type=int, default=100, help="detail pages of each kind")
    parser.add_argument("--no-docs", action="store_true", help=f"do not update {DOCS.name}")
    args = parser.parse_args(argv)
    os.environ["REDIS_URL"] = args.redis_url
    configure(args.database_url)
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.LISTS_WARM_COUNTS = False  # "fresh" is measured by moving the generation here
    call_command("migrate", verbosity=0)
    cache.clear()
    result = measure(args.repeat, args.details)
    if not args.no_docs:
        command = "uv run python bench/benchmark_portal.py " + " ".join(argv or sys.argv[1:])
        write_docs(render(result, command.strip()))
        print(f"updated {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
