"""Verification of firms: the step that lets a firm's capabilities onto the list.

A platform admin, or the committee of a home-province firm's region, verifies a firm once;
the capabilities it submitted meanwhile publish in the same transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind
from accounts.models import Organization
from activity.services import audit_record, notify_users
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, InvalidInput
from core.locks import lock_one
from scenarios.access import may_supervise_firm
from scenarios.services.capabilities import capabilities_publish_pending


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
    if actor is not None and not may_supervise_firm(actor, org):
        raise ActorNotAllowed(_("只有平台管理员或企业所在地的工作委员会可以认证企业。"))
    if org.verified_at is not None:
        return org
    org.verified_at = timezone.now()
    org.verified_by = acting_user(actor)
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
    notify_users(
        user_ids=list(org.memberships.values_list("user_id", flat=True)),
        verb="organization.verified",
        message=f"您的企业 {org.name} 已通过认证，提交的能力将发布到能力清单。",
        target=org,
    )
    return org
