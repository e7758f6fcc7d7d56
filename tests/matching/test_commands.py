"""Operator commands: manage.py match and manage.py export_matches."""

import csv
import gc
import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from matching.management.commands.export_matches import FIELDS
from matching.models import Match, MatchRun
from matching.services import results, runs
from scenarios.models import ScenarioNeed
from tests.disk import fill_disk

pytestmark = pytest.mark.django_db


def run_command(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_match_full_runs_every_chunk_here_and_queues_nothing(
    province, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_CHUNK_SIZE = 1
    with django_capture_on_commit_callbacks() as queued:
        out = run_command("match", "--full")

    run = MatchRun.objects.get()
    assert "done" in out
    assert run.status == "done"
    assert run.chunk_count == 3
    assert run.processed == run.total == 3
    assert queued == []  # chunks and the finish step ran in this process
    assert Match.objects.current().filter(run=run).exists()


def test_match_need_by_ref_and_enqueue(province, django_capture_on_commit_callbacks):
    need = province["needs"][0]
    with django_capture_on_commit_callbacks() as queued:
        out = run_command("match", "--need", need.ref, "--enqueue")

    run = MatchRun.objects.get()
    assert out.strip() == f"run #{run.pk} enqueued"
    assert (run.scope, run.target_id, run.status) == ("need", need.pk, "pending")
    assert len(queued) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--need", "NO-SUCH-REF"], "no need with ref NO-SUCH-REF"),
        (["--capability", "NO-SUCH-REF"], "no capability with ref NO-SUCH-REF"),
    ],
)
def test_match_unknown_refs_fail_with_one_line(province, args, message):
    with pytest.raises(CommandError, match=message):
        run_command("match", *args)
    assert not MatchRun.objects.exists()


def test_match_refuses_a_need_that_is_not_published(province):
    need = province["needs"][0]
    ScenarioNeed.objects.filter(pk=need.pk).update(status="closed")

    with pytest.raises(CommandError, match="可匹配"):
        run_command("match", "--need", need.ref)
    assert not MatchRun.objects.exists()


def test_match_marks_the_run_failed_when_scoring_breaks(province, settings, monkeypatch):
    settings.MATCHING_CHUNK_SIZE = 1

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(results, "match_run_score_chunk", broken)

    with pytest.raises(CommandError, match="disk full"):
        run_command("match", "--full")
    run = MatchRun.objects.get()
    assert run.status == "failed"
    assert "disk full" in run.error


@pytest.fixture
def exported(province):
    run = runs.match_run_request(scope="full", enqueue=False)
    runs.match_run_execute(run_id=run.pk)
    closed = province["needs"][2]
    ScenarioNeed.objects.filter(pk=closed.pk).update(status="closed")
    expected = list(
        Match.objects.current()
        .filter(need__status="published")
        .order_by("need__ref", "rank")
        .values_list("need__ref", "capability__ref", "rank")
    )
    assert expected
    return expected


def test_export_json_lists_current_rows_of_matchable_needs_in_order(exported):
    rows = json.loads(run_command("export_matches"))

    assert [(r["need_ref"], r["capability_ref"], r["rank"]) for r in rows] == exported
    assert set(rows[0]) == set(FIELDS)
    assert set(rows[0]["breakdown"]["features"]) >= {"text", "chain"}


def test_export_csv_to_a_file(exported, tmp_path):
    target = tmp_path / "matches.csv"

    run_command("export_matches", "--format", "csv", "--output", str(target))

    table = list(csv.reader(target.open(encoding="utf-8", newline="")))
    assert table[0] == FIELDS
    assert [(r[0], r[1], int(r[2])) for r in table[1:]] == exported
    assert json.loads(table[1][5])["features"]


def test_export_xlsx_needs_a_file_and_writes_one(exported, tmp_path):
    target = tmp_path / "matches.xlsx"

    with pytest.raises(CommandError, match="--output"):
        run_command("export_matches", "--format", "xlsx")
    run_command("export_matches", "--format", "xlsx", "--output", str(target))

    sheet = load_workbook(target, read_only=True)["matches"]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0] == FIELDS
    assert len(table) == len(exported) + 1


def test_export_to_an_unwritable_place_fails_and_leaves_nothing(exported, tmp_path):
    target = tmp_path / "missing-dir" / "matches.json"

    with pytest.raises(CommandError, match="cannot write"):
        run_command("export_matches", "--output", str(target))
    assert not target.parent.exists()


@pytest.mark.parametrize(
    "fmt",
    [
        "json",
        "csv",
        pytest.param(
            "xlsx",
            # openpyxl's abandoned archive tries to finish itself when collected, and fails
            # again on the full disk (into the removed temporary file): Python ignores it.
            marks=pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
        ),
    ],
)
def test_export_on_a_full_disk_keeps_the_previous_file(exported, tmp_path, monkeypatch, fmt):
    # given: yesterday's export, and a disk that fills after 512 bytes
    target = tmp_path / f"matches.{fmt}"
    target.write_bytes(b"yesterday")
    fill_disk(monkeypatch, tmp_path, budget=512)

    # when
    with pytest.raises(CommandError) as failure:
        run_command("export_matches", "--format", fmt, "--output", str(target))

    message = str(failure.value)
    del failure  # its traceback holds what the failed writer abandoned, which goes now,
    gc.collect()  # inside this test's warning filters

    # then
    assert message == f"cannot write {target}: No space left on device"
    assert target.read_bytes() == b"yesterday"
    assert list(tmp_path.iterdir()) == [target]
