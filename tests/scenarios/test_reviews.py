"""Three-tier review routing: every path, returns and resubmission, races."""

import threading
import time

import pytest
from django.db import connection

from activity.models import AuditEvent, Notification
from core.errors import ActorNotAllowed, DomainError, InvalidInput, InvalidTransition
from reference.models import Region
from scenarios.choices import ReviewDecision
from scenarios.models import Review
from scenarios.services import reviews as review_services
from scenarios.services.needs import need_submit, need_update, need_withdraw
from scenarios.services.policy import policy_update
from scenarios.services.setup import reference_load
from tests import factories
from tests.conftest import committee_member
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db
APPROVE, RETURN, REJECT = ReviewDecision.APPROVED, ReviewDecision.RETURNED, ReviewDecision.REJECTED


def decide(actor, need, decision=APPROVE, comment="同意"):
    return review_services.review_decide(actor=actor, need=need, decision=decision, comment=comment)


@pytest.fixture
def city_agency(db):
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360100"))
    return agency, factories.member(agency, "agency_editor")


@pytest.fixture
def province_agency(db):
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360000"))
    return agency, factories.member(agency, "agency_editor")


def test_review_county_need_goes_county_then_city_then_published(
    agency, agency_user, county_reviewer, city_reviewer
):
    need = make_need(agency, region="360102")

    need = need_submit(actor=agency_user, need=need)
    assert (need.status, need.review_tier) == ("in_review", "county")
    need = decide(county_reviewer, need)
    assert (need.status, need.review_tier) == ("in_review", "city")
    need = decide(city_reviewer, need)

    assert need.status == "published"
    assert need.review_tier == ""
    assert need.published_at is not None
    tiers = list(Review.objects.filter(need=need).order_by("id").values_list("tier", "decision"))
    assert tiers == [("county", "approved"), ("city", "approved")]


def test_review_major_county_need_climbs_to_province(
    agency, agency_user, county_reviewer, city_reviewer, province_reviewer
):
    need = make_need(agency, region="360102", is_major=True)
    need = need_submit(actor=agency_user, need=need)

    need = decide(county_reviewer, need)
    need = decide(city_reviewer, need)
    assert (need.status, need.review_tier) == ("in_review", "province")
    need = decide(province_reviewer, need)

    assert need.status == "published"
    actions = list(
        AuditEvent.objects.filter(
            target_id=str(need.pk), target_type="scenarios.scenarioneed"
        ).values_list("action", flat=True)
    )
    assert actions == [
        "need.create",
        "need.submit",
        "need.review_open",
        "need.forward",
        "need.forward",
        "need.publish",
    ]


def test_review_budget_over_policy_threshold_counts_as_major(
    agency, agency_user, county_reviewer, city_reviewer, province_reviewer
):
    policy_update(actor=province_reviewer, major_budget_threshold_cny=1_000_000)
    need = make_need(agency, region="360102", budget_cny=1_000_000, is_major=False)
    need = need_submit(actor=agency_user, need=need)

    need = decide(city_reviewer, decide(county_reviewer, need))

    assert need.review_tier == "province"
    # the agency's trail says why: the budget made it major
    opened = AuditEvent.objects.get(action="need.review_open", target_id=str(need.pk))
    assert opened.reason == (
        "预算达到重大场景标准（100 万元及以上），列为重大场景，由省级工作委员会终审。"
    )


def test_a_need_marked_major_for_its_budget_is_judged_again_after_the_budget_is_lowered(
    agency, agency_user, county_reviewer, city_reviewer, province_reviewer
):
    policy_update(actor=province_reviewer, major_budget_threshold_cny=1_000_000)
    need = need_submit(
        actor=agency_user, need=make_need(agency, region="360102", budget_cny=6_000_000)
    )
    assert (need.is_major, need.major_by_budget) == (True, True)
    need = review_services.review_decide(
        actor=county_reviewer, need=need, decision="returned", comment="预算有误，请核实"
    )

    # when: the agency lowers the budget under the line and submits again
    need = need_update(
        actor=agency_user, need=need, expected_version=need.version, budget_cny=500_000
    )
    assert (need.is_major, need.major_by_budget) == (False, False)
    need = need_submit(actor=agency_user, need=need)

    # then: not major; the county approval forwards to the city, not the province
    need = decide(county_reviewer, need)
    assert not need.is_major
    assert need.review_tier == "city"


def test_a_need_the_province_returned_comes_back_to_the_province_though_no_longer_major(
    agency, agency_user, county_reviewer, city_reviewer, province_reviewer
):
    """The agency lowered the budget under the line and unticked 重大 after the province
    returned it; the city's approval published it, past the province (the line: 500 万元)."""
    need = make_need(agency, region="360102", budget_cny=8_000_000, is_major=True)
    need = decide(city_reviewer, decide(county_reviewer, need_submit(actor=agency_user, need=need)))
    need = decide(province_reviewer, need, RETURN, "重大场景须补充省级统筹论证材料和资金来源")

    # when: the agency makes it an ordinary need and submits it again
    need = need_update(
        actor=agency_user,
        need=need,
        expected_version=need.version,
        budget_cny=4_900_000,
        is_major=False,
    )
    need = need_submit(actor=agency_user, need=need)
    need = decide(city_reviewer, decide(county_reviewer, need))

    # then: the province decides it again (and is told), not the city
    assert not need.is_major
    assert (need.status, need.review_tier) == ("in_review", "province")
    assert Notification.objects.filter(user=province_reviewer, verb="review.pending").count() == 2
    need = decide(province_reviewer, need)
    assert need.status == "published"


def test_a_need_the_province_never_saw_publishes_at_the_city_after_a_city_return(
    agency, agency_user, county_reviewer, city_reviewer
):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = decide(city_reviewer, decide(county_reviewer, need), RETURN, "请补充运维方案")
    need = need_submit(actor=agency_user, need=need)

    need = decide(city_reviewer, decide(county_reviewer, need))

    assert need.status == "published"


def test_an_agencys_own_major_tick_survives_a_budget_edit(
    agency, agency_user, county_reviewer, province_reviewer
):
    policy_update(actor=province_reviewer, major_budget_threshold_cny=1_000_000)
    need = make_need(agency, region="360102", budget_cny=6_000_000, is_major=True)
    need = need_submit(actor=agency_user, need=need)
    assert (need.is_major, need.major_by_budget) == (True, False)
    need = decide(county_reviewer, need, decision="returned", comment="请补充预算依据")
    need = need_update(
        actor=agency_user, need=need, expected_version=need.version, budget_cny=500_000
    )
    assert need.is_major


def test_review_city_need_published_by_city(city_agency, city_reviewer, county_reviewer):
    agency, user = city_agency
    need = need_submit(actor=user, need=make_need(agency, region="360100"))
    assert need.review_tier == "city"

    with pytest.raises(DomainError):
        decide(county_reviewer, need)  # a county committee is not this need's reviewer
    need = decide(city_reviewer, need)

    assert need.status == "published"


def test_review_major_city_need_goes_to_province(city_agency, city_reviewer, province_reviewer):
    agency, user = city_agency
    need = need_submit(actor=user, need=make_need(agency, region="360100", is_major=True))

    need = decide(city_reviewer, need)
    assert need.review_tier == "province"
    need = decide(province_reviewer, need)

    assert need.status == "published"


def test_review_province_wide_need_goes_straight_to_province(
    province_agency, province_reviewer, city_reviewer
):
    agency, user = province_agency
    need = need_submit(actor=user, need=make_need(agency, region="360000"))
    assert need.review_tier == "province"

    with pytest.raises(ActorNotAllowed):
        decide(city_reviewer, need)
    need = decide(province_reviewer, need)

    assert need.status == "published"


@pytest.mark.parametrize("tier", ["county", "city", "province"])
def test_review_return_and_resubmit_at_each_tier(
    tier, agency, agency_user, county_reviewer, city_reviewer, province_reviewer
):
    reviewers = {"county": county_reviewer, "city": city_reviewer, "province": province_reviewer}
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102", is_major=True))
    for step in ("county", "city", "province"):
        if step == tier:
            break
        need = decide(reviewers[step], need)

    need = decide(reviewers[tier], need, RETURN, "请补充现场条件说明")
    assert need.status == "returned"
    assert need.review_tier == ""
    need = need_update(
        actor=agency_user,
        need=need,
        expected_version=need.version,
        resources_offered="开放示范路段三处",
    )
    need = need_submit(actor=agency_user, need=need)

    assert (need.status, need.review_tier) == ("in_review", "county")
    event = AuditEvent.objects.filter(action="need.return", target_id=str(need.pk)).get()
    assert event.reason == "请补充现场条件说明"
    assert event.data == {"tier": tier}


def test_review_reject_is_final(agency, agency_user, county_reviewer):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    need = decide(county_reviewer, need, REJECT, "不符合场景创新方向")

    assert need.status == "rejected"
    with pytest.raises(InvalidTransition):
        need_submit(actor=agency_user, need=need)


def test_review_return_without_reason_is_refused(agency, agency_user, county_reviewer):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    with pytest.raises(InvalidInput) as excinfo:
        decide(county_reviewer, need, RETURN, "  ")

    assert "comment" in excinfo.value.fields
    need.refresh_from_db()
    assert need.status == "in_review"


def test_review_outside_subtree_is_refused(agency, agency_user, other_city_reviewer):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    with pytest.raises(ActorNotAllowed):
        decide(other_city_reviewer, need)

    need.refresh_from_db()
    assert need.review_tier == "county"


def test_review_stale_version_is_refused(agency, agency_user, county_reviewer):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    with pytest.raises(DomainError) as excinfo:
        review_services.review_decide(
            actor=county_reviewer, need=need, decision=APPROVE, expected_version=need.version - 1
        )

    assert excinfo.value.status_code == 412


def test_need_submit_twice_returns_unchanged(agency, agency_user):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    events = AuditEvent.objects.count()

    again = need_submit(actor=agency_user, need=need)

    assert again.version == need.version
    assert AuditEvent.objects.count() == events


def test_need_withdraw_in_review_drops_the_pending_review(agency, agency_user):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    need = need_withdraw(actor=agency_user, need=need, reason="预算调整")

    assert need.status == "withdrawn"
    assert not Review.objects.filter(need=need, decision="pending").exists()


def test_need_update_by_other_agency_is_refused(agency):
    other = factories.AgencyFactory.create()
    outsider = factories.member(other, "agency_editor")
    need = make_need(agency, region="360102")

    with pytest.raises(ActorNotAllowed):
        need_update(actor=outsider, need=need, expected_version=need.version, title="篡改")


def test_need_update_outside_draft_is_refused(agency, agency_user):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    with pytest.raises(InvalidTransition):
        need_update(actor=agency_user, need=need, expected_version=need.version, title="改")


@pytest.mark.django_db(transaction=True)
def test_review_two_concurrent_reviewers_one_wins(monkeypatch):
    # given: a county need in review and two members of the same county committee
    reference_load()
    agency = factories.AgencyFactory.create(region=Region.objects.get(code="360102"))
    editor = factories.member(agency, "agency_editor")
    first, second = committee_member("360102"), committee_member("360102")
    need = need_submit(actor=editor, need=make_need(agency, region="360102"))
    original = review_services._check_reviewer

    def slow_check(actor, review, need_):
        time.sleep(0.3)  # hold the row lock so the other reviewer must wait for it
        return original(actor, review, need_)

    monkeypatch.setattr(review_services, "_check_reviewer", slow_check)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name, reviewer, decision):
        barrier.wait()
        try:
            decide(reviewer, need, decision, "意见")
            outcomes[name] = "ok"
        except DomainError as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    # when: both decide at the same moment
    threads = [
        threading.Thread(target=act, args=("a", first, APPROVE)),
        threading.Thread(target=act, args=("b", second, RETURN)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then: one wins, the other gets a conflict, and the trail has one decision
    assert sorted(type(v).__name__ if v != "ok" else "ok" for v in outcomes.values()) in (
        ["InvalidTransition", "ok"],
        ["ok", "StaleVersion"],
    )
    conflict = next(v for v in outcomes.values() if isinstance(v, DomainError))
    assert conflict.status_code in (409, 412)
    decisions = AuditEvent.objects.filter(
        target_id=str(need.pk), action__in=["need.forward", "need.return"]
    )
    assert decisions.count() == 1
    assert Review.objects.filter(need=need).exclude(decision="pending").count() == 1


def test_a_need_whose_deadline_passed_in_review_is_not_published(
    agency, agency_user, county_reviewer, city_reviewer
):
    import datetime as dt

    from core.errors import InvalidTransition
    from scenarios.models import ScenarioNeed
    from scenarios.services.needs import need_submit
    from scenarios.services.reviews import review_decide
    from tests.scenarios.helpers import make_need

    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    review_decide(actor=county_reviewer, need=need, decision="approved")
    ScenarioNeed.objects.filter(pk=need.pk).update(deadline=dt.date(2020, 1, 1))

    with pytest.raises(InvalidTransition) as refused:
        review_decide(actor=city_reviewer, need=need, decision="approved")

    assert "截止日期" in refused.value.message
    need.refresh_from_db()
    assert need.status == "in_review"


def test_review_skips_a_committee_nobody_sits_on_and_says_so(city_agency, city_reviewer):
    """Xihu district's committee (360103) has no members: a need there would wait in
    review for good. The city reviews in its place, is told, and the trail says why."""
    agency, agency_user = city_agency
    need = make_need(agency, region="360103")

    need = need_submit(actor=agency_user, need=need)

    assert (need.status, need.review_tier) == ("in_review", "city")
    review = Review.objects.get(need=need)
    assert review.committee.region_id == "360100"
    event = AuditEvent.objects.filter(action="need.review_open").latest("id")
    assert "暂无委员" in event.reason
    assert "西湖区" in event.reason
    assert Notification.objects.filter(user=city_reviewer, verb="review.pending").exists()
    need = decide(city_reviewer, need)
    assert need.status == "published"


def test_review_forward_skips_an_unstaffed_city(agency, agency_user, county_reviewer):
    """County approves; nobody sits on the city's committee but the province's does: the
    province reviews next (without a member above, the city's committee keeps it)."""
    need = make_need(agency, region="360102")
    need = need_submit(actor=agency_user, need=need)
    assert need.review_tier == "county"
    province = committee_member("360000")

    need = decide(county_reviewer, need)

    assert (need.status, need.review_tier) == ("in_review", "province")
    event = AuditEvent.objects.filter(action="need.forward").latest("id")
    assert event.reason.startswith("同意")
    assert "暂无委员" in event.reason
    assert decide(province, need).status == "published"


def test_review_stays_at_its_own_committee_when_nobody_above_has_members(city_agency):
    agency, agency_user = city_agency
    need = make_need(agency, region="360103")

    need = need_submit(actor=agency_user, need=need)

    assert need.review_tier == "county"
    assert AuditEvent.objects.filter(action="need.review_open").latest("id").reason == ""
