"""Time the operator's bulk import commands on a fresh PostgreSQL database.

    uv run python bench/benchmark_import.py [--needs 2000] [--capabilities 20000]
        [--firms 4000] [--agencies 400] [--format csv|xlsx] [--draft] [--repeat 1]
        [--database-url postgres://postgres@127.0.0.1:5432/scenario_bulk_bench]

Each run drops and recreates the database, migrates it, loads the reference data
(``manage.py load_reference``), writes exchange files of realistic needs (with their
agencies) and capabilities (with their firms) into ``var/bench-import/`` (texts from
``bench/synthetic.py``), then runs ``manage.py import_needs FILE --publish`` and
``manage.py import_capabilities FILE --publish`` (``--draft``: without ``--publish``) as
child processes, and reports each one's wall time and peak RSS (``wait4``'s ``ru_maxrss``;
the files are written by another child, so no large image is forked into the commands).

The commands go through the whole import: reading, every check, the writes, the audit
rows and the publishing hooks. The one ``lists_bulk_published`` an import announces
requests one full matching run, queued for a worker on Redis DB ``--redis-db``; no worker
runs it here (matching has its own benchmark).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import (  # noqa: E402 - the path above first
    AGENCY_SUFFIXES,
    FIRM_FORMS,
    FIRM_STEMS,
    HOME_PROVINCE,
    Vocabulary,
    capability_text,
    configure,
    credit_code,
    ensure_database,
    need_text,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/scenario_bulk_bench"
OUT = ROOT / "var" / "bench-import"

NEED_FIELDS = (
    "ref",
    "title",
    "description",
    "category",
    "chains",
    "keywords",
    "region_code",
    "validation_type",
    "min_trl",
    "budget_cny",
    "deadline",
    "is_major",
    "org_name",
    "org_region_code",
)
CAPABILITY_FIELDS = (
    "ref",
    "title",
    "description",
    "chains",
    "keywords",
    "region_code",
    "trl",
    "certifications",
    "past_cases",
    "capacity",
    "firm_name",
    "firm_credit_code",
)
CATEGORIES = (
    "government_service",
    "new_track",
    "industrial_upgrade",
    "industry_sector",
    "social_governance",
    "livelihood",
)
VALIDATIONS = ("concept", "demand", "technology", "product")
CERTIFICATIONS = ("first_of_kind", "specialized_sme", "high_tech")


def write_files(args: argparse.Namespace, out: Path) -> tuple[Path, Path]:
    """An exchange CSV of ``args.needs`` needs of ``args.agencies`` new agencies, and one of
    ``args.capabilities`` capabilities of ``args.firms`` new firms."""
    rng = random.Random(args.seed)
    vocab = Vocabulary(rng)
    out.mkdir(parents=True, exist_ok=True)
    home = sorted(c for c in vocab.region_name if c.startswith(HOME_PROVINCE[:2]))
    slots = [(code, suffix) for code in home for suffix in AGENCY_SUFFIXES]
    rng.shuffle(slots)
    agencies = [(vocab.place(code) + suffix, code) for code, suffix in slots[: args.agencies]]
    needs_path = out / f"needs-{args.needs}.csv"
    with needs_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(NEED_FIELDS)
        for n in range(args.needs):
            agency, code = agencies[n % len(agencies)]
            chains = vocab.chains(1, 3)
            keywords = vocab.keywords(chains, rng.randint(3, 8))
            min_trl = rng.randint(3, 7)
            title, description = need_text(
                vocab, rng, chains, vocab.place(code), agency, keywords, min_trl
            )
            writer.writerow(
                (
                    f"BI-N-{n + 1:07d}",
                    title,
                    description,
                    rng.choice(CATEGORIES),
                    ";".join(chains),
                    ";".join(keywords),
                    code,
                    rng.choice(VALIDATIONS),
                    min_trl,
                    rng.choice(("", rng.randrange(100_000, 3_000_000, 10_000))),
                    rng.choice(("", "2031-12-31")),
                    "否",
                    agency,
                    code,
                )
            )
    firms = []
    for serial in range(args.firms):
        region = vocab.firm_region()
        name = (
            vocab.region_name[region].removesuffix("区").removesuffix("县")
            + rng.choice(FIRM_STEMS)
            + rng.choice(FIRM_FORMS)
        )
        firms.append((name, credit_code(region, serial), region))
    caps_path = out / f"capabilities-{args.capabilities}.csv"
    with caps_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CAPABILITY_FIELDS)
        for n in range(args.capabilities):
            name, code, region = firms[n % len(firms)]
            chains = vocab.chains(1, 3)
            keywords = vocab.keywords(chains, rng.randint(3, 8))
            title, description = capability_text(vocab, rng, chains, keywords)
            writer.writerow(
                (
                    f"BI-C-{n + 1:07d}",
                    title,
                    description,
                    ";".join(chains),
                    ";".join(keywords),
                    region,
                    rng.randint(4, 9),
                    ";".join(rng.sample(CERTIFICATIONS, rng.randint(0, 2))),
                    ";".join(f"{vocab.place(region)}项目{i}" for i in range(rng.randint(0, 3))),
                    rng.randint(1, 5),
                    name,
                    code,
                )
            )
    return needs_path, caps_path


def as_xlsx(path: Path) -> Path:
    """The same rows as an XLSX (one sheet, field names as headers), beside the CSV. Texts
    go to a shared-strings table as Excel and WPS write them (openpyxl's write-only mode
    writes inline strings instead, which openpyxl reads more slowly: 99 s against 68 s for
    100,000 capabilities on a loaded machine)."""
    import openpyxl

    target = path.with_suffix(".xlsx")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    workbook.save(target)
    return target


def run_command(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run one command; its wall time, peak RSS (MiB), exit code and last output line."""
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own manage.py
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout = proc.stdout.read() if proc.stdout else b""
    stderr = proc.stderr.read() if proc.stderr else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = (stdout or stderr).decode("utf-8", "replace").strip().splitlines()
    return {
        "seconds": seconds,
        "rss_mib": usage.ru_maxrss / 1024,
        "code": proc.returncode,
        "out": text[0][:160] if text else "",
        "err": stderr.decode("utf-8", "replace")[-2000:] if proc.returncode else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--capabilities", type=int, default=20_000)
    parser.add_argument("--firms", type=int, default=None, help="default: capabilities / 5")
    parser.add_argument("--agencies", type=int, default=None, help="default: needs / 10")
    parser.add_argument("--draft", action="store_true", help="import without --publish")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--extra-env",
        action="append",
        default=[],
        help="NAME=VALUE for the import commands (e.g. EXCHANGE_MAX_ROWS for an old build)",
    )
    parser.add_argument("--write-files", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.firms = args.firms or max(args.capabilities // 5, 1)
    args.agencies = args.agencies or max(args.needs // 10, 1)
    if args.write_files:
        configure(args.database_url)
        needs_path, caps_path = write_files(args, OUT)
        if args.format == "xlsx":
            needs_path, caps_path = as_xlsx(needs_path), as_xlsx(caps_path)
        print(needs_path, caps_path)
        return 0

    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    env.setdefault("SECRET_KEY", "bench-only-not-secret")
    # As deployed: the modules' bytecode is cached (else each command compiles Django anew).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for item in args.extra_env:
        name, _, value = item.partition("=")
        env[name] = value
    manage = [sys.executable, str(ROOT / "manage.py")]
    publish = [] if args.draft else ["--publish"]
    for attempt in range(1, args.repeat + 1):
        ensure_database(args.database_url, reset=True)
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "load_reference"], cwd=ROOT, env=env, check=True)  # noqa: S603
        if attempt == 1:
            # In a child of its own: Linux counts the image a child is forked from in the
            # child's ru_maxrss, so this process stays small for the commands' peaks to be
            # their own.
            written = subprocess.run(  # noqa: S603 - this script
                [sys.executable, __file__, "--write-files", *(argv or sys.argv[1:])],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            needs_path, caps_path = Path(written[-2]), Path(written[-1])
        print(
            f"run {attempt}: {args.needs} needs ({args.agencies} agencies, "
            f"{needs_path.stat().st_size / 2**20:.1f} MiB), {args.capabilities} capabilities "
            f"({args.firms} firms, {caps_path.stat().st_size / 2**20:.1f} MiB), "
            f"{'draft' if args.draft else '--publish'}"
        )
        total = 0.0
        for command, path in (("import_needs", needs_path), ("import_capabilities", caps_path)):
            if (command == "import_needs" and not args.needs) or (
                command == "import_capabilities" and not args.capabilities
            ):
                continue
            result = run_command([*manage, command, str(path), *publish], env)
            total += result["seconds"]
            print(
                f"  {command:<20} {result['seconds']:7.1f} s  peak RSS {result['rss_mib']:6.0f} MiB"
                f"  exit {result['code']}  {result['out']}"
            )
            if result["code"]:
                print(result["err"])
                return 1
        print(f"  total                {total:7.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
