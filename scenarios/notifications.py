"""Who hears about a need's review and its pilots: the committee that must decide, the
agency that waits.

In-app notifications are written in the service's transaction; e-mails leave after commit
(``activity.services.notify_users``).
"""

from typing import Any

from django.db import models

from accounts.choices import Role
from accounts.models import Membership
from accounts.selectors import member_ids
from activity.services import notify_users
from reference.models import Region
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


def deciding_member_ids(*, region: Region) -> list[int]:
    """The members of the committee that decides a need's pairs, pilots and outcomes: the
    nearest committee with members among those whose region contains the need's region
    (the committees the decide and confirm permissions admit), so a county committee
    nobody sits on passes the work to the city's, not to nobody. One query."""
    codes = region.path.strip("/").split("/")
    paths = ["/".join(codes[: n + 1]) + "/" for n in range(len(codes))]
    by_path: dict[str, list[int]] = {}
    for user_id, path in Membership.objects.filter(
        role=Role.COMMITTEE_MEMBER, organization__committee__region__path__in=paths
    ).values_list("user_id", "organization__committee__region__path"):
        by_path.setdefault(path, []).append(user_id)
    return by_path[max(by_path, key=len)] if by_path else []


def notify_deciders(
    *, need: ScenarioNeed, verb: str, params: dict[str, Any], target: models.Model
) -> None:
    """Tell the committee that decides on ``need`` (:func:`deciding_member_ids`) that work
    waits for it: a shortlisted pair, a proposed pilot, an outcome to confirm."""
    notify_users(
        user_ids=deciding_member_ids(region=need.region), verb=verb, params=params, target=target
    )
