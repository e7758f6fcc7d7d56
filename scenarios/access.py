"""Who may see and act on needs and capabilities, beyond holding a role.

Built on ``accounts.roles``; every service checks its actor with one of these before it
changes anything, and the selectors use the same predicates to scope what a user reads.
"""

from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Organization
from accounts.roles import has_role_in, is_platform_admin, sits_on_committee_covering
from core.actors import Actor
from core.errors import ActorNotAllowed
from reference.services import home_province
from scenarios.models import ScenarioNeed


def is_need_insider(user: Actor | None, need: ScenarioNeed) -> bool:
    """The need's agency editors, the committees over its region, and admins: they act on
    the need (close it, run its pilots) and see its contact and internal notes
    (``CONFIDENTIAL_NEED_FIELDS``), which everyone else sees blank."""
    return (
        is_platform_admin(user)
        or has_role_in(user, Role.AGENCY_EDITOR, need.agency)
        or sits_on_committee_covering(user, need.region)
    )


def check_agency_editor(actor: Actor, agency: Organization) -> None:
    """The actor edits for this agency (or is a platform admin)."""
    if is_platform_admin(actor) or has_role_in(actor, Role.AGENCY_EDITOR, agency):
        return
    raise ActorNotAllowed(_("只能操作本单位的场景需求。"))


def check_firm_editor(actor: Actor, firm: Organization) -> None:
    """The actor edits for this firm (or is a platform admin)."""
    if is_platform_admin(actor) or has_role_in(actor, Role.FIRM_EDITOR, firm):
        return
    raise ActorNotAllowed(_("只能操作本企业的场景能力。"))


def may_supervise_firm(actor: Actor | None, firm: Organization) -> bool:
    """Platform admin, or a committee covering a home-province firm's region."""
    if is_platform_admin(actor):
        return True
    in_home = firm.region.path.startswith(home_province().path)
    return in_home and sits_on_committee_covering(actor, firm.region)


def check_supervisor(actor: Actor, firm: Organization) -> None:
    """Platform admin, or a committee covering a home-province firm's region."""
    if not may_supervise_firm(actor, firm):
        raise ActorNotAllowed(_("只有平台管理员或企业所在地工作委员会可以执行此操作。"))
