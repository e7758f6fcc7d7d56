"""The incremental capability index through the services: publications append to the warm
index, a second worker process picks the appended rows up, the compaction task rebuilds the
shared index and moves the head, and a capability that changes or leaves the list leaves
every need that held it (issue 13, item 4)."""

import json
from pathlib import Path

import pytest

from matching import documents, index
from matching.models import Match, NeedCurrentRun
from matching.services import results, runs
from scenarios import selectors as scenario_selectors
from scenarios.services.capabilities import (
    capability_submit,
    capability_update,
    capability_withdraw,
)
from scenarios.services.policy import policy_current
from tests.matching.world import run_inline
from tests.scenarios.helpers import make_capability

pytestmark = pytest.mark.django_db

NEW_CAPS = [
    (
        "固态电池储能安全监测",
        "固态电池储能电站热失控预警与安全监测。",
        ["solid-state-battery"],
        ["固态电池", "热失控"],
    ),
    (
        "城市内涝积水监测平台",
        "道路积水液位计与内涝预警平台，数字孪生展示。",
        ["digital-city"],
        ["积水", "内涝"],
    ),
    (
        "储能电池热管理",
        "储能系统电池热管理与热失控抑制。",
        ["solid-state-battery"],
        ["储能", "热管理"],
    ),
]


def publish(firm, title, description, chains, keywords):
    cap = make_capability(
        firm, title=title, description=description, chains=chains, keywords=keywords
    )
    return capability_submit(actor=None, capability=cap)


def current_of_every_need() -> dict[int, list[tuple[int, float]]]:
    out: dict[int, list[tuple[int, float]]] = {}
    rows = Match.objects.current().order_by("need_id", "rank", "capability_id")
    for need_id, cap_id, score in rows.values_list("need_id", "capability_id", "score"):
        out.setdefault(need_id, []).append((cap_id, score))
    return out


def ranked_now() -> dict[int, list[tuple[int, float]]]:
    """What ranking every need on this process's warm (appended) index gives now."""
    engine, _key = index.warm_engine_for(policy_current())
    needs = documents.need_docs(analyzer=engine.analyzer)
    out: dict[int, list[tuple[int, float]]] = {}
    for c in engine.rank(
        needs,
        top_n=index.TOP_N,
        related_pairs=scenario_selectors.matching_related_org_pairs(),
        negative_list=documents.negative_list(),
    ):
        out.setdefault(c.need_id, []).append((c.cap_id, c.score))
    return out


def head() -> dict:
    [path] = Path(index.settings.MATCHING_INDEX_DIR).glob("head-*.json")
    return json.loads(path.read_text())


@pytest.fixture
def small_top_n(monkeypatch):
    """Two candidates per need, so that the cut-offs (not "fewer than top n") decide."""
    for module in (index, runs, results):
        monkeypatch.setattr(module, "TOP_N", 2)


def test_capability_runs_leave_every_need_as_a_full_ranking_would(province, small_top_n):
    run_inline(runs.match_run_request(scope="full"))
    firm = province["firms"][0]
    for title, description, chains, keywords in NEW_CAPS:
        cap = publish(firm, title, description, chains, keywords)
        run = run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))
        assert run.status == "done"
        engine, _ = index.warm_engine_for(policy_current())
        assert engine.index is not None
        assert engine.index.appended >= 1
        # Only the found needs were rescored, yet every need's candidates are what ranking
        # all of them on the same index gives (the cut-offs kept between runs were right).
        assert current_of_every_need() == ranked_now()


def test_a_second_worker_process_picks_up_the_appended_rows(province):
    run_inline(runs.match_run_request(scope="full"))
    base = head()["base"]
    cap = publish(province["firms"][1], *NEW_CAPS[0])
    run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))

    index._WARM.clear()  # another process: nothing warm, only the shared file and head
    engine, _ = index.warm_engine_for(policy_current())

    assert engine.index is not None
    assert engine.index.contains(cap.pk)
    assert engine.index.appended == 1
    assert head()["base"] == base  # it started from the compacted file and appended


def test_the_compaction_task_rebuilds_the_index_and_moves_the_head(province, settings):
    from matching import tasks

    settings.MATCHING_COMPACT_MIN_ROWS = 1
    settings.MATCHING_COMPACT_SHARE = 0.0
    run_inline(runs.match_run_request(scope="full"))
    before = head()["base"]
    caps = [publish(province["firms"][i], *NEW_CAPS[i]) for i in range(2)]
    for cap in caps:
        run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))
    engine, _ = index.warm_engine_for(policy_current())
    assert engine.index is not None
    assert engine.index.appended == 2

    tasks.compact_index()

    after = head()["base"]
    assert after != before
    assert index.index_path(after).exists()
    index._WARM.clear()  # a process started after the compaction loads the new file
    engine, _ = index.warm_engine_for(policy_current())
    assert engine.index is not None
    assert engine.index.appended == 0
    assert all(engine.index.contains(c.pk) for c in caps)
    assert engine.index.base_rows == len(province["caps"]) + 2


def test_compaction_is_a_no_op_below_the_limit(province):
    run_inline(runs.match_run_request(scope="full"))
    before = head()["base"]
    cap = publish(province["firms"][0], *NEW_CAPS[0])
    run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))

    assert runs.match_index_compact() is None
    assert head()["base"] == before


def test_a_withdrawn_capability_leaves_every_need_that_held_it(province, firm_user, firm):
    run_inline(runs.match_run_request(scope="full"))
    cap = publish(firm, *NEW_CAPS[0])
    run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))
    holders = set(Match.objects.current().filter(capability=cap).values_list("need_id", flat=True))
    assert holders  # it entered at least the battery need

    capability_withdraw(actor=firm_user, capability=cap)
    run = runs.match_run_after_withdrawal(capability_id=cap.pk)
    assert run is not None
    run_inline(run)

    assert not Match.objects.current().filter(capability=cap).exists()
    engine, _ = index.warm_engine_for(policy_current())
    assert engine.index is not None
    assert not engine.index.contains(cap.pk)
    assert current_of_every_need() == ranked_now()


def test_an_edited_capability_is_rescored_where_it_was_held(province, small_top_n, firm, firm_user):
    run_inline(runs.match_run_request(scope="full"))
    cap = publish(firm, *NEW_CAPS[0])
    run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))
    holders = set(Match.objects.current().filter(capability=cap).values_list("need_id", flat=True))
    assert holders

    # The firm withdraws it, rewrites it into something no need asks for and resubmits.
    capability_withdraw(actor=firm_user, capability=cap)
    cap = capability_update(
        actor=firm_user,
        capability=cap,
        expected_version=None,
        title="钢铁轧制表面缺陷检测",
        description="热轧带钢表面缺陷视觉检测。",
        chains=["steel"],
        keywords=["轧制", "缺陷"],
    )
    cap = capability_submit(actor=firm_user, capability=cap)
    assert cap.status == "published"
    run = run_inline(runs.match_run_request(scope="capability", object_id=cap.pk))

    # Every need that held it was rescored by this run, and all rank as they now should.
    assert set(
        NeedCurrentRun.objects.filter(need_id__in=holders).values_list("run_id", flat=True)
    ) == {run.pk}
    engine, _ = index.warm_engine_for(policy_current())
    assert engine.index is not None
    assert engine.index.contains(cap.pk)
    assert current_of_every_need() == ranked_now()


def test_warm_needs_follow_changed_needs_without_reading_them_all(
    province, django_assert_max_num_queries
):
    from scenarios.models import ScenarioNeed

    run_inline(runs.match_run_request(scope="full"))
    engine, _ = index.warm_engine_for(policy_current())
    first = index.warm_needs(engine)
    assert set(first.ids.tolist()) == set(
        ScenarioNeed.objects.matchable().values_list("id", flat=True)
    )

    # a need edited through the services is read again, the others are kept as they were
    need = ScenarioNeed.objects.matchable().order_by("id")[0]
    ScenarioNeed.objects.filter(pk=need.pk).update(title="需求标题已修改：固态电池储能")
    need.save(update_fields=["updated_at"])  # what a service's save stamps
    second = index.warm_needs(engine)
    assert second.docs[second.row_of[need.pk]].text.startswith("需求标题已修改")
    others = [d for d in first.docs if d.id != need.pk]
    assert all(second.docs[second.row_of[d.id]] is d for d in others)

    # a need closed without a new stamp (an update outside the services) changes the
    # count of matchable needs: every stamp is read again and the need leaves
    ScenarioNeed.objects.filter(pk=need.pk).update(status="closed")
    third = index.warm_needs(engine)
    assert need.pk not in third.row_of
    assert len(third) == len(first) - 1

    # nothing changed: one aggregate (the stamps' fingerprint)
    with django_assert_max_num_queries(1):
        assert index.warm_needs(engine) is third


def test_warm_needs_see_a_change_committed_long_after_its_stamp(province):
    # given: warm needs whose newest stamp is now
    from datetime import timedelta

    from django.utils import timezone

    from scenarios.models import ScenarioNeed

    run_inline(runs.match_run_request(scope="full"))
    engine, _ = index.warm_engine_for(policy_current())
    a, b = ScenarioNeed.objects.matchable().order_by("id")[:2]
    b.save(update_fields=["updated_at"])
    index.warm_needs(engine)

    # when: an edit stamped ten minutes ago commits now (a long import's transaction)
    old = timezone.now() - timedelta(minutes=10)
    ScenarioNeed.objects.filter(pk=a.pk).update(title="迟到的修改：固态电池储能", updated_at=old)

    # then: the fingerprint moved, the changes since the last stamp do not explain it, so
    # every stamp is read again and the edit is seen
    needs = index.warm_needs(engine)
    assert needs.docs[needs.row_of[a.pk]].text.startswith("迟到的修改")


def test_warm_needs_see_statuses_swapped_without_new_stamps(province):
    # given: warm needs with one need closed (changed without touching updated_at)
    from datetime import timedelta

    from django.utils import timezone

    from scenarios.models import ScenarioNeed

    a, b, c = ScenarioNeed.objects.matchable().order_by("id")[:3]
    hour_ago = timezone.now() - timedelta(hours=1)
    ScenarioNeed.objects.filter(pk__in=[a.pk, b.pk]).update(updated_at=hour_ago)
    ScenarioNeed.objects.filter(pk=b.pk).update(status="closed")
    c.save(update_fields=["updated_at"])
    run_inline(runs.match_run_request(scope="full"))
    engine, _ = index.warm_engine_for(policy_current())
    assert set(index.warm_needs(engine).ids.tolist()) == {a.pk, c.pk}

    # when: one closed and another reopened, the count unchanged, no stamp moved
    ScenarioNeed.objects.filter(pk=a.pk).update(status="closed")
    ScenarioNeed.objects.filter(pk=b.pk).update(status="published")

    # then
    assert set(index.warm_needs(engine).ids.tolist()) == {b.pk, c.pk}


def test_the_need_fingerprint_equals_the_one_of_the_stamps_read(province):
    # the database's aggregate and the one computed in memory agree to the microsecond
    fingerprint = scenario_selectors.matching_need_fingerprint()
    if fingerprint is None:
        pytest.skip("computed by PostgreSQL only")
    stamps = scenario_selectors.matching_need_stamps()
    assert len(stamps) == 3
    assert fingerprint == scenario_selectors.need_stamps_fingerprint(stamps)


def test_an_index_saved_under_other_retrieval_settings_is_rebuilt_not_loaded(province, monkeypatch):
    from matching.engine.retrieval import RetrievalConfig

    run_inline(runs.match_run_request(scope="full"))
    _, before = index.warm_engine_for(policy_current())
    retuned = RetrievalConfig(bm25_k1=1.5, bm25_b=0.6)
    assert retuned.key() != documents.retrieval_config().key()

    # An upgrade that retunes the defaults, in a process that starts after it.
    monkeypatch.setattr(documents, "retrieval_config", lambda: retuned)
    index._WARM.clear()
    engine, after = index.warm_engine_for(policy_current(), compacted=True)

    assert after != before
    assert engine.index is not None
    assert engine.index.config == retuned
    assert engine.retrieval == retuned
