"""Reads of organizations and their people, scoped to what each user may see."""

from django.db.models import Q, QuerySet

from accounts.choices import Role
from accounts.models import Membership, Organization
from accounts.roles import committees_of, is_platform_admin, memberships
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
