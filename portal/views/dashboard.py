"""``/dashboard/``: the market in figures. Everyone sees the lists by chain, category and
city (a map of the province's cities, each a link to its list), the funnel from published
needs to scaled ones and the months; committee members and the admin also see review times,
queues and matching. Every figure is one of the ``figures`` selectors; the heavier list
counts come from a cache a beat task refreshes every minute, the funnel is always current."""

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_safe

from accounts.roles import committees_of, is_platform_admin
from matching import figures as matching_figures
from matching.models import RunStatus
from reference.selectors import chains_by_slug, regions_by_code
from scenarios import figures
from scenarios.choices import ScenarioCategory
from scenarios.services.policy import policy_current

FUNNEL = (
    ("published", gettext_lazy("已发布")),
    ("recommended", gettext_lazy("已推荐")),
    ("interest", gettext_lazy("企业有意向")),
    ("shortlisted", gettext_lazy("已入围")),
    ("piloting", gettext_lazy("开展试点")),
    ("validated", gettext_lazy("验证成功")),
    ("scaled", gettext_lazy("推广应用")),
)
TIERS = {
    "county": gettext_lazy("县级"),
    "city": gettext_lazy("市级"),
    "province": gettext_lazy("省级"),
}


def _months_since(today: date, months: int) -> date:
    year, month = today.year, today.month - months + 1
    while month <= 0:
        year, month = year - 1, month + 12
    return date(year, month, 1)


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    lists = figures.list_figures()
    slugs = chains_by_slug()
    funnel_counts = figures.need_funnel() | matching_figures.pair_funnel()
    data: dict[str, Any] = {
        "chains": [
            {**row, "name": slugs[row["slug"]].name if row["slug"] in slugs else row["slug"]}
            for row in lists["chains"][:15]
        ],
        "categories": [
            {"key": key, "name": str(label), "n": lists["categories"].get(key, 0)}
            for key, label in ScenarioCategory.choices
        ],
        "cities": [{**row, **_city_names(row["code"])} for row in lists["cities"]],
        # The table's last line: the lists' totals (every item is in exactly one row).
        "city_totals": {
            key: sum(row[key] for row in lists["cities"]) for key in ("needs", "capabilities")
        },
        "funnel": [
            {"key": key, "name": str(label), "n": funnel_counts.get(key, 0)}
            for key, label in FUNNEL
        ],
        "months": figures.by_month(since=_months_since(timezone.localdate(), 12)),
    }
    operator = bool(
        request.user.is_authenticated
        and (committees_of(request.user) or is_platform_admin(request.user))
    )
    if operator:
        k = policy_current().recommendations_per_need
        data |= {
            "review_days": [
                {**row, "name": str(TIERS.get(row["tier"], row["tier"]))}
                for row in figures.review_days_by_tier()
            ],
            "waiting": figures.waiting_by_committee(),
            "coverage": matching_figures.coverage(k=k),
            "scores": matching_figures.score_histogram(),
            "runs": {
                **matching_figures.recent_runs(days=30),
                "labels": {value: str(label) for value, label in RunStatus.choices},
            },
        }
    context = {
        "nav": "dashboard",
        "data": data,
        "operator": operator,
        "english": (get_language() or "").startswith("en"),
    }
    return render(request, "portal/dashboard.html", context)


def _city_names(code: str) -> dict[str, str]:
    """A city's name in the active language for the map: in full for the tooltip, and without
    the level's word as its label (南昌, Nanchang: the full names overlapped on the map)."""
    node = regions_by_code().get(code)
    if node is None:
        return {"full": code, "label": code}
    full = node.name
    return {"full": full, "label": full.removesuffix(" City").removesuffix("市") or full}
