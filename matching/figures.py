"""The dashboard's matching figures, each computed in the database: the funnel's matching
steps (needs recommended to, needs with a firm's interest, needs with a shortlist),
coverage (share of matched needs with at least k recommendations), the distribution of the
recommended pairs' scores, and the runs of the last days."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, F, FloatField, Q, Value
from django.db.models.functions import Floor, Least
from django.utils import timezone

from matching.models import FirmResponse, Match, MatchRun, PairReview
from scenarios import selectors as scenario_selectors

SCORE_BINS = 10


def pair_funnel() -> dict[str, int]:
    """Needs with a current recommendation, with a firm's interest, with a shortlist."""
    recommended = (
        Match.objects.current().filter(recommended=True).values("need_id").distinct().count()
    )
    reviews = PairReview.objects.aggregate(
        interest=Count("need", distinct=True, filter=Q(firm_response=FirmResponse.INTERESTED)),
        shortlisted=Count("need", distinct=True, filter=Q(shortlisted=True)),
    )
    return {"recommended": recommended, **reviews}


def coverage(*, k: int) -> dict[str, Any]:
    """Of the needs matching keeps scoring, how many have at least ``k`` recommendations."""
    matched = scenario_selectors.matchable_needs().values("pk")
    per_need = (
        Match.objects.current()
        .filter(recommended=True, need_id__in=matched)
        .order_by()
        .values("need_id")
        .annotate(n=Count("pk"))
    )
    full = per_need.filter(n__gte=k).count()
    total = scenario_selectors.matchable_needs().count()
    return {"k": k, "needs": total, "full": full, "share": (full / total) if total else None}


def score_histogram() -> list[dict[str, Any]]:
    """Current recommended pairs by score, in tenths: [0, 0.1), …, [0.9, 1]."""
    bucket = Least(
        Floor(F("score") * Value(float(SCORE_BINS))),
        Value(float(SCORE_BINS - 1)),
        output_field=FloatField(),
    )
    rows = (
        Match.objects.current()
        .filter(recommended=True)
        .order_by()
        .annotate(b=bucket)
        .values("b")
        .annotate(n=Count("pk"))
        .values_list("b", "n")
    )
    counts = {int(b): n for b, n in rows if b is not None}
    return [{"from": i / SCORE_BINS, "n": counts.get(i, 0)} for i in range(SCORE_BINS)]


def recent_runs(*, days: int = 30) -> dict[str, Any]:
    """Runs started in the last ``days`` days, by status."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        MatchRun.objects.filter(created_at__gte=since)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {"days": days, "by_status": {r["status"]: r["n"] for r in rows}}
