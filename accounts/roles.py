"""Who holds which role where: the look-ups every permission check starts from.

A committee member's jurisdiction is the region subtree of their committee.

Memberships are read once per user object and cached on it, so permission checks in a
request cost one query.
"""

from accounts.choices import Role
from accounts.models import Committee, Membership, Organization
from core.actors import Actor
from reference.choices import RegionLevel
from reference.models import Region

_CACHE_ATTR = "_scenario_memberships"


def memberships(user: Actor | None) -> list[Membership]:
    """The user's memberships with organization, region and committee loaded."""
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user_id=user.pk).select_related(
                "organization__region", "organization__committee__region"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user: Actor) -> None:
    """Drop the cached memberships after they change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_platform_admin(user: Actor | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return any(m.role == Role.PLATFORM_ADMIN for m in memberships(user))


def organization_ids(user: Actor | None, role: Role) -> list[int]:
    """Ids of the organizations in which the user holds ``role``."""
    return [m.organization_id for m in memberships(user) if m.role == role]


def has_role_in(user: Actor | None, role: Role, organization: Organization) -> bool:
    """True when the user holds ``role`` in exactly this organization."""
    return any(m.role == role and m.organization_id == organization.pk for m in memberships(user))


def committees_of(user: Actor | None) -> list[Committee]:
    """Committees on which the user sits."""
    return [
        m.organization.committee
        for m in memberships(user)
        if m.role == Role.COMMITTEE_MEMBER and hasattr(m.organization, "committee")
    ]


def sits_on_committee_covering(user: Actor | None, region: Region) -> bool:
    """True when the user sits on a committee whose region contains ``region``."""
    return any(c.region.contains(region) for c in committees_of(user))


def is_province_committee_member(user: Actor | None) -> bool:
    return any(c.tier == RegionLevel.PROVINCE for c in committees_of(user))
