"""The demo of `make run`: after its lists, one of agency360100-1's recommendations is
shortlisted and a pilot proposed from it, waiting for the city committee (also on SQLite:
scripts/test.sh runs this module there too)."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from activity.models import AuditEvent, Notification
from matching.models import Match, MatchRun, PairReview
from scenarios.models import Pilot


def demo_state() -> dict[str, int]:
    """What a second load of the demo must leave as it was."""
    return {
        "match_runs": MatchRun.objects.count(),
        "pair_reviews": PairReview.objects.count(),
        "pilots": Pilot.objects.count(),
        "notifications": Notification.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def assert_demo_proposal() -> None:
    """agency360100-1 shortlisted its need's top recommendation (the firm is interested) and
    proposed a pilot from it; the agency's page shows both and city360100 has it to decide."""
    agency_user = User.objects.get(username="agency360100-1")
    agency = agency_user.memberships.get().organization
    review = PairReview.objects.get()
    pilot = Pilot.objects.select_related("need", "capability").get()
    assert pilot.need.agency_id == agency.pk
    assert pilot.need.status == "published"
    assert pilot.status == "proposed"
    assert pilot.created_by_id == agency_user.pk
    assert (review.need_id, review.capability_id) == (pilot.need_id, pilot.capability_id)
    assert review.shortlisted
    assert review.firm_response == "interested"
    assert review.decision == "pending"
    assert pilot.source_match_id is not None
    source = Match.objects.current().get(pk=pilot.source_match_id)
    assert source.recommended
    assert (source.need_id, source.capability_id) == (pilot.need_id, pilot.capability_id)
    committee = User.objects.get(username="city360100")
    assert Notification.objects.filter(user=committee, verb="pilot.proposed").exists()
    firm_members = pilot.capability.firm.memberships.values_list("user_id", flat=True)
    assert Notification.objects.filter(user__in=firm_members, verb="match.shortlisted").exists()

    agency_page = _signed_in(agency_user).get(f"/workspace/agency/needs/{pilot.need.ref}/")
    proposals = _signed_in(committee).get("/workspace/committee/pilots/?status=proposed")

    html = agency_page.content.decode()
    assert "已入围" in html
    assert "已提议试点，等待委员会审批" in html
    assert pilot.capability.title in proposals.content.decode()


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tasks_in_process():
    """Tasks run in this process after each commit, as `make run` has them without
    REDIS_URL (the full run the demo's lists start comes before its shortlist)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.mark.django_db(transaction=True)
def test_seed_demo_in_process_proposes_a_pilot_from_the_full_runs_shortlist_once(
    reference, tasks_in_process
):
    # given: reference data only (committed, as `make run` has it)

    # when: the demo loads, then loads again
    call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())
    first = demo_state()
    out = io.StringIO()
    call_command("seed_demo", "--quiet-logins", stdout=out)

    # then: the full run the lists started made the recommendations (no run of its own),
    # one was shortlisted and proposed, and the second load changed nothing
    assert list(MatchRun.objects.values_list("scope", "status")) == [("full", "done")]
    assert_demo_proposal()
    assert demo_state() == first
    assert "demo pilot proposal (already there)" in out.getvalue()
