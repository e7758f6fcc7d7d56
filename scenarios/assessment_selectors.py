"""What the experts' pages and the committee's view of a panel read: the needs an expert
scores or scored, the expert's own assessments, a need's panel, what of the panel an expert
is shown, and which policy versions ask for the current criteria (split from
``scenarios.selectors``, which they use)."""

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.lookups import LessThan

from accounts.choices import Role
from accounts.roles import is_platform_admin, organization_ids
from core.actors import Actor
from scenarios.choices import NeedStatus
from scenarios.lifecycle import ASSESSABLE_NEED_STATUSES, PUBLIC_NEED_STATUSES
from scenarios.models import Assessment, PolicyVersion, ScenarioNeed
from scenarios.models.needs import SCORE_SHOWN_FROM_EXPERTS
from scenarios.selectors import need_list_for_user, need_own_q, need_queryset

# The other experts' mean, the panel's overall mean and whether the need is high value show
# an expert only when at least this many others scored: with fewer, each would give away a
# colleague's own scores (with one other, their "mean" is their score; with two, my own
# score and the panel's mean narrow theirs down; the 高价值 mark tells on which side of the
# line the panel's mean lies).
PANEL_MIN_OTHERS = SCORE_SHOWN_FROM_EXPERTS - 1  # one's own score and three others'
# Their lowest and highest scores show from one more: with three others, the mean, the
# lowest and the highest are all three scores.
PANEL_RANGE_MIN_OTHERS = PANEL_MIN_OTHERS + 1


def panel_shown(*, others: int) -> bool:
    """Whether an expert is shown the panel's figures of a need ``others`` other experts
    scored: the others' mean, the panel's mean and whether the need is high value."""
    return others >= PANEL_MIN_OTHERS


def high_value_hidden_q(*, user: Actor) -> Q | None:
    """The needs whose 高价值 mark the user may not read; None where the user reads every
    mark of the needs they see (an admin, anyone who is no expert).

    The rule of the expert's page (``panel_shown``), for the needs the user sees only as an
    expert: not yet public (the public list shows the mark), not the user's agency's nor
    under the user's committees (``need_own_q``), and fewer than ``PANEL_MIN_OTHERS``
    experts other than the user scored.
    """
    if is_platform_admin(user) or not organization_ids(user, Role.EXPERT):
        return None
    mine = Assessment.objects.filter(need_id=OuterRef("pk"), expert_id=user.pk or 0)
    others = F("assessment_count") - Case(When(Exists(mine), then=Value(1)), default=Value(0))
    return (
        ~Q(status__in=PUBLIC_NEED_STATUSES)
        & ~need_own_q(user)
        & Q(LessThan(others, PANEL_MIN_OTHERS))
    )


def with_shown_high_value(needs: QuerySet[ScenarioNeed], *, user: Actor) -> QuerySet[ScenarioNeed]:
    """``needs`` with ``shown_is_high_value`` where the user may not read some of their
    marks (``high_value_hidden_q``): the mark as the user is shown it, None where hidden.
    Lists filter and sort by it, so that neither tells more than the rows; for everyone
    else ``needs`` as they are."""
    hidden = high_value_hidden_q(user=user)
    if hidden is None:
        return needs
    return needs.annotate(
        shown_is_high_value=Case(
            When(hidden, then=Value(None)),
            default=F("is_high_value"),
            output_field=BooleanField(null=True),
        )
    )


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


def _seen_by(user: Actor, need: Any) -> Exists:
    """Whether the user may read the need ``need`` refers to (``need_list_for_user``)."""
    return Exists(need_list_for_user(user=user).filter(pk=need))


def needs_of_expert(*, user: Actor) -> QuerySet[ScenarioNeed]:
    """The needs an expert's pages open: the ones the user may see, and every need the user
    scored, whatever its status since (returned, rejected, withdrawn: read only).

    ``content_shown``: whether the user may read the need itself. A need that left review
    and is not public opens for the user's own scores only: its agency may have edited its
    title and description since (a returned need is its draft again)."""
    scored = Assessment.objects.filter(need_id=OuterRef("pk"), expert_id=user.pk or 0)
    return (need_list_for_user(user=user) | need_queryset().filter(Exists(scored))).annotate(
        content_shown=_seen_by(user, OuterRef("pk"))
    )


def assessments_of(*, expert: Actor) -> QuerySet[Assessment]:
    """The expert's own assessments, newest first. ``need_shown``: whether the expert may
    read the need itself (``needs_of_expert``'s ``content_shown``); lists name the others by
    their ref and status, not by a title their agency may have edited since."""
    return (
        Assessment.objects.filter(expert_id=expert.pk or 0)
        .select_related("need", "policy")
        .annotate(need_shown=_seen_by(expert, OuterRef("need_id")))
        .order_by("-updated_at", "-id")
    )


def panel_of_need(*, need: ScenarioNeed) -> QuerySet[Assessment]:
    """Every expert's assessment of the need (what the panel scored), with its expert."""
    return Assessment.objects.filter(need=need).select_related("policy", "expert").order_by("id")
