"""The agency's journey on a phone (390x844, touch), as a reviewer walked it: the pilot's
milestone rows, a returned need's reason, the unread count behind the folded menu, tap
targets, concluding a pilot, where notifications lead, the need form's private box. The
browser, the visitor and its checks are those of ``test_browser``."""

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import Organization
from matching.models import Match
from reference.models import Region
from scenarios.models import Pilot
from scenarios.services.capabilities import capability_submit
from scenarios.services.needs import need_submit
from scenarios.services.pilots import pilot_start
from scenarios.services.reviews import need_return, review_decide
from tests import factories
from tests.portal import test_browser as shared
from tests.portal.test_browser import DESKTOP, PHONE, Visitor
from tests.scenarios.helpers import make_capability, make_need

pytestmark = shared.pytestmark
browser = shared.browser  # the module's Chromium, shared by these tests


def committee_member(region: str, username: str) -> Any:
    return factories.member(
        Organization.objects.get(committee__region_id=region),
        "committee_member",
        username=username,
    )


def published_need(agency: Any, user: Any, **values: Any) -> Any:
    """A need of ``agency`` submitted by ``user`` and approved by the county and the city."""
    county = committee_member("360102", f"county-{agency.pk}")
    city = committee_member("360100", f"city-{agency.pk}")
    need = need_submit(actor=user, need=make_need(agency, region="360102", **values))
    need = review_decide(actor=county, need=need, decision="approved")
    return review_decide(actor=city, need=need, decision="approved")


def running_pilot(agency: Any, user: Any) -> Pilot:
    """A published need of ``agency`` with a running pilot, started by the city committee."""
    need = published_need(agency, user)
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360111"))
    capability = capability_submit(actor=None, capability=make_capability(firm))
    return pilot_start(
        actor=committee_member("360100", f"city-pilot-{agency.pk}"),
        need=need,
        capability=capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=60),
        milestones=[{"title": "第一阶段部署", "done": True}, {"title": "验收"}],
    )


def signed_in_agency(browser: Any, base: str, name: str) -> tuple[Any, Any, Visitor]:
    """An agency, its editor and the editor's signed-in browser."""
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(agency, "agency_editor", username=f"agency-{name}")
    visitor = Visitor(browser, base, name)
    visitor.sign_in(user.username)
    return agency, user, visitor


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def test_milestone_rows_stack_on_a_phone_also_after_a_refused_save(live_server, browser, reference):
    """The name, the date and 已完成 shared one line: the name box was 86 px wide, and
    after a refused save (a date outside the pilot's period) 47 px, showing "第-"."""
    agency, user, visitor = signed_in_agency(browser, live_server.url, "milestones")
    pilot = running_pilot(agency, user)
    page = visitor.open(f"/workspace/agency/pilots/{pilot.pk}/", "agency-pilot-milestones")

    def assert_stacked() -> None:
        page.set_viewport_size(PHONE)
        name, due, done = (box(page, f"#id_m-0-{f}") for f in ("title", "due", "done"))
        card = box(page, "#ms-title")  # the heading spans the card's inner width
        assert name["width"] >= card["width"] - 16, (name, card)
        assert due["y"] >= name["y"] + name["height"]  # the date below the name
        assert done["y"] >= name["y"] + name["height"]
        page.set_viewport_size(DESKTOP)
        name, due, done = (box(page, f"#id_m-0-{f}") for f in ("title", "due", "done"))
        # The desktop keeps its table: one line per milestone.
        assert abs(name["y"] + name["height"] / 2 - (due["y"] + due["height"] / 2)) < 4
        assert due["x"] > name["x"] + name["width"]
        assert done["x"] > due["x"] + due["width"]

    assert_stacked()

    # when: a date after the tolerance period is saved
    page.fill("#id_m-1-due", (pilot.tolerance_until + dt.timedelta(days=30)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="保存里程碑").click()

    # then: refused, the rows are still stacked with the message under the name
    assert "里程碑日期不在试点期内" in page.content()
    visitor.check("agency-pilot-milestones-refused")
    assert_stacked()
    assert visitor.close() == []


def test_a_returned_need_says_why_in_the_first_screen_and_the_unread_count_shows(
    live_server, browser, reference
):
    """On a phone the page header said only 已退回 (the reason was in the trail ~4,000 px
    down, and not on the edit form), and the unread count was folded away behind ☰."""
    agency, user, visitor = signed_in_agency(browser, live_server.url, "returned")
    county = committee_member("360102", "county-returns")
    need = need_submit(actor=user, need=make_need(agency, region="360102"))
    need_return(actor=county, need=need, comment="请补充预算测算依据")
    page = visitor.open(f"/workspace/agency/needs/{need.ref}/", "agency-need-returned")

    # then: at phone size, the reason is in the first screen, beside 修改 and 提交审核
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    notice = page.get_by_role("region", name="南昌市东湖区场景应用创新工作委员会（县级）退回修改")
    assert "退回理由：请补充预算测算依据" in notice.inner_text()
    assert notice.bounding_box()["y"] + notice.bounding_box()["height"] <= PHONE["height"]
    assert page.get_by_role("link", name="修改", exact=True).is_visible()

    # and: the unread count beside the folded menu, read with what it counts
    named = page.get_by_role("link", name="通知 1 条未读")
    assert named.count() == 1  # the folded menu's own link is hidden
    counter = page.locator(".site-header .nav-unread")
    assert named.evaluate("e => e.classList.contains('nav-unread')")
    assert counter.is_visible()
    toggler = box(page, ".navbar-toggler")
    found = counter.bounding_box()
    assert found["y"] < toggler["y"] + toggler["height"]
    assert found["height"] >= 40
    page.click(".navbar-toggler")
    page.locator("#site-nav.show").wait_for()
    assert not counter.is_visible()  # the open menu says it itself
    page.click(".navbar-toggler")
    page.locator("#site-nav:not(.collapsing):not(.show)").wait_for(state="attached")

    # and: the edit form says it too
    page.get_by_role("link", name="修改", exact=True).click()
    page = visitor.check("agency-need-returned-edit")
    assert "退回理由：请补充预算测算依据" in page.inner_text("#need-returned")

    # and: at desktop size the menu's own link counts, the one beside ☰ is hidden
    page.set_viewport_size(DESKTOP)
    assert not counter.is_visible()
    assert page.locator("#site-nav").get_by_role("link", name="通知").is_visible()
    page.set_viewport_size(PHONE)
    with page.expect_navigation():
        counter.click()
    assert page.url.endswith("/notifications/")
    assert visitor.close() == []


def test_the_need_form_keeps_its_private_box_legend_inside_the_box(live_server, browser, reference):
    """The legend 不公开的信息（仅本单位与审核委员会可见） sat on the box's border and, wrapped
    on a phone, the border ran through it."""
    _agency, _user, visitor = signed_in_agency(browser, live_server.url, "legend")
    page = visitor.open("/workspace/agency/needs/new/", "agency-need-new-legend")
    legend = page.get_by_text("不公开的信息（仅本单位与审核委员会可见）")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        fieldset = legend.locator("xpath=..")
        inset = fieldset.evaluate(
            "f => parseFloat(getComputedStyle(f).borderTopWidth)"
            " + parseFloat(getComputedStyle(f).paddingTop)"
        )
        outer, inner = fieldset.bounding_box(), legend.bounding_box()
        # then: the legend lies inside the border, above the box's first field
        assert inner["y"] >= outer["y"] + inset - 0.5, (size, outer, inner)
        assert inner["x"] >= outer["x"]
        assert inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        assert inner["y"] + inner["height"] <= box(page, "#id_contact_name")["y"]
    assert visitor.close() == []


def test_tap_targets_of_the_chips_and_the_shortlist_card_on_a_phone(
    live_server, browser, reference
):
    """A chip's × was 27x16 px, the shortlist buttons 31 px tall and the summaries
    (提议开展试点…, 评分明细) a line of small text."""
    agency, user, visitor = signed_in_agency(browser, live_server.url, "taps")
    page = visitor.open("/workspace/agency/needs/new/", "agency-need-new-chips")
    tags = page.locator("#id_keywords-entry")
    for word in ("液位传感", "内涝预警"):
        tags.fill(word)
        tags.press("Enter")
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        crosses = [b.bounding_box() for b in page.locator(".tag-input .tag button").all()]
        # then: each × at least 24x24, the two apart
        assert all(c["width"] >= 24 and c["height"] >= 24 for c in crosses), (size, crosses)
        assert crosses[1]["x"] - (crosses[0]["x"] + crosses[0]["width"]) >= 24

    need = published_need(agency, user)
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360111"))
    capability = capability_submit(actor=None, capability=make_capability(firm))
    factories.shortlisted_pair(need, capability)
    match = Match.objects.get(need=need, capability=capability)
    page = visitor.open(f"/workspace/agency/needs/{need.ref}/", "agency-need-shortlist-taps")
    card = page.locator(f"#match-{match.pk}")
    card.locator("summary", has_text="提议开展试点").click()
    targets = {
        "移出入围": card.get_by_role("button", name="移出入围"),
        "提议开展试点": card.locator("summary", has_text="提议开展试点"),
        "包容期截止日期": card.get_by_label("包容期截止日期"),
        "提交试点提议": card.get_by_role("button", name="提交试点提议"),
        "评分明细": card.locator(".explanation summary"),
    }
    page.set_viewport_size(PHONE)
    tall = {name: t.bounding_box()["height"] for name, t in targets.items()}
    assert all(height >= 40 for height in tall.values()), tall
    # and: the desktop keeps its compact card
    page.set_viewport_size(DESKTOP)
    compact = {name: t.bounding_box()["height"] for name, t in targets.items()}
    assert all(height < 36 for height in compact.values()), compact
    assert visitor.close() == []


def test_concluding_asks_only_once_the_form_is_complete(live_server, browser, reference):
    """提交验证结论 asked 确定提交验证结论吗？ of an empty form, and the maturity's rule came in
    a second round of errors."""
    agency, user, visitor = signed_in_agency(browser, live_server.url, "conclude")
    pilot = running_pilot(agency, user)
    page = visitor.open(f"/workspace/agency/pilots/{pilot.pk}/", "agency-pilot-conclude")
    page.set_viewport_size(PHONE)
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    submit = page.get_by_role("button", name="提交验证结论")

    # when: sent empty, then with only the outcome
    submit.click()
    page.wait_for_timeout(300)
    page.get_by_label("验证成功").check()
    submit.click()
    page.wait_for_timeout(300)

    # then: nothing asked, nothing sent, the browser points at what is missing
    assert asked == []
    assert page.url.endswith(f"/workspace/agency/pilots/{pilot.pk}/")
    assert page.evaluate("document.activeElement.id") == "id_note"
    pilot.refresh_from_db()
    assert pilot.status == "running"

    # when: complete, but a lower maturity for 验证成功: asked, then refused in place
    page.select_option("#id_trl_after", str(pilot.trl_before - 1))
    page.fill("#id_note", "指标达标")
    with page.expect_navigation():
        submit.click()
    assert asked == ["确定提交验证结论吗？提交后试点结束，不能修改。"]
    assert "验证后的成熟度不应低于验证前" in page.inner_text("#id_trl_after_error")
    visitor.check("agency-pilot-conclude-refused")

    # when: corrected
    page.select_option("#id_trl_after", str(pilot.trl_before + 1))
    with page.expect_navigation():
        page.get_by_role("button", name="提交验证结论").click()
    pilot.refresh_from_db()
    assert (pilot.status, pilot.trl_after) == ("validated", pilot.trl_before + 1)
    assert visitor.close() == []
