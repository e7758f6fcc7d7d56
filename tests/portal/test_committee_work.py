"""The committee hears of work waiting for it (a shortlisted pair, a proposed pilot, an outcome
to confirm), each notice opens the committee page where the work is done, and the pilots page
opens where work waits."""

import datetime as dt

import pytest
from django.utils import timezone

from activity.models import Notification
from matching.models import Match, PairReview
from matching.services.recommendations import pair_respond, pair_shortlist
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.pilots import pilot_conclude, pilot_confirm_outcome, pilot_start
from scenarios.services.reviews import review_decide
from tests import factories
from tests.portal.conftest import signed_in
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


def until(days=90):
    return timezone.localdate() + dt.timedelta(days=days)


def go(user, note):
    return signed_in(user).get(f"/notifications/go/{note.target_type}/{note.target_id}/")


@pytest.fixture
def first_match(matched):
    match = (
        Match.objects.current()
        .filter(need=matched["needs"][0], recommended=True)
        .order_by("rank")[0]
    )
    editor = factories.member(match.capability.firm, "firm_editor")
    pair_respond(actor=editor, match=match, interested=True)
    return match


def test_shortlisting_tells_the_deciding_committee_and_the_notice_opens_the_decisions(
    first_match, agency_user, county_reviewer, city_reviewer
):
    # Given a pair the firm is interested in, a need in Donghu (360102)

    # When the agency shortlists it
    pair_shortlist(actor=agency_user, match=first_match, shortlisted=True)

    # Then the Donghu committee (the nearest that decides) hears of it, in Chinese, and the
    # notice opens the recommendations waiting for its decision
    note = Notification.objects.get(user=county_reviewer, verb="match.awaiting_decision")
    assert not Notification.objects.filter(user=city_reviewer, verb="match.awaiting_decision")
    inbox = signed_in(county_reviewer).get("/notifications/").content.decode()
    assert f"待审批的入围推荐：{first_match.need.title} × {first_match.capability.title}" in inbox
    assert go(county_reviewer, note)["Location"] == "/workspace/committee/recommendations/"


def test_a_committee_nobody_sits_on_passes_the_notice_to_the_one_above(
    first_match, agency_user, city_reviewer
):
    # Given nobody sits on the Donghu committee

    # When the agency shortlists the pair
    pair_shortlist(actor=agency_user, match=first_match, shortlisted=True)

    # Then the Nanchang committee, which may decide it too, hears of it
    assert Notification.objects.filter(user=city_reviewer, verb="match.awaiting_decision")


def test_a_pair_taken_off_the_shortlist_or_decided_no_longer_waits_in_the_inbox(
    first_match, agency_user, county_reviewer
):
    # Given a shortlisted pair the committee was told of
    pair_shortlist(actor=agency_user, match=first_match, shortlisted=True)

    # When the agency takes it off again
    pair_shortlist(actor=agency_user, match=first_match, shortlisted=False)

    # Then the notice is settled, and a link to it lands on the need's committee page
    note = Notification.objects.get(user=county_reviewer, verb="match.awaiting_decision")
    assert note.read_at is not None
    assert go(county_reviewer, note)["Location"] == (
        f"/workspace/committee/needs/{first_match.need.ref}/"
    )
    assert PairReview.objects.get(need=first_match.need).shortlisted is False


@pytest.fixture
def published(agency, agency_user, county_reviewer, city_reviewer, firm):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    need = review_decide(actor=city_reviewer, need=need, decision="approved")
    capability = capability_submit(actor=None, capability=make_capability(firm, title="巡检无人机"))
    return need, capability


def test_a_pilot_proposed_through_the_api_tells_the_committee_and_opens_its_proposals(
    published, agency_user, county_reviewer, api
):
    # Given a published need and capability
    need, capability = published
    factories.shortlisted_pair(need, capability)

    # When the agency proposes a pilot through the API
    r = api.as_user(agency_user).post(
        "/api/v1/pilots/",
        {"need": need.pk, "capability": capability.pk, "tolerance_until": str(until())},
        format="json",
    )

    # Then the committee hears of it and the notice opens the proposal on its pilots page
    assert r.status_code == 201, r.content
    note = Notification.objects.get(user=county_reviewer, verb="pilot.proposed")
    assert go(county_reviewer, note)["Location"] == (
        f"/workspace/committee/pilots/?status=proposed#pilot-{r.json()['id']}"
    )


def test_an_outcome_the_agency_records_waits_for_the_committee_where_it_opens(
    published, agency_user, county_reviewer
):
    # Given a running pilot
    need, capability = published
    pilot = pilot_start(
        actor=county_reviewer, need=need, capability=capability, tolerance_until=until()
    )
    client = signed_in(county_reviewer)
    assert "这个状态下没有试点" not in client.get("/workspace/committee/pilots/").content.decode()

    # When the agency records it as validated
    pilot_conclude(actor=agency_user, pilot=pilot, outcome="validated", trl_after=8, note="达标")

    # Then the committee hears of it, the pilots page opens on 验证成功 with its count waiting,
    # and the tab names the outcomes to confirm
    note = Notification.objects.get(user=county_reviewer, verb="pilot.outcome_recorded")
    assert "待确认的验证结论（验证成功）" in client.get("/notifications/").content.decode()
    assert go(county_reviewer, note)["Location"] == (
        f"/workspace/committee/pilots/?status=validated#pilot-{pilot.pk}"
    )
    page = client.get("/workspace/committee/pilots/").content.decode()
    assert "这个状态下没有试点" not in page
    assert "确认验证结论" in page
    assert "1 项待确认" in page
    assert 'title="待确认的验证结论">1<' in page

    # And confirming settles the notice
    pilot_confirm_outcome(actor=county_reviewer, pilot=pilot)
    note.refresh_from_db()
    assert note.read_at is not None


def test_an_outcome_the_committee_records_itself_tells_nobody(published, county_reviewer):
    # Given a running pilot
    need, capability = published
    pilot = pilot_start(
        actor=county_reviewer, need=need, capability=capability, tolerance_until=until()
    )

    # When the committee records the outcome (confirmed at once)
    pilot_conclude(actor=county_reviewer, pilot=pilot, outcome="failed", trl_after=5, note="未达标")

    # Then there is nothing to confirm
    assert not Notification.objects.filter(verb="pilot.outcome_recorded").exists()


def test_a_notice_about_a_need_opens_its_committee_page(agency, agency_user, county_reviewer):
    # Given a need waiting for the county's review
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    note = Notification.objects.get(user=county_reviewer, verb="review.pending")

    # When the committee member follows the notice
    r = go(county_reviewer, note)

    # Then the need's committee page opens (not the queue)
    assert r["Location"] == f"/workspace/committee/needs/{need.ref}/"
