"""Forms in the browser: a tap on 保存 at phone size saves while a keyword is still typed in
the chip entry. The browser, the visitor and its checks are those of ``test_browser``."""

import re
from typing import Any

from reference.models import Region
from scenarios.models import Capability
from tests import factories
from tests.portal import test_browser as shared
from tests.portal.test_browser import PASSWORD, PHONE, Visitor

pytestmark = shared.pytestmark
browser = shared.browser  # the module's Chromium, shared by these tests


def fill_capability(page: Any) -> None:
    page.fill("#id_title", "排水管网液位感知与内涝预警系统")
    page.fill("#id_description", "超声波液位传感器与水动力模型实时监测排水管网，提前预警城市内涝。")
    page.check("input[name=chains][value=digital-city]")
    page.select_option("#id_trl", "7")
    page.fill("#id_capacity", "2")


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
