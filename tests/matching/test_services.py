"""Matching runs through the services (the tasks call exactly these)."""

import pytest

from matching import services
from matching.models import Match, MatchRun
from matching.scoring import FEATURES

pytestmark = pytest.mark.django_db


def run_inline(run: MatchRun) -> MatchRun:
    """Execute a run in this process, like a worker would (chunks in order)."""
    services.match_run_execute(run_id=run.pk)
    run.refresh_from_db()
    for number in range(run.chunk_count if run.chunk_count > 1 else 0):
        services.match_run_score_chunk(run_id=run.pk, number=number)
    services.match_run_finish(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_full_run_scores_and_explains_every_need(province, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.match_run_request(scope="full")

    assert len(callbacks) == 1  # the run is enqueued after commit
    run = run_inline(run)
    assert run.status == "done"
    assert run.processed == run.total == 3
    matches = Match.objects.filter(run=run, is_current=True)
    assert matches.count() > 0
    for match in matches:
        features = match.breakdown["features"]
        assert set(features) == set(FEATURES)
        assert all(0 <= v <= 1 for v in features.values())
        weighted = sum(match.breakdown["weights"][f] * features[f] for f in FEATURES)
        assert weighted == pytest.approx(match.score, abs=1e-6)


def test_full_run_ranks_the_fitting_capability_first(province):
    run = run_inline(services.match_run_request(scope="full"))

    firsts = {
        m.need.title: m.capability.title
        for m in Match.objects.filter(run=run, rank=1).select_related("need", "capability")
    }

    assert firsts["低空物流无人机配送试点"] == "多旋翼无人机即时配送系统"
    assert firsts["固态电池储能电站安全验证"] == "硫化物全固态电池电芯"
