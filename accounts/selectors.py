"""Reads of organizations and their people, scoped to what each user may see."""

from django.db.models import Q, QuerySet

from accounts.choices import Role
from accounts.models import Membership, Organization
from accounts.roles import committees_of, is_platform_admin, memberships
from accounts.validators import organization_name_core, to_traditional, within_one_edit
from core.actors import Actor


def committee_region_q(actor: Actor, field: str) -> Q:
    """Rows whose ``field`` (a region) lies in a subtree of the actor's committees."""
    q = Q(pk__in=[])
    for committee in committees_of(actor):
        q |= Q(**{f"{field}__path__startswith": committee.region.path})
    return q


def organization_list_for_user(*, user: Actor) -> QuerySet[Organization]:
    """Admins see all; committees the organizations of their subtree; others their own."""
    qs = Organization.objects.select_related("region")
    if is_platform_admin(user):
        return qs
    own = Q(pk__in=[m.organization_id for m in memberships(user)])
    return qs.filter(own | committee_region_q(user, "region"))


def member_ids(organization_id: int, role: str) -> list[int]:
    """Users holding ``role`` in the organization (whom its notifications go to)."""
    return list(
        Membership.objects.filter(organization_id=organization_id, role=role).values_list(
            "user_id", flat=True
        )
    )


def member_ids_by_organization(
    *, organization_ids: set[int], roles: list[Role]
) -> dict[int, list[int]]:
    """Users holding any of ``roles``, per organization (one query for many organizations)."""
    members: dict[int, list[int]] = {}
    for org_id, user_id in Membership.objects.filter(
        organization_id__in=organization_ids, role__in=roles
    ).values_list("organization_id", "user_id"):
        members.setdefault(org_id, []).append(user_id)
    return members


# Cores shorter than this are too generic to call two names alike.
_MIN_CORE = 4


def similar_organization_names(
    organizations: list[Organization], *, limit: int = 3
) -> dict[int, list[str]]:
    """Per organization, other organizations' names that a reader could take for its own:
    the same core under another organizational form, or a core one character apart
    (萍乡赣相 for 萍乡赣湘). For a committee deciding a sign-up; candidates are the names
    sharing the core's first or last three characters."""
    out: dict[int, list[str]] = {}
    for org in organizations:
        core = organization_name_core(org.name)
        if len(core) < _MIN_CORE:
            continue
        # The stored names as written: a traditional spelling holds the traditional pieces.
        pieces = {core[:3], core[-3:], *(to_traditional(p) for p in (core[:3], core[-3:]))}
        wanted = Q()
        for piece in pieces:
            wanted |= Q(name__contains=piece)
        candidates = (
            Organization.objects.exclude(pk=org.pk)
            .filter(wanted)
            .order_by("name")
            .values_list("name", flat=True)[:500]
        )
        alike = [n for n in candidates if within_one_edit(organization_name_core(n), core)]
        if alike:
            out[org.pk] = alike[:limit]
    return out
