"""Reads of matching results, scoped to what each user may see."""

from django.db.models import Q, QuerySet

from accounts.choices import Role
from accounts.roles import committees_of, is_platform_admin, memberships
from core.actors import Actor
from matching.models import Match, MatchQuerySet, MatchRun


def match_queryset() -> MatchQuerySet:
    return Match.objects.with_current().select_related("need", "capability__firm", "run__policy")


def match_list_for_user(*, user: Actor) -> MatchQuerySet:
    """Matches: firms see the needs recommended to them, agencies the candidates of their
    needs, committees those of needs in their subtree, admins all."""
    qs = match_queryset()
    if is_platform_admin(user):
        return qs
    firm_ids = [m.organization_id for m in memberships(user) if m.role == Role.FIRM_EDITOR]
    agency_ids = [m.organization_id for m in memberships(user) if m.role == Role.AGENCY_EDITOR]
    visible = Q(capability__firm_id__in=firm_ids, recommended=True)
    visible |= Q(need__agency_id__in=agency_ids)
    for committee in committees_of(user):
        visible |= Q(need__region__path__startswith=committee.region.path)
    return qs.filter(visible)


def match_run_list_for_user(*, user: Actor) -> QuerySet[MatchRun]:
    """Runs are operator data: platform admins and committee members see them."""
    qs = MatchRun.objects.select_related("policy")
    if is_platform_admin(user) or committees_of(user):
        return qs
    return qs.none()
