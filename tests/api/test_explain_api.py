"""GET /api/v1/matches/explain/: any pair's features, score, rank and the reasons it is not
recommended, for the roles that may ask (and a 404 for everyone else)."""

import pytest
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.services.organizations import organization_relation_add
from matching.engine.scoring import FEATURES
from matching.models import Match
from matching.services import explain as explain_service
from matching.services import runs
from reference.models import Region
from scenarios.services.capabilities import capability_submit, capability_withdraw
from scenarios.services.firms import organization_suspend
from scenarios.services.negative_list import negative_entry_create
from scenarios.services.policy import policy_update
from tests import factories
from tests.matching.world import build_province, publish_need, run_inline
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db
URL = "/api/v1/matches/explain/"


@pytest.fixture
def province(agency):
    """Three published needs of ``agency``, five capabilities of three firms."""
    return build_province(agency)


@pytest.fixture
def matched(province):
    run_inline(runs.match_run_request(scope="full"))
    return province


def ask(api, user, need, capability, **headers):
    query = {"need": getattr(need, "pk", need), "capability": getattr(capability, "pk", capability)}
    return api.as_user(user).get(URL, query, **headers)


def codes(body):
    return [r["code"] for r in body["reasons"]]


def firm_editor(firm):
    return factories.member(firm, Role.FIRM_EDITOR)


# -- the answer -----------------------------------------------------------------------------


def test_explain_a_recommended_pair(api, matched, agency_user):
    need, cap = matched["needs"][2], matched["caps"][2]  # 固态电池 × 硫化物全固态电池电芯
    row = Match.objects.current().get(need=need, capability=cap)

    body = ask(api, agency_user, need, cap).json()

    assert row.recommended
    assert (body["recommended"], body["candidate"], body["retrieved"]) == (True, True, True)
    assert body["rank"] == row.rank == 1
    assert body["match"] == row.pk
    assert body["reasons"] == []
    assert body["score"] == pytest.approx(row.score)
    assert [f["name"] for f in body["features"]] == list(FEATURES)
    assert {f["name"]: f["value"] for f in body["features"]} == row.breakdown["features"]
    assert sum(f["contribution"] for f in body["features"]) == pytest.approx(body["score"])
    assert body["matched_keywords"] == row.breakdown["matched_keywords"]
    synonym = {
        "need_word": "固态电池",
        "capability_word": "全固态电池",
        "how": "synonym",
        "similarity": 1.0,
        "relation": "",
        "need_chains": ["solid-state-battery"],
        "capability_chains": ["solid-state-battery"],
        "text": "能力的“全固态电池”属于需求的“固态电池”",
    }
    assert synonym in body["concepts"]
    assert body["concepts"][0]["how"] == "exact"
    assert (body["need"]["id"], body["capability"]["id"]) == (need.pk, cap.pk)
    assert body["policy_version"] == 1


def test_explain_in_english(api, matched, agency_user):
    need, cap = matched["needs"][2], matched["caps"][2]

    body = ask(api, agency_user, need, cap, HTTP_ACCEPT_LANGUAGE="en").json()

    texts = [c["text"] for c in body["concepts"]]
    assert "The capability's “全固态电池” falls under the need's “固态电池”" in texts


def test_explain_a_pair_retrieval_does_not_find(api, matched, agency_user):
    need, ceramics = matched["needs"][2], matched["caps"][3]  # 固态电池 × 陶瓷文创

    body = ask(api, agency_user, need, ceramics).json()

    assert codes(body) == ["not_retrieved"]
    assert (body["retrieved"], body["candidate"], body["rank"]) == (False, False, None)
    assert body["concepts"] == []
    assert body["score"] > 0  # scored all the same


def test_explain_a_pair_below_the_top_n(api, matched, agency_user, monkeypatch):
    need = matched["needs"][0]  # 城市内涝: 排水管网 first, the digital twin platform after it
    second = Match.objects.current().filter(need=need).order_by("rank")[1]
    monkeypatch.setattr(explain_service, "TOP_N", 1)

    body = ask(api, agency_user, need, second.capability).json()

    assert codes(body) == ["below_top_n"]
    assert (body["rank"], body["top_n"], body["candidate"]) == (2, 1, False)
    assert body["reasons"][0]["rank"] == 2


def test_explain_a_conflict_of_interest(api, matched, agency_user, platform_admin):
    need, cap = matched["needs"][2], matched["caps"][2]
    organization_relation_add(
        actor=platform_admin, from_org=matched["agency"], to_org=cap.firm, kind="affiliate"
    )

    body = ask(api, agency_user, need, cap).json()

    assert codes(body) == ["conflict_of_interest"]
    assert body["reasons"][0]["relation"] == "declared_relation"
    assert body["rank"] is None


def test_explain_a_negative_list_entry(api, matched, agency_user, province_reviewer):
    need, cap = matched["needs"][2], matched["caps"][2]
    entry = negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="硫化物", reason="试行禁止"
    )

    body = ask(api, agency_user, need, cap).json()

    assert codes(body) == ["negative_list"]
    assert body["reasons"][0]["entries"] == [
        {
            "id": entry.pk,
            "kind": "keyword",
            "keyword": "硫化物",
            "chain": "",
            "chain_name": "",
            "reason": "试行禁止",
        }
    ]
    assert "“硫化物”" in body["reasons"][0]["detail"]


def test_explain_a_chain_on_the_negative_list(api, matched, agency_user, province_reviewer):
    need, cap = matched["needs"][2], matched["caps"][2]
    negative_entry_create(
        actor=province_reviewer, kind="chain", chain_slug="future-energy", reason="暂停"
    )

    reason = ask(api, agency_user, need, cap).json()["reasons"][0]

    assert reason["code"] == "negative_list"
    assert [(e["kind"], e["chain"], e["chain_name"]) for e in reason["entries"]] == [
        ("chain", "future-energy", "未来能源")
    ]


def test_explain_an_unverified_firm(api, matched, agency_user):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"), verified_at=None)
    cap = capability_submit(
        actor=None,
        capability=make_capability(
            firm, title="全固态电池热失控防护", description="固态电解质抑制热失控，适用储能电站。"
        ),
    )

    body = ask(api, firm_editor(firm), matched["needs"][2], cap).json()

    assert cap.status == "submitted"
    assert codes(body) == ["capability_not_published", "firm_not_verified"]
    assert body["reasons"][0]["status"] == "submitted"
    assert body["score"] > 0.3  # scored as if it were on the list


def test_explain_a_suspended_firm(api, matched, platform_admin):
    cap = matched["caps"][2]  # of a firm in Shenzhen: the platform admin supervises it
    organization_suspend(actor=platform_admin, organization=cap.firm, reason="资质存疑")

    body = ask(api, platform_admin, matched["needs"][2], cap).json()

    assert codes(body) == ["capability_not_published", "firm_suspended"]
    assert body["reasons"][0]["status"] == "suspended"


def test_explain_a_withdrawn_capability(api, matched):
    cap = matched["caps"][2]
    user = firm_editor(cap.firm)
    capability_withdraw(actor=user, capability=cap)

    body = ask(api, user, matched["needs"][2], cap).json()

    assert codes(body) == ["capability_not_published"]
    assert body["reasons"][0]["status"] == "withdrawn"


def test_explain_a_need_not_open_to_matching(api, matched, agency, agency_user):
    draft = make_need(agency, region="360102", title="固态电池储能安全（草稿）")

    body = ask(api, agency_user, draft, matched["caps"][2]).json()

    assert codes(body) == ["need_not_open"]
    assert body["reasons"][0]["status"] == "draft"


def test_explain_a_candidate_below_the_needs_cut_off(api, province, agency_user, province_reviewer):
    policy_update(actor=province_reviewer, recommendations_per_need=1, note="每个需求推荐一项")
    run_inline(runs.match_run_request(scope="full"))
    need = province["needs"][0]
    first, second = Match.objects.current().filter(need=need).order_by("rank")[:2]

    body = ask(api, agency_user, need, second.capability).json()

    assert (first.recommended, second.recommended) == (True, False)
    assert codes(body) == ["below_cutoff"]
    assert body["reasons"][0]["k"] == 1
    assert body["reasons"][0]["cutoff_score"] == pytest.approx(first.score)
    assert body["candidate"]


def test_explain_a_firm_whose_quota_other_needs_hold(api, province, agency, agency_user):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    cap = capability_submit(
        actor=None,
        capability=make_capability(
            firm,
            title="易涝点积水液位监测预警终端",
            description="城市内涝易涝点积水液位监测与预警，排水管网实时感知。",
            chains=["digital-city"],
            keywords=["积水监测", "城市内涝"],
            capacity=1,
        ),
    )
    other = publish_need(
        agency,
        title="下穿通道积水监测预警",
        description="在下穿通道部署积水液位监测与预警，城市内涝防治。",
        chains=["digital-city"],
        keywords=["积水监测"],
        region="360102",
    )
    run_inline(runs.match_run_request(scope="full"))
    rows = Match.objects.current().filter(capability=cap)
    held = rows.get(recommended=True)
    left = rows.filter(recommended=False).earliest("rank")

    body = ask(api, firm_editor(firm), left.need, cap).json()

    assert {held.need_id, left.need_id} <= {province["needs"][0].pk, other.pk}
    assert codes(body) == ["firm_quota_used"]
    reason = body["reasons"][0]
    assert reason["quota"] == 1
    assert reason["needs"] == [
        {
            "id": held.need_id,
            "ref": held.need.ref,
            "title": held.need.title,
            "via": "recommendation",
        }
    ]
    assert reason["hidden_needs"] == 0


def test_an_agency_sees_the_quota_used_but_not_other_agencies_needs(api, province, agency):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    cap = capability_submit(
        actor=None,
        capability=make_capability(
            firm,
            title="易涝点积水液位监测预警终端",
            description="城市内涝易涝点积水液位监测与预警，排水管网实时感知。",
            chains=["digital-city"],
            keywords=["积水监测", "城市内涝"],
            capacity=1,
        ),
    )
    # The same scenario published by another agency of the city: one takes the firm's quota.
    other_agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    theirs = publish_need(
        other_agency,
        title="下穿通道积水监测预警",
        description="在下穿通道部署积水液位监测与预警，城市内涝防治。",
        chains=["digital-city"],
        keywords=["积水监测"],
        region="360102",
    )
    ours = province["needs"][0]
    run_inline(runs.match_run_request(scope="full"))
    rows = Match.objects.current().filter(capability=cap)
    held = rows.get(recommended=True)
    left = rows.get(need__in=[ours, theirs], recommended=False)
    asker = factories.member(left.need.agency, "agency_editor")

    reason = ask(api, asker, left.need, cap).json()["reasons"][0]

    assert held.need_id != left.need_id
    assert reason["code"] == "firm_quota_used"
    assert reason["needs"] == []  # the other agency's need is not named
    assert reason["hidden_needs"] == 1
    assert held.need.title not in str(reason)


def test_a_firm_is_not_told_its_competitors_cut_off_score(api, province, province_reviewer):
    policy_update(actor=province_reviewer, recommendations_per_need=1, note="每个需求推荐一项")
    run_inline(runs.match_run_request(scope="full"))
    need = province["needs"][0]
    second = Match.objects.current().filter(need=need).order_by("rank")[1]

    reason = ask(api, firm_editor(second.capability.firm), need, second.capability).json()[
        "reasons"
    ][0]

    assert reason["code"] == "below_cutoff"
    assert reason["k"] == 1
    assert reason["cutoff_score"] is None
    assert "最低" not in reason["detail"]


def test_explain_a_capability_published_after_the_last_run(api, matched, agency_user):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360111"))
    cap = capability_submit(
        actor=None,
        capability=make_capability(
            firm,
            title="固态电池热失控预警系统",
            description="储能电站固态电池热失控监测与预警，固态电解质安全评估。",
            chains=["solid-state-battery"],
            keywords=["热失控"],
        ),
    )

    body = ask(api, agency_user, matched["needs"][2], cap).json()

    assert body["candidate"]
    assert codes(body) == ["not_in_current_results"]
    assert body["match"] is None


# -- who may ask ----------------------------------------------------------------------------


def test_explain_permissions(
    api,
    matched,
    agency_user,
    county_reviewer,
    city_reviewer,
    other_city_reviewer,
    province_reviewer,
    platform_admin,
):
    need, cap = matched["needs"][2], matched["caps"][2]
    other_agency = factories.AgencyFactory.create(region=Region.objects.get(code="360702"))
    other_firm = factories.FirmFactory.create(region=Region.objects.get(code="360702"))
    expert = factories.member(factories.ExpertInstitutionFactory.create(), Role.EXPERT)
    users = {
        "agency": agency_user,
        "other_agency": factories.member(other_agency, Role.AGENCY_EDITOR),
        "firm": firm_editor(cap.firm),
        "other_firm": firm_editor(other_firm),
        "county": county_reviewer,
        "city": city_reviewer,
        "other_city": other_city_reviewer,
        "province": province_reviewer,
        "expert": expert,
        "admin": platform_admin,
    }

    got = {role: ask(api, user, need, cap).status_code for role, user in users.items()}
    anonymous = APIClient().get(URL, {"need": need.pk, "capability": cap.pk}).status_code

    assert anonymous == 401
    assert got == {
        "agency": 200,
        "other_agency": 404,
        "firm": 200,
        "other_firm": 404,
        "county": 200,
        "city": 200,
        "other_city": 404,
        "province": 200,
        "expert": 404,
        "admin": 200,
    }


def test_explain_a_firm_asks_about_its_capability_only_with_needs_it_may_see(api, matched, agency):
    cap = matched["caps"][2]
    draft = make_need(agency, region="360102", title="固态电池储能安全（草稿）")

    response = ask(api, firm_editor(cap.firm), draft, cap)

    assert response.status_code == 404


def test_explain_an_agency_asks_about_its_need_with_published_capabilities_only(
    api, matched, agency_user
):
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    draft = make_capability(firm, title="草稿：固态电池")

    hidden = ask(api, agency_user, matched["needs"][2], draft)
    missing = ask(api, agency_user, matched["needs"][2], 10**9)

    assert hidden.status_code == missing.status_code == 404


def test_explain_gives_a_firm_the_id_of_its_own_match_row(api, matched):
    cap = matched["caps"][2]

    body = ask(api, firm_editor(cap.firm), matched["needs"][2], cap).json()

    assert body["match"] is not None  # its own recommendation: it may read the row


# -- malformed queries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"capability": 1}, "need"),
        ({"need": 1}, "capability"),
        ({"need": "abc", "capability": 1}, "need"),
        ({"need": 0, "capability": 1}, "need"),
        ({"need": 1, "capability": 2**63}, "capability"),
        ({"need": "", "capability": 1}, "need"),
        ({"need": 1, "capability": 1, "cap": 1}, "cap"),
    ],
)
def test_explain_refuses_malformed_queries_by_field(api, agency_user, query, field):
    response = api.as_user(agency_user).get(URL, query)

    assert response.status_code == 400
    assert field in response.json()["fields"]
