"""The expert's pages in Chromium after the panel rules: a need scored under an older
policy (the notice of what counts, the new criterion to score), a need that left review
(read only), and the committee's panel saying who changed their scores. Each page passes
axe and does not scroll sideways on a phone (the journey's checked ``Visitor``)."""

from accounts.models import Organization
from reference.models import Region
from scenarios.services.assessments import assessment_submit
from scenarios.services.needs import need_submit
from scenarios.services.policy import policy_current, policy_update
from scenarios.services.reviews import review_decide
from tests import factories
from tests.portal import test_browser as journey
from tests.scenarios.helpers import make_need

browser = journey.browser
pytestmark = journey.pytestmark
Visitor = journey.Visitor

SCORES = {
    "tech_advancement": 90,
    "demonstration": 80,
    "industry_pull": 70,
    "replicability": 60,
    "feasibility": 100,
}


def test_an_expert_reads_what_counts_after_a_policy_change_and_a_need_leaving_review(
    live_server, browser, reference
):
    # Given a need four experts scored, one of them changing the scores twice, a second
    # need the expert scored and the county returned, and a version 2 with a new criterion
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    agency_user = factories.member(agency, "agency_editor")
    county = factories.member(
        Organization.objects.get(committee__region_id="360102"), "committee_member"
    )
    province = factories.member(
        Organization.objects.get(committee__region_id="360000"), "committee_member"
    )
    expert = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    for value in (70, 75, 85):
        other = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
        assessment_submit(actor=other, need=need, scores={**SCORES, "demonstration": value})
    for value in (50, 60, 70):
        assessment_submit(actor=expert, need=need, scores={**SCORES, "demonstration": value})
    returned = need_submit(
        actor=agency_user, need=make_need(agency, region="360102", title="退回的需求")
    )
    assessment_submit(actor=expert, need=returned, scores=SCORES)
    review_decide(actor=county, need=returned, decision="returned", comment="请补充预算依据")
    criteria = policy_current().selection_criteria
    policy_update(
        actor=province,
        selection_criteria=[*criteria, {"key": "green", "name": "绿色低碳", "weight": 0.1}],
    )

    # When the expert opens home, the need, and the returned need
    visitor = Visitor(browser, live_server.url, "expert-rules")
    visitor.sign_in(expert.username)
    home = visitor.open("/workspace/expert/", "expert-home-rescore")
    assert home.get_by_text("需按新标准重新评分").first.is_visible()
    page = visitor.open(f"/workspace/expert/needs/{need.ref}/", "expert-need-new-version")

    # Then the page says which version counts and asks for the new criterion
    assert page.get_by_role("heading", name="当前为第 2 版政策").is_visible()
    assert page.get_by_text("新增：绿色低碳。").is_visible()
    assert page.get_by_text("新标准，待评分").is_visible()
    page = visitor.open(f"/workspace/expert/needs/{returned.ref}/", "expert-need-read-only")
    assert page.get_by_text("您的评分只能查看").is_visible()
    assert page.locator("section[aria-labelledby=score-title] form").count() == 0
    assert visitor.close() == []

    # And the committee reads who changed their scores
    committee = Visitor(browser, live_server.url, "committee-revisions")
    committee.sign_in(county.username)
    page = committee.open(f"/workspace/committee/needs/{need.ref}/", "committee-need-revised")
    assert page.locator(".panel-scores").get_by_text("已修改 2 次").is_visible()
    assert committee.close() == []
