"""Browser paths the other browser tests do not walk: Shift+Tab out of the keyword chip
entry, and the browser's Back to a create form already saved. The browser, the visitor
and its checks are those of ``test_browser``."""

from typing import Any

from reference.models import Region
from tests import factories
from tests.portal import test_browser as shared
from tests.portal.test_browser import Visitor

pytestmark = shared.pytestmark
browser = shared.browser  # the module's Chromium, shared by these tests


def focused(page: Any) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e ? (e.id || e.getAttribute('aria-label') || e.tagName) : ''; }"
    )


def test_shift_tab_from_the_keyword_entry_reaches_the_last_chip(live_server, browser, reference):
    """The entry's blur drew the chips again and the × that Shift+Tab had reached was
    replaced: the focus fell to <body>, with a word typed and without."""
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(firm, "firm_editor", username="firm-keys")
    visitor = Visitor(browser, live_server.url, "keys")
    visitor.sign_in(user.username)
    page = visitor.open("/workspace/firm/capabilities/new/", "keys-capability-new")
    tags = page.locator("#id_keywords-entry")
    for word in ("液位传感", "内涝预警"):
        tags.fill(word)
        tags.press("Enter")

    # when: Shift+Tab from the empty entry
    tags.press("Shift+Tab")
    # then: on the last chip's ×
    assert focused(page).endswith("内涝预警")

    # when: back in the entry, a word typed, Shift+Tab
    page.keyboard.press("Tab")
    assert focused(page) == "id_keywords-entry"
    tags.type("水动力模型")
    tags.press("Shift+Tab")

    # then: the word became a chip and the focus is on the × of the chip that was last
    assert page.input_value("#id_keywords") == "液位传感;内涝预警;水动力模型"
    assert focused(page).endswith("内涝预警")
    assert visitor.close() == []


def test_back_after_saving_a_new_need_then_save_again_creates_no_second_one(
    live_server, browser, reference
):
    """The form page is not stored: Back drew it again with a new token while the browser
    put back what was typed, and 保存 created a second draft."""
    from scenarios.models import ScenarioNeed

    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(agency, "agency_editor", username="agency-back")
    visitor = Visitor(browser, live_server.url, "back")
    visitor.sign_in(user.username)
    page = visitor.open("/workspace/agency/needs/new/", "back-need-new")
    page.fill("#id_title", "返回键测试需求")
    page.fill("#id_description", "城市道路积水监测与预警，需要低功耗传感与边缘计算。")
    page.locator("input[name=chains]").first.check()
    with page.expect_navigation():
        page.click("#main form button[type=submit]")
    need = ScenarioNeed.objects.get(agency=agency)

    page.go_back()
    page.wait_for_load_state("networkidle")
    if not page.input_value("#id_title"):  # the browser did not put it back: type it again
        page.fill("#id_title", "返回键测试需求")
        page.fill("#id_description", "城市道路积水监测与预警，需要低功耗传感与边缘计算。")
        page.locator("input[name=chains]").first.check()
    with page.expect_navigation():
        page.click("#main form button[type=submit]")

    assert ScenarioNeed.objects.filter(agency=agency).count() == 1
    assert f"这份表单已保存为 {need.ref}" in page.inner_text("#main")
    assert visitor.close() == []


def test_a_double_tap_on_the_shortlist_button_shortlists_once(live_server, browser, reference):
    """The swap put 移出入围 under the finger before the second tap of a double tap
    landed: the pair was shortlisted and taken off again."""
    from matching.models import Match, PairReview
    from scenarios.services.capabilities import capability_submit
    from tests.portal.test_browser_agency_phone import published_need, signed_in_agency
    from tests.scenarios.helpers import make_capability

    agency, user, visitor = signed_in_agency(browser, live_server.url, "double-tap")
    need = published_need(agency, user)
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360111"))
    capability = capability_submit(actor=None, capability=make_capability(firm))
    factories.shortlisted_pair(need, capability)
    PairReview.objects.filter(need=need).update(shortlisted=False)
    match = Match.objects.get(need=need, capability=capability)
    page = visitor.open(f"/workspace/agency/needs/{need.ref}/", "double-tap-need")
    button = page.locator(f"#shortlist-{match.pk}").get_by_role("button", name="加入入围名单")
    box = button.bounding_box()
    # Where the old button and the new one overlap (a thumb is wider than a pointer).
    x, y = box["x"] + box["width"] - 4, box["y"] + box["height"] / 2

    page.mouse.click(x, y)
    removal = page.locator(f"#shortlist-{match.pk}").get_by_role("button", name="移出入围")
    removal.wait_for()
    after = removal.bounding_box()
    assert after["x"] <= x <= after["x"] + after["width"], (x, after)  # under the finger
    page.mouse.click(x, y)  # the second tap, where the finger still is
    page.wait_for_timeout(1200)

    assert PairReview.objects.get(need=need).shortlisted
    # once the card has settled, 移出入围 works as a deliberate tap
    page.locator(f"#shortlist-{match.pk}").get_by_role("button", name="移出入围").click()
    page.locator(f"#shortlist-{match.pk}").get_by_role("button", name="加入入围名单").wait_for()
    assert not PairReview.objects.get(need=need).shortlisted
    assert visitor.close() == []
