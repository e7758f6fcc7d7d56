"""Organizations and memberships: creation, profile edits, role grants, and the committee
of every home-province region with the platform operator's organization."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import ROLE_ORGANIZATION_KIND, OrganizationKind, Role
from accounts.models import Committee, Membership, Organization, OrganizationRelation
from accounts.roles import forget_memberships, has_role_in, is_platform_admin
from accounts.validators import (
    credit_code_problem,
    credit_code_province,
    organization_name_key,
    organization_name_problem,
)
from activity.services import audit_record
from core.actors import Actor
from core.errors import ActorNotAllowed, InvalidInput
from core.locks import lock_one
from core.validation import full_clean_or_raise
from reference.choices import RegionLevel
from reference.models import Region
from reference.services import home_province

EDITABLE_PROFILE_FIELDS = frozenset({"name", "contact_name", "contact_phone"})
EDITOR_ROLE_BY_KIND = {
    OrganizationKind.AGENCY: Role.AGENCY_EDITOR,
    OrganizationKind.FIRM: Role.FIRM_EDITOR,
    OrganizationKind.EXPERT_INSTITUTION: Role.EXPERT,
}
PLATFORM_ORG_NAME = "场景创新促进平台运营中心"
# The sign-up's wording (accounts.services.signup), for names added or changed by people.
DUPLICATE_NAME = gettext_lazy("该名称已被平台上的其他单位使用。如为同一企业，请联系平台运营方。")


def organization_name_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    """Another organization (a firm, an agency, a committee, the platform) has this name, or
    one that reads the same (full-width, invisible characters, spaces, case, 有限责任公司
    for 有限公司): what firm sign-up refuses, for the organizations people add and rename."""
    key = organization_name_key(name)
    others = Organization.objects.all()
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    names = others.values_list("name", flat=True)
    return any(organization_name_key(other) == key for other in names.iterator(chunk_size=5000))


def _name_errors(name: str, *, exclude_pk: int | None = None) -> dict[str, list[str]]:
    problem = organization_name_problem(name)
    if problem:
        return {"name": [str(problem)]}
    if organization_name_taken(name, exclude_pk=exclude_pk):
        return {"name": [str(DUPLICATE_NAME)]}
    return {}


def _region_errors(org: Organization) -> dict[str, list[str]]:
    """A firm is registered where the authority that issued its credit code is (digits 3–8
    of the code), as sign-up checks; a national code ("10") fits every region."""
    code = org.credit_code or ""
    if org.kind != OrganizationKind.FIRM or credit_code_problem(code):
        return {}
    province = credit_code_province(code)
    if province in ("10", org.region.code[:2]):
        return {}
    registered = Region.objects.filter(code=f"{province}0000").first()
    return {
        "region": [
            _("所在地与统一社会信用代码的登记地（%(province)s）不在同一省份。")
            % {"province": registered.name if registered else province}
        ]
    }


@transaction.atomic
def organization_create(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    region: Region,
    credit_code: str | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> Organization:
    """Create an organization after field validation; audited.

    ``actor`` None means a trusted system caller (reference loading, imports, sign-up);
    a person creating an agency or expert institution must be a platform admin, and meets
    the sign-up's checks: no name another organization has or one that reads the same, no
    invisible characters in it, and a firm's credit code issued in its region's province.
    """
    if actor is not None and not is_platform_admin(actor):
        raise ActorNotAllowed(_("只有平台管理员可以创建组织。"))
    org = Organization(
        kind=kind,
        name=name.strip(),
        region=region,
        credit_code=(credit_code or "").strip().upper() or None,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    full_clean_or_raise(org)
    if actor is not None:
        # Sign-up and imports check these themselves, for all their rows at once.
        errors = {**_name_errors(org.name), **_region_errors(org)}
        if errors:
            raise InvalidInput(_("数据校验失败。"), fields=errors)
    org.save()
    audit_record(actor=actor, action="organization.create", target=org, data={"name": org.name})
    return org


@transaction.atomic
def organization_update(
    *, actor: Actor, organization: Organization, **changes: Any
) -> Organization:
    """Edit an organization's profile; only its own editors (or a platform admin) may.

    A new name meets the same checks as at creation (not another organization's name)."""
    unknown = set(changes) - EDITABLE_PROFILE_FIELDS
    if unknown:
        raise InvalidInput(
            _("这些字段不可修改。"), fields={f: [_("不可修改。")] for f in sorted(unknown)}
        )
    editor_role = EDITOR_ROLE_BY_KIND.get(OrganizationKind(organization.kind))
    allowed = is_platform_admin(actor) or (
        editor_role is not None and has_role_in(actor, editor_role, organization)
    )
    if not allowed:
        raise ActorNotAllowed(_("只能修改本单位的信息。"))
    org = lock_one(Organization, organization.pk)
    renamed = "name" in changes and changes["name"] != org.name
    if renamed and org.verified_at is not None and not is_platform_admin(actor):
        # The name is part of what was verified (with the credit code).
        raise InvalidInput(
            _("企业已认证，名称变更须由平台管理员核实后修改。"),
            fields={"name": [_("认证后不能自行修改名称。")]},
        )
    before = {f: getattr(org, f) for f in changes}
    for field, value in changes.items():
        setattr(org, field, value)
    full_clean_or_raise(org)
    if renamed:
        errors = _name_errors(org.name, exclude_pk=org.pk)
        if errors:
            raise InvalidInput(_("数据校验失败。"), fields=errors)
    org.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="organization.update",
        target=org,
        data={"before": before, "after": changes},
    )
    return org


def role_check(*, role: str, organization: Organization) -> None:
    """Raise InvalidInput unless ``role`` can be held in ``organization``: the role must fit
    the organization's kind, and a committee member needs a committee (tier and region)
    behind the organization, or no committee page would open for them."""
    if ROLE_ORGANIZATION_KIND.get(role) != organization.kind:
        raise InvalidInput(
            _("该角色不适用于此类组织。"), fields={"role": [_("角色与组织类型不符。")]}
        )
    if (
        role == Role.COMMITTEE_MEMBER
        and not Committee.objects.filter(organization=organization).exists()
    ):
        raise InvalidInput(
            _("该组织不是已设立的工作委员会，不能分配工作委员会成员。"),
            fields={
                "organization": [
                    _(
                        "该组织没有对应的工作委员会（层级和辖区）。各地区的工作委员会由平台"
                        "按行政区划建立，请选择“某地场景应用创新工作委员会”。"
                    )
                ]
            },
        )


@transaction.atomic
def membership_grant(
    *, actor: Actor | None, user: User, organization: Organization, role: str
) -> Membership:
    """Give ``user`` a role in ``organization``; the role must fit it (``role_check``).

    ``actor`` None is a trusted system caller (seed data, accepted invitations). Granting a
    role the user already holds returns the existing membership.
    """
    if actor is not None and not is_platform_admin(actor):
        raise ActorNotAllowed(_("只有平台管理员可以分配角色。"))
    role_check(role=role, organization=organization)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role
    )
    if role == Role.PLATFORM_ADMIN and not user.is_staff:
        # Platform admins work in the admin too (their permissions come from the role,
        # accounts.backends.PlatformAdminBackend).
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if created:
        audit_record(
            actor=actor,
            action="membership.grant",
            target=membership,
            data={"user": user.pk, "organization": organization.pk, "role": role},
        )
    forget_memberships(user)
    return membership


def committee_name(region: Region) -> str:
    """Committee names carry the city for counties, since county names repeat."""
    prefix = region.name
    if (
        region.level == RegionLevel.COUNTY
        and region.parent
        and region.parent.level == RegionLevel.CITY
    ):
        prefix = region.parent.name + region.name
    return f"{prefix}场景应用创新工作委员会"


def committees_ensure() -> int:
    """One committee (with its organization) for every region of the home province."""
    province = home_province()
    regions = list(Region.objects.within(province).select_related("parent"))
    existing = set(Committee.objects.values_list("region_id", flat=True))
    for region in regions:
        if region.code in existing:
            continue
        org, _created = Organization.objects.get_or_create(
            kind=OrganizationKind.COMMITTEE,
            name=committee_name(region),
            defaults={"region": region},
        )
        Committee.objects.create(region=region, organization=org, tier=region.level)
    Organization.objects.get_or_create(
        kind=OrganizationKind.PLATFORM,
        name=province.name + PLATFORM_ORG_NAME,
        defaults={"region": province},
    )
    return len(regions)


@transaction.atomic
def organization_relation_add(
    *,
    actor: Actor | None,
    from_org: Organization,
    to_org: Organization,
    kind: str,
    note: str = "",
) -> OrganizationRelation:
    """Declare a relation between two organizations; platform admins only; audited.

    Matching treats a declared relation as a conflict of interest in both directions.
    """
    if actor is not None and not is_platform_admin(actor):
        raise ActorNotAllowed(_("只有平台管理员可以登记关联关系。"))
    relation = OrganizationRelation(from_org=from_org, to_org=to_org, kind=kind, note=note)
    full_clean_or_raise(relation)
    relation.save()
    audit_record(
        actor=actor,
        action="organization_relation.create",
        target=relation,
        data={"from": relation.from_org_id, "to": relation.to_org_id, "kind": relation.kind},
    )
    return relation


@transaction.atomic
def organization_relation_remove(*, actor: Actor | None, relation: OrganizationRelation) -> None:
    """Remove a declared relation; platform admins only; the audit row keeps what it was."""
    if actor is not None and not is_platform_admin(actor):
        raise ActorNotAllowed(_("只有平台管理员可以删除关联关系。"))
    audit_record(
        actor=actor,
        action="organization_relation.delete",
        target=relation,
        data={"from": relation.from_org_id, "to": relation.to_org_id, "kind": relation.kind},
    )
    relation.delete()
