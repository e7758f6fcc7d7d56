"""Scenario needs: create, edit, submit, withdraw, close, mark as scaled."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.validators import phone_validator
from activity.services import audit_record, notifications_settle
from core.actors import Actor, acting_user
from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_one
from core.validation import full_clean_or_raise
from reference.models import Region
from reference.services import home_province
from scenarios.access import check_agency_editor, check_need_insider
from scenarios.choices import NeedStatus, PilotStatus, ReviewDecision
from scenarios.lifecycle import NEED_ALLOWED
from scenarios.models import ScenarioNeed
from scenarios.services.common import (
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    ImportSource,
    check_ref,
    check_ref_unlike_stored,
    check_version,
    clean_keywords,
    new_ref,
    resolve_chains,
    transition,
)
from scenarios.services.pilots import withdraw_proposals_of_need
from scenarios.services.reviews import need_announce_published, review_route_submitted
from scenarios.services.search import index_needs

N = NeedStatus
NEED_FIELDS = frozenset(
    {
        "title",
        "description",
        "category",
        "chains",
        "keywords",
        "region",
        "validation_type",
        "min_trl",
        "budget_cny",
        "resources_offered",
        "deadline",
        "is_major",
        "contact_name",
        "contact_phone",
        "confidential_notes",
    }
)


def _check_region(region: Region, agency: Organization) -> None:
    if not region.path.startswith(home_province().path):
        raise InvalidInput(_("场景所在地必须在本省。"), fields={"region_code": [_("不在本省。")]})
    # Inside the agency's own region only: a county bureau's need above its county would start
    # its review at a tier the county never sees (the review starts at the need's region).
    if not agency.region.contains(region):
        raise InvalidInput(
            _("场景所在地必须在发布单位的辖区内。"),
            fields={"region_code": [_("不在发布单位辖区内。")]},
        )


# How far ahead an agency may set a need's deadline (a scenario opened for longer is opened
# again); a year typo such as 9999 or 2207 is refused, not published.
MAX_DEADLINE_YEARS = 5


def check_deadline(deadline: date) -> None:
    """A deadline set or changed by an editor lies between today and five years ahead."""
    today = timezone.localdate()
    if deadline < today:
        raise InvalidInput(_("截止日期不能早于今天。"), fields={"deadline": [_("不能早于今天。")]})
    if deadline > today.replace(year=today.year + MAX_DEADLINE_YEARS, day=min(today.day, 28)):
        raise InvalidInput(
            _("截止日期过远。"),
            fields={"deadline": [_("最晚为 %(years)s 年后。") % {"years": MAX_DEADLINE_YEARS}]},
        )


def _apply(
    need: ScenarioNeed, values: dict[str, Any], *, check_dates: bool = True
) -> list[Any] | None:
    """Set plain fields on ``need``; return the resolved chains if they were given.
    ``check_dates``: a deadline set or changed lies in ``check_deadline``'s window (not for
    the operator's and bulk imports, which carry approved or archived lists as they are)."""
    unknown = set(values) - NEED_FIELDS
    if unknown:
        raise InvalidInput(_("未知字段。"), fields={f: [_("未知字段。")] for f in sorted(unknown)})
    chains = None
    for name, value in values.items():
        if name == "chains":
            chains = resolve_chains(value)
        elif name == "keywords":
            need.keywords = clean_keywords(value)
        elif name == "deadline" and isinstance(value, date) and value != need.deadline:
            if check_dates:
                check_deadline(value)
            need.deadline = value
        else:
            setattr(need, name, value)
    return chains


@transaction.atomic
def need_create(
    *,
    actor: Actor | None,
    agency: Organization,
    ref: str | None = None,
    status: str = N.DRAFT,
    **values: Any,
) -> ScenarioNeed:
    """Create a draft need for ``agency``; ``actor`` None is a trusted import.

    Imports may create a need directly as published (``status``), which is audited.
    """
    if agency.kind != OrganizationKind.AGENCY:
        raise InvalidInput(
            _("只有需求单位可以发布场景需求。"), fields={"agency": [_("不是需求单位。")]}
        )
    if actor is not None:
        check_agency_editor(actor, agency)
    check_ref(ref)
    check_ref_unlike_stored(ScenarioNeed, ref)
    values.setdefault("region", agency.region)
    need = ScenarioNeed(
        agency=agency,
        ref=ref or new_ref("N"),
        status=status,
        created_by=acting_user(actor),
    )
    if status == N.PUBLISHED:
        need.published_at = timezone.now()
    chains = _apply(need, values, check_dates=actor is not None)
    if chains is None:
        raise InvalidInput(_("至少选择一个产业链/赛道。"), fields={"chains": [_("不能为空。")]})
    _check_region(need.region, agency)
    full_clean_or_raise(need)
    need.save()
    index_needs(ids=[need.pk])
    need.chains.set(chains)
    audit_record(
        actor=actor, action="need.create", target=need, to_state=status, data={"ref": need.ref}
    )
    if status == N.PUBLISHED:
        need_announce_published(need=need)
    return need


@transaction.atomic
def need_update(
    *,
    actor: Actor | None,
    need: ScenarioNeed,
    expected_version: int | None,
    imported: ImportSource | None = None,
    **values: Any,
) -> ScenarioNeed:
    """Edit a draft or returned need of the actor's own agency; stale versions are refused.

    ``imported``: a row of a bulk import updating the need by its ref (the operator,
    ``actor`` None, a platform admin or a province committee member may, besides the
    agency's editors); its audit row records the batch, file and row.
    """
    need = lock_one(ScenarioNeed, need.pk)
    check_agency_editor(actor, need.agency, importing=imported is not None)
    check_version(need, expected_version)
    if not need.is_editable:
        raise InvalidTransition(_("只有草稿或被退回的需求可以修改。"), status=need.status)
    if not values:
        # Nothing to change: no new version (it made every colleague's copy stale) and no
        # empty audit row.
        return need
    before = {k: _jsonable(getattr(need, k)) for k in values if k != "chains"}
    chains_before = set(need.chains.values_list("pk", flat=True))
    chains = _apply(need, values, check_dates=imported is None)
    if need.major_by_budget and ("budget_cny" in values or "is_major" in values):
        # The platform marked it major for its budget, not the agency: with the budget (or
        # the flag) edited, only the agency's own tick stays and the next submission judges
        # the budget again (a lowered budget went to the province all the same).
        need.is_major = bool(values.get("is_major", False))
        need.major_by_budget = False
    _check_region(need.region, need.agency)
    full_clean_or_raise(need)
    if before == {k: _jsonable(getattr(need, k)) for k in before} and (
        chains is None or {c.pk for c in chains} == chains_before
    ):
        return need  # the values sent are the stored ones: nothing changes
    need.version += 1
    need.save()
    index_needs(ids=[need.pk])
    if chains is not None:
        need.chains.set(chains)
    data: dict[str, Any] = {
        "before": before,
        "after": {k: _jsonable(v) for k, v in values.items()},
    }
    if imported is not None:
        data["import"] = imported.audit_data()
    audit_record(actor=actor, action="need.update", target=need, data=data)
    return need


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Region):
        return value.code
    return value


@transaction.atomic
def need_submit(
    *, actor: Actor, need: ScenarioNeed, expected_version: int | None = None
) -> ScenarioNeed:
    """Submit a draft or returned need; it enters review at its own region's committee.

    Submitting a need that is already in review returns it unchanged.
    """
    need = lock_one(ScenarioNeed, need.pk)
    check_agency_editor(actor, need.agency)
    if need.status in (N.SUBMITTED, N.IN_REVIEW):
        return need
    check_version(need, expected_version)
    if need.deadline is not None and need.deadline < timezone.localdate():
        raise InvalidInput(
            _("截止日期已过，请修改后再提交。"),
            fields={"deadline": [_("已过期：%(d)s。") % {"d": need.deadline.isoformat()}]},
        )
    transition(
        need,
        allowed=NEED_ALLOWED,
        to=N.SUBMITTED,
        actor=actor,
        action="need.submit",
        extra_fields={"submitted_at": need.submitted_at or timezone.now()},
    )
    review_route_submitted(need=need, actor=actor)
    return need


@transaction.atomic
def need_withdraw(
    *, actor: Actor, need: ScenarioNeed, reason: str = "", expected_version: int | None = None
) -> ScenarioNeed:
    """The agency takes its need back (not once a pilot runs); withdrawing twice is a no-op."""
    need = lock_one(ScenarioNeed, need.pk)
    check_agency_editor(actor, need.agency)
    if need.status == N.WITHDRAWN:
        return need
    check_version(need, expected_version)
    if need.status == N.IN_REVIEW:
        need.reviews.filter(decision=ReviewDecision.PENDING).delete()
        notifications_settle(verb="review.pending", target=need)
    transition(
        need,
        allowed=NEED_ALLOWED,
        to=N.WITHDRAWN,
        actor=actor,
        action="need.withdraw",
        reason=reason,
        extra_fields={"review_tier": ""},
    )
    withdraw_proposals_of_need(actor=actor, need=need, reason=_("需求已撤回。"))
    return need


# The end states a need is taken up again from, as a new draft.
COPYABLE_NEED_STATUSES = frozenset({N.WITHDRAWN, N.REJECTED, N.CLOSED})


@transaction.atomic
def need_copy(*, actor: Actor, need: ScenarioNeed) -> ScenarioNeed:
    """A new draft of the same agency with the content of an ended (withdrawn, rejected or
    closed) need: how it is taken up again; the original and its trail stay as they are.
    What today's rules refuse is left for the agency to fill in the draft: a deadline already
    past, a phone number that is not one, keywords too long or too many (kept up to the
    limit), a region above the agency (its own region instead)."""
    check_agency_editor(actor, need.agency)
    if need.status not in COPYABLE_NEED_STATUSES:
        raise InvalidTransition(
            _("只有已撤回、未通过或已关闭的需求可以复制为新草稿。"), status=need.status
        )
    values = {name: getattr(need, name) for name in NEED_FIELDS - {"chains", "keywords"}}
    # The platform's mark for the budget is judged again when the copy is submitted.
    values["is_major"] = need.is_major and not need.major_by_budget
    if values["deadline"] is not None and values["deadline"] < timezone.localdate():
        values["deadline"] = None
    try:
        phone_validator(values["contact_phone"] or "00000")
    except ValidationError:
        values["contact_phone"] = ""
    if not need.region.path.startswith(need.agency.region.path):
        values["region"] = need.agency.region
    keywords = [
        k for k in need.keywords if isinstance(k, str) and 0 < len(k) <= MAX_KEYWORD_LENGTH
    ][:MAX_KEYWORDS]
    copy = need_create(
        actor=actor,
        agency=need.agency,
        chains=[c.slug for c in need.chains.all()],
        keywords=keywords,
        **values,
    )
    audit_record(actor=actor, action="need.copy", target=copy, data={"copied_from": need.ref})
    return copy


@transaction.atomic
def need_close(
    *, actor: Actor, need: ScenarioNeed, reason: str, expected_version: int | None = None
) -> ScenarioNeed:
    """Close a published need (expired, or no pilot succeeded); running pilots block it."""
    need = lock_one(ScenarioNeed, need.pk)
    check_need_insider(actor, need)
    if need.status == N.CLOSED:
        return need
    check_version(need, expected_version)
    if not reason.strip():
        raise InvalidInput(_("请填写关闭理由。"), fields={"reason": [_("不能为空。")]})
    if need.pilots.filter(status=PilotStatus.RUNNING).exists():
        raise InvalidTransition(_("仍有试点在验证中，不能关闭。"), status=need.status)
    transition(
        need, allowed=NEED_ALLOWED, to=N.CLOSED, actor=actor, action="need.close", reason=reason
    )
    withdraw_proposals_of_need(actor=actor, need=need, reason=_("需求已关闭。"))
    return need


@transaction.atomic
def need_mark_scaled(
    *, actor: Actor, need: ScenarioNeed, reason: str = "", expected_version: int | None = None
) -> ScenarioNeed:
    """A validated need whose solution moves on to industrial use (产业应用)."""
    need = lock_one(ScenarioNeed, need.pk)
    check_need_insider(actor, need)
    if need.status == N.SCALED:
        return need
    check_version(need, expected_version)
    transition(
        need, allowed=NEED_ALLOWED, to=N.SCALED, actor=actor, action="need.scale", reason=reason
    )
    return need
