"""Decisions on recommended pairs: firms answer, agencies shortlist, committees decide.

A committee member of the need's jurisdiction (or an admin) approves a pair, which starts a
pilot through ``scenarios.services.pilots``, or rejects it with a reason. Every step is
audited and notifies the other side. Decisions live in ``PairReview`` rows keyed by
(need, capability), so a rerun of matching never loses them.
"""

from contextvars import ContextVar
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.roles import has_role_in, is_platform_admin, sits_on_committee_covering
from accounts.selectors import member_ids, member_ids_by_organization
from activity.selectors import last_verb_notified
from activity.services import audit_record, notifications_settle, notify_users
from core.actors import Actor
from core.errors import ActorNotAllowed, InvalidInput, InvalidTransition
from core.validation import check_length, check_text, max_length
from matching.models import FirmResponse, Match, NeedCurrentRun, PairDecision, PairReview
from scenarios import selectors as scenario_selectors
from scenarios.choices import PilotStatus
from scenarios.lifecycle import MATCHABLE_NEED_STATUSES
from scenarios.notifications import notify_deciders
from scenarios.services.common import check_version
from scenarios.services.pilots import open_pilot_of_pair, pilot_proposal_decide, pilot_start


def _review_for(match: Match, expected_version: int | None = None) -> PairReview:
    """The pair's review, locked; a write made against another version of it (the
    client's If-Match) is refused (HTTP 412)."""
    review, _created = PairReview.objects.select_for_update().get_or_create(
        need_id=match.need_id, capability_id=match.capability_id
    )
    check_version(review, expected_version)
    return review


def _load(match: Match) -> Match:
    return Match.objects.select_related("need__agency", "need__region", "capability__firm").get(
        pk=match.pk
    )


def _ensure_current(match: Match) -> None:
    """Refuse a row that a newer run has superseded (checked after the actor's rights, so
    an outsider gets 403, not a hint about the row). The pointer row stays locked until the
    decision commits, so a finishing run cannot supersede the row in between."""
    pointer = NeedCurrentRun.objects.select_for_update().filter(need_id=match.need_id).first()
    if pointer is None or pointer.run_id != match.run_id:
        raise InvalidTransition(_("该撮合结果已被新的匹配批次取代。"), status="superseded")


def _ensure_open(match: Match) -> None:
    """Answers and shortlists concern needs still open to matching (not withdrawn, closed,
    validated or rejected since the run)."""
    if match.need.status not in MATCHABLE_NEED_STATUSES:
        raise InvalidTransition(
            _("该需求已不在对接阶段（%(status)s），不能再答复或调整入围。")
            % {"status": match.need.get_status_display()},
            status=match.need.status,
        )


def check_match_firm(actor: Actor, match: Match) -> None:
    """The recommended capability's firm (or an admin) answers a recommendation."""
    if not (
        is_platform_admin(actor) or has_role_in(actor, Role.FIRM_EDITOR, match.capability.firm)
    ):
        raise ActorNotAllowed(_("只能答复推荐给本企业的需求。"))


def check_match_agency(actor: Actor, match: Match) -> None:
    """The need's agency (or an admin) shortlists."""
    if not (is_platform_admin(actor) or has_role_in(actor, Role.AGENCY_EDITOR, match.need.agency)):
        raise ActorNotAllowed(_("只能处理本单位需求的推荐。"))


def check_match_committee(actor: Actor, match: Match) -> None:
    """A committee over the need's region (or an admin) approves or rejects a pair."""
    if not (is_platform_admin(actor) or sits_on_committee_covering(actor, match.need.region)):
        raise ActorNotAllowed(_("只有需求所在地工作委员会或平台管理员可以审批。"))


@transaction.atomic
def pair_respond(
    *,
    actor: Actor,
    match: Match,
    interested: bool,
    note: str = "",
    expected_version: int | None = None,
) -> PairReview:
    """The firm says it is interested in (or declines) a need recommended to it."""
    match = _load(match)
    check_match_firm(actor, match)
    check_text("note", note)  # the agency reads it
    check_length("note", note, limit=max_length(PairReview, "firm_note"))
    _ensure_current(match)
    _ensure_open(match)
    if not match.recommended:
        raise InvalidTransition(_("只能答复推荐结果。"), status="not_recommended")
    review = _review_for(match, expected_version)
    pilot = open_pilot_of_pair(need_id=match.need_id, capability_id=match.capability_id)
    if pilot is not None and pilot.status == PilotStatus.RUNNING:
        # Proposed: the committee's approval waits for the firm's "interested", and a
        # decline makes it impossible (``pair_objection``); running: the pilot is under way.
        raise InvalidTransition(
            _("这项推荐的试点正在进行，不能再修改答复；如需退出试点，请与需求单位联系。"),
            status="pilot_running",
        )
    if review.decision != PairDecision.PENDING:
        raise InvalidTransition(_("已审批，不能再修改答复。"), status=review.decision)
    response = FirmResponse.INTERESTED if interested else FirmResponse.DECLINED
    if review.firm_response == response and review.firm_note == note:
        return review  # the same answer again changes nothing and tells nobody
    before = review.firm_response
    review.firm_response = response
    review.firm_note = note
    review.version += 1
    review.save()
    audit_record(
        actor=actor,
        action="match.respond",
        target=review,
        from_state=before,
        to_state=review.firm_response,
        reason=note,
        data={"match": match.pk},
    )
    if before == response:
        return review  # only the note changed: audited, but the agency was told already
    notify_users(
        user_ids=member_ids(match.need.agency_id, Role.AGENCY_EDITOR),
        verb="match.firm_response",
        params={
            "variant": "interested" if interested else "declined",
            "firm": match.capability.firm.name,
            "need": match.need.title,
        },
        target=review,
    )
    return review


def _ensure_no_open_pilot(match: Match) -> None:
    """A pair whose pilot is proposed or running stays on the shortlist: the committee
    decides the proposal the agency made from it (the review row is locked, and a proposal
    locks it too, so the two cannot cross)."""
    pilot = open_pilot_of_pair(need_id=match.need_id, capability_id=match.capability_id)
    if pilot is None:
        return
    if pilot.status == PilotStatus.PROPOSED:
        message = _("已为这项能力提议试点，正在等待委员会审批，不能移出入围名单。")
    else:
        message = _("这项能力的试点正在进行，不能移出入围名单。")
    raise InvalidTransition(message, status=f"pilot_{pilot.status}")


def pair_objection(need_id: int, capability_id: int, starting: bool) -> str | None:
    """Why a recommended pair runs no pilot (added to ``scenarios.services.pilots``'s pair
    objections): its firm answered that it will not take part, or the committee turned the
    recommendation down; and a pilot that would start now (a committee approving the
    agency's proposal, or starting the pair) needs the firm's "interested", as approving the
    recommendation does (``_ensure_agreed``): a proposal is made before the firm answers, and
    approving it at once sent a firm that never agreed into a pilot. A pair nobody
    recommended has no review: the committee's direct route, which this leaves alone."""
    review = PairReview.objects.filter(need_id=need_id, capability_id=capability_id).first()
    if review is None:
        return None
    if review.firm_response == FirmResponse.DECLINED:
        return _("企业已答复不参与这项推荐，不能开展试点。")
    if review.decision == PairDecision.REJECTED:
        return _("委员会已驳回这项推荐，不能开展试点。")
    if starting and review.firm_response != FirmResponse.INTERESTED:
        return _("企业尚未答复有意向承接，须等企业答复有意向后才能批准。")
    return None


# Set while ``pair_decide`` starts the pilot of the pair it decides: it records the
# decision itself, with its own reason and notices.
_deciding_pair: ContextVar[bool] = ContextVar("deciding_pair", default=False)


def settle_pair_on_pilot(pilot: Any, actor: Actor) -> None:
    """A pilot started on a pair by another way than the pair's approval (a committee's
    direct start, an agency's proposal approved): the pair's pending review is approved
    with it. It stayed pending, so the committee could still "reject" a pair whose pilot
    ran, and the pair waited for a decision already made. Added to
    ``scenarios.services.pilots``'s start hooks."""
    if _deciding_pair.get():
        return
    review = (
        PairReview.objects.select_for_update()
        .filter(
            need_id=pilot.need_id,
            capability_id=pilot.capability_id,
            decision=PairDecision.PENDING,
        )
        .first()
    )
    if review is None:
        return
    notifications_settle(verb="match.awaiting_decision", target=review)
    review.decision = PairDecision.APPROVED
    review.pilot_id = pilot.pk
    review.version += 1
    review.save()
    audit_record(
        actor=actor,
        action="match.decide",
        target=review,
        from_state=PairDecision.PENDING,
        to_state=PairDecision.APPROVED,
        data={"pilot": pilot.pk, "by_pilot": True},
    )


def check_pair_proposable(need_id: int, capability_id: int) -> int | None:
    """An agency proposes a pilot only for a capability on its shortlist that the need's
    current run recommends, and that the committee has not turned down: the pages offered
    nothing else, and now the API cannot either. Added to ``scenarios.services.pilots``'s
    proposal checks in ``MatchingConfig.ready()``; the review row stays locked until the
    proposal commits (see :func:`_ensure_no_open_pilot`)."""
    review = (
        PairReview.objects.select_for_update()
        .filter(need_id=need_id, capability_id=capability_id)
        .first()
    )
    if review is not None and review.decision == PairDecision.REJECTED:
        raise InvalidTransition(
            _("委员会已驳回这项推荐，不能提议试点。"), status=PairDecision.REJECTED
        )
    recommended = (
        Match.objects.filter(
            need_id=need_id,
            capability_id=capability_id,
            recommended=True,
            run_id__in=NeedCurrentRun.objects.filter(need_id=need_id).values("run_id"),
        )
        .values_list("pk", flat=True)
        .first()
    )
    if recommended is None and review is not None and review.shortlisted:
        raise InvalidTransition(
            _("最新一轮匹配已不再推荐这项能力，不能据此提议试点。"), status="not_recommended"
        )
    if review is None or not review.shortlisted or recommended is None:
        raise InvalidTransition(
            _("只能为已入围的推荐能力提议试点，请先将其加入入围名单。"), status="not_shortlisted"
        )
    return recommended


@transaction.atomic
def pair_shortlist(
    *, actor: Actor, match: Match, shortlisted: bool, expected_version: int | None = None
) -> PairReview:
    """The agency puts a recommended capability on (or off) its shortlist."""
    match = _load(match)
    check_match_agency(actor, match)
    _ensure_current(match)
    _ensure_open(match)
    if shortlisted and not match.recommended:
        # The firm never sees a mere candidate, so it could never say it is interested.
        raise InvalidTransition(_("只能将推荐结果列入入围名单。"), status="not_recommended")
    review = _review_for(match, expected_version)
    if review.decision != PairDecision.PENDING:
        raise InvalidTransition(_("已审批，不能再调整入围。"), status=review.decision)
    if review.shortlisted == shortlisted:
        return review
    if not shortlisted:
        _ensure_no_open_pilot(match)
    review.shortlisted = shortlisted
    review.version += 1
    review.save()
    audit_record(
        actor=actor,
        action="match.shortlist",
        target=review,
        to_state="shortlisted" if shortlisted else "unlisted",
        data={"match": match.pk},
    )
    # The firm hears of a change of what it was last told: its first shortlisting, a
    # removal after it was told it is in, and a return after it was told it is out. A
    # removal of a shortlisting it never heard of (none was sent) is no news to it.
    told = last_verb_notified(verbs=("match.shortlisted", "match.unshortlisted"), target=review)
    verb = "match.shortlisted" if shortlisted else "match.unshortlisted"
    if told != verb and (shortlisted or told is not None):
        notify_users(
            user_ids=member_ids(match.capability.firm_id, Role.FIRM_EDITOR),
            verb=verb,
            params={"capability": match.capability.title, "need": match.need.title},
            target=review,
        )
    _tell_committee(match, review)
    return review


def _tell_committee(match: Match, review: PairReview) -> None:
    """The committee that decides hears of a pair put on the shortlist (its decision is
    now awaited); a pair taken off again no longer waits, so that notice stops counting."""
    if review.shortlisted:
        notify_deciders(
            need=match.need,
            verb="match.awaiting_decision",
            params={"need": match.need.title, "capability": match.capability.title},
            target=review,
        )
    else:
        notifications_settle(verb="match.awaiting_decision", target=review)


def _ensure_agreed(review: PairReview) -> None:
    """A pilot needs both sides: the agency shortlisted the capability and the firm said it
    is interested. A committee cannot send a firm that declined (or never answered) into a
    pilot, nor pick a capability the agency did not choose."""
    if not review.shortlisted:
        raise InvalidTransition(
            _("需求单位尚未将该能力列入入围名单，不能批准。"), status="not_shortlisted"
        )
    if review.firm_response != FirmResponse.INTERESTED:
        message = (
            _("企业已表示不参与，不能批准。")
            if review.firm_response == FirmResponse.DECLINED
            else _("企业尚未表示有意向承接，不能批准。")
        )
        raise InvalidTransition(message, status=review.firm_response or "no_response")


def _says_something_else(
    review: PairReview,
    match: Match,
    reason: str,
    tolerance_until: date | None,
    validation_type: str | None,
) -> bool:
    """Whether a repeated decision carries values other than those the first one stored."""
    if review.decision == PairDecision.REJECTED:
        return bool(reason.strip()) and reason.strip() != review.decision_reason.strip()
    if review.pilot_id is None:
        return False
    started = (
        scenario_selectors.pilots_of_need(need=match.need)
        .filter(pk=review.pilot_id)
        .values_list("tolerance_until", "validation_type")
        .first()
    )
    if started is None:
        return False
    until, kind = started
    return (tolerance_until is not None and tolerance_until != until) or (
        bool(validation_type) and validation_type != kind
    )


@transaction.atomic
def pair_decide(
    *,
    actor: Actor,
    match: Match,
    approve: bool,
    reason: str = "",
    tolerance_until: date | None = None,
    validation_type: str | None = None,
    expected_version: int | None = None,
) -> PairReview:
    """A committee member of the need's jurisdiction (or an admin) approves or rejects.

    Approval needs the agency's shortlist and the firm's interest, and starts a pilot (the
    tolerance period is required); rejection needs a reason.
    Deciding the same way twice returns the review unchanged; a second decision that says
    something else (another tolerance period, another reason) is refused, not ignored.
    """
    match = _load(match)
    check_match_committee(actor, match)
    check_length("reason", reason, limit=max_length(PairReview, "decision_reason"))
    _ensure_current(match)
    review = _review_for(match, expected_version)
    target = PairDecision.APPROVED if approve else PairDecision.REJECTED
    if review.decision == target:
        if _says_something_else(review, match, reason, tolerance_until, validation_type):
            raise InvalidTransition(
                _("已审批；再次提交的内容与已作的决定不同，未作更改。"), status=review.decision
            )
        return review
    if review.decision != PairDecision.PENDING:
        raise InvalidTransition(_("已审批。"), status=review.decision)
    # The agency's proposal for this pair, if one waits: the decision on the pair decides it
    # too (approved, it runs; rejected, it is declined with the same reason), so a rejected
    # pair keeps no proposal the committee could still approve.
    proposal = open_pilot_of_pair(need_id=match.need_id, capability_id=match.capability_id)
    if proposal is not None and proposal.status != PilotStatus.PROPOSED:
        proposal = None
    if approve:
        _ensure_agreed(review)
        if tolerance_until is None:
            raise InvalidInput(
                _("批准试点需要包容期截止日期。"), fields={"tolerance_until": [_("必填。")]}
            )
        deciding = _deciding_pair.set(True)
        try:
            if proposal is not None:
                pilot = pilot_proposal_decide(
                    actor=actor, pilot=proposal, approve=True, tolerance_until=tolerance_until
                )
            else:
                pilot = pilot_start(
                    actor=actor,
                    need=match.need,
                    capability=match.capability,
                    tolerance_until=tolerance_until,
                    validation_type=validation_type,
                    source_match_id=match.pk,
                )
        finally:
            _deciding_pair.reset(deciding)
        review.pilot_id = pilot.pk
    elif not reason.strip():
        raise InvalidInput(_("驳回需要填写理由。"), fields={"reason": [_("不能为空。")]})
    check_text("reason", reason)
    if not approve and proposal is not None:
        pilot_proposal_decide(actor=actor, pilot=proposal, approve=False, reason=reason)
    notifications_settle(verb="match.awaiting_decision", target=review)
    review.decision = target
    review.decision_reason = reason
    review.version += 1
    review.save()
    audit_record(
        actor=actor,
        action="match.decide",
        target=review,
        from_state=PairDecision.PENDING,
        to_state=target,
        reason=reason,
        data={"match": match.pk, "pilot": review.pilot_id},
    )
    notify_users(
        user_ids=member_ids(match.capability.firm_id, Role.FIRM_EDITOR)
        + member_ids(match.need.agency_id, Role.AGENCY_EDITOR),
        verb="match.decided",
        params={
            "variant": "approved" if approve else "declined",
            "need": match.need.title,
            "capability": match.capability.title,
        },
        target=review,
    )
    return review


def notify_recommendations(*, match_ids: list[int]) -> None:
    """Tell each firm about each new recommendation of its capabilities, and each agency
    how many new ones its needs got (in-app, and by mail after commit)."""
    if not match_ids:
        return
    matches = list(Match.objects.filter(pk__in=match_ids).select_related("need", "capability"))
    members = member_ids_by_organization(
        organization_ids={m.firm_id for m in matches} | {m.need.agency_id for m in matches},
        roles=[Role.FIRM_EDITOR, Role.AGENCY_EDITOR],
    )
    for m in matches:
        notify_users(
            user_ids=members.get(m.firm_id, []),
            verb="match.recommended",
            # The refs lead to the pair's page once a later run has superseded this row.
            params={
                "capability": m.capability.title,
                "need": m.need.title,
                "need_ref": m.need.ref,
                "capability_ref": m.capability.ref,
            },
            target=m,
        )
    by_need: dict[int, list[Match]] = {}
    for m in matches:
        by_need.setdefault(m.need_id, []).append(m)
    for rows in by_need.values():
        need = rows[0].need
        notify_users(
            user_ids=members.get(need.agency_id, []),
            verb="match.available",
            params={"need": need.title, "count": len(rows)},
            target=need,
        )
