"""Generate a synthetic province for the matching benchmark in its own PostgreSQL database.

    uv run python bench/synthetic.py [--reset] [--needs 10000] [--capabilities 100000]
                                     [--firms 20000] [--agencies 1200] [--seed 2026]

Creates the database (default ``scenario_bench`` on 127.0.0.1:5432, see ``--database-url``),
migrates it, loads the reference data (``manage.py load_reference``: regions, the chain
taxonomy, committees, policy v1), then inserts published needs, published capabilities of
verified firms, agencies, their chain links, a few hundred pilots (track record and open
load), declared organisation relations (conflicts of interest) and a small negative list.

Texts are 100-200 characters of plausible Chinese built from the taxonomy in
``reference/data/industry_chains.csv`` (names and synonyms) and a technology vocabulary per
chain; regions spread over China with Jiangxi (360000) dominant.

This is a benchmark fixture, not production data: rows are loaded with PostgreSQL COPY
straight into the tables, bypassing the services (no validation, audit rows or publishing
hooks). Run it again without ``--reset`` and it only reports that the data is there;
``--reset`` drops and recreates the database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/scenario_bench"
REF_PREFIX = "BENCH"
HOME_PROVINCE = "360000"

# ---------------------------------------------------------------------------------------------
# Vocabulary: technology words per chain node (the taxonomy's names and synonyms are added)
# ---------------------------------------------------------------------------------------------

VOCABULARY_FILE = Path(__file__).resolve().parent / "synthetic_vocabulary.txt"


def read_vocabulary(path: Path = VOCABULARY_FILE) -> dict[str, tuple[str, ...]]:
    """Sections of the vocabulary file: ``[name]`` then words separated by white space."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            current.extend(line.split())
    return {name: tuple(words) for name, words in sections.items()}


WORDS = read_vocabulary()
CHAIN_TERMS = {k.removeprefix("chain:"): v for k, v in WORDS.items() if k.startswith("chain:")}
GENERIC_TECH = WORDS["generic_tech"]
MODIFIERS = WORDS["modifiers"]
PRODUCTS = WORDS["products"]
SCENES = WORDS["scenes"]
PURPOSES = WORDS["purposes"]
PAINS = WORDS["pains"]
GOALS = WORDS["goals"]
RESOURCES = WORDS["resources"]
FUNCTIONS = WORDS["functions"]
METRICS = WORDS["metrics"]
SERVICES = WORDS["services"]
AGENCY_SUFFIXES = WORDS["agency_suffixes"]
FIRM_STEMS = WORDS["firm_stems"]
FIRM_FORMS = WORDS["firm_forms"]
# Where firms outside the home province come from: province code -> relative weight.
OUTSIDE_PROVINCES = {
    code: int(weight) for code, weight in (w.split(":") for w in WORDS["outside_provinces"])
}
NEGATIVE_KEYWORDS = ("虚拟货币挖矿", "落后产能", "堆浸")
CATEGORIES = (
    "government_service",
    "new_track",
    "industrial_upgrade",
    "industry_sector",
    "social_governance",
    "livelihood",
)
VALIDATION_TYPES = ("concept", "demand", "technology", "product")


# ---------------------------------------------------------------------------------------------
# Database and Django setup
# ---------------------------------------------------------------------------------------------


def configure(database_url: str, index_dir: str | None = None) -> None:
    """Point Django at the benchmark database (DEBUG off, tasks never reach a broker)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DEBUG"] = "false"  # no query log, no debug cursor wrappers
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["MATCHING_INDEX_DIR"] = index_dir or str(ROOT / "var" / "bench-matching")
    import django

    django.setup()


def _admin_dsn(database_url: str) -> tuple[str, str]:
    base, _, name = database_url.rpartition("/")
    return f"{base}/postgres", name


def ensure_database(database_url: str, *, reset: bool) -> None:
    """Create the database (dropping it first with ``reset``)."""
    import psycopg

    admin, name = _admin_dsn(database_url)
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing odd database name {name!r}")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


class Vocabulary:
    """Chain vocabularies (taxonomy names, synonyms and technology words) and regions."""

    def __init__(self, rng: random.Random) -> None:
        from reference.models import IndustryChain, Region

        self.rng = rng
        chains = list(IndustryChain.objects.values("id", "slug", "name_zh", "synonyms", "path"))
        self.chain_id = {c["slug"]: c["id"] for c in chains}
        self.terms: dict[str, list[str]] = {}
        for c in chains:
            words = [c["name_zh"], *c["synonyms"], *CHAIN_TERMS.get(c["slug"], ())]
            self.terms[c["slug"]] = list(dict.fromkeys(w for w in words if w))
        # Items mostly sit on leaves and mid-level nodes; roots are rarely declared alone.
        depth = {c["slug"]: c["path"].count("/") for c in chains}
        self.slugs = [c["slug"] for c in chains]
        self.slug_weights = [1 if depth[s] == 1 else 6 for s in self.slugs]
        parent = {c["slug"]: c["path"].rstrip("/").split("/")[-2:][0] for c in chains}
        self.siblings: dict[str, list[str]] = {}
        for s in self.slugs:
            p = parent[s] if parent[s] != s else None
            self.siblings[s] = [o for o in self.slugs if o != s and p and parent[o] == p]
        regions = list(Region.objects.values("code", "name", "level", "path", "parent_id"))
        self.region_name = {r["code"]: r["name"] for r in regions}
        self.region_parent = {r["code"]: r["parent_id"] for r in regions}
        counties: dict[str, list[str]] = {}
        cities: dict[str, list[str]] = {}
        for r in regions:
            province = r["path"].split("/", 1)[0]
            if r["level"] == "county":
                counties.setdefault(province, []).append(r["code"])
            elif r["level"] == "city":
                cities.setdefault(province, []).append(r["code"])
        self.counties = counties
        self.cities = cities

    # -- regions --------------------------------------------------------------------------

    def home_region(self, *, county_share: float = 0.8) -> str:
        pool = self.counties if self.rng.random() < county_share else self.cities
        return self.rng.choice(pool[HOME_PROVINCE])

    def firm_region(self, home_share: float = 0.6) -> str:
        if self.rng.random() < home_share:
            return self.rng.choice(self.counties[HOME_PROVINCE])
        provinces = [p for p, w in OUTSIDE_PROVINCES.items() if w and p in self.counties]
        weights = [OUTSIDE_PROVINCES[p] for p in provinces]
        province = self.rng.choices(provinces, weights=weights)[0]
        return self.rng.choice(self.counties[province])

    def place(self, code: str) -> str:
        parent = self.region_parent.get(code)
        name = self.region_name[code]
        if parent and self.region_parent.get(parent):  # a county: say its city too
            return self.region_name[parent].removesuffix("市") + name
        return name

    # -- words ------------------------------------------------------------------------------

    def chains(self, low: int, high: int) -> list[str]:
        first = self.rng.choices(self.slugs, weights=self.slug_weights)[0]
        out = [first]
        while len(out) < self.rng.randint(low, high):
            pool = self.siblings[first] if self.rng.random() < 0.6 else self.slugs
            extra = self.rng.choice(pool or self.slugs)
            if extra not in out:
                out.append(extra)
        return out

    def term(self, chains: Sequence[str]) -> str:
        r = self.rng.random()
        if r < 0.75:
            return self.rng.choice(self.terms[chains[0]])
        if r < 0.9:
            return self.rng.choice(self.terms[self.rng.choice(chains)])
        return self.rng.choice(GENERIC_TECH)

    def terms_for(self, chains: Sequence[str], n: int) -> list[str]:
        out: list[str] = []
        for _ in range(n * 4):
            word = self.term(chains)
            if word not in out:
                out.append(word)
            if len(out) == n:
                break
        return out

    def keywords(self, chains: Sequence[str], n: int) -> list[str]:
        """Mostly chain words; some compounds (高精度激光雷达) that enlarge the dictionary."""
        words = self.terms_for(chains, n)
        return [
            (self.rng.choice(MODIFIERS) + w if self.rng.random() < 0.25 and len(w) <= 6 else w)
            for w in words
        ]


def _fill(rng: random.Random, head: str, sentences: Iterable[str], low: int, high: int) -> str:
    """``head`` plus sentences until the text reaches a random length in [low, high]."""
    target = rng.randint(low, high)
    text = head
    for sentence in sentences:
        if len(text) >= target:
            break
        if len(text) + len(sentence) > high and len(text) >= low:
            break
        text += sentence
    return text[:high]


def need_text(
    vocab: Vocabulary,
    rng: random.Random,
    chains: list[str],
    place: str,
    agency: str,
    keywords: list[str],
    min_trl: int,
) -> tuple[str, str]:
    t1, t2, t3, t4 = (vocab.terms_for(chains, 4) + [""] * 4)[:4]
    scene, purpose = rng.choice(SCENES), rng.choice(PURPOSES)
    title = rng.choice(
        (
            f"{scene}{t1}{purpose}场景",
            f"{place}{t1}{purpose}应用",
            f"基于{t1}的{scene}{purpose}",
            f"{t1}与{t2}融合{purpose}试点",
        )
    )[:60]
    sentences = [
        f"当前{scene}存在{rng.choice(PAINS)}等问题。",
        f"希望引入{t2}与{t3}技术，实现{rng.choice(GOALS)}。",
        "需求方可开放{}和{}，".format(*rng.sample(RESOURCES, 2)),
        f"重点关注{'、'.join(keywords[:3])}等方向。",
        f"要求技术成熟度不低于{min_trl}级，验证周期约{rng.randint(3, 18)}个月。",
        f"鼓励采用{t4 or t1}与{rng.choice(GENERIC_TECH)}相结合的方案，",
        f"最终形成可在全省{rng.choice(SCENES)}复制推广的{purpose}模式。",
        f"方案需兼容现有{rng.choice(GENERIC_TECH)}系统并满足数据安全要求。",
    ]
    head = f"{agency}计划在{place}{scene}开展{t1}{purpose}场景验证。"
    return title, _fill(rng, head, sentences, 100, 200)


def capability_text(
    vocab: Vocabulary, rng: random.Random, chains: list[str], keywords: list[str]
) -> tuple[str, str]:
    t1, t2, t3, t4 = (vocab.terms_for(chains, 4) + [""] * 4)[:4]
    product = rng.choice(PRODUCTS)
    title = f"{rng.choice(MODIFIERS)}{t1}{product}"[:60]
    sentences = [
        f"融合{t2}、{t3 or t1}和{rng.choice(GENERIC_TECH)}技术，可实现{rng.choice(FUNCTIONS)}。",
        "产品已在{}、{}等场景落地应用，{}。".format(*rng.sample(SCENES, 2), rng.choice(METRICS)),
        f"核心技术涵盖{'、'.join(keywords[:3])}，拥有发明专利{rng.randint(2, 40)}项。",
        f"支持与{t4 or t2}系统对接，" + "可提供{}和{}服务。".format(*rng.sample(SERVICES, 2)),
        f"适用于{rng.choice(SCENES)}的{rng.choice(PURPOSES)}，{rng.choice(METRICS)}。",
        f"团队具有{rng.randint(5, 20)}年{t1}研发经验，可按需求定制。",
    ]
    head = f"公司自主研发的{title}，"
    return title, _fill(rng, head, sentences, 100, 200)


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


def credit_code(region_code: str, serial: int) -> str:
    from accounts.validators import credit_code_check_char, org_code_check_char

    body = f"{80000000 + serial:08d}"
    first17 = "91" + region_code + body + org_code_check_char(body)
    return first17 + credit_code_check_char(first17)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    from django.db import connection

    n = 0
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def next_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - fixed names
        return int(cursor.fetchone()[0])


def reset_sequences(tables: Sequence[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


def generate(args: argparse.Namespace) -> dict[str, int]:
    from django.db import transaction

    from scenarios.models import Capability, ScenarioNeed

    if ScenarioNeed.objects.filter(ref__startswith=REF_PREFIX).exists():
        return {
            "needs": ScenarioNeed.objects.filter(ref__startswith=REF_PREFIX).count(),
            "capabilities": Capability.objects.filter(ref__startswith=REF_PREFIX).count(),
            "existing": 1,
        }
    rng = random.Random(args.seed)
    vocab = Vocabulary(rng)
    now = datetime.now(tz=UTC)
    counts: dict[str, int] = {}
    with transaction.atomic():
        # Organisations: agencies in the home province, verified firms across China.
        org_id = next_id("scenarios_organization")
        org_cols = (
            "id",
            "kind",
            "name",
            "credit_code",
            "contact_name",
            "contact_phone",
            "verified_at",
            "created_at",
            "region_id",
            "suspension_reason",
            "verified_certifications",
        )
        # Agency names are unique per kind: one per (region, department) of the province.
        home = [c for c in vocab.region_name if c.startswith(HOME_PROVINCE[:2])]
        slots = [(code, suffix) for code in sorted(home) for suffix in AGENCY_SUFFIXES]
        rng.shuffle(slots)
        agencies: list[tuple[int, str, str]] = []  # (id, region, name)
        for code, suffix in slots[: args.agencies]:
            agencies.append((org_id, code, vocab.place(code) + suffix))
            org_id += 1
        firms: list[tuple[int, str]] = []
        firm_rows = []
        for serial in range(args.firms):
            region = vocab.firm_region()
            name = (
                vocab.region_name[region].removesuffix("区").removesuffix("县")
                + rng.choice(FIRM_STEMS)
                + rng.choice(FIRM_FORMS)
            )
            firm_rows.append(
                (
                    org_id,
                    "firm",
                    name,
                    credit_code(region, serial),
                    "",
                    "",
                    now,
                    now,
                    region,
                    "",
                    "[]",
                )
            )
            firms.append((org_id, region))
            org_id += 1
        counts["agencies"] = copy_rows(
            "scenarios_organization",
            org_cols,
            [(i, "agency", n, None, "", "", now, now, r, "", "[]") for i, r, n in agencies],
        )
        counts["firms"] = copy_rows("scenarios_organization", org_cols, firm_rows)

        # Needs.
        need_cols = (
            "id",
            "ref",
            "title",
            "description",
            "category",
            "keywords",
            "validation_type",
            "min_trl",
            "budget_cny",
            "resources_offered",
            "deadline",
            "is_major",
            "contact_name",
            "contact_phone",
            "confidential_notes",
            "status",
            "review_tier",
            "value_score",
            "is_high_value",
            "version",
            "created_at",
            "updated_at",
            "published_at",
            "agency_id",
            "region_id",
            "chain_ids",
        )
        need_id0 = next_id("scenarios_scenarioneed")
        need_rows: list[tuple[Any, ...]] = []
        need_links: list[tuple[int, int]] = []
        for n in range(args.needs):
            nid = need_id0 + n
            agency_id, region, agency_name = rng.choice(agencies)
            chains = vocab.chains(1, 2)
            keywords = vocab.keywords(chains, rng.randint(2, 5))
            vtype = rng.choice(VALIDATION_TYPES)
            min_trl = rng.randint(3, 8)
            title, description = need_text(
                vocab, rng, chains, vocab.place(region), agency_name, keywords, min_trl
            )
            value = round(rng.uniform(55, 95), 1) if rng.random() < 0.4 else None
            published = now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
            need_rows.append(
                (
                    nid,
                    f"{REF_PREFIX}-N-{n + 1:06d}",
                    title,
                    description,
                    rng.choice(CATEGORIES),
                    json.dumps(keywords, ensure_ascii=False),
                    vtype,
                    min_trl,
                    rng.choice((None, 200_000, 500_000, 1_000_000, 3_000_000, 8_000_000)),
                    rng.choice(RESOURCES),
                    datetime.now(tz=UTC).date() + timedelta(days=rng.randint(30, 400)),
                    rng.random() < 0.05,
                    "",
                    "",
                    "",
                    "published",
                    "",
                    value,
                    value is not None and value >= 80,
                    1,
                    published,
                    published,
                    published,
                    agency_id,
                    region,
                    ",".join(str(i) for i in sorted(vocab.chain_id[s] for s in chains)),
                )
            )
            need_links.extend((nid, vocab.chain_id[s]) for s in chains)
        counts["needs"] = copy_rows("scenarios_scenarioneed", need_cols, need_rows)
        counts["need_chains"] = copy_rows(
            "scenarios_scenarioneed_chains", ("scenarioneed_id", "industrychain_id"), need_links
        )
        del need_rows

        # Capabilities: a firm has a handful, all in its own region.
        cap_cols = (
            "id",
            "ref",
            "title",
            "description",
            "keywords",
            "trl",
            "certifications",
            "past_cases",
            "capacity",
            "status",
            "version",
            "created_at",
            "updated_at",
            "published_at",
            "firm_id",
            "region_id",
            "chain_ids",
            "held_reason",
            "returned_by_committee",
            "suspended_with_firm",
        )
        cap_id0 = next_id("scenarios_capability")
        cap_links: list[tuple[int, int]] = []
        firm_focus = {fid: vocab.chains(1, 1)[0] for fid, _ in firms}

        def cap_rows() -> Iterable[tuple[Any, ...]]:
            for n in range(args.capabilities):
                cid = cap_id0 + n
                fid, region = firms[n % len(firms)] if n < len(firms) else rng.choice(firms)
                chains = vocab.chains(1, 3)
                if rng.random() < 0.6:  # firms stay near their own field
                    chains = list(dict.fromkeys([firm_focus[fid], *chains[1:]]))
                keywords = vocab.keywords(chains, rng.randint(3, 6))
                title, description = capability_text(vocab, rng, chains, keywords)
                certs = [
                    c
                    for c, p in (("specialized_sme", 0.15), ("high_tech", 0.3))
                    if rng.random() < p
                ]
                published = now - timedelta(days=rng.randint(0, 720), minutes=rng.randint(0, 1440))
                cap_links.extend((cid, vocab.chain_id[s]) for s in chains)
                yield (
                    cid,
                    f"{REF_PREFIX}-C-{n + 1:07d}",
                    title,
                    description,
                    json.dumps(keywords, ensure_ascii=False),
                    rng.choices(range(1, 10), weights=(1, 1, 2, 4, 6, 8, 8, 6, 4))[0],
                    json.dumps(certs),
                    "[]",
                    rng.choices((1, 2, 3, 5, 8), weights=(3, 4, 3, 2, 1))[0],
                    "published",
                    1,
                    published,
                    published,
                    published,
                    fid,
                    region,
                    ",".join(str(i) for i in sorted(vocab.chain_id[s] for s in chains)),
                    "",
                    False,
                    False,
                )

        counts["capabilities"] = copy_rows("scenarios_capability", cap_cols, cap_rows())
        counts["capability_chains"] = copy_rows(
            "scenarios_capability_chains", ("capability_id", "industrychain_id"), cap_links
        )

        # Pilots: validated ones are track record, running ones use up firms' quotas.
        pilot_cols = (
            "validation_type",
            "status",
            "tolerance_until",
            "milestones",
            "trl_before",
            "trl_after",
            "outcome_note",
            "first_of_kind_recommended",
            "best_practice_nominated",
            "version",
            "started_at",
            "ended_at",
            "capability_id",
            "need_id",
            "decision_reason",
            "outcome_confirmed_at",
        )
        pilots: list[tuple[Any, ...]] = []
        seen: set[tuple[int, int]] = set()
        for _ in range(args.pilots):
            pair = (
                need_id0 + rng.randrange(args.needs),
                cap_id0 + rng.randrange(args.capabilities),
            )
            if pair in seen:
                continue
            seen.add(pair)
            running = rng.random() < 0.3
            pilots.append(
                (
                    rng.choice(VALIDATION_TYPES),
                    "running" if running else "validated",
                    datetime.now(tz=UTC).date() + timedelta(days=180),
                    "[]",
                    5,
                    None if running else 7,
                    "",
                    (not running) and rng.random() < 0.2,
                    False,
                    1,
                    now,
                    None if running else now,
                    pair[1],
                    pair[0],
                    "",
                    # Only an outcome its committee confirmed is the firm's track record.
                    None if running else now,
                )
            )
        counts["pilots"] = copy_rows("scenarios_pilot", pilot_cols, pilots)

        # Declared relations (conflicts of interest) between agencies and firms.
        relations = {(rng.choice(agencies)[0], rng.choice(firms)[0]) for _ in range(args.relations)}
        counts["relations"] = copy_rows(
            "scenarios_organizationrelation",
            ("kind", "note", "created_at", "from_org_id", "to_org_id"),
            [("affiliate", "bench", now, a, f) for a, f in sorted(relations)],
        )
        counts["negative_list"] = copy_rows(
            "scenarios_negativelistentry",
            ("kind", "keyword", "reason", "active", "created_at"),
            [("keyword", k, "bench", True, now) for k in NEGATIVE_KEYWORDS],
        )
        reset_sequences(
            (
                "scenarios_organization",
                "scenarios_scenarioneed",
                "scenarios_capability",
                "scenarios_scenarioneed_chains",
                "scenarios_capability_chains",
                "scenarios_pilot",
                "scenarios_organizationrelation",
                "scenarios_negativelistentry",
            )
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--capabilities", type=int, default=100_000)
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--agencies", type=int, default=1_200)
    parser.add_argument("--pilots", type=int, default=600)
    parser.add_argument("--relations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-search-index",
        action="store_true",
        help="leave the search vectors unwritten (the lists' benchmark needs them; ~80 s)",
    )
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    ensure_database(args.database_url, reset=args.reset)
    configure(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_reference", verbosity=0)
    counts = generate(args)
    existing = counts.pop("existing", 0)
    if not args.no_search_index:
        # As after a real bulk import's task: the search vectors written (the rows pending
        # only, so a rerun on an indexed province costs nothing), then the visibility map
        # and statistics brought up to date, as autovacuum would in time: index-only scans
        # of the lists' counts need it.
        from django.db import connection

        from scenarios.services.search import index_pending

        indexed = index_pending(everything=False)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE scenarios_scenarioneed")
            cursor.execute("VACUUM ANALYZE scenarios_capability")
        counts["search_indexed"] = indexed["needs"] + indexed["capabilities"]
    if existing:
        print(f"synthetic province already present (use --reset to rebuild): {counts}")
    else:
        print(f"synthetic province generated in {time.perf_counter() - t0:.1f} s: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
