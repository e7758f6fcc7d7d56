"""What a decision sent from a page drawn before meets: the item's state now, in words, so a
committee member reads what happened instead of a guess (another member, another tab, the
agency, a newer matching run)."""

from typing import Any

from django.utils.translation import gettext as _

from matching import selectors as matching_selectors
from matching.models import PairDecision
from scenarios import selectors
from scenarios.choices import NeedStatus
from scenarios.lifecycle import MATCHABLE_NEED_STATUSES, PILOT_NEVER_RAN

# The states a committee's decision leaves a need in; any other (withdrawn, closed) is the
# agency's doing, not another member's.
REVIEW_OUTCOMES = frozenset(
    {NeedStatus.IN_REVIEW, NeedStatus.RETURNED, NeedStatus.REJECTED, NeedStatus.PUBLISHED}
)


def need_not_waiting(need: Any) -> str:
    """A review decision on a need no longer waiting for the user's committee."""
    values = {"ref": need.ref, "status": need.get_status_display()}
    if need.status in REVIEW_OUTCOMES:
        return _("%(ref)s 已不在等待您审核（现为“%(status)s”），可能已由其他成员处理。") % values
    return _("%(ref)s 已不在等待您审核（现为“%(status)s”）。") % values


def pair_not_waiting(*, user: Any, match_id: int) -> str:
    """A decision on a recommended pair no longer waiting for the committee: what became of
    it when the user may see the pair (approved, rejected, a pilot under way, the need no
    longer open, taken off the shortlist, not recommended by a newer run); the same words
    for a pair outside the user's jurisdiction as for one that does not exist."""
    match = (
        matching_selectors.match_list_for_user(user=user)
        .select_related("need", "capability")
        .filter(pk=match_id)
        .first()
    )
    if match is None:
        return _("该推荐已处理、已被新的匹配批次取代，或不在您的辖区。")
    need, capability = match.need, match.capability
    pair = {"need": need.title, "cap": capability.title}
    review = matching_selectors.pair_reviews_of(pairs=[(need.pk, capability.pk)]).get(
        (need.pk, capability.pk)
    )
    if review is not None and review.decision == PairDecision.APPROVED:
        return _("“%(need)s” × “%(cap)s” 已被批准，试点已开始；未作更改。") % pair
    if review is not None and review.decision == PairDecision.REJECTED:
        return _("“%(need)s” × “%(cap)s” 已被驳回；未作更改。") % pair
    pilot = (
        selectors.pilots_of_need(need=need)
        .filter(capability=capability)
        .exclude(status__in=PILOT_NEVER_RAN)
        .first()
    )
    if pilot is not None:
        return _("“%(need)s” × “%(cap)s” 已有试点（%(status)s）；未作更改。") % {
            **pair,
            "status": pilot.get_status_display(),
        }
    if need.status not in MATCHABLE_NEED_STATUSES:
        return _("“%(need)s”现为“%(status)s”，其推荐不再等待审批；未作更改。") % {
            "need": need.title,
            "status": need.get_status_display(),
        }
    if review is None or not review.shortlisted:
        return _("需求单位已将“%(need)s” × “%(cap)s” 移出入围名单；未作更改。") % pair
    return (
        _("“%(need)s” × “%(cap)s” 已被新的匹配批次取代，新的结果不再推荐这一组合；未作更改。")
        % pair
    )
