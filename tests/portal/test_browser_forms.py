"""Forms in the browser: what was typed survives the language switch, and a tap on 保存 at
phone size saves while a keyword is still typed in the chip entry. The browser, the visitor
and its checks are those of ``test_browser``."""

import re
from typing import Any

from accounts.models import Organization
from matching.models import Match
from reference.models import Region
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.needs import need_submit
from tests import factories
from tests.factories import credit_code_for
from tests.portal import test_browser as shared
from tests.portal.test_browser import PASSWORD, PHONE, Visitor
from tests.scenarios.helpers import make_capability, make_need

pytestmark = shared.pytestmark
browser = shared.browser  # the module's Chromium, shared by these tests


def switch_to_english(page: Any) -> None:
    # Not forced: the page scrolls smoothly up to the header, and the click waits for it.
    with page.expect_navigation():
        page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"


def fill_capability(page: Any) -> None:
    page.fill("#id_title", "排水管网液位感知与内涝预警系统")
    page.fill("#id_description", "超声波液位传感器与水动力模型实时监测排水管网，提前预警城市内涝。")
    page.check("input[name=chains][value=digital-city]")
    page.select_option("#id_trl", "7")
    page.fill("#id_capacity", "2")


def test_the_language_switch_keeps_what_was_typed_in_a_form(live_server, browser, reference):
    """The capability form in English holds what was typed in Chinese, a keyword still in
    the entry included; the form's own token is the new page's, so saving works."""
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(firm, "firm_editor", username="firm-switch")
    visitor = Visitor(browser, live_server.url, "switch")
    visitor.sign_in(user.username)
    page = visitor.open("/workspace/firm/capabilities/new/", "switch-capability-new")
    fill_capability(page)
    page.check("input[name=certifications][value=high_tech]")
    tags = page.locator("#id_keywords-entry")
    tags.fill("液位传感")
    tags.press("Enter")
    tags.fill("内涝预警")  # no Enter: leaving the entry makes it a chip

    switch_to_english(page)

    assert page.url.endswith("/workspace/firm/capabilities/new/")
    assert page.input_value("#id_title") == "排水管网液位感知与内涝预警系统"
    assert "水动力模型" in page.input_value("#id_description")
    assert page.is_checked("input[name=chains][value=digital-city]")
    assert page.is_checked("input[name=certifications][value=high_tech]")
    assert page.input_value("#id_trl") == "7"
    assert page.input_value("#id_capacity") == "2"
    assert page.input_value("#id_keywords") == "液位传感;内涝预警"
    assert page.locator(".tag-input .tag").count() == 2  # chips built from what came back
    visitor.check("switch-capability-new-en")
    with page.expect_navigation():
        page.click("#main form button[type=submit]")
    capability = Capability.objects.get(firm=firm)
    assert (capability.title, capability.keywords) == (
        "排水管网液位感知与内涝预警系统",
        ["液位传感", "内涝预警"],
    )
    # Kept once: the next visit of the page is empty again.
    page = visitor.open("/workspace/firm/capabilities/new/", "switch-capability-new-again")
    assert page.input_value("#id_title") == ""
    assert visitor.close() == []


def test_the_language_switch_keeps_the_sign_up_but_not_its_passwords(
    live_server, browser, reference
):
    visitor = Visitor(browser, live_server.url, "switch-signup")
    page = visitor.open("/signup/firm/", "switch-signup")
    page.fill("#id_firm_name", "江西感知物联科技有限公司")
    page.fill("#id_credit_code", credit_code_for(7101, "360111"))
    page.fill("#id_username", "sensing-switch")
    page.fill("#id_email", "switch@example.cn")
    page.fill("#id_password1", "Sturdy-pass-2026")
    page.fill("#id_password2", "Sturdy-pass-2026")
    # What the switch keeps, read after the page's own handler has kept it.
    page.evaluate(
        "addEventListener('submit', () =>"
        " localStorage.setItem('kept', sessionStorage.getItem('portal:typed')))"
    )

    switch_to_english(page)

    assert page.input_value("#id_firm_name") == "江西感知物联科技有限公司"
    assert page.input_value("#id_credit_code") == credit_code_for(7101, "360111")
    assert page.input_value("#id_region") == "360111"
    assert page.input_value("#id_username") == "sensing-switch"
    assert page.input_value("#id_email") == "switch@example.cn"
    assert page.input_value("#id_password1") == ""
    assert page.input_value("#id_password2") == ""
    kept = page.evaluate("localStorage.getItem('kept')")
    assert "sensing-switch" in kept
    assert "Sturdy-pass-2026" not in kept
    assert "csrfmiddlewaretoken" not in kept
    assert page.evaluate("sessionStorage.getItem('portal:typed')") is None  # used once
    # The region came back as the code's pick, so it still follows the code.
    page.fill("#id_credit_code", credit_code_for(7101, "360402"))
    assert page.input_value("#id_region") == "360402"
    assert visitor.close() == []


def test_the_language_switch_after_a_refused_decision_keeps_it(live_server, browser, reference):
    """A page drawn after a refused POST shows the refused typing; the switch lands on the
    queue's own address and keeps the choice and the comment added since."""
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    agency_user = factories.member(agency, "agency_editor")
    need_submit(
        actor=agency_user, need=make_need(agency, region="360102", title="城市内涝监测预警")
    )
    county = factories.member(
        Organization.objects.get(committee__region_id="360102"), "committee_member"
    )
    visitor = Visitor(browser, live_server.url, "switch-refused")
    visitor.sign_in(county.username)
    page = visitor.open("/workspace/committee/", "switch-queue")
    card = page.locator("article", has_text="城市内涝监测预警")
    card.locator("input[name=decision][value=returned]").check()
    with page.expect_navigation():
        card.get_by_role("button", name="提交审核结论").click()
    assert re.search(r"/workspace/committee/#review-\d+$", page.url)  # the queue's address
    card = page.locator("article", has_text="城市内涝监测预警")
    card.locator("textarea[name=comment]").fill("请补充预算依据")

    switch_to_english(page)

    assert re.search(r"/workspace/committee/(#review-[0-9]+)?$", page.url)  # at its card
    card = page.locator("article", has_text="城市内涝监测预警")
    assert card.locator("input[name=decision][value=returned]").is_checked()
    assert card.locator("textarea[name=comment]").input_value() == "请补充预算依据"
    assert visitor.close() == []


def type_keywords_without_enter(page: Any) -> None:
    """Two chips, then a third word left in the entry: its chip would start a new line."""
    tags = page.locator("#id_keywords-entry")
    for word in ("液位传感", "内涝预警"):
        tags.fill(word)
        tags.press("Enter")
    tags.fill("水动力模型")


def test_one_click_on_save_at_phone_size_saves_a_keyword_still_typed(
    live_server, browser, reference
):
    """Leaving the entry for the form's own button does not make a chip (which would move
    the button from under the pointer); the form adds the word as it is sent."""
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(firm, "firm_editor", username="firm-phone")
    visitor = Visitor(browser, live_server.url, "phone-save")
    visitor.sign_in(user.username)
    page = visitor.open("/workspace/firm/capabilities/new/", "phone-capability-new")
    page.set_viewport_size(PHONE)
    fill_capability(page)
    type_keywords_without_enter(page)

    with page.expect_navigation(timeout=5000):
        page.click("#main form button[type=submit]")

    assert re.search(r"/workspace/firm/capabilities/(?!new/)[^/]+/$", page.url)
    capability = Capability.objects.get(firm=firm)
    assert capability.keywords == ["液位传感", "内涝预警", "水动力模型"]
    assert visitor.close() == []


def test_one_tap_on_save_on_a_touch_screen_saves_a_keyword_still_typed(
    live_server, browser, reference
):
    """The same with a finger: the blur comes after the touch, still before the click."""
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(firm, "firm_editor", username="firm-touch")
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.tap("#main form button[type=submit]")
    page.goto(live_server.url + "/workspace/firm/capabilities/new/")
    fill_capability(page)
    type_keywords_without_enter(page)

    with page.expect_navigation(timeout=5000):
        page.tap("#main form button[type=submit]")

    assert re.search(r"/workspace/firm/capabilities/(?!new/)[^/]+/$", page.url)
    assert Capability.objects.get(firm=firm).keywords == ["液位传感", "内涝预警", "水动力模型"]
    context.close()


def test_the_focus_stays_on_a_shortlist_card_a_keyboard_user_changed(
    live_server, browser, reference
):
    """Enter on 移出入围 swapped the card and left the focus on <body>."""
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(agency, "agency_editor", username="agency-keys")
    need = make_need(agency, region="360102")
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    capability = make_capability(firm)
    # Published as the review and the firm's submission would leave them (not under test).
    ScenarioNeed.objects.filter(pk=need.pk).update(status="published")
    Capability.objects.filter(pk=capability.pk).update(status="published")
    factories.shortlisted_pair(need, capability)
    match = Match.objects.get(need=need, capability=capability, recommended=True)
    visitor = Visitor(browser, live_server.url, "keys")
    visitor.sign_in(user.username)
    page = visitor.open(f"/workspace/agency/needs/{need.ref}/", "keys-need")

    card = f"#shortlist-{match.pk}"
    page.focus(f"{card} button[type=submit]")
    with page.expect_response(re.compile(r"/shortlist/")):
        page.keyboard.press("Enter")
    page.wait_for_selector(f"{card} button:has-text('加入入围名单')")
    page.wait_for_function(f"document.activeElement.closest('{card}') !== null")

    assert page.evaluate("document.activeElement.textContent").strip() == "加入入围名单"
    assert visitor.close() == []


def test_typing_kept_across_the_switch_does_not_overwrite_a_colleagues_save(
    live_server, browser, reference
):
    """The page drawn again after the switch held a colleague's newer version; the typing
    put back over it was saved as if it were fresh, and the colleague's title was lost."""
    from scenarios.services.capabilities import capability_update

    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(firm, "firm_editor", username="firm-stale")
    colleague = factories.member(firm, "firm_editor", username="firm-colleague")
    capability = make_capability(firm, title="原来的能力名称")
    visitor = Visitor(browser, live_server.url, "stale-switch")
    visitor.sign_in(user.username)
    page = visitor.open(f"/workspace/firm/capabilities/{capability.ref}/edit/", "stale-edit")
    page.fill("#id_title", "我输入的名称")
    capability_update(
        actor=colleague,
        capability=capability,
        expected_version=capability.version,
        title="同事保存的名称",
    )

    switch_to_english(page)
    assert page.input_value("#id_title") == "我输入的名称"
    with page.expect_navigation():
        page.click("#main form button[type=submit]")

    capability.refresh_from_db()
    assert capability.title == "同事保存的名称"  # the stale check showed both instead
    assert "同事保存的名称" in page.content()
    visitor.close()
