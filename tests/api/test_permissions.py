"""Permission matrix: role × endpoint, including other organizations, committees outside
their subtree, anonymous callers, and the public lists never leaking drafts or secrets."""

import pytest

from matching.services.runs import match_run_request
from scenarios.models import NegativeListEntry
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from tests import factories
from tests.scenarios.helpers import NEED_DEFAULTS, make_capability, make_need

pytestmark = pytest.mark.django_db

ACTORS = [
    "anonymous",
    "agency_user",
    "other_agency_user",
    "firm_user",
    "other_firm_user",
    "county_reviewer",
    "city_reviewer",
    "other_city_reviewer",
    "province_reviewer",
    "expert",
    "platform_admin",
]


@pytest.fixture
def other_agency_user(db):
    return factories.member(factories.AgencyFactory.create(), "agency_editor")


@pytest.fixture
def other_firm_user(db):
    return factories.member(factories.FirmFactory.create(), "firm_editor")


@pytest.fixture
def expert(db):
    return factories.member(factories.ExpertInstitutionFactory.create(), "expert")


def client_for(api, request, actor):
    if actor != "anonymous":
        api.as_user(request.getfixturevalue(actor))
    return api


@pytest.fixture
def need_in_county_review(agency, agency_user):
    return need_submit(actor=agency_user, need=make_need(agency, region="360102"))


# Expected status of each actor for a need in review at the county tier.
NEED_IN_REVIEW_MATRIX = {
    #  actor:               (GET, approve, PATCH)
    "anonymous": (401, 401, 401),
    "agency_user": (200, 403, 409),
    "other_agency_user": (404, 404, 404),
    "firm_user": (404, 404, 404),
    "other_firm_user": (404, 404, 404),
    "county_reviewer": (200, 200, 403),
    "city_reviewer": (200, 409, 403),
    "other_city_reviewer": (404, 404, 404),
    "province_reviewer": (200, 409, 403),
    "expert": (200, 403, 403),
    "platform_admin": (200, 200, 409),  # decides any tier on the committee's behalf
}


@pytest.mark.parametrize("actor", ACTORS)
def test_permissions_need_in_review(actor, api, request, need_in_county_review):
    need = need_in_county_review
    expected_get, expected_approve, expected_patch = NEED_IN_REVIEW_MATRIX[actor]
    client = client_for(api, request, actor)

    got = client.get(f"/api/v1/needs/{need.pk}/").status_code
    patched = client.patch(
        f"/api/v1/needs/{need.pk}/",
        {"title": "改"},
        format="json",
        HTTP_IF_MATCH=f'"{need.version}"',
    ).status_code
    approved = client.post(f"/api/v1/needs/{need.pk}/approve/", {}, format="json").status_code

    assert (got, approved, patched) == (expected_get, expected_approve, expected_patch)


DRAFT_NEED_MATRIX = {
    #  actor:               (GET, submit)
    "anonymous": (401, 401),
    "agency_user": (200, 200),
    "other_agency_user": (404, 404),
    "firm_user": (404, 404),
    "other_firm_user": (404, 404),
    "county_reviewer": (404, 404),
    "city_reviewer": (404, 404),
    "other_city_reviewer": (404, 404),
    "province_reviewer": (404, 404),
    "expert": (404, 404),
    "platform_admin": (200, 200),
}


@pytest.mark.parametrize("actor", ACTORS)
def test_permissions_draft_need_only_for_its_agency(actor, api, request, agency):
    need = make_need(agency, region="360102")
    expected_get, expected_submit = DRAFT_NEED_MATRIX[actor]
    client = client_for(api, request, actor)

    got = client.get(f"/api/v1/needs/{need.pk}/").status_code
    submitted = client.post(f"/api/v1/needs/{need.pk}/submit/", {}, format="json").status_code

    assert (got, submitted) == (expected_get, expected_submit)


@pytest.mark.parametrize(
    "actor", ["county_reviewer", "city_reviewer", "province_reviewer", "agency_user"]
)
def test_a_draft_withdrawn_before_submission_stays_the_agencys_own(
    actor, api, request, agency, agency_user
):
    from scenarios.services.needs import need_withdraw

    draft = make_need(agency, region="360102", title="从未提交的草稿")
    need_withdraw(actor=agency_user, need=draft)
    submitted = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need_withdraw(actor=agency_user, need=submitted)  # withdrawn while in review
    client = client_for(api, request, actor)

    got = client.get(f"/api/v1/needs/{draft.pk}/").status_code
    listed = [
        n["id"] for n in client.get("/api/v1/needs/", {"search": "从未提交"}).json()["results"]
    ]
    seen_after_submit = client.get(f"/api/v1/needs/{submitted.pk}/").status_code

    mine = actor == "agency_user"
    assert (got, draft.pk in listed) == ((200, True) if mine else (404, False))
    assert seen_after_submit == 200  # submitted once: its committees keep seeing it


CAPABILITY_MATRIX = {
    #  actor:               (GET draft, submit draft, suspend published)
    "anonymous": (401, 401, 401),
    "agency_user": (404, 404, 403),
    "other_agency_user": (404, 404, 403),
    "firm_user": (200, 200, 403),
    "other_firm_user": (404, 404, 403),
    "county_reviewer": (404, 404, 200),
    "city_reviewer": (404, 404, 200),
    "other_city_reviewer": (404, 404, 403),
    "province_reviewer": (404, 404, 200),
    "expert": (404, 404, 403),
    "platform_admin": (200, 200, 200),
}


@pytest.mark.parametrize("actor", ACTORS)
def test_permissions_capabilities(actor, api, request, firm):
    draft = make_capability(firm, title="草稿能力")
    published = capability_submit(actor=None, capability=make_capability(firm, title="已发布"))
    assert published.status == "published"
    expected_get, expected_submit, expected_suspend = CAPABILITY_MATRIX[actor]
    client = client_for(api, request, actor)

    got = client.get(f"/api/v1/capabilities/{draft.pk}/").status_code
    submitted = client.post(
        f"/api/v1/capabilities/{draft.pk}/submit/", {}, format="json"
    ).status_code
    suspended = client.post(
        f"/api/v1/capabilities/{published.pk}/suspend/", {"reason": "资质存疑"}, format="json"
    ).status_code

    assert (got, submitted, suspended) == (expected_get, expected_submit, expected_suspend)


POLICY_MATRIX = {
    "anonymous": 401,
    "agency_user": 403,
    "other_agency_user": 403,
    "firm_user": 403,
    "other_firm_user": 403,
    "county_reviewer": 403,
    "city_reviewer": 403,
    "other_city_reviewer": 403,
    "province_reviewer": 201,
    "expert": 403,
    "platform_admin": 403,
}


@pytest.mark.parametrize("actor", ACTORS)
def test_permissions_policy_only_province_committee(actor, api, request):
    client = client_for(api, request, actor)

    status = client.post(
        "/api/v1/policy/", {"recommendations_per_need": 6, "version": 1}, format="json"
    )

    assert status.status_code == POLICY_MATRIX[actor]


NEGATIVE_MATRIX = dict(POLICY_MATRIX, platform_admin=201)


@pytest.mark.parametrize("actor", ACTORS)
def test_permissions_negative_list(actor, api, request):
    client = client_for(api, request, actor)

    r = client.post(
        "/api/v1/negative-list/",
        {"kind": "keyword", "keyword": "虚拟货币挖矿", "reason": "禁止类产业"},
        format="json",
    )

    assert r.status_code == NEGATIVE_MATRIX[actor]


def test_public_lists_never_show_drafts_or_confidential_fields(
    api, agency, agency_user, county_reviewer, city_reviewer, firm
):
    # given: one published need, one draft need, one published and one draft capability
    from scenarios.services.reviews import review_decide

    published = need_submit(
        actor=agency_user, need=make_need(agency, region="360102", title="已发布需求")
    )
    published = review_decide(actor=county_reviewer, need=published, decision="approved")
    published = review_decide(actor=city_reviewer, need=published, decision="approved")
    make_need(agency, region="360102", title="草稿需求")
    capability_submit(actor=None, capability=make_capability(firm, title="已发布能力"))
    make_capability(firm, title="草稿能力")

    # when
    needs = api.get("/api/v1/public/needs/").json()
    detail = api.get(f"/api/v1/public/needs/{published.pk}/").json()
    caps = api.get("/api/v1/public/capabilities/").json()
    hidden = api.get(f"/api/v1/public/needs/{published.pk + 1}/")

    # then
    assert [n["title"] for n in needs["results"]] == ["已发布需求"]
    assert [c["title"] for c in caps["results"]] == ["已发布能力"]
    for secret in ("contact_name", "contact_phone", "confidential_notes", "version"):
        assert secret not in detail
    assert "李工" not in str(needs)
    assert "内部预算" not in str(needs)
    assert hidden.status_code == 404


def test_published_need_hides_confidential_fields_from_firms(
    api, agency, agency_user, county_reviewer, city_reviewer, firm_user
):
    from scenarios.services.reviews import review_decide

    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    need = review_decide(actor=city_reviewer, need=need, decision="approved")

    as_firm = api.as_user(firm_user).get(f"/api/v1/needs/{need.pk}/").json()
    as_agency = api.as_user(agency_user).get(f"/api/v1/needs/{need.pk}/").json()

    assert as_firm["contact_phone"] is None
    assert as_firm["confidential_notes"] is None
    assert as_agency["contact_phone"] == "0791-88888888"


def test_need_history_hides_confidential_values_from_outsiders(
    api, agency, agency_user, county_reviewer, city_reviewer, firm_user
):
    from scenarios.services.needs import need_update
    from scenarios.services.reviews import review_decide

    draft = make_need(agency, region="360102")
    need_update(
        actor=agency_user,
        need=draft,
        expected_version=draft.version,
        contact_phone="0791-12345678",
        confidential_notes="SECRET-NOTE",
    )
    need = need_submit(actor=agency_user, need=draft)
    need = review_decide(
        actor=county_reviewer, need=need, decision="approved", comment="INTERNAL-COMMENT"
    )
    need = review_decide(actor=city_reviewer, need=need, decision="approved")

    as_firm = api.as_user(firm_user).get(f"/api/v1/needs/{need.pk}/history/").json()
    as_agency = api.as_user(agency_user).get(f"/api/v1/needs/{need.pk}/history/").json()

    firm_update = next(e for e in as_firm if e["action"] == "need.update")
    assert "SECRET-NOTE" not in str(as_firm)
    assert "0791-12345678" not in str(as_firm)
    assert firm_update["data"]["after"]["confidential_notes"] is None
    assert [e["action"] for e in as_firm] == [e["action"] for e in as_agency]
    agency_update = next(e for e in as_agency if e["action"] == "need.update")
    assert agency_update["data"]["after"]["confidential_notes"] == "SECRET-NOTE"
    # Who did it and the reviewers' comments are the agency's and committees' only.
    assert {e["actor"] for e in as_firm} == {None}
    assert "INTERNAL-COMMENT" not in str(as_firm)
    assert county_reviewer.username not in str(as_firm)
    assert agency_user.username in {e["actor"] for e in as_agency}
    assert "INTERNAL-COMMENT" in str(as_agency)


INVITE = "/api/v1/invitations/"


@pytest.mark.parametrize("actor", ["firm_user", "agency_user", "province_reviewer"])
def test_invitation_create_by_one_who_may_not_invite_is_403_whether_or_not_the_org_exists(
    api, request, actor, agency
):
    # given
    client = api.as_user(request.getfixturevalue(actor))
    body = {"email": "x@example.cn", "role": "agency_editor"}

    # when
    existing = client.post(INVITE, {**body, "organization": agency.pk}, format="json")
    missing = client.post(INVITE, {**body, "organization": 999_999_999}, format="json")
    malformed = client.post(INVITE, {"organization": "x"}, format="json")

    # then: nothing about the organization (or the body) is told before the refusal
    assert [existing.status_code, missing.status_code, malformed.status_code] == [403, 403, 403]
    assert missing.json() == existing.json()
    assert existing.json()["detail"] == "只有平台管理员可以发出邀请。"


def test_invitation_create_by_a_platform_admin_still_checks_the_organization(api, platform_admin):
    response = api.as_user(platform_admin).post(
        INVITE,
        {"email": "x@example.cn", "organization": 999_999_999, "role": "agency_editor"},
        format="json",
    )

    assert response.status_code == 400
    assert "organization" in response.json()["fields"]


@pytest.mark.parametrize("org_id", ["other", 99999999])
def test_creating_for_an_organization_one_does_not_edit_for_is_403_whether_it_exists(
    api, agency_user, org_id
):
    other = factories.AgencyFactory.create()
    body = {**NEED_DEFAULTS, "region_code": "360102", "agency": other.pk}
    if org_id != "other":
        body["agency"] = org_id

    r = api.as_user(agency_user).post("/api/v1/needs/", body, format="json")

    assert r.status_code == 403


# A body the endpoint would refuse, for each verb: the role check answers first.
@pytest.mark.parametrize(
    ("actor", "verb", "body"),
    [
        ("agency_user", "approve", {"reason": "test"}),  # an unknown field
        ("expert", "return", {}),  # comment missing
        ("firm_user", "reject", {"comment": 5}),
        ("expert", "close", {}),
        ("county_reviewer", "submit", {"version": "x"}),
        ("agency_user", "assess", {}),
    ],
)
def test_verb_by_one_who_may_not_act_is_403_whatever_the_body(
    api, request, need_in_county_review, actor, verb, body
):
    # given: a need the actor sees (or, for the firm, does not)
    need = need_in_county_review
    client = api.as_user(request.getfixturevalue(actor))

    # when
    r = client.post(f"/api/v1/needs/{need.pk}/{verb}/", body, format="json")

    # then: a refusal (a hidden need stays a 404), never a 400 about the body
    assert r.status_code == (404 if actor == "firm_user" else 403), r.json()
    assert r.json()["code"] in ("permission_denied", "not_found")


@pytest.mark.parametrize("verb", ["certify", "suspend", "reinstate", "verify"])
def test_organization_verb_on_a_missing_organization_is_404_whatever_the_body(
    api, platform_admin, firm, verb
):
    # given
    client = api.as_user(platform_admin)

    # when
    missing = client.post(f"/api/v1/organizations/999999/{verb}/", {"x": 1}, format="json")
    bad_body = client.post(f"/api/v1/organizations/{firm.pk}/{verb}/", {"x": 1}, format="json")

    # then: the lookup answers before the body; an existing firm's bad body is still a 400
    assert missing.status_code == 404
    assert bad_body.status_code == 400


def test_organization_verb_by_one_who_may_not_supervise_is_403_whatever_the_body(
    api, firm_user, firm
):
    # given: the firm's own editor, who sees the firm but does not supervise it
    client = api.as_user(firm_user)

    # when
    r = client.post(f"/api/v1/organizations/{firm.pk}/certify/", {"x": 1}, format="json")

    # then
    assert r.status_code == 403


# Create endpoints whose service refuses the caller's role outright, with a body each would
# refuse: the role check answers first, before the body is even parsed.
REFUSED_CREATES = [
    ("expert", "/api/v1/negative-list/"),
    ("firm_user", "/api/v1/match-runs/"),
    ("expert", "/api/v1/needs/"),
    ("agency_user", "/api/v1/capabilities/"),
    ("firm_user", "/api/v1/pilots/"),
    ("expert", "/api/v1/policy/"),
    ("expert", "/api/v1/invitations/"),
]


@pytest.mark.parametrize("body", [{"scope": "all", "bogus": 1}, "notjson"])
@pytest.mark.parametrize(("actor", "url"), REFUSED_CREATES)
def test_create_by_a_role_the_service_refuses_is_403_whatever_the_body(
    api, request, actor, url, body
):
    # given
    client = api.as_user(request.getfixturevalue(actor))

    # when
    r = client.post(url, body, content_type="application/json")

    # then: a refusal, never a 400 about fields or the JSON
    assert r.status_code == 403, r.json()
    assert r.json()["code"] == "permission_denied"


@pytest.mark.parametrize("body", ['{"bogus": 1}', "notjson"])
def test_negative_list_deactivate_by_one_who_may_not_edit_is_403_whatever_the_body(
    api, expert, body
):
    # given
    entry = NegativeListEntry.objects.create(kind="keyword", keyword="禁用词", reason="测试")

    # when
    r = api.as_user(expert).post(
        f"/api/v1/negative-list/{entry.pk}/deactivate/", body, content_type="application/json"
    )

    # then
    assert r.status_code == 403, r.json()
    entry.refresh_from_db()
    assert entry.active


def test_match_run_cancel_by_a_member_who_did_not_start_it_is_403_whatever_the_body(
    api, county_reviewer, province_reviewer
):
    # given: a run the province committee started
    run = match_run_request(scope="full", actor=province_reviewer, enqueue=False)

    # when
    r = api.as_user(county_reviewer).post(
        f"/api/v1/match-runs/{run.pk}/cancel/", {"bogus": 1}, format="json"
    )

    # then
    assert r.status_code == 403, r.json()
