"""The dashboard's figures about the lists, each one query computed in the database
(grouped counts, not loops over rows): needs and capabilities by chain, by category and by
city; the need side of the funnel; needs and pilots by month; review times per tier and the
needs waiting at each committee. The matching side (recommended, interest, shortlisted,
coverage, scores) is ``matching.figures``."""

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat, Substr, TruncMonth
from django.utils import timezone

from reference.models import IndustryChain, Region
from reference.services import home_province
from scenarios.choices import CapabilityStatus, NeedStatus, PilotStatus, ReviewDecision
from scenarios.lifecycle import PUBLIC_NEED_STATUSES
from scenarios.models import Capability, Pilot, Review, ScenarioNeed

# Pilots that started: a proposal still waiting or declined never ran (its row's
# started_at is when it was proposed; approval moves it to the day it starts).
STARTED_PILOT_STATUSES = (PilotStatus.RUNNING, PilotStatus.VALIDATED, PilotStatus.FAILED)

N = NeedStatus
# The list figures read every published row: a beat task refreshes them every minute and
# visitors read the cached copy, which outlives a missed refresh for a few minutes.
LIST_FIGURES_KEY = "figures:lists"
LIST_FIGURES_SECONDS = 300
# Needs that reached the public list at some point and are still on record as such.
EVER_PUBLISHED = (N.PUBLISHED, N.IN_VALIDATION, N.VALIDATED, N.SCALED, N.CLOSED)


def _public_needs() -> QuerySet[ScenarioNeed]:
    return ScenarioNeed.objects.filter(status__in=PUBLIC_NEED_STATUSES)


def _public_capabilities() -> QuerySet[Capability]:
    return Capability.objects.filter(status=CapabilityStatus.PUBLISHED)


def _chain_of_node() -> dict[int, int]:
    """Each node of the chain tree → its chain (产业链: the node's second-level ancestor,
    itself at the second level); the roots (产业类别) belong to no chain."""
    parents: dict[int, int | None] = dict(IndustryChain.objects.values_list("pk", "parent_id"))
    out: dict[int, int] = {}
    for pk in parents:
        trail = [pk]
        while (up := parents.get(trail[-1])) is not None:
            trail.append(up)
        if len(trail) >= 2:
            out[pk] = trail[-2]
    return out


def _chain_counts(qs: QuerySet[Any]) -> dict[int, int]:
    """Items per industry chain (产业链: the second level of the tree; an item filed under
    segments of a chain counts once for it). The node → chain map is made from the small
    tree first, so the count reads only the items and their chain links, never the tree."""
    by_chain: dict[int, list[int]] = {}
    for node, chain_id in _chain_of_node().items():
        by_chain.setdefault(chain_id, []).append(node)
    if not by_chain:
        return {}
    chain_of_link = Case(
        *[When(chains__in=nodes, then=Value(c)) for c, nodes in by_chain.items()],
        default=None,
        output_field=IntegerField(),
    )
    rows = (
        qs.order_by()
        .annotate(chain=chain_of_link)
        .filter(chain__isnull=False)
        .values("chain")
        .annotate(n=Count("pk", distinct=True))
        .values_list("chain", "n")
    )
    return dict(rows)


def by_chain() -> list[dict[str, Any]]:
    """Published needs and capabilities per industry chain, the busiest first."""
    needs = _chain_counts(_public_needs())
    caps = _chain_counts(_public_capabilities())
    chains = IndustryChain.objects.filter(
        parent__isnull=False, parent__parent__isnull=True
    ).order_by("path")
    rows = [
        {"slug": c.slug, "needs": needs.get(c.pk, 0), "capabilities": caps.get(c.pk, 0)}
        for c in chains
    ]
    return sorted(rows, key=lambda r: (-(r["needs"] + r["capabilities"]), r["slug"]))


def needs_by_category() -> dict[str, int]:
    """Published needs per scenario category."""
    rows = _public_needs().order_by().values("category").annotate(n=Count("pk"))
    return {r["category"]: r["n"] for r in rows}


def _city_code() -> Concat:
    """The city (设区市) of a region code: its first four digits and 00 (GB/T 2260)."""
    return Concat(Substr("region_id", 1, 4), Value("00"))


def _city_counts(qs: QuerySet[Any]) -> dict[str, int]:
    """Items per city code (a region's first four digits and 00)."""
    return dict(
        qs.order_by()
        .annotate(city=_city_code())
        .values("city")
        .annotate(n=Count("pk"))
        .values_list("city", "n")
    )


def by_city() -> list[dict[str, Any]]:
    """Published needs and capabilities per city of the home province, then a row for the
    items filed at the province itself (省级, flagged ``province``) and one for those outside
    it (capabilities of firms registered in another province, flagged ``outside``), each only
    when it holds any: every published item is in exactly one row, so the columns add up to
    the lists' totals."""
    needs = _city_counts(_public_needs())
    caps = _city_counts(_public_capabilities())
    province = home_province()
    cities = list(Region.objects.filter(parent=province).order_by("code"))
    known = {c.code for c in cities}
    prefix = province.code[:2]  # GB/T 2260: a province's regions share its first two digits

    def elsewhere(counts: dict[str, int], *, inside: bool) -> int:
        """Items under no listed city: inside the province (its own level), or outside."""
        return sum(
            n
            for code, n in counts.items()
            if code not in known and code.startswith(prefix) == inside
        )

    rows: list[dict[str, Any]] = [
        {
            "code": c.code,
            "name": c.name,
            "needs": needs.get(c.code, 0),
            "capabilities": caps.get(c.code, 0),
        }
        for c in cities
    ]
    # Items filed at the province itself (省级) belong to no city: their own row, off the map.
    provincial = (elsewhere(needs, inside=True), elsewhere(caps, inside=True))
    if any(provincial):
        rows.append(
            {
                "code": province.code,
                "name": province.name,
                "needs": provincial[0],
                "capabilities": provincial[1],
                "province": True,
            }
        )
    # Firms registered in another province publish here too (their capabilities lie in
    # their own region): one row for all of them, off the map as well.
    outside = (elsewhere(needs, inside=False), elsewhere(caps, inside=False))
    if any(outside):
        rows.append(
            {
                "code": "",
                "name": "",
                "needs": outside[0],
                "capabilities": outside[1],
                "outside": True,
            }
        )
    return rows


def need_funnel() -> dict[str, int]:
    """The need side of the funnel: published (ever), piloting (a pilot started), validated
    (a validated pilot), scaled."""
    agg = ScenarioNeed.objects.aggregate(
        published=Count("pk", filter=Q(published_at__isnull=False)),
        scaled=Count("pk", filter=Q(status=N.SCALED)),
    )
    pilots = Pilot.objects.filter(status__in=STARTED_PILOT_STATUSES).aggregate(
        piloting=Count("need", distinct=True),
        validated=Count("need", distinct=True, filter=Q(status=PilotStatus.VALIDATED)),
    )
    return {
        "published": agg["published"],
        "piloting": pilots["piloting"],
        "validated": pilots["validated"],
        "scaled": agg["scaled"],
    }


def _months(rows: Iterable[tuple[Any, int]]) -> dict[str, int]:
    return {m.strftime("%Y-%m"): n for m, n in rows if m is not None}


def by_month(*, since: date) -> list[dict[str, Any]]:
    """Per month since ``since``: needs published, pilots started, pilots validated."""
    published = _months(
        ScenarioNeed.objects.filter(published_at__date__gte=since)
        .annotate(m=TruncMonth("published_at"))
        .order_by()
        .values("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    started = _months(
        Pilot.objects.filter(status__in=STARTED_PILOT_STATUSES, started_at__date__gte=since)
        .annotate(m=TruncMonth("started_at"))
        .order_by()
        .values("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    validated = _months(
        Pilot.objects.filter(status=PilotStatus.VALIDATED, ended_at__date__gte=since)
        .annotate(m=TruncMonth("ended_at"))
        .order_by()
        .values("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    months = []  # every month since ``since``, the empty ones too
    year, month = since.year, since.month
    today = timezone.localdate()
    while (year, month) <= (today.year, today.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [
        {
            "month": m,
            "published": published.get(m, 0),
            "pilots_started": started.get(m, 0),
            "pilots_validated": validated.get(m, 0),
        }
        for m in months
    ]


class _Percentile(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``."""

    function = "percentile_cont"
    template = "%(function)s(%(p)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, p: float) -> None:
        super().__init__(expression, p=float(p))


def _percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks, as ``percentile_cont``."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * p
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def review_days_by_tier() -> list[dict[str, Any]]:
    """For each tier, decided reviews: how many, and the median and 90th percentile of the
    days from arriving at the tier to its decision."""
    decided = Review.objects.exclude(decision=ReviewDecision.PENDING).filter(
        decided_at__isnull=False
    )
    waited = ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
    day = 86400.0
    out = []
    if connection.vendor == "postgresql":
        rows = (
            decided.order_by()
            .values("tier")
            .annotate(n=Count("pk"), median=_Percentile(waited, 0.5), p90=_Percentile(waited, 0.9))
        )
        for r in rows:
            out.append(
                {
                    "tier": r["tier"],
                    "n": r["n"],
                    "median_days": r["median"].total_seconds() / day,
                    "p90_days": r["p90"].total_seconds() / day,
                }
            )
    else:  # the embedded default has no percentile aggregate: the same from the durations
        per_tier: dict[str, list[float]] = {}
        for tier, seconds in decided.annotate(w=waited).values_list("tier", "w"):
            per_tier.setdefault(tier, []).append(seconds.total_seconds())
        for tier, values in per_tier.items():
            out.append(
                {
                    "tier": tier,
                    "n": len(values),
                    "median_days": _percentile(values, 0.5) / day,
                    "p90_days": _percentile(values, 0.9) / day,
                }
            )
    order = {"county": 0, "city": 1, "province": 2}
    return sorted(out, key=lambda r: order.get(r["tier"], 9))


def waiting_by_committee(*, limit: int = 20) -> list[dict[str, Any]]:
    """Needs waiting at each committee now, the longest queues first."""
    rows = (
        Review.objects.filter(decision=ReviewDecision.PENDING)
        .order_by()
        .values("committee__organization__name", "tier")
        .annotate(n=Count("pk"))
        .order_by("-n", "committee__organization__name")[:limit]
    )
    return [
        {"committee": r["committee__organization__name"], "tier": r["tier"], "n": r["n"]}
        for r in rows
    ]


def list_figures(*, refresh: bool = False) -> dict[str, Any]:
    """The lists by chain, category and city, from the cache (computed on a miss, or when
    ``refresh`` asks: the beat task ``scenarios.refresh_list_figures``)."""
    if not refresh:
        cached = cache.get(LIST_FIGURES_KEY)
        if isinstance(cached, dict):
            return cached
    value = {"chains": by_chain(), "categories": needs_by_category(), "cities": by_city()}
    cache.set(LIST_FIGURES_KEY, value, LIST_FIGURES_SECONDS)
    return value
