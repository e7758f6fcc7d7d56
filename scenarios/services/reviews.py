"""Three-tier review of needs: routing, and the committee's approve / return / reject.

Every status move follows ``scenarios.lifecycle.NEED_ALLOWED`` through
``scenarios.services.common.transition``, with the row locked, the actor checked and an
audit row written. ``need_approve``, ``need_return`` and ``need_reject`` are the named
entry points; they share ``review_decide``.

Routing: a need enters review at the committee of its own region (county → county
committee; a province-wide need → province committee). County approval forwards to the
city (or to the province where the county hangs directly from it); city approval
publishes, unless the need is major (flagged, or budget at or over the policy threshold),
which goes on to the province; only the province publishes major needs. Any tier may
return (to the agency, with a reason) or reject.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from accounts.models import Committee, Membership
from accounts.roles import committees_of, is_platform_admin
from activity.services import notifications_settle
from core.actors import Actor, acting_user
from core.errors import InvalidInput, InvalidTransition
from core.locks import lock_one
from core.validation import check_text
from reference.choices import RegionLevel
from reference.models import Region
from scenarios import events
from scenarios.access import check_need_reviewer
from scenarios.choices import NeedStatus, ReviewDecision
from scenarios.lifecycle import NEED_ALLOWED
from scenarios.models import Review, ScenarioNeed
from scenarios.notifications import notify_agency, notify_committee
from scenarios.services.common import check_version, transition
from scenarios.services.policy import policy_current

N = NeedStatus


def need_announce_published(*, need: ScenarioNeed) -> None:
    """Tell the agency its need is on the list, and announce it: matching starts after
    commit, through ``scenarios.events.need_published``."""
    notify_agency(need=need, verb="need.published")
    events.announce_need_published(need_id=need.pk)


def need_is_major(need: ScenarioNeed) -> bool:
    """Flagged as major, or budget at or over the province policy's threshold."""
    threshold = policy_current().major_budget_threshold_cny
    return need.is_major or (need.budget_cny is not None and need.budget_cny >= threshold)


def _committee_for(region: Region) -> Committee:
    committee = Committee.objects.filter(region=region).select_related("organization").first()
    if committee is None:
        raise InvalidInput(
            _("该地区没有工作委员会（不在本省）。"), fields={"region_code": [_("不在本省。")]}
        )
    return committee


def first_review_region(need: ScenarioNeed) -> Region:
    """Where review starts: the need's own region (county, city or the province)."""
    return need.region


def next_review_region(need: ScenarioNeed, current: Region) -> Region | None:
    """The region whose committee reviews after ``current`` approves; None means publish."""
    if current.level == RegionLevel.PROVINCE:
        return None
    if current.level == RegionLevel.COUNTY:
        return current.parent
    # City tier: ordinary needs publish here, major needs go on to the province, and so does
    # a need the province has decided before: one it returned as major came back with a
    # lower budget and 重大 unticked, and the city published it past the province.
    if need_is_major(need) or _decided_at(need, current.parent):
        return current.parent
    return None


def _decided_at(need: ScenarioNeed, region: Region | None) -> bool:
    """Whether ``region``'s committee has decided a review of the need (an earlier round)."""
    if region is None or need.pk is None:
        return False
    return (
        Review.objects.filter(need=need, committee__region=region)
        .exclude(decision=ReviewDecision.PENDING)
        .exists()
    )


def staffed_review_region(region: Region) -> Region:
    """The region whose committee reviews in ``region``'s place: ``region`` itself when its
    committee has members (or when no committee above it has any either: the platform admin
    decides), else the nearest region above it whose committee has members. A county
    committee nobody sits on would hold a need in review for good; its city reviews instead."""
    codes = region.path.strip("/").split("/")
    paths = ["/".join(codes[: n + 1]) + "/" for n in range(len(codes))]
    staffed = set(
        Membership.objects.filter(
            role=Role.COMMITTEE_MEMBER, organization__committee__region__path__in=paths
        ).values_list("organization__committee__region__path", flat=True)
    )
    if not staffed or region.path in staffed:
        return region
    current: Region | None = region
    while current is not None and current.path not in staffed:
        current = current.parent
    return current or region


def open_review(need: ScenarioNeed, region: Region) -> tuple[Review, Region | None]:
    """Open the need's review at ``region``'s committee, or at the nearest one above it
    with members (:func:`staffed_review_region`). Returns the review and the region whose
    committee was passed over (None when none was)."""
    staffed = staffed_review_region(region)
    committee = _committee_for(staffed)
    review = Review.objects.create(need=need, committee=committee, tier=committee.tier)
    return review, (region if staffed.pk != region.pk else None)


# What the platform itself writes into the trail, by key: stored with the event's data and
# shown in the reader's language (the text stored beside it was in the writer's).
SYSTEM_NOTES = {
    "major_by_budget": gettext_lazy(
        "预算达到重大场景标准（%(line)s 万元及以上），列为重大场景，由省级工作委员会终审。"
    ),
    "passed_over": gettext_lazy("%(skipped)s暂无委员，由%(committee)s审核。"),
}


def system_note(parts: list[Any]) -> str:
    """The platform's words for ``parts`` (``[key, params]`` pairs) in the active language."""
    return "".join(
        str(SYSTEM_NOTES[part[0]]) % part[1]
        for part in parts
        if isinstance(part, list | tuple) and len(part) == 2 and part[0] in SYSTEM_NOTES
    )


def _passed_over(skipped: Region | None, review: Review) -> list[Any]:
    """The trail's note on a committee passed over because nobody sits on it."""
    if skipped is None:
        return []
    unstaffed = Committee.objects.select_related("organization").filter(region=skipped).first()
    params = {
        "skipped": unstaffed.organization.name if unstaffed else skipped.name,
        "committee": review.committee.organization.name,
    }
    return [["passed_over", params]]


def _with_note(data: dict[str, Any], parts: list[Any]) -> str:
    """Record the platform's note in ``data`` and return its text for the event's reason."""
    if not parts:
        return ""
    text = system_note(parts)
    data["system_note"] = {"parts": parts, "text": text}
    return text


def review_route_submitted(*, need: ScenarioNeed, actor: Actor) -> None:
    """Move a locked, submitted need into review at its first committee.

    A need whose budget reaches the policy's line is marked major here, as the agency's
    flag would: every tier, the lists and the badge then say why the province reviews it
    (the route read the budget, but nothing showed it)."""
    region = first_review_region(need)
    review, skipped = open_review(need, region)
    extra: dict[str, Any] = {"review_tier": review.tier}
    data: dict[str, Any] = {"committee": review.committee_id, "tier": review.tier}
    parts: list[Any] = []
    if not need.is_major and need_is_major(need):
        extra |= {"is_major": True, "major_by_budget": True}
        data["major_by_budget"] = need.budget_cny
        # The trail tells the agency why its need now goes to the province.
        line = f"{policy_current().major_budget_threshold_cny / 10_000:,.0f}"
        parts.append(["major_by_budget", {"line": line}])
    reason = _with_note(data, parts + _passed_over(skipped, review))
    transition(
        need,
        allowed=NEED_ALLOWED,
        to=N.IN_REVIEW,
        actor=actor,
        action="need.review_open",
        extra_fields=extra,
        data=data,
        reason=reason,
    )
    notify_committee(review=review)


def _pending_review(need: ScenarioNeed) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("committee__region__parent", "committee__organization")
        .filter(need=need, decision=ReviewDecision.PENDING)
        .first()
    )
    if review is None:
        raise InvalidTransition(_("该需求没有待审核的环节。"), status=need.status)
    return review


def _check_reviewer(actor: Actor, review: Review, need: ScenarioNeed) -> None:
    """Members of the review's committee decide it; the platform admin may decide any tier
    on the committee's behalf (the decision is recorded under the admin's name)."""
    if any(c.pk == review.committee_id for c in committees_of(actor)):
        return
    if is_platform_admin(actor):
        return
    check_need_reviewer(actor, need)
    # A reviewer of another tier (or one whose decision was just overtaken).
    raise InvalidTransition(
        _("该需求当前在%(committee)s审核，不在您所在委员会的审核环节。")
        % {"committee": review.committee.organization.name},
        status=need.status,
    )


def _decide(review: Review, *, actor: Actor, decision: str, comment: str) -> None:
    check_text("comment", comment)
    review.decision = decision
    review.reviewer = acting_user(actor)
    review.comment = comment
    review.decided_at = timezone.now()
    review.save(update_fields=["decision", "reviewer", "comment", "decided_at"])


@transaction.atomic
def review_decide(
    *,
    actor: Actor,
    need: ScenarioNeed,
    decision: str,
    comment: str = "",
    expected_version: int | None = None,
) -> ScenarioNeed:
    """Approve, return or reject the need's pending review, as a member of its committee.

    Approval forwards to the next tier or publishes; return and reject need a reason.
    Two reviewers racing on one need: the second finds the review decided (or a stale
    version) and gets a conflict; the audit trail holds one transition.
    """
    if decision not in (ReviewDecision.APPROVED, ReviewDecision.RETURNED, ReviewDecision.REJECTED):
        raise InvalidInput(_("审核结论无效。"), fields={"decision": [_("无效的选项。")]})
    if decision != ReviewDecision.APPROVED and not comment.strip():
        raise InvalidInput(
            _("退回或不予通过时必须填写理由。"), fields={"comment": [_("不能为空。")]}
        )
    need = lock_one(ScenarioNeed, need.pk)
    check_version(need, expected_version)
    if need.status != N.IN_REVIEW:
        raise InvalidTransition(_("该需求不在审核中。"), status=need.status)
    review = _pending_review(need)
    _check_reviewer(actor, review, need)
    _decide(review, actor=actor, decision=decision, comment=comment.strip())
    # The members' "waiting for your review" notices are answered, whoever decided.
    notifications_settle(verb="review.pending", target=need)
    if decision == ReviewDecision.RETURNED:
        transition(
            need,
            allowed=NEED_ALLOWED,
            to=N.RETURNED,
            actor=actor,
            action="need.return",
            reason=comment,
            extra_fields={"review_tier": ""},
            data={"tier": review.tier},
        )
        notify_agency(need=need, verb="need.returned", reason=comment)
        return need
    if decision == ReviewDecision.REJECTED:
        transition(
            need,
            allowed=NEED_ALLOWED,
            to=N.REJECTED,
            actor=actor,
            action="need.reject",
            reason=comment,
            extra_fields={"review_tier": ""},
            data={"tier": review.tier},
        )
        notify_agency(need=need, verb="need.rejected", reason=comment)
        return need
    next_region = next_review_region(need, review.committee.region)
    if next_region is None and need.deadline is not None and need.deadline < timezone.localdate():
        raise InvalidTransition(
            _("该需求的截止日期（%(d)s）已过，不能发布；请退回发布单位修改截止日期。")
            % {"d": need.deadline.isoformat()},
            status="deadline_passed",
        )
    if next_region is None:
        transition(
            need,
            allowed=NEED_ALLOWED,
            to=N.PUBLISHED,
            actor=actor,
            action="need.publish",
            reason=comment,
            extra_fields={"review_tier": "", "published_at": timezone.now()},
            data={"tier": review.tier},
        )
        need_announce_published(need=need)
        return need
    forwarded, skipped = open_review(need, next_region)
    data = {"from_tier": review.tier, "to_tier": forwarded.tier}
    passed_over = _with_note(data, _passed_over(skipped, forwarded))
    transition(
        need,
        allowed=NEED_ALLOWED,
        to=N.IN_REVIEW,
        actor=actor,
        action="need.forward",
        reason=f"{comment}\n{passed_over}".strip() if passed_over else comment,
        extra_fields={"review_tier": forwarded.tier},
        data=data,
    )
    notify_committee(review=forwarded)
    return need


def need_approve(
    *, actor: Actor, need: ScenarioNeed, comment: str = "", expected_version: int | None = None
) -> ScenarioNeed:
    """Approve the need at its current tier: forward it to the next tier, or publish it."""
    return review_decide(
        actor=actor,
        need=need,
        decision=ReviewDecision.APPROVED,
        comment=comment,
        expected_version=expected_version,
    )


def need_return(
    *, actor: Actor, need: ScenarioNeed, comment: str, expected_version: int | None = None
) -> ScenarioNeed:
    """Send the need back to its agency for changes; the reason is required."""
    return review_decide(
        actor=actor,
        need=need,
        decision=ReviewDecision.RETURNED,
        comment=comment,
        expected_version=expected_version,
    )


def need_reject(
    *, actor: Actor, need: ScenarioNeed, comment: str, expected_version: int | None = None
) -> ScenarioNeed:
    """Refuse the need for good; the reason is required."""
    return review_decide(
        actor=actor,
        need=need,
        decision=ReviewDecision.REJECTED,
        comment=comment,
        expected_version=expected_version,
    )
