"""Organizations and memberships: creation, verification, profile edits, role grants."""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scenarios.choices import ROLE_ORGANIZATION_KIND, OrganizationKind, Role
from scenarios.errors import ActorNotAllowed, InvalidInput
from scenarios.locks import lock_one
from scenarios.models import Membership, Organization, Region
from scenarios.roles import (
    Actor,
    forget_memberships,
    has_role_in,
    is_platform_admin,
    sits_on_committee_covering,
)
from scenarios.services.audit import audit_record
from scenarios.services.capabilities import capabilities_publish_pending
from scenarios.services.reference import home_province

EDITABLE_PROFILE_FIELDS = frozenset({"name", "contact_name", "contact_phone"})
EDITOR_ROLE_BY_KIND = {
    OrganizationKind.AGENCY: Role.AGENCY_EDITOR,
    OrganizationKind.FIRM: Role.FIRM_EDITOR,
    OrganizationKind.EXPERT_INSTITUTION: Role.EXPERT,
}


def _full_clean(obj: Organization | Membership) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise InvalidInput(
            _("数据校验失败。"),
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
        ) from exc


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
    a person creating an agency or expert institution must be a platform admin.
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
    _full_clean(org)
    org.save()
    audit_record(actor=actor, action="organization.create", target=org, data={"name": org.name})
    return org


@transaction.atomic
def organization_update(
    *, actor: Actor, organization: Organization, **changes: Any
) -> Organization:
    """Edit an organization's profile; only its own editors (or a platform admin) may."""
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
    before = {f: getattr(org, f) for f in changes}
    for field, value in changes.items():
        setattr(org, field, value)
    _full_clean(org)
    org.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action="organization.update",
        target=org,
        data={"before": before, "after": changes},
    )
    return org


@transaction.atomic
def organization_verify(
    *, actor: Actor | None, organization: Organization, reason: str = ""
) -> Organization:
    """Mark a firm verified: a platform admin, or a committee covering a home-province firm.

    ``actor`` None is a trusted operator (importing a list approved elsewhere). Verifying
    twice returns the organization unchanged.
    """
    org = lock_one(Organization, organization.pk)
    if org.kind != OrganizationKind.FIRM:
        raise InvalidInput(_("只有企业需要认证。"), fields={"kind": [_("不是企业。")]})
    in_home = org.region.path.startswith(home_province().path)
    allowed = (
        actor is None
        or is_platform_admin(actor)
        or (in_home and sits_on_committee_covering(actor, org.region))
    )
    if not allowed:
        raise ActorNotAllowed(_("只有平台管理员或企业所在地的工作委员会可以认证企业。"))
    if org.verified_at is not None:
        return org
    org.verified_at = timezone.now()
    org.verified_by = actor if isinstance(actor, User) else None
    org.save(update_fields=["verified_at", "verified_by"])
    audit_record(
        actor=actor,
        action="organization.verify",
        target=org,
        from_state="unverified",
        to_state="verified",
        reason=reason,
    )
    # Capabilities submitted while the firm was unverified publish now.
    capabilities_publish_pending(firm=org, actor=actor)
    return org


@transaction.atomic
def membership_grant(
    *, actor: Actor | None, user: User, organization: Organization, role: str
) -> Membership:
    """Give ``user`` a role in ``organization``; the role must fit the organization's kind.

    ``actor`` None is a trusted system caller (seed data, accepted invitations). Granting a
    role the user already holds returns the existing membership.
    """
    if actor is not None and not is_platform_admin(actor):
        raise ActorNotAllowed(_("只有平台管理员可以分配角色。"))
    if ROLE_ORGANIZATION_KIND.get(role) != organization.kind:
        raise InvalidInput(
            _("该角色不适用于此类组织。"), fields={"role": [_("角色与组织类型不符。")]}
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role
    )
    if created:
        audit_record(
            actor=actor,
            action="membership.grant",
            target=membership,
            data={"user": user.pk, "organization": organization.pk, "role": role},
        )
    forget_memberships(user)
    return membership
