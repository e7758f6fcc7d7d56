"""Matching through the REST API: runs, explained matches, and the review of a pair."""

import datetime as dt

import pytest
from django.utils import timezone

from activity.models import AuditEvent, Notification
from matching.models import Match, MatchRun, PairReview
from matching.services import runs
from scenarios.models import Pilot
from tests import factories
from tests.matching.world import run_inline

pytestmark = pytest.mark.django_db


@pytest.fixture
def matched(province):
    run_inline(runs.match_run_request(scope="full"))
    return province


def top_recommended(need):
    return Match.objects.current().filter(need=need, recommended=True).order_by("rank")[0]


def test_api_start_run_and_watch_progress(
    api, province_reviewer, province, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as enqueued:
        r = api.as_user(province_reviewer).post(
            "/api/v1/match-runs/", {"scope": "full"}, format="json"
        )
    assert r.status_code == 202
    assert len(enqueued) == 1
    run_id = r.json()["id"]
    runs.match_run_execute(run_id=run_id)

    body = api.get(f"/api/v1/match-runs/{run_id}/").json()
    matches = api.get(f"/api/v1/matches/?run={run_id}&page_size=100").json()

    assert body["status"] == "done"
    assert body["progress"] == 1.0
    assert body["policy_version"] == 1
    assert matches["count"] == body["counts"]["candidates"]


def test_api_run_requires_operator(api, firm_user, agency_user):
    assert (
        api.as_user(firm_user)
        .post("/api/v1/match-runs/", {"scope": "full"}, format="json")
        .status_code
        == 403
    )
    assert api.as_user(agency_user).get("/api/v1/match-runs/").json()["count"] == 0


def test_api_runs_are_started_and_cancelled_within_each_members_remit(
    api, province, county_reviewer, city_reviewer, other_city_reviewer, province_reviewer
):
    need = province["needs"][0]  # Donghu district, Nanchang
    full = runs.match_run_request(scope="full")  # the system's nightly run, still pending

    county_full = api.as_user(county_reviewer).post(
        "/api/v1/match-runs/", {"scope": "full"}, format="json"
    )
    far_need = api.as_user(other_city_reviewer).post(
        "/api/v1/match-runs/", {"scope": "need", "object_id": need.pk}, format="json"
    )
    far_cap = api.as_user(other_city_reviewer).post(
        "/api/v1/match-runs/",
        {"scope": "capability", "object_id": province["caps"][0].pk},
        format="json",
    )
    own_need = api.as_user(city_reviewer).post(
        "/api/v1/match-runs/", {"scope": "need", "object_id": need.pk}, format="json"
    )
    county_cancel = api.as_user(county_reviewer).post(f"/api/v1/match-runs/{full.pk}/cancel/")
    other_cancel = api.as_user(other_city_reviewer).post(
        f"/api/v1/match-runs/{own_need.json()['id']}/cancel/"
    )
    own_cancel = api.as_user(city_reviewer).post(
        f"/api/v1/match-runs/{own_need.json()['id']}/cancel/"
    )
    province_cancel = api.as_user(province_reviewer).post(f"/api/v1/match-runs/{full.pk}/cancel/")

    assert county_full.status_code == 403
    assert "省级工作委员会" in county_full.json()["detail"]
    assert far_need.status_code == 403
    assert far_cap.status_code == 403  # the firm of caps[0] lies in Nanchang
    assert own_need.status_code == 202
    assert county_cancel.status_code == 403
    assert other_cancel.status_code == 404  # another region's need: its run is not theirs
    assert own_cancel.json()["status"] == "cancelled"
    assert province_cancel.json()["status"] == "cancelled"


def test_api_run_scope_needs_matching_object(api, platform_admin):
    r = api.as_user(platform_admin).post("/api/v1/match-runs/", {"scope": "need"}, format="json")

    assert r.status_code == 400
    assert "object_id" in r.json()["fields"]


def test_api_firm_sees_only_its_recommendations(api, matched):
    firm = matched["firms"][1]
    editor = factories.member(firm, "firm_editor")

    body = api.as_user(editor).get("/api/v1/matches/?page_size=100").json()

    assert body["count"] > 0
    assert all(m["firm_id"] == firm.pk and m["recommended"] for m in body["results"])


def test_api_review_flow_respond_shortlist_approve_creates_pilot(
    api, matched, agency_user, city_reviewer
):
    need = matched["needs"][1]  # the drone delivery need
    match = top_recommended(need)
    firm_editor = factories.member(match.capability.firm, "firm_editor")
    until = (timezone.localdate() + dt.timedelta(days=120)).isoformat()

    r1 = api.as_user(firm_editor).post(
        f"/api/v1/matches/{match.pk}/respond/",
        {"interested": True, "note": "可两周内部署"},
        format="json",
    )
    r2 = api.as_user(agency_user).post(f"/api/v1/matches/{match.pk}/shortlist/", {}, format="json")
    r3 = api.as_user(city_reviewer).post(
        f"/api/v1/matches/{match.pk}/approve/", {"tolerance_until": until}, format="json"
    )

    assert (r1.status_code, r2.status_code, r3.status_code) == (200, 200, 200)
    review = PairReview.objects.get(need=need, capability=match.capability)
    assert review.firm_response == "interested"
    assert review.shortlisted
    assert review.decision == "approved"
    assert review.pilot_id is not None
    pilot = Pilot.objects.get(pk=review.pilot_id)
    assert pilot.source_match_id == match.pk
    need.refresh_from_db()
    assert need.status == "in_validation"
    actions = set(
        AuditEvent.objects.filter(target_type="matching.pairreview").values_list(
            "action", flat=True
        )
    )
    assert actions == {"match.respond", "match.shortlist", "match.decide"}
    assert Notification.objects.filter(user=agency_user, verb="match.firm_response").exists()
    assert Notification.objects.filter(user=firm_editor, verb="match.decided").exists()


def test_api_review_permissions(api, matched, agency_user, other_city_reviewer, firm_user):
    match = top_recommended(matched["needs"][0])

    as_other_firm = api.as_user(firm_user).post(
        f"/api/v1/matches/{match.pk}/respond/", {"interested": True}, format="json"
    )
    as_agency = api.as_user(agency_user).post(
        f"/api/v1/matches/{match.pk}/approve/", {"tolerance_until": "2027-12-31"}, format="json"
    )
    as_far_committee = api.as_user(other_city_reviewer).post(
        f"/api/v1/matches/{match.pk}/reject/", {"reason": "不合适"}, format="json"
    )

    assert as_other_firm.status_code in (403, 404)
    assert as_agency.status_code == 403
    assert as_far_committee.status_code == 404
    assert not PairReview.objects.filter(decision__in=["approved", "rejected"]).exists()


def test_api_reject_needs_reason(api, matched, city_reviewer):
    match = top_recommended(matched["needs"][0])

    r = api.as_user(city_reviewer).post(f"/api/v1/matches/{match.pk}/reject/", {}, format="json")

    assert r.status_code == 400
    assert "reason" in r.json()["fields"]


def test_api_superseded_rows_stay_readable_by_run_but_cannot_be_answered(
    api, matched, platform_admin
):
    need = matched["needs"][0]
    old = top_recommended(need)
    newer = run_inline(runs.match_run_request(scope="need", object_id=need.pk))
    admin = api.as_user(platform_admin)

    current = admin.get(f"/api/v1/matches/?need={need.pk}&page_size=100").json()
    history = admin.get(f"/api/v1/matches/?run={old.run_id}&need={need.pk}").json()
    one = admin.get(f"/api/v1/matches/{old.pk}/").json()
    answer = admin.post(f"/api/v1/matches/{old.pk}/respond/", {"interested": True}, format="json")

    assert current["count"] > 0
    assert {m["run"] for m in current["results"]} == {newer.pk}
    assert all(m["is_current"] for m in current["results"])
    assert history["count"] > 0
    assert not any(m["is_current"] for m in history["results"])
    assert one["id"] == old.pk
    assert one["is_current"] is False
    assert answer.status_code == 409
    assert answer.json()["code"] == "invalid_transition"


def test_api_run_refuses_a_target_matching_cannot_score(api, platform_admin, province, agency):
    from tests.matching.world import publish_need

    draft = publish_need(
        agency,
        title="草稿需求",
        description="尚未发布",
        chains=["digital-city"],
        keywords=["草稿"],
        region="360102",
    )
    type(draft).objects.filter(pk=draft.pk).update(status="draft")
    admin = api.as_user(platform_admin)
    before = MatchRun.objects.count()

    answers = [
        admin.post("/api/v1/match-runs/", body, format="json")
        for body in (
            {"scope": "need", "object_id": draft.pk},
            {"scope": "need", "object_id": 987654321},
            {"scope": "capability", "object_id": 987654321},
            {"scope": "need", "object_id": 10**20},
        )
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert all("object_id" in a.json()["fields"] for a in answers)
    assert MatchRun.objects.count() == before


def test_respond_after_the_decision_is_refused_and_a_repeat_changes_nothing(
    api, matched, agency_user, city_reviewer
):
    match = top_recommended(matched["needs"][1])
    firm_editor = factories.member(match.capability.firm, "firm_editor")
    url = f"/api/v1/matches/{match.pk}/respond/"

    first = api.as_user(firm_editor).post(
        url, {"interested": True, "note": "可部署"}, format="json"
    )
    again = api.as_user(firm_editor).post(
        url, {"interested": True, "note": "可部署"}, format="json"
    )
    rejected = api.as_user(city_reviewer).post(
        f"/api/v1/matches/{match.pk}/reject/", {"reason": "预算不足"}, format="json"
    )
    late = api.as_user(firm_editor).post(url, {"interested": False}, format="json")

    assert rejected.status_code == 200
    assert again.json()["version"] == first.json()["version"]
    assert AuditEvent.objects.filter(action="match.respond").count() == 1
    assert Notification.objects.filter(verb="match.firm_response").count() == 1
    assert late.status_code == 409
    assert PairReview.objects.get(pk=first.json()["id"]).firm_response == "interested"


def test_an_outsider_gets_403_on_a_superseded_row(api, matched, firm_user):
    need = matched["needs"][0]
    old = top_recommended(need)
    run_inline(runs.match_run_request(scope="need", object_id=need.pk))
    outsider = factories.member(matched["agency"], "agency_editor")  # sees it, may not answer

    r = api.as_user(outsider).post(
        f"/api/v1/matches/{old.pk}/respond/", {"interested": True}, format="json"
    )

    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"


def test_api_a_need_run_is_seen_by_the_committees_over_the_need_only(
    api,
    province,
    county_reviewer,
    city_reviewer,
    other_city_reviewer,
    province_reviewer,
    platform_admin,
):
    """Ganzhou's and the Donghu district's members read Nanchang's rerun of a Nanchang need,
    with who asked for it; a full run stays everyone's."""
    from reference.models import Region
    from tests.matching.world import publish_need

    # given: a need of Nanchang itself (360100, not inside Donghu 360102), rerun by Nanchang
    city_agency = factories.AgencyFactory.create(region=Region.objects.get(code="360100"))
    need = publish_need(
        city_agency,
        title="城市排水管网监测",
        description="全市排水管网的液位与流量监测。",
        chains=["digital-city"],
        keywords=["排水"],
        region="360100",
    )
    need_run = runs.match_run_request(scope="need", object_id=need.pk, actor=city_reviewer)
    full = runs.match_run_request(scope="full")

    def sees(user):
        client = api.as_user(user)
        listed = {r["id"] for r in client.get("/api/v1/match-runs/").json()["results"]}
        detail = client.get(f"/api/v1/match-runs/{need_run.pk}/").status_code
        assert full.pk in listed
        assert (need_run.pk in listed) == (detail == 200)
        return detail == 200

    # then
    assert sees(city_reviewer)
    assert sees(province_reviewer)
    assert sees(platform_admin)
    assert not sees(other_city_reviewer)
    assert not sees(county_reviewer)
