"""Capabilities (能力清单): create, edit, submit/publish, withdraw, return, suspend."""

import unicodedata
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind, Role
from accounts.models import Committee, Organization
from accounts.selectors import member_ids
from activity.services import audit_record, notify_users
from core.actors import Actor, acting_user
from core.errors import DomainError, InvalidInput, InvalidTransition
from core.locks import lock_one
from core.validation import full_clean_or_raise
from scenarios import events
from scenarios.access import check_firm_editor, check_supervisor
from scenarios.choices import CapabilityStatus, Certification
from scenarios.lifecycle import CAPABILITY_ALLOWED
from scenarios.models import Capability
from scenarios.services.common import (
    ImportSource,
    check_ref,
    check_ref_unlike_stored,
    check_version,
    clean_keywords,
    new_ref,
    resolve_chains,
    transition,
)
from scenarios.services.negative_list import capability_negative_hits
from scenarios.services.pilots import open_pilot_of_capability
from scenarios.services.search import index_capabilities

C = CapabilityStatus
CAPABILITY_FIELDS = frozenset(
    {
        "title",
        "description",
        "chains",
        "keywords",
        "trl",
        "region",
        "certifications",
        "past_cases",
        "capacity",
    }
)
MAX_PAST_CASES = 20


def clean_list(value: Any, field: str, *, choices: set[str] | None = None) -> list[str]:
    """A list field of a capability (past cases, certifications): strings, stripped,
    de-duplicated, within ``choices`` when given, at most MAX_PAST_CASES of 200 characters."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(_("必须是字符串列表。"), fields={field: [_("必须是字符串列表。")]})
    cleaned = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if choices is not None:
        bad = [v for v in cleaned if v not in choices]
        if bad:
            raise InvalidInput(
                _("无效的选项。"), fields={field: [_("无效的选项：%(v)s") % {"v": ", ".join(bad)}]}
            )
    if len(cleaned) > MAX_PAST_CASES or any(len(v) > 200 for v in cleaned):
        raise InvalidInput(_("列表过长。"), fields={field: [_("最多20项，每项最多200字。")]})
    return cleaned


def _apply(cap: Capability, values: dict[str, Any]) -> list[Any] | None:
    unknown = set(values) - CAPABILITY_FIELDS
    if unknown:
        raise InvalidInput(_("未知字段。"), fields={f: [_("未知字段。")] for f in sorted(unknown)})
    chains = None
    for name, value in values.items():
        if name == "chains":
            chains = resolve_chains(value)
        elif name == "keywords":
            cap.keywords = clean_keywords(value)
        elif name == "certifications":
            cap.certifications = clean_list(value, name, choices=set(Certification.values))
        elif name == "past_cases":
            cap.past_cases = clean_list(value, name)
            if any("\n" in case or "\r" in case for case in cap.past_cases):
                # One case per line: the pages' box and the spreadsheets split at breaks.
                raise InvalidInput(
                    _("过往案例含有换行。"),
                    fields={name: [_("每个案例写在一行内；多个案例请分别填写。")]},
                )
        else:
            setattr(cap, name, value)
    return chains


def _check_region(cap: Capability) -> None:
    """A capability is offered where its firm is registered (its region or inside it): the
    region feeds the locality score, so a firm cannot claim to sit beside every need."""
    if not cap.firm.region.contains(cap.region):
        raise InvalidInput(
            _("能力所在地必须在企业注册地（%(region)s）范围内。")
            % {"region": cap.firm.region.name},
            fields={"region_code": [_("不在企业注册地范围内。")]},
        )


@transaction.atomic
def capability_create(
    *, actor: Actor | None, firm: Organization, ref: str | None = None, **values: Any
) -> Capability:
    """Create a draft capability for ``firm``; ``actor`` None is a trusted import."""
    if firm.kind != OrganizationKind.FIRM:
        raise InvalidInput(_("只有企业可以发布场景能力。"), fields={"firm": [_("不是企业。")]})
    if actor is not None:
        check_firm_editor(actor, firm)
    check_ref(ref)
    check_ref_unlike_stored(Capability, ref)
    values.setdefault("region", firm.region)
    cap = Capability(
        firm=firm,
        ref=ref or new_ref("C"),
        created_by=acting_user(actor),
    )
    chains = _apply(cap, values)
    if chains is None:
        raise InvalidInput(_("至少选择一个产业链/赛道。"), fields={"chains": [_("不能为空。")]})
    _check_region(cap)
    full_clean_or_raise(cap)
    cap.save()
    index_capabilities(ids=[cap.pk])
    cap.chains.set(chains)
    audit_record(
        actor=actor,
        action="capability.create",
        target=cap,
        to_state=cap.status,
        data={"ref": cap.ref},
    )
    return cap


@transaction.atomic
def capability_update(
    *,
    actor: Actor | None,
    capability: Capability,
    expected_version: int | None,
    imported: ImportSource | None = None,
    **values: Any,
) -> Capability:
    """Edit a draft, returned or withdrawn capability of the actor's own firm.

    ``imported``: a row of a bulk import updating it by its ref (as ``need_update``).
    """
    cap = lock_one(Capability, capability.pk)
    check_firm_editor(actor, cap.firm, importing=imported is not None)
    check_version(cap, expected_version)
    if values:
        _check_not_in_pilot(cap)
    if not cap.is_editable:
        raise InvalidTransition(_("已发布的能力需先撤回才能修改。"), status=cap.status)
    if not values:
        return cap  # nothing to change: no new version, no empty audit row
    before = {k: getattr(cap, k) for k in values if k != "chains"}
    chains_before = set(cap.chains.values_list("pk", flat=True))
    chains = _apply(cap, values)
    _check_region(cap)
    full_clean_or_raise(cap)
    if before == {k: getattr(cap, k) for k in before} and (
        chains is None or {c.pk for c in chains} == chains_before
    ):
        return cap  # the values sent are the stored ones: nothing changes
    cap.version += 1
    cap.save()
    index_capabilities(ids=[cap.pk])
    if chains is not None:
        cap.chains.set(chains)
    data: dict[str, Any] = {"fields": sorted(values)}
    if imported is not None:
        data["import"] = imported.audit_data()
    audit_record(actor=actor, action="capability.update", target=cap, data=data)
    return cap


def _publish_if_ready(cap: Capability, *, actor: Actor | None) -> None:
    """Publish a locked, submitted capability if its firm is verified and no entry hits it."""
    hits = capability_negative_hits(cap)
    if hits:
        reason = _("命中负面清单：%(e)s") % {"e": "；".join(f"{h}（{h.reason}）" for h in hits)}
        transition(
            cap,
            allowed=CAPABILITY_ALLOWED,
            to=C.RETURNED,
            actor=actor,
            action="capability.return",
            reason=reason,
            data={"negative_list": [h.pk for h in hits]},
        )
        return
    if cap.held_reason:
        return  # waits for the committee (capability_reinstate publishes it)
    if reason := _hold_reason(cap):
        cap.held_reason = reason
        cap.save(update_fields=["held_reason", "updated_at"])
        audit_record(actor=actor, action="capability.hold", target=cap, reason=reason)
        notify_users(
            user_ids=_supervisor_ids(cap.firm),
            verb="capability.held",
            params={"ref": cap.ref, "capability": cap.title, "reason": reason},
            target=cap,
        )
        return
    if not cap.firm.is_verified or cap.firm.is_suspended:
        return  # stays submitted; verifying the firm publishes it
    transition(
        cap,
        allowed=CAPABILITY_ALLOWED,
        to=C.PUBLISHED,
        actor=actor,
        action="capability.publish",
        extra_fields={"published_at": timezone.now()},
    )
    events.announce_capability_published(capability_id=cap.pk)


def _same_text(value: str) -> str:
    """Text compared for look-alikes: width, case, every space and every invisible (format)
    character ignored."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf")


def _hold_reason(cap: Capability) -> str:
    """Why this submission needs a committee before it is published, or ''.

    A capability a committee returned comes back to the committee, changed or not; a copy of
    one of the firm's suspended capabilities (same title or same description) does too, so
    neither resubmitting nor cloning undoes a committee's decision."""
    if cap.returned_by_committee:
        return _("经工作委员会退回后重新提交，待工作委员会复核。")
    title, description = _same_text(cap.title), _same_text(cap.description)
    # A committee-returned capability keeps its flag until a committee publishes it, also
    # while it waits resubmitted or after its firm withdrew it.
    decided = Capability.objects.filter(
        Q(status=C.SUSPENDED) | (Q(returned_by_committee=True) & ~Q(status=C.PUBLISHED)),
        firm_id=cap.firm_id,
    ).exclude(pk=cap.pk)
    for other_title, other_description in decided.values_list("title", "description"):
        if _same_text(other_title) == title or _same_text(other_description) == description:
            return _("与已被工作委员会暂停或退回的能力“%(title)s”内容相同，待工作委员会复核。") % {
                "title": other_title
            }
    return ""


def _supervisor_ids(firm: Organization) -> list[int]:
    """Members of the committee of the firm's own region (who supervise its capabilities)."""
    committee = Committee.objects.filter(region_id=firm.region_id).first()
    return member_ids(committee.organization_id, Role.COMMITTEE_MEMBER) if committee else []


@transaction.atomic
def capability_submit(
    *, actor: Actor | None, capability: Capability, expected_version: int | None = None
) -> Capability:
    """Submit; publishes at once for a verified firm when the negative list allows.

    A negative-list hit returns it with the entries as the reason; an unverified firm's
    capability waits as submitted. Submitting an already submitted or published one is a
    no-op.
    """
    cap = lock_one(Capability, capability.pk)
    if actor is not None:
        check_firm_editor(actor, cap.firm)
    if cap.status in (C.SUBMITTED, C.PUBLISHED):
        return cap
    if cap.firm.is_suspended:
        raise InvalidTransition(
            _("企业已被工作委员会暂停（%(reason)s），不能提交能力。")
            % {"reason": cap.firm.suspension_reason},
            status=cap.status,
        )
    check_version(cap, expected_version)
    transition(
        cap, allowed=CAPABILITY_ALLOWED, to=C.SUBMITTED, actor=actor, action="capability.submit"
    )
    _publish_if_ready(cap, actor=actor)
    return cap


def capabilities_publish_pending(*, firm: Organization, actor: Actor | None) -> int:
    """After a firm is verified, publish its submitted capabilities (caller's transaction)."""
    count = 0
    pending = Capability.objects.select_for_update().filter(firm=firm, status=C.SUBMITTED)
    for cap in pending.select_related("firm").order_by("pk"):  # pk order, as locks.py asks
        _publish_if_ready(cap, actor=actor)
        count += cap.status == C.PUBLISHED
    return count


def _check_not_in_pilot(cap: Capability, *, returning: bool = False) -> None:
    """A capability whose pilot is proposed or running keeps what it was when the pilot was
    asked for: neither the firm (withdrawing to edit, editing) nor a committee (returning it
    for editing) opens it to changes until the pilot ends; a committee may suspend it."""
    if (pilot := open_pilot_of_capability(cap.pk)) is None:
        return
    message = (
        _("能力正在需求“%(need)s”的场景验证试点中（%(state)s），试点结束前不能退回修改；可以暂停。")
        if returning
        else _("能力正在需求“%(need)s”的场景验证试点中（%(state)s），试点结束前不能修改。")
    )
    raise InvalidTransition(
        message % {"need": pilot.need.title, "state": pilot.get_status_display()},
        status=cap.status,
    )


@transaction.atomic
def capability_withdraw(
    *,
    actor: Actor,
    capability: Capability,
    reason: str = "",
    expected_version: int | None = None,
) -> Capability:
    """The firm takes its capability off the list (not while a committee suspends it, nor
    while a pilot of it is proposed or running: withdrawing is how a capability is edited,
    and the pilot must stay about the product it validates)."""
    cap = lock_one(Capability, capability.pk)
    check_firm_editor(actor, cap.firm)
    if cap.status == C.WITHDRAWN:
        return cap
    if cap.status == C.SUSPENDED:
        # Withdrawing and resubmitting would republish it past the committee's suspension.
        raise InvalidTransition(
            _("能力已被工作委员会暂停，不能撤回；请联系工作委员会。"), status=cap.status
        )
    if (pilot := open_pilot_of_capability(cap.pk)) is not None:
        raise InvalidTransition(
            _(
                "能力正在需求“%(need)s”的场景验证试点中（%(state)s），试点结束前不能撤回或"
                "修改；如需更正，请联系需求单位。"
            )
            % {"need": pilot.need.title, "state": pilot.get_status_display()},
            status=cap.status,
        )
    check_version(cap, expected_version)
    was_published = cap.status == C.PUBLISHED
    transition(
        cap,
        allowed=CAPABILITY_ALLOWED,
        to=C.WITHDRAWN,
        actor=actor,
        action="capability.withdraw",
        reason=reason,
    )
    if was_published:
        events.capability_withdrawn.send_after_commit(capability_id=cap.pk)
    return cap


def _supervise(
    *,
    actor: Actor,
    capability: Capability,
    to: str,
    action: str,
    reason: str,
    expected_version: int | None,
) -> Capability:
    cap = lock_one(Capability, capability.pk)
    check_supervisor(actor, cap.firm)
    if cap.status == to:
        return cap
    check_version(cap, expected_version)
    if to != C.PUBLISHED and not reason.strip():
        raise InvalidInput(_("请填写理由。"), fields={"reason": [_("不能为空。")]})
    if to == C.RETURNED:
        _check_not_in_pilot(cap, returning=True)
    extra: dict[str, Any] = {}
    if to == C.PUBLISHED:
        extra = {
            "published_at": timezone.now(),
            "held_reason": "",
            "returned_by_committee": False,
            "suspended_with_firm": False,
        }
    elif to == C.RETURNED:
        extra = {"returned_by_committee": True, "held_reason": ""}
    left_the_list = cap.status == C.PUBLISHED and to != C.PUBLISHED
    transition(
        cap,
        allowed=CAPABILITY_ALLOWED,
        to=to,
        actor=actor,
        action=action,
        reason=reason,
        extra_fields=extra,
    )
    if left_the_list:
        events.capability_withdrawn.send_after_commit(capability_id=cap.pk)
    notify_users(
        user_ids=member_ids(cap.firm_id, Role.FIRM_EDITOR),
        verb=f"capability.{to}",
        params={"ref": cap.ref, "capability": cap.title}
        | ({"reason": reason.strip()} if reason.strip() else {}),
        target=cap,
    )
    return cap


@transaction.atomic
def capability_suspend(
    *, actor: Actor, capability: Capability, reason: str, expected_version: int | None = None
) -> Capability:
    """Take a published capability out of the list and out of matching."""
    return _supervise(
        actor=actor,
        capability=capability,
        to=C.SUSPENDED,
        action="capability.suspend",
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def capability_reinstate(
    *,
    actor: Actor,
    capability: Capability,
    reason: str = "",
    expected_version: int | None = None,
) -> Capability:
    """Put a suspended capability, or a submission held for review, on the list, if it would
    pass publishing today (and its firm is not suspended)."""
    cap = lock_one(Capability, capability.pk)
    check_supervisor(actor, cap.firm)
    if cap.status == C.PUBLISHED:
        return cap
    held = cap.status == C.SUBMITTED and bool(cap.held_reason)
    if cap.status != C.SUSPENDED and not held:
        raise InvalidTransition(_("只有已暂停或待复核的能力可以恢复发布。"), status=cap.status)
    if cap.firm.is_suspended:
        raise InvalidTransition(_("企业已被暂停，请先恢复企业。"), status=cap.status)
    hits = capability_negative_hits(cap)
    if hits:
        raise DomainError(
            _("命中负面清单，不能恢复：%(e)s") % {"e": "；".join(str(h) for h in hits)},
            code="negative_list",
        )
    if not cap.firm.is_verified:
        raise InvalidTransition(_("企业尚未认证，不能恢复。"), status=cap.status)
    cap = _supervise(
        actor=actor,
        capability=cap,
        to=C.PUBLISHED,
        action="capability.reinstate",
        reason=reason,
        expected_version=expected_version,
    )
    events.announce_capability_published(capability_id=cap.pk)
    return cap


@transaction.atomic
def capability_return(
    *, actor: Actor, capability: Capability, reason: str, expected_version: int | None = None
) -> Capability:
    """Send a submitted or published capability back to the firm with a reason."""
    return _supervise(
        actor=actor,
        capability=capability,
        to=C.RETURNED,
        action="capability.return",
        reason=reason,
        expected_version=expected_version,
    )
