"""The pipeline through the REST API: a client runs draft → published → pilot outcome."""

import datetime as dt

import pytest
from django.utils import timezone

from activity.models import AuditEvent
from core.api import filters
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.assessments import MAX_REVISIONS, assessment_submit
from scenarios.services.needs import need_submit
from scenarios.services.policy import policy_update
from scenarios.services.reviews import review_decide
from tests import factories
from tests.scenarios.helpers import CAPABILITY_DEFAULTS, NEED_DEFAULTS, make_need

pytestmark = pytest.mark.django_db


def need_body(**overrides):
    body = {k: v for k, v in NEED_DEFAULTS.items()}
    body.update(region_code="360102", deadline="2027-06-30")
    body.update(overrides)
    return body


def test_need_api_full_pipeline_to_pilot_outcome(
    api, agency_user, county_reviewer, city_reviewer, firm_user, province_reviewer
):
    # given: an agency editor, the committees of its county and city, a verified firm
    expert_org = factories.ExpertInstitutionFactory.create()
    expert = factories.member(expert_org, "expert")

    # when: the agency drafts and submits, both tiers approve
    r = api.as_user(agency_user).post("/api/v1/needs/", need_body(), format="json")
    assert r.status_code == 201, r.json()
    need_id, version = r.json()["id"], r.json()["version"]
    assert r["ETag"] == f'"{version}"'
    r = api.post(f"/api/v1/needs/{need_id}/submit/", {}, format="json")
    assert (r.status_code, r.json()["status"], r.json()["review_tier"]) == (
        200,
        "in_review",
        "county",
    )
    queue = api.as_user(county_reviewer).get("/api/v1/reviews/queue/").json()
    assert [item["need"]["id"] for item in queue["results"]] == [need_id]
    r = api.post(f"/api/v1/needs/{need_id}/approve/", {"comment": "同意"}, format="json")
    assert r.json()["review_tier"] == "city"
    r = api.as_user(city_reviewer).post(f"/api/v1/needs/{need_id}/approve/", {}, format="json")
    assert r.json()["status"] == "published"

    # and: an expert scores it, the firm's capability publishes, the agency proposes a pilot,
    # the city committee approves it, the agency concludes, the province confirms
    r = api.as_user(expert).post(
        f"/api/v1/needs/{need_id}/assess/",
        {
            "scores": {
                "tech_advancement": 90,
                "demonstration": 85,
                "industry_pull": 80,
                "replicability": 88,
                "feasibility": 92,
            }
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    r = api.as_user(firm_user).post(
        "/api/v1/capabilities/", {**CAPABILITY_DEFAULTS, "region_code": "360102"}, format="json"
    )
    assert r.status_code == 201, r.json()
    cap_id = r.json()["id"]
    r = api.post(f"/api/v1/capabilities/{cap_id}/submit/", {}, format="json")
    assert r.json()["status"] == "published"
    until = (timezone.localdate() + dt.timedelta(days=180)).isoformat()
    # The agency shortlisted the capability among its recommendations (tests/matching has
    # the run and the shortlist through the API).
    factories.shortlisted_pair(
        ScenarioNeed.objects.get(pk=need_id), Capability.objects.get(pk=cap_id)
    )
    r = api.as_user(agency_user).post(
        "/api/v1/pilots/",
        {
            "need": need_id,
            "capability": cap_id,
            "tolerance_until": until,
            "milestones": [{"title": "部署完成", "due": until}],
        },
        format="json",
    )
    assert (r.status_code, r.json()["status"]) == (201, "proposed"), r.json()
    pilot_id = r.json()["id"]
    r = api.as_user(city_reviewer).post(
        f"/api/v1/pilots/{pilot_id}/decide/", {"approve": True}, format="json"
    )
    assert (r.status_code, r.json()["status"]) == (200, "running"), r.json()
    r = api.as_user(agency_user).post(
        f"/api/v1/pilots/{pilot_id}/conclude/",
        {"outcome": "validated", "trl_after": 8, "note": "连续三个月稳定运行"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["outcome_confirmed_at"] is None
    r = api.as_user(province_reviewer).post(
        f"/api/v1/pilots/{pilot_id}/recognize/", {"first_of_kind": True}, format="json"
    )
    assert r.status_code == 409, r.json()  # not before a committee confirmed the outcome
    r = api.post(f"/api/v1/pilots/{pilot_id}/confirm/", {}, format="json")
    assert r.json()["outcome_confirmed_at"], r.json()
    nothing = api.post(f"/api/v1/pilots/{pilot_id}/recognize/", {}, format="json")
    r = api.post(f"/api/v1/pilots/{pilot_id}/recognize/", {"first_of_kind": True}, format="json")
    again = api.post(
        f"/api/v1/pilots/{pilot_id}/recognize/", {"first_of_kind": True}, format="json"
    )

    # then: an empty recommendation is refused; the same one again changes nothing
    assert nothing.status_code == 400, nothing.json()
    assert "first_of_kind" in nothing.json()["fields"]
    assert r.status_code == 200, r.json()
    assert r.json()["first_of_kind_recommended"] is True
    assert (again.status_code, again.json()["version"]) == (200, r.json()["version"])
    need = api.as_user(agency_user).get(f"/api/v1/needs/{need_id}/").json()
    assert need["status"] == "validated"
    assert need["value_score"] == pytest.approx(
        0.25 * 90 + 0.2 * 85 + 0.2 * 80 + 0.2 * 88 + 0.15 * 92
    )
    history = api.get(f"/api/v1/needs/{need_id}/history/").json()
    assert [e["action"] for e in history][-3:] == [
        "need.publish",
        "need.validation_start",
        "need.validated",
    ]


def test_need_api_patch_requires_current_version(api, agency_user):
    need_id = (
        api.as_user(agency_user).post("/api/v1/needs/", need_body(), format="json").json()["id"]
    )

    missing = api.patch(f"/api/v1/needs/{need_id}/", {"title": "新标题"}, format="json")
    stale = api.patch(
        f"/api/v1/needs/{need_id}/", {"title": "新标题"}, format="json", HTTP_IF_MATCH='"0"'
    )
    ok = api.patch(
        f"/api/v1/needs/{need_id}/", {"title": "新标题"}, format="json", HTTP_IF_MATCH='"1"'
    )
    stale_again = api.patch(
        f"/api/v1/needs/{need_id}/", {"title": "再改", "version": 1}, format="json"
    )

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    assert ok["ETag"] == '"2"'
    assert stale_again.status_code == 412
    assert ScenarioNeed.objects.get(pk=need_id).title == "新标题"


def test_need_api_idempotency_key_creates_once(api, agency_user):
    body = need_body(title="低空物流无人机配送试点")

    first = api.as_user(agency_user).post(
        "/api/v1/needs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-123"
    )
    retry = api.post("/api/v1/needs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-123")
    other_body = api.post(
        "/api/v1/needs/", need_body(title="别的"), format="json", HTTP_IDEMPOTENCY_KEY="k-123"
    )

    assert first.status_code == 201
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert ScenarioNeed.objects.filter(title="低空物流无人机配送试点").count() == 1
    assert not ScenarioNeed.objects.filter(title="别的").exists()


def test_need_api_validation_errors_have_field_messages(api, agency_user):
    r = api.as_user(agency_user).post(
        "/api/v1/needs/",
        need_body(min_trl=12, chains=["no-such-chain"], category="x"),
        format="json",
    )

    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid"
    assert {"min_trl", "category"} <= set(body["fields"])


def test_need_api_a_ref_in_use_reads_plainly(api, agency_user):
    """Django's unique message read "具有 编号 的 场景需求 已存在。", spaces and all."""
    first = api.as_user(agency_user).post(
        "/api/v1/needs/", {**need_body(), "ref": "REF-TAKEN-1"}, format="json"
    )
    again = api.as_user(agency_user).post(
        "/api/v1/needs/", {**need_body(), "ref": "REF-TAKEN-1"}, format="json"
    )

    assert first.status_code == 201, first.content
    assert again.status_code == 400
    assert again.json()["fields"]["ref"] == ["该编号已被使用。"]


def test_need_api_unknown_chain_is_a_field_error(api, agency_user):
    r = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(chains=["no-such-chain"]), format="json"
    )

    assert r.status_code == 400
    assert "chains" in r.json()["fields"]


def test_need_api_errors_in_english_on_request(api, agency_user):
    r = api.as_user(agency_user).post(
        "/api/v1/needs/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    zh = api.post("/api/v1/needs/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert r.status_code == 400
    assert r.json()["fields"]["title"] == ["This field is required."]
    assert zh.json()["fields"]["title"] == ["该字段是必填项。"]


def test_need_api_anonymous_gets_401(api):
    r = api.get("/api/v1/needs/")

    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


def test_need_api_list_filters_by_chain_and_region_subtrees(api, agency_user, agency):
    from tests.scenarios.helpers import make_need

    make_need(agency, region="360102", chains=["solid-state-battery"], title="固态电池")
    make_need(agency, region="360102", chains=["bci"], title="脑机接口")
    api.as_user(agency_user)

    future_energy = api.get("/api/v1/needs/?chain=future-energy").json()
    future = api.get("/api/v1/needs/?chain=future").json()
    nanchang = api.get("/api/v1/needs/?region=360100").json()
    ganzhou = api.get("/api/v1/needs/?region=360700").json()
    searched = api.get("/api/v1/needs/?search=脑机").json()

    assert [n["title"] for n in future_energy["results"]] == ["固态电池"]
    assert future["count"] == 2
    assert nanchang["count"] == 2
    assert ganzhou["count"] == 0
    assert [n["title"] for n in searched["results"]] == ["脑机接口"]


def test_need_api_action_writes_audit_with_actor(api, agency_user):
    need_id = (
        api.as_user(agency_user).post("/api/v1/needs/", need_body(), format="json").json()["id"]
    )

    api.post(f"/api/v1/needs/{need_id}/withdraw/", {"reason": "预算取消"}, format="json")

    event = AuditEvent.objects.get(action="need.withdraw", target_id=str(need_id))
    assert event.actor == agency_user
    assert event.reason == "预算取消"


@pytest.mark.parametrize("above", ["360100", "360000"])
def test_a_county_agency_cannot_place_a_need_above_its_county(api, agency_user, above):
    # given: the agency sits in Donghu (360102); its city and its province contain it

    # when: it names the city or the province as the scenario's place
    r = api.as_user(agency_user).post("/api/v1/needs/", need_body(region_code=above), format="json")

    # then: refused on the field (the review would start above the county, which never sees it)
    assert r.status_code == 400
    assert "region_code" in r.json()["fields"]
    assert not ScenarioNeed.objects.exists()


def test_a_county_agency_cannot_move_its_draft_above_its_county(api, agency_user):
    need_id = (
        api.as_user(agency_user).post("/api/v1/needs/", need_body(), format="json").json()["id"]
    )

    r = api.patch(
        f"/api/v1/needs/{need_id}/", {"region_code": "360100"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert r.status_code == 400
    assert "region_code" in r.json()["fields"]
    assert ScenarioNeed.objects.get(pk=need_id).region_id == "360102"


@pytest.mark.parametrize("deadline", ["0001-01-01", "2020-01-01", "9999-12-31"])
def test_a_deadline_in_the_past_or_decades_ahead_is_a_field_error(api, agency_user, deadline):
    r = api.as_user(agency_user).post("/api/v1/needs/", need_body(deadline=deadline), format="json")

    assert r.status_code == 400
    assert list(r.json()["fields"]) == ["deadline"]


def test_a_budget_over_the_pages_limit_is_a_field_error(api, agency_user):
    # the page stops at 1,000,000 万元; the API took 10 万亿元 and the page then could not
    # save the need
    over = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(budget_cny=10**10 + 1), format="json"
    )
    at = api.as_user(agency_user).post(
        "/api/v1/needs/", need_body(budget_cny=10**10), format="json"
    )

    assert over.status_code == 400
    assert list(over.json()["fields"]) == ["budget_cny"]
    assert at.status_code == 201


def test_a_need_whose_deadline_passed_is_not_submitted_but_still_edited(api, agency, agency_user):
    need = make_need(agency, region="360102")
    ScenarioNeed.objects.filter(pk=need.pk).update(deadline=dt.date(2020, 1, 1))
    api.as_user(agency_user)

    refused = api.post(f"/api/v1/needs/{need.pk}/submit/", {}, format="json")
    edited = api.patch(
        f"/api/v1/needs/{need.pk}/", {"title": "改个名称", "version": need.version}, format="json"
    )
    fixed = api.patch(
        f"/api/v1/needs/{need.pk}/",
        {
            "deadline": str(timezone.localdate() + dt.timedelta(days=90)),
            "version": need.version + 1,
        },
        format="json",
    )
    submitted = api.post(f"/api/v1/needs/{need.pk}/submit/", {}, format="json")

    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["deadline"]
    assert edited.status_code == 200  # a stored past deadline does not block other edits
    assert fixed.status_code == 200
    assert submitted.status_code == 200


def test_an_empty_patch_changes_nothing_not_even_the_version(api, agency, agency_user):
    need = make_need(agency, region="360102")
    audits = AuditEvent.objects.filter(target_id=str(need.pk), action="need.update")

    r = api.as_user(agency_user).patch(
        f"/api/v1/needs/{need.pk}/", {"version": need.version}, format="json"
    )

    assert r.status_code == 200
    assert r.json()["version"] == need.version
    assert not audits.exists()


def test_a_patch_that_sends_the_stored_values_changes_nothing(api, agency, agency_user):
    need = make_need(agency, region="360102")

    r = api.as_user(agency_user).patch(
        f"/api/v1/needs/{need.pk}/", {"title": need.title, "version": need.version}, format="json"
    )

    assert r.status_code == 200
    assert r.json()["version"] == need.version
    assert not AuditEvent.objects.filter(target_id=str(need.pk), action="need.update").exists()


@pytest.mark.parametrize("ref", [".", "..", "-"])
def test_a_ref_without_a_letter_or_digit_is_refused(api, agency_user, ref):
    # a browser resolves /needs/./ and /needs/../ away: the item's pages could not be opened
    r = api.as_user(agency_user).post("/api/v1/needs/", need_body(ref=ref), format="json")

    assert r.status_code == 400
    assert list(r.json()["fields"]) == ["ref"]


def test_a_client_sending_back_the_platforms_major_mark_with_a_lower_budget_unmarks_it(
    api, agency, agency_user, county_reviewer, province_reviewer
):
    """A client reads a need, lowers its budget and sends the body back with the ``is_major``
    it read: the true was the platform's mark for the old budget, not the agency's."""
    policy_update(actor=province_reviewer, major_budget_threshold_cny=1_000_000)
    need = make_need(agency, region="360102", budget_cny=6_000_000, is_major=False)
    client = api.as_user(agency_user)
    client.post(f"/api/v1/needs/{need.pk}/submit/", {}, format="json")
    review_decide(
        actor=county_reviewer,
        need=ScenarioNeed.objects.get(pk=need.pk),
        decision="returned",
        comment="预算有误，请核实",
    )
    read = client.get(f"/api/v1/needs/{need.pk}/").json()
    assert (read["is_major"], read["major_by_budget"]) == (True, True)

    # when: the budget goes under the line, is_major sent back as read
    r = client.patch(
        f"/api/v1/needs/{need.pk}/",
        {"budget_cny": 500_000, "is_major": True, "version": read["version"]},
        format="json",
    )

    # then: the platform's mark is gone; the agency marks it major itself in a later request
    assert r.status_code == 200, r.json()
    assert (r.json()["is_major"], r.json()["major_by_budget"]) == (False, False)
    r = client.patch(
        f"/api/v1/needs/{need.pk}/",
        {"is_major": True, "version": r.json()["version"]},
        format="json",
    )
    assert (r.json()["is_major"], r.json()["major_by_budget"]) == (True, False)


def test_need_api_assess_past_the_allowed_changes_is_a_409_that_says_why(api, agency, agency_user):
    # given: an expert who submitted scores and changed them as often as allowed
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    expert = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
    keys = ["tech_advancement", "demonstration", "industry_pull", "replicability", "feasibility"]
    client = api.as_user(expert)
    for value in range(50, 50 + MAX_REVISIONS + 1):
        r = client.post(
            f"/api/v1/needs/{need.pk}/assess/",
            {"scores": dict.fromkeys(keys, value)},
            format="json",
        )
        assert r.status_code == 200, r.json()

    # when: one more change
    r = client.post(
        f"/api/v1/needs/{need.pk}/assess/", {"scores": dict.fromkeys(keys, 99)}, format="json"
    )

    # then: a conflict whose detail states the rule
    assert r.status_code == 409
    assert r.json()["code"] == "revisions_used_up"
    assert f"最多可修改 {MAX_REVISIONS} 次" in r.json()["detail"]


def test_a_pilot_and_the_current_policy_give_their_version_as_an_etag(
    api, agency, agency_user, firm, city_reviewer, province_reviewer
):
    """Their verbs take If-Match, but a GET sent no ETag (needs and capabilities do)."""
    from scenarios.services.pilots import pilot_start

    need = make_need(agency, region="360102", status="published")
    capability = Capability.objects.create(
        firm=firm,
        region=firm.region,
        status="published",
        **{k: v for k, v in CAPABILITY_DEFAULTS.items() if k not in ("chains",)},
    )
    pilot = pilot_start(
        actor=city_reviewer,
        need=need,
        capability=capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=90),
    )

    shown = api.as_user(agency_user).get(f"/api/v1/pilots/{pilot.pk}/")
    policy = api.as_user(province_reviewer).get("/api/v1/policy/current/")

    assert shown["ETag"] == f'"{shown.json()["version"]}"'
    assert policy["ETag"] == f'"{policy.json()["version"]}"'


KEYS = ["tech_advancement", "demonstration", "industry_pull", "replicability", "feasibility"]


def scored_by_experts(need, *values):
    """Each value, one new expert's scores of every criterion; the experts, in order."""
    experts = []
    for value in values:
        expert = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
        assessment_submit(actor=expert, need=need, scores=dict.fromkeys(KEYS, value))
        experts.append(expert)
    return experts


def test_need_api_hides_the_high_value_mark_in_review_from_an_expert_with_few_others(
    api, agency, agency_user, county_reviewer
):
    # given: a need in review, a colleague's scores of 90 and mine of 70: the pair's mean
    # reaches the line (80), which tells that the colleague gave 90 or more
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    colleague, me = scored_by_experts(need, 90, 70)
    need.refresh_from_db()
    assert need.is_high_value

    # when: I read it, and filter the needs in review by the mark
    client = api.as_user(me)
    shown = client.get(f"/api/v1/needs/{need.pk}/").json()
    high = client.get("/api/v1/needs/", {"status": "in_review", "high_value": "true"}).json()
    low = client.get("/api/v1/needs/", {"status": "in_review", "high_value": "false"}).json()

    # then: the mark is withheld, and neither filter tells it (as the expert page withholds
    # it until three other experts scored); its agency and committee read it
    assert (shown["status"], shown["is_high_value"]) == ("in_review", None)
    assert [n["id"] for n in high["results"]] == []
    assert [n["id"] for n in low["results"]] == []
    assert api.as_user(colleague).get(f"/api/v1/needs/{need.pk}/").json()["is_high_value"] is None
    for insider in (agency_user, county_reviewer):
        assert api.as_user(insider).get(f"/api/v1/needs/{need.pk}/").json()["is_high_value"]


def test_need_api_default_order_does_not_sort_an_experts_needs_in_review_by_the_hidden_mark(
    api, agency, agency_user
):
    # given: an older need in review the two experts' scores made high value, a newer one not
    older = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    _colleague, me = scored_by_experts(older, 90, 90)
    newer = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    # when: I list the needs in review in the default order
    listed = api.as_user(me).get("/api/v1/needs/", {"status": "in_review"}).json()

    # then: newest first, as if neither were high value (high value first told it)
    assert [n["id"] for n in listed["results"]] == [newer.pk, older.pk]


def test_need_api_relevance_window_does_not_pick_an_experts_needs_by_the_hidden_mark(
    api, agency, agency_user, monkeypatch
):
    # given: as above, and a window of one match for ranking by relevance
    older = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    _colleague, me = scored_by_experts(older, 90, 90)
    newer = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    monkeypatch.setattr(filters, "RELEVANCE_WINDOW", 1)

    # when: I search the needs in review by relevance
    listed = api.as_user(me).get(
        "/api/v1/needs/", {"status": "in_review", "search": "积水", "ordering": "-relevance"}
    )

    # then: the window holds the newest match, not the high value one
    assert [n["id"] for n in listed.json()["results"]] == [newer.pk]


def test_need_api_shows_an_expert_the_high_value_mark_from_three_others(api, agency, agency_user):
    # given: a need in review three other experts scored, then I
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    *_others, me = scored_by_experts(need, 90, 90, 90, 70)

    # when: I read it and filter by the mark
    client = api.as_user(me)
    shown = client.get(f"/api/v1/needs/{need.pk}/").json()
    high = client.get("/api/v1/needs/", {"status": "in_review", "high_value": "true"}).json()

    # then: the mark shows, as on the expert page
    assert shown["is_high_value"] is True
    assert [n["id"] for n in high["results"]] == [need.pk]


def test_need_api_shows_an_expert_the_high_value_mark_of_a_published_need(
    api, agency, agency_user, county_reviewer, city_reviewer
):
    # given: a published need two experts scored high (its mark is on the public list)
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    for reviewer in (county_reviewer, city_reviewer):
        need = review_decide(actor=reviewer, need=need, decision="approved")
    _colleague, me = scored_by_experts(need, 90, 90)

    # when: I read it, filter by the mark, and the public reads it
    shown = api.as_user(me).get(f"/api/v1/needs/{need.pk}/").json()
    high = api.get("/api/v1/needs/", {"high_value": "true"}).json()
    public = api.as_user(None).get(f"/api/v1/public/needs/{need.pk}/").json()

    # then: the mark shows to me as to everyone
    assert (shown["status"], shown["is_high_value"]) == ("published", True)
    assert [n["id"] for n in high["results"]] == [need.pk]
    assert public["is_high_value"] is True
