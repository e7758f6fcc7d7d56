"""Pilots: start a validation of a capability in a need's scenario, track it, conclude it."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Final

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import OrganizationRelation
from accounts.roles import is_platform_admin, sits_on_committee_covering
from accounts.selectors import member_ids
from activity.services import audit_record, notifications_settle, notify_users
from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, DomainError, InvalidInput, InvalidTransition
from core.locks import lock_many, lock_one
from core.validation import check_length, max_length, text_problem
from scenarios.access import check_agency_editor, is_need_insider
from scenarios.choices import CapabilityStatus, NeedStatus, PilotStatus
from scenarios.lifecycle import NEED_ALLOWED, PILOT_ALLOWED, PILOT_NEVER_RAN
from scenarios.models import Capability, Pilot, ScenarioNeed
from scenarios.notifications import notify_deciders
from scenarios.services.common import check_version, transition

# A tolerance period longer than this is a typing slip (9999-12-31), not a pilot's plan: the
# committee reviews pilots while they run, and a recognized outcome needs an end.
MAX_TOLERANCE_YEARS: Final = 3
MAX_TOLERANCE: Final = timedelta(days=365 * MAX_TOLERANCE_YEARS + 1)


def _check_need_side(actor: Actor, need: ScenarioNeed) -> None:
    if not is_need_insider(actor, need):
        raise ActorNotAllowed(_("只有发布单位、辖区工作委员会或平台管理员可以操作试点。"))


def check_pilot_need_side(actor: Actor, pilot: Pilot) -> None:
    """The pilot's need's agency, a committee over it or an admin: they run the pilot."""
    _check_need_side(actor, pilot.need)


def check_pilot_committee(actor: Actor, pilot: Pilot) -> None:
    """A committee over the pilot's need or an admin: they decide, confirm and recommend."""
    if not _is_approver(actor, pilot.need):
        raise ActorNotAllowed(_("只有需求所在地工作委员会或平台管理员可以执行此操作。"))


def conflict_of_interest(need: ScenarioNeed, capability: Capability) -> bool:
    """Same organization, or a declared relation in either direction."""
    if need.agency_id == capability.firm_id:
        return True
    return OrganizationRelation.objects.filter(
        Q(from_org_id=need.agency_id, to_org_id=capability.firm_id)
        | Q(from_org_id=capability.firm_id, to_org_id=need.agency_id)
    ).exists()


MAX_MILESTONES = 50
MAX_MILESTONE_TITLE = 200


def _clean_milestones(milestones: Any, *, start: date, end: date) -> list[dict[str, Any]]:
    """The pilot's milestones: a title each, a due date (if any) between the pilot's start
    and the end of its tolerance period."""
    if not isinstance(milestones, list):
        raise InvalidInput(_("里程碑必须是列表。"), fields={"milestones": [_("必须是列表。")]})
    if len(milestones) > MAX_MILESTONES:
        raise InvalidInput(
            _("里程碑过多。"),
            fields={"milestones": [_("最多 %(n)s 个。") % {"n": MAX_MILESTONES}]},
        )
    cleaned = []
    out_of_range: dict[str, list[str]] = {}
    for index, item in enumerate(milestones):
        if not isinstance(item, dict) or not str(item.get("title", "")).strip():
            raise InvalidInput(
                _("里程碑无效。"), fields={f"milestones.{index}": [_("需要 title。")]}
            )
        title = str(item["title"]).strip()
        problem = text_problem(title, single_line=True)
        if problem or len(title) > MAX_MILESTONE_TITLE:
            raise InvalidInput(
                _("里程碑名称无效。"),
                fields={
                    f"milestones.{index}.title": [
                        problem or _("最多 %(n)s 个字。") % {"n": MAX_MILESTONE_TITLE}
                    ]
                },
            )
        due = item.get("due")
        if due is not None:
            try:
                day = date.fromisoformat(str(due))
            except ValueError:
                raise InvalidInput(
                    _("里程碑日期无效。"),
                    fields={f"milestones.{index}.due": [_("应为 YYYY-MM-DD。")]},
                ) from None
            if not start <= day <= end:
                # Every row out of range is named (not only the first), each with the range.
                out_of_range[f"milestones.{index}.due"] = [
                    _("应在 %(start)s 到包容期截止日 %(end)s 之间。")
                    % {"start": start.isoformat(), "end": end.isoformat()}
                ]
        cleaned.append(
            {
                "title": title,
                "due": due,
                "done": bool(item.get("done", False)),
            }
        )
    if out_of_range:
        raise InvalidInput(
            _("里程碑日期不在试点期内（%(start)s 至包容期截止日 %(end)s）。")
            % {"start": start.isoformat(), "end": end.isoformat()},
            fields=out_of_range,
        )
    return cleaned


# What an agency's proposal must also satisfy, beyond this app's own rules: checks that
# higher apps add in their ``AppConfig.ready()`` (the matching app: the pair is on the
# agency's shortlist, which this app knows nothing of). Each takes the need's and the
# capability's ids, raises a DomainError to refuse, and may name the recommendation the
# proposal comes from (its id, recorded as the pilot's source when the caller gave none).
ProposalCheck = Callable[[int, int], int | None]
_proposal_checks: list[ProposalCheck] = []


def add_proposal_check(check: ProposalCheck) -> None:
    """Make every agency proposal pass ``check`` (idempotent: added once)."""
    if check not in _proposal_checks:
        _proposal_checks.append(check)


# Why a pair cannot run a pilot beyond the need's and the capability's states: checks
# higher apps add in their ``AppConfig.ready()`` (the matching app: the firm has answered
# that it will not take part, or, for a start or an approval, has not said it will). Each
# takes the need's and the capability's ids and whether the pilot would start now (False:
# an agency's proposal), and returns the reason, or None.
PairObjection = Callable[[int, int, bool], str | None]
_pair_objections: list[PairObjection] = []


def add_pair_objection(objection: PairObjection) -> None:
    """Make ``pair_unavailable`` (so every start and approval) heed ``objection``."""
    if objection not in _pair_objections:
        _pair_objections.append(objection)


# What else a pilot's start settles, beyond this app's rows: hooks higher apps add in their
# ``AppConfig.ready()`` (the matching app: the pair's pending review is approved with the
# pilot). Each takes the running pilot and the actor, inside the starting transaction.
PilotStarted = Callable[[Pilot, Actor], None]
_start_hooks: list[PilotStarted] = []


def add_pilot_start_hook(hook: PilotStarted) -> None:
    """Make every pilot's start (by a committee, or a proposal approved) call ``hook``."""
    if hook not in _start_hooks:
        _start_hooks.append(hook)


def open_pilot_of_pair(*, need_id: int, capability_id: int) -> Pilot | None:
    """The pair's pilot that is proposed or running, if any."""
    open_statuses = (PilotStatus.PROPOSED, PilotStatus.RUNNING)
    pilots = Pilot.objects.filter(need_id=need_id, capability_id=capability_id)
    return pilots.filter(status__in=open_statuses).order_by("-id").first()


def open_pilot_of_capability(capability_id: int) -> Pilot | None:
    """The capability's pilot that is proposed or running, if any (with its need)."""
    open_statuses = (PilotStatus.PROPOSED, PilotStatus.RUNNING)
    pilots = Pilot.objects.filter(capability_id=capability_id, status__in=open_statuses)
    return pilots.select_related("need").order_by("-id").first()


def _is_approver(actor: Actor, need: ScenarioNeed) -> bool:
    """The need's committees (its region's and above) and platform admins decide pilots."""
    return is_platform_admin(actor) or sits_on_committee_covering(actor, need.region)


def pair_unavailable(
    *, need: ScenarioNeed, capability: Capability, starting: bool = True
) -> str | None:
    """Why no pilot can run on the pair as the need and the capability stand now (the states
    ``_check_pair`` requires), naming what changed (the firm suspended, the capability
    suspended or no longer published, the need no longer open), or None. Pages read it to
    say so before anyone tries, instead of offering an approval that fails. ``starting``:
    the pilot would start now (a committee's start or approval), not be proposed."""
    if need.status not in (NeedStatus.PUBLISHED, NeedStatus.IN_VALIDATION):
        return _("需求现为“%(status)s”，不能开展试点。") % {"status": need.get_status_display()}
    if capability.status == CapabilityStatus.PUBLISHED:
        for objection in _pair_objections:
            if reason := objection(need.pk, capability.pk, starting):
                return reason
        return None
    if capability.firm.is_suspended:
        return _("企业已被暂停，其能力不能开展试点。")
    if capability.status == CapabilityStatus.SUSPENDED:
        return _("能力已被暂停发布，不能开展试点。")
    return _("能力现为“%(status)s”，不在能力清单中，不能开展试点。") % {
        "status": capability.get_status_display()
    }


def _check_pair(
    need: ScenarioNeed, capability: Capability, tolerance_until: date, *, starting: bool
) -> None:
    """What must hold to propose a pilot and again to run it."""
    if problem := pair_unavailable(need=need, capability=capability, starting=starting):
        open_need = need.status in (NeedStatus.PUBLISHED, NeedStatus.IN_VALIDATION)
        if not open_need:
            status = need.status
        elif capability.status != CapabilityStatus.PUBLISHED:
            status = capability.status
        else:
            status = "pair_objection"
        raise InvalidTransition(problem, status=status)
    if conflict_of_interest(need, capability):
        raise DomainError(
            _("需求单位与企业存在关联关系，不能开展试点（利益冲突）。"), code="conflict_of_interest"
        )
    load = Pilot.objects.filter(capability=capability, status=PilotStatus.RUNNING).count()
    if load >= capability.capacity:
        raise DomainError(_("该能力的试点承接能力已满。"), code="capacity_full")
    if tolerance_until <= timezone.localdate():
        raise InvalidInput(
            _("包容期截止日期必须晚于今天。"), fields={"tolerance_until": [_("必须是将来的日期。")]}
        )
    if tolerance_until > timezone.localdate() + MAX_TOLERANCE:
        years = {"years": MAX_TOLERANCE_YEARS}
        raise InvalidInput(
            _("包容期最长 %(years)s 年。") % years,
            fields={"tolerance_until": [_("不能晚于 %(years)s 年后。") % years]},
        )


def _begin(*, actor: Actor, pilot: Pilot, need: ScenarioNeed) -> None:
    """A pilot starts running: audit, the need goes in_validation, the firm hears of it."""
    if need.status == NeedStatus.PUBLISHED:
        transition(
            need,
            allowed=NEED_ALLOWED,
            to=NeedStatus.IN_VALIDATION,
            actor=actor,
            action="need.validation_start",
            data={"pilot": pilot.pk},
        )
    for hook in _start_hooks:
        hook(pilot, actor)
    capability = pilot.capability
    notify_users(
        user_ids=list(capability.firm.memberships.values_list("user_id", flat=True)),
        verb="pilot.started",
        params={"capability": capability.title, "need": need.title},
        target=pilot,
    )


@transaction.atomic
def pilot_start(
    *,
    actor: Actor,
    need: ScenarioNeed,
    capability: Capability,
    tolerance_until: date,
    validation_type: str | None = None,
    milestones: list[dict[str, Any]] | None = None,
    source_match_id: int | None = None,
) -> Pilot:
    """Start validating ``capability`` in ``need``'s scenario, or propose it.

    A committee over the need's region (or an admin) starts the pilot at once: that is its
    decision, taken on an approved recommendation or directly. The need's agency only
    *proposes* it (``proposed``); the pilot runs when the committee approves the proposal
    (:func:`pilot_proposal_decide`). Refused for unpublished items, conflicts of interest,
    and a capability already running as many pilots as its capacity. Starting or proposing
    the same open pair again returns the existing pilot; a committee starting a pair whose
    proposal waits for it approves that proposal (the pilot runs, not a second one).
    """
    _check_need_side(actor, need)
    need, capability = lock_one(ScenarioNeed, need.pk), lock_one(Capability, capability.pk)
    open_pilots = Pilot.objects.filter(
        need=need, capability=capability, status__in=(PilotStatus.PROPOSED, PilotStatus.RUNNING)
    )
    approver = _is_approver(actor, need)
    if (existing := open_pilots.first()) is not None:
        if existing.status == PilotStatus.PROPOSED and approver:
            # The agency's proposal keeps its own milestones and validation type: a start
            # that names others is refused, not approved with them silently dropped.
            other = {
                name: [
                    _(
                        "需求单位已提议这一试点，以提议为准；请不带此项再次提交，或先不予批准该提议。"
                    )
                ]
                for name, given, held in (
                    ("milestones", milestones, existing.milestones),
                    ("validation_type", validation_type, existing.validation_type),
                )
                if given and given != held
            }
            if other:
                raise InvalidInput(_("这一组合已有待批准的试点提议。"), fields=other)
            return pilot_proposal_decide(
                actor=actor, pilot=existing, approve=True, tolerance_until=tolerance_until
            )
        return existing
    _check_pair(need, capability, tolerance_until, starting=approver)
    if not approver:
        for check in _proposal_checks:
            source = check(need.pk, capability.pk)
            source_match_id = source_match_id or source
    pilot = Pilot.objects.create(
        need=need,
        capability=capability,
        capability_title=capability.title,
        status=PilotStatus.RUNNING if approver else PilotStatus.PROPOSED,
        validation_type=validation_type or need.validation_type,
        tolerance_until=tolerance_until,
        milestones=_clean_milestones(
            milestones or [], start=timezone.localdate(), end=tolerance_until
        ),
        trl_before=capability.trl,
        source_match_id=source_match_id,
        created_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action="pilot.start" if approver else "pilot.propose",
        target=pilot,
        to_state=pilot.status,
        data={"need": need.pk, "capability": capability.pk},
    )
    if approver:
        _begin(actor=actor, pilot=pilot, need=need)
    else:
        params = {"agency": need.agency.name, "need": need.title, "capability": capability.title}
        notify_deciders(need=need, verb="pilot.proposed", params=params, target=pilot)
        # The firm too: the committee approves only once it says it is interested, and its
        # answer is what it gives now (the notice settles with the decision, as the
        # committee's does).
        notify_users(
            user_ids=member_ids(capability.firm_id, Role.FIRM_EDITOR),
            verb="pilot.proposed",
            params=params,
            target=pilot,
        )
    return pilot


@transaction.atomic
def pilot_proposal_decide(
    *,
    actor: Actor,
    pilot: Pilot,
    approve: bool,
    reason: str = "",
    tolerance_until: date | None = None,
    expected_version: int | None = None,
) -> Pilot:
    """The need's committee approves an agency's proposal (the pilot runs) or declines it
    (a reason is required). Deciding the same way twice returns the pilot unchanged; a
    second decision that says something else (another tolerance period, another reason) or
    names a version the pilot never had is refused, not ignored."""
    pilot = lock_one(Pilot, pilot.pk)
    need = pilot.need
    if not _is_approver(actor, need):
        raise ActorNotAllowed(_("只有需求所在地工作委员会或平台管理员可以审批试点。"))
    reason = reason.strip()
    check_length("reason", reason, limit=max_length(Pilot, "decision_reason"))
    target = PilotStatus.RUNNING if approve else PilotStatus.DECLINED
    if pilot.status == target:
        if expected_version is not None and expected_version > pilot.version:
            check_version(pilot, expected_version)
        other_until = tolerance_until is not None and tolerance_until != pilot.tolerance_until
        other_reason = bool(reason) and reason != pilot.decision_reason
        if other_until or other_reason:
            raise InvalidTransition(
                _("已审批；再次提交的内容与已作的决定不同，未作更改。"), status=pilot.status
            )
        return pilot
    if pilot.status == PilotStatus.WITHDRAWN:
        raise InvalidTransition(_("需求单位已撤回这项试点申请，无需审批。"), status=pilot.status)
    if pilot.status != PilotStatus.PROPOSED:
        raise InvalidTransition(_("这个试点不在待批准状态。"), status=pilot.status)
    check_version(pilot, expected_version)
    notifications_settle(verb="pilot.proposed", target=pilot)
    extra: dict[str, Any] = {"decision_reason": reason}
    if approve:
        need = lock_one(ScenarioNeed, need.pk)
        capability = lock_one(Capability, pilot.capability_id)
        until = tolerance_until or pilot.tolerance_until
        _check_pair(need, capability, until, starting=True)
        late = [m for m in pilot.milestones if m.get("due") and str(m["due"]) > until.isoformat()]
        if late:
            raise InvalidInput(
                _("包容期截止日期早于里程碑日期。"),
                fields={
                    "tolerance_until": [
                        _("不能早于里程碑“%(title)s”的日期 %(due)s。")
                        % {"title": late[0]["title"], "due": late[0]["due"]}
                    ]
                },
            )
        extra |= {
            "tolerance_until": until,
            "trl_before": capability.trl,
            "started_at": timezone.now(),
        }
    elif not reason.strip():
        raise InvalidInput(_("不批准需要填写理由。"), fields={"reason": [_("不能为空。")]})
    transition(
        pilot,
        allowed=PILOT_ALLOWED,
        to=target,
        actor=actor,
        action="pilot.approve" if approve else "pilot.decline",
        reason=reason,
        extra_fields=extra,
    )
    if approve:
        _begin(actor=actor, pilot=pilot, need=need)
    notify_users(
        user_ids=member_ids(need.agency_id, Role.AGENCY_EDITOR),
        verb="pilot.decided",
        params={"variant": "approved" if approve else "declined", "need": need.title},
        target=pilot,
    )
    return pilot


@transaction.atomic
def pilot_proposal_withdraw(
    *, actor: Actor, pilot: Pilot, expected_version: int | None = None
) -> Pilot:
    """The need's agency takes back its proposal before the committee decides it: the
    committee's to-do settles, and the pair may be proposed again later. Withdrawing twice
    returns the pilot unchanged; a proposal already decided is refused."""
    pilot = lock_one(Pilot, pilot.pk)
    check_agency_editor(actor, pilot.need.agency)
    if pilot.status == PilotStatus.WITHDRAWN:
        if expected_version is not None and expected_version > pilot.version:
            check_version(pilot, expected_version)
        return pilot
    if pilot.status != PilotStatus.PROPOSED:
        raise InvalidTransition(
            _("试点申请已由工作委员会审批（%(s)s），不能再撤回。")
            % {"s": pilot.get_status_display()},
            status=pilot.status,
        )
    check_version(pilot, expected_version)
    _withdraw(actor, pilot, action="pilot.withdraw")
    return pilot


def _withdraw(actor: Actor, pilot: Pilot, *, action: str, reason: str = "") -> None:
    notifications_settle(verb="pilot.proposed", target=pilot)
    transition(
        pilot,
        allowed=PILOT_ALLOWED,
        to=PilotStatus.WITHDRAWN,
        actor=actor,
        action=action,
        reason=reason,
        extra_fields={"ended_at": timezone.now()},
    )


def withdraw_proposals_of_need(*, actor: Actor, need: ScenarioNeed, reason: str) -> int:
    """A need leaving the list (withdrawn or closed by its agency) takes its waiting pilot
    proposals with it: the committee could only decline them. Returns how many. The caller
    holds the need's lock and has checked the actor."""
    proposals = list(
        Pilot.objects.select_for_update()
        .filter(need=need, status=PilotStatus.PROPOSED)
        .order_by("pk")
    )
    for pilot in proposals:
        _withdraw(actor, pilot, action="pilot.withdraw_with_need", reason=reason)
    return len(proposals)


@transaction.atomic
def pilot_update_milestones(
    *,
    actor: Actor,
    pilot: Pilot,
    milestones: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Pilot:
    pilot = lock_one(Pilot, pilot.pk)
    _check_need_side(actor, pilot.need)
    check_version(pilot, expected_version)
    if pilot.status == PilotStatus.PROPOSED or pilot.status in PILOT_NEVER_RAN:
        raise InvalidTransition(_("试点未获批准开展。"), status=pilot.status)
    if pilot.status != PilotStatus.RUNNING:
        raise InvalidTransition(_("试点已结束。"), status=pilot.status)
    pilot.milestones = _clean_milestones(
        milestones,
        start=timezone.localdate(pilot.started_at),
        end=pilot.tolerance_until,
    )
    pilot.version += 1
    pilot.save(update_fields=["milestones", "version"])
    audit_record(
        actor=actor, action="pilot.milestones", target=pilot, data={"milestones": pilot.milestones}
    )
    return pilot


@transaction.atomic
def pilot_conclude(
    *,
    actor: Actor,
    pilot: Pilot,
    outcome: str,
    trl_after: int,
    note: str,
    expected_version: int | None = None,
) -> Pilot:
    """Record the outcome; the need becomes validated, or published again if none succeeded.

    Recorded by a committee over the need (or an admin), the outcome is confirmed at once;
    recorded by the agency, it waits for the committee's :func:`pilot_confirm_outcome`
    before it counts as the capability's track record.
    """
    if outcome not in (PilotStatus.VALIDATED, PilotStatus.FAILED):
        raise InvalidInput(_("结论无效。"), fields={"outcome": [_("必须是 validated 或 failed。")]})
    if not isinstance(trl_after, int) or isinstance(trl_after, bool) or not 1 <= trl_after <= 9:
        raise InvalidInput(_("成熟度无效。"), fields={"trl_after": [_("必须是1到9的整数。")]})
    pilot = lock_one(Pilot, pilot.pk)
    _check_need_side(actor, pilot.need)
    if pilot.status == outcome:
        return pilot
    check_version(pilot, expected_version)
    if outcome == PilotStatus.VALIDATED and trl_after < pilot.trl_before:
        raise InvalidInput(
            _("验证成功时，验证后的成熟度不应低于验证前（%(n)s 级）。") % {"n": pilot.trl_before},
            fields={"trl_after": [_("不应低于验证前的成熟度。")]},
        )
    [need] = lock_many(ScenarioNeed, [pilot.need_id])
    transition(
        pilot,
        allowed=PILOT_ALLOWED,
        to=outcome,
        actor=actor,
        action="pilot.conclude",
        reason=note,
        extra_fields={"trl_after": trl_after, "outcome_note": note, "ended_at": timezone.now()}
        | _confirmation(actor, need),
    )
    params = {"variant": outcome, "need": need.title, "capability": pilot.capability_title}
    if pilot.outcome_confirmed_at is None:  # recorded by the agency: the committee confirms
        notify_deciders(need=need, verb="pilot.outcome_recorded", params=params, target=pilot)
        _tell_pilot_sides(pilot, "pilot.concluded", params, agency=False)
    else:  # recorded by the committee: confirmed at once
        _tell_pilot_sides(pilot, "pilot.confirmed", params, agency=True)
    still_running = need.pilots.filter(status=PilotStatus.RUNNING).exists()
    if need.status == NeedStatus.IN_VALIDATION:
        if outcome == PilotStatus.VALIDATED:
            transition(
                need,
                allowed=NEED_ALLOWED,
                to=NeedStatus.VALIDATED,
                actor=actor,
                action="need.validated",
                data={"pilot": pilot.pk},
            )
        elif not still_running and not need.pilots.filter(status=PilotStatus.VALIDATED).exists():
            transition(
                need,
                allowed=NEED_ALLOWED,
                to=NeedStatus.PUBLISHED,
                actor=actor,
                action="need.validation_failed",
                data={"pilot": pilot.pk},
            )
    return pilot


def _confirmation(actor: Actor, need: ScenarioNeed) -> dict[str, Any]:
    if not _is_approver(actor, need):
        return {}
    return {"outcome_confirmed_at": timezone.now(), "outcome_confirmed_by": acting_user(actor)}


@transaction.atomic
def pilot_confirm_outcome(
    *, actor: Actor, pilot: Pilot, expected_version: int | None = None
) -> Pilot:
    """A committee over the need (or an admin) confirms the outcome the agency recorded; a
    confirmed validated pilot is the capability's track record. Confirming twice is a no-op."""
    pilot = lock_one(Pilot, pilot.pk)
    if not _is_approver(actor, pilot.need):
        raise ActorNotAllowed(_("只有需求所在地工作委员会或平台管理员可以确认验证结论。"))
    if pilot.status not in (PilotStatus.VALIDATED, PilotStatus.FAILED):
        raise InvalidTransition(_("试点尚未登记验证结论。"), status=pilot.status)
    if pilot.outcome_confirmed_at is not None:
        return pilot
    check_version(pilot, expected_version)
    notifications_settle(verb="pilot.outcome_recorded", target=pilot)
    pilot.outcome_confirmed_at = timezone.now()
    pilot.outcome_confirmed_by = acting_user(actor)
    pilot.version += 1
    pilot.save(update_fields=["outcome_confirmed_at", "outcome_confirmed_by", "version"])
    audit_record(actor=actor, action="pilot.confirm", target=pilot, data={"outcome": pilot.status})
    params = {
        "variant": pilot.status,
        "need": pilot.need.title,
        "capability": pilot.capability_title,
    }
    _tell_pilot_sides(pilot, "pilot.confirmed", params, agency=True)
    return pilot


def _tell_pilot_sides(pilot: Pilot, verb: str, params: dict[str, Any], *, agency: bool) -> None:
    """The firm (and, with ``agency``, the need's agency) hear what became of the pilot:
    its outcome recorded, confirmed, recognised (they learnt of none of it)."""
    user_ids = member_ids(pilot.capability.firm_id, Role.FIRM_EDITOR)
    if agency:
        user_ids += member_ids(pilot.need.agency_id, Role.AGENCY_EDITOR)
    notify_users(user_ids=user_ids, verb=verb, params=params, target=pilot)


@transaction.atomic
def pilot_recognize(
    *,
    actor: Actor,
    pilot: Pilot,
    first_of_kind: bool,
    best_practice: bool,
    expected_version: int | None = None,
) -> Pilot:
    """Recommend a validated pilot's product as 首台（套） and/or nominate it as a case; the
    firm and the agency are told. Recommending what is recommended already is a no-op."""
    pilot = lock_one(Pilot, pilot.pk)
    if not (is_platform_admin(actor) or sits_on_committee_covering(actor, pilot.need.region)):
        raise ActorNotAllowed(_("只有辖区工作委员会或平台管理员可以推荐。"))
    if pilot.status != PilotStatus.VALIDATED:
        raise InvalidTransition(_("只有验证成功的试点可以推荐。"), status=pilot.status)
    if pilot.outcome_confirmed_at is None:
        raise InvalidTransition(_("请先确认验证结论，再作推荐。"), status=pilot.status)
    if not (first_of_kind or best_practice):
        raise InvalidInput(
            _("请至少选择一项推荐。"),
            fields={"first_of_kind": [_("请至少选择一项推荐。")]},
        )
    first_of_kind = pilot.first_of_kind_recommended or first_of_kind
    best_practice = pilot.best_practice_nominated or best_practice
    if (first_of_kind, best_practice) == (
        pilot.first_of_kind_recommended,
        pilot.best_practice_nominated,
    ):
        return pilot  # recommended so already: no new version, no empty audit row
    check_version(pilot, expected_version)
    added = [
        kind
        for kind, now, before in (
            ("first_of_kind", first_of_kind, pilot.first_of_kind_recommended),
            ("best_practice", best_practice, pilot.best_practice_nominated),
        )
        if now and not before
    ]
    pilot.first_of_kind_recommended = first_of_kind
    pilot.best_practice_nominated = best_practice
    pilot.version += 1
    pilot.save(update_fields=["first_of_kind_recommended", "best_practice_nominated", "version"])
    audit_record(
        actor=actor,
        action="pilot.recognize",
        target=pilot,
        data={"first_of_kind": first_of_kind, "best_practice": best_practice},
    )
    for kind in added:
        params = {"variant": kind, "need": pilot.need.title, "capability": pilot.capability_title}
        _tell_pilot_sides(pilot, "pilot.recognized", params, agency=True)
    return pilot
