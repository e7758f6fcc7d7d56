"""The policy preview: today's top candidates beside a draft's, computed without writing."""

import pytest

from core.errors import ActorNotAllowed, InvalidInput
from matching.models import Match, MatchRun
from matching.services import runs
from matching.services.preview import policy_preview
from scenarios.models import PolicyVersion
from tests.matching.world import run_inline

pytestmark = pytest.mark.django_db
TODAY = {
    "text": 0.80,
    "chain": 0.03,
    "keywords": 0.05,
    "trl": 0.04,
    "region": 0.02,
    "track_record": 0.04,
    "capacity": 0.02,
}
REGIONS = {"same_county": 1.0, "same_city": 0.8, "same_province": 0.5, "outside": 0.2}


@pytest.fixture
def matched(province):
    run_inline(runs.match_run_request(scope="full"))
    return province


def test_same_weights_give_the_same_columns_and_nothing_is_written(matched, province_reviewer):
    policy = PolicyVersion.objects.get()
    before = (Match.objects.count(), MatchRun.objects.count(), PolicyVersion.objects.count())

    previews = policy_preview(
        actor=province_reviewer,
        matching_weights=policy.matching_weights,
        region_weights=policy.region_weights,
    )

    assert {p.need_id for p in previews} == {n.pk for n in matched["needs"]}
    assert all(not p.changed for p in previews)
    assert all(p.today for p in previews)
    assert all(row.moved == 0 for p in previews for row in p.today)
    after = (Match.objects.count(), MatchRun.objects.count(), PolicyVersion.objects.count())
    assert after == before


def test_a_weight_on_region_alone_reorders_by_proximity(matched, province_reviewer):
    only_region = {k: 0.0 for k in TODAY} | {"region": 1.0}
    need = matched["needs"][0]

    [preview] = policy_preview(
        actor=province_reviewer,
        matching_weights=only_region,
        region_weights=REGIONS,
        need_ids=[need.pk],
    )

    # under "region only" every score is a region weight: the Shenzhen firm's capability
    # (outside the province) can only score 0.2
    assert preview.draft
    assert all(row.score in (1.0, 0.8, 0.5, 0.2) for row in preview.draft)
    assert [r.score for r in preview.draft] == sorted(
        (r.score for r in preview.draft), reverse=True
    )


def test_invalid_draft_weights_are_refused_with_field_errors(matched, province_reviewer):
    with pytest.raises(InvalidInput) as refused:
        policy_preview(
            actor=province_reviewer,
            matching_weights=TODAY | {"text": -1},
            region_weights=REGIONS | {"same_county": 2.0},
        )

    assert set(refused.value.fields) == {"matching_weights", "region_weights"}


def test_only_the_province_previews(matched, city_reviewer):
    with pytest.raises(ActorNotAllowed):
        policy_preview(actor=city_reviewer, matching_weights=TODAY, region_weights=REGIONS)
