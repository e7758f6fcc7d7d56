"""The committee workspace through its pages: the review queue tier by tier, recommendations
waiting for a decision, supervision of capabilities and the pilots of the region. Refusals
come back on the form, in place, with what was typed."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from matching.models import Match, PairReview
from matching.services.recommendations import pair_respond, pair_shortlist
from scenarios.models import Capability, Pilot, ScenarioNeed
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.pilots import pilot_conclude, pilot_start
from scenarios.services.reviews import review_decide
from tests import factories
from tests.portal.conftest import form_values, signed_in
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db
QUEUE = "/workspace/committee/"


@pytest.fixture
def in_review(agency, agency_user):
    return need_submit(
        actor=agency_user, need=make_need(agency, region="360102", title="城市内涝监测预警")
    )


def until(days=90):
    return timezone.localdate() + dt.timedelta(days=days)


def test_queue_shows_the_need_waiting_at_my_tier_with_what_a_reviewer_weighs(
    in_review, county_reviewer, city_reviewer
):
    ScenarioNeed.objects.filter(pk=in_review.pk).update(value_score=86.5)
    page = signed_in(county_reviewer).get(QUEUE)
    city = signed_in(city_reviewer).get(QUEUE)

    html = page.content.decode()
    assert page.status_code == 200
    assert "城市内涝监测预警" in html
    assert in_review.ref in html
    assert "已等待 0 天" in html
    assert "86.5" in html  # the expert score
    assert "东湖区" in html
    assert "城市内涝监测预警" not in city.content.decode()  # not yet at the city's tier


def test_approving_from_the_queue_forwards_to_the_next_tier_and_the_city_sees_the_trail(
    in_review, county_reviewer, city_reviewer
):
    r = signed_in(county_reviewer).post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {
            "decision": "approved",
            "comment": "材料齐全",
            "version": in_review.version,
            "from": "queue",
            "next": QUEUE,
        },
    )
    in_review.refresh_from_db()
    city_page = signed_in(city_reviewer).get(f"/workspace/committee/needs/{in_review.ref}/")

    assert r.status_code == 302
    assert r["Location"] == QUEUE
    assert in_review.status == "in_review"
    html = city_page.content.decode()
    assert "材料齐全" in html  # the county's comment, in the trail of earlier tiers
    assert 'name="decision"' in html  # the city decides on this page


def test_returning_without_a_reason_keeps_what_was_typed_and_says_why_in_place(
    in_review, county_reviewer
):
    review = in_review.reviews.get()
    r = signed_in(county_reviewer).post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {"decision": "returned", "comment": "   ", "from": "queue", "next": QUEUE},
    )

    in_review.refresh_from_db()
    html = r.content.decode()
    assert r.status_code == 200
    assert in_review.status == "in_review"
    assert "退回或不予通过时必须填写理由" in html
    assert f'id="id_{review.pk}_comment_error"' in html
    radio = html[html.index('value="returned"') :]
    assert "checked" in radio[: radio.index(">")]  # the choice is kept


def test_rejecting_with_a_reason_from_the_need_page(in_review, county_reviewer, agency_user):
    r = signed_in(county_reviewer).post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {"decision": "rejected", "comment": "不属于本地场景", "version": in_review.version},
    )

    in_review.refresh_from_db()
    assert r.status_code == 302
    assert in_review.status == "rejected"
    assert in_review.reviews.get().comment == "不属于本地场景"


def test_a_stale_decision_says_so_keeps_the_comment_and_changes_nothing(in_review, county_reviewer):
    r = signed_in(county_reviewer).post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {"decision": "returned", "comment": "请补充预算测算", "version": in_review.version - 1},
    )

    in_review.refresh_from_db()
    html = r.content.decode()
    assert in_review.reviews.get().decision == "pending"
    assert "alert-danger" in html
    assert "请补充预算测算" in html
    assert f'name="version" value="{in_review.version}"' in html  # saving again is a decision


def test_a_decision_from_a_second_tab_after_the_first_one_decided_says_so(
    in_review, county_reviewer
):
    client = signed_in(county_reviewer)
    url = f"/workspace/committee/needs/{in_review.ref}/decide/"
    first = {"decision": "returned", "comment": "请补充预算测算", "version": in_review.version}
    client.post(url, first)

    second = client.post(
        url,
        {"decision": "approved", "version": in_review.version, "from": "queue", "next": QUEUE},
        follow=True,
    )

    body = second.content.decode()
    assert second.redirect_chain[-1][0] == QUEUE  # back to the queue it came from
    assert "已不在等待您审核（现为“已退回”）" in body
    assert "请求版本" not in body  # not the versions


def test_a_decision_on_a_need_the_agency_withdrew_meanwhile_names_the_withdrawal(
    in_review, county_reviewer, agency_user
):
    from scenarios.services.needs import need_withdraw

    # Given the county's page drawn, then the agency withdraws the need
    client = signed_in(county_reviewer)
    version = in_review.version
    need_withdraw(actor=agency_user, need=in_review)

    # When the county approves from that page
    late = client.post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {"decision": "approved", "version": version},
        follow=True,
    )

    # Then it reads what the need is now, not a guess that another member decided it
    body = late.content.decode()
    assert f"{in_review.ref} 已不在等待您审核（现为“已撤回”）。" in body
    assert "其他成员" not in body


def test_fixing_a_refused_decision_returns_to_the_queue(in_review, county_reviewer):
    client = signed_in(county_reviewer)
    url = f"/workspace/committee/needs/{in_review.ref}/decide/"
    refused = client.post(
        url, {"decision": "returned", "comment": "", "from": "queue", "next": QUEUE}
    )
    kept = form_values(refused.content.decode(), url)

    fixed = client.post(url, {**kept, "comment": "请补充预算测算"})

    assert kept["next"] == [QUEUE]  # the list's address, not the button's
    assert fixed.status_code == 302
    assert fixed["Location"] == QUEUE


def test_a_buttons_address_as_next_falls_back_to_the_list(in_review, county_reviewer):
    url = f"/workspace/committee/needs/{in_review.ref}/decide/"
    r = signed_in(county_reviewer).post(
        url, {"decision": "approved", "version": in_review.version, "next": url}
    )

    assert r["Location"] == QUEUE


def test_a_too_long_reason_says_only_that(in_review, county_reviewer):
    r = signed_in(county_reviewer).post(
        f"/workspace/committee/needs/{in_review.ref}/decide/",
        {"decision": "returned", "comment": "理" * 2001},
    )

    html = r.content.decode()
    assert "2000" in html
    assert "必须填写理由" not in html


def test_other_committees_and_other_roles_cannot_reach_the_need(
    in_review, other_city_reviewer, agency_user, firm_user
):
    far = signed_in(other_city_reviewer)
    assert far.get(f"/workspace/committee/needs/{in_review.ref}/").status_code == 404
    assert (
        far.post(
            f"/workspace/committee/needs/{in_review.ref}/decide/", {"decision": "approved"}
        ).status_code
        == 404
    )
    for user in (agency_user, firm_user):
        r = signed_in(user).get(QUEUE)
        assert r.status_code == 302
        assert r["Location"] == "/workspace/"
    assert in_review.reviews.get().decision == "pending"


# -- recommendations waiting for a decision ---------------------------------------------------


@pytest.fixture
def shortlisted(matched, agency_user):
    match = (
        Match.objects.current()
        .filter(need=matched["needs"][0], recommended=True)
        .order_by("rank")[0]
    )
    editor = factories.member(match.capability.firm, "firm_editor")
    pair_respond(actor=editor, match=match, interested=True, note="两周内可部署")
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    return match


def test_recommendations_page_shows_the_pair_its_explanation_and_the_firms_answer(
    shortlisted, city_reviewer
):
    r = signed_in(city_reviewer).get("/workspace/committee/recommendations/")

    html = r.content.decode()
    assert r.status_code == 200
    assert shortlisted.need.title in html
    assert shortlisted.capability.title in html
    assert "两周内可部署" in html
    assert "匹配得分" in html  # the explanation
    assert '推荐审批 <span class="badge rounded-pill text-bg-warning">1</span>' in html


def test_approving_a_pair_without_a_date_is_refused_in_place_then_approving_starts_the_pilot(
    shortlisted, city_reviewer
):
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/recommendations/{shortlisted.pk}/decide/"

    refused = client.post(url, {"decision": "approve", "reason": "同意试点"})
    past = client.post(url, {"decision": "approve", "tolerance_until": "2020-01-01"})
    done = client.post(url, {"decision": "approve", "tolerance_until": until().isoformat()})

    assert refused.status_code == 200
    assert "批准试点需要包容期截止日期" in refused.content.decode()
    assert "同意试点" in refused.content.decode()  # what was typed is kept
    assert past.status_code == 200
    assert "必须是将来的日期" in past.content.decode()
    assert done.status_code == 302
    review = PairReview.objects.get(need=shortlisted.need, capability=shortlisted.capability)
    assert review.decision == "approved"
    assert Pilot.objects.get(source_match_id=shortlisted.pk).tolerance_until == until()
    after = client.get("/workspace/committee/recommendations/").content.decode()
    assert "进入场景验证，试点已开始" in after
    assert f'id="pair-{shortlisted.pk}"' not in after


def test_rejecting_a_pair_needs_a_reason(shortlisted, city_reviewer):
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/recommendations/{shortlisted.pk}/decide/"

    refused = client.post(url, {"decision": "reject"})
    done = client.post(url, {"decision": "reject", "reason": "与需求的验证类型不符"})

    assert refused.status_code == 200
    assert "驳回需要填写理由" in refused.content.decode()
    assert done.status_code == 302
    review = PairReview.objects.get(need=shortlisted.need, capability=shortlisted.capability)
    assert (review.decision, review.decision_reason) == ("rejected", "与需求的验证类型不符")


def test_a_pair_outside_my_region_is_not_mine_to_decide(shortlisted, other_city_reviewer):
    r = signed_in(other_city_reviewer).post(
        f"/workspace/committee/recommendations/{shortlisted.pk}/decide/",
        {"decision": "approve", "tolerance_until": until().isoformat()},
        follow=True,
    )

    assert "不在您的辖区" in r.content.decode()
    assert not Pilot.objects.exists()


@pytest.mark.parametrize(
    ("first", "said"),
    [
        ({"decision": "approve", "tolerance_until": until().isoformat()}, "已被批准，试点已开始"),
        ({"decision": "reject", "reason": "与需求不符"}, "已被驳回"),
        (None, "需求单位已将"),  # the agency took it off its shortlist
    ],
)
def test_a_pair_decided_in_another_tab_says_what_became_of_it(
    shortlisted, city_reviewer, agency_user, first, said
):
    # Given the pair decided in one tab (or taken off the shortlist by the agency)
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/recommendations/{shortlisted.pk}/decide/"
    if first is None:
        pair_shortlist(actor=agency_user, match=shortlisted, shortlisted=False)
    else:
        assert client.post(url, first).status_code == 302

    # When another tab, drawn before, rejects it
    late = client.post(url, {"decision": "reject", "reason": "企业产能不足"}, follow=True)

    # Then it is told what happened to the pair, by name, and nothing changed
    body = late.content.decode()
    assert said in body
    assert f"“{shortlisted.need.title}”" in body
    assert "不在您的辖区" not in body
    review = PairReview.objects.get(need=shortlisted.need, capability=shortlisted.capability)
    assert review.decision_reason != "企业产能不足"


# -- supervision -----------------------------------------------------------------------------


@pytest.fixture
def published_capability(firm):
    return capability_submit(actor=None, capability=make_capability(firm, title="工业视觉质检平台"))


def test_a_published_capability_a_later_entry_hits_is_marked_for_the_committee(
    published_capability, firm, city_reviewer, province_reviewer
):
    from scenarios.services.negative_list import negative_entry_create

    other = capability_submit(actor=None, capability=make_capability(firm, title="液位监测终端"))
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="视觉质检", reason="试行禁止"
    )

    page = signed_in(city_reviewer).get("/workspace/committee/capabilities/").content.decode()

    marked = page.split(f'id="cap-{published_capability.pk}"')[1].split("</article>")[0]
    assert "命中负面清单（视觉质检），已不参与匹配" in marked
    assert page.count("命中负面清单（") == 1  # the other capability is not marked
    assert other.ref in page
    assert "只看命中负面清单的 1 项能力" in page
    only = signed_in(city_reviewer).get(
        "/workspace/committee/capabilities/", {"status": "published", "negative": "1"}
    )
    assert published_capability.ref in only.content.decode()
    assert other.ref not in only.content.decode()


def test_suspending_a_capability_needs_a_reason_and_takes_it_off_the_list(
    published_capability, city_reviewer, other_city_reviewer
):
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/capabilities/{published_capability.ref}/supervise/"
    listed = client.get("/workspace/committee/capabilities/")

    refused = client.post(url, {"action": "suspend", "reason": ""})
    far = signed_in(other_city_reviewer).post(url, {"action": "suspend", "reason": "虚假宣传"})
    done = client.post(
        url,
        {"action": "suspend", "reason": "资质证明过期", "version": published_capability.version},
    )
    suspended = client.get("/workspace/committee/capabilities/?status=suspended")

    assert "工业视觉质检平台" in listed.content.decode()
    assert refused.status_code == 200
    assert "请填写理由" in refused.content.decode()
    assert far.status_code == 404
    assert done.status_code == 302
    published_capability.refresh_from_db()
    assert published_capability.status == "suspended"
    html = suspended.content.decode()
    assert "资质证明过期" in html
    assert 'value="reinstate"' in html
    assert 'value="suspend"' not in html


def test_reinstating_puts_it_back(published_capability, city_reviewer):
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/capabilities/{published_capability.ref}/supervise/"
    client.post(url, {"action": "suspend", "reason": "核查"})

    client.post(url, {"action": "reinstate"})

    assert Capability.objects.get(pk=published_capability.pk).status == "published"


def test_a_stale_capability_action_says_what_the_capability_is_now(
    published_capability, city_reviewer
):
    # Given a capability suspended and reinstated in one tab while another still shows it
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/capabilities/{published_capability.ref}/supervise/"
    seen = published_capability.version
    client.post(url, {"action": "suspend", "reason": "核查", "version": seen})
    client.post(url, {"action": "reinstate", "version": seen + 1})

    # When the second tab suspends it with the version it drew
    r = client.post(url, {"action": "suspend", "reason": "虚假宣传", "version": seen}, follow=True)

    # Then it hears the capability's current state, not version numbers, and nothing changed
    html = r.content.decode()
    assert f"{published_capability.ref} 已在别处被处理，现为“已发布”" in html
    assert "当前版本" not in html
    assert Capability.objects.get(pk=published_capability.pk).status == "published"


def test_capability_search_finds_by_firm_name_and_counts_follow_it(
    published_capability, city_reviewer
):
    client = signed_in(city_reviewer)
    firm_name = published_capability.firm.name

    hit = client.get("/workspace/committee/capabilities/", {"q": firm_name[:4]})
    miss = client.get("/workspace/committee/capabilities/", {"q": "不存在的名称"})

    assert "工业视觉质检平台" in hit.content.decode()
    assert "工业视觉质检平台" not in miss.content.decode()
    assert '已发布 <span class="badge rounded-pill text-bg-light">0</span>' in (
        miss.content.decode()
    )


# -- pilots ----------------------------------------------------------------------------------


@pytest.fixture
def running_pilot(agency, agency_user, county_reviewer, city_reviewer, published_capability):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    need = review_decide(actor=city_reviewer, need=need, decision="approved")
    pilot = pilot_start(
        actor=city_reviewer,
        need=need,
        capability=published_capability,
        tolerance_until=until(20),
        milestones=[{"title": "部署", "done": True}, {"title": "验收"}],
    )
    return pilot


def test_pilots_page_marks_a_tolerance_period_ending_soon(running_pilot, city_reviewer):
    r = signed_in(city_reviewer).get("/workspace/committee/pilots/")

    html = r.content.decode()
    assert "还有 20 天" in html
    assert "里程碑 1/2" in html
    assert 'title="包容期 30 天内到期">1<' in html


def test_recognising_a_concluded_pilot(running_pilot, agency_user, city_reviewer):
    pilot_conclude(
        actor=agency_user, pilot=running_pilot, outcome="validated", trl_after=8, note="达标"
    )
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/pilots/{running_pilot.pk}/recognize/"
    unconfirmed = client.get("/workspace/committee/pilots/?status=validated").content.decode()
    early = client.post(url, {"first_of_kind": "on"})
    assert "确认验证结论" in unconfirmed
    assert "提交推荐" not in unconfirmed
    assert early.status_code == 302
    assert not Pilot.objects.get(pk=running_pilot.pk).first_of_kind_recommended
    client.post(f"/workspace/committee/pilots/{running_pilot.pk}/confirm/")

    nothing = client.post(url, {})
    done = client.post(url, {"first_of_kind": "on"})
    page = client.get("/workspace/committee/pilots/?status=validated")

    assert nothing.status_code == 200
    assert "请至少选择一项推荐" in nothing.content.decode()
    assert done.status_code == 302
    running_pilot.refresh_from_db()
    assert running_pilot.first_of_kind_recommended
    assert not running_pilot.best_practice_nominated
    assert "已推荐首台（套）" in page.content.decode()


def test_a_running_pilot_cannot_be_recognised(running_pilot, city_reviewer):
    r = signed_in(city_reviewer).post(
        f"/workspace/committee/pilots/{running_pilot.pk}/recognize/",
        {"best_practice": "on"},
        follow=True,
    )

    assert "只有验证成功的试点可以推荐" in r.content.decode()
    running_pilot.refresh_from_db()
    assert not running_pilot.best_practice_nominated


# -- the agency runs its pilot ---------------------------------------------------------------


def test_milestones_out_of_the_pilots_period_are_marked_with_the_allowed_range(
    running_pilot, agency_user
):
    # Given a running pilot whose tolerance period ends in 20 days
    client = signed_in(agency_user)
    url = f"/workspace/agency/pilots/{running_pilot.pk}/"
    start = timezone.localdate(running_pilot.started_at).isoformat()
    end = running_pilot.tolerance_until.isoformat()

    # When the agency saves two rows dated after it and one inside it
    r = client.post(
        url,
        {
            "action": "milestones",
            "version": running_pilot.version,
            "m-TOTAL_FORMS": "3",
            "m-INITIAL_FORMS": "0",
            "m-MIN_NUM_FORMS": "0",
            "m-MAX_NUM_FORMS": "50",
            "m-0-title": "部署",
            "m-0-due": until(40).isoformat(),
            "m-1-title": "验收",
            "m-1-due": until(5).isoformat(),
            "m-2-title": "试运行",
            "m-2-due": until(60).isoformat(),
        },
    )

    # Then the page names the range and marks exactly the two rows, nothing saved
    html = r.content.decode()
    assert r.status_code == 200
    assert f"里程碑日期不在试点期内（{start} 至包容期截止日 {end}）" in html
    assert html.count('<tr class="table-danger">') == 2
    assert html.count(f"应在 {start} 到包容期截止日 {end} 之间") == 2
    assert len(Pilot.objects.get(pk=running_pilot.pk).milestones) == 2


def test_a_too_long_milestone_title_is_not_called_empty(running_pilot, agency_user):
    # Given a running pilot's page
    client = signed_in(agency_user)
    url = f"/workspace/agency/pilots/{running_pilot.pk}/"

    # When the agency saves a row with a 306-character title and a date
    r = client.post(
        url,
        {
            "action": "milestones",
            "version": running_pilot.version,
            "m-TOTAL_FORMS": "1",
            "m-INITIAL_FORMS": "0",
            "m-MIN_NUM_FORMS": "0",
            "m-MAX_NUM_FORMS": "50",
            "m-0-title": "长" * 306,
            "m-0-due": until(5).isoformat(),
        },
    )

    # Then the row says what is wrong, and only that: the title is there, it is too long
    html = r.content.decode()
    assert r.status_code == 200
    assert "最多 200 个字（现有 306 个）。" in html
    assert "请填写里程碑名称" not in html
    assert "。；" not in html
    assert len(Pilot.objects.get(pk=running_pilot.pk).milestones) == 2


def test_agency_records_milestones_then_concludes_the_pilot(running_pilot, agency_user):
    client = signed_in(agency_user)
    url = f"/workspace/agency/pilots/{running_pilot.pk}/"
    page = client.get(url)
    data = {
        "action": "milestones",
        "version": running_pilot.version,
        "m-TOTAL_FORMS": "4",
        "m-INITIAL_FORMS": "2",
        "m-MIN_NUM_FORMS": "0",
        "m-MAX_NUM_FORMS": "50",
        "m-0-title": "部署",
        "m-0-done": "on",
        "m-1-title": "验收",
        "m-1-done": "on",
        "m-2-title": "试运行三个月",
        "m-2-due": until(10).isoformat(),
        "m-3-title": "",
    }

    saved = client.post(url, data)
    blank_title = client.post(url, {**data, "m-3-due": "2027-01-01", "version": ""})
    concluded = client.post(
        url,
        {"action": "conclude", "outcome": "validated", "trl_after": "8", "note": "指标全部达标"},
    )

    assert page.status_code == 200
    assert 'value="部署"' in page.content.decode()
    assert saved.status_code == 302
    assert blank_title.status_code == 200
    assert "请填写里程碑名称" in blank_title.content.decode()
    running_pilot.refresh_from_db()
    assert [m["title"] for m in running_pilot.milestones] == ["部署", "验收", "试运行三个月"]
    assert running_pilot.milestones[2]["due"] == until(10).isoformat()
    assert concluded.status_code == 302
    assert (running_pilot.status, running_pilot.trl_after) == ("validated", 8)
    assert ScenarioNeed.objects.get(pk=running_pilot.need_id).status == "validated"


def test_concluding_without_a_note_is_refused_in_place(running_pilot, agency_user):
    r = signed_in(agency_user).post(
        f"/workspace/agency/pilots/{running_pilot.pk}/",
        {"action": "conclude", "outcome": "failed", "trl_after": "6", "note": ""},
    )

    assert r.status_code == 200
    assert "id_note_error" in r.content.decode()
    running_pilot.refresh_from_db()
    assert running_pilot.status == "running"


def test_another_agency_cannot_open_the_pilot(running_pilot, city_reviewer):
    other = factories.member(factories.AgencyFactory.create(), "agency_editor")

    assert signed_in(other).get(f"/workspace/agency/pilots/{running_pilot.pk}/").status_code == 404
    assert (
        signed_in(city_reviewer).get(f"/workspace/agency/pilots/{running_pilot.pk}/").status_code
        == 404
    )


def test_a_validated_outcome_cannot_lower_the_maturity_and_an_ended_pilot_stays_ended(
    running_pilot, agency_user
):
    client = signed_in(agency_user)
    url = f"/workspace/agency/pilots/{running_pilot.pk}/"
    before = running_pilot.trl_before

    lower = client.post(
        url,
        {"action": "conclude", "outcome": "validated", "trl_after": str(before - 1), "note": "x"},
    )
    done = client.post(
        url, {"action": "conclude", "outcome": "failed", "trl_after": str(before), "note": "未达标"}
    )
    stale = client.post(
        url,
        {"action": "conclude", "outcome": "validated", "trl_after": "9", "note": "另一个标签页"},
        follow=True,
    )

    assert "验证后的成熟度不应低于验证前" in lower.content.decode()
    assert done.status_code == 302
    assert "试点已结束" in stale.content.decode()
    running_pilot.refresh_from_db()
    assert (running_pilot.status, running_pilot.outcome_note) == ("failed", "未达标")


@pytest.fixture
def proposal(agency, agency_user, county_reviewer, city_reviewer, published_capability):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    need = review_decide(actor=city_reviewer, need=need, decision="approved")
    factories.shortlisted_pair(need, published_capability)
    return pilot_start(
        actor=agency_user, need=need, capability=published_capability, tolerance_until=until(60)
    )


def test_a_proposal_comes_first_and_declining_it_needs_a_reason(proposal, city_reviewer):
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/pilots/{proposal.pk}/decide/"

    page = client.get("/workspace/committee/pilots/").content.decode()
    refused = client.post(url, {"decision": "decline", "reason": "", "version": proposal.version})
    declined = client.post(
        url, {"decision": "decline", "reason": "请先参与撮合推荐", "version": proposal.version}
    )

    # The proposals tab opens first; an agency proposes only from its recommendations.
    assert "源自撮合推荐" in page
    assert 'title="待批准的试点申请">1<' in page
    assert refused.status_code == 200
    assert "不予批准需要填写理由" in refused.content.decode()
    assert declined.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == ("declined", "请先参与撮合推荐")


def test_approving_a_proposal_starts_the_pilot_and_an_outsider_cannot(
    proposal, city_reviewer, other_city_reviewer, agency_user
):
    url = f"/workspace/committee/pilots/{proposal.pk}/decide/"
    body = {"decision": "approve", "tolerance_until": until(120).isoformat(), "version": 1}

    outsider = signed_in(other_city_reviewer).post(url, body)
    agency_page = signed_in(agency_user).get(f"/workspace/agency/pilots/{proposal.pk}/")
    done = signed_in(city_reviewer).post(url, body)

    assert outsider.status_code == 404
    assert "等待需求所在地工作委员会批准" in agency_page.content.decode()
    assert done.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.tolerance_until) == ("running", until(120))
    assert proposal.need.status == "in_validation"


@pytest.mark.parametrize(
    ("suspend", "said"),
    [("firm", "企业已被暂停，其能力不能开展试点。"), ("capability", "能力已被暂停发布")],
)
def test_a_proposal_whose_firm_or_capability_was_suspended_offers_only_declining(
    proposal, city_reviewer, suspend, said
):
    """The row drew an active 批准 that failed with 只有已发布的能力可以开展试点。"""
    from scenarios.services.capabilities import capability_suspend
    from scenarios.services.firms import organization_suspend

    # Given the firm (or only the capability) of a waiting proposal was suspended since
    capability = proposal.capability
    if suspend == "firm":
        organization_suspend(actor=city_reviewer, organization=capability.firm, reason="核查")
    else:
        capability_suspend(actor=city_reviewer, capability=capability, reason="核查")
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/pilots/{proposal.pk}/decide/"

    # When the committee opens its proposals, then approves from a page drawn before, then
    # declines
    page = client.get("/workspace/committee/pilots/?status=proposed").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/workspace/committee/pilots/?status=proposed").content.decode()
    client.cookies["django_language"] = "zh-hans"
    approved = client.post(
        url, {"decision": "approve", "tolerance_until": until(90).isoformat(), "version": 1}
    )
    declined = client.post(url, {"decision": "decline", "reason": "企业暂停", "version": 1})

    # Then the row says why and draws the approval disabled (declining chosen); the stale
    # approval is refused on the decision with the same words; declining still works
    row = page.split(f'id="pilot-{proposal.pk}"')[1].split("</article>")[0]
    assert said in row
    assert "目前只能不予批准" in row
    # in English, two sentences ("….It can only…" ran them together)
    en_row = english.split(f'id="pilot-{proposal.pk}-blocked"')[1].split("</p>")[0]
    assert ". It can only be declined now." in en_row
    (approve,) = re.findall(r'<input[^>]*value="approve"[^>]*>', row)
    assert "disabled" in approve
    (decline,) = re.findall(r'<input[^>]*value="decline"[^>]*>', row)
    assert "checked" in decline
    assert approved.status_code == 200
    assert said in approved.content.decode()
    assert "只有已发布的能力" not in approved.content.decode()
    assert declined.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "declined"


def test_a_committee_suspends_a_whole_firm_and_reinstates_it(
    published_capability, city_reviewer, firm_user
):
    client = signed_in(city_reviewer)
    url = f"/workspace/committee/capabilities/{published_capability.ref}/supervise/"
    firm = published_capability.firm

    refused = client.post(url, {"action": "suspend_firm", "reason": "", "version": 1})
    done = client.post(url, {"action": "suspend_firm", "reason": "涉嫌虚假申报", "version": 1})
    page = client.get("/workspace/committee/capabilities/?status=suspended").content.decode()
    firm_page = signed_in(firm_user).get("/workspace/firm/").content.decode()

    assert refused.status_code == 200
    assert "请填写理由" in refused.content.decode()
    assert done.status_code == 302
    firm.refresh_from_db()
    assert firm.is_suspended
    assert Capability.objects.get(pk=published_capability.pk).status == "suspended"
    assert "企业已暂停" in page
    assert "涉嫌虚假申报" in firm_page

    client.post(url, {"action": "reinstate_firm", "reason": "核查完毕", "version": 2})

    firm.refresh_from_db()
    assert not firm.is_suspended
    assert Capability.objects.get(pk=published_capability.pk).status == "published"


def test_a_resubmission_after_a_return_waits_for_review_and_is_published_there(
    published_capability, city_reviewer, firm_user
):
    from scenarios.services.capabilities import capability_return

    capability_return(actor=city_reviewer, capability=published_capability, reason="请补充资质")
    cap = capability_submit(
        actor=firm_user, capability=Capability.objects.get(pk=published_capability.pk)
    )
    client = signed_in(city_reviewer)

    page = client.get("/workspace/committee/capabilities/?status=submitted").content.decode()
    firm_page = signed_in(firm_user).get(f"/workspace/firm/capabilities/{cap.ref}/")
    done = client.post(
        f"/workspace/committee/capabilities/{cap.ref}/supervise/",
        {"action": "reinstate", "reason": "", "version": cap.version},
    )

    assert "待复核：" in page
    assert "等待工作委员会复核" in firm_page.content.decode()
    assert done.status_code == 302
    assert Capability.objects.get(pk=cap.pk).status == "published"


def test_a_decision_on_a_proposal_someone_else_decided_says_so(
    proposal, city_reviewer, province_reviewer
):
    url = f"/workspace/committee/pilots/{proposal.pk}/decide/"
    signed_in(city_reviewer).post(url, {"decision": "decline", "reason": "不符合", "version": 1})

    late = signed_in(province_reviewer).post(
        url, {"decision": "approve", "version": 1}, follow=True
    )

    assert "该试点申请已处理" in late.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "declined"


def test_a_pair_decided_from_a_page_drawn_before_a_rematch_is_decided(shortlisted, city_reviewer):
    from matching.services import runs
    from tests.matching.world import run_inline

    # Given the 推荐审批 page drawn with the pair's row id, then a new matching run
    run_inline(runs.match_run_request(scope="full"))
    assert not Match.objects.current().filter(pk=shortlisted.pk).exists()

    # When the committee decides through the old id
    done = signed_in(city_reviewer).post(
        f"/workspace/committee/recommendations/{shortlisted.pk}/decide/",
        {"decision": "reject", "reason": "与需求的验证类型不符"},
    )

    # Then the pair is decided
    assert done.status_code == 302
    review = PairReview.objects.get(need=shortlisted.need, capability=shortlisted.capability)
    assert review.decision == "rejected"
