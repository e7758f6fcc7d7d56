"""What of a need the expert's pages and the API show an expert: its 高价值 mark only from
three other experts' scores on (as the expert's page shows the panel), and a need that left
review only by its ref beside the expert's own scores."""

import pytest

from accounts.choices import Role
from accounts.models import Membership
from scenarios import assessment_selectors
from scenarios.models import ScenarioNeed
from scenarios.services.assessments import assessment_submit
from scenarios.services.needs import need_submit, need_update
from scenarios.services.reviews import review_decide
from tests import factories
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db
KEYS = ["tech_advancement", "demonstration", "industry_pull", "replicability", "feasibility"]


def new_expert():
    return factories.member(factories.ExpertInstitutionFactory.create(), Role.EXPERT)


def score(need, expert, value=90):
    assessment_submit(actor=expert, need=need, scores=dict.fromkeys(KEYS, value))


def shown(user, need):
    needs = ScenarioNeed.objects.filter(pk=need.pk)
    annotated = assessment_selectors.with_shown_high_value(needs, user=user).get()
    return annotated.shown_is_high_value  # type: ignore[attr-defined]  # an annotation


@pytest.fixture
def need_in_review(agency, agency_user):
    return need_submit(actor=agency_user, need=make_need(agency, region="360102"))


@pytest.mark.parametrize(
    ("others", "i_scored", "hidden"),
    [(1, True, True), (2, True, True), (3, True, False), (2, False, True), (3, False, False)],
)
def test_with_shown_high_value_withholds_the_mark_until_three_others_scored(
    need_in_review, others, i_scored, hidden
):
    # given: a high value need in review, scored by ``others`` experts besides me (and me)
    me = new_expert()
    for _ in range(others):
        score(need_in_review, new_expert())
    if i_scored:
        score(need_in_review, me)

    # when / then: the mark as I am shown it, by the expert page's own rule
    assert shown(me, need_in_review) == (None if hidden else True)
    assert assessment_selectors.panel_shown(others=others) is not hidden


def test_with_shown_high_value_leaves_the_needs_of_insiders_and_non_experts_alone(
    need_in_review, agency_user, county_reviewer, platform_admin, firm_user
):
    # given: a high value need in review scored by two experts, one of whom also sits on
    # the need's committee
    Membership.objects.create(
        user=county_reviewer,
        organization=factories.ExpertInstitutionFactory.create(),
        role=Role.EXPERT,
    )
    score(need_in_review, new_expert())
    score(need_in_review, county_reviewer)

    # when / then: its committee, agency and admins read the mark; a non-expert's lists
    # are not annotated at all
    assert shown(county_reviewer, need_in_review) is True
    for user in (agency_user, platform_admin, firm_user):
        assert assessment_selectors.high_value_hidden_q(user=user) is None


def test_needs_of_expert_opens_a_returned_need_for_the_experts_scores_only(
    need_in_review, agency_user, county_reviewer
):
    # given: a need I scored, then returned and edited by its agency
    me = new_expert()
    score(need_in_review, me)
    need = review_decide(
        actor=county_reviewer, need=need_in_review, decision="returned", comment="请改"
    )
    need_update(actor=agency_user, need=need, expected_version=need.version, title="新标题")

    # when
    found = assessment_selectors.needs_of_expert(user=me).get(pk=need.pk)
    mine = assessment_selectors.assessments_of(expert=me).get()

    # then: it opens, without its content; my own assessment says so too
    assert found.content_shown is False  # type: ignore[attr-defined]  # an annotation
    assert mine.need_shown is False  # type: ignore[attr-defined]
