"""Migration 0003's data steps: per-row ``is_current`` flags become one pointer per need,
and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from matching.models import Match, NeedCurrentRun
from scenarios.services.policy import policy_current

BEFORE = [("matching", "0002_drop_redundant_match_indexes")]


def latest():
    """Every app's newest migration: where the tests leave the database (0003's data step
    runs on the way; a later migration that only adds columns changes nothing of it)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_current_flags_become_need_pointers(reference, province):
    needs = province["needs"]
    caps = province["caps"]
    policy_id = policy_current().pk
    old_apps = migrate(BEFORE)
    try:
        OldRun = old_apps.get_model("matching", "MatchRun")
        OldMatch = old_apps.get_model("matching", "Match")
        first, second = (
            OldRun.objects.create(scope="full", policy_id=policy_id, status="done")
            for _ in range(2)
        )

        def row(run, need, cap, rank, current):
            return OldMatch(
                run=run,
                need_id=need.pk,
                capability_id=cap.pk,
                firm_id=cap.firm_id,
                score=0.5,
                rank=rank,
                is_current=current,
                breakdown={},
            )

        OldMatch.objects.bulk_create(
            [
                # needs[0]: superseded by the second run; needs[1]: only the first run.
                row(first, needs[0], caps[0], 1, False),
                row(second, needs[0], caps[0], 1, True),
                row(second, needs[0], caps[1], 2, True),
                row(first, needs[1], caps[1], 1, True),
                # needs[2] has rows, none current: it gets no pointer.
                row(first, needs[2], caps[2], 1, False),
            ]
        )
    finally:
        migrate(latest())

    pointers = dict(NeedCurrentRun.objects.values_list("need_id", "run_id"))
    assert pointers == {needs[0].pk: second.pk, needs[1].pk: first.pk}
    current = set(Match.objects.current().values_list("need_id", "run_id", "capability_id"))
    assert current == {
        (needs[0].pk, second.pk, caps[0].pk),
        (needs[0].pk, second.pk, caps[1].pk),
        (needs[1].pk, first.pk, caps[1].pk),
    }

    # Rolling back restores the flags from the pointers.
    try:
        old_apps = migrate(BEFORE)
        flagged = old_apps.get_model("matching", "Match").objects.filter(is_current=True)
        assert set(flagged.values_list("need_id", "run_id", "capability_id")) == current
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_going_back_before_0005_drops_orphans_and_restores_the_keys(reference, province):
    # given: rows without database foreign keys, one of them pointing at no need
    from matching.models import MatchRun

    policy_id = policy_current().pk
    run = MatchRun.objects.create(scope="full", policy_id=policy_id, status="done")
    cap = province["caps"][0]
    common = {"run": run, "capability_id": cap.pk, "firm_id": cap.firm_id, "score": 0.5}
    Match.objects.create(need_id=province["needs"][0].pk, rank=1, breakdown={}, **common)
    Match.objects.create(need_id=10**9, rank=1, breakdown={}, **common)
    try:
        # when: migrating back to the keys
        migrate([("matching", "0004_chunk_exclusions")])

        # then: the orphan is gone and the keys hold again
        assert list(Match.objects.values_list("need_id", flat=True)) == [province["needs"][0].pk]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_constraint WHERE conrelid = "
                    "'matching_match'::regclass AND contype = 'f'"
                )
                assert cursor.fetchone()[0] == 3
    finally:
        migrate(latest())
