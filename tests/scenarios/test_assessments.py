"""An expert's assessment after its first submission: changes of the scores are counted and
capped (each save is a new look at the need's 高价值 mark), a new policy's criteria ask for a
new score, and -0 is 0."""

import math

import pytest

from scenarios.services.assessments import (
    MAX_REVISIONS,
    RevisionsUsedUp,
    assessment_submit,
    revisions_left,
)
from scenarios.services.needs import need_submit
from scenarios.services.policy import policy_current, policy_update
from scenarios.services.reviews import review_decide
from tests import factories
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db
SCORES = {
    "tech_advancement": 90,
    "demonstration": 80,
    "industry_pull": 70,
    "replicability": 60,
    "feasibility": 100,
}


@pytest.fixture
def published_need(agency, agency_user, county_reviewer, city_reviewer):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = review_decide(actor=county_reviewer, need=need, decision="approved")
    return review_decide(actor=city_reviewer, need=need, decision="approved")


@pytest.fixture
def expert(db):
    return factories.member(factories.ExpertInstitutionFactory.create(), "expert")


def uniform(value):
    return dict.fromkeys(SCORES, value)


def test_assessment_submit_refuses_a_change_of_the_scores_past_the_cap(expert, published_need):
    # given: submitted, then changed as often as allowed
    assessment_submit(actor=expert, need=published_need, scores=uniform(50))
    for n in range(MAX_REVISIONS):
        a = assessment_submit(actor=expert, need=published_need, scores=uniform(60 + n))
    assert a.revisions == MAX_REVISIONS
    assert a.revised_at is not None
    assert revisions_left(a, policy_current()) == 0

    # when: one more change
    with pytest.raises(RevisionsUsedUp) as refused:
        assessment_submit(actor=expert, need=published_need, scores=uniform(99))

    # then: refused with the rule, and nothing changed
    assert refused.value.status_code == 409
    assert f"最多可修改 {MAX_REVISIONS} 次" in refused.value.message
    a.refresh_from_db()
    published_need.refresh_from_db()
    assert a.scores == uniform(60 + MAX_REVISIONS - 1)
    assert published_need.value_score == 60 + MAX_REVISIONS - 1


def test_assessment_submit_the_same_scores_with_a_new_comment_is_not_a_change(
    expert, published_need
):
    # given: the changes used up
    assessment_submit(actor=expert, need=published_need, scores=uniform(50))
    for n in range(MAX_REVISIONS):
        assessment_submit(actor=expert, need=published_need, scores=uniform(60 + n))

    # when: the same scores again (as ints or floats), with another comment
    a = assessment_submit(
        actor=expert,
        need=published_need,
        scores={k: float(v) for k, v in uniform(60 + MAX_REVISIONS - 1).items()},
        comment="补充：预算偏高",
    )

    # then: the comment is saved and no change is counted
    assert a.comment == "补充：预算偏高"
    assert a.revisions == MAX_REVISIONS


def test_assessment_submit_a_first_submission_counts_no_change(expert, published_need):
    a = assessment_submit(actor=expert, need=published_need, scores=SCORES)

    assert a.revisions == 0
    assert a.revised_at is None
    assert revisions_left(a, policy_current()) == MAX_REVISIONS


def test_assessment_submit_new_criteria_take_a_new_score_past_the_cap(
    expert, published_need, province_reviewer
):
    # given: an expert who used every change under version 1, and a colleague
    other = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
    assessment_submit(actor=other, need=published_need, scores=uniform(70))
    assessment_submit(actor=expert, need=published_need, scores=uniform(50))
    for n in range(MAX_REVISIONS):
        assessment_submit(actor=expert, need=published_need, scores=uniform(80 + n))
    before = published_need.assessments.get(expert=expert)

    # when: version 2 drops a criterion and adds one
    criteria = [c for c in policy_current().selection_criteria if c["key"] != "feasibility"]
    policy_update(
        actor=province_reviewer,
        selection_criteria=[*criteria, {"key": "green", "name": "绿色低碳", "weight": 0.15}],
    )

    # then: the version 1 score still counts, as it was, until the expert scores again
    published_need.refresh_from_db()
    assert published_need.value_score == pytest.approx((70 + before.weighted_score) / 2)
    assert revisions_left(before, policy_current()) == MAX_REVISIONS

    # and: the new score is taken, counted as a change, and opens a new allowance
    new = {k: 90 for k in SCORES if k != "feasibility"} | {"green": 90}
    a = assessment_submit(actor=expert, need=published_need, scores=new)
    assert a.policy.version == 2
    assert "feasibility" not in a.scores
    assert a.revisions == MAX_REVISIONS + 1
    assert a.revisions_under_criteria == 0
    published_need.refresh_from_db()
    assert published_need.value_score == pytest.approx((70 + 90) / 2)


def test_assessment_submit_stores_minus_zero_as_zero(expert, published_need):
    a = assessment_submit(
        actor=expert, need=published_need, scores={**SCORES, "demonstration": -0.0}
    )

    assert math.copysign(1, a.scores["demonstration"]) == 1
