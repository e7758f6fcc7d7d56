"""Segmented counts against a plain count of the same selection, in the cases a blind review
found or tried: the highest segment emptied, reference data reloaded under the filters,
savepoints, and the services' writes through the API."""

import pytest
from django.db import connection, transaction

from core.search import apply_search
from reference.models import IndustryChain
from scenarios import facets
from scenarios.filters import NEED_SEARCH, NeedFilter
from scenarios.models import ScenarioNeed
from scenarios.selectors import need_public_list
from tests.scenarios.helpers import make_need

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_segments(monkeypatch):
    monkeypatch.setattr(facets, "SEGMENT_ROWS", 3)
    monkeypatch.setattr(facets, "MAX_SEGMENTS", 10**9)  # never widened, however high the ids


def _jump_sequence_to_segment_start(segment_rows: int) -> None:
    """The next need's id is the first of a fresh segment (as happens every 1,024 ids)."""
    last = ScenarioNeed.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    start = (last // segment_rows + 2) * segment_rows
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('scenarios_scenarioneed', 'id'), %s, false)",
                [start],
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = 'scenarios_scenarioneed'",
                [start - 1],
            )


def test_deleting_the_rows_of_the_highest_segment(
    small_segments, agency, django_capture_on_commit_callbacks
):
    """The newest published need is alone in the last segment and is deleted (an ORM delete:
    a data fix in `manage.py shell`; the admin is view-only): the
    highest id falls back a segment, the deleted segment's token is never looked at again,
    and its kept count (1) is still added."""
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            make_need(agency, status="published")
    _jump_sequence_to_segment_start(3)
    with django_capture_on_commit_callbacks(execute=True):
        newest = make_need(agency, status="published")
    selection = need_public_list()
    assert facets.count_for_lists("k", selection) == selection.count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        newest.delete()
    assert selection.count() == 4
    assert facets.count_for_lists("k", selection) == 4


def test_a_taxonomy_reload_that_moves_a_chain(
    small_segments, agency, tmp_path, django_capture_on_commit_callbacks
):
    """chains_load moves digital-city from hot-topics to traditional: ?chain=hot-topics loses
    the needs without a write of any need (the reference data's token moves on)."""
    from reference.services import DATA_DIR, chains_load

    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published") for _ in range(9)]  # digital-city
    params = {"chain": "hot-topics"}
    selection = NeedFilter(params, queryset=need_public_list()).qs
    assert facets.count_for_lists("k", selection) == 9

    text = (DATA_DIR / "industry_chains.csv").read_text(encoding="utf-8")
    moved = text.replace(
        "digital-city,数字空间+智慧城市,Digital space and smart cities,hot-topics,",
        "digital-city,数字空间+智慧城市,Digital space and smart cities,traditional,",
    )
    assert moved != text
    csv = tmp_path / "chains.csv"
    csv.write_text(moved, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        chains_load(path=csv)
    assert IndustryChain.objects.get(slug="digital-city").path.startswith("traditional/")

    with django_capture_on_commit_callbacks(execute=True):  # a later write of one row
        rows[0].title = rows[0].title + "。"
        rows[0].save()
    selection = NeedFilter(params, queryset=need_public_list()).qs
    assert selection.count() == 0
    assert not facets._reads_other_rows(selection.query)  # counted by segment
    assert facets.count_for_lists("k", selection) == 0


@pytest.mark.parametrize("shape", ["rolled-back-first", "released-then-rolled-back"])
def test_savepoints(small_segments, agency, shape, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, status="published") for _ in range(9)]
    selection = apply_search(need_public_list(), NEED_SEARCH, "积水")
    assert facets.count_for_lists("s", selection) == 9
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        if shape == "rolled-back-first":
            sid = transaction.savepoint()
            rows[0].status = "closed"
            rows[0].save()
            transaction.savepoint_rollback(sid)
            rows[8].status = "closed"
            rows[8].save()
        else:
            with transaction.atomic():
                rows[0].status = "closed"
                rows[0].save()
            sid = transaction.savepoint()
            rows[8].status = "closed"
            rows[8].save()
            transaction.savepoint_rollback(sid)
            rows[4].status = "closed"
            rows[4].save()
    assert facets.count_for_lists("s", selection) == selection.count()


def _api_rows(api, url, params):
    rows, page = 0, 1
    while True:
        body = api.get(url, {**params, "page_size": 2, "page": page}).json()
        rows += len(body["results"])
        if not body["next"]:
            return body["count"], rows
        page += 1


def test_api_counts_through_firm_suspension_rename_import_and_dry_run(
    api, firm, firm_user, platform_admin, monkeypatch, django_capture_on_commit_callbacks
):
    from scenarios.exchange import capabilities_import
    from scenarios.services.capabilities import capability_submit, capability_withdraw
    from scenarios.services.firms import organization_reinstate, organization_suspend
    from tests.scenarios.helpers import make_capability
    from tests.scenarios.test_exchange import capability_row

    monkeypatch.setattr(facets, "SEGMENT_ROWS", 2)
    url = "/api/v1/public/capabilities/"
    selections = [
        {},
        {"search": "液位"},
        {"search": "液位", "ordering": "-relevance"},
        {"trl_min": 7},
        {"search": "导入"},
        {"region": "360100"},
    ]

    def check(step):
        for params in selections:
            count, rows = _api_rows(api, url, params)
            assert count == rows, (step, params, count, rows)

    with django_capture_on_commit_callbacks(execute=True):
        made = [capability_submit(actor=None, capability=make_capability(firm)) for _ in range(5)]
    check("start")
    with django_capture_on_commit_callbacks(execute=True):
        organization_suspend(actor=platform_admin, organization=firm, reason="核查")
    check("suspended")
    with django_capture_on_commit_callbacks(execute=True):
        organization_reinstate(actor=platform_admin, organization=firm, reason="恢复")
    check("reinstated")
    with django_capture_on_commit_callbacks(execute=True):
        firm.name = "导入更名科技有限公司"
        firm.save()
    check("renamed")
    with django_capture_on_commit_callbacks(execute=True):
        capabilities_import(
            actor=None,
            rows=[capability_row(ref=f"IMP-C-{i}") for i in range(3)],
            publish=True,
            dry_run=True,
        )
    check("dry run")
    with django_capture_on_commit_callbacks(execute=True):
        capabilities_import(
            actor=None, rows=[capability_row(ref=f"IMP-C-{i}") for i in range(3)], publish=True
        )
    check("imported")
    with django_capture_on_commit_callbacks(execute=True):
        capability_withdraw(actor=firm_user, capability=made[0], reason="下架")
    check("withdrawn")


def test_a_division_change_reloaded_with_load_reference(
    small_segments, agency, tmp_path, django_capture_on_commit_callbacks
):
    """Counties move between cities (a yearly division change): regions_load rewrites their
    path. ?region=360100 (南昌市, prefix on region.path) loses the needs of 东湖区 without a
    write of any need, and nothing moves the epoch; later writes recount their segments
    only: the reference data's token moving on makes every count whole again."""
    from reference.services import DATA_DIR, regions_load

    with django_capture_on_commit_callbacks(execute=True):
        rows = [make_need(agency, region="360102", status="published") for _ in range(9)]
    params = {"region": "360100"}
    assert facets.count_for_lists("r", NeedFilter(params, queryset=need_public_list()).qs) == 9

    text = (DATA_DIR / "china_divisions.csv").read_text(encoding="utf-8")
    moved = text.replace("360102,东湖区,county,360100", "360102,东湖区,county,360200")
    assert moved != text
    csv = tmp_path / "divisions.csv"
    csv.write_text(moved, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        regions_load(path=csv)
    with django_capture_on_commit_callbacks(execute=True):  # a later write of one need
        rows[0].title += "。"
        rows[0].save()
    selection = NeedFilter(params, queryset=need_public_list()).qs
    assert selection.count() == 0
    assert facets.count_for_lists("r", selection) == 0
