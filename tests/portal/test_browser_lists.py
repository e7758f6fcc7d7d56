"""The public lists in the browser: ticking a filter keeps the reader where they were, and
the language switch keeps the filters chosen since the page loaded. The browser, the
visitor and its checks are those of ``test_browser``."""

import re

import pytest

from reference.models import Region
from tests import factories
from tests.portal import test_browser as shared
from tests.portal.test_browser import Visitor
from tests.scenarios.helpers import make_need

pytestmark = shared.pytestmark
browser = shared.browser  # the module's Chromium, shared by these tests


@pytest.fixture
def long_list(reference):
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    for n in range(16):
        category = "new_track" if n % 4 == 0 else "social_governance"
        make_need(
            agency, region="360102", status="published", title=f"场景需求{n}", category=category
        )


def settled(page):
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def test_ticking_a_filter_keeps_the_box_in_view(live_server, browser, long_list):
    """The swap put the new list in before the old one left, and the browser's scroll
    anchoring followed the old one down: the page jumped to its footer."""
    visitor = Visitor(browser, live_server.url, "list-scroll")
    page = visitor.open("/opportunities/", "list-scroll")
    box = page.locator("#cat-new_track")
    box.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 300)")  # the box near the top, the list below it
    page.wait_for_timeout(200)
    before = box.bounding_box()["y"]

    box.check()
    pytest.importorskip("playwright.sync_api").expect(
        page.locator("#results-title")
    ).to_contain_text("共 4 项")
    settled(page)

    after = page.locator("#cat-new_track").bounding_box()["y"]
    assert abs(after - before) < 5, (before, after)
    assert visitor.close() == []


def test_the_language_switch_keeps_the_filters_chosen_on_the_page(live_server, browser, long_list):
    visitor = Visitor(browser, live_server.url, "list-switch")
    page = visitor.open("/opportunities/", "list-switch")
    page.check("#cat-new_track")
    settled(page)
    page.select_option("#id_sort", "deadline")
    settled(page)

    with page.expect_navigation():
        page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")

    assert page.locator("html").get_attribute("lang") == "en"
    assert re.search(r"category=new_track", page.url)
    assert re.search(r"sort=deadline", page.url)
    assert page.is_checked("#cat-new_track")
    assert "4" in page.inner_text("#results-title")
    assert visitor.close() == []
