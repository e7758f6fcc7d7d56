"""Verification and suspension of firms: the steps that let a firm's capabilities onto the
list and take them off it as a whole.

A platform admin, or the committee of a home-province firm's region, verifies a firm once;
the capabilities it submitted meanwhile publish in the same transaction. The same people
suspend a firm (all its published capabilities leave the list) and reinstate it.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.selectors import similar_organization_names
from activity.services import audit_record, notify_users
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, InvalidInput, InvalidTransition
from core.locks import lock_one
from core.validation import check_length, check_text, max_length
from core.words import listing
from scenarios import events
from scenarios.access import may_supervise_firm
from scenarios.choices import CapabilityStatus, Certification
from scenarios.facets import lists_changed
from scenarios.lifecycle import CAPABILITY_ALLOWED
from scenarios.models import Capability
from scenarios.services.capabilities import capabilities_publish_pending
from scenarios.services.common import transition
from scenarios.services.negative_list import capability_negative_hits


@transaction.atomic
def organization_verify(
    *,
    actor: Actor | None,
    organization: Organization,
    reason: str = "",
    certifications: list[str] | None = None,
    capacity: int | None = None,
) -> Organization:
    """Mark a firm verified: a platform admin, or a committee covering a home-province firm.

    ``actor`` None is a trusted operator (importing a list approved elsewhere). Verifying
    twice returns the organization unchanged. ``certifications`` (and ``capacity``), when
    given, are what the verifier checked of the firm's claims in the same step: they are
    recorded through :func:`organization_certify` (audited) before the firm is verified,
    so both happen or neither does.
    """
    org = lock_one(Organization, organization.pk)
    if org.kind != OrganizationKind.FIRM:
        raise InvalidInput(_("只有企业需要认证。"), fields={"kind": [_("不是企业。")]})
    if actor is not None and not may_supervise_firm(actor, org):
        raise ActorNotAllowed(_("只有平台管理员或企业所在地的工作委员会可以认证企业。"))
    if org.verified_at is not None:
        if certifications is not None and (
            set(certifications) != set(org.verified_certifications)
            or capacity != org.verified_capacity
        ):
            # Verified already: what was checked changes through certify, not silently
            # dropped here as a verification that changes nothing.
            raise InvalidTransition(
                _("企业已认证，再次认证不会改动核验的资质与承接能力；请另行记录核验结果。"),
                status="verified",
            )
        return org
    check_text("reason", reason)
    if actor is not None and not reason.strip() and similar_organization_names([org]):
        # A name a reader could take for another organization's is verified only with a
        # word on what was checked, whoever calls (the page and the API alike).
        raise InvalidInput(
            _("名称与已有单位相近：请写明核对了什么（如营业执照的名称和信用代码）。"),
            fields={"reason": [_("名称与已有单位相近，认证时必须填写核验依据。")]},
        )
    if certifications is not None and (
        set(certifications) != set(org.verified_certifications)
        or capacity != org.verified_capacity
        or org.certified_at is None
    ):
        org = organization_certify(
            actor=actor,
            organization=org,
            certifications=certifications,
            capacity=capacity,
            reason=reason,
        )
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
        params={"firm": org.name},
        target=org,
    )
    return org


@transaction.atomic
def organization_suspend(*, actor: Actor, organization: Organization, reason: str) -> Organization:
    """Suspend a firm as a whole: its published capabilities leave the list (and matching)
    and it cannot submit new ones until it is reinstated. A reason is required; suspending
    twice returns the organization unchanged."""
    org = lock_one(Organization, organization.pk)
    if org.kind != OrganizationKind.FIRM:
        raise InvalidInput(_("只有企业可以被暂停。"), fields={"kind": [_("不是企业。")]})
    if not may_supervise_firm(actor, org):
        raise ActorNotAllowed(_("只有平台管理员或企业所在地的工作委员会可以暂停企业。"))
    if org.suspended_at is not None:
        return org
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("请填写理由。"), fields={"reason": [_("不能为空。")]})
    check_text("reason", reason)
    # Stored on the firm (its pages and notices show it): longer is refused, not cut.
    check_length("reason", reason, limit=max_length(Organization, "suspension_reason"))
    org.suspended_at = timezone.now()
    org.suspension_reason = reason
    org.save(update_fields=["suspended_at", "suspension_reason"])
    audit_record(
        actor=actor,
        action="organization.suspend",
        target=org,
        from_state="active",
        to_state="suspended",
        reason=reason,
    )
    published = Capability.objects.select_for_update().filter(
        firm=org, status=CapabilityStatus.PUBLISHED
    )
    for cap in published.order_by("pk"):
        transition(
            cap,
            allowed=CAPABILITY_ALLOWED,
            to=CapabilityStatus.SUSPENDED,
            actor=actor,
            action="capability.suspend",
            # The committee's words as typed; pages say it came with the firm's suspension
            # (``suspended_with_firm``) in the reader's language.
            reason=org.suspension_reason,
            extra_fields={"suspended_with_firm": True},
            data={"firm_suspension": True},
        )
        events.capability_withdrawn.send_after_commit(capability_id=cap.pk)
    notify_users(
        user_ids=list(org.memberships.values_list("user_id", flat=True)),
        verb="organization.suspended",
        params={"firm": org.name, "reason": org.suspension_reason},
        target=org,
    )
    return org


@transaction.atomic
def organization_reinstate(
    *, actor: Actor, organization: Organization, reason: str = ""
) -> Organization:
    """Lift a firm's suspension: the capabilities its suspension took off the list come back
    if they would pass publishing today; ones a committee suspended one by one stay
    suspended."""
    org = lock_one(Organization, organization.pk)
    if not may_supervise_firm(actor, org):
        raise ActorNotAllowed(_("只有平台管理员或企业所在地的工作委员会可以恢复企业。"))
    if org.suspended_at is None:
        return org
    check_text("reason", reason)
    if not reason.strip():  # the firm and the audit read why its suspension ended
        raise InvalidInput(_("请填写理由。"), fields={"reason": [_("不能为空。")]})
    org.suspended_at = None
    org.suspension_reason = ""
    org.save(update_fields=["suspended_at", "suspension_reason"])
    audit_record(
        actor=actor,
        action="organization.reinstate",
        target=org,
        from_state="suspended",
        to_state="active",
        reason=reason,
    )
    taken = Capability.objects.select_for_update().filter(
        firm=org, status=CapabilityStatus.SUSPENDED, suspended_with_firm=True
    )
    for cap in taken.order_by("pk"):
        if capability_negative_hits(cap) or not org.is_verified:
            continue
        transition(
            cap,
            allowed=CAPABILITY_ALLOWED,
            to=CapabilityStatus.PUBLISHED,
            actor=actor,
            action="capability.reinstate",
            reason=reason,
            extra_fields={"published_at": timezone.now(), "suspended_with_firm": False},
            data={"firm_reinstatement": True},
        )
        events.announce_capability_published(capability_id=cap.pk)
    notify_users(
        user_ids=list(org.memberships.values_list("user_id", flat=True)),
        verb="organization.reinstated",
        params={"firm": org.name},
        target=org,
    )
    return org


@transaction.atomic
def organization_certify(
    *,
    actor: Actor | None,
    organization: Organization,
    certifications: list[str],
    capacity: int | None,
    reason: str = "",
    merge: bool = False,
) -> Organization:
    """Record what a committee (or an admin) checked of a firm's claims: the certifications it
    holds and how many pilots one capability may run at once (None: unchecked, matching then
    counts at most ``UNVERIFIED_CAPACITY``). ``merge`` adds to what was verified before (a
    trusted import of an approved list); otherwise the lists are replaced."""
    org = lock_one(Organization, organization.pk)
    if org.kind != OrganizationKind.FIRM:
        raise InvalidInput(_("只有企业需要核验资质。"), fields={"kind": [_("不是企业。")]})
    if actor is not None and not may_supervise_firm(actor, org):
        raise ActorNotAllowed(_("只有平台管理员或企业所在地的工作委员会可以核验企业资质。"))
    known = set(Certification.values)
    unknown = [c for c in certifications if c not in known]
    if unknown:
        raise InvalidInput(
            _("未知的资质：%(c)s。") % {"c": listing(unknown[:5])},
            fields={"certifications": [_("未知的资质。")]},
        )
    if capacity is not None and not (
        isinstance(capacity, int) and not isinstance(capacity, bool) and 1 <= capacity <= 1000
    ):
        raise InvalidInput(_("承接能力无效。"), fields={"capacity": [_("必须是1到1000的整数。")]})
    before = {
        "certifications": list(org.verified_certifications),
        "capacity": org.verified_capacity,
    }
    certs = set(certifications) | (set(org.verified_certifications) if merge else set())
    org.verified_certifications = [c for c in Certification.values if c in certs]
    if merge and org.verified_capacity is not None and capacity is not None:
        capacity = max(capacity, org.verified_capacity)
    org.verified_capacity = capacity if capacity is not None or not merge else org.verified_capacity
    org.certified_at = timezone.now()
    org.save(update_fields=["verified_certifications", "verified_capacity", "certified_at"])
    # The public lists count a certification once it is checked: the firm's rows count anew.
    held = Capability.objects.filter(firm=org).values_list("pk", flat=True)
    lists_changed(changed=(Capability, held))
    audit_record(
        actor=actor,
        action="organization.certify",
        target=org,
        reason=reason,
        data={
            "before": before,
            "after": {
                "certifications": org.verified_certifications,
                "capacity": org.verified_capacity,
            },
        },
    )
    if not merge:  # a trusted import publishes its own rows next, which announces them
        # The firm's published capabilities score differently now: matching sees them again.
        published = Capability.objects.filter(firm=org, status=CapabilityStatus.PUBLISHED)
        for cap_id in published.values_list("pk", flat=True):
            events.announce_capability_published(capability_id=cap_id)
    return org
