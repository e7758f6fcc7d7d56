"""The committee's pages in Chromium at the widths people read them (1280 and 390 px): what
committees and experts typed reads inside its card, however long and unbroken, and the
expert panel reads in full in the need page's side column. The fixtures and the checked
visitor are the journey's (``test_browser``)."""

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import Organization
from matching.models import Match
from matching.services.recommendations import pair_respond
from reference.models import Region
from scenarios.services.assessments import assessment_submit
from scenarios.services.capabilities import capability_submit
from scenarios.services.firms import organization_suspend
from scenarios.services.needs import need_submit
from scenarios.services.negative_list import negative_entry_create
from scenarios.services.pilots import pilot_proposal_decide, pilot_start
from scenarios.services.reviews import review_decide
from tests import factories
from tests.portal import test_browser as journey
from tests.scenarios.helpers import make_capability, make_need

# The journey's Chromium (a fixture, found here by its name) and its marks and visitor.
browser = journey.browser
eager_celery = journey.eager_celery
pytestmark = journey.pytestmark
Visitor = journey.Visitor

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
URL = "https://example.gov.cn/" + "a" * 230
SCORES = {
    "tech_advancement": 90,
    "demonstration": 80,
    "industry_pull": 70,
    "replicability": 60,
    "feasibility": 100,
}

# The box of an element (by selector) and of its closest section, and the page's overflow.
BOXES = """(selector) => {
  const element = document.querySelector(selector);
  const card = element.closest('section');
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
  return {
    element: box(element),
    card: box(card),
    scrolls: [element.scrollWidth, element.clientWidth],
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}"""


def boxes(page: Any, selector: str) -> dict[str, Any]:
    return page.evaluate(BOXES, selector)


def inside(found: dict[str, Any]) -> bool:
    (left, right), (card_left, card_right) = found["element"], found["card"]
    return left >= card_left - 0.5 and right <= card_right + 0.5


def test_long_unbroken_comments_and_the_expert_panel_read_inside_their_cards(
    live_server, browser, reference
):
    # Given a need the county approved with a pasted address and 2,000 letters as its
    # comment, scored by two experts with comments, waiting for the city
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    agency_user = factories.member(agency, "agency_editor")
    county = factories.member(
        Organization.objects.get(committee__region_id="360102"), "committee_member"
    )
    city = factories.member(
        Organization.objects.get(committee__region_id="360100"), "committee_member"
    )
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(
        actor=county, need=need, decision="approved", comment=f"{URL} {'x' * 2000}"
    )
    for comment in ("场景需求明确，数据开放程度高。", f"建议分阶段实施，参见 {URL[:90]}"):
        expert = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
        assessment_submit(actor=expert, need=need, scores=SCORES, comment=comment)

    # When the city member opens the need on a laptop and on a phone
    visitor = Visitor(browser, live_server.url, "committee-long-text")
    visitor.sign_in(city.username)
    page = visitor.open(f"/workspace/committee/needs/{need.ref}/", "committee-need-long-text")
    found = {}
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        tiers = boxes(page, "section[aria-labelledby=tiers-title] table")
        name = page.evaluate(
            "(s) => { const e = document.querySelector(s);"
            " return e.getBoundingClientRect().width / parseFloat(getComputedStyle(e).fontSize); }",
            "section[aria-labelledby=tiers-title] tbody td",
        )
        found[size["width"]] = (tiers, name)
        # every expert's weighted score and comment on the card, none behind a scroll
        for cell in page.locator(".panel-scores tbody td").all():
            cell_box = cell.bounding_box()
            card_box = page.locator("section[aria-labelledby=panel-title]").bounding_box()
            assert cell_box["x"] >= card_box["x"] - 0.5, size
            assert cell_box["x"] + cell_box["width"] <= card_box["x"] + card_box["width"] + 0.5
        # and each comment a readable line, not a character or two
        comments = page.evaluate(
            "() => [...document.querySelectorAll('.panel-scores tbody td:last-child')].map((e) =>"
            " e.getBoundingClientRect().width / parseFloat(getComputedStyle(e).fontSize))"
        )
        assert len(comments) == 2
        assert min(comments) >= 12, (size, comments)
        panel = boxes(page, ".panel-scores")
        assert panel["scrolls"][0] <= panel["scrolls"][1], size
        assert inside(panel), (size, panel)

    # Then the page does not scroll sideways, the review table stays in its card and the
    # committee's name reads a few characters a line, not one
    for width, (tiers, name) in found.items():
        assert tiers["page"] == 0, (width, tiers)
        assert inside(tiers), (width, tiers)
        assert name >= 4, (width, name)
    assert visitor.close() == []


def test_a_long_unbroken_negative_list_reason_stays_in_its_column(live_server, browser, reference):
    # Given an entry whose reason is a pasted address of the length the list keeps
    province = factories.member(
        Organization.objects.get(committee__region_id="360000"), "committee_member"
    )
    negative_entry_create(actor=province, kind="keyword", keyword="虚拟货币挖矿", reason=URL[:255])

    # When the province member opens the policy page on a laptop
    visitor = Visitor(browser, live_server.url, "negative-long-reason")
    visitor.sign_in(province.username)
    page = visitor.open("/workspace/committee/policy/#negative", "committee-negative-long")
    page.set_viewport_size(LAPTOP)

    # Then the list needs no scrolling inside its box to reach the button
    wrapper = boxes(page, "#negative .table-responsive")
    assert wrapper["scrolls"][0] <= wrapper["scrolls"][1], wrapper
    assert visitor.close() == []


def test_long_unbroken_reasons_and_notes_wrap_on_the_other_committee_pages(
    live_server, browser, reference, eager_celery
):
    # Given a firm's note, a declined proposal's reason and a suspended firm's reason, each
    # an unbroken address as long as is kept
    long = "https://example.gov.cn/" + "q" * 477
    region = Region.objects.get(code="360102")
    agency = factories.AgencyFactory.create(region=region)
    agency_user = factories.member(agency, "agency_editor")
    city = factories.member(
        Organization.objects.get(committee__region_id="360100"), "committee_member"
    )
    need = make_need(agency, region="360102", status="published")
    noted, proposed, suspended = (
        capability_submit(
            actor=None, capability=make_capability(factories.FirmFactory.create(region=region))
        )
        for _ in "abc"
    )
    factories.shortlisted_pair(need, noted)
    match = Match.objects.current().get(need=need, capability=noted)
    editor = factories.member(noted.firm, "firm_editor")
    pair_respond(actor=editor, match=match, interested=True, note=long)
    factories.shortlisted_pair(need, proposed)
    proposal = pilot_start(
        actor=agency_user,
        need=need,
        capability=proposed,
        tolerance_until=timezone.localdate() + dt.timedelta(days=60),
    )
    pilot_proposal_decide(actor=city, pilot=proposal, approve=False, reason=long)
    organization_suspend(actor=city, organization=suspended.firm, reason=long)

    # When the city member opens the pages that show them
    visitor = Visitor(browser, live_server.url, "committee-long-notes")
    visitor.sign_in(city.username)
    overflow = {}
    for path in (
        "/workspace/committee/recommendations/",
        "/workspace/committee/pilots/?status=declined",
        "/workspace/committee/firms/?status=suspended",
        "/workspace/committee/capabilities/?status=suspended",
    ):
        page = visitor.open(path, "committee-long-" + path.split("/")[3])
        assert long in page.content()
        page.set_viewport_size(LAPTOP)
        overflow[path] = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    # Then none scrolls sideways on a laptop (nor on a phone: the visitor checks)
    assert {path: px for path, px in overflow.items() if px > 0} == {}
    assert visitor.close() == []


# How much of a search box's hint does not fit in it (px): the hint's width in the box's
# font against the box's content width.
HINT_CUT = """(selector) => {
  const box = document.querySelector(selector);
  const style = getComputedStyle(box);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(box.placeholder).width - room;
}"""


def test_the_committees_search_boxes_show_their_whole_hint(live_server, browser, reference):
    # Given a city committee member
    city = factories.member(
        Organization.objects.get(committee__region_id="360100"), "committee_member"
    )
    visitor = Visitor(browser, live_server.url, "committee-search")
    visitor.sign_in(city.username)

    # When the firms and capabilities lists are opened on a laptop and on a phone, in
    # Chinese and in English
    cut = {}
    for language in ("zh-hans", "en"):
        visitor.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for path, box in (
            ("/workspace/committee/firms/", "#firm-q"),
            ("/workspace/committee/capabilities/", "#cap-q"),
        ):
            page = visitor.open(path, f"committee-search-{box[1:]}-{language}")
            for size in (LAPTOP, PHONE):
                page.set_viewport_size(size)
                cut[(language, box, size["width"])] = page.evaluate(HINT_CUT, box)

    # Then no hint is cut ("企业名称或统一社会信," at 174 px)
    assert {key: round(px) for key, px in cut.items() if px > 0} == {}
    assert visitor.close() == []
