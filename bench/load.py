"""Load test of the API: locust against gunicorn on loopback, on the synthetic province.

    uv run python bench/load.py                  # prepare, the runs below, docs/benchmarks.md
    uv run python bench/load.py --runs read:20 --duration 60s --no-docs

One command, in steps (issue 12, deliverable 4):

1. *Prepare* (idempotent): the ``bench/synthetic.py`` province in its own database (default
   ``scenario_load``: the write mix adds needs and answers, so the matching benchmark's
   ``scenario_bench`` stays as it is), a full match run when no need has current matches
   (``manage.py match --full`` in this process), and, through the services, the people of
   the test with API tokens: agency editors of agencies with published needs, firm editors
   of firms with recommendations, one member per committee, writer slots (an agency in a
   county of each city with its county and city committees; firms to answer), and a few
   hundred submitted needs so that review queues are not empty. The ids, tokens and search
   words go to ``var/load/fixture.json`` for ``bench/locustfile.py``.
2. *Serve*: a Celery worker (one process: matching after a need is published, list counts)
   and gunicorn (``config.settings.production``, ``2 × cores + 1`` sync workers) on
   127.0.0.1, with the rate limits raised through ``THROTTLE_ANON`` / ``THROTTLE_USER``:
   every simulated user comes from 127.0.0.1, which the anonymous limit (per address)
   would otherwise stop after 120 requests a minute.
3. *Load*: per run of ``--runs`` (``MIX:USERS``; default ``read:20,read:40,write:24``) a
   short warm-up, then ``locust --headless -u USERS -r R -t D --csv``: the ``read`` mix
   (public lists, search, need detail, recommendations as agency and as firm, review
   queues) or the ``write`` mix (the same readers plus writers: create, submit, county and
   city approval, firms' answers). Before each run the worker's queue is drained and the
   tables analysed; after it, what is still queued is reported.
4. *Report*: each mix's CSV stats as a table (requests, failures, error rate, p50/p95/p99,
   req/s per endpoint) in the "Load (locust)" section of ``docs/benchmarks.md``, replaced
   on every run, with the machine, ``uptime`` before each run, data size and the command.

The exit status is 1 when any request failed (the table still says which).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.synthetic import REF_PREFIX, configure  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/scenario_load"
OUT = ROOT / "var" / "load"
FIXTURE = OUT / "fixture.json"
INDEX_DIR = OUT / "matching"
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench-load:begin -->", "<!-- bench-load:end -->"
BIN = Path(sys.executable).parent
USER_PREFIX = "load-"
QUEUE_REF = "LOAD-Q-"
RAISED_RATE = "1000000/min"
QUEUE = "load-test"  # the Celery queue of this test's worker (in its own Redis database)

# People of the test.
AGENCY_READERS = 100
FIRM_READERS = 200
RESPONDER_SLOTS = 20
QUEUE_AGENCIES, QUEUE_NEEDS_EACH = 60, 4


# ---------------------------------------------------------------------------------------------
# Prepare
# ---------------------------------------------------------------------------------------------


def prepare(database_url: str) -> dict[str, Any]:
    """The province, its matches, the people of the test and the fixture (idempotent)."""
    # Preparing runs tasks inline (the full run, resumed runs), never on a broker that the
    # caller's environment may name, whose workers would be someone else's.
    os.environ["REDIS_URL"] = ""
    subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(ROOT / "bench" / "synthetic.py"), "--database-url", database_url],
        check=True,
    )
    configure(database_url, index_dir=str(INDEX_DIR))
    from matching.models import NeedCurrentRun

    if not NeedCurrentRun.objects.exists():
        from django.core.management import call_command

        print("no current matches: running manage.py match --full (about 90 s) ...", flush=True)
        call_command("match", "--full")
    data = people()
    # What the beat does every ten minutes in a deployment (this test starts no beat): runs
    # an interrupted test left pending or running are finished, here in this process.
    from matching.services.runs import match_runs_resume_stalled

    match_runs_resume_stalled()
    # Planner statistics after the bulk load and the run (the shared server here runs with
    # autovacuum off): a firm's recommendations took 240 ms instead of 2 ms with the
    # statistics of an empty run table.
    sql("VACUUM ANALYZE")
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return data


def sql(query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return list(cursor.fetchall()) if cursor.description else []


def _account(name: str, organization: Any, role: str) -> str:
    """A user holding ``role`` in ``organization`` (created through the services); its token."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from accounts.services.organizations import membership_grant
    from accounts.services.users import user_create

    user = User.objects.filter(username=name).first()
    if user is None:
        # No password anyone could sign in with: the test uses API tokens.
        user = user_create(
            username=name, password="", validate=False, encoded_password=make_password(None)
        )
    membership_grant(actor=None, user=user, organization=organization, role=role)
    token, _created = Token.objects.get_or_create(user=user)
    return str(token.key)


def _words(table: str, rng: random.Random, n: int) -> list[str]:
    """Keywords of the data that a visitor would type: frequent but not everywhere."""
    rows = sql(
        f"SELECT k, COUNT(*) FROM {table}, jsonb_array_elements_text(keywords) AS k "  # noqa: S608
        "WHERE ref LIKE %s GROUP BY k HAVING COUNT(*) >= 20 ORDER BY 2 DESC, 1",
        [REF_PREFIX + "%"],
    )
    words = [w for w, _count in rows if 2 <= len(w) <= 6]
    return sorted(rng.sample(words, min(n, len(words))))


def people() -> dict[str, Any]:
    """Create (or find) the people of the test; return the fixture for the locustfile."""
    from django.db import transaction

    from accounts.choices import Role
    from accounts.models import Committee, Organization
    from reference.models import IndustryChain, Region
    from scenarios.services.needs import need_create, need_submit

    rng = random.Random(12)
    province = Region.objects.get(code="360000")
    cities = sorted(Region.objects.filter(parent=province).values_list("code", flat=True))
    published = {"status": "published", "ref__startswith": REF_PREFIX}
    from scenarios.models import ScenarioNeed

    need_ids = sorted(ScenarioNeed.objects.filter(**published).values_list("id", flat=True))
    templates = []
    for need in (
        ScenarioNeed.objects.filter(pk__in=rng.sample(need_ids, 200))
        .prefetch_related("chains")
        .order_by("pk")
    ):
        templates.append(
            {
                "title": need.title,
                "description": need.description,
                "category": need.category,
                "chains": [c.slug for c in need.chains.all()],
                "keywords": need.keywords,
                "validation_type": need.validation_type,
                "min_trl": need.min_trl,
            }
        )

    # Agencies with published needs that have current recommendations (all do after a run).
    agency_rows = sql(
        "SELECT n.agency_id, array_agg(n.id ORDER BY n.id) FROM scenarios_scenarioneed n "
        "JOIN matching_needcurrentrun p ON p.need_id = n.id "
        "WHERE n.status = 'published' AND n.ref LIKE %s GROUP BY n.agency_id ORDER BY 1",
        [REF_PREFIX + "%"],
    )
    agency_rows = rng.sample(agency_rows, AGENCY_READERS)
    orgs = Organization.objects.select_related("region").in_bulk(
        [a for a, _ in agency_rows], field_name="pk"
    )
    agencies = [
        {
            "id": org_id,
            "token": _account(f"{USER_PREFIX}agency-{org_id}", orgs[org_id], Role.AGENCY_EDITOR),
            "need_ids": ids[:20],
        }
        for org_id, ids in agency_rows
    ]

    # Firms with recommended, current matches on published needs.
    firm_rows = sql(
        "SELECT c.firm_id, array_agg(m.id ORDER BY m.id) FROM matching_match m "
        "JOIN matching_needcurrentrun p ON p.need_id = m.need_id AND p.run_id = m.run_id "
        "JOIN scenarios_capability c ON c.id = m.capability_id "
        "JOIN scenarios_scenarioneed n ON n.id = m.need_id "
        "WHERE m.recommended AND n.status = 'published' AND n.ref LIKE %s "
        "GROUP BY c.firm_id ORDER BY 1",
        [REF_PREFIX + "%"],
    )
    firm_rows = rng.sample(firm_rows, FIRM_READERS)
    orgs = Organization.objects.in_bulk([f for f, _ in firm_rows], field_name="pk")
    firms = []
    for org_id, match_ids in firm_rows:
        token = _account(f"{USER_PREFIX}firm-{org_id}", orgs[org_id], Role.FIRM_EDITOR)
        firms.append({"id": org_id, "token": token, "match_ids": match_ids[:20]})

    committees = {
        c.region_id: c
        for c in Committee.objects.select_related("organization", "region").order_by("region_id")
    }
    committee_tokens = {
        code: _account(f"{USER_PREFIX}committee-{code}", c.organization, Role.COMMITTEE_MEMBER)
        for code, c in committees.items()
    }

    # Review pipelines: per city, an agency of one of its counties (not a reader agency).
    readers = {a["id"] for a in agencies}
    pipelines = []
    for city in cities:
        candidates = list(
            Organization.objects.filter(
                kind="agency", region__parent_id=city, region__level="county"
            )
            .exclude(pk__in=readers)
            .select_related("region")
            .order_by("pk")
        )
        if not candidates:
            continue
        org = rng.choice(candidates)
        pipelines.append(
            {
                "agency_id": org.pk,
                "agency_token": _account(f"{USER_PREFIX}writer-{org.pk}", org, Role.AGENCY_EDITOR),
                "region": org.region_id,
                "county_token": committee_tokens[org.region_id],
                "city_token": committee_tokens[city],
            }
        )

    # Needs waiting in county and city queues, submitted through the services (once).
    queued_regions: set[str] = set()
    if not ScenarioNeed.objects.filter(ref__startswith=QUEUE_REF).exists():
        from django.contrib.auth.models import User

        agency_orgs = Organization.objects.select_related("region").in_bulk(
            [a["id"] for a in agencies]
        )
        n = 0
        with transaction.atomic():
            for agency in agencies[:QUEUE_AGENCIES]:
                org = agency_orgs[agency["id"]]
                actor = User.objects.get(username=f"{USER_PREFIX}agency-{org.pk}")
                for _ in range(QUEUE_NEEDS_EACH):
                    t = templates[n % len(templates)]
                    n += 1
                    need = need_create(
                        actor=actor,
                        agency=org,
                        ref=f"{QUEUE_REF}{n:05d}",
                        title=t["title"],
                        description=t["description"],
                        category=t["category"],
                        chains=t["chains"],
                        keywords=t["keywords"],
                        validation_type=t["validation_type"],
                        min_trl=t["min_trl"],
                        budget_cny=500_000,
                        deadline=datetime.now(tz=UTC).date() + timedelta(days=180),
                    )
                    need_submit(actor=actor, need=need)
    queued_regions = {
        code
        for (code,) in sql(
            "SELECT DISTINCT c.region_id FROM scenarios_review r "
            "JOIN scenarios_committee c ON c.id = r.committee_id WHERE r.decision = 'pending'"
        )
    }
    reading_committees = sorted(queued_regions | set(cities) | {"360000"})
    return {
        "generated": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "cities": cities,
        "chains": sorted(IndustryChain.objects.values_list("slug", flat=True)),
        "need_ids": sorted(rng.sample(need_ids, 2000)),
        "need_words": _words("scenarios_scenarioneed", rng, 30),
        "capability_words": _words("scenarios_capability", rng, 30),
        "need_templates": templates,
        "agencies": agencies,
        "firms": firms,
        "committees": [
            {"region": code, "token": committee_tokens[code]} for code in reading_committees
        ],
        "pipelines": pipelines,
        "responders": [{"firm_id": f["id"], **f} for f in firms[:RESPONDER_SLOTS]],
    }


def data_size() -> dict[str, int]:
    """Rows the test runs against (published lists, current recommendations)."""
    (needs, capabilities, recommended, people_count, queued) = sql(
        "SELECT (SELECT COUNT(*) FROM scenarios_scenarioneed WHERE status = 'published'), "
        "(SELECT COUNT(*) FROM scenarios_capability WHERE status = 'published'), "
        "(SELECT COUNT(*) FROM matching_match m JOIN matching_needcurrentrun p "
        " ON p.need_id = m.need_id AND p.run_id = m.run_id WHERE m.recommended), "
        "(SELECT COUNT(*) FROM auth_user WHERE username LIKE %s), "
        "(SELECT COUNT(*) FROM scenarios_review WHERE decision = 'pending')",
        [USER_PREFIX + "%"],
    )[0]
    return {
        "needs": needs,
        "capabilities": capabilities,
        "recommended": recommended,
        "accounts": people_count,
        "queued": queued,
    }


# ---------------------------------------------------------------------------------------------
# Serve
# ---------------------------------------------------------------------------------------------


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "load-test-only-not-a-secret-" + "x" * 32,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no proxy in front
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CELERY_QUEUE": QUEUE,
            "MATCHING_INDEX_DIR": str(INDEX_DIR),
            "THROTTLE_ANON": RAISED_RATE,
            "THROTTLE_USER": RAISED_RATE,
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@contextlib.contextmanager
def serving(args: argparse.Namespace) -> Iterator[str]:
    """A Celery worker and gunicorn on 127.0.0.1 for the duration of the block."""
    env = server_env(args)
    OUT.mkdir(parents=True, exist_ok=True)
    names = ("worker.log", "gunicorn.log")
    logs = [open(OUT / name, "w", encoding="utf-8") for name in names]  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [str(BIN / "celery"), "-A", "config", "worker", "--concurrency=1", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
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
        env=env,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    host = f"http://127.0.0.1:{args.port}"
    try:
        wait_healthy(host, web)
        yield host
    finally:
        # SIGTERM to the main processes only: a warm shutdown lets the worker finish its task
        # (signalling the whole group would kill the pool child in the middle of it).
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (web, worker):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in logs:
            log.close()


def wait_healthy(host: str, web: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise SystemExit(f"gunicorn exited ({web.returncode}): see {OUT / 'gunicorn.log'}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{host}/healthz", timeout=2) as response,  # noqa: S310
        ):
            body = json.loads(response.read())
            if body.get("broker") == "ok" and body.get("database") == "ok":
                return
        time.sleep(0.5)
    raise SystemExit(f"{host}/healthz did not answer ok within 60 s")


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

MIXES = {
    "read": ("PublicReader", "AgencyReader", "FirmReader", "CommitteeReader"),
    "write": (
        "PublicReader",
        "AgencyReader",
        "FirmReader",
        "CommitteeReader",
        "ReviewPipeline",
        "FirmResponder",
    ),
}


def locust_command(
    args: argparse.Namespace, host: str, mix: str, users: int, duration: str, prefix: Path
) -> list[str]:
    return [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(args.spawn_rate),
        "-t",
        duration,
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
        *MIXES[mix],
    ]


def run_locust(
    args: argparse.Namespace, host: str, mix: str, users: int, *, warmup: bool = False
) -> tuple[int, Path]:
    duration = args.warmup if warmup else args.duration
    prefix = OUT / f"{'warmup-' if warmup else ''}{mix}-{users}"
    env = dict(os.environ)
    env.update(
        {
            "LOAD_FIXTURE": str(FIXTURE),
            "LOAD_PIPELINES": str(args.pipelines if mix == "write" else 0),
            "LOAD_RESPONDERS": str(args.responders if mix == "write" else 0),
        }
    )
    command = locust_command(args, host, mix, users, duration, prefix)
    print(("warm-up: " if warmup else "") + " ".join(command), flush=True)
    with open(f"{prefix}.log", "w", encoding="utf-8") as log:
        proc = subprocess.run(  # noqa: S603 - locust of this project, fixed arguments
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return proc.returncode, prefix


def read_stats(prefix: Path) -> list[dict[str, Any]]:
    """Locust's ``<prefix>_stats.csv``: one row per request name, then ``Aggregated``."""
    with open(f"{prefix}_stats.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))

    def number(value: str) -> float | None:
        return None if value in ("", "N/A") else float(value)

    out = []
    for row in rows:
        requests = int(row["Request Count"])
        failures = int(row["Failure Count"])
        out.append(
            {
                "name": row["Name"],
                "requests": requests,
                "failures": failures,
                "error_rate": failures / requests if requests else 0.0,
                "p50": number(row["50%"]),
                "p95": number(row["95%"]),
                "p99": number(row["99%"]),
                "rps": float(row["Requests/s"]),
            }
        )
    return out


def read_failures(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def backlog(redis_url: str) -> int:
    """Tasks waiting in the load test's Celery queue."""
    import redis

    return int(redis.Redis.from_url(redis_url).llen(QUEUE))


def drain(redis_url: str, timeout: float = 300) -> tuple[int, float]:
    """Wait until the worker has taken every waiting task; (tasks at the start, seconds)."""
    start, t0 = backlog(redis_url), time.monotonic()
    while backlog(redis_url) and time.monotonic() - t0 < timeout:
        time.sleep(1)
    return start, time.monotonic() - t0


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def uptime() -> str:
    load = os.getloadavg()
    return f"load average {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} (1, 5, 15 min)"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def render(
    runs: list[dict[str, Any]], args: argparse.Namespace, command: str, idle_load: str
) -> str:
    from bench.benchmark_matching import machine

    size = runs[0]["data"]
    lines = [
        BEGIN,
        f"Generated by `bench/load.py` on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine()}; gunicorn, its PostgreSQL, the Celery worker and locust "
        "all on it (loopback), shared with other engineers' test runs. Before the servers "
        f"started (other people's work only): {idle_load}.",
        f"- Data: `bench/synthetic.py` province in `{args.database_url.rsplit('/', 1)[1]}`: "
        f"{size['needs']:,} published needs, {size['capabilities']:,} published "
        f"capabilities, {size['recommended']:,} current recommendations "
        f"(`manage.py match --full`), {size['accounts']} test accounts with API tokens, "
        f"{size['queued']} needs waiting in review queues (before the first run).",
        f"- Server: gunicorn `config.settings.production`, {args.workers} sync workers; one "
        "Celery worker process on Redis (matching of published needs, list counts); "
        f"`THROTTLE_ANON` and `THROTTLE_USER` raised to `{RAISED_RATE}` for the run (all "
        "simulated users share 127.0.0.1; the default 120/min anonymous limit per address "
        "would answer 429 after two seconds).",
        f"- Locust {locust_version()} (`FastHttpUser`), spawn rate {args.spawn_rate}/s, "
        "each user pauses 0.5–2 s between requests (writers also between the steps of a "
        f"pipeline); the write mix has {args.pipelines} `ReviewPipeline` and "
        f"{args.responders} `FirmResponder` users among its users. A {args.warmup} warm-up "
        "before each measured run is not counted. Locust rounds times over 100 ms to two "
        "significant digits. CPU busy is the whole machine's, during the run.",
        "",
        "| run | users | requests | failures | req/s | p50 ms | p95 ms | p99 ms | CPU busy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        total = next(r for r in run["stats"] if r["name"] == "Aggregated")
        lines.append(
            f"| {run['mix']} | {run['users']} | {total['requests']:,} | {total['failures']} | "
            f"{total['rps']:.1f} | {_ms(total['p50'])} | {_ms(total['p95'])} | "
            f"{_ms(total['p99'])} | {run['cpu_busy']:.0%} |"
        )
    lines.append("")
    for run in runs:
        lines += [
            f"**{run['mix']} mix, {run['users']} users** ({', '.join(run['classes'])}), "
            f"{run['duration']}. Load before the run: {run['uptime_before']}; after: "
            f"{run['uptime_after']}. Celery tasks still queued at the end: {run['backlog']}"
            + (f" (all taken {run['drained_s']:.0f} s later)" if run["backlog"] else "")
            + ".",
            "",
            "| endpoint | requests | failures | error rate | p50 ms | p95 ms | p99 ms | req/s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        # Readers first, then writers (names start with the method), the total last.
        stats = sorted(run["stats"], key=lambda r: (r["name"] == "Aggregated", r["name"]))
        for r in stats:
            name = "**all**" if r["name"] == "Aggregated" else f"`{r['name']}`"
            lines.append(
                f"| {name} | {r['requests']:,} | {r['failures']} | {r['error_rate']:.2%} | "
                f"{_ms(r['p50'])} | {_ms(r['p95'])} | {_ms(r['p99'])} | {r['rps']:.1f} |"
            )
        if run["failures"]:
            lines += ["", "Failures:", ""]
            for f in run["failures"]:
                lines.append(f"- {f['Occurrences']} × `{f['Name']}`: {f['Error'][:200]}")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def write_docs(block: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Load (locust)\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8413)
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers")
    parser.add_argument(
        "--runs",
        default="read:20,read:40,write:24",
        help="comma-separated MIX:USERS, run in order (mixes: read, write)",
    )
    parser.add_argument("--pipelines", type=int, default=3, help="ReviewPipeline users (write)")
    parser.add_argument("--responders", type=int, default=3, help="FirmResponder users (write)")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", default="3m", help="measured time per mix")
    parser.add_argument("--warmup", default="20s", help="unmeasured time before each mix")
    parser.add_argument("--no-docs", action="store_true", help=f"do not update {DOCS.name}")
    args = parser.parse_args(argv)
    plan: list[tuple[str, int]] = []
    for item in filter(None, args.runs.split(",")):
        mix, _, users = item.partition(":")
        if mix not in MIXES or not users.isdigit() or int(users) < 1:
            parser.error(f"--runs: {item!r} is not MIX:USERS with a mix of {', '.join(MIXES)}")
        plan.append((mix, int(users)))

    idle_load = uptime()
    data = prepare(args.database_url)
    if args.pipelines > len(data["pipelines"]) or args.responders > len(data["responders"]):
        parser.error("more writers than writer slots in the fixture")
    runs: list[dict[str, Any]] = []
    failed = False
    with serving(args) as host:
        for mix, users in plan:
            sql("ANALYZE")
            size = data_size()
            drain(args.redis_url)  # tasks an earlier run left
            run_locust(args, host, mix, users, warmup=True)
            drain(args.redis_url)
            before = uptime()
            cpu0 = cpu_times()
            code, prefix = run_locust(args, host, mix, users)
            cpu1 = cpu_times()
            after = uptime()
            left, drained = drain(args.redis_url)
            stats = read_stats(prefix)
            failures = read_failures(prefix)
            failed |= code != 0 or any(r["failures"] for r in stats)
            runs.append(
                {
                    "mix": mix,
                    "users": users,
                    "classes": list(MIXES[mix]),
                    "duration": args.duration,
                    "uptime_before": before,
                    "uptime_after": after,
                    "cpu_busy": (cpu1[0] - cpu0[0]) / max(1, cpu1[1] - cpu0[1]),
                    "data": size,
                    "stats": stats,
                    "failures": failures,
                    "backlog": left,
                    "drained_s": drained,
                }
            )
            total = next(r for r in stats if r["name"] == "Aggregated")
            print(
                f"{mix}:{users}: {total['requests']} requests, {total['failures']} failures, "
                f"p95 {_ms(total['p95'])} ms, {total['rps']:.1f} req/s",
                flush=True,
            )
    if not args.no_docs:
        command = "uv run python bench/load.py " + " ".join(argv or sys.argv[1:])
        write_docs(render(runs, args, command.strip(), idle_load))
        print(f"updated {DOCS.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
