"""Who may do what: role look-ups used by services, selectors and API permissions.

Memberships are read once per user object and cached on it, so permission checks in a
request cost one query.
"""

from django.contrib.auth.models import AnonymousUser, User

from scenarios.choices import Role
from scenarios.models import Committee, Membership, Organization, Region, ScenarioNeed

Actor = User | AnonymousUser
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
    return any(c.tier == "province" for c in committees_of(user))


def is_need_insider(user: Actor | None, need: ScenarioNeed) -> bool:
    """The need's agency editors, the committees over its region, and admins: they act on
    the need (close it, run its pilots) and see its contact and internal notes
    (``CONFIDENTIAL_NEED_FIELDS``), which everyone else sees blank."""
    return (
        is_platform_admin(user)
        or has_role_in(user, Role.AGENCY_EDITOR, need.agency)
        or sits_on_committee_covering(user, need.region)
    )
