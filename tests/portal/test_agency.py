"""The agency workspace: needs by status, the need form (errors in place, what was typed
kept, stale edits), the lifecycle buttons, recommendations with explanations, the firms'
answers and the shortlist. Every refusal is the service's, shown on the page."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from activity.models import AuditEvent
from matching.models import Match, PairReview
from matching.services.recommendations import pair_respond
from scenarios.models import Pilot, ScenarioNeed
from scenarios.services.needs import need_submit, need_update
from tests import factories
from tests.portal.conftest import form_values, need_data, signed_in
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_agency_creates_a_draft_through_the_form(agency_client, agency, agency_user):
    response = agency_client.post("/workspace/agency/needs/new/", need_data())

    need = ScenarioNeed.objects.get(agency=agency)
    assert response.status_code == 302
    assert response["Location"] == f"/workspace/agency/needs/{need.ref}/"
    assert need.status == "draft"
    assert need.budget_cny == 800_000  # 80 万元
    assert need.keywords == ["物联网", "积水监测", "预警"]
    assert [c.slug for c in need.chains.all()] == ["digital-city"]
    assert need.region_id == "360102"
    assert need.created_by == agency_user


def test_need_form_errors_show_in_place_and_keep_what_was_typed(agency_client, agency):
    data = need_data(title="", chains=[], budget_wan="-5", min_trl="12")
    data["description"] = "保留我输入的描述文字"

    body = page(agency_client.post("/workspace/agency/needs/new/", data))

    assert not ScenarioNeed.objects.filter(agency=agency).exists()
    assert 'id="id_title_error"' in body
    assert 'id="id_chains_error"' in body
    assert 'id="id_budget_wan_error"' in body
    assert 'id="id_min_trl_error"' in body
    assert "保留我输入的描述文字" in body
    assert 'value="物联网;积水监测；预警"' in body
    assert 'aria-invalid="true"' in body


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("title", "\u200b\u200b", "只有空白或不可见字符"),
        ("description", "\u200b \u200b\n\u200b", "只有空白或不可见字符"),
        ("keywords", ";".join(f"关键词{n:02d}" for n in range(21)), "最多 20 个。"),
        ("keywords", "物联网;" + "超" * 33, "每个最多 32 个字符"),
        ("keywords", "物联网;\u200b", "只有空白或不可见字符"),
        ("deadline", "2099-01-01", "最晚为 5 年后。"),
    ],
)
def test_need_form_shows_the_services_text_rules_with_the_other_errors(
    agency_client, agency, field, typed, message
):
    # given: a field the service would refuse, and another field (the budget) wrong as well
    data = need_data(budget_wan="-5", **{field: typed})

    body = page(agency_client.post("/workspace/agency/needs/new/", data))

    # then: both errors show in this first round, in place, with what was typed kept
    assert f'id="id_{field}_error"' in body
    assert message in body
    assert 'id="id_budget_wan_error"' in body
    assert typed in body
    assert not ScenarioNeed.objects.filter(agency=agency).exists()


def test_need_form_shows_the_services_refusal_on_the_field(agency_client, agency):
    # A region outside the agency's jurisdiction (a Ganzhou county for a Nanchang agency).
    body = page(agency_client.post("/workspace/agency/needs/new/", need_data(region="360702")))

    assert "辖区" in body
    assert 'id="id_region_error"' in body
    assert not ScenarioNeed.objects.filter(agency=agency).exists()


def test_need_form_refuses_a_region_outside_the_choices(agency_client, agency):
    body = page(agency_client.post("/workspace/agency/needs/new/", need_data(region="999999")))

    assert 'id="id_region_error"' in body
    assert not ScenarioNeed.objects.filter(agency=agency).exists()


def test_agency_edits_submits_and_sees_the_tier(agency_client, agency, agency_user):
    need = make_need(agency, region="360102")
    url = f"/workspace/agency/needs/{need.ref}/"

    response = agency_client.post(
        url + "edit/", need_data(title="改过的名称", version=str(need.version))
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.title == "改过的名称"

    agency_client.post(url + "submit/", {"version": str(need.version)})
    need.refresh_from_db()
    assert (need.status, need.review_tier) == ("in_review", "county")
    home = page(agency_client.get("/workspace/agency/", {"status": "in_review"}))
    assert "改过的名称" in home
    assert "审核" in home
    trail = page(agency_client.get(url))
    assert "提交审核" in trail


def test_stale_edit_says_so_shows_the_newer_version_and_keeps_the_typing(
    agency_client, agency, agency_user
):
    need = make_need(agency, region="360102")
    seen_version = need.version
    need_update(
        actor=agency_user, need=need, expected_version=need.version, title="同事刚保存的名称"
    )  # someone else saved

    body = page(
        agency_client.post(
            f"/workspace/agency/needs/{need.ref}/edit/",
            need_data(title="我正在改的名称", version=str(seen_version)),
        )
    )

    need.refresh_from_db()
    assert need.title == "同事刚保存的名称"  # nothing of the stale edit was saved
    assert "已在别处被修改" in body
    assert "同事刚保存的名称" in body  # the newer version is shown
    assert 'value="我正在改的名称"' in body  # what the user typed is kept
    assert f'name="version" value="{need.version}"' in body  # saving again is possible


def test_returned_need_shows_the_reason(agency_client, agency, agency_user, county_reviewer):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    from scenarios.services.reviews import need_return

    need_return(actor=county_reviewer, need=need, comment="请补充预算测算依据")

    body = page(agency_client.get("/workspace/agency/", {"status": "returned"}))
    assert "请补充预算测算依据" in body


def test_close_without_reason_is_refused_with_the_services_message(agency_client, agency):
    need = make_need(agency, region="360102", status="published")

    response = agency_client.post(
        f"/workspace/agency/needs/{need.ref}/close/", {"version": str(need.version)}, follow=True
    )

    need.refresh_from_db()
    assert need.status == "published"
    assert "请填写关闭理由" in page(response)


def test_withdraw_with_an_old_version_is_refused(agency_client, agency, agency_user):
    need = make_need(agency, region="360102")
    old = need.version
    need_update(actor=agency_user, need=need, expected_version=old, title="新")

    response = agency_client.post(
        f"/workspace/agency/needs/{need.ref}/withdraw/", {"version": str(old)}, follow=True
    )

    need.refresh_from_db()
    assert need.status == "draft"
    assert "alert-danger" in page(response)
    # in words a person reads, not the version numbers the API gives clients
    assert "这一条在您打开页面之后已被修改" in page(response)
    assert "请求版本" not in page(response)


def test_another_agency_cannot_see_or_touch_the_need(agency):
    need = make_need(agency, region="360102")
    other = signed_in(factories.member(factories.AgencyFactory.create(), "agency_editor"))

    for url in ("", "edit/"):
        assert other.get(f"/workspace/agency/needs/{need.ref}/{url}").status_code == 404
    assert other.post(f"/workspace/agency/needs/{need.ref}/submit/").status_code == 404
    need.refresh_from_db()
    assert need.status == "draft"


def test_firm_user_is_sent_away_from_the_agency_workspace(firm_user):
    client = signed_in(firm_user)

    assert client.get("/workspace/agency/")["Location"] == "/workspace/"
    assert client.get("/workspace/agency/needs/new/")["Location"] == "/workspace/"


def test_anonymous_is_asked_to_sign_in():
    response = Client().get("/workspace/agency/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/workspace/agency/")


def test_published_need_lists_recommendations_with_readable_explanations(matched, agency_user):
    need = matched["needs"][0]  # 城市内涝积水智能监测预警
    client = signed_in(agency_user)

    body = page(client.get(f"/workspace/agency/needs/{need.ref}/"))

    assert "排水管网液位感知与内涝预警系统" in body
    assert "匹配得分" in body
    assert "同属产业链“数字空间+智慧城市”" in body
    assert "技术成熟度 7 级，高于要求的 5 级" in body
    assert "企业位于" in body
    assert "文本相关度" in body  # a bar per feature
    assert "0.7407407" not in body  # no raw floats


def test_a_published_needs_page_lists_its_sections_before_the_recommendations(matched, agency_user):
    # given: a published need with recommendations
    need = matched["needs"][0]

    body = page(signed_in(agency_user).get(f"/workspace/agency/needs/{need.ref}/"))

    # then: a navigation above the first card leads to every section, forms included
    nav = re.search(r'<nav class="page-nav[^>]*>(.*?)</nav>', body, re.S)
    assert nav is not None
    assert nav.start() < body.index('class="item-card"')
    links = re.findall(r'<a href="#([\w-]+)">\s*([^<]+?)\s*<', nav.group(1))
    assert [text for _target, text in links] == [
        "推荐能力",
        "需求内容",
        "审核轨迹",
        "撤回需求",
        "关闭需求",
    ]
    for target, text in links:
        # each target is a section named by its own heading, which says what the link said
        section = re.search(rf'<section [^>]*id="{target}" aria-labelledby="([\w-]+)"', body)
        assert section is not None, target
        assert re.search(rf'<h2 id="{section.group(1)}"[^>]*>{text}</h2>', body), target


def test_a_drafts_page_lists_what_it_holds(agency_client, agency):
    need = make_need(agency, region="360102")

    body = page(agency_client.get(f"/workspace/agency/needs/{need.ref}/"))

    nav = re.search(r'<nav class="page-nav[^>]*>(.*?)</nav>', body, re.S)
    assert nav is not None
    assert re.findall(r'href="#([\w-]+)"', nav.group(1)) == [
        "need-details",
        "need-history",
        "need-withdraw",
    ]
    assert '<h2 id="withdraw-title" class="h6">放弃草稿</h2>' in body


def test_matched_keywords_are_highlighted_in_both_texts(matched, agency_user):
    match = next(
        m
        for m in Match.objects.current().filter(recommended=True).order_by("need_id", "rank")
        if m.breakdown.get("matched_keywords")
    )
    word = match.breakdown["matched_keywords"][0]

    body = page(signed_in(agency_user).get(f"/workspace/agency/needs/{match.need.ref}/"))

    assert f"关键词“{word}”" in body or f"“{word}”" in body
    assert f"<mark>{word}</mark>" in body


def test_agency_shortlists_an_interested_firm(
    matched, agency_user, django_capture_on_commit_callbacks
):
    need = matched["needs"][0]
    match = Match.objects.current().filter(need=need, recommended=True).order_by("rank")[0]
    firm_user = factories.member(match.capability.firm, "firm_editor")
    pair_respond(actor=firm_user, match=match, interested=True, note="可两周内进场")
    client = signed_in(agency_user)

    body = page(client.get(f"/workspace/agency/needs/{need.ref}/"))
    assert "可两周内进场" in body
    assert "有意向" in body
    answers = body[body.index('id="interest-title"') :]
    # The answer names the capability it is about (a firm may offer several).
    assert f'href="/capabilities/{match.capability.ref}/">{match.capability.title}</a>' in answers

    response = client.post(
        f"/workspace/agency/matches/{match.pk}/shortlist/",
        {"shortlisted": "1"},
        HTTP_HX_REQUEST="true",
    )
    fragment = page(response)
    assert "<html" not in fragment
    assert "已入围" in fragment
    assert PairReview.objects.get(need=need, capability=match.capability).shortlisted
    assert AuditEvent.objects.filter(action="match.shortlist").exists()

    client.post(f"/workspace/agency/matches/{match.pk}/shortlist/", {"shortlisted": "0"})
    assert not PairReview.objects.get(need=need, capability=match.capability).shortlisted


def test_agency_cannot_shortlist_on_someone_elses_need(matched):
    match = Match.objects.current().filter(recommended=True)[0]
    other = signed_in(factories.member(factories.AgencyFactory.create(), "agency_editor"))

    response = other.post(f"/workspace/agency/matches/{match.pk}/shortlist/", {"shortlisted": "1"})

    assert response.status_code == 404
    assert not PairReview.objects.filter(shortlisted=True).exists()


def test_agency_proposes_a_pilot_from_its_shortlist_and_the_committee_is_asked(
    matched, agency_user
):
    need = matched["needs"][0]
    match = Match.objects.current().filter(need=need, recommended=True).order_by("rank")[0]
    firm_user = factories.member(match.capability.firm, "firm_editor")
    pair_respond(actor=firm_user, match=match, interested=True)
    client = signed_in(agency_user)
    address = f"/workspace/agency/matches/{match.pk}/propose-pilot/"
    assert "提议开展试点" not in page(client.get(f"/workspace/agency/needs/{need.ref}/"))
    client.post(f"/workspace/agency/matches/{match.pk}/shortlist/", {"shortlisted": "1"})
    assert "提议开展试点" in page(client.get(f"/workspace/agency/needs/{need.ref}/"))

    past = client.post(address, {"tolerance_until": "2020-01-01"}, HTTP_HX_REQUEST="true")
    garbage = client.post(address, {"tolerance_until": "明天"}, HTTP_HX_REQUEST="true")
    blank = client.post(address, {"tolerance_until": ""}, HTTP_HX_REQUEST="true")
    far = client.post(address, {"tolerance_until": "9999-12-31"}, HTTP_HX_REQUEST="true")

    assert "必须是将来的日期" in page(past)
    assert 'value="2020-01-01"' in page(past)  # what was typed stays
    assert "日期无效" in page(garbage)
    assert "请填写包容期截止日期" in page(blank)
    assert "不能晚于 3 年后" in page(far)
    assert not Pilot.objects.exists()

    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    done = client.post(address, {"tolerance_until": later}, HTTP_HX_REQUEST="true")
    again = client.post(address, {"tolerance_until": later}, HTTP_HX_REQUEST="true")

    pilot = Pilot.objects.get()
    assert (pilot.status, pilot.need, pilot.capability) == ("proposed", need, match.capability)
    assert pilot.source_match_id == match.pk
    assert "等待委员会审批" in page(done)
    assert "等待委员会审批" in page(again)  # the same proposal, not a second one
    need_page = page(client.get(f"/workspace/agency/needs/{need.ref}/"))
    assert "等待委员会审批" in need_page
    # While the committee decides, the pair stays on the shortlist: no button takes it off,
    # and a stale tab's removal is refused beside the card, which still says 已入围.
    assert "移出入围" not in need_page
    stale = client.post(
        f"/workspace/agency/matches/{match.pk}/shortlist/",
        {"shortlisted": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert "正在等待委员会审批，不能移出入围名单" in page(stale)
    assert "已入围" in page(stale)
    assert PairReview.objects.get(need=need, capability=match.capability).shortlisted


def test_a_pilot_is_proposed_only_for_a_shortlisted_recommendation(matched, agency_user):
    need = matched["needs"][0]
    ranked = Match.objects.current().filter(need=need).order_by("rank")
    recommended = ranked.filter(recommended=True)[0]
    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    client = signed_in(agency_user)

    for match in (recommended, *ranked.filter(recommended=False)[:1]):
        refused = client.post(
            f"/workspace/agency/matches/{match.pk}/propose-pilot/",
            {"tolerance_until": later},
            HTTP_HX_REQUEST="true",
        )
        assert "只能为已入围的推荐能力提议试点" in page(refused)

    assert not Pilot.objects.exists()


def test_a_proposal_from_a_page_drawn_before_a_run_that_dropped_the_pair_says_so(
    matched, agency_user
):
    """The pair was shortlisted, then a new run kept it as a candidate but no longer
    recommended it: the stale page's proposal said 请先将其加入入围名单 beside 已入围."""
    from matching.services import runs
    from tests.matching.world import run_inline

    need = matched["needs"][0]
    match = Match.objects.current().filter(need=need, recommended=True).order_by("rank")[0]
    client = signed_in(agency_user)
    client.post(f"/workspace/agency/matches/{match.pk}/shortlist/", {"shortlisted": "1"})
    run_inline(runs.match_run_request(scope="need", object_id=need.pk))
    Match.objects.current().filter(need=need, capability=match.capability).update(recommended=False)

    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    refused = client.post(
        f"/workspace/agency/matches/{match.pk}/propose-pilot/",
        {"tolerance_until": later},
        HTTP_HX_REQUEST="true",
    )

    assert "最新一轮匹配已不再推荐这项能力" in page(refused)
    assert "请先将其加入入围名单" not in page(refused)
    assert not Pilot.objects.exists()


def test_a_committee_member_cannot_use_the_agencys_proposal_address(matched, city_reviewer):
    match = Match.objects.current().filter(recommended=True)[0]
    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()

    response = signed_in(city_reviewer).post(
        f"/workspace/agency/matches/{match.pk}/propose-pilot/", {"tolerance_until": later}
    )

    assert response.status_code == 404
    assert not Pilot.objects.exists()


def test_a_declined_proposal_says_why_beside_the_form_to_propose_again(
    matched, agency_user, city_reviewer
):
    from scenarios.services.pilots import pilot_proposal_decide

    need = matched["needs"][0]
    match = Match.objects.current().filter(need=need, recommended=True).order_by("rank")[0]
    client = signed_in(agency_user)
    client.post(f"/workspace/agency/matches/{match.pk}/shortlist/", {"shortlisted": "1"})
    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    client.post(f"/workspace/agency/matches/{match.pk}/propose-pilot/", {"tolerance_until": later})
    pilot_proposal_decide(
        actor=city_reviewer, pilot=Pilot.objects.get(), approve=False, reason="今年没有预算"
    )

    body = page(client.get(f"/workspace/agency/needs/{need.ref}/"))

    assert "上次试点提议未获批准" in body
    assert "今年没有预算" in body
    assert "提议开展试点" in body


def test_agency_cannot_propose_a_pilot_on_someone_elses_need(matched):
    match = Match.objects.current().filter(recommended=True)[0]
    other = signed_in(factories.member(factories.AgencyFactory.create(), "agency_editor"))
    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()

    response = other.post(
        f"/workspace/agency/matches/{match.pk}/propose-pilot/", {"tolerance_until": later}
    )

    assert response.status_code == 404
    assert not Pilot.objects.exists()


def test_agency_home_counts_recommendations_and_interest(matched, agency_user):
    body = page(signed_in(agency_user).get("/workspace/agency/", {"status": "published"}))

    assert "推荐能力" in body
    assert "城市内涝积水智能监测预警" in body


def test_edit_page_of_a_published_need_leads_back_to_the_need(agency_client, agency):
    need = make_need(agency, region="360102", status="published")

    response = agency_client.get(f"/workspace/agency/needs/{need.ref}/edit/", follow=True)

    assert response.redirect_chain[-1][0] == f"/workspace/agency/needs/{need.ref}/"
    assert "已发布的需求不能修改；如需更改，请撤回后复制为新的草稿" in page(response)


@pytest.mark.parametrize("status", ["submitted", "in_review"])
def test_edit_page_of_a_need_under_review_points_to_a_return_not_a_withdrawal(
    agency_client, agency, status
):
    """Withdrawing a need is final (it cannot be submitted again): the way back to editing
    is the committee returning it, and the message says so."""
    need = make_need(agency, region="360102", status=status)

    response = agency_client.get(f"/workspace/agency/needs/{need.ref}/edit/", follow=True)

    assert "请联系工作委员会退回" in page(response)
    assert "请先撤回" not in page(response)


def test_need_form_refuses_a_past_deadline_and_an_absurd_budget(agency_client, agency):
    body = page(
        agency_client.post(
            "/workspace/agency/needs/new/",
            need_data(deadline="2001-01-01", budget_wan="9999999999.99"),
        )
    )

    assert "不能早于今天" in body
    assert 'id="id_deadline_error"' in body
    assert 'id="id_budget_wan_error"' in body
    assert 'class="form-control is-invalid"' in body  # the field is drawn red
    assert not ScenarioNeed.objects.filter(agency=agency).exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_saving_the_edit_form_untouched_changes_nothing(agency_client, agency, language):
    # Localized dates ("2027/06/30") are not valid in a date input: the browser would show
    # it empty and the save would clear the deadline.
    agency_client.cookies["django_language"] = language
    agency_client.post("/workspace/agency/needs/new/", need_data())
    need = ScenarioNeed.objects.get(agency=agency)
    before = dict(ScenarioNeed.objects.filter(pk=need.pk).values().get())
    edit = f"/workspace/agency/needs/{need.ref}/edit/"

    body = page(agency_client.get(edit))
    assert 'value="2027-06-30"' in body
    response = agency_client.post(edit, form_values(body))

    assert response.status_code == 302
    after = dict(ScenarioNeed.objects.filter(pk=need.pk).values().get())
    changed = {k for k in before if before[k] != after[k]}
    assert changed <= {"version", "updated_at"}, changed
    assert str(after["deadline"]) == "2027-06-30"


def test_the_region_picker_offers_the_agencys_jurisdiction_only(agency_client, agency):
    from portal.forms.items import NeedForm

    body = page(agency_client.get("/workspace/agency/needs/new/"))

    assert agency.region_id == "360102"  # a district of Nanchang
    assert 'value="360102"' in body
    assert 'value="360111"' not in body  # another district of Nanchang
    assert 'value="360702"' not in body  # a county of Ganzhou
    assert 'value="360000"' not in body  # the province above the agency
    # Editing an item whose region lies outside (older data) keeps that value choosable.
    form = NeedForm(jurisdictions=["360100"], keep_region="360000")
    codes = [code for code, _label in form.fields["region"].choices]  # type: ignore[attr-defined]
    assert codes[0] == "360000"
    assert "360702" not in codes


def test_an_ended_need_is_copied_as_a_new_draft_of_the_same_agency(
    agency_client, agency, agency_user
):
    import datetime

    from scenarios.services.needs import need_withdraw

    need = make_need(agency, region="360102", chains=["digital-city", "llm-digital-human"])
    ScenarioNeed.objects.filter(pk=need.pk).update(deadline=datetime.date(2020, 1, 1))
    need_withdraw(actor=agency_user, need=need)
    other = signed_in(factories.member(factories.AgencyFactory.create(), "agency_editor"))

    assert other.post(f"/workspace/agency/needs/{need.ref}/copy/").status_code == 404
    response = agency_client.post(f"/workspace/agency/needs/{need.ref}/copy/")

    copy = ScenarioNeed.objects.exclude(pk=need.pk).get(agency=agency)
    assert response["Location"] == f"/workspace/agency/needs/{copy.ref}/edit/"
    assert (copy.status, copy.title, copy.keywords) == ("draft", need.title, need.keywords)
    assert copy.deadline is None  # already past: left for the agency to set
    assert sorted(c.slug for c in copy.chains.all()) == ["digital-city", "llm-digital-human"]
    assert ScenarioNeed.objects.get(pk=need.pk).status == "withdrawn"  # the original stays
    assert AuditEvent.objects.filter(action="need.copy", data__copied_from=need.ref).exists()


def test_a_phone_number_that_is_not_one_is_refused_in_place(agency_client, agency):
    body = page(
        agency_client.post("/workspace/agency/needs/new/", need_data(contact_phone="abc<>"))
    )

    assert 'id="id_contact_phone_error"' in body
    assert "电话号码" in body
    assert 'value="abc&lt;&gt;"' in body  # kept, escaped
    assert not ScenarioNeed.objects.filter(agency=agency).exists()


def test_only_an_ended_need_is_copied_and_old_data_does_not_block_the_copy(
    agency_client, agency, agency_user
):
    from scenarios.services.needs import need_withdraw

    draft = make_need(agency, region="360102")
    response = agency_client.post(f"/workspace/agency/needs/{draft.ref}/copy/", follow=True)
    assert "只有已撤回、未通过或已关闭的需求可以复制" in page(response)
    assert ScenarioNeed.objects.filter(agency=agency).count() == 1

    ended = make_need(agency, region="360102")
    ScenarioNeed.objects.filter(pk=ended.pk).update(
        contact_phone="0791-88888888/13800138000",  # accepted before phones were checked
        keywords=["储能", "超" * 40, *[f"词{n}" for n in range(25)]],
    )
    need_withdraw(actor=agency_user, need=ended)
    agency_client.post(f"/workspace/agency/needs/{ended.ref}/copy/")

    copy = ScenarioNeed.objects.filter(agency=agency, status="draft").exclude(pk=draft.pk).get()
    assert copy.contact_phone == ""
    assert copy.keywords[0] == "储能"
    assert len(copy.keywords) == 20
    assert all(len(k) <= 32 for k in copy.keywords)


def test_an_empty_status_tab_says_so_and_leads_to_all_needs(agency_client, agency):
    make_need(agency, region="360102")

    body = page(agency_client.get("/workspace/agency/", {"status": "published"}))

    assert "这个状态下没有需求" in body
    assert "这里还没有需求" not in body


def test_giving_up_a_draft_says_so_and_a_copy_is_named_in_the_history(
    agency_client, agency, agency_user
):
    from scenarios.services.needs import need_withdraw

    # given: a draft, and a withdrawn need
    draft = make_need(agency, region="360102")
    ended = make_need(agency, region="360102")
    need_withdraw(actor=agency_user, need=ended)

    # when: the draft is given up (the page's button says 放弃草稿) and the other copied
    given_up = agency_client.post(
        f"/workspace/agency/needs/{draft.ref}/withdraw/",
        {"version": str(draft.version)},
        follow=True,
    )
    agency_client.post(f"/workspace/agency/needs/{ended.ref}/copy/")
    copy = ScenarioNeed.objects.filter(agency=agency, status="draft").get()
    copied = page(agency_client.get(f"/workspace/agency/needs/{copy.ref}/"))

    # then: the message and the draft's history say 放弃草稿, not 撤回; the copy's history
    # names the copy (it showed the code need.copy)
    body = page(given_up)
    assert "已放弃草稿。" in body
    assert '<div class="fw-semibold">放弃草稿 · 草稿 → 已撤回</div>' in body
    assert "need.copy" not in copied
    assert "复制为新草稿" in copied


def test_a_too_long_title_is_refused_in_plain_chinese(agency_client):
    # Django's own zh_Hans words were "确保该变量包含不超过 200 字符" ("variable")
    response = agency_client.post("/workspace/agency/needs/new/", need_data(title="长" * 300))

    body = page(response)
    assert "最多 200 个字（现有 300 个）。" in body
    assert "该变量" not in body
    assert not ScenarioNeed.objects.exists()


def test_a_new_need_form_sent_again_creates_nothing_more(agency_client, agency):
    # given: the form as drawn (with its token), saved once
    drawn = form_values(page(agency_client.get("/workspace/agency/needs/new/")))
    token = drawn["once"][0]
    agency_client.post("/workspace/agency/needs/new/", need_data(once=token))
    need = ScenarioNeed.objects.get(agency=agency)

    # when: the browser's Back, a changed title and 保存 send the same form again
    again = agency_client.post(
        "/workspace/agency/needs/new/", need_data(once=token, title="后退后改过的名称")
    )

    # then: one need; the form says which one it saved and keeps what was typed
    body = page(again)
    assert ScenarioNeed.objects.filter(agency=agency).count() == 1
    assert f"这份表单已保存为 {need.ref}，没有再新建一条" in body
    assert 'value="后退后改过的名称"' in body
    # a new form (another token) creates another
    agency_client.post("/workspace/agency/needs/new/", need_data(once="another"))
    assert ScenarioNeed.objects.filter(agency=agency).count() == 2


def test_a_form_being_saved_by_another_request_creates_nothing_more(
    agency_client, agency, agency_user
):
    from django.core.cache import cache

    # given: another request holding the form's token (four sends at once)
    cache.add(f"portal:form-once:{agency_user.pk}:busy", 1, 60)

    # when
    response = agency_client.post("/workspace/agency/needs/new/", need_data(once="busy"))

    # then
    assert "这份表单正在保存" in page(response)
    assert not ScenarioNeed.objects.filter(agency=agency).exists()
    cache.delete(f"portal:form-once:{agency_user.pk}:busy")


def test_a_refused_form_can_be_corrected_and_saved_with_its_token(agency_client, agency):
    refused = agency_client.post(
        "/workspace/agency/needs/new/", need_data(once="t", deadline="2020-01-01")
    )
    saved = agency_client.post("/workspace/agency/needs/new/", need_data(once="t"))

    assert "不能早于今天" in page(refused)
    assert saved.status_code == 302
    assert ScenarioNeed.objects.filter(agency=agency).count() == 1


def test_a_pilot_proposed_from_a_page_drawn_before_a_rematch_uses_the_current_row(
    matched, agency_user
):
    from tests.portal.test_firm import rematch

    # given: a shortlisted, interested recommendation, and its card's address from before
    # a new full run (which gave the pair a new row)
    need = matched["needs"][0]
    old = Match.objects.current().filter(need=need, recommended=True).order_by("rank")[0]
    pair_respond(
        actor=factories.member(old.capability.firm, "firm_editor"), match=old, interested=True
    )
    client = signed_in(agency_user)
    client.post(f"/workspace/agency/matches/{old.pk}/shortlist/", {"shortlisted": "1"})
    rematch()
    current = Match.objects.current().get(need=need, capability=old.capability)
    assert current.pk != old.pk

    # when
    later = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    client.post(
        f"/workspace/agency/matches/{old.pk}/propose-pilot/",
        {"tolerance_until": later},
        HTTP_HX_REQUEST="true",
    )

    # then: the pilot names the pair's current row as its source
    assert Pilot.objects.get().source_match_id == current.pk


def test_an_edit_saved_after_the_need_was_submitted_elsewhere_keeps_what_was_typed(
    agency_client, agency, agency_user
):
    # given: the edit form open in one tab, the need submitted from another
    need = make_need(agency, region="360102")
    drawn = form_values(page(agency_client.get(f"/workspace/agency/needs/{need.ref}/edit/")))
    need_submit(actor=agency_user, need=need)

    # when: the first tab saves its change
    data = {k: v if len(v) > 1 else v[0] for k, v in drawn.items()}
    response = agency_client.post(
        f"/workspace/agency/needs/{need.ref}/edit/", {**data, "title": "提交后在另一标签页修改"}
    )

    # then: nothing saved, the reason beside the form, and what was typed still in it (the
    # page sent the user away with "当前状态下不能修改" and the typing was gone)
    body = page(response)
    need.refresh_from_db()
    assert need.title != "提交后在另一标签页修改"
    assert "修改没有保存" in body
    assert 'value="提交后在另一标签页修改"' in body


def test_the_platforms_notes_in_the_trail_are_in_the_readers_language(
    agency_client, agency, agency_user, province_reviewer
):
    """A need submitted from an English page stored "The budget reaches the major-scenario
    line…" and Chinese readers read it in English (and the reverse)."""
    from django.utils import translation

    from scenarios.services.policy import policy_update

    policy_update(actor=province_reviewer, major_budget_threshold_cny=1_000_000)
    need = make_need(agency, region="360102", budget_cny=6_000_000)
    with translation.override("en"):
        need = need_submit(actor=agency_user, need=need)
    stored = AuditEvent.objects.get(action="need.review_open", target_id=str(need.pk)).reason
    assert stored.startswith("The budget reaches the major-scenario line")

    agency_client.cookies["django_language"] = "zh-hans"
    chinese = page(agency_client.get(f"/workspace/agency/needs/{need.ref}/"))
    agency_client.cookies["django_language"] = "en"
    english = page(agency_client.get(f"/workspace/agency/needs/{need.ref}/"))

    assert "预算达到重大场景标准（100 万元及以上）" in chinese
    assert "The budget reaches the major-scenario line" not in chinese
    assert "The budget reaches the major-scenario line (CNY 100 × 10,000" in english
    assert "预算达到重大场景标准" not in english


def test_a_budget_in_exponent_notation_is_refused_and_the_major_line_is_said(agency_client, agency):
    """ "1e3" was read as 1,000 万元 and the need went to the province; nothing on the form
    said where the major line lies."""
    form = page(agency_client.get("/workspace/agency/needs/new/"))
    assert "预算达到 500 万元及以上的需求，提交后自动列为重大场景" in form

    response = agency_client.post("/workspace/agency/needs/new/", need_data(budget_wan="1e3"))

    assert response.status_code == 200
    assert "请输入金额（万元）" in page(response)
    assert not ScenarioNeed.objects.filter(agency=agency).exists()
