"""Every event of the scenarios app reaches matching, through the real services that send
it, and starts the run the matching services decide on; a rolled-back change starts none."""

import pytest
from django.db import transaction

from accounts.choices import Role
from matching.engine.scoring import FEATURES
from matching.models import Match, MatchRun
from matching.receivers import RECEIVERS
from matching.services import runs
from scenarios import events
from scenarios.exchange import needs_import
from scenarios.services.capabilities import capability_submit, capability_withdraw
from scenarios.services.needs import need_submit
from scenarios.services.negative_list import negative_entry_create, negative_entry_deactivate
from scenarios.services.policy import policy_current, policy_update
from scenarios.services.reviews import need_approve
from tests import factories
from tests.matching.world import run_inline
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


def deliver(callbacks) -> None:
    """Run what was queued for after the commit: event deliveries, mails. Tasks the
    receivers enqueue in turn stay queued on the test's own transaction (no broker)."""
    for callback in callbacks:
        callback()


def new_runs(before: set[int]) -> list[MatchRun]:
    return list(MatchRun.objects.exclude(pk__in=before).order_by("pk"))


def test_every_scenarios_event_has_a_matching_receiver():
    subscribed = {event for event, _receiver in RECEIVERS}

    assert subscribed == set(events.ALL_EVENTS)
    assert all(event.has_listeners() for event in events.ALL_EVENTS)


def test_need_published_starts_a_run_for_that_need(
    province,
    agency,
    agency_user,
    county_reviewer,
    city_reviewer,
    django_capture_on_commit_callbacks,
):
    # given: a need approved by its county, waiting at the city
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = need_approve(actor=county_reviewer, need=need)
    before = set(MatchRun.objects.values_list("pk", flat=True))

    # when: the city publishes it, and the transaction commits
    with django_capture_on_commit_callbacks() as callbacks:
        need = need_approve(actor=city_reviewer, need=need)
    assert need.status == "published"
    assert new_runs(before) == []  # nothing before the commit
    deliver(callbacks)

    # then: one run for exactly that need, which scores it
    [run] = new_runs(before)
    assert (run.scope, run.target_id, run.status) == ("need", need.pk, "pending")
    run_inline(run)
    assert Match.objects.current().filter(need=need).exists()


def test_a_rolled_back_publication_starts_nothing(
    province,
    agency,
    agency_user,
    county_reviewer,
    city_reviewer,
    django_capture_on_commit_callbacks,
):
    need = need_submit(actor=agency_user, need=make_need(agency, region="360102"))
    need = need_approve(actor=county_reviewer, need=need)
    before = set(MatchRun.objects.values_list("pk", flat=True))

    def approve_then_fail():
        with transaction.atomic():
            need_approve(actor=city_reviewer, need=need)
            raise RuntimeError("something after the approval failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        approve_then_fail()

    assert callbacks == []
    assert new_runs(before) == []
    need.refresh_from_db()
    assert need.status == "in_review"


def test_capability_published_starts_a_run_for_what_it_reaches(
    province, firm, firm_user, django_capture_on_commit_callbacks
):
    before = set(MatchRun.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks() as callbacks:
        cap = capability_submit(
            actor=firm_user,
            capability=make_capability(
                firm,
                title="固态电池储能安全监测",
                description="固态电池储能电站热失控预警与安全监测。",
                chains=["solid-state-battery"],
                keywords=["固态电池", "热失控"],
            ),
        )
    deliver(callbacks)

    [run] = new_runs(before)
    assert (run.scope, run.target_id) == ("capability", cap.pk)
    run_inline(run)
    assert Match.objects.current().filter(need=province["needs"][2], capability=cap).exists()


def test_capability_withdrawn_rescores_the_needs_that_held_it(
    province, django_capture_on_commit_callbacks
):
    # given: current matches, and a capability that is among some needs' candidates
    run_inline(runs.match_run_request(scope="full"))
    held = Match.objects.current().filter(capability=province["caps"][0])
    holders = set(held.values_list("need_id", flat=True))
    assert holders
    cap = province["caps"][0]
    editor = factories.member(cap.firm, Role.FIRM_EDITOR)
    before = set(MatchRun.objects.values_list("pk", flat=True))

    # when: its firm takes it off the list
    with django_capture_on_commit_callbacks() as callbacks:
        capability_withdraw(actor=editor, capability=cap, reason="产品升级")
    deliver(callbacks)

    # then: one run rescores exactly those needs, and it is no longer anyone's candidate
    [run] = new_runs(before)
    assert (run.scope, run.target_id) == ("capability", cap.pk)
    run = run_inline(run)
    assert run.status == "done"
    assert run.total == len(holders)
    assert not Match.objects.current().filter(capability=cap).exists()
    assert all(Match.objects.current().filter(need_id=n).exists() for n in holders)


def test_withdrawing_a_capability_nobody_holds_starts_nothing(
    province, firm, firm_user, django_capture_on_commit_callbacks
):
    cap = capability_submit(actor=firm_user, capability=make_capability(firm, title="独立能力"))
    before = set(MatchRun.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks() as callbacks:
        capability_withdraw(actor=firm_user, capability=cap)
    deliver(callbacks)

    assert new_runs(before) == []


def test_lists_bulk_published_starts_one_full_run(django_capture_on_commit_callbacks):
    rows = [
        {
            "ref": f"EVT-N-{n}",
            "title": f"事件测试需求{n}",
            "description": "城市排水管网积水监测与预警。",
            "category": "social_governance",
            "chains": ["digital-city"],
            "keywords": ["积水监测"],
            "region_code": "360102",
            "validation_type": "technology",
            "min_trl": 5,
            "org_name": "南昌市东湖区事件测试局",
        }
        for n in range(3)
    ]
    before = set(MatchRun.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks() as callbacks:
        needs_import(actor=None, rows=rows, publish=True)
    deliver(callbacks)

    assert [(r.scope, r.target_id) for r in new_runs(before)] == [("full", None)]


def test_negative_list_changes_start_full_runs_that_apply_them(
    province, province_reviewer, django_capture_on_commit_callbacks
):
    # given: current matches that include the drainage capability
    run_inline(runs.match_run_request(scope="full"))
    drainage = province["caps"][0]
    assert Match.objects.current().filter(capability=drainage).exists()
    before = set(MatchRun.objects.values_list("pk", flat=True))

    # when: the province forbids a word of its description
    with django_capture_on_commit_callbacks() as callbacks:
        entry = negative_entry_create(
            actor=province_reviewer, kind="keyword", keyword="液位计", reason="测试"
        )
    deliver(callbacks)

    # then: a full run drops it from every need's candidates
    [run] = new_runs(before)
    assert run.scope == "full"
    run_inline(run)
    assert not Match.objects.current().filter(capability=drainage).exists()

    # and switching the entry off brings it back with the next full run
    before = set(MatchRun.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks() as callbacks:
        negative_entry_deactivate(actor=province_reviewer, entry=entry, reason="政策调整")
    deliver(callbacks)
    [run] = new_runs(before)
    run_inline(run)
    assert Match.objects.current().filter(capability=drainage).exists()


def test_policy_changed_starts_a_full_run_only_when_matching_changes(
    province, province_reviewer, django_capture_on_commit_callbacks
):
    before = set(MatchRun.objects.values_list("pk", flat=True))

    # when: only the experts' criteria change
    criteria = [dict(c) for c in policy_current().selection_criteria]
    criteria[0]["weight"] = criteria[0]["weight"] + 0.05
    with django_capture_on_commit_callbacks() as callbacks:
        policy_update(actor=province_reviewer, selection_criteria=criteria)
    deliver(callbacks)

    # then: matching is untouched
    assert new_runs(before) == []

    # when: the matching weights change
    text_only = dict.fromkeys(FEATURES, 0.0) | {"text": 1.0}
    with django_capture_on_commit_callbacks() as callbacks:
        policy = policy_update(actor=province_reviewer, matching_weights=text_only)
    deliver(callbacks)

    # then: one full run under the new version
    [run] = new_runs(before)
    assert (run.scope, run.policy_id) == ("full", policy.pk)


def test_system_full_runs_asked_while_one_waits_are_that_run(province):
    # given: a full run waiting in the queue under the current policy
    waiting = runs.match_run_request(scope="full")

    # when: the system asks again (another event, the nightly schedule)
    again = runs.match_run_request(scope="full")

    # then: the same run; an operator's own request, and a run once started, are new ones
    assert again.pk == waiting.pk
    assert runs.match_run_request(scope="full", enqueue=False).pk != waiting.pk
    run_inline(waiting)
    assert runs.match_run_request(scope="full").pk != waiting.pk


def test_withdrawing_a_capability_only_closed_needs_held_starts_nothing(
    province, agency_user, django_capture_on_commit_callbacks
):
    from scenarios.services.needs import need_close

    # given: the drainage capability is a candidate of some needs, which are then closed
    run_inline(runs.match_run_request(scope="full"))
    cap = province["caps"][0]
    for need_id in set(
        Match.objects.current().filter(capability=cap).values_list("need_id", flat=True)
    ):
        need = province["needs"][[n.pk for n in province["needs"]].index(need_id)]
        need_close(actor=agency_user, need=need, reason="到期")
    editor = factories.member(cap.firm, Role.FIRM_EDITOR)
    before = set(MatchRun.objects.values_list("pk", flat=True))

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        capability_withdraw(actor=editor, capability=cap)
    deliver(callbacks)

    # then: no run for needs matching no longer scores
    assert new_runs(before) == []
