"""Tell firms and agencies about new recommendations of an incremental run."""

from matching.models import Match, MatchRun
from scenarios.choices import Role
from scenarios.models import Membership
from scenarios.services.events import notify_users


def notify_recommendations(run: MatchRun, match_ids: list[int]) -> None:
    """Tell each firm about each new recommendation of its capabilities, and each agency
    how many new ones its needs got (in-app, and by mail after commit)."""
    if not match_ids:
        return
    matches = list(Match.objects.filter(pk__in=match_ids).select_related("need", "capability"))
    firm_ids = {m.firm_id for m in matches}
    agency_ids = {m.need.agency_id for m in matches}
    members: dict[int, list[int]] = {}
    for org_id, user_id in Membership.objects.filter(
        organization_id__in=firm_ids | agency_ids,
        role__in=[Role.FIRM_EDITOR, Role.AGENCY_EDITOR],
    ).values_list("organization_id", "user_id"):
        members.setdefault(org_id, []).append(user_id)
    for m in matches:
        notify_users(
            user_ids=members.get(m.firm_id, []),
            verb="match.recommended",
            message=f"您的能力“{m.capability.title}”被推荐给场景需求“{m.need.title}”",
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
            message=f"场景需求“{need.title}”有{len(rows)}项新的推荐能力",
            target=need,
        )
