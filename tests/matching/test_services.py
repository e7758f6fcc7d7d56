"""Matching runs through the services (the tasks call exactly these)."""

import pytest

from matching import index
from matching.engine.scoring import FEATURES
from matching.models import Match, MatchRun
from matching.services import history, results, runs
from tests import factories
from tests.matching.world import run_inline

pytestmark = pytest.mark.django_db


def test_a_full_index_volume_does_not_fail_the_run(province, settings, tmp_path, monkeypatch):
    # given: no index built yet, and a shared index volume that is full
    import errno

    from matching import index
    from matching.engine.retrieval import CapabilityIndex

    settings.MATCHING_INDEX_DIR = str(tmp_path)
    monkeypatch.setattr(index, "_WARM", {})

    def full(self, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(CapabilityIndex, "save", full)

    # when
    run = run_inline(runs.match_run_request(scope="full", enqueue=False))

    # then: scored with the index in memory; only the file is missing
    assert run.status == "done"
    assert run.processed == 3
    assert not list(tmp_path.glob("index-*"))


def test_full_run_scores_and_explains_every_need(province, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run = runs.match_run_request(scope="full")

    assert len(callbacks) == 1  # the run is enqueued after commit
    run = run_inline(run)
    assert run.status == "done"
    assert run.processed == run.total == 3
    matches = Match.objects.current().filter(run=run)
    assert matches.count() > 0
    for match in matches:
        features = match.breakdown["features"]
        assert set(features) == set(FEATURES)
        assert all(0 <= v <= 1 for v in features.values())
        weighted = sum(match.breakdown["weights"][f] * features[f] for f in FEATURES)
        assert weighted == pytest.approx(match.score, abs=1e-6)


def test_full_run_ranks_the_fitting_capability_first(province):
    run = run_inline(runs.match_run_request(scope="full"))

    firsts = {
        m.need.title: m.capability.title
        for m in Match.objects.filter(run=run, rank=1).select_related("need", "capability")
    }

    assert firsts["低空物流无人机配送试点"] == "多旋翼无人机即时配送系统"
    assert firsts["固态电池储能电站安全验证"] == "硫化物全固态电池电芯"


def test_rerun_with_same_inputs_gives_same_rows(province):
    first = run_inline(runs.match_run_request(scope="full"))

    second = run_inline(runs.match_run_request(scope="full"))

    def rows(run):
        return sorted(
            Match.objects.filter(run=run).values_list(
                "need_id", "capability_id", "rank", "score", "recommended"
            )
        )

    assert rows(first) == rows(second)
    assert Match.objects.current().filter(run=first).count() == 0
    assert Match.objects.current().count() == Match.objects.filter(run=second).count()


def test_task_functions_twice_reach_the_same_end_state(province):
    from matching import tasks

    run = runs.match_run_request(scope="full")

    def state():
        run.refresh_from_db()
        rows = Match.objects.filter(run=run).order_by("pk")
        return (
            run.status,
            run.processed,
            run.counts,
            list(rows.values_list("pk", "need_id", "capability_id", "score", "recommended")),
        )

    tasks.execute_run(run_id=run.pk)
    first = state()
    tasks.execute_run(run_id=run.pk)  # redelivered: every step again
    tasks.finish_run(run_id=run.pk)
    tasks.score_chunk(run_id=run.pk, number=0)

    assert first[0] == "done"
    assert first[3]
    assert state() == first  # same rows (same ids), same progress and counts


def test_conflict_of_interest_and_negative_list_pairs_never_appear(province, province_reviewer):
    from accounts.models import OrganizationRelation
    from scenarios.services.negative_list import negative_entry_create

    agency = province["agency"]
    related_firm = province["firms"][1]  # owns the drone capability
    OrganizationRelation.objects.create(from_org=related_firm, to_org=agency, kind="investment")
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="数字孪生", reason="测试禁用"
    )

    run = run_inline(runs.match_run_request(scope="full"))

    matches = Match.objects.filter(run=run).select_related("capability")
    assert matches.exists()
    assert not matches.filter(capability__firm=related_firm).exists()
    assert not any("数字孪生" in m.capability.description for m in matches)


def test_quotas_are_never_exceeded(province, province_reviewer):
    from scenarios.services.policy import policy_update

    policy_update(actor=province_reviewer, recommendations_per_need=2)

    run = run_inline(runs.match_run_request(scope="full"))

    recommended = Match.objects.filter(run=run, recommended=True)
    per_need: dict[int, int] = {}
    per_firm: dict[int, int] = {}
    for m in recommended:
        per_need[m.need_id] = per_need.get(m.need_id, 0) + 1
        per_firm[m.firm_id] = per_firm.get(m.firm_id, 0) + 1
    assert max(per_need.values()) <= 2
    capacity: dict[int, int] = {}
    for cap in province["caps"]:
        capacity[cap.firm_id] = capacity.get(cap.firm_id, 0) + cap.capacity
    assert all(per_firm[f] <= capacity[f] for f in per_firm)
    assert run.params["k"] == 2


def test_firm_quota_counts_running_pilots(province, agency_user):
    import datetime as dt

    from django.utils import timezone

    from scenarios.services.pilots import pilot_start

    firm = province["firms"][0]
    firm_caps = [c for c in province["caps"] if c.firm_id == firm.pk]
    for cap, need in zip(firm_caps, province["needs"], strict=False):
        factories.shortlisted_pair(need, cap)
        pilot_start(
            actor=agency_user,
            need=need,
            capability=cap,
            tolerance_until=timezone.localdate() + dt.timedelta(days=30),
        )
    used = len(firm_caps)
    capacity = sum(c.capacity for c in firm_caps)

    run = run_inline(runs.match_run_request(scope="full"))

    recommended = Match.objects.filter(run=run, recommended=True, firm_id=firm.pk).count()
    assert recommended <= capacity - used


def test_new_policy_version_weights_are_used_and_old_scores_kept(province, province_reviewer):
    from scenarios.services.policy import policy_update

    old_run = run_inline(runs.match_run_request(scope="full"))
    old_scores = dict(Match.objects.filter(run=old_run).values_list("id", "score"))
    text_only = dict.fromkeys(FEATURES, 0.0) | {"text": 1.0}
    policy_update(actor=province_reviewer, matching_weights=text_only)

    new_run = run_inline(runs.match_run_request(scope="full"))

    assert new_run.policy.version == old_run.policy.version + 1
    for m in Match.objects.filter(run=new_run):
        assert m.breakdown["weights"]["text"] == 1.0
        assert m.score == pytest.approx(m.breakdown["features"]["text"], abs=1e-6)
    assert dict(Match.objects.filter(run=old_run).values_list("id", "score")) == old_scores


def test_need_run_replaces_only_that_needs_current_rows(province):
    full = run_inline(runs.match_run_request(scope="full"))
    target, other = province["needs"][0], province["needs"][1]

    single = run_inline(runs.match_run_request(scope="need", object_id=target.pk))

    assert set(Match.objects.current().filter(need=target).values_list("run_id", flat=True)) == {
        single.pk
    }
    assert set(Match.objects.current().filter(need=other).values_list("run_id", flat=True)) == {
        full.pk
    }


def test_capability_run_rescores_the_needs_it_reaches(province, firm):
    from scenarios.services.capabilities import capability_submit
    from tests.scenarios.helpers import make_capability

    run_inline(runs.match_run_request(scope="full"))
    cap = capability_submit(
        actor=None,
        capability=make_capability(
            firm,
            title="固态电池储能安全监测",
            description="固态电池储能电站热失控预警与安全监测。",
            chains=["solid-state-battery"],
            keywords=["固态电池", "热失控"],
        ),
    )

    run = run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))

    battery_need = province["needs"][2]
    assert run.total >= 1
    assert Match.objects.current().filter(need=battery_need, capability=cap).exists()


def test_cancelled_run_does_no_more_work(province):
    run = runs.match_run_request(scope="full")
    runs.match_run_cancel(run_id=run.pk, actor=None)

    runs.match_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "cancelled"
    assert not Match.objects.filter(run=run).exists()


def test_chunked_run_resumes_after_a_lost_chunk(
    province, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_CHUNK_SIZE = 1
    run = runs.match_run_request(scope="full")
    with django_capture_on_commit_callbacks() as enqueued:
        runs.match_run_execute(run_id=run.pk)
    assert len(enqueued) == 3  # one chunk task per need
    results.match_run_score_chunk(run_id=run.pk, number=0)  # then the worker dies

    with django_capture_on_commit_callbacks() as resumed:
        count = runs.match_run_resume(run_id=run.pk)
    assert count == 2
    assert len(resumed) == 2
    for number in (1, 2, 0):
        results.match_run_score_chunk(run_id=run.pk, number=number)
    results.match_run_finish(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "done"
    assert run.processed == 3
    pairs = list(Match.objects.filter(run=run).values_list("need_id", "capability_id"))
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("by_id_rows", [5000, 0], ids=["ids-of-the-run", "every-id"])
def test_rows_of_a_need_or_capability_deleted_mid_run_are_dropped_at_finish(
    province, settings, monkeypatch, by_id_rows
):
    monkeypatch.setattr(results, "EXISTENCE_BY_ID_ROWS", by_id_rows)
    # given: a chunked run whose chunks are written, and rows pointing at a need and a
    # capability that no longer exist (deleted while the run wrote; matching's rows have
    # no database foreign keys)
    settings.MATCHING_CHUNK_SIZE = 1
    run = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    for number in range(3):
        results.match_run_score_chunk(run_id=run.pk, number=number)
    written = Match.objects.filter(run=run).count()
    real = Match.objects.filter(run=run).order_by("need_id", "rank")[0]
    missing = 10**9
    Match.objects.bulk_create(
        [
            Match(
                run=run,
                need_id=real.need_id,
                capability_id=missing,
                firm_id=real.firm_id,
                score=0.99,
                rank=0,
                breakdown=real.breakdown,
            ),
            Match(
                run=run,
                need_id=missing,
                capability_id=real.capability_id,
                firm_id=real.firm_id,
                score=0.99,
                rank=0,
                breakdown=real.breakdown,
            ),
        ]
    )

    # when
    results.match_run_finish(run_id=run.pk)

    # then: the orphans are gone, never recommended nor current; the real rows are kept
    run.refresh_from_db()
    assert run.status == "done"
    rows = Match.objects.filter(run=run)
    assert rows.count() == written
    assert not rows.filter(capability_id=missing).exists()
    assert not rows.filter(need_id=missing).exists()
    assert Match.objects.current().filter(recommended=True).exists()


def test_a_need_deleted_mid_run_leaves_the_others_current(province, settings):
    # given: a chunked run whose chunks are written, then one of its needs deleted (its
    # rows go with it through the ORM; one is planted back, as a chunk committing in the
    # same moment would leave it)
    from django.db import connection

    from matching.models import NeedCurrentRun
    from scenarios.models import ScenarioNeed

    settings.MATCHING_CHUNK_SIZE = 1
    run = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    for number in range(3):
        results.match_run_score_chunk(run_id=run.pk, number=number)
    row = Match.objects.filter(run=run).order_by("need_id", "rank")[0]
    victim = row.need_id
    ScenarioNeed.objects.filter(pk=victim).delete()
    row.pk = None
    row.save()

    # when
    results.match_run_finish(run_id=run.pk)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit would check

    # then: the run is done, the other needs point at it, the deleted one at nothing
    run.refresh_from_db()
    assert run.status == "done"
    assert not Match.objects.filter(need_id=victim).exists()
    assert not NeedCurrentRun.objects.filter(need_id=victim).exists()
    assert NeedCurrentRun.objects.filter(run=run).count() == 2


def test_deleting_a_capability_still_deletes_its_rows(province):
    # given: a run with rows of a capability
    run = run_inline(runs.match_run_request(scope="full", enqueue=False))
    row = Match.objects.filter(run=run)[0]
    capability = row.capability

    # when: the capability is deleted through the ORM (as the admin does)
    capability.delete()

    # then: its rows went with it (the ORM's cascade, not the database's)
    assert not Match.objects.filter(capability_id=capability.pk).exists()
    assert Match.objects.filter(run=run).exists()


def test_run_request_by_firm_is_refused(firm_user):
    from core.errors import ActorNotAllowed

    with pytest.raises(ActorNotAllowed):
        runs.match_run_request(scope="full", actor=firm_user)


def test_prune_removes_only_old_superseded_rows(province, settings):
    from datetime import timedelta

    from django.utils import timezone

    from matching import tasks

    target = province["needs"][0]
    old_full = run_inline(runs.match_run_request(scope="full"))
    newer_need = run_inline(runs.match_run_request(scope="need", object_id=target.pk))
    MatchRun.objects.filter(pk__in=[old_full.pk, newer_need.pk]).update(
        finished_at=timezone.now() - timedelta(days=40)
    )
    current_before = set(Match.objects.current().values_list("pk", flat=True))
    superseded = Match.objects.filter(run=old_full, need=target).count()
    assert superseded > 0

    settings.MATCHING_HISTORY_DAYS = 60
    tasks.prune_history()  # nothing is old enough yet
    assert Match.objects.filter(run=old_full, need=target).count() == superseded

    settings.MATCHING_HISTORY_DAYS = 30
    tasks.prune_history()
    tasks.prune_history()  # a second night changes nothing more

    assert not Match.objects.filter(run=old_full, need=target).exists()
    assert set(Match.objects.current().values_list("pk", flat=True)) == current_before
    old_full.refresh_from_db()
    assert old_full.counts["pruned_rows"] == superseded
    assert "pruned_rows" not in MatchRun.objects.get(pk=newer_need.pk).counts


def test_prune_removes_rows_whose_run_need_or_capability_is_gone(province):
    # given: a run's rows, and rows left behind by deletions that raced a chunk's commit
    from matching import tasks

    run = run_inline(runs.match_run_request(scope="full"))
    kept = set(Match.objects.values_list("pk", flat=True))
    real = Match.objects.filter(run=run).order_by("need_id", "rank")[0]
    missing = 10**9
    planted = []
    for field in ("run_id", "need_id", "capability_id"):
        row = Match.objects.get(pk=real.pk)
        row.pk = None
        setattr(row, field, missing)
        if field != "run_id":
            row.run_id = run.pk
        row.save()
        planted.append(row.pk)

    # when
    tasks.prune_history()

    # then: only the planted rows are gone
    assert not Match.objects.filter(pk__in=planted).exists()
    assert set(Match.objects.values_list("pk", flat=True)) == kept


def test_prune_refuses_a_zero_day_window():
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        history.match_history_prune(older_than_days=0)


def test_word_vectors_setting_selects_the_dense_block_and_its_own_index(province, settings):
    index._WARM.clear()
    run = runs.match_run_request(scope="full", enqueue=False)
    settings.MATCHING_WORD_VECTORS = True
    dense_engine, dense_key = index.warm_engine(run, refresh_dictionary=False)
    settings.MATCHING_WORD_VECTORS = False
    sparse_engine, sparse_key = index.warm_engine(run, refresh_dictionary=False)
    index._WARM.clear()

    assert dense_engine.index is not None
    assert dense_engine.index.dense is not None
    assert sparse_engine.index is not None
    assert sparse_engine.index.dense is None
    assert dense_key != sparse_key  # an index file built one way is never loaded the other


def test_a_stale_run_finishing_late_does_not_replace_a_newer_result(province):
    target, other = province["needs"][0], province["needs"][1]
    stale_full = runs.match_run_request(scope="full", enqueue=False)
    newer = run_inline(runs.match_run_request(scope="need", object_id=target.pk))

    stale_full = run_inline(stale_full)  # started first, finishes last

    assert stale_full.status == "done"
    assert set(Match.objects.current().filter(need=target).values_list("run_id", flat=True)) == {
        newer.pk
    }
    assert set(Match.objects.current().filter(need=other).values_list("run_id", flat=True)) == {
        stale_full.pk
    }


def test_prune_keeps_the_row_a_pilot_started_from(province, agency_user, settings):
    import datetime as dt

    from django.utils import timezone

    from scenarios.services.pilots import pilot_start

    target = province["needs"][0]
    old = run_inline(runs.match_run_request(scope="full"))
    source = Match.objects.filter(run=old, need=target, recommended=True).order_by("rank")[0]
    factories.shortlisted_pair(target, source.capability)
    pilot_start(
        actor=agency_user,
        need=target,
        capability=source.capability,
        tolerance_until=timezone.localdate() + dt.timedelta(days=30),
        source_match_id=source.pk,
    )
    run_inline(runs.match_run_request(scope="need", object_id=target.pk))
    MatchRun.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=40))

    history.match_history_prune(older_than_days=30)

    assert Match.objects.filter(pk=source.pk).exists()
    assert Match.objects.filter(run=old, need=target).count() == 1


def test_closed_needs_recommendations_no_longer_hold_firm_quota(province, province_reviewer):
    from scenarios.models import ScenarioNeed

    run_inline(runs.match_run_request(scope="full"))
    closing, rescored = province["needs"][0], province["needs"][1]
    held = list(
        Match.objects.current().filter(need=closing, recommended=True).values_list("firm_id")
    )
    assert held
    firm_ids = sorted({f for (f,) in held})
    run = runs.match_run_request(scope="need", object_id=rescored.pk, enqueue=False)
    before = results._firm_quotas(run, [rescored.pk], firm_ids)

    ScenarioNeed.objects.filter(pk=closing.pk).update(status="closed")
    after = results._firm_quotas(run, [rescored.pk], firm_ids)

    assert all(after[firm_id] >= before[firm_id] for firm_id in firm_ids)
    assert sum(after.values()) > sum(before.values())


def test_need_runs_announce_only_new_recommendations(province):
    from activity.models import Notification
    from tests import factories

    need = province["needs"][1]
    editors = [factories.member(firm, "firm_editor") for firm in province["firms"]]
    agency_editor = factories.member(province["agency"], "agency_editor")
    announced = Notification.objects.filter(verb="match.recommended", user__in=editors)

    available = Notification.objects.filter(verb="match.available", user=agency_editor)

    run_inline(runs.match_run_request(scope="full"))
    after_full = announced.count()
    run_inline(runs.match_run_request(scope="need", object_id=need.pk))
    after_first, available_first = announced.count(), available.count()
    run_inline(runs.match_run_request(scope="need", object_id=need.pk))

    assert after_full == 0  # the nightly full run announces nothing
    # The same inputs give the same recommendations: the rerun announces none of them again.
    assert announced.count() == after_first
    assert available.count() == available_first


def test_a_new_need_announces_its_recommendations_to_both_sides(province):
    from activity.models import Notification
    from tests import factories
    from tests.matching.world import publish_need

    editors = [factories.member(firm, "firm_editor") for firm in province["firms"]]
    agency_editor = factories.member(province["agency"], "agency_editor")
    need = publish_need(
        province["agency"],
        title="无人机城市低空物流航线验证",
        description="开放城区低空航线，验证多旋翼无人机即时配送。",
        chains=["unmanned-low-altitude"],
        keywords=["无人机配送"],
        region="360102",
    )

    run = run_inline(runs.match_run_request(scope="need", object_id=need.pk))

    recommended = Match.objects.filter(run=run, recommended=True)
    assert recommended.exists()
    to_firms = Notification.objects.filter(verb="match.recommended", user__in=editors)
    assert to_firms.count() == recommended.count()
    assert Notification.objects.filter(
        verb="match.available", user=agency_editor, target_id=str(need.pk)
    ).exists()


def test_cancelling_a_running_chunked_run_stops_it_mid_way(
    province, settings, django_capture_on_commit_callbacks
):
    from core.errors import InvalidTransition
    from matching.models import NeedCurrentRun

    settings.MATCHING_CHUNK_SIZE = 1
    run = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    results.match_run_score_chunk(run_id=run.pk, number=0)
    scored = Match.objects.filter(run=run).count()
    assert scored > 0

    runs.match_run_cancel(run_id=run.pk, actor=None)
    again = runs.match_run_cancel(run_id=run.pk, actor=None)  # a repeat is a no-op
    for number in (1, 2):
        results.match_run_score_chunk(run_id=run.pk, number=number)
    results.match_run_finish(run_id=run.pk)

    run.refresh_from_db()
    assert again.status == run.status == "cancelled"
    assert Match.objects.filter(run=run).count() == scored  # chunks 1 and 2 did nothing
    assert not NeedCurrentRun.objects.filter(run=run).exists()  # never became current
    done = run_inline(runs.match_run_request(scope="full"))
    with pytest.raises(InvalidTransition):
        runs.match_run_cancel(run_id=done.pk, actor=None)


def test_resume_stalled_touches_only_old_running_runs(
    province, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    settings.MATCHING_CHUNK_SIZE = 1
    started = []
    for _ in range(2):
        run = runs.match_run_request(scope="full", enqueue=False)
        runs.match_run_execute(run_id=run.pk)  # running, three chunks, none scored
        started.append(run)
    stalled, recent = started
    MatchRun.objects.filter(pk=stalled.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=20)
    )
    finished = run_inline(runs.match_run_request(scope="full"))
    MatchRun.objects.filter(pk=finished.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=20)
    )

    with django_capture_on_commit_callbacks() as queued:
        resumed = runs.match_runs_resume_stalled(older_than_minutes=15)

    assert resumed == [stalled.pk]
    assert recent.pk not in resumed
    assert len(queued) == 3  # the stalled run's three chunks, nothing of the others


def test_resume_stalled_sends_again_old_pending_runs_whose_task_was_lost(
    province, monkeypatch, django_capture_on_commit_callbacks
):
    import datetime as dt

    from celery import current_app
    from django.utils import timezone

    from core.models import OutboxMessage

    # given: runs requested 20 minutes ago whose tasks were sent and lost (Redis restarted
    # without its data), one requested just now, and an old one an operator's command
    # executes itself
    with django_capture_on_commit_callbacks():
        lost_full = runs.match_run_request(scope="full")
        lost_need = runs.match_run_request(scope="need", object_id=province["needs"][0].pk)
        runs.match_run_request(scope="need", object_id=province["needs"][1].pk)  # recent
    OutboxMessage.objects.update(sent_at=timezone.now())  # sent, then lost with Redis
    inline = runs.match_run_request(scope="need", object_id=province["needs"][2].pk, enqueue=False)
    MatchRun.objects.filter(pk__in=[lost_full.pk, lost_need.pk, inline.pk]).update(
        created_at=timezone.now() - dt.timedelta(minutes=20)
    )
    sent: list[dict] = []
    monkeypatch.setattr(
        current_app.tasks["matching.execute_run"], "apply_async", lambda kwargs: sent.append(kwargs)
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        runs.match_runs_resume_stalled(older_than_minutes=15)

    # then: the two lost runs are sent again, nothing else
    assert sorted(s["run_id"] for s in sent) == sorted([lost_full.pk, lost_need.pk])


def test_resume_with_every_chunk_done_only_finishes(
    province, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_CHUNK_SIZE = 1
    run = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    for number in range(3):
        results.match_run_score_chunk(run_id=run.pk, number=number)

    with django_capture_on_commit_callbacks() as queued:
        count = runs.match_run_resume(run_id=run.pk)

    assert count == 0
    assert len(queued) == 1  # only the finish task: no chunk is scored again
    assert MatchRun.objects.get(pk=run.pk).processed == 3


def test_a_short_need_records_what_the_negative_list_and_conflicts_removed(
    province, province_reviewer
):
    from accounts.models import OrganizationRelation
    from scenarios.services.negative_list import negative_entry_create

    agency = province["agency"]
    related_firm = province["firms"][1]
    OrganizationRelation.objects.create(from_org=related_firm, to_org=agency, kind="investment")
    negative_entry_create(
        actor=province_reviewer, kind="keyword", keyword="数字孪生", reason="测试禁用"
    )

    run = run_inline(runs.match_run_request(scope="full"))

    # five capabilities for k = 5: every need comes short, and says what was removed
    excluded = run.counts["shortfall_excluded"]
    assert set(excluded) <= set(run.counts["shortfall_needs"])
    assert any(conflicts > 0 for _banned, conflicts in excluded.values())
    assert any(banned > 0 for banned, _conflicts in excluded.values())
    chunks = run.chunks.values_list("excluded", flat=True)
    assert all(isinstance(c, dict) for c in chunks)


@pytest.mark.django_db(transaction=True)
def test_a_need_deleted_while_the_finish_runs_does_not_fail_the_run(
    reference, province, settings, monkeypatch
):
    # given: a run's chunks written, and a need deleted from another connection just
    # before the finish step makes the rows current (after it checked which needs exist)
    import threading

    from django.db import connections

    from matching.models import NeedCurrentRun
    from scenarios.models import ScenarioNeed

    settings.MATCHING_CHUNK_SIZE = 1
    run = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    for number in range(3):
        results.match_run_score_chunk(run_id=run.pk, number=number)
    victim = Match.objects.filter(run=run).order_by("need_id")[0].need_id
    real = results._make_current
    calls = []

    def racing(run_id, need_ids, chosen_ids):
        calls.append(list(need_ids))
        if len(calls) == 1:

            def delete():
                try:
                    ScenarioNeed.objects.filter(pk=victim).delete()
                finally:
                    connections.close_all()

            thread = threading.Thread(target=delete)
            thread.start()
            thread.join(10)
        return real(run_id, need_ids, chosen_ids)

    monkeypatch.setattr(results, "_make_current", racing)

    # when
    results.match_run_finish(run_id=run.pk)

    # then: the first commit refused the deleted need's pointer, the second attempt no
    # longer saw it, and the run is done for the others
    run.refresh_from_db()
    assert run.status == "done"
    assert len(calls) == 2
    assert victim in calls[0]
    assert victim not in calls[1]
    assert not NeedCurrentRun.objects.filter(need_id=victim).exists()
    assert NeedCurrentRun.objects.filter(run=run).count() == 2
