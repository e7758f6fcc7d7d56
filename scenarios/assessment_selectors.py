"""What the experts' pages and the committee's view of a panel read: the needs an expert
scores or scored, the expert's own assessments, a need's panel, and which policy versions
ask for the current criteria (split from ``scenarios.selectors``, which they use)."""

from typing import Any

from django.db.models import BooleanField, Case, Exists, OuterRef, QuerySet, Value, When

from core.actors import Actor
from scenarios.choices import NeedStatus
from scenarios.lifecycle import ASSESSABLE_NEED_STATUSES
from scenarios.models import Assessment, PolicyVersion, ScenarioNeed
from scenarios.selectors import need_list_for_user, need_queryset


def _criteria_keys(criteria: Any) -> frozenset[str]:
    items = criteria if isinstance(criteria, list) else []
    return frozenset(str(c.get("key")) for c in items if isinstance(c, dict))


def policies_with_current_criteria() -> list[int]:
    """Ids of the policy versions that ask for the same criteria as the current one: an
    assessment under any other needs new scores (one query; versions are few)."""
    versions = list(
        PolicyVersion.objects.order_by("-version").values_list("pk", "selection_criteria")
    )
    if not versions:
        return []
    current = _criteria_keys(versions[0][1])
    return [pk for pk, criteria in versions if _criteria_keys(criteria) == current]


def needs_to_assess(*, user: Actor) -> QuerySet[ScenarioNeed]:
    """Needs an expert may score (in review or published), those waiting for this expert's
    scores first: not scored yet, then scored under criteria the policy has since changed
    (``scored`` but not ``scored_current``), then scored. Within each, needs in review (the
    committee waits for the panel) before published ones, the fewest experts' scores first.
    """
    mine = Assessment.objects.filter(need_id=OuterRef("pk"), expert_id=user.pk or 0)
    current = mine.filter(policy_id__in=policies_with_current_criteria())
    return (
        need_queryset()
        .filter(status__in=ASSESSABLE_NEED_STATUSES)
        .annotate(
            scored=Exists(mine),
            scored_current=Exists(current),
            published=Case(
                When(status=NeedStatus.IN_REVIEW, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            ),
        )
        .order_by("scored_current", "scored", "published", "assessment_count", "id")
    )


def needs_of_expert(*, user: Actor) -> QuerySet[ScenarioNeed]:
    """The needs an expert's pages open: the ones the user may see, and every need the user
    scored, whatever its status since (returned, rejected, withdrawn: read only)."""
    scored = Assessment.objects.filter(need_id=OuterRef("pk"), expert_id=user.pk or 0)
    return need_list_for_user(user=user) | need_queryset().filter(Exists(scored))


def assessments_of(*, expert: Actor) -> QuerySet[Assessment]:
    """The expert's own assessments, newest first."""
    return (
        Assessment.objects.filter(expert_id=expert.pk or 0)
        .select_related("need", "policy")
        .order_by("-updated_at", "-id")
    )


def panel_of_need(*, need: ScenarioNeed) -> QuerySet[Assessment]:
    """Every expert's assessment of the need (what the panel scored), with its expert."""
    return Assessment.objects.filter(need=need).select_related("policy", "expert").order_by("id")
