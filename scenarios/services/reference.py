"""Loading of reference data: regions, the industry-chain taxonomy, committees, policy v1."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from scenarios import policy_defaults
from scenarios.choices import OrganizationKind, RegionLevel
from scenarios.errors import InvalidInput
from scenarios.models import Committee, IndustryChain, Organization, PolicyVersion, Region

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PLATFORM_ORG_NAME = "场景创新促进平台运营中心"


@dataclass(frozen=True)
class ReferenceCounts:
    regions: int
    chains: int
    committees: int
    policy_version: int


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
    return len(rows)


def home_province() -> Region:
    """The province that gets committees (setting ``HOME_PROVINCE_CODE``)."""
    code = settings.HOME_PROVINCE_CODE
    try:
        return Region.objects.get(code=code, level=RegionLevel.PROVINCE)
    except Region.DoesNotExist:
        raise InvalidInput(f"HOME_PROVINCE_CODE={code} is not a province code") from None


def committee_name(region: Region) -> str:
    """Committee names carry the city for counties, since county names repeat."""
    prefix = region.name
    if (
        region.level == RegionLevel.COUNTY
        and region.parent
        and region.parent.level == RegionLevel.CITY
    ):
        prefix = region.parent.name + region.name
    return f"{prefix}场景应用创新工作委员会"


def committees_ensure() -> int:
    """One committee (with its organization) for every region of the home province."""
    province = home_province()
    regions = list(Region.objects.within(province).select_related("parent"))
    existing = set(Committee.objects.values_list("region_id", flat=True))
    for region in regions:
        if region.code in existing:
            continue
        org, _created = Organization.objects.get_or_create(
            kind=OrganizationKind.COMMITTEE,
            name=committee_name(region),
            defaults={"region": region},
        )
        Committee.objects.create(region=region, organization=org, tier=region.level)
    Organization.objects.get_or_create(
        kind=OrganizationKind.PLATFORM,
        name=province.name + PLATFORM_ORG_NAME,
        defaults={"region": province},
    )
    return len(regions)


def policy_ensure_initial() -> PolicyVersion:
    """Create policy version 1 with the defaults unless a policy exists."""
    current = PolicyVersion.objects.order_by("-version").first()
    if current is not None:
        return current
    return PolicyVersion.objects.create(
        version=1,
        major_budget_threshold_cny=policy_defaults.DEFAULT_MAJOR_BUDGET_THRESHOLD_CNY,
        selection_criteria=policy_defaults.DEFAULT_SELECTION_CRITERIA,
        high_value_threshold=policy_defaults.DEFAULT_HIGH_VALUE_THRESHOLD,
        matching_weights=policy_defaults.DEFAULT_MATCHING_WEIGHTS,
        region_weights=policy_defaults.DEFAULT_REGION_WEIGHTS,
        recommendations_per_need=policy_defaults.DEFAULT_RECOMMENDATIONS_PER_NEED,
        note="初始政策",
    )


@transaction.atomic
def reference_load() -> ReferenceCounts:
    """Load all reference data in one transaction; idempotent."""
    regions = regions_load()
    chains = chains_load()
    committees = committees_ensure()
    policy = policy_ensure_initial()
    return ReferenceCounts(
        regions=regions, chains=chains, committees=committees, policy_version=policy.version
    )
