"""Consistency check for part B of the hard evaluation set.

Run from the repository root:  python eval/hard/parts/b/check.py [DATA_DIR]
(DATA_DIR defaults to this file's folder). Exits non-zero and lists the problems when
anything is off.
"""

import csv
import datetime
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
import django  # noqa: E402

django.setup()  # the validator's messages go through gettext, which needs the app registry
from accounts.validators import credit_code_problem  # noqa: E402

DATA = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE

NEED_FIELDS = {
    "ref": str,
    "title": str,
    "description": str,
    "category": str,
    "chains": list,
    "keywords": list,
    "region_code": str,
    "validation_type": str,
    "min_trl": int,
    "budget_cny": (int, type(None)),
    "deadline": str,
    "is_major": bool,
    "org_name": str,
}
CAP_FIELDS = {
    "ref": str,
    "title": str,
    "description": str,
    "chains": list,
    "keywords": list,
    "region_code": str,
    "trl": int,
    "certifications": list,
    "past_cases": list,
    "capacity": int,
    "firm_name": str,
    "firm_credit_code": str,
}
CATEGORIES = {
    "government_service",
    "new_track",
    "industrial_upgrade",
    "industry_sector",
    "social_governance",
    "livelihood",
}
VALIDATION_TRL = {"concept": (1, 3), "demand": (3, 5), "technology": (4, 6), "product": (7, 9)}
CERTS = {"first_of_kind", "specialized_sme", "high_tech"}
PART_B_CHAINS = {
    "aviation",
    "new-materials",
    "lithium-battery",
    "biotech",
    "equipment",
    "metal-new-materials",
    "solid-state-battery",
    "hydrogen-fusion",
    "bio-manufacturing",
    "bci",
    "nuclear-medicine",
    "optoelectronic-info",
    "future-aviation",
    "humanoid-robot",
    "embodied-ai",
    "6g",
    "quantum",
}

problems: list[str] = []


def bad(msg: str) -> None:
    problems.append(msg)


def load_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def check_fields(kind: str, row: dict, spec: dict) -> None:
    ref = row.get("ref", "?")
    if set(row) != set(spec):
        bad(f"{kind} {ref}: fields {sorted(set(row) ^ set(spec))} missing or unexpected")
    for key, typ in spec.items():
        value = row.get(key)
        if key in row and (not isinstance(value, typ) or (typ is int and isinstance(value, bool))):
            bad(f"{kind} {ref}: {key} has type {type(row.get(key)).__name__}")
    for key in ("chains", "keywords") + (("certifications", "past_cases") if kind == "cap" else ()):
        if not all(isinstance(x, str) and x.strip() for x in row.get(key, [])):
            bad(f"{kind} {ref}: {key} must be a list of non-empty strings")
        if any(";" in x or "；" in x for x in row.get(key, [])):
            bad(f"{kind} {ref}: {key} item contains a semicolon")
    for key in ("title", "description"):
        if not str(row.get(key, "")).strip():
            bad(f"{kind} {ref}: empty {key}")


def main() -> int:
    chains = {r["slug"] for r in load_csv(ROOT / "reference/data/industry_chains.csv")}
    regions = {r["code"] for r in load_csv(ROOT / "reference/data/china_divisions.csv")}
    needs = json.loads((DATA / "needs.json").read_text(encoding="utf-8"))
    caps = json.loads((DATA / "capabilities.json").read_text(encoding="utf-8"))
    qrels = load_csv(DATA / "qrels.csv")

    # --- needs ---
    need_refs = [n["ref"] for n in needs]
    if len(needs) != 32 or need_refs != [f"HARD-N-{i:03d}" for i in range(33, 65)]:
        bad("needs: expected refs HARD-N-033..HARD-N-064 in order")
    used_chains: set[str] = set()
    for n in needs:
        check_fields("need", n, NEED_FIELDS)
        ref = n["ref"]
        if n["category"] not in CATEGORIES:
            bad(f"need {ref}: category {n['category']}")
        if not 1 <= len(n["chains"]) <= 2 or not set(n["chains"]) <= PART_B_CHAINS:
            bad(f"need {ref}: chains {n['chains']} (1-2 from the part B list)")
        used_chains |= set(n["chains"])
        if n["region_code"] not in regions or not n["region_code"].startswith("36"):
            bad(f"need {ref}: region {n['region_code']} is not a Jiangxi code")
        lo, hi = VALIDATION_TRL.get(n["validation_type"], (0, -1))
        if not lo <= n["min_trl"] <= hi:
            bad(f"need {ref}: min_trl {n['min_trl']} vs {n['validation_type']}")
        try:
            if datetime.date.fromisoformat(n["deadline"]).year != 2027:
                bad(f"need {ref}: deadline not in 2027")
        except ValueError:
            bad(f"need {ref}: deadline {n['deadline']!r}")
        budget = n["budget_cny"]
        if n["is_major"] != (budget is not None and budget >= 5_000_000):
            bad(f"need {ref}: is_major inconsistent with budget {budget}")
        if not n["keywords"]:
            bad(f"need {ref}: no keywords")
    if used_chains != PART_B_CHAINS:
        bad(f"needs: chains not used {sorted(PART_B_CHAINS - used_chains)}")
    cat = Counter(n["category"] for n in needs)
    if set(cat) != CATEGORIES or cat["new_track"] < 8 or cat["industry_sector"] < 6:
        bad(f"needs: category counts {dict(cat)}")

    # --- capabilities ---
    cap_refs = [c["ref"] for c in caps]
    if len(caps) != 220 or sorted(cap_refs) != [f"HARD-C-{i}" for i in range(301, 521)]:
        bad("capabilities: expected 220 unique refs HARD-C-301..HARD-C-520")
    name_codes: dict[str, set[str]] = defaultdict(set)
    code_names: dict[str, set[str]] = defaultdict(set)
    for c in caps:
        check_fields("cap", c, CAP_FIELDS)
        ref = c["ref"]
        if not 1 <= len(c["chains"]) <= 3 or not set(c["chains"]) <= chains:
            bad(f"cap {ref}: chains {c['chains']}")
        if c["region_code"] not in regions:
            bad(f"cap {ref}: unknown region {c['region_code']}")
        if not 1 <= c["trl"] <= 9 or not 1 <= c["capacity"] <= 5:
            bad(f"cap {ref}: trl {c['trl']} / capacity {c['capacity']}")
        if not set(c["certifications"]) <= CERTS or len(set(c["certifications"])) != len(
            c["certifications"]
        ):
            bad(f"cap {ref}: certifications {c['certifications']}")
        code = c["firm_credit_code"]
        problem = credit_code_problem(code)
        if problem:
            bad(f"cap {ref}: credit code {code}: {problem}")
        if not code.startswith("91") or code[2:8] != c["region_code"] or code[8] != "5":
            bad(f"cap {ref}: credit code {code} (91 + region {c['region_code']} + serial 5…)")
        name_codes[c["firm_name"]].add(code)
        code_names[code].add(c["firm_name"])
    for name, codes in name_codes.items():
        if len(codes) > 1:
            bad(f"firm {name}: several credit codes {sorted(codes)}")
    for code, names in code_names.items():
        if len(names) > 1:
            bad(f"credit code {code}: several firms {sorted(names)}")
    org_names = {n["org_name"] for n in needs}
    if org_names & set(name_codes):
        bad(f"names used both as agency and firm: {org_names & set(name_codes)}")

    # --- qrels ---
    need_set, cap_set = set(need_refs), set(cap_refs)
    seen = set()
    g3 = Counter()
    for q in qrels:
        key = (q["need_ref"], q["capability_ref"])
        if key in seen:
            bad(f"qrels: duplicate pair {key}")
        seen.add(key)
        if q["need_ref"] not in need_set or q["capability_ref"] not in cap_set:
            bad(f"qrels: unknown ref in {key}")
        if q["grade"] not in {"1", "2", "3"}:
            bad(f"qrels: grade {q['grade']!r} for {key}")
        if q["grade"] == "3":
            g3[q["need_ref"]] += 1
    for ref in need_refs:
        if g3[ref] < 2:
            bad(f"need {ref}: only {g3[ref]} grade-3 capabilities")

    firms = len(name_codes)
    jx = sum(c["region_code"].startswith("36") for c in caps)
    grades = Counter(q["grade"] for q in qrels)
    print(
        f"needs {len(needs)}, capabilities {len(caps)} ({jx} Jiangxi), firms {firms}, "
        f"graded pairs {len(qrels)} (3: {grades['3']}, 2: {grades['2']}, 1: {grades['1']})"
    )
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print("  -", p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
