"""The dashboard's figures on known data: each selector's numbers as counted by hand, on
PostgreSQL (and the same on SQLite, where review times are computed without percentile_cont)."""

import datetime as dt
import itertools
from collections import Counter

import pytest
from django.utils import timezone

from matching import figures as matching_figures
from matching.models import Match, PairReview
from matching.services import runs
from matching.services.recommendations import pair_respond, pair_shortlist
from reference.models import IndustryChain, Region
from scenarios import figures
from scenarios.models import Review
from scenarios.selectors import public_list_counts
from scenarios.services.needs import need_submit
from scenarios.services.pilots import pilot_conclude, pilot_proposal_decide, pilot_start
from tests import factories
from tests.conftest import committee_member
from tests.matching.world import build_province, run_inline
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def matched(agency):
    world = build_province(agency)
    run_inline(runs.match_run_request(scope="full"))
    return world


def chain_of(slug):
    """The chain (second level) a node belongs to."""
    node = IndustryChain.objects.select_related("parent").get(slug=slug)
    assert node.parent is not None
    return node if node.parent.parent_id is None else node.parent


def test_by_chain_counts_each_item_once_under_its_chain(matched):
    expected_needs: Counter[str] = Counter()
    for need in matched["needs"]:
        for slug in {chain_of(c.slug).slug for c in need.chains.all()}:
            expected_needs[slug] += 1
    expected_caps: Counter[str] = Counter()
    for cap in matched["caps"]:
        for slug in {chain_of(c.slug).slug for c in cap.chains.all()}:
            expected_caps[slug] += 1

    rows = {r["slug"]: r for r in figures.by_chain()}

    assert {s: r["needs"] for s, r in rows.items() if r["needs"]} == dict(expected_needs)
    assert {s: r["capabilities"] for s, r in rows.items() if r["capabilities"]} == dict(
        expected_caps
    )


def test_by_city_and_category(matched):
    cities = {r["code"]: r for r in figures.by_city()}

    assert len(cities) == 12  # Jiangxi's cities, every one listed, and the firms outside
    # the three needs lie in Nanchang (two in Donghu district, one in the city itself)
    assert cities["360100"]["needs"] == 3
    assert sum(r["needs"] for r in cities.values()) == 3
    # capabilities count where they were published (two of the three firms are in Nanchang)
    in_nanchang = sum(1 for c in matched["caps"] if c.region_id.startswith("3601"))
    assert cities["360100"]["capabilities"] == in_nanchang
    assert figures.needs_by_category() == {"social_governance": 3}


def test_by_city_puts_every_published_item_in_exactly_one_row(matched):
    # Given the world's firm registered in Shenzhen (outside the home province) besides
    # two in Nanchang, and the list's own counts
    counts = public_list_counts()
    outside = sum(1 for c in matched["caps"] if not c.region_id.startswith("36"))
    assert outside > 0

    rows = figures.by_city()

    # Then the outside firms' capabilities have a row of their own, last and off the map,
    # and both columns add up to what the lists count
    assert rows[-1] == {
        "code": "",
        "name": "",
        "needs": 0,
        "capabilities": outside,
        "outside": True,
    }
    assert sum(r["capabilities"] for r in rows) == counts["capabilities"] == len(matched["caps"])
    assert sum(r["needs"] for r in rows) == counts["needs"]
    assert not any(r.get("province") for r in rows)  # nothing at the province's own level


def test_the_funnel_moves_one_step_at_a_time(matched, agency_user, city_reviewer):
    need = matched["needs"][0]
    match = Match.objects.current().filter(need=need, recommended=True).order_by("rank")[0]
    editor = factories.member(match.capability.firm, "firm_editor")

    def funnel():
        return figures.need_funnel() | matching_figures.pair_funnel()

    start = funnel()
    pair_respond(actor=editor, match=match, interested=True)
    interested = funnel()
    pair_shortlist(actor=agency_user, match=match, shortlisted=True)
    shortlisted = funnel()
    # An agency's proposal has not started anything (it waits for the committee): the
    # funnel and the months counted it as a pilot.
    proposal = pilot_start(
        actor=agency_user,
        need=need,
        capability=match.capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=90),
    )
    proposed = funnel()
    months = figures.by_month(since=timezone.localdate().replace(day=1))
    assert sum(m["pilots_started"] for m in months) == 0
    pilot = pilot_proposal_decide(actor=committee_member("360100"), pilot=proposal, approve=True)
    piloting = funnel()
    pilot_conclude(actor=agency_user, pilot=pilot, outcome="validated", trl_after=8, note="达标")
    validated = funnel()

    recommended = Match.objects.current().filter(recommended=True).values("need").distinct()
    assert start == {
        "published": 3,
        "recommended": recommended.count(),
        "interest": 0,
        "shortlisted": 0,
        "piloting": 0,
        "validated": 0,
        "scaled": 0,
    }
    assert interested["interest"] == 1
    assert shortlisted["shortlisted"] == 1
    assert proposed["piloting"] == 0
    assert piloting["piloting"] == 1
    assert (validated["validated"], validated["published"]) == (1, 3)


def test_review_days_per_tier_median_and_90th_percentile(agency, agency_user):
    now = timezone.now()
    for days in (1, 2, 3, 10):
        need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
        Review.objects.filter(need=need).update(
            decision="approved",
            created_at=now - dt.timedelta(days=days),
            decided_at=now,
        )
    waiting = need_submit(actor=agency_user, need=make_need(agency, region="360102"))

    [county] = figures.review_days_by_tier()
    queues = figures.waiting_by_committee()

    assert county["tier"] == "county"
    assert county["n"] == 4
    assert county["median_days"] == pytest.approx(2.5, abs=1e-3)
    assert county["p90_days"] == pytest.approx(7.9, abs=1e-3)  # 3 + (10 - 3) × 0.7
    assert queues == [
        {"committee": waiting.reviews.get().committee.organization.name, "tier": "county", "n": 1}
    ]


def test_coverage_and_score_histogram(matched, settings):
    current = Match.objects.current().filter(recommended=True)
    per_need = Counter(current.values_list("need_id", flat=True))
    k = max(per_need.values())

    cover = matching_figures.coverage(k=k)
    bins = matching_figures.score_histogram()

    assert cover["needs"] == 3
    assert cover["full"] == sum(1 for n in per_need.values() if n >= k)
    expected = Counter(min(int(s * 10), 9) for s in current.values_list("score", flat=True))
    assert [b["n"] for b in bins] == [expected.get(i, 0) for i in range(10)]
    assert sum(b["n"] for b in bins) == current.count()
    assert not PairReview.objects.exists()


def test_list_figures_are_served_from_the_cache_the_beat_task_refreshes(
    matched, django_assert_num_queries
):
    from scenarios.tasks import refresh_list_figures

    refresh_list_figures()
    with django_assert_num_queries(0):
        served = figures.list_figures()
    make_need(matched["agency"], region="360102", status="published", title="新发布")

    stale = figures.list_figures()
    refresh_list_figures()

    assert {c["code"]: c["needs"] for c in served["cities"]}["360100"] == 3
    assert {c["code"]: c["needs"] for c in stale["cities"]}["360100"] == 3  # until refreshed
    fresh = figures.list_figures()
    assert {c["code"]: c["needs"] for c in fresh["cities"]}["360100"] == 4


def test_province_level_items_get_their_own_row_and_months_run_without_gaps(matched):
    provincial = factories.AgencyFactory.create(region=Region.objects.get(code="360000"))
    make_need(provincial, region="360000", status="published", title="省级需求")
    since = (timezone.localdate().replace(day=1) - dt.timedelta(days=70)).replace(day=1)

    rows = figures.by_city()
    months = figures.by_month(since=since)

    province_row = next(r for r in rows if r.get("province"))
    assert (province_row["code"], province_row["needs"]) == ("360000", 1)
    assert sum(r["needs"] for r in rows) == 4  # every published need in exactly one row
    names = [m["month"] for m in months]
    assert names[0] == since.strftime("%Y-%m")
    assert names[-1] == timezone.localdate().strftime("%Y-%m")
    years_months = [(int(n[:4]), int(n[5:])) for n in names]
    assert all(  # no month is missing, the empty ones included
        (b[0] - a[0]) * 12 + (b[1] - a[1]) == 1 for a, b in itertools.pairwise(years_months)
    )
    assert months[-1]["published"] == 4
    assert sum(m["published"] for m in months[:-1]) == 0
