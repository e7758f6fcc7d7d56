"""Consistency check for part A of the hard evaluation set.

Run from the repository root:
    .venv/bin/python eval/hard/parts/a/check.py
(or /work/main/.venv/bin/python with the worktree as working directory). Exits non-zero
and lists every problem found. Reads only the data files of this folder and the reference
CSVs; credit codes are checked with the project's own validator (accounts.validators).
"""

import csv
import datetime
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()
from accounts.validators import credit_code_problem  # noqa: E402

N_NEEDS, N_CAPS = 32, 220
NEED_FIELDS = [
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
]
CAP_FIELDS = [
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
]
CATEGORIES = {
    "government_service",
    "new_track",
    "industrial_upgrade",
    "industry_sector",
    "social_governance",
    "livelihood",
}
VALIDATION = {"concept": (1, 4), "demand": (3, 6), "technology": (4, 7), "product": (6, 9)}
CERTS = {"first_of_kind", "specialized_sme", "high_tech"}
PART_A_CHAINS = [
    "nonferrous-metals",
    "petrochemical",
    "textile-apparel",
    "steel",
    "building-materials",
    "ceramics",
    "four-treasures",
    "electronic-info",
    "tcm",
    "low-altitude",
    "llm-digital-human",
    "digital-city",
    "unmanned-low-altitude",
    "storage-green",
]

problems: list[str] = []


def bad(msg: str) -> None:
    problems.append(msg)


def load_json(name: str) -> list[dict]:
    try:
        data = json.loads((HERE / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        bad(f"{name}: cannot parse: {exc}")
        return []
    if not isinstance(data, list):
        bad(f"{name}: top level is not a list")
        return []
    return data


chains = {
    r["slug"]
    for r in csv.DictReader((ROOT / "reference/data/industry_chains.csv").open(encoding="utf-8"))
}
divisions = {
    r["code"]: r
    for r in csv.DictReader((ROOT / "reference/data/china_divisions.csv").open(encoding="utf-8"))
}

needs = load_json("needs.json")
caps = load_json("capabilities.json")


def check_refs(rows: list[dict], prefix: str, count: int, label: str) -> set[str]:
    refs = [r.get("ref") for r in rows]
    expected = {f"{prefix}{i:03d}" for i in range(1, count + 1)}
    if len(rows) != count:
        bad(f"{label}: {len(rows)} rows, expected {count}")
    dup = [r for r, n in Counter(refs).items() if n > 1]
    if dup:
        bad(f"{label}: duplicate refs {dup}")
    if set(refs) != expected:
        bad(f"{label}: refs out of range or missing: {sorted(set(refs) ^ expected)[:10]}")
    return set(refs)


def check_str_list(
    row: dict, field: str, where: str, *, min_items: int = 0, max_items: int = 20
) -> None:
    value = row.get(field)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        bad(f"{where}: {field} must be a list of non-empty strings")
        return
    if not min_items <= len(value) <= max_items:
        bad(f"{where}: {field} has {len(value)} items (allowed {min_items}-{max_items})")
    if len(set(value)) != len(value):
        bad(f"{where}: {field} has duplicates")


def check_common(row: dict, fields: list[str], where: str) -> None:
    if list(row) != fields:
        bad(f"{where}: fields {list(row)} != {fields}")
    for f in ("title", "description"):
        if not isinstance(row.get(f), str) or not row[f].strip():
            bad(f"{where}: {f} empty or not a string")
    if isinstance(row.get("title"), str) and len(row["title"]) > 200:
        bad(f"{where}: title longer than 200")
    check_str_list(row, "keywords", where, min_items=1, max_items=20)
    if any(len(k) > 32 for k in row.get("keywords") or []):
        bad(f"{where}: keyword longer than 32 characters")
    for slug in row.get("chains") or []:
        if slug not in chains:
            bad(f"{where}: unknown chain {slug}")
    code = row.get("region_code")
    if not isinstance(code, str) or code not in divisions:
        bad(f"{where}: unknown region_code {code!r}")


def jurisdiction_of(org_name: str) -> str | None:
    """The Jiangxi division an agency name starts with (longest match; compound city+county
    names and short names such as 鹰潭 for 鹰潭市 count)."""
    best: tuple[int, str] | None = None
    for code, row in divisions.items():
        if not code.startswith("36") or code == "360000":
            continue
        names = {row["name"]}
        if row["level"] == "county":
            names.add(divisions[row["parent_code"]]["name"] + row["name"])
        full_hit = [n for n in names if org_name.startswith(n)]
        short = re.sub(r"[市县区]$", "", row["name"])
        hits = full_hit or ([short] if len(short) >= 2 and org_name.startswith(short) else [])
        for n in hits:
            if best is None or len(n) > best[0]:
                best = (len(n), code)
    return best[1] if best else None


# ---------------------------------------------------------------- needs
need_refs = check_refs(needs, "HARD-N-", N_NEEDS, "needs")
used_chains: set[str] = set()
cat_count: Counter[str] = Counter()
org_region: dict[str, set[str]] = defaultdict(set)
for n in needs:
    where = f"need {n.get('ref')}"
    check_common(n, NEED_FIELDS, where)
    if not 1 <= len(n.get("chains") or []) <= 2:
        bad(f"{where}: needs 1-2 chains")
    used_chains.update(n.get("chains") or [])
    if n.get("category") not in CATEGORIES:
        bad(f"{where}: bad category {n.get('category')}")
    cat_count[n.get("category")] += 1
    code = n.get("region_code", "")
    if not code.startswith("36"):
        bad(f"{where}: region {code} not in Jiangxi")
    vt, trl = n.get("validation_type"), n.get("min_trl")
    if vt not in VALIDATION:
        bad(f"{where}: bad validation_type {vt}")
    elif not (
        isinstance(trl, int)
        and not isinstance(trl, bool)
        and VALIDATION[vt][0] <= trl <= VALIDATION[vt][1]
    ):
        bad(f"{where}: min_trl {trl} inconsistent with {vt}")
    budget = n.get("budget_cny")
    if budget is not None and (
        not isinstance(budget, int) or isinstance(budget, bool) or budget <= 0
    ):
        bad(f"{where}: budget_cny must be a positive integer or null")
    if n.get("is_major") is not (budget is not None and budget >= 5_000_000):
        bad(f"{where}: is_major must be true iff budget >= 5,000,000")
    try:
        d = datetime.date.fromisoformat(n.get("deadline", ""))
        if d.year != 2027:
            bad(f"{where}: deadline not in 2027")
    except (TypeError, ValueError):
        bad(f"{where}: deadline not an ISO date")
    org = n.get("org_name")
    if not isinstance(org, str) or not org.strip():
        bad(f"{where}: org_name empty")
    else:
        j = jurisdiction_of(org)
        if j is None:
            bad(f"{where}: cannot tell the jurisdiction of {org}")
        elif not (code == j or divisions.get(code, {}).get("parent_code") == j):
            bad(f"{where}: region {code} outside the jurisdiction of {org} ({j})")
        org_region[org].add(code)
missing_chains = set(PART_A_CHAINS) - used_chains
if missing_chains:
    bad(f"needs: part-A chains never used: {sorted(missing_chains)}")
if set(cat_count) != CATEGORIES:
    bad(f"needs: categories not all used: {dict(cat_count)}")
if cat_count["government_service"] < 6:
    bad("needs: fewer than 6 government_service")
if cat_count["social_governance"] + cat_count["livelihood"] < 5:
    bad("needs: fewer than 5 social_governance/livelihood")

# ---------------------------------------------------------------- capabilities
cap_refs = check_refs(caps, "HARD-C-", N_CAPS, "capabilities")
name_to_codes: dict[str, set[str]] = defaultdict(set)
code_to_names: dict[str, set[str]] = defaultdict(set)
code_regions: dict[str, set[str]] = defaultdict(set)
for c in caps:
    where = f"capability {c.get('ref')}"
    check_common(c, CAP_FIELDS, where)
    if not 1 <= len(c.get("chains") or []) <= 3:
        bad(f"{where}: needs 1-3 chains")
    trl = c.get("trl")
    if not (isinstance(trl, int) and not isinstance(trl, bool) and 1 <= trl <= 9):
        bad(f"{where}: trl {trl!r} not 1-9")
    cap = c.get("capacity")
    if not (isinstance(cap, int) and not isinstance(cap, bool) and 1 <= cap <= 5):
        bad(f"{where}: capacity {cap!r} not 1-5")
    certs = c.get("certifications")
    if not isinstance(certs, list) or not set(certs) <= CERTS or len(set(certs)) != len(certs):
        bad(f"{where}: bad certifications {certs}")
    check_str_list(c, "past_cases", where, max_items=20)
    if any(len(p) > 200 for p in c.get("past_cases") or []):
        bad(f"{where}: past case longer than 200")
    code, name = c.get("firm_credit_code", ""), c.get("firm_name", "")
    problem = credit_code_problem(code) if isinstance(code, str) else "not a string"
    if problem:
        bad(f"{where}: credit code {code}: {problem}")
    elif not code.startswith("91") or code[8] != "1":
        bad(
            f"{where}: credit code {code} must start with 91 and use an organisation serial "
            "beginning with 1"
        )
    elif code[2:8] != c.get("region_code"):
        bad(f"{where}: credit code region {code[2:8]} != region_code {c.get('region_code')}")
    if divisions.get(c.get("region_code"), {}).get("level") != "county":
        bad(f"{where}: firm region {c.get('region_code')} is not a county-level code")
    name_to_codes[name].add(code)
    code_to_names[code].add(name)
    code_regions[code].add(c.get("region_code"))
for name, codes in name_to_codes.items():
    if len(codes) > 1:
        bad(f"firm {name}: several credit codes {codes}")
for code, names in code_to_names.items():
    if len(names) > 1:
        bad(f"credit code {code}: several firm names {names}")
for code, regions in code_regions.items():
    if len(regions) > 1:
        bad(f"credit code {code}: rows in several regions {regions}")

# ---------------------------------------------------------------- qrels
grade3: Counter[str] = Counter()
seen: set[tuple[str, str]] = set()
with (HERE / "qrels.csv").open(encoding="utf-8", newline="") as fh:
    reader = csv.reader(fh)
    header = next(reader, None)
    if header != ["need_ref", "capability_ref", "grade"]:
        bad(f"qrels: bad header {header}")
    for i, row in enumerate(reader, start=2):
        if len(row) != 3:
            bad(f"qrels line {i}: {row}")
            continue
        n, c, g = row
        if n not in need_refs:
            bad(f"qrels line {i}: unknown need {n}")
        if c not in cap_refs:
            bad(f"qrels line {i}: unknown capability {c}")
        if g not in {"1", "2", "3"}:
            bad(f"qrels line {i}: grade {g} not 1-3")
        if (n, c) in seen:
            bad(f"qrels line {i}: duplicate pair {n},{c}")
        seen.add((n, c))
        if g == "3":
            grade3[n] += 1
for n in sorted(need_refs):
    if grade3[n] < 2:
        bad(f"qrels: {n} has {grade3[n]} grade-3 pairs (need >= 2)")

if problems:
    print(f"{len(problems)} problem(s):")
    for p in problems:
        print(" -", p)
    sys.exit(1)
firms = len(code_to_names)
jx = sum(1 for c in caps if c["region_code"].startswith("36"))
print(
    f"OK: {len(needs)} needs, {len(caps)} capabilities from {firms} firms "
    f"({jx / len(caps):.0%} Jiangxi), {len(seen)} graded pairs, "
    f"{len(used_chains)} chains in needs, categories {dict(cat_count)}"
)
