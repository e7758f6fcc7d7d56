"""Loading the reference data from the shipped CSV files, and the home province."""

import csv
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.errors import InvalidInput
from reference.choices import RegionLevel
from reference.models import IndustryChain, Region

DATA_DIR = Path(__file__).resolve().parent / "data"


def _region_rows(path: Path) -> list[Region]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_code = {r["code"]: r for r in rows}

    def region_path(code: str) -> str:
        parts: list[str] = []
        while code:
            parts.append(code)
            code = by_code[code]["parent_code"]
        return "/".join(reversed(parts)) + "/"

    level_order: dict[str, int] = {"province": 0, "city": 1, "county": 2}
    rows.sort(key=lambda r: (level_order[r["level"]], r["code"]))
    return [
        Region(
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent_id=r["parent_code"] or None,
            path=region_path(r["code"]),
        )
        for r in rows
    ]


GENERATION_KEY = "reference:generation"


def reference_changed() -> None:
    """After commit, every process rebuilds its reference trees (``reference.selectors``
    looks at this token at most once a second)."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, None))


def regions_load(*, path: Path | None = None) -> int:
    """Insert or update every division of the CSV; rerunning changes nothing."""
    objs = _region_rows(path or DATA_DIR / "china_divisions.csv")
    Region.objects.bulk_create(
        objs,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent", "path"],
    )
    reference_changed()
    return len(objs)


def chains_load(*, path: Path | None = None) -> int:
    """Insert or update the taxonomy; rows list parents before their children."""
    with (path or DATA_DIR / "industry_chains.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    paths: dict[str, str] = {}
    nodes: dict[str, IndustryChain] = {}
    for row in rows:
        parent_slug = row["parent_slug"] or None
        if parent_slug and parent_slug not in paths:
            raise InvalidInput(
                f"industry_chains.csv: parent {parent_slug} of {row['slug']} comes later"
            )
        paths[row["slug"]] = (paths[parent_slug] if parent_slug else "") + row["slug"] + "/"
        synonyms = [s.strip() for s in row["synonyms_zh"].split(";") if s.strip()]
        node, _created = IndustryChain.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "parent": nodes[parent_slug] if parent_slug else None,
                "path": paths[row["slug"]],
                "synonyms": synonyms,
            },
        )
        nodes[row["slug"]] = node
    reference_changed()
    return len(rows)


def home_province() -> Region:
    """The province that gets committees (setting ``HOME_PROVINCE_CODE``)."""
    code = settings.HOME_PROVINCE_CODE
    try:
        return Region.objects.get(code=code, level=RegionLevel.PROVINCE)
    except Region.DoesNotExist:
        raise InvalidInput(f"HOME_PROVINCE_CODE={code} is not a province code") from None
