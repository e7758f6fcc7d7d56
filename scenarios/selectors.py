"""Reads scoped to what each user may see; views and other apps read through these.

A committee sees the non-draft needs inside its region's subtree (one prefix match on
``region.path``), an agency its own needs, a firm its own capabilities; everybody
signed in sees the published lists; a platform admin sees everything.
"""

from django.db.models import Count, Prefetch, Q, QuerySet

from scenarios.choices import CapabilityStatus, NeedStatus, PilotStatus, ReviewDecision, Role
from scenarios.models import (
    Capability,
    IndustryChain,
    Organization,
    Pilot,
    Region,
    Review,
    ScenarioNeed,
)
from scenarios.models.needs import PUBLIC_NEED_STATUSES
from scenarios.roles import Actor, committees_of, is_platform_admin, memberships

NOT_YET_SUBMITTED = (NeedStatus.DRAFT,)


def _committee_region_q(actor: Actor, field: str) -> Q:
    q = Q(pk__in=[])
    for committee in committees_of(actor):
        q |= Q(**{f"{field}__path__startswith": committee.region.path})
    return q


def _org_ids(actor: Actor, role: Role) -> list[int]:
    return [m.organization_id for m in memberships(actor) if m.role == role]


def need_queryset() -> QuerySet[ScenarioNeed]:
    """Needs with every relation the API renders loaded in a fixed number of queries."""
    return ScenarioNeed.objects.select_related("region", "agency").prefetch_related(
        Prefetch("chains", queryset=IndustryChain.objects.only("id", "slug", "name_zh"))
    )


def need_list_for_user(*, user: Actor) -> QuerySet[ScenarioNeed]:
    """Needs the user may see."""
    qs = need_queryset()
    if is_platform_admin(user):
        return qs
    visible = Q(status__in=PUBLIC_NEED_STATUSES) | Q(
        agency_id__in=_org_ids(user, Role.AGENCY_EDITOR)
    )
    visible |= _committee_region_q(user, "region") & ~Q(status__in=NOT_YET_SUBMITTED)
    if _org_ids(user, Role.EXPERT):
        visible |= Q(status=NeedStatus.IN_REVIEW)
    return qs.filter(visible)


def need_public_list() -> QuerySet[ScenarioNeed]:
    """The published opportunity list (机会清单)."""
    return need_queryset().filter(status__in=PUBLIC_NEED_STATUSES)


def capability_queryset() -> QuerySet[Capability]:
    return Capability.objects.select_related("region", "firm").prefetch_related(
        Prefetch("chains", queryset=IndustryChain.objects.only("id", "slug", "name_zh"))
    )


def capability_list_for_user(*, user: Actor) -> QuerySet[Capability]:
    qs = capability_queryset()
    if is_platform_admin(user):
        return qs
    visible = Q(status=CapabilityStatus.PUBLISHED) | Q(firm_id__in=_org_ids(user, Role.FIRM_EDITOR))
    visible |= _committee_region_q(user, "firm__region") & ~Q(status=CapabilityStatus.DRAFT)
    return qs.filter(visible)


def capability_public_list() -> QuerySet[Capability]:
    """The published capability list (能力清单), without suspended firms' items."""
    return capability_queryset().filter(status=CapabilityStatus.PUBLISHED)


def review_queue_for_user(*, user: Actor) -> QuerySet[Review]:
    """Pending reviews waiting for any committee the user sits on."""
    ids = [c.pk for c in committees_of(user)]
    return (
        Review.objects.filter(committee_id__in=ids, decision=ReviewDecision.PENDING)
        .select_related("need__region", "need__agency", "committee__organization")
        .order_by("created_at", "id")
    )


def pilot_list_for_user(*, user: Actor) -> QuerySet[Pilot]:
    qs = Pilot.objects.select_related("need", "capability__firm")
    if is_platform_admin(user):
        return qs
    visible = Q(need__agency_id__in=_org_ids(user, Role.AGENCY_EDITOR))
    visible |= Q(capability__firm_id__in=_org_ids(user, Role.FIRM_EDITOR))
    visible |= _committee_region_q(user, "need__region")
    return qs.filter(visible)


def organization_list_for_user(*, user: Actor) -> QuerySet[Organization]:
    """Admins see all; committees the organizations of their subtree; others their own."""
    qs = Organization.objects.select_related("region")
    if is_platform_admin(user):
        return qs
    own = Q(pk__in=[m.organization_id for m in memberships(user)])
    return qs.filter(own | _committee_region_q(user, "region"))


def regions_within(region: Region) -> QuerySet[Region]:
    return Region.objects.within(region)


def capability_running_load() -> dict[int, int]:
    """Running pilots per capability (open load for matching's capacity feature)."""
    rows = (
        Pilot.objects.filter(status=PilotStatus.RUNNING)
        .values("capability_id")
        .annotate(n=Count("id"))
    )
    return {r["capability_id"]: r["n"] for r in rows}
