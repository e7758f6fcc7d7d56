"""Assemble the hard set from its blind parts: ``parts/a`` and ``parts/b`` (each written
and graded by its own author) and ``parts/cross`` (the pairs across the halves, graded by a
third reader), into ``needs.json``, ``capabilities.json`` and ``qrels.csv`` beside this file.

``splits.json`` is written once (stratified by category, fixed seed) and then frozen: the
script refuses to change it. Run from the repository root:

    python eval/hard/build.py
"""

import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = ("a", "b")
SEED = 2026
TEST_SHARE = 1 / 3


def _load(name: str) -> list[dict]:
    rows: list[dict] = []
    for part in PARTS:
        rows += json.loads((HERE / "parts" / part / name).read_text(encoding="utf-8"))
    return rows


def _qrels() -> dict[tuple[str, str], int]:
    grades: dict[tuple[str, str], int] = {}
    files = [HERE / "parts" / p / "qrels.csv" for p in (*PARTS, "cross")]
    for path in files:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                pair = (row["need_ref"], row["capability_ref"])
                if pair in grades:
                    sys.exit(f"{path}: the pair {pair} is graded twice")
                grades[pair] = int(row["grade"])
    return grades


def _check(needs: list[dict], caps: list[dict], grades: dict[tuple[str, str], int]) -> None:
    need_refs = {n["ref"] for n in needs}
    cap_refs = {c["ref"] for c in caps}
    if len(need_refs) != len(needs) or len(cap_refs) != len(caps):
        sys.exit("refs are not unique across the parts")
    unknown = [p for p in grades if p[0] not in need_refs or p[1] not in cap_refs]
    if unknown:
        sys.exit(f"qrels name unknown refs: {unknown[:5]}")
    code_of: dict[str, str] = {}
    name_of: dict[str, str] = {}
    for cap in caps:
        name, code = cap["firm_name"], cap["firm_credit_code"]
        if code_of.setdefault(name, code) != code or name_of.setdefault(code, name) != name:
            sys.exit(f"firm {name} / {code}: one name must keep one credit code across the parts")


def _split(needs: list[dict]) -> dict[str, list[str]]:
    by_category: dict[str, list[str]] = defaultdict(list)
    for need in sorted(needs, key=lambda n: n["ref"]):
        by_category[need["category"]].append(need["ref"])
    rng = random.Random(SEED)  # noqa: S311 - a reproducible split, not a secret
    test: list[str] = []
    for category in sorted(by_category):
        refs = by_category[category]
        rng.shuffle(refs)
        test += refs[: round(len(refs) * TEST_SHARE)]
    dev = sorted(n["ref"] for n in needs if n["ref"] not in set(test))
    return {"dev": dev, "test": sorted(test)}


def main() -> None:
    needs, caps, grades = _load("needs.json"), _load("capabilities.json"), _qrels()
    _check(needs, caps, grades)
    for name, rows in (("needs.json", needs), ("capabilities.json", caps)):
        text = json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")
    with (HERE / "qrels.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["need_ref", "capability_ref", "grade"])
        for (need, cap), grade in sorted(grades.items()):
            writer.writerow([need, cap, grade])
    splits_path = HERE / "splits.json"
    splits = _split(needs)
    if splits_path.exists():
        frozen = json.loads(splits_path.read_text(encoding="utf-8"))
        if frozen != splits:
            sys.exit("splits.json is frozen and differs from a fresh split: leave it as it is")
    else:
        splits_path.write_text(json.dumps(splits, indent=1) + "\n", encoding="utf-8")
    counts: dict[int, int] = defaultdict(int)
    for grade in grades.values():
        counts[grade] += 1
    print(
        f"{len(needs)} needs, {len(caps)} capabilities, {len(grades)} graded pairs "
        f"({', '.join(f'grade {g}: {counts[g]}' for g in (3, 2, 1))}); "
        f"dev {len(splits['dev'])}, test {len(splits['test'])}"
    )


if __name__ == "__main__":
    main()
