"""Who hears about a need's review: the committee that must decide, the agency that waits.

In-app notifications are written in the service's transaction; e-mails leave after commit
(``activity.services.notify_users``).
"""

from accounts.choices import Role
from accounts.selectors import member_ids
from activity.services import notify_users
from scenarios.models import Review, ScenarioNeed


def notify_committee(*, review: Review) -> None:
    """Tell the members of the committee that holds the need's pending review."""
    need = review.need
    notify_users(
        user_ids=member_ids(review.committee.organization_id, Role.COMMITTEE_MEMBER),
        verb="review.pending",
        params={"ref": need.ref, "need": need.title},
        target=need,
    )


def notify_agency(*, need: ScenarioNeed, verb: str, reason: str = "") -> None:
    """Tell the agency's editors that their need was returned, rejected or published."""
    notify_users(
        user_ids=member_ids(need.agency_id, Role.AGENCY_EDITOR),
        verb=verb,
        params={"ref": need.ref, "need": need.title} | ({"reason": reason} if reason else {}),
        target=need,
    )
