import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import OrganizationRelation
from activity.models import Notification
from core.errors import ActorNotAllowed, DomainError, InvalidInput, InvalidTransition
from scenarios import selectors
from scenarios.models import Pilot
from scenarios.services.assessments import assessment_submit
from scenarios.services.capabilities import (
    capability_return,
    capability_submit,
    capability_suspend,
    capability_update,
    capability_withdraw,
)
from scenarios.services.needs import need_close, need_mark_scaled, need_submit
from scenarios.services.pilots import (
    pilot_conclude,
    pilot_confirm_outcome,
    pilot_proposal_decide,
    pilot_recognize,
    pilot_start,
    pilot_update_milestones,
)
from scenarios.services.policy import policy_update
from scenarios.services.reviews import review_decide
from tests import factories
from tests.conftest import committee_member
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
def expert(db):
    return factories.member(factories.ExpertInstitutionFactory.create(), "expert")


def until(days=90):
    return timezone.localdate() + dt.timedelta(days=days)


def test_pilot_start_moves_need_into_validation_and_notifies_firm(
    city_reviewer, published_need, published_capability, firm_user
):
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    published_need.refresh_from_db()
    assert published_need.status == "in_validation"
    assert pilot.status == "running"
    assert pilot.trl_before == published_capability.trl
    assert pilot.validation_type == published_need.validation_type
    assert Notification.objects.filter(user=firm_user, verb="pilot.started").exists()


def test_pilot_start_twice_returns_the_running_pilot(
    agency_user, published_need, published_capability
):
    first = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    again = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    assert again.pk == first.pk


def test_pilot_start_respects_capacity(
    agency, agency_user, published_need, published_capability, county_reviewer, city_reviewer
):
    pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    second_need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    second_need = review_decide(actor=county_reviewer, need=second_need, decision="approved")
    second_need = review_decide(actor=city_reviewer, need=second_need, decision="approved")

    with pytest.raises(DomainError) as excinfo:
        pilot_start(
            actor=city_reviewer,
            need=second_need,
            capability=published_capability,
            tolerance_until=until(),
        )

    assert excinfo.value.code == "capacity_full"


def test_pilot_start_refuses_conflict_of_interest(
    agency, agency_user, published_need, published_capability
):
    OrganizationRelation.objects.create(
        from_org=agency, to_org=published_capability.firm, kind="investment"
    )

    with pytest.raises(DomainError) as excinfo:
        pilot_start(
            actor=agency_user,
            need=published_need,
            capability=published_capability,
            tolerance_until=until(),
        )

    assert excinfo.value.code == "conflict_of_interest"


def test_pilot_start_by_firm_is_refused(firm_user, published_need, published_capability):
    with pytest.raises(ActorNotAllowed):
        pilot_start(
            actor=firm_user,
            need=published_need,
            capability=published_capability,
            tolerance_until=until(),
        )


def test_pilot_start_tolerance_in_past_is_refused(
    agency_user, published_need, published_capability
):
    with pytest.raises(InvalidInput):
        pilot_start(
            actor=agency_user,
            need=published_need,
            capability=published_capability,
            tolerance_until=until(-1),
        )


def test_pilot_start_tolerance_past_three_years_is_a_field_error(
    agency_user, published_need, published_capability
):
    from datetime import date

    for too_far in (until(365 * 3 + 2), date(9999, 12, 31)):
        with pytest.raises(InvalidInput) as excinfo:
            pilot_start(
                actor=agency_user,
                need=published_need,
                capability=published_capability,
                tolerance_until=too_far,
            )
        assert "tolerance_until" in excinfo.value.fields
    assert not Pilot.objects.exists()
    assert pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(365 * 3),
    )


def test_pilot_start_with_too_many_milestones_is_a_field_error(
    agency_user, published_need, published_capability
):

    with pytest.raises(InvalidInput) as excinfo:
        pilot_start(
            actor=agency_user,
            need=published_need,
            capability=published_capability,
            tolerance_until=until(),
            milestones=[{"title": f"节点{i}"} for i in range(51)],
        )
    assert "milestones" in excinfo.value.fields
    assert not Pilot.objects.exists()


def test_pilot_failed_returns_need_to_published(
    agency_user, city_reviewer, published_need, published_capability
):
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    pilot_conclude(actor=agency_user, pilot=pilot, outcome="failed", trl_after=5, note="精度未达标")

    published_need.refresh_from_db()
    assert published_need.status == "published"
    with pytest.raises(InvalidTransition):
        pilot_recognize(actor=city_reviewer, pilot=pilot, first_of_kind=True, best_practice=False)


def test_pilot_validated_then_need_scaled_and_closed_blocked(
    agency_user, city_reviewer, published_need, published_capability
):
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    with pytest.raises(InvalidTransition):
        need_close(actor=agency_user, need=published_need, reason="到期")

    pilot = pilot_conclude(
        actor=agency_user, pilot=pilot, outcome="validated", trl_after=8, note="达标"
    )
    pilot = pilot_confirm_outcome(actor=city_reviewer, pilot=pilot)
    pilot = pilot_recognize(
        actor=city_reviewer, pilot=pilot, first_of_kind=True, best_practice=True
    )
    need = need_mark_scaled(actor=city_reviewer, need=published_need, reason="全市推广")

    assert pilot.first_of_kind_recommended
    assert pilot.best_practice_nominated
    assert need.status == "scaled"


def test_an_agency_only_proposes_and_the_committee_starts_the_pilot(
    agency_user, county_reviewer, city_reviewer, published_need, published_capability, firm_user
):
    # when: the agency asks for a pilot with a capability nobody recommended
    pilot = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    # then: a proposal; the need is untouched, the committee hears of it, not the firm
    published_need.refresh_from_db()
    assert (pilot.status, published_need.status) == ("proposed", "published")
    assert Notification.objects.filter(user=county_reviewer, verb="pilot.proposed").exists()
    assert not Notification.objects.filter(user=firm_user, verb="pilot.started").exists()
    with pytest.raises(InvalidTransition) as excinfo:  # nothing to conclude before it runs
        pilot_conclude(actor=agency_user, pilot=pilot, outcome="validated", trl_after=8, note="x")
    assert "待委员会批准" in str(excinfo.value.message)  # the state's name, not its code
    assert "proposed" not in str(excinfo.value.message)
    with pytest.raises(ActorNotAllowed):  # the agency cannot approve its own proposal
        pilot_proposal_decide(actor=agency_user, pilot=pilot, approve=True)

    # when: the need's committee approves it
    pilot = pilot_proposal_decide(actor=city_reviewer, pilot=pilot, approve=True)

    published_need.refresh_from_db()
    assert (pilot.status, published_need.status) == ("running", "in_validation")
    assert Notification.objects.filter(user=firm_user, verb="pilot.started").exists()
    assert Notification.objects.filter(user=agency_user, verb="pilot.decided").exists()


def test_a_committee_starting_a_proposed_pair_approves_the_proposal(
    agency_user, city_reviewer, firm_user, published_need, published_capability
):
    proposal = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    # when: the committee starts the same pair (the API's POST /pilots/, not the proposal)
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    # then: the waiting proposal runs; no second pilot, and nothing left to approve
    published_need.refresh_from_db()
    assert pilot.pk == proposal.pk
    assert (pilot.status, published_need.status) == ("running", "in_validation")
    assert Pilot.objects.filter(need=published_need).count() == 1
    assert Notification.objects.filter(user=firm_user, verb="pilot.started").exists()


def test_declining_a_proposal_needs_a_reason_and_frees_the_pair(
    agency_user, city_reviewer, firm_user, published_need, published_capability
):
    pilot = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    with pytest.raises(ActorNotAllowed):
        pilot_proposal_decide(actor=firm_user, pilot=pilot, approve=True)
    other_city = committee_member("360700")
    with pytest.raises(ActorNotAllowed):
        pilot_proposal_decide(actor=other_city, pilot=pilot, approve=False, reason="不在辖区")
    with pytest.raises(InvalidInput) as excinfo:
        pilot_proposal_decide(actor=city_reviewer, pilot=pilot, approve=False, reason="  ")
    assert "reason" in excinfo.value.fields

    declined = pilot_proposal_decide(
        actor=city_reviewer, pilot=pilot, approve=False, reason="未经撮合推荐，请先参与撮合"
    )
    again = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    assert (declined.status, declined.decision_reason) == ("declined", "未经撮合推荐，请先参与撮合")
    assert again.pk != declined.pk
    assert again.status == "proposed"
    with pytest.raises(InvalidTransition):  # a declined proposal stays declined
        pilot_proposal_decide(actor=city_reviewer, pilot=declined, approve=True)


def test_only_a_committee_confirmed_outcome_is_track_record(
    agency_user, city_reviewer, published_need, published_capability
):
    cap = published_capability
    pilot = pilot_start(
        actor=city_reviewer, need=published_need, capability=cap, tolerance_until=until()
    )

    # when: the agency concludes "validated" by itself
    pilot = pilot_conclude(
        actor=agency_user, pilot=pilot, outcome="validated", trl_after=8, note="达标"
    )

    # then: not yet track record, not recognisable, and the agency cannot confirm it
    [row] = selectors.matching_capability_rows(capability_ids=[cap.pk])
    assert pilot.outcome_confirmed_at is None
    assert row["validated_pilots"] == 0
    assert not selectors.pilots_validated_of(capability=cap).exists()
    with pytest.raises(InvalidTransition):
        pilot_recognize(actor=city_reviewer, pilot=pilot, first_of_kind=True, best_practice=False)
    with pytest.raises(ActorNotAllowed):
        pilot_confirm_outcome(actor=agency_user, pilot=pilot)

    # when: the committee confirms it
    pilot = pilot_confirm_outcome(actor=city_reviewer, pilot=pilot)

    [row] = selectors.matching_capability_rows(capability_ids=[cap.pk])
    assert pilot.outcome_confirmed_by == city_reviewer
    assert row["validated_pilots"] == 1
    assert list(selectors.pilots_validated_of(capability=cap)) == [pilot]


def test_an_outcome_the_committee_records_is_confirmed_at_once(
    city_reviewer, published_need, published_capability
):
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    pilot = pilot_conclude(
        actor=city_reviewer, pilot=pilot, outcome="failed", trl_after=6, note="未达标"
    )

    assert pilot.outcome_confirmed_by == city_reviewer
    assert pilot_confirm_outcome(actor=city_reviewer, pilot=pilot).version == pilot.version


def test_assessment_sets_value_score_and_high_value_flag(expert, published_need):
    assessment_submit(actor=expert, need=published_need, scores=SCORES)

    published_need.refresh_from_db()
    expected = 0.25 * 90 + 0.2 * 80 + 0.2 * 70 + 0.2 * 60 + 0.15 * 100
    assert published_need.value_score == pytest.approx(expected)
    assert published_need.is_high_value is (expected >= 80)


def test_assessment_mean_over_experts_and_revision(expert, published_need):
    other = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
    high = dict.fromkeys(SCORES, 100)

    assessment_submit(actor=expert, need=published_need, scores=dict.fromkeys(SCORES, 60))
    assessment_submit(actor=other, need=published_need, scores=high)
    assessment_submit(actor=expert, need=published_need, scores=high)  # revised

    published_need.refresh_from_db()
    assert published_need.value_score == pytest.approx(100)
    assert published_need.is_high_value is True
    assert published_need.assessments.count() == 2


def test_assessment_uses_current_policy_weights(expert, published_need, province_reviewer):
    criteria = [{"key": "feasibility", "name": "实施可行性", "weight": 1}]
    policy_update(actor=province_reviewer, selection_criteria=criteria)

    a = assessment_submit(actor=expert, need=published_need, scores={"feasibility": 42})

    assert a.weighted_score == pytest.approx(42)
    assert a.policy.version == 2


def test_the_panel_mean_is_kept_to_the_hundredth_shown_and_marked_alike(
    expert, published_need, city_reviewer
):
    """100 and 59.9 make 79.95: the committee read "平均 80.0 分" without the mark."""
    other = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
    assessment_submit(actor=expert, need=published_need, scores=dict.fromkeys(SCORES, 100))
    assessment_submit(actor=other, need=published_need, scores=dict.fromkeys(SCORES, 59.9))

    published_need.refresh_from_db()
    assert published_need.value_score == 79.95  # not 79.95000000000002
    assert published_need.is_high_value is False
    client = Client()
    client.force_login(city_reviewer)
    body = client.get(f"/workspace/committee/needs/{published_need.ref}/").content.decode()
    assert "平均 79.95 分" in body
    assert "高价值场景" not in body


@pytest.mark.parametrize(
    "scores",
    [
        {"feasibility": 50},
        {**SCORES, "feasibility": 101},
        {**SCORES, "extra": 1},
        {**SCORES, "feasibility": 55.55},  # the page's form takes one decimal; so does this
    ],
)
def test_assessment_rejects_bad_scores(expert, published_need, scores):
    with pytest.raises(InvalidInput) as excinfo:
        assessment_submit(actor=expert, need=published_need, scores=scores)

    assert "scores" in excinfo.value.fields


def test_assessment_by_non_expert_is_refused(agency_user, published_need):
    with pytest.raises(ActorNotAllowed):
        assessment_submit(actor=agency_user, need=published_need, scores=SCORES)


def test_a_validated_outcome_cannot_lower_the_maturity(
    agency_user, city_reviewer, published_need, published_capability
):
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    with pytest.raises(InvalidInput) as excinfo:
        pilot_conclude(
            actor=agency_user,
            pilot=pilot,
            outcome="validated",
            trl_after=pilot.trl_before - 1,
            note="达标",
        )

    assert "trl_after" in excinfo.value.fields
    pilot.refresh_from_db()
    assert pilot.status == "running"


@pytest.mark.parametrize(
    "milestone",
    [
        {"title": "部署完成", "due": "9999-12-31"},  # after the tolerance period
        {"title": "部署完成", "due": "2000-01-01"},  # before the pilot
        {"title": "部署\x07完成"},
        {"title": "长" * 201},
    ],
)
def test_a_milestone_outside_the_pilot_or_unreadable_is_a_field_error(
    agency_user, city_reviewer, published_need, published_capability, milestone
):
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )

    with pytest.raises(InvalidInput) as refused:
        pilot_update_milestones(actor=agency_user, pilot=pilot, milestones=[milestone])

    assert next(iter(refused.value.fields)).startswith("milestones.0.")
    pilot.refresh_from_db()
    assert pilot.milestones == []


def test_a_milestone_inside_the_tolerance_period_is_kept(
    agency_user, city_reviewer, published_need, published_capability
):
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    due = pilot.tolerance_until.isoformat()

    pilot = pilot_update_milestones(
        actor=agency_user, pilot=pilot, milestones=[{"title": "验收", "due": due}]
    )

    assert pilot.milestones == [{"title": "验收", "due": due, "done": False}]


def test_a_second_decision_on_a_proposal_with_other_values_is_refused(
    agency_user, city_reviewer, published_need, published_capability
):
    from core.errors import StaleVersion

    pilot = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    pilot = pilot_proposal_decide(actor=city_reviewer, pilot=pilot, approve=True)

    same = pilot_proposal_decide(actor=city_reviewer, pilot=pilot, approve=True)
    with pytest.raises(InvalidTransition):
        pilot_proposal_decide(
            actor=city_reviewer, pilot=pilot, approve=True, tolerance_until=until(400)
        )
    with pytest.raises(StaleVersion):
        pilot_proposal_decide(actor=city_reviewer, pilot=pilot, approve=True, expected_version=999)

    assert same.version == pilot.version
    pilot.refresh_from_db()
    assert pilot.tolerance_until == until()


def test_one_experts_top_scores_alone_do_not_make_a_need_high_value(expert, published_need):
    other = factories.member(factories.ExpertInstitutionFactory.create(), "expert")
    top = dict.fromkeys(SCORES, 100)

    assessment_submit(actor=expert, need=published_need, scores=top)
    published_need.refresh_from_db()
    alone = published_need.is_high_value
    assessment_submit(actor=other, need=published_need, scores=top)
    published_need.refresh_from_db()

    assert alone is False  # a review's one expert put a test need at the top of the list
    assert published_need.is_high_value is True


def test_changing_the_panel_rule_marks_the_needs_already_scored_again(
    expert, published_need, province_reviewer
):
    assessment_submit(actor=expert, need=published_need, scores=dict.fromkeys(SCORES, 100))

    policy_update(actor=province_reviewer, high_value_min_experts=1, note="试行单人认定")
    published_need.refresh_from_db()
    marked = published_need.is_high_value
    policy_update(actor=province_reviewer, high_value_min_experts=3, note="三人以上")
    published_need.refresh_from_db()

    assert marked is True
    assert published_need.is_high_value is False


def test_approving_a_proposal_cannot_end_the_pilot_before_its_milestones(
    agency_user, city_reviewer, published_need, published_capability
):
    pilot = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(200),
        milestones=[{"title": "验收", "due": str(until(150))}],
    )

    with pytest.raises(InvalidInput) as refused:
        pilot_proposal_decide(
            actor=city_reviewer, pilot=pilot, approve=True, tolerance_until=until(100)
        )

    assert "tolerance_until" in refused.value.fields
    pilot.refresh_from_db()
    assert pilot.status == "proposed"


def test_the_experts_mean_is_shown_outside_the_need_from_four_experts_on(
    api, expert, published_need, agency_user, city_reviewer
):
    """With one other expert, the mean a colleague read in the API was that expert's own
    score; with two others, their mean follows from the shown one and one's own score, which
    the expert page withholds below three others. The need's agency and committees read it
    from the first score."""
    experts = [expert] + [
        factories.member(factories.ExpertInstitutionFactory.create(), "expert") for _ in range(3)
    ]
    url = f"/api/v1/needs/{published_need.pk}/"
    public = f"/api/v1/public/needs/{published_need.pk}/"
    seen = []
    for n, who in enumerate(experts, start=1):
        assessment_submit(actor=who, need=published_need, scores=dict.fromkeys(SCORES, 60 + n))
        seen.append(
            (
                api.as_user(experts[0]).get(url).json()["value_score"],
                api.as_user(None).get(public).json()["value_score"],
                api.as_user(city_reviewer).get(url).json()["value_score"],
            )
        )

    assert seen[0] == (None, None, pytest.approx(61))
    assert seen[1] == (None, None, pytest.approx(61.5))
    assert seen[2] == (None, None, pytest.approx(62))
    assert seen[3] == (pytest.approx(62.5), pytest.approx(62.5), pytest.approx(62.5))
    page = Client().get(f"/opportunities/{published_need.ref}/").content.decode()
    assert "62.50 分" in page


def test_ordering_by_value_score_follows_the_shown_score_not_the_hidden_one(
    api, agency, agency_user, county_reviewer, city_reviewer
):
    """Below four experts the mean is withheld, but ?ordering=-value_score sorted by it:
    the order gave away the ranking of the hidden means. It sorts by what is shown now."""
    experts = [
        factories.member(factories.ExpertInstitutionFactory.create(), "expert") for _ in range(4)
    ]
    needs = []
    for hidden in (95, 50, 80):  # two experts each: withheld
        need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
        need = review_decide(actor=county_reviewer, need=need, decision="approved")
        need = review_decide(actor=city_reviewer, need=need, decision="approved")
        for who in experts[:2]:
            assessment_submit(actor=who, need=need, scores=dict.fromkeys(SCORES, hidden))
        needs.append(need)
    shown = needs[1]  # four experts: shown, and first
    for who in experts[2:]:
        assessment_submit(actor=who, need=shown, scores=dict.fromkeys(SCORES, 50))
    firm_user = factories.member(factories.FirmFactory.create(), "firm_editor")

    for client, url in (
        (api.as_user(None), "/api/v1/public/needs/"),
        (api.as_user(firm_user), "/api/v1/needs/"),
    ):
        for ordering in ("-value_score", "value_score"):
            rows = client.get(url, {"ordering": ordering}).json()["results"]
            ids = [r["id"] for r in rows if r["id"] in {n.pk for n in needs}]
            hidden_order = [n.pk for n in sorted(needs, key=lambda n: n.pk, reverse=True)]
            hidden_order.remove(shown.pk)
            if ordering.startswith("-"):
                assert ids == [shown.pk, *hidden_order], (url, ordering)
            else:
                assert ids == [shown.pk, *sorted(hidden_order)], (url, ordering)


def test_a_capability_in_a_pilot_is_not_withdrawn_for_editing_until_the_pilot_ends(
    agency_user, city_reviewer, firm_user, published_need, published_capability
):
    """Withdrawing is how a firm edits a published capability: a firm rewrote one in a
    running pilot into another product, and the pilot (then its validated record) read as
    being about that product."""

    pilot = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    client = Client()
    client.force_login(firm_user)
    for step in ("proposed", "running"):
        assert pilot.status == step
        with pytest.raises(InvalidTransition) as excinfo:
            capability_withdraw(actor=firm_user, capability=published_capability)
        assert published_need.title in str(excinfo.value.message)
        # The firm's page says why and offers no withdrawal, but a way to the pilot.
        body = client.get(f"/workspace/firm/capabilities/{published_capability.ref}/")
        html = body.content.decode()
        assert "试点结束前不能撤回或修改" in html
        assert "/withdraw/" not in html
        assert f"/workspace/firm/pilots/{pilot.pk}/" in html
        if step == "proposed":
            pilot = pilot_proposal_decide(actor=city_reviewer, pilot=pilot, approve=True)
    published_capability.refresh_from_db()
    assert published_capability.status == "published"

    pilot_conclude(actor=agency_user, pilot=pilot, outcome="failed", trl_after=6, note="未达标")

    capability = capability_withdraw(actor=firm_user, capability=published_capability)
    assert capability.status == "withdrawn"


def test_a_committee_cannot_return_a_capability_in_a_pilot_for_editing(
    agency_user, city_reviewer, firm_user, published_need, published_capability
):
    """A return made the capability editable: the firm rewrote it into another product
    while its pilot ran. Suspending stays the committee's way to take it off the list."""
    pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    with pytest.raises(InvalidTransition) as excinfo:
        capability_return(actor=city_reviewer, capability=published_capability, reason="补材料")
    assert "试点结束前不能退回修改" in str(excinfo.value.message)
    with pytest.raises(InvalidTransition):  # nor edited on any other route
        capability_update(
            actor=firm_user,
            capability=published_capability,
            expected_version=published_capability.version,
            title="完全不同的产品",
        )
    capability = capability_suspend(
        actor=city_reviewer, capability=published_capability, reason="核查中"
    )
    assert capability.status == "suspended"


def test_a_committees_start_naming_other_milestones_than_the_proposal_is_refused(
    agency_user, city_reviewer, published_need, published_capability
):
    proposal = pilot_start(
        actor=agency_user,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
        milestones=[{"title": "机构里程碑", "due": until(30).isoformat()}],
    )

    with pytest.raises(InvalidInput) as excinfo:
        pilot_start(
            actor=city_reviewer,
            need=published_need,
            capability=published_capability,
            tolerance_until=until(),
            milestones=[{"title": "委员会里程碑", "due": until(20).isoformat()}],
        )

    assert "milestones" in excinfo.value.fields
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_an_expert_score_with_a_hidden_second_decimal_is_refused(expert, published_need):
    with pytest.raises(InvalidInput):
        assessment_submit(
            actor=expert, need=published_need, scores={**SCORES, "feasibility": 85.0000001}
        )


def test_a_validated_pilot_keeps_the_title_its_capability_ran_under(
    agency_user, city_reviewer, firm_user, published_need, published_capability
):
    """A firm may rework a capability once its pilot has ended; the validated record stays
    about the product that was validated and says what the capability is called now."""
    pilot = pilot_start(
        actor=city_reviewer,
        need=published_need,
        capability=published_capability,
        tolerance_until=until(),
    )
    pilot = pilot_conclude(
        actor=city_reviewer, pilot=pilot, outcome="validated", trl_after=8, note="达标"
    )
    validated_title = published_capability.title

    # when: the firm withdraws the capability and makes it into another product
    capability = capability_withdraw(actor=firm_user, capability=published_capability)
    capability = capability_update(
        actor=firm_user,
        capability=capability,
        expected_version=capability.version,
        title="全新的另一款产品",
    )
    capability_submit(actor=firm_user, capability=capability)

    # then: the pilot names the validated title, and each page says the capability's name now
    pilot.refresh_from_db()
    assert pilot.capability_title == validated_title
    assert pilot.capability_renamed
    public = Client().get(f"/capabilities/{capability.ref}/").content.decode()
    assert f"验证时能力名称“{validated_title}”" in public
    agency_client = Client()
    agency_client.force_login(agency_user)
    page = agency_client.get(f"/workspace/agency/pilots/{pilot.pk}/").content.decode()
    assert validated_title in page
    assert "（现名“全新的另一款产品”）" in page
    api = Client()
    api.force_login(agency_user)
    body = api.get(f"/api/v1/pilots/{pilot.pk}/").json()
    assert body["capability_title"] == validated_title
