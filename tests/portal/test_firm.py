"""The firm workspace: profile and verification, capabilities through the form, the needs
recommended to the firm with their explanations and its answer."""

import pytest

from matching.models import Match, PairReview
from scenarios.models import Capability
from scenarios.services.capabilities import capability_submit
from scenarios.services.negative_list import negative_entry_create
from tests import factories
from tests.portal.conftest import capability_data, form_values, signed_in
from tests.scenarios.helpers import make_capability

pytestmark = pytest.mark.django_db


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_firm_registers_and_submits_a_capability(firm_client, firm):
    response = firm_client.post("/workspace/firm/capabilities/new/", capability_data())

    cap = Capability.objects.get(firm=firm)
    assert response["Location"] == f"/workspace/firm/capabilities/{cap.ref}/"
    assert cap.status == "draft"
    assert cap.past_cases == ["南昌市红谷滩区排水监测项目", "九江市主城区试点"]
    assert cap.certifications == ["high_tech"]

    response = firm_client.post(
        f"/workspace/firm/capabilities/{cap.ref}/submit/",
        {"version": str(cap.version)},
        follow=True,
    )
    cap.refresh_from_db()
    assert cap.status == "published"  # a verified firm publishes at once
    assert "已发布到能力清单" in page(response)


def test_unverified_firm_is_told_its_capability_waits(firm_user):
    firm = factories.FirmFactory.create(verified_at=None)
    user = factories.member(firm, "firm_editor")
    client = signed_in(user)
    client.post("/workspace/firm/capabilities/new/", capability_data())
    cap = Capability.objects.get(firm=firm)

    response = client.post(f"/workspace/firm/capabilities/{cap.ref}/submit/", follow=True)

    cap.refresh_from_db()
    assert cap.status == "submitted"
    assert "认证" in page(response)
    assert "企业待认证" in page(client.get("/workspace/firm/"))

    # While it waits, the firm may take it back to change it.
    body = page(client.get(f"/workspace/firm/capabilities/{cap.ref}/"))
    assert f'action="/workspace/firm/capabilities/{cap.ref}/withdraw/"' in body
    client.post(f"/workspace/firm/capabilities/{cap.ref}/withdraw/", {"version": cap.version})
    cap.refresh_from_db()
    assert cap.status == "withdrawn"
    assert client.get(f"/workspace/firm/capabilities/{cap.ref}/edit/").status_code == 200


def test_capability_hitting_the_negative_list_comes_back_with_the_reason(
    firm_client, firm, province_reviewer
):
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="液位传感", reason="该技术已列入淘汰目录"
    )
    firm_client.post("/workspace/firm/capabilities/new/", capability_data())
    cap = Capability.objects.get(firm=firm)

    firm_client.post(f"/workspace/firm/capabilities/{cap.ref}/submit/")

    cap.refresh_from_db()
    assert cap.status == "returned"
    assert "淘汰目录" in page(firm_client.get(f"/workspace/firm/capabilities/{cap.ref}/"))


def test_capability_form_errors_keep_the_input(firm_client, firm):
    body = page(
        firm_client.post(
            "/workspace/firm/capabilities/new/",
            capability_data(title="", capacity="0", description="请保留这段能力描述"),
        )
    )

    assert 'id="id_title_error"' in body
    assert 'id="id_capacity_error"' in body
    assert "请保留这段能力描述" in body
    assert not Capability.objects.filter(firm=firm).exists()


def test_capability_form_shows_the_text_rules_with_the_other_errors(firm_client, firm):
    # given: a title and a past case of zero-width spaces, and a capacity of 0
    data = capability_data(title="\u200b", past_cases="九江试点\n\u200b\u200b", capacity="0")

    body = page(firm_client.post("/workspace/firm/capabilities/new/", data))

    # then: all three are marked in this first round
    assert 'id="id_title_error"' in body
    assert 'id="id_past_cases_error"' in body
    assert 'id="id_capacity_error"' in body
    assert body.count("只有空白或不可见字符") == 2
    assert not Capability.objects.filter(firm=firm).exists()


def test_capability_form_counts_the_past_cases_with_the_other_errors(firm_client, firm):
    # given: 21 past cases and an empty title
    cases = "\n".join(f"试点项目{n:02d}" for n in range(21))

    body = page(
        firm_client.post(
            "/workspace/firm/capabilities/new/", capability_data(title="", past_cases=cases)
        )
    )

    # then: both are marked in this first round, the cases as typed
    assert 'id="id_title_error"' in body
    assert 'id="id_past_cases_error"' in body
    assert "最多20项，每项最多200字。" in body
    assert "试点项目20</textarea>" in body
    assert not Capability.objects.filter(firm=firm).exists()


def crlf_text(length: int, lines: int, word: str = "液位监测") -> str:
    """``length`` characters as a browser counts them (each line break one), sent with the
    CRLF line breaks a browser submits."""
    line = (word * length)[: (length - (lines - 1)) // lines]
    text = "\n".join([line] * lines)
    text += word[0] * (length - len(text))
    assert len(text) == length
    return text.replace("\n", "\r\n")


def test_line_breaks_a_browser_sends_count_once_against_the_limits(firm_client, firm):
    # given: a description of 5,000 characters in 74 lines and 20 past cases of 200
    # characters spaced by blank lines, 4,200 in all, as a browser sends them (CRLF), each
    # within its box's maxlength
    description = crlf_text(5000, 74)
    cases = "".join(f"试点项目{n:02d}" + "案" * 194 + "\r\n" * 10 for n in range(20))
    assert len(cases.replace("\r\n", "\n")) == 4200

    response = firm_client.post(
        "/workspace/firm/capabilities/new/",
        capability_data(description=description, past_cases=cases),
    )

    # then: saved, with one LF per line break
    assert response.status_code == 302, response.content.decode()[:2000]
    cap = Capability.objects.get(firm=firm)
    assert cap.description == description.replace("\r\n", "\n")
    assert len(cap.past_cases) == 20


def test_stale_capability_edit_keeps_both_versions_visible(firm_client, firm, firm_user):
    cap = make_capability(firm)
    seen = cap.version
    from scenarios.services.capabilities import capability_update

    capability_update(
        actor=firm_user, capability=cap, expected_version=seen, title="同事保存的能力名称"
    )

    body = page(
        firm_client.post(
            f"/workspace/firm/capabilities/{cap.ref}/edit/",
            capability_data(title="我的新名称", version=str(seen)),
        )
    )

    cap.refresh_from_db()
    assert cap.title == "同事保存的能力名称"
    assert "已在别处被修改" in body
    assert 'value="我的新名称"' in body


def test_firm_withdraws_a_published_capability(firm_client, firm):
    cap = capability_submit(actor=None, capability=make_capability(firm))

    firm_client.post(
        f"/workspace/firm/capabilities/{cap.ref}/withdraw/",
        {"version": str(cap.version), "reason": "产品线调整"},
    )

    cap.refresh_from_db()
    assert cap.status == "withdrawn"


def test_unverified_firm_edits_its_profile_and_errors_stay_in_place():
    firm = factories.FirmFactory.create(verified_at=None)
    client = signed_in(factories.member(firm, "firm_editor"))

    response = client.post(
        "/workspace/firm/profile/", {"name": "改名后的科技有限公司", "contact_name": "赵"}
    )
    firm.refresh_from_db()
    assert response.status_code == 302
    assert firm.name == "改名后的科技有限公司"

    body = page(client.post("/workspace/firm/profile/", {"name": ""}))
    assert 'id="id_name_error"' in body


def test_verified_firm_keeps_its_verified_name(firm_client, firm, firm_user):
    from accounts.services.organizations import organization_update
    from core.errors import InvalidInput

    name = firm.name
    response = firm_client.post(
        "/workspace/firm/profile/", {"name": "华为技术有限公司", "contact_name": "赵"}
    )

    firm.refresh_from_db()
    assert response.status_code == 302
    assert (firm.name, firm.contact_name) == (name, "赵")  # contacts change, the name does not
    with pytest.raises(InvalidInput):
        organization_update(actor=firm_user, organization=firm, name="华为技术有限公司")


def test_another_firm_cannot_see_or_change_the_capability(firm):
    cap = make_capability(firm)
    other = signed_in(factories.member(factories.FirmFactory.create(), "firm_editor"))

    assert other.get(f"/workspace/firm/capabilities/{cap.ref}/").status_code == 404
    assert other.get(f"/workspace/firm/capabilities/{cap.ref}/edit/").status_code == 404
    assert other.post(f"/workspace/firm/capabilities/{cap.ref}/submit/").status_code == 404
    cap.refresh_from_db()
    assert cap.status == "draft"


def firm_of_top_match(matched):
    match = Match.objects.current().filter(recommended=True).order_by("need_id", "rank")[0]
    return match, factories.member(match.capability.firm, "firm_editor")


def test_firm_reads_its_recommendations_with_explanations(matched):
    match, user = firm_of_top_match(matched)
    client = signed_in(user)

    listing = page(client.get("/workspace/firm/recommendations/"))
    assert match.need.title in listing
    assert "匹配得分" in listing

    detail = page(client.get(f"/workspace/firm/recommendations/{match.pk}/"))
    assert "技术成熟度" in detail
    assert "文本相关度" in detail
    assert match.need.agency.name in detail


def test_firm_answers_interested_with_a_note(matched, agency_user):
    match, user = firm_of_top_match(matched)
    client = signed_in(user)

    response = client.post(
        f"/workspace/firm/recommendations/{match.pk}/",
        {"interested": "1", "note": "团队可两周内进场"},
        follow=True,
    )

    review = PairReview.objects.get(need=match.need, capability=match.capability)
    assert (review.firm_response, review.firm_note) == ("interested", "团队可两周内进场")
    assert "已答复" in page(response)
    assert agency_user.notifications.filter(verb="match.firm_response").exists()
    again = page(client.get(f"/workspace/firm/recommendations/{match.pk}/"))
    assert "您的说明：团队可两周内进场" in again  # the firm sees what it wrote


def test_a_firm_note_of_500_characters_with_line_breaks_is_taken(matched):
    # given: a note of 500 characters in 3 lines, sent with a browser's CRLF line breaks
    match, user = firm_of_top_match(matched)
    note = crlf_text(500, 3, word="团队可两周内进场")

    signed_in(user).post(
        f"/workspace/firm/recommendations/{match.pk}/", {"interested": "1", "note": note}
    )

    # then: the answer is saved, its note with LF line breaks
    review = PairReview.objects.get(need=match.need, capability=match.capability)
    assert review.firm_response == "interested"
    assert review.firm_note == note.replace("\r\n", "\n")


def test_the_firms_note_shows_with_its_line_breaks(matched):
    # given: a note of two lines, the second indented
    match, user = firm_of_top_match(matched)
    client = signed_in(user)
    client.post(
        f"/workspace/firm/recommendations/{match.pk}/",
        {"interested": "1", "note": "团队可两周内进场\r\n  • 需要现场电源"},
    )

    # when: the firm opens the recommendation again
    body = page(client.get(f"/workspace/firm/recommendations/{match.pk}/"))

    # then: the note is in an element that keeps its line breaks and indentation
    shown = '<p class="mb-2 small user-text">您的说明：团队可两周内进场\n  • 需要现场电源</p>'
    assert shown in body


def test_firm_answer_without_a_choice_is_refused_in_place(matched):
    match, user = firm_of_top_match(matched)

    body = page(
        signed_in(user).post(f"/workspace/firm/recommendations/{match.pk}/", {"note": "备注"})
    )

    assert 'id="id_interested_error"' in body or "该字段是必填项" in body
    assert "备注" in body
    assert not PairReview.objects.filter(firm_response__in=["interested", "declined"]).exists()


def test_firm_cannot_open_another_firms_recommendation(matched):
    match, _user = firm_of_top_match(matched)
    other = signed_in(factories.member(factories.FirmFactory.create(), "firm_editor"))

    assert other.get(f"/workspace/firm/recommendations/{match.pk}/").status_code == 404
    response = other.post(f"/workspace/firm/recommendations/{match.pk}/", {"interested": "1"})
    assert response.status_code == 404


def test_a_withdrawn_need_leaves_the_firms_recommendations(matched, agency_user):
    from core.errors import InvalidTransition
    from matching.services.recommendations import pair_respond
    from scenarios.services.needs import need_withdraw

    match, user = firm_of_top_match(matched)
    need_withdraw(actor=agency_user, need=match.need, reason="计划调整")
    client = signed_in(user)

    assert match.need.title not in page(client.get("/workspace/firm/recommendations/"))
    assert client.get(f"/workspace/firm/recommendations/{match.pk}/").status_code == 404
    api_ids = [m["id"] for m in client.get("/api/v1/matches/").json()["results"]]
    assert match.pk not in api_ids  # nor in the API's list (issue 12, item 15)
    with pytest.raises(InvalidTransition):
        pair_respond(actor=user, match=match, interested=True)
    assert not PairReview.objects.filter(firm_response="interested").exists()


@pytest.mark.parametrize("page_name", ["capabilities/{ref}/edit/", "profile/"])
def test_saving_firm_forms_untouched_changes_nothing(firm_client, firm, page_name):
    firm_client.cookies["django_language"] = "zh-hans"
    firm_client.post("/workspace/firm/capabilities/new/", capability_data())
    cap = Capability.objects.get(firm=firm)
    rows = [
        Capability.objects.filter(pk=cap.pk).values().get(),
        type(firm).objects.filter(pk=firm.pk).values().get(),
    ]
    url = "/workspace/firm/" + page_name.format(ref=cap.ref)

    response = firm_client.post(url, form_values(page(firm_client.get(url))))

    assert response.status_code == 302
    after = [
        Capability.objects.filter(pk=cap.pk).values().get(),
        type(firm).objects.filter(pk=firm.pk).values().get(),
    ]
    for old, new in zip(rows, after, strict=True):
        changed = {k for k in old if old[k] != new[k]}
        assert changed <= {"version", "updated_at"}, changed


def test_a_capability_suspended_with_its_firm_says_so_in_the_readers_language(
    firm, firm_user, platform_admin
):
    from django.conf import settings

    from scenarios.services.firms import organization_suspend

    cap = capability_submit(actor=None, capability=make_capability(firm))
    organization_suspend(actor=platform_admin, organization=firm, reason="资质证明过期")
    client = signed_in(firm_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(f"/workspace/firm/capabilities/{cap.ref}/").content.decode()

    assert "资质证明过期" in page  # the committee's words as typed
    assert "企业被暂停" not in page  # no Chinese the platform added


def test_a_new_capability_form_sent_again_creates_nothing_more(firm_client, firm):
    from tests.portal.conftest import capability_data

    first = firm_client.post("/workspace/firm/capabilities/new/", capability_data(once="t1"))
    again = firm_client.post("/workspace/firm/capabilities/new/", capability_data(once="t1"))

    cap = Capability.objects.get(firm=firm)
    assert first["Location"] == f"/workspace/firm/capabilities/{cap.ref}/"
    assert f"这份表单已保存为 {cap.ref}" in again.content.decode()


def rematch():
    """A later full matching run: every (need, capability) pair gets a new row and id."""
    from matching.services import runs
    from tests.matching.world import run_inline

    run_inline(runs.match_run_request(scope="full"))


def test_a_recommendation_link_keeps_working_after_a_rematch(matched):
    # Given a firm's recommendation and its link by row id, as mails and bookmarks carry it
    match, user = firm_of_top_match(matched)
    client = signed_in(user)
    old_url = f"/workspace/firm/recommendations/{match.pk}/"
    assert client.get(old_url).status_code == 200

    # When a later run gives the same pair a new row
    rematch()
    current = Match.objects.current().get(need=match.need, capability=match.capability)
    assert current.pk != match.pk

    # Then the old link leads to the pair's lasting address, which shows the recommendation
    response = client.get(old_url)
    pair_url = f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/"
    assert response.status_code == 302
    assert response["Location"] == pair_url
    assert match.need.title in page(client.get(pair_url))
    # and the lists link to the lasting address
    assert f'href="{pair_url}"' in page(client.get("/workspace/firm/recommendations/"))
    assert f'href="{pair_url}"' in page(client.get("/workspace/firm/"))
    # and an answer posted to the old address reaches the pair
    answered = client.post(old_url, {"interested": "1", "note": "可以进场"})
    assert answered.status_code == 302
    review = PairReview.objects.get(need=match.need, capability=match.capability)
    assert review.firm_response == "interested"
    # and the pair's address survives another run
    rematch()
    assert "可以进场" in page(client.get(pair_url))


def test_another_firm_cannot_open_a_recommendation_by_its_pair(matched):
    match, _user = firm_of_top_match(matched)
    other = signed_in(factories.member(factories.FirmFactory.create(), "firm_editor"))
    rematch()

    pair_url = f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/"
    assert other.get(pair_url).status_code == 404
    assert other.get(f"/workspace/firm/recommendations/{match.pk}/").status_code == 404
    assert other.post(pair_url, {"interested": "1"}).status_code == 404


@pytest.fixture
def pilot_of_firm(matched, agency_user, city_reviewer):
    """The firm of the top recommendation answered, was shortlisted, and its pilot runs."""
    import datetime as dt

    from django.utils import timezone

    from matching.services.recommendations import pair_shortlist
    from scenarios.services.pilots import pilot_start, pilot_update_milestones

    match, user = firm_of_top_match(matched)
    signed_in(user).post(f"/workspace/firm/recommendations/{match.pk}/", {"interested": "1"})
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    pilot = pilot_start(
        actor=city_reviewer,
        need=match.need,
        capability=match.capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=90),
        source_match_id=match.pk,
    )
    pilot = pilot_update_milestones(
        actor=agency_user,
        pilot=pilot,
        milestones=[{"title": "现场部署", "done": True}, {"title": "联调验收"}],
        expected_version=pilot.version,
    )
    return pilot, user


def test_firm_follows_its_pilot_from_the_home_page_and_the_notifications(pilot_of_firm):
    # Given a running pilot of the firm's capability
    pilot, user = pilot_of_firm
    client = signed_in(user)
    url = f"/workspace/firm/pilots/{pilot.pk}/"

    # When the firm opens 我的试点 on its home page
    assert f'href="{url}"' in page(client.get("/workspace/firm/"))
    body = page(client.get(url))

    # Then it reads the pilot: state, the need with its public page, the agency, the
    # tolerance period, the milestones and their state, and what comes next
    assert "验证中" in body
    assert f'href="/opportunities/{pilot.need.ref}/"' in body
    assert pilot.need.agency.name in body
    assert "包容期至" in body
    assert "现场部署" in body
    assert "联调验收" in body
    assert "已完成" in body
    assert "下一步" in body
    assert 'name="action"' not in body  # read-only: the agency records the pilot
    # and the notifications about the pilot and the shortlisting open it too
    started = user.notifications.get(verb="pilot.started")
    shortlisted = user.notifications.get(verb="match.shortlisted")
    go = f"/notifications/go/{started.target_type}/{started.target_id}/"
    assert client.get(go)["Location"] == url
    go = f"/notifications/go/{shortlisted.target_type}/{shortlisted.target_id}/"
    assert client.get(go)["Location"] == url


def test_another_firms_pilot_is_not_found(pilot_of_firm, agency_user):
    pilot, _user = pilot_of_firm
    other = signed_in(factories.member(factories.FirmFactory.create(), "firm_editor"))

    assert other.get(f"/workspace/firm/pilots/{pilot.pk}/").status_code == 404
    # nor is the agency's own pilot a firm page for the agency
    assert signed_in(agency_user).get(f"/workspace/firm/pilots/{pilot.pk}/").status_code == 404


def test_a_shortlisting_before_any_pilot_leads_to_the_recommendation(matched, agency_user):
    from matching.services.recommendations import pair_shortlist

    # Given a recommendation the agency shortlisted
    match, user = firm_of_top_match(matched)
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    note = user.notifications.get(verb="match.shortlisted")

    # When the firm opens the notification
    response = signed_in(user).get(f"/notifications/go/matching.pairreview/{note.target_id}/")

    # Then it lands on the recommendation, not on its home page
    pair_url = f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/"
    assert response["Location"] == pair_url


def test_the_firm_hears_of_each_change_of_what_it_was_told_about_the_shortlist(
    matched, agency_user
):
    from matching.services.recommendations import pair_shortlist

    match, user = firm_of_top_match(matched)

    def told() -> list[str]:
        return list(user.notifications.order_by("id").values_list("verb", flat=True))

    before = told()
    # Taken off a shortlist it was never on: no news
    pair_shortlist(actor=agency_user, match=match, shortlisted=False)
    assert told() == before

    # In, out and in again: each is news, and the removal says what it is
    for shortlisted in (True, False, True):
        pair_shortlist(actor=agency_user, match=match, shortlisted=shortlisted)
    assert told()[len(before) :] == [
        "match.shortlisted",
        "match.unshortlisted",
        "match.shortlisted",
    ]
    removal = user.notifications.get(verb="match.unshortlisted")
    page = signed_in(user).get("/notifications/").content.decode()
    assert f"已不在“{match.need.title}”的入围名单中" in page
    assert "已移出入围" in page
    go = signed_in(user).get(f"/notifications/go/{removal.target_type}/{removal.target_id}/")
    pair_url = f"/workspace/firm/recommendations/{match.need.ref}/{match.capability.ref}/"
    assert go["Location"] == pair_url
    # and the page it opens says where the pair stands (before any answer of the firm's)
    state = signed_in(user).get(pair_url).content.decode().split('id="shortlist-state"')[1]
    assert "已列入" in state.split("</p>")[0]
    pair_shortlist(actor=agency_user, match=match, shortlisted=False)
    state = signed_in(user).get(pair_url).content.decode().split('id="shortlist-state"')[1]
    assert "未列入" in state.split("</p>")[0]


def test_editing_a_published_or_submitted_capability_says_what_to_do(firm_client, firm):
    # Given a published capability
    cap = capability_submit(actor=None, capability=make_capability(firm))
    assert cap.status == "published"

    # When the firm opens its edit page
    response = firm_client.get(f"/workspace/firm/capabilities/{cap.ref}/edit/", follow=True)

    # Then it is sent back to the capability, told to withdraw it first
    assert response.redirect_chain[-1][0] == f"/workspace/firm/capabilities/{cap.ref}/"
    assert "已发布的能力需先撤回才能修改" in page(response)

    # and a submitted one waits for the committee
    Capability.objects.filter(pk=cap.pk).update(status="submitted")
    response = firm_client.get(f"/workspace/firm/capabilities/{cap.ref}/edit/", follow=True)
    assert "正在等待工作委员会审核" in page(response)


def test_the_firms_capability_page_says_what_the_committee_checked(firm_client, firm):
    """A committee verified 首台（套） only and a capacity of 2: the firm's own page showed
    every claimed certification as the same green badge, and a capacity of 3."""
    firm.verified_certifications = ["first_of_kind"]
    firm.verified_capacity = 2
    firm.save()
    cap = make_capability(firm, certifications=["first_of_kind", "specialized_sme"], capacity=3)

    body = page(firm_client.get(f"/workspace/firm/capabilities/{cap.ref}/"))

    assert '首台（套）<span class="text-nowrap">（已核验）</span>' in body
    assert '专精特新<span class="text-nowrap">（企业自报）</span>' in body
    assert "未经核验的部分不计入撮合配额" in body
