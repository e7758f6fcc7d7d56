"""The demo's recommendations put to work: a firm answers one, the agency shortlists it and
proposes a pilot from it, through the services the pages call (``manage.py seed_demo``,
after the lists of ``scenarios.demo``). The proposal then waits for the committee that
decides the need (the city's, ``city360100``, for the demo agency's needs).

It needs recommendations: the full run the demo's lists start after their commit has
them when tasks run in this process (``make run`` without ``REDIS_URL``); with a broker
that run waits for a worker, so the agency's first published need is scored here.

Idempotent: once the agency has a pilot (this step's proposal, or whatever the demo's
visitors made of it since), nothing is done.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.roles import organization_ids
from accounts.selectors import member_ids
from core.actors import Actor
from matching import selectors
from matching.models import Match, MatchQuerySet, RunScope
from matching.services import runs
from matching.services.recommendations import pair_respond, pair_shortlist
from scenarios import selectors as scenario_selectors
from scenarios.choices import NeedStatus
from scenarios.notifications import deciding_member_ids
from scenarios.services.pilots import pilot_start

DEMO_AGENCY_USERNAME = "agency360100-1"
# How long the proposed pilot's tolerance period (包容期) runs from the day the demo loads.
DEMO_TOLERANCE = timedelta(days=365)
DEMO_INTEREST_NOTE = "演示数据：有意向承接，可安排现场对接。"


@dataclass(frozen=True)
class DemoProposal:
    """The demo agency's pilot proposal, for the command's summary."""

    need_ref: str
    capability_title: str
    firm_name: str
    status: str
    created: bool
    firm_logins: list[str]  # told of the shortlist
    decider_logins: list[str]  # the committee members who decide the proposal


def demo_pilot_proposal(*, username: str = DEMO_AGENCY_USERNAME) -> DemoProposal | None:
    """Make the demo agency's best recommendation a shortlisted pair with a proposed pilot.

    The pair is the top recommendation of the agency's first published need (by ref) that
    has any. Its firm says it is interested (``pair_respond``), the agency shortlists it
    (``pair_shortlist``) and proposes the pilot (``pilot_start`` by the agency), each step
    notifying the other side as on the pages. None when the agency or a recommendation is
    missing (the demo lists were not loaded).
    """
    agency_user = User.objects.filter(username=username).first()
    if agency_user is None:
        return None
    agency_ids = organization_ids(agency_user, Role.AGENCY_EDITOR)
    pilot = (
        scenario_selectors.pilot_list_for_user(user=agency_user)
        .filter(need__agency_id__in=agency_ids)
        .order_by("id")
        .first()
    )
    if pilot is not None:
        return _summary(pilot, created=False)
    match = _recommendations(agency_user, agency_ids).first() or _score_first_need(
        agency_user, agency_ids
    )
    if match is None:
        return None
    return _propose(agency_user, match)


def _recommendations(user: Actor, agency_ids: list[int]) -> MatchQuerySet:
    """The current recommendations of the agency's published needs, as its pages show
    them: needs by ref, each one's best first."""
    return (
        selectors.match_list_for_user(user=user)
        .current()
        .filter(need__agency_id__in=agency_ids, need__status=NeedStatus.PUBLISHED, recommended=True)
        .order_by("need__ref", "rank")
    )


def _score_first_need(user: Actor, agency_ids: list[int]) -> Match | None:
    """Score the agency's first published need in this process, as ``manage.py match
    --need`` does (the demo's full run waits for a worker); its recommendations."""
    need = (
        scenario_selectors.need_own_list_for_user(user=user)
        .filter(agency_id__in=agency_ids, status=NeedStatus.PUBLISHED)
        .order_by("ref")
        .first()
    )
    if need is None:
        return None
    run = runs.match_run_request(scope=RunScope.NEED, object_id=need.pk, enqueue=False)
    try:
        runs.match_run_execute(run_id=run.pk)  # one need: scored and finished inline
    except Exception as exc:
        runs.match_run_fail(run_id=run.pk, error=exc)  # not left "running" with nobody on it
        raise
    return _recommendations(user, agency_ids).first()


@transaction.atomic
def _propose(agency_user: User, match: Match) -> DemoProposal:
    firm_user = (
        User.objects.filter(pk__in=member_ids(match.capability.firm_id, Role.FIRM_EDITOR))
        .order_by("username")
        .first()
    )
    if firm_user is not None:
        pair_respond(actor=firm_user, match=match, interested=True, note=DEMO_INTEREST_NOTE)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    pilot = pilot_start(
        actor=agency_user,
        need=match.need,
        capability=match.capability,
        tolerance_until=timezone.localdate() + DEMO_TOLERANCE,
        source_match_id=match.pk,
    )
    return _summary(pilot, created=True)


def _summary(pilot: Any, *, created: bool) -> DemoProposal:
    def logins(user_ids: list[int]) -> list[str]:
        return list(
            User.objects.filter(pk__in=user_ids)
            .order_by("username")
            .values_list("username", flat=True)
        )

    firm = pilot.capability.firm
    return DemoProposal(
        need_ref=pilot.need.ref,
        capability_title=pilot.capability.title,
        firm_name=firm.name,
        status=pilot.status,
        created=created,
        firm_logins=logins(member_ids(firm.pk, Role.FIRM_EDITOR)),
        decider_logins=logins(deciding_member_ids(region=pilot.need.region)),
    )
