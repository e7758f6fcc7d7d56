"""Segmented counts of the public lists (``scenarios.facets.count_for_lists``): exact after
every kind of write, and after a write of one row counting again only that row's segment."""

import random

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.search import apply_search
from scenarios import facets
from scenarios.filters import CAPABILITY_SEARCH, NEED_SEARCH
from scenarios.models import Capability, ScenarioNeed
from scenarios.selectors import capability_public_list, need_public_list
from tests import factories
from tests.scenarios.helpers import make_capability, make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_segments(monkeypatch):
    """Segments of three ids, so that a handful of rows spans several of them (however high
    the ids of a long test run: never widened)."""
    monkeypatch.setattr(facets, "SEGMENT_ROWS", 3)
    monkeypatch.setattr(facets, "MAX_SEGMENTS", 10**9)


@pytest.fixture
def recounted(monkeypatch):
    """The segments each count asked the database for (None: all of them)."""
    asked: list[list[int] | None] = []
    original = facets._segment_counts

    def spy(rows, width, segments, **kwargs):
        asked.append(None if segments is None else sorted(segments))
        return original(rows, width, segments, **kwargs)

    monkeypatch.setattr(facets, "_segment_counts", spy)
    return asked


def need_selections():
    return {
        "all": need_public_list(),
        "search": apply_search(need_public_list(), NEED_SEARCH, "积水"),
        "two-words": apply_search(need_public_list(), NEED_SEARCH, "监测 预警"),
        "filtered": need_public_list().filter(min_trl__gte=5),
        "nothing": apply_search(need_public_list(), NEED_SEARCH, "没有这个词"),
    }


def assert_exact(selections, key_prefix="n"):
    for name, rows in selections.items():
        assert facets.count_for_lists(f"{key_prefix}:{name}", rows) == rows.count(), name


def test_counts_stay_exact_through_a_random_stream_of_writes(
    small_segments, agency, django_capture_on_commit_callbacks
):
    """Every write goes through a save or delete (the signals), one per transaction or
    several in one; after each the counts of five selections equal a plain count."""
    rng = random.Random(11)
    titles = ["城市内涝积水智能监测预警", "桥梁健康监测", "政务大厅智能导办", "积水点预警广播"]
    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, title=rng.choice(titles), status="published") for _ in range(10)]
    assert_exact(need_selections())

    for step in range(40):
        op = rng.choice(["create", "retitle", "close", "reopen", "delete", "two", "trl"])
        with django_capture_on_commit_callbacks(execute=True):
            if op == "create" or not rows:
                rows.append(
                    make_need(agency, title=rng.choice(titles), status="published", min_trl=3)
                )
            elif op == "retitle":
                need = rng.choice(rows)
                need.title = rng.choice(titles)
                need.save()
            elif op in ("close", "reopen"):
                need = rng.choice(rows)
                need.status = "closed" if op == "close" else "published"
                need.save(update_fields=["status", "updated_at"])
            elif op == "trl":
                need = rng.choice(rows)
                need.min_trl = rng.choice([3, 5, 7])
                need.save(update_fields=["min_trl", "updated_at"])
            elif op == "delete":
                rows.pop(rng.randrange(len(rows))).delete()
            else:  # two rows in one transaction, in different segments
                for need in rng.sample(rows, min(2, len(rows))):
                    need.title = rng.choice(titles)
                    need.save()
        assert_exact(need_selections()), (step, op)


def test_a_write_counts_again_only_its_segment(
    small_segments, agency, recounted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published") for _ in range(12)]
    selection = apply_search(need_public_list(), NEED_SEARCH, "积水")
    assert facets.count_for_lists("k", selection) == 12
    assert recounted == [None]  # the first count: every segment in one query

    assert facets.count_for_lists("k", selection) == 12
    assert recounted == [None]  # nothing written: nothing counted

    target = rows[4]
    with django_capture_on_commit_callbacks(execute=True):
        target.status = "closed"
        target.save()
    assert facets.count_for_lists("k", selection) == 11
    assert recounted == [None, [target.pk // 3]]


@pytest.mark.parametrize("dense", [True, False])
def test_writes_in_two_segments_count_both_again_in_one_query(
    small_segments, agency, recounted, django_capture_on_commit_callbacks, monkeypatch, dense
):
    """Two stale segments: one query, exact, by text (dense) or through the index. On
    PostgreSQL it runs without parallel workers or hash joins (with them the planner read a
    chain filter's two segments through the whole status index), and a caller's own
    transaction gets its settings back."""
    monkeypatch.setattr(facets, "TEXT_DENSITY", 0.0 if dense else 2.0)
    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published", min_trl=5) for _ in range(12)]
    selection = need_public_list().filter(min_trl__gte=5)
    assert facets.count_for_lists("k", selection) == 12
    first, last = rows[0], rows[-1]
    assert first.pk // 3 != last.pk // 3
    with django_capture_on_commit_callbacks(execute=True):
        first.status = "closed"
        first.save()
    with django_capture_on_commit_callbacks(execute=True):
        last.min_trl = 3
        last.save()

    def parallel_workers():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
            return cursor.fetchone()[0]

    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        if postgres:  # the caller's own setting, whatever the server's default
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 3")
        assert facets.count_for_lists("k", selection) == 10
        after = parallel_workers() if postgres else None
    assert recounted[-1] == sorted({first.pk // 3, last.pk // 3})
    counting = [q["sql"] for q in queries if "_segment" in q["sql"]]
    assert len(counting) == 1
    if postgres:
        assert "set_config('max_parallel_workers_per_gather', '0', true)" in " ".join(
            q["sql"] for q in queries
        )
        assert after == "3"


PLANNER = (
    "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), "
    "current_setting('max_parallel_workers_per_gather')"
)


def _planner():
    with connection.cursor() as cursor:
        cursor.execute(PLANNER)
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("autocommit", [True, False])
def test_a_recount_outside_a_transaction_leaves_the_connection_as_it_was(
    small_segments, reference, monkeypatch, autocommit
):
    """Without a transaction of the caller's (the count's own ends, and its settings with
    it) and in a manual one (autocommit off: nothing would end them, so they are put back),
    the next query of the connection (the next request's, with persistent connections)
    plans with the settings it had."""
    if connection.vendor != "postgresql":
        pytest.skip("planner settings are PostgreSQL's")
    monkeypatch.setattr(facets, "TEXT_DENSITY", 0.0)
    before = _planner()
    transaction.set_autocommit(autocommit)
    try:
        counts = facets._segment_counts(need_public_list(), 3, [0, 1])
        during = _planner()
        if not autocommit:
            transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    assert counts == {}
    assert during == before == _planner()


def test_a_new_row_past_the_last_segment_is_counted(
    small_segments, agency, recounted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = make_need(agency, status="published")
    assert facets.count_for_lists("k", need_public_list()) == 1
    # Ids skipped (a rolled-back import consumes them): the new row lands segments later.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('scenarios_scenarioneed', 'id'), %s)",
            [first.pk + 40],
        )
    with django_capture_on_commit_callbacks(execute=True):
        later = make_need(agency, status="published")
    assert later.pk // 3 > first.pk // 3 + 10
    assert facets.count_for_lists("k", need_public_list()) == 2


def test_a_change_of_no_single_row_counts_everything_again(
    small_segments, agency, recounted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(7):
            make_need(agency, status="published")
    assert facets.count_for_lists("k", need_public_list()) == 7
    # Rows written around the signals, then announced without a row (as a bulk import does).
    ScenarioNeed.objects.filter(pk__in=ScenarioNeed.objects.values("pk")[:2]).update(
        status="closed"
    )
    with django_capture_on_commit_callbacks(execute=True):
        facets.lists_changed()
    assert facets.count_for_lists("k", need_public_list()) == 5
    assert recounted == [None, None]


def test_a_lost_segment_token_counts_that_segment_again(
    small_segments, agency, recounted, django_capture_on_commit_callbacks
):
    """A cache that evicted a segment's token (or restarted) cannot hide a write: the token
    started afresh differs from the one the count was kept under."""
    from django.core.cache import cache

    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published") for _ in range(6)]
    assert facets.count_for_lists("k", need_public_list()) == 6
    victim = rows[0]
    ScenarioNeed.objects.filter(pk=victim.pk).update(status="closed")  # no signal
    label = ScenarioNeed._meta.label_lower
    cache.delete(facets.SEGMENT_KEY.format(label=label, width=3, segment=victim.pk // 3))
    assert facets.count_for_lists("k", need_public_list()) == 5
    assert recounted[-1] == [victim.pk // 3]


def test_an_uncommitted_write_leaves_the_tokens_alone(
    small_segments, agency, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        need = make_need(agency, status="published")
    keys = sorted(facets._segment_keys(ScenarioNeed, need.pk))
    tokens = facets._tokens(keys)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        need.save()
        transaction.set_rollback(True)  # rolled back: its after-commit work is dropped
    assert facets._tokens(keys) == tokens
    with django_capture_on_commit_callbacks(execute=True):
        need.save()
    assert all(a != b for a, b in zip(facets._tokens(keys), tokens, strict=True))


def test_a_firm_renamed_moves_the_epoch_of_the_capability_counts(
    small_segments, firm, django_capture_on_commit_callbacks
):
    """A capability's search finds its firm's name: a rename changes which capabilities
    match without a save of any of them."""
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            capability = make_capability(firm)
            capability.status = "published"
            capability.save()
    selection = apply_search(capability_public_list(), CAPABILITY_SEARCH, "量子跃迁")
    assert facets.count_for_lists("c", selection) == 0
    with django_capture_on_commit_callbacks(execute=True):
        firm.name = "量子跃迁科技有限公司"
        firm.save()
    assert facets.count_for_lists("c", selection) == selection.count() == 4


def test_chain_links_changed_from_the_chain_side_move_the_epoch(
    small_segments, agency, django_capture_on_commit_callbacks
):
    from reference.models import IndustryChain

    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published") for _ in range(5)]
    chain = IndustryChain.objects.exclude(slug="digital-city").earliest("pk")
    selection = need_public_list().filter(chains=chain)
    assert facets.count_for_lists("k", selection) == selection.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        chain.needs.add(*rows[:3])
    assert facets.count_for_lists("k", selection) == selection.count() == 3


def test_selections_of_other_tables_or_shapes_are_counted_whole(agency):
    org = factories.AgencyFactory.create()
    rows = need_public_list().filter(agency=org).distinct()
    assert facets.count_for_lists("d", rows) == 0
    assert facets.count_for_lists("o", type(org).objects.filter(pk=org.pk)) == 1
    assert Capability.objects.count() == 0


def test_ids_past_the_segments_widen_them_instead_of_reading_more_tokens(
    small_segments, agency, recounted, monkeypatch, django_capture_on_commit_callbacks
):
    """Rolled-back inserts (a dry-run import) skip ids: the segments widen so that a reader
    never reads more than MAX_SEGMENTS tokens, and a write is seen at every width."""
    monkeypatch.setattr(facets, "MAX_SEGMENTS", 4)
    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published") for _ in range(8)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('scenarios_scenarioneed', 'id'), %s)",
            [rows[-1].pk + 100],
        )
    with django_capture_on_commit_callbacks(execute=True):
        rows.append(make_need(agency, status="published"))
    top = rows[-1].pk
    width = next(w for w in facets._segment_widths() if top // w < 4)
    assert width > 3
    with CaptureQueriesContext(connection):
        assert facets.count_for_lists("k", need_public_list()) == 9
    with django_capture_on_commit_callbacks(execute=True):
        rows[0].status = "closed"
        rows[0].save()
    assert facets.count_for_lists("k", need_public_list()) == 8
    assert recounted[-1] == [rows[0].pk // width]


def test_a_kept_count_is_counted_whole_again_after_its_time(
    small_segments, agency, monkeypatch, django_capture_on_commit_callbacks
):
    """A token write the cache dropped (an outage) is never repaired by writes elsewhere:
    the kept count is counted whole again once it is FACET_CACHE_SECONDS old."""
    import time as real_time

    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published") for _ in range(9)]
    assert facets.count_for_lists("k", need_public_list()) == 9
    with monkeypatch.context() as outage:  # the token writes are dropped
        outage.setattr(caches["default"], "set_many", lambda *a, **k: [])
        with django_capture_on_commit_callbacks(execute=True):
            rows[0].status = "closed"
            rows[0].save()
    start = real_time.time()
    clock = {"now": start}
    monkeypatch.setattr(facets.time, "time", lambda: clock["now"])
    # Writes elsewhere every 400 s: each one's segment is counted again and the kept count
    # stored afresh (its cache timeout with it), so only its age since the whole count
    # can end the lost write's effect.
    for elapsed, expected in ((0, 9), (400, 9), (800, 8)):
        clock["now"] = start + elapsed
        with django_capture_on_commit_callbacks(execute=True):
            rows[-1].title += "。"
            rows[-1].save()
        assert facets.count_for_lists("k", need_public_list()) == expected, elapsed


def test_a_window_of_the_first_matches_is_never_counted_by_segment(
    small_segments, agency, recounted, django_capture_on_commit_callbacks
):
    """Relevance's window (the newest matches, cut by LIMIT): a new row enters it and pushes
    the oldest out, which lies in a segment no write touched."""
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(9):
            make_need(agency, status="published")
    window = need_public_list().order_by("-pk").values("pk")[:5]
    selection = need_public_list().filter(pk__in=window)
    assert facets.count_for_lists("w", selection) == 5
    with django_capture_on_commit_callbacks(execute=True):
        make_need(agency, status="published")
    assert facets.count_for_lists("w", selection) == 5
    assert recounted == []
    assert facets._reads_other_rows(selection.query)
    assert not facets._reads_other_rows(apply_search(need_public_list(), NEED_SEARCH, "积水").query)


def test_a_chain_moved_under_another_parent_moves_the_counts_on(
    small_segments, agency, django_capture_on_commit_callbacks
):
    """A chain filter holds the subtree: moving a node changes it without an item's write."""
    from reference.models import IndustryChain

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            make_need(agency, status="published", chains=["digital-city"])
    node = IndustryChain.objects.get(slug="digital-city")
    root = node.path.split("/")[0] + "/"
    other = IndustryChain.objects.filter(parent=None).exclude(path=root).earliest("pk")
    selection = need_public_list().filter(chains__path__startswith=other.path)
    assert facets.count_for_lists("m", selection) == selection.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        node.parent = other
        node.path = f"{other.path}{node.slug}/"
        node.save()
    assert facets.count_for_lists("m", selection) == selection.count() == 3


def test_a_bulk_import_moves_on_only_the_segments_of_its_rows(
    small_segments, agency, recounted, django_capture_on_commit_callbacks
):
    from scenarios.exchange import needs_import
    from tests.scenarios.test_exchange import need_row

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(9):
            make_need(agency, status="published")
    assert facets.count_for_lists("k", need_public_list()) == 9
    rows = [need_row(ref=f"SEG-{i}", org_name=agency.name) for i in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        result = needs_import(actor=None, rows=rows, publish=True)
    assert result.created == 2
    assert facets.count_for_lists("k", need_public_list()) == 11
    new = sorted(ScenarioNeed.objects.filter(ref__startswith="SEG-").values_list("pk", flat=True))
    assert recounted == [None, sorted({pk // 3 for pk in new})]


def test_checking_a_firms_certification_counts_its_capabilities_again(
    small_segments, django_capture_on_commit_callbacks
):
    from scenarios.filters import certification_q
    from scenarios.services.capabilities import capability_submit
    from scenarios.services.firms import organization_certify

    # Given published capabilities of a firm claiming 首台（套）, counted on the public list
    firm = factories.FirmFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        for title in ("一号能力", "二号能力", "三号能力", "四号能力"):
            capability_submit(
                actor=None,
                capability=make_capability(firm, title=title, certifications=["first_of_kind"]),
            )
    checked = capability_public_list().filter(certification_q("first_of_kind", checked=True))
    assert facets.count_for_lists("c:first", checked) == 0
    assert (
        facets.capability_facets(capabilities=capability_public_list()).values["certification"][
            "first_of_kind"
        ]
        == 0
    )

    # When its committee checks the certification
    with django_capture_on_commit_callbacks(execute=True):
        organization_certify(
            actor=None, organization=firm, certifications=["first_of_kind"], capacity=None
        )

    # Then the public counts hold all four (the cached zeros are not read again)
    assert facets.count_for_lists("c:first", checked) == 4 == checked.count()
    assert (
        facets.capability_facets(capabilities=capability_public_list()).values["certification"][
            "first_of_kind"
        ]
        == 4
    )
