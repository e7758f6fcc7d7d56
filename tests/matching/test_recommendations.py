"""Deciding recommended pairs: a pilot needs the agency's shortlist and the firm's interest,
and the committees find the pairs waiting for them (selector and API)."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import InvalidTransition
from matching import selectors
from matching.models import Match, PairReview
from matching.services import runs
from matching.services.recommendations import pair_decide, pair_respond, pair_shortlist
from scenarios.models import Pilot
from tests import factories
from tests.matching.world import run_inline

pytestmark = pytest.mark.django_db


@pytest.fixture
def matched(province):
    run_inline(runs.match_run_request(scope="full"))
    return province


def top(need, rank=0):
    return Match.objects.current().filter(need=need, recommended=True).order_by("rank")[rank]


def until():
    return timezone.localdate() + dt.timedelta(days=90)


def answer(match, interested=True):
    editor = factories.member(match.capability.firm, "firm_editor")
    return pair_respond(actor=editor, match=match, interested=interested)


def test_approving_a_pair_the_agency_did_not_shortlist_is_refused(matched, city_reviewer):
    match = top(matched["needs"][0])
    answer(match)

    with pytest.raises(InvalidTransition) as refused:
        pair_decide(actor=city_reviewer, match=match, approve=True, tolerance_until=until())

    assert "入围" in refused.value.message
    assert not Pilot.objects.exists()
    assert PairReview.objects.get(need=match.need, capability=match.capability).decision == (
        "pending"
    )


@pytest.mark.parametrize(("interested", "word"), [(False, "不参与"), (None, "尚未表示有意向")])
def test_approving_without_the_firms_interest_is_refused(
    matched, agency_user, city_reviewer, interested, word
):
    match = top(matched["needs"][0])
    if interested is not None:
        answer(match, interested=interested)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)

    with pytest.raises(InvalidTransition) as refused:
        pair_decide(actor=city_reviewer, match=match, approve=True, tolerance_until=until())

    assert word in refused.value.message
    assert not Pilot.objects.exists()


def test_a_declined_shortlisted_pair_can_still_be_rejected(matched, agency_user, city_reviewer):
    match = top(matched["needs"][0])
    answer(match, interested=False)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)

    review = pair_decide(actor=city_reviewer, match=match, approve=False, reason="企业不参与")

    assert review.decision == "rejected"


def test_awaiting_decision_lists_shortlisted_undecided_pairs_in_the_jurisdiction(
    matched,
    agency_user,
    city_reviewer,
    county_reviewer,
    other_city_reviewer,
    firm_user,
    platform_admin,
):
    need_a, need_b = matched["needs"][0], matched["needs"][1]
    waiting, decided, unlisted = top(need_a), top(need_b), top(need_a, 1)
    for match in (waiting, decided):
        answer(match)
        pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    answer(unlisted)
    pair_decide(actor=city_reviewer, match=decided, approve=True, tolerance_until=until())

    def ids(user):
        return [m.pk for m in selectors.awaiting_decision_for_user(user=user)]

    assert ids(city_reviewer) == [waiting.pk]
    assert ids(platform_admin) == [waiting.pk]
    assert ids(county_reviewer) == [waiting.pk]  # the need lies in its district, 360102
    assert ids(other_city_reviewer) == []
    assert ids(firm_user) == []
    assert ids(agency_user) == []


def test_awaiting_decision_drops_pairs_of_needs_no_longer_open(matched, agency_user, city_reviewer):
    from scenarios.services.needs import need_close

    match = top(matched["needs"][0])
    answer(match)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    need_close(actor=agency_user, need=match.need, reason="预算取消")

    assert list(selectors.awaiting_decision_for_user(user=city_reviewer)) == []


def test_api_awaiting_decision_gives_the_pair_the_explanation_and_the_answer(
    api, matched, agency_user, city_reviewer, firm_user
):
    match = top(matched["needs"][0])
    editor = factories.member(match.capability.firm, "firm_editor")
    pair_respond(actor=editor, match=match, interested=True, note="两周内可部署")
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)

    body = api.as_user(city_reviewer).get("/api/v1/recommendations/awaiting-decision/").json()
    as_firm = api.as_user(firm_user).get("/api/v1/recommendations/awaiting-decision/").json()
    bogus = api.as_user(city_reviewer).get(
        "/api/v1/recommendations/awaiting-decision/?ordering=firm_note"
    )

    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["need_ref"], row["capability_ref"]) == (
        match.pk,
        match.need.ref,
        match.capability.ref,
    )
    assert (row["firm_response"], row["firm_note"]) == ("interested", "两周内可部署")
    assert row["review_id"] == PairReview.objects.get(need=match.need).pk
    assert set(row["breakdown"]["features"])
    assert row["waiting_since"]
    assert as_firm["count"] == 0
    assert bogus.status_code == 400
    assert "ordering" in bogus.json()["fields"]


def test_api_approve_of_an_unanswered_pair_is_a_conflict(api, matched, agency_user, city_reviewer):
    match = top(matched["needs"][0])
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)

    r = api.as_user(city_reviewer).post(
        f"/api/v1/matches/{match.pk}/approve/",
        {"tolerance_until": until().isoformat()},
        format="json",
    )

    assert r.status_code == 409
    assert "有意向" in r.json()["detail"]


def test_a_candidate_that_was_not_recommended_cannot_be_shortlisted(matched, agency_user):
    candidate = Match.objects.current().filter(need=matched["needs"][0], recommended=False).first()
    if candidate is None:  # every candidate was recommended: make one a mere candidate
        candidate = top(matched["needs"][0], 1)
        Match.objects.filter(pk=candidate.pk).update(recommended=False)
        candidate.refresh_from_db()

    with pytest.raises(InvalidTransition) as refused:
        pair_shortlist(actor=agency_user, match=candidate, shortlisted=True)

    assert "推荐结果" in refused.value.message
    assert not PairReview.objects.filter(shortlisted=True).exists()


def test_the_agency_is_told_when_the_answer_changes_not_when_the_note_does(matched):
    from activity.models import Notification

    match = top(matched["needs"][0])
    editor = factories.member(match.capability.firm, "firm_editor")
    agency_editor = factories.member(match.need.agency, "agency_editor")
    told = Notification.objects.filter(verb="match.firm_response", user=agency_editor)

    pair_respond(actor=editor, match=match, interested=True, note="两周内可部署")
    pair_respond(actor=editor, match=match, interested=True, note="两周内可部署")
    pair_respond(actor=editor, match=match, interested=True, note="一周内可部署")
    first = told.count()
    pair_respond(actor=editor, match=match, interested=False, note="产能不足")

    assert first == told.filter(message__contains="有意向承接").count() == 1
    assert told.filter(message__contains="不参与").count() == 1
    review = PairReview.objects.get(need=match.need, capability=match.capability)
    assert (review.firm_response, review.firm_note) == ("declined", "产能不足")


def test_a_second_approval_with_other_values_is_refused_not_ignored(
    matched, agency_user, city_reviewer, province_reviewer
):
    match = top(matched["needs"][0])
    answer(match)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    first = pair_decide(actor=city_reviewer, match=match, approve=True, tolerance_until=until())

    replay = pair_decide(actor=city_reviewer, match=match, approve=True, tolerance_until=until())
    with pytest.raises(InvalidTransition) as refused:
        pair_decide(
            actor=province_reviewer,
            match=match,
            approve=True,
            tolerance_until=until() + dt.timedelta(days=300),
        )

    assert replay.version == first.version  # the same decision again changes nothing
    assert "不同" in refused.value.message
    assert Pilot.objects.get(pk=first.pilot_id or 0).tolerance_until == until()


def test_a_firms_note_that_would_read_backwards_is_refused(matched):
    from core.errors import InvalidInput

    # given: a note with a right-to-left override (the agency read "我方付交内月个三在可")
    match = top(matched["needs"][0])
    editor = factories.member(match.capability.firm, "firm_editor")

    # when
    with pytest.raises(InvalidInput) as refused:
        pair_respond(actor=editor, match=match, interested=True, note="我方\u202e可在三个月内交付")

    # then: nothing answered
    assert list(refused.value.fields) == ["note"]
    assert not PairReview.objects.filter(firm_note__contains="\u202e").exists()


def test_an_agency_proposes_a_pilot_only_from_its_shortlist_also_through_the_api(
    matched, agency_user, api
):
    """The pages offered a proposal only for a shortlisted recommendation; the API took any
    pair (even one never recommended). Both now go through the same check."""
    need = matched["needs"][0]
    match = top(need)
    body = {"need": need.pk, "capability": match.capability_id, "tolerance_until": str(until())}
    client = api.as_user(agency_user)

    not_shortlisted = client.post("/api/v1/pilots/", body, format="json")
    other = next(
        c
        for c in matched["caps"]
        if not Match.objects.current().filter(need=need, capability=c, recommended=True).exists()
    )
    never_recommended = client.post(
        "/api/v1/pilots/", {**body, "capability": other.pk}, format="json"
    )
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    shortlisted = client.post("/api/v1/pilots/", body, format="json")

    assert not_shortlisted.status_code == 409, not_shortlisted.content
    assert "入围" in not_shortlisted.json()["detail"]
    assert never_recommended.status_code == 409
    assert shortlisted.status_code == 201, shortlisted.content
    assert Pilot.objects.filter(need=need).count() == 1
    # Recorded as coming from the recommendation, as a proposal from the page is (the
    # committee's pilots page said "not through matching" for API proposals).
    assert Pilot.objects.get(need=need).source_match_id == match.pk


def test_a_pair_with_a_pending_proposal_stays_on_the_shortlist_until_the_committee_decides(
    matched, agency_user, county_reviewer
):
    from scenarios.services.pilots import pilot_proposal_decide, pilot_start

    match = top(matched["needs"][0])
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    pilot = pilot_start(
        actor=agency_user, need=match.need, capability=match.capability, tolerance_until=until()
    )

    with pytest.raises(InvalidTransition) as refused:
        pair_shortlist(actor=agency_user, match=match, shortlisted=False)
    assert "等待委员会审批" in refused.value.message
    assert PairReview.objects.get(need=match.need, capability=match.capability).shortlisted

    pilot_proposal_decide(actor=county_reviewer, pilot=pilot, approve=False, reason="另有安排")
    review = pair_shortlist(actor=agency_user, match=match, shortlisted=False)
    assert not review.shortlisted


@pytest.mark.parametrize("approve", [False, True])
def test_the_decision_on_a_pair_decides_its_waiting_proposal(
    matched, agency_user, county_reviewer, approve
):
    """Rejecting a pair left its proposal waiting, and the committee could still approve
    it: a pilot ran on a rejected pair. Approving the pair returned the proposal unstarted."""
    match = top(matched["needs"][0])
    answer(match)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    from scenarios.services.pilots import pilot_start

    proposal = pilot_start(
        actor=agency_user, need=match.need, capability=match.capability, tolerance_until=until()
    )

    review = pair_decide(
        actor=county_reviewer,
        match=match,
        approve=approve,
        reason="" if approve else "与需求不符",
        tolerance_until=until() if approve else None,
    )

    proposal.refresh_from_db()
    if approve:
        assert (review.decision, proposal.status) == ("approved", "running")
        assert review.pilot_id == proposal.pk
    else:
        assert (review.decision, proposal.status) == ("rejected", "declined")
        assert proposal.decision_reason == "与需求不符"
    assert Pilot.objects.filter(need=match.need).count() == 1


def test_words_longer_than_a_decision_keeps_are_refused_not_cut(
    matched, agency_user, county_reviewer
):
    """The services stored the first 500 characters of a longer note or reason unsaid."""
    from core.errors import InvalidInput
    from scenarios.services.pilots import pilot_proposal_decide, pilot_start

    # Given a shortlisted pair the firm is interested in, with the agency's proposal
    match = top(matched["needs"][0])
    editor = factories.member(match.capability.firm, "firm_editor")
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    proposal = pilot_start(
        actor=agency_user, need=match.need, capability=match.capability, tolerance_until=until()
    )

    # When the firm answers, the committee rejects the pair and declines the proposal,
    # each with 501 characters
    refused = []
    for attempt in (
        lambda: pair_respond(actor=editor, match=match, interested=True, note="注" * 501),
        lambda: pair_decide(actor=county_reviewer, match=match, approve=False, reason="驳" * 501),
        lambda: pilot_proposal_decide(
            actor=county_reviewer, pilot=proposal, approve=False, reason="否" * 501
        ),
    ):
        with pytest.raises(InvalidInput) as excinfo:
            attempt()
        refused.append(list(excinfo.value.fields))

    # Then each is refused on its field and nothing was decided
    assert refused == [["note"], ["reason"], ["reason"]]
    review = PairReview.objects.get(need=match.need, capability=match.capability)
    assert (review.firm_response, review.decision) == ("", "pending")
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_a_firm_declining_a_proposed_pilot_stops_its_approval_and_a_running_one_is_kept(
    matched, agency_user, county_reviewer
):
    """The agency may propose a pilot before the firm answers; a firm that then declines is
    heard (the committee can only turn the proposal down), and once a pilot runs the answer
    no longer changes (it had offered 不参与 on a pilot under way)."""
    from django.test import Client

    from scenarios.services.pilots import pair_unavailable, pilot_proposal_decide, pilot_start

    match = top(matched["needs"][0])
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    proposal = pilot_start(
        actor=agency_user, need=match.need, capability=match.capability, tolerance_until=until()
    )
    editor = factories.member(match.capability.firm, "firm_editor")
    page_url = f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/"
    firm = Client()
    firm.force_login(editor)
    assert "委员会须在您答复“有意向”后才能批准" in firm.get(page_url).content.decode()

    # when: the firm declines while the proposal waits
    pair_respond(actor=editor, match=match, interested=False)

    # then: the committee sees why and cannot approve
    reason = pair_unavailable(need=match.need, capability=match.capability)
    assert reason == "企业已答复不参与这项推荐，不能开展试点。"
    with pytest.raises(InvalidTransition) as refused:
        pilot_proposal_decide(actor=county_reviewer, pilot=proposal, approve=True)
    assert refused.value.message == reason

    # when: the firm changes its mind, the committee approves, and the firm tries to decline
    pair_respond(actor=editor, match=match, interested=True)
    pilot = pilot_proposal_decide(actor=county_reviewer, pilot=proposal, approve=True)
    assert pilot.status == "running"
    with pytest.raises(InvalidTransition) as refused:
        pair_respond(actor=editor, match=match, interested=False)
    assert "试点正在进行" in refused.value.message
    html = firm.get(page_url).content.decode()
    assert "正在进行，答复不能再修改" in html
    assert "提交答复" not in html
    assert PairReview.objects.get(need=match.need, capability=match.capability).firm_response == (
        "interested"
    )


@pytest.mark.parametrize("way", ["proposal", "committee"])
def test_a_pilot_started_another_way_settles_the_pairs_review(
    matched, agency_user, county_reviewer, way
):
    """The pair stayed pending while its pilot ran: the committee could still "reject" it
    (200, the pilot running on) and it waited among the pairs to decide."""
    from scenarios.services.pilots import pilot_proposal_decide, pilot_start

    match = top(matched["needs"][0])
    answer(match)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    if way == "proposal":
        proposal = pilot_start(
            actor=agency_user, need=match.need, capability=match.capability, tolerance_until=until()
        )
        pilot = pilot_proposal_decide(actor=county_reviewer, pilot=proposal, approve=True)
    else:
        pilot = pilot_start(
            actor=county_reviewer,
            need=match.need,
            capability=match.capability,
            tolerance_until=until(),
        )

    review = PairReview.objects.get(need=match.need, capability=match.capability)
    assert (review.decision, review.pilot_id) == ("approved", pilot.pk)
    assert not selectors.awaiting_decision_for_user(user=county_reviewer).exists()
    with pytest.raises(InvalidTransition):
        pair_decide(actor=county_reviewer, match=match, approve=False, reason="不合适")
    pilot.refresh_from_db()
    assert pilot.status == "running"


def test_api_pair_actions_honour_if_match(api, matched, agency_user, city_reviewer):
    """The pair verbs documented 412 and ignored If-Match: a committee approved against a
    firm answer that had changed since it read the pair."""
    match = top(matched["needs"][0])
    editor = factories.member(match.capability.firm, "firm_editor")
    answered = api.as_user(editor).post(
        f"/api/v1/matches/{match.pk}/respond/", {"interested": True}, format="json"
    )
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    row = api.as_user(city_reviewer).get("/api/v1/recommendations/awaiting-decision/").json()
    read_version = row["results"][0]["review_version"]
    assert read_version > answered.json()["version"]  # the shortlist moved it on
    # the firm's answer changes after the committee read the pair
    pair_respond(actor=editor, match=match, interested=True, note="只能派一人驻场")
    url = f"/api/v1/matches/{match.pk}/reject/"

    malformed = api.as_user(city_reviewer).post(
        url, {"reason": "不合适"}, format="json", HTTP_IF_MATCH="garbage"
    )
    stale = api.as_user(city_reviewer).post(
        url, {"reason": "不合适"}, format="json", HTTP_IF_MATCH=f'"{read_version}"'
    )

    assert malformed.status_code == 400
    assert stale.status_code == 412, stale.json()
    assert PairReview.objects.get(need=match.need).decision == "pending"
    current = PairReview.objects.get(need=match.need).version
    fresh = api.as_user(city_reviewer).post(
        url, {"reason": "不合适"}, format="json", HTTP_IF_MATCH=f'"{current}"'
    )
    assert fresh.status_code == 200, fresh.json()


def test_a_proposal_waits_for_the_firms_interest_and_the_firm_is_told(
    matched, agency_user, county_reviewer
):
    """Approving an agency's proposal sent a firm that never answered into a pilot (the
    recommendation's own approval needs its "interested"); the firm heard nothing of the
    proposal until the pilot started."""
    from django.test import Client

    from activity.models import Notification
    from scenarios.services.pilots import pair_unavailable, pilot_proposal_decide, pilot_start

    match = top(matched["needs"][0])
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    editor = factories.member(match.capability.firm, "firm_editor")

    # when: the agency proposes a pilot before the firm answered
    proposal = pilot_start(
        actor=agency_user, need=match.need, capability=match.capability, tolerance_until=until()
    )

    # then: the firm is told, and its pilot page says its answer is what the approval waits for
    note = Notification.objects.get(user=editor, verb="pilot.proposed")
    assert note.target_id == str(proposal.pk)
    firm = Client()
    firm.force_login(editor)
    page = firm.get(f"/workspace/firm/pilots/{proposal.pk}/").content.decode()
    assert "委员会须在您答复“有意向”后才能批准" in page
    assert f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/" in page
    # and the committee can neither approve the proposal nor start the pair itself
    reason = pair_unavailable(need=match.need, capability=match.capability)
    assert reason == "企业尚未答复有意向承接，须等企业答复有意向后才能批准。"
    with pytest.raises(InvalidTransition) as refused:
        pilot_proposal_decide(actor=county_reviewer, pilot=proposal, approve=True)
    assert refused.value.message == reason
    with pytest.raises(InvalidTransition):
        pilot_start(
            actor=county_reviewer,
            need=match.need,
            capability=match.capability,
            tolerance_until=until(),
        )

    # when: the firm says it is interested, the committee approves; the firm's notice settles
    pair_respond(actor=editor, match=match, interested=True)
    pilot = pilot_proposal_decide(actor=county_reviewer, pilot=proposal, approve=True)

    assert pilot.status == "running"
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_rejected_pair_runs_no_pilot_started_directly(matched, agency_user, county_reviewer):
    """A committee's direct start of a pair it had rejected left the pair "rejected" beside a
    running pilot (the firm's page said both)."""
    from scenarios.services.pilots import pilot_start

    match = top(matched["needs"][0])
    answer(match)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    pair_decide(actor=county_reviewer, match=match, approve=False, reason="不合适")

    with pytest.raises(InvalidTransition) as refused:
        pilot_start(
            actor=county_reviewer,
            need=match.need,
            capability=match.capability,
            tolerance_until=until(),
        )

    assert refused.value.message == "委员会已驳回这项推荐，不能开展试点。"


def test_api_awaiting_decision_leaves_out_a_pair_with_a_pilot_proposed(
    api, matched, agency_user, city_reviewer
):
    """The portal's list left such a pair out and the API listed it: its proposal waits on
    /pilots/{id}/decide/, and approving the recommendation is refused."""
    from scenarios.services.pilots import pilot_start

    # given: a shortlisted pair the firm wants, which the agency then proposed directly
    match = top(matched["needs"][0])
    answer(match)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    pilot_start(
        actor=agency_user, need=match.need, capability=match.capability, tolerance_until=until()
    )

    # when
    body = api.as_user(city_reviewer).get("/api/v1/recommendations/awaiting-decision/").json()

    # then
    assert (body["count"], body["results"]) == (0, [])
    assert not selectors.awaiting_decision_for_user(user=city_reviewer).exists()
