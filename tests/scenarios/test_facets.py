"""Facet counts: subtree counts of chains and regions, one scan on PostgreSQL and the same
numbers from the portable path (SQLite, the embedded default, takes that one)."""

import pytest
from django.db.models import Q

from reference.models import IndustryChain, Region
from reference.services import reference_changed
from scenarios import facets
from scenarios.models import ScenarioNeed
from scenarios.selectors import need_public_list
from tests import factories
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def needs(agency):
    ganzhou = factories.AgencyFactory.create(region=Region.objects.get(code="360700"))
    nanchang = factories.AgencyFactory.create(region=Region.objects.get(code="360100"))
    rows = [
        (agency, "360102", ["digital-city", "llm-digital-human"], "livelihood", 5, 300_000),
        (agency, "360102", ["lithium-battery"], "livelihood", 7, None),
        (nanchang, "360100", ["new-energy", "lithium-battery"], "new_track", 7, 9_000_000),
        (ganzhou, "360702", ["nonferrous-metals"], "new_track", 3, 2_000_000),
    ]
    made = [
        make_need(
            org,
            region=region,
            chains=chains,
            category=category,
            min_trl=trl,
            budget_cny=budget,
            status="published",
        )
        for org, region, chains, category, trl, budget in rows
    ]
    make_need(agency, title="草稿不计入")
    return made


def test_need_facets_count_the_selection_and_whole_subtrees(needs):
    result = facets.need_facets(needs=need_public_list())

    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    assert result.total == 4
    assert result.values["category"] == {"livelihood": 2, "new_track": 2}
    assert result.values["trl"] == {5: 1, 7: 2, 3: 1}
    assert result.values["budget"] == {0: 1, 1: 0, 2: 1, 3: 1}
    assert result.values["budget_unset"] == {True: 1}  # the buckets plus it make the total
    # An item with two chains under one root counts once for the root.
    assert result.chains[ids["lithium-battery"]] == 2
    assert result.chains[ids["new-energy"]] == 2
    assert result.chains[ids["emerging"]] == 2
    assert result.chains[ids["hot-topics"]] == 1
    assert result.regions["360000"] == 4
    assert result.regions["360100"] == 3
    assert result.regions["360102"] == 2
    assert result.regions["360700"] == 1


def test_grouping_sets_and_the_portable_path_agree(needs):
    qs = need_public_list().filter(min_trl__gte=4)
    keys = ["category", "validation_type", "min_trl", "region_id", "chain_ids"]
    totals = {"big": Q(budget_cny__gte=1_000_000), "none": Q(budget_cny__isnull=True)}

    fast = facets._grouped_counts(qs, keys, totals)
    portable = facets._grouped_counts_portable(qs.order_by(), keys, totals)

    assert fast == portable
    assert fast[1] == {"total": 3, "big": 1, "none": 1}
    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    lithium, energy = ids["lithium-battery"], ids["new-energy"]
    assert fast[0]["chain_ids"][str(lithium)] == 1
    assert fast[0]["chain_ids"][facets.chain_key([lithium, energy])] == 1


def test_chain_ids_follow_the_links_whichever_side_changes_them(needs):
    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    need = needs[0]

    def stored(item):
        text = type(item).objects.get(pk=item.pk).chain_ids
        return [int(i) for i in text.split(",")] if text else []

    assert stored(need) == sorted([ids["digital-city"], ids["llm-digital-human"]])
    need.chains.set([ids["lithium-battery"]])
    assert stored(need) == [ids["lithium-battery"]]
    assert need.chain_ids == str(ids["lithium-battery"])
    need.save()  # the object in hand carries the new value: a later save keeps it
    assert stored(need) == [ids["lithium-battery"]]

    track = IndustryChain.objects.get(slug="nonferrous-metals")
    track.needs.add(needs[1])  # from the chain's side
    assert stored(needs[1]) == sorted([ids["lithium-battery"], track.pk])
    track.needs.remove(needs[3])
    assert stored(needs[3]) == []
    track.needs.add(needs[0], needs[3])
    track.needs.clear()
    assert [stored(n) for n in (needs[0], needs[1], needs[3])] == [
        [ids["lithium-battery"]],
        [ids["lithium-battery"]],
        [],
    ]
    need.chains.clear()
    assert stored(need) == []


def test_facets_follow_a_change_of_chains(needs):
    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    before = facets.need_facets(needs=need_public_list()).chains

    needs[3].chains.set([ids["digital-city"]])  # committed at once outside atomic blocks
    facets._bump()
    after = facets.need_facets(needs=need_public_list()).chains

    assert before[ids["nonferrous-metals"]] == 1
    assert ids["nonferrous-metals"] not in after
    assert after[ids["digital-city"]] == before[ids["digital-city"]] + 1


def test_counts_of_an_empty_selection(needs):
    result = facets.need_facets(needs=ScenarioNeed.objects.none())

    assert result.total == 0
    assert result.chains == {}
    assert result.regions == {}


def test_a_committed_change_moves_the_generation_and_enqueues_the_warm_up(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    """Every process registers the task by name (a web process that never imported
    scenarios.tasks would fail after the commit otherwise)."""
    from celery import current_app

    sent = []
    monkeypatch.setattr(
        current_app.tasks["scenarios.warm_list_counts"],
        "apply_async",
        lambda kwargs: sent.append(kwargs),
    )
    settings.LISTS_WARM_COUNTS = True
    before = facets.lists_generation()

    with django_capture_on_commit_callbacks(execute=True):
        facets.lists_changed()
        facets.lists_changed()  # one bump per transaction

    assert facets.lists_generation() != before
    assert len(sent) == 1


def test_a_stream_of_changes_keeps_one_warm_up_waiting(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    """Found by the load test (bench/load.py): one task per change queued hundreds of
    counts ahead of matching in the worker. A waiting warm-up counts the generation of
    when it runs, so the changes before it starts need no task of their own."""
    from celery import current_app

    sent = []
    monkeypatch.setattr(
        current_app.tasks["scenarios.warm_list_counts"],
        "apply_async",
        lambda kwargs: sent.append(kwargs),
    )
    settings.LISTS_WARM_COUNTS = True

    for _ in range(3):  # what runs after each of three commits while the warm-up waits
        with django_capture_on_commit_callbacks(execute=True):
            facets._bump()
    waiting = len(sent)
    facets.warm_list_counts()  # the worker starts it: later changes need a new one
    with django_capture_on_commit_callbacks(execute=True):
        facets._bump()

    assert waiting == 1
    assert len(sent) == 2


def test_a_stale_object_saved_in_full_keeps_the_new_chain_ids(needs):
    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    stale = ScenarioNeed.objects.get(pk=needs[1].pk)  # loaded before the links change
    needs[1].chains.set([ids["digital-city"]])

    stale.title = "只改了名称"
    stale.save()

    row = ScenarioNeed.objects.get(pk=needs[1].pk)
    assert (row.title, row.chain_ids) == ("只改了名称", str(ids["digital-city"]))


def test_deleting_a_chain_updates_its_items_chain_ids(needs, firm):
    from tests.scenarios.helpers import make_capability

    parent = IndustryChain.objects.get(slug="hot-topics")
    track = IndustryChain.objects.create(
        slug="test-track", name_zh="测试赛道", parent=parent, path=parent.path + "test-track/"
    )
    reference_changed()
    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    needs[0].chains.add(track)
    cap = make_capability(firm, chains=["test-track", "digital-city"])
    assert str(track.pk) in ScenarioNeed.objects.get(pk=needs[0].pk).chain_ids

    track.delete()

    need_row = ScenarioNeed.objects.get(pk=needs[0].pk)
    assert need_row.chain_ids == facets.chain_key([ids["digital-city"], ids["llm-digital-human"]])
    assert type(cap).objects.get(pk=cap.pk).chain_ids == str(ids["digital-city"])
    assert facets.stale_chain_ids(ScenarioNeed) == []


def test_check_chain_ids_reports_and_fixes_rows_written_around_the_signals(needs):
    from django.core.management import CommandError, call_command

    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    through = ScenarioNeed.chains.through
    through.objects.bulk_create(  # no m2m_changed
        [through(scenarioneed_id=needs[1].pk, industrychain_id=ids["digital-city"])]
    )
    ScenarioNeed.objects.filter(pk=needs[2].pk).update(chain_ids="15,")  # hand-edited

    assert facets.stale_chain_ids(ScenarioNeed) == sorted([needs[1].pk, needs[2].pk])
    facets.need_facets(needs=need_public_list())  # a malformed value is no 500
    with pytest.raises(CommandError, match="--fix"):
        call_command("check_chain_ids")
    call_command("check_chain_ids", "--fix")

    assert facets.stale_chain_ids(ScenarioNeed) == []
    assert ScenarioNeed.objects.get(pk=needs[1].pk).chain_ids == facets.chain_key(
        [ids["lithium-battery"], ids["digital-city"]]
    )
    call_command("check_chain_ids")  # clean now: no error


def test_counting_inside_a_transaction_gives_back_its_planner_settings(needs):
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL parallel_setup_cost = 777")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 3")
        facets._bump()
        facets.need_facets(needs=need_public_list())
        cursor.execute(
            "SELECT current_setting('parallel_setup_cost'), "
            "current_setting('max_parallel_workers_per_gather')"
        )
        assert cursor.fetchone() == ("777", "3")


@pytest.mark.django_db(transaction=True)
def test_two_link_changes_of_one_item_at_once_keep_both(reference, agency):
    import threading

    from django.db import connection, transaction

    need = make_need(agency, region="360102", chains=["digital-city"])
    ids = dict(IndustryChain.objects.values_list("slug", "id"))
    first_linked, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                ScenarioNeed.objects.get(pk=need.pk).chains.add(ids["lithium-battery"])
                first_linked.set()
                go_on.wait(10)  # holds its transaction open while the second one starts
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_linked.wait(10)
            ScenarioNeed.objects.get(pk=need.pk).chains.add(ids["new-energy"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_linked.wait(10)
    threads[1].join(0.5)  # the second waits on the first's lock
    go_on.set()
    for t in threads:
        t.join(20)

    assert errors == []
    assert ScenarioNeed.objects.get(pk=need.pk).chain_ids == facets.chain_key(
        [ids["digital-city"], ids["lithium-battery"], ids["new-energy"]]
    )


@pytest.mark.django_db(transaction=True)
def test_deleting_a_chain_moves_the_counts_on(reference, needs):
    parent = IndustryChain.objects.get(slug="hot-topics")
    track = IndustryChain.objects.create(
        slug="only-track", name_zh="唯一赛道", parent=parent, path=parent.path + "only-track/"
    )
    reference_changed()
    needs[3].chains.set([track])
    facets._bump()
    before = facets.need_facets(needs=need_public_list()).chains

    track.delete()  # committed: the counts' generation moves on

    after = facets.need_facets(needs=need_public_list()).chains
    assert before[parent.pk] == after.get(parent.pk, 0) + 1
    assert ScenarioNeed.objects.get(pk=needs[3].pk).chain_ids == ""


def test_the_usual_copy_and_partial_load_idioms_still_work(needs):
    copy = ScenarioNeed.objects.get(pk=needs[0].pk)
    copy.pk = None
    copy.id = None
    copy.ref = "N-COPY-1"
    copy._state.adding = True
    copy.save()
    assert ScenarioNeed.objects.filter(ref="N-COPY-1").exists()

    partial = ScenarioNeed.objects.only("id", "title").get(pk=needs[1].pk)
    partial.title = "只加载了名称"
    partial.save()
    row = ScenarioNeed.objects.get(pk=needs[1].pk)
    assert (row.title, row.description) == ("只加载了名称", needs[1].description)


@pytest.mark.parametrize("categories", [["new_track"], ["new_track", "livelihood"]])
def test_items_alike_in_every_counted_column_are_each_counted(agency, categories):
    """A multiple-choice filter makes the selection DISTINCT: the one-scan count folded
    needs of one category, region, TRL and chains into one row, and the list showed one of
    four."""
    from portal import lists

    for n in range(4):
        make_need(
            agency, region="360102", status="published", title=f"同类需求{n}", category="new_track"
        )
    make_need(agency, region="360102", status="published", category="livelihood")
    form = lists.NeedQueryForm({"category": categories})
    selection = lists.select(form=form, queryset=need_public_list(), kind="need")

    counted = facets.need_facets(needs=selection.filtered)

    expected = 4 if categories == ["new_track"] else 5
    assert selection.filtered.count() == expected
    assert counted.total == expected
    assert counted.values["category"]["new_track"] == 4
