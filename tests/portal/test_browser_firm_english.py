"""What a firm met in the browser: a description typed to its box's limit in several lines
(the browser sends CRLF), and in English the certification badges, dates and detail rows
at phone and desktop size. The browser, the visitor and its checks are those of
``test_browser``."""

import datetime as dt

from django.utils import timezone

from reference.models import Region
from scenarios.models import Capability
from scenarios.services.capabilities import capability_submit
from tests import factories
from tests.portal import test_browser as shared
from tests.portal.test_browser import DESKTOP, PHONE, Visitor
from tests.portal.test_browser_forms import fill_capability
from tests.scenarios.helpers import make_capability, make_need

pytestmark = shared.pytestmark
browser = shared.browser  # the module's Chromium, shared by these tests


def test_a_description_at_the_box_s_limit_in_many_lines_is_saved(live_server, browser, reference):
    # Given a firm filling in a description of 5,000 characters in 74 lines, as the box's
    # maxlength counts them
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    user = factories.member(firm, "firm_editor", username="firm-lines")
    visitor = Visitor(browser, live_server.url, "lines")
    visitor.sign_in(user.username)
    page = visitor.open("/workspace/firm/capabilities/new/", "lines-capability-new")
    fill_capability(page)
    line = "液位监测" * 14 + "  • 准确率"  # 63 characters, the second part indented
    description = "\n".join([line] * 74)
    description += "测" * (5000 - len(description))
    assert len(description) == 5000
    page.fill("#id_description", description)
    assert page.evaluate("document.querySelector('#id_description').value.length") == 5000

    # When it saves (the browser sends each line break as CRLF)
    with page.expect_navigation():
        page.click("#main form button[type=submit]")

    # Then the capability is saved as typed, not refused as 5,073 characters long
    capability = Capability.objects.get(firm=firm)
    assert capability.description == description
    assert visitor.close() == []


def test_in_english_badges_dates_and_detail_rows_keep_their_shape(live_server, browser, reference):
    # Given a capability claiming SRDI (not checked) and a need with a deadline, in English
    firm = factories.FirmFactory.create(region=Region.objects.get(code="360102"))
    capability = capability_submit(
        actor=None, capability=make_capability(firm, certifications=["specialized_sme"])
    )
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    make_need(
        agency,
        region="360102",
        status="published",
        deadline=timezone.localdate() + dt.timedelta(days=90),
    )
    visitor = Visitor(browser, live_server.url, "english-shapes")
    visitor.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )
    page = visitor.page

    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto(live_server.url + "/")
        # The self-declared mark stays whole, and a wrapped badge's lines do not overlap
        mark = page.locator(".item-card .badge .text-nowrap").first
        assert "self-declared" in mark.inner_text() or "自报" in mark.inner_text()
        assert mark.evaluate("e => e.getClientRects().length") == 1
        badge = mark.locator("xpath=..")
        line, font = badge.evaluate(
            "e => [parseFloat(getComputedStyle(e).lineHeight),"
            " parseFloat(getComputedStyle(e).fontSize)]"
        )
        assert line >= 1.2 * font
        # A date in a card's row does not break inside
        page.goto(live_server.url + "/opportunities/")
        date = page.locator(".item-card .item-meta .text-nowrap").first
        assert date.evaluate("e => e.getClientRects().length") == 1

    # On a desktop, a label of two lines in a detail row keeps a gap to the next label
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + f"/capabilities/{capability.ref}/")
    gaps = page.evaluate(
        """() => [...document.querySelectorAll('dl.row > dt')].slice(0, -1).map(dt => {
             const next = dt.nextElementSibling.nextElementSibling;
             return next.getBoundingClientRect().top - dt.getBoundingClientRect().bottom; })"""
    )
    assert gaps
    assert min(gaps) >= 6, gaps
    visitor.check("english-capability-detail")
    assert visitor.close() == []
