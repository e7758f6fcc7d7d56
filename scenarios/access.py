"""Who may see and act on needs and capabilities, beyond holding a role.

Built on ``accounts.roles``; every service checks its actor with one of these before it
changes anything, and the selectors use the same predicates to scope what a user reads.
"""

from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind, Role
from accounts.models import Organization
from accounts.roles import (
    committees_of,
    has_role_in,
    is_platform_admin,
    is_province_committee_member,
    organization_ids,
    sits_on_committee_covering,
)
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


def check_need_reviewer(actor: Actor | None, need: ScenarioNeed) -> None:
    """The actor sits on a committee over the need's region (or is a platform admin): only
    they review it. Which tier decides now is the review service's check, under its lock."""
    if is_platform_admin(actor) or sits_on_committee_covering(actor, need.region):
        return
    raise ActorNotAllowed(_("您不是该需求当前审核委员会的成员。"))


def check_need_insider(actor: Actor | None, need: ScenarioNeed) -> None:
    """The need's agency or a committee over its region (``is_need_insider``)."""
    if not is_need_insider(actor, need):
        raise ActorNotAllowed(_("只有发布单位或辖区工作委员会可以执行此操作。"))


def may_import_for(actor: Actor | None, organization: Organization) -> bool:
    """Who may write an organization's needs or capabilities through a bulk import: the
    operator (``actor`` None: the management commands), a platform admin and a province
    committee member for any organization, an agency's or firm's editors for their own."""
    if actor is None or is_platform_admin(actor) or is_province_committee_member(actor):
        return True
    role = Role.AGENCY_EDITOR if organization.kind == OrganizationKind.AGENCY else Role.FIRM_EDITOR
    return has_role_in(actor, role, organization)


def check_agency_editor(
    actor: Actor | None, agency: Organization, *, importing: bool = False
) -> None:
    """The actor edits for this agency (or is a platform admin); ``importing``: a row of a
    bulk import, where ``may_import_for`` decides."""
    if importing and may_import_for(actor, agency):
        return
    if actor is not None and (
        is_platform_admin(actor) or has_role_in(actor, Role.AGENCY_EDITOR, agency)
    ):
        return
    raise ActorNotAllowed(_("只能操作本单位的场景需求。"))


def check_agency_staff(actor: Actor | None, _obj: object = None) -> None:
    """The actor edits for some agency (or is a platform admin): nobody else creates needs,
    whatever the body (``check_agency_editor`` then checks the agency named)."""
    if not (is_platform_admin(actor) or organization_ids(actor, Role.AGENCY_EDITOR)):
        raise ActorNotAllowed(_("你不代表任何发布单位。"))


def check_firm_staff(actor: Actor | None, _obj: object = None) -> None:
    """The actor edits for some firm (or is a platform admin): nobody else creates
    capabilities, whatever the body (``check_firm_editor`` then checks the firm named)."""
    if not (is_platform_admin(actor) or organization_ids(actor, Role.FIRM_EDITOR)):
        raise ActorNotAllowed(_("你不代表任何企业。"))


def check_need_side_staff(actor: Actor | None, _obj: object = None) -> None:
    """The actor could be a need's insider (``is_need_insider``) for some need: an agency
    editor, a committee member or a platform admin. Nobody else starts pilots."""
    if not (
        is_platform_admin(actor)
        or committees_of(actor)
        or organization_ids(actor, Role.AGENCY_EDITOR)
    ):
        raise ActorNotAllowed(_("只有发布单位、辖区工作委员会或平台管理员可以操作试点。"))


def check_firm_editor(actor: Actor | None, firm: Organization, *, importing: bool = False) -> None:
    """The actor edits for this firm (or is a platform admin); ``importing`` as above."""
    if importing and may_import_for(actor, firm):
        return
    if actor is not None and (
        is_platform_admin(actor) or has_role_in(actor, Role.FIRM_EDITOR, firm)
    ):
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
