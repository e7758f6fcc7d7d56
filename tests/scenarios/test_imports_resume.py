"""Import jobs under at-least-once delivery and killed workers: a job is claimed once, runs
all or nothing with its result, and one whose runner died is run again or fails clearly
(a real worker killed mid-import: tests/scenarios/test_imports_worker.py)."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from core.models import OutboxMessage
from scenarios.models import ImportJob, ScenarioNeed
from scenarios.services import imports
from scenarios.tasks import resume_stalled_imports, run_import
from tests.scenarios.test_exchange import as_csv, need_row

ROWS = [need_row(ref=f"RES-N-{n:03}", title=f"内涝积水监测预警试点{n}") for n in range(3)]


def new_job(user, **fields) -> ImportJob:
    return ImportJob.objects.create(
        kind="needs",
        filename="机会清单.csv",
        data=as_csv(ROWS),
        dry_run=False,
        requested_by=user,
        **fields,
    )


def killed_mid_run(job: ImportJob, *, minutes_ago: int = 5, attempts: int = 1) -> None:
    """What a worker killed in the middle of the import leaves: the job running, nothing
    of its rows (they rolled back with its transaction)."""
    ImportJob.objects.filter(pk=job.pk).update(
        status="running",
        attempts=attempts,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def resent() -> list[int]:
    return [
        m.kwargs["job_id"] for m in OutboxMessage.objects.filter(task_name="scenarios.run_import")
    ]


@pytest.mark.django_db
def test_import_job_run_twice_imports_once(province_reviewer):
    # given
    job = new_job(province_reviewer)

    # when: the task is delivered twice
    run_import(job_id=job.pk)
    run_import(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert (job.status, job.created, job.attempts) == ("done", 3, 1)
    assert ScenarioNeed.objects.filter(ref__startswith="RES-N-").count() == 3


@pytest.mark.django_db
def test_import_job_refused_file_fails_with_its_rows_and_writes_nothing(province_reviewer):
    # given: one bad row among good ones
    job = new_job(province_reviewer)
    job.data = as_csv([*ROWS, need_row(ref="RES-N-BAD", min_trl=12)])
    job.save(update_fields=["data"])

    # when
    imports.import_job_run(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert job.status == "failed"
    assert [(e["row"], e["field"]) for e in job.errors] == [(5, "min_trl")]
    assert not ScenarioNeed.objects.filter(ref__startswith="RES-N-").exists()


@pytest.mark.django_db
def test_resume_stalled_sends_again_a_job_whose_worker_died(province_reviewer):
    # given: a job whose worker was killed five minutes into the import
    job = new_job(province_reviewer)
    killed_mid_run(job)

    # when: the beat's sweep, then the task it sent
    resume_stalled_imports()
    job.refresh_from_db()
    assert job.status == "pending"
    assert resent() == [job.pk]
    run_import(job_id=job.pk)

    # then: imported once, on its second run
    job.refresh_from_db()
    assert (job.status, job.created, job.attempts) == ("done", 3, 2)
    assert ScenarioNeed.objects.filter(ref__startswith="RES-N-").count() == 3


@pytest.mark.django_db
def test_redelivered_task_takes_over_a_job_whose_worker_died(province_reviewer):
    # given: a killed run, and its message redelivered (acks_late) before any sweep
    job = new_job(province_reviewer)
    killed_mid_run(job, minutes_ago=0)

    # when
    run_import(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert (job.status, job.created, job.attempts) == ("done", 3, 2)


@pytest.mark.django_db
def test_resume_stalled_fails_a_job_interrupted_too_often_saying_why(province_reviewer):
    # given: a job whose worker died on each of its runs
    job = new_job(province_reviewer)
    killed_mid_run(job, attempts=imports.IMPORT_MAX_ATTEMPTS)

    # when
    resume_stalled_imports()

    # then
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.finished_at is not None
    assert "导入多次中断" in job.errors[0]["reason"]
    assert resent() == []


@pytest.mark.django_db
def test_resume_stalled_waits_for_a_run_that_just_started(province_reviewer):
    # given: a run started a moment ago (its runner may not hold its lock yet)
    job = new_job(province_reviewer)
    killed_mid_run(job, minutes_ago=0)

    # when
    resume_stalled_imports()

    # then
    job.refresh_from_db()
    assert job.status == "running"
    assert resent() == []


@pytest.mark.django_db
def test_resume_stalled_sends_again_a_job_pending_too_long(province_reviewer):
    # given: a job whose message was lost 20 minutes ago, and one created just now
    old = new_job(province_reviewer)
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    new_job(province_reviewer)

    # when
    resumed = imports.import_jobs_resume_stalled()

    # then
    assert resumed == [old.pk]
    assert resent() == [old.pk]


@pytest.mark.django_db
def test_import_job_runner_fenced_off_by_a_later_claim_does_nothing(province_reviewer, monkeypatch):
    # given: a run claimed as attempt 1, then taken over and finished by attempt 2
    job = new_job(province_reviewer)
    killed_mid_run(job, minutes_ago=0)
    imports.import_job_run(job_id=job.pk)
    assert ScenarioNeed.objects.filter(ref__startswith="RES-N-").count() == 3
    ImportJob.objects.filter(pk=job.pk).update(status="running")

    # when: the first runner goes on, holding its old attempt number
    monkeypatch.setattr(imports, "_claim", lambda job_id: 1)
    imports.import_job_run(job_id=job.pk)

    # then: it imported nothing a second time
    assert ScenarioNeed.objects.filter(ref__startswith="RES-N-").count() == 3


@pytest.mark.django_db
def test_import_job_database_error_leaves_it_to_the_retry(province_reviewer, monkeypatch):
    # given: the database goes away in the middle of the import
    job = new_job(province_reviewer)

    def lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(imports.KINDS, "needs", (lost, imports.KINDS["needs"][1]))

    # when
    with pytest.raises(OperationalError):
        imports.import_job_run(job_id=job.pk)

    # then: still running (not failed), to be claimed again by the retry or the sweep
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)


@pytest.mark.django_db
def test_import_job_bug_marks_it_failed(province_reviewer, monkeypatch):
    job = new_job(province_reviewer)

    def broken(**kwargs):
        raise ValueError("a bug")

    monkeypatch.setitem(imports.KINDS, "needs", (broken, imports.KINDS["needs"][1]))

    with pytest.raises(ValueError, match="a bug"):
        imports.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert "导入出错" in job.errors[0]["reason"]


@pytest.mark.django_db
def test_without_row_locks_only_a_run_past_the_time_limit_counts_as_dead(
    province_reviewer, monkeypatch
):
    # given: a database without row locks, which cannot tell a live runner (SQLite)
    monkeypatch.setattr(connection.features, "has_select_for_update", False)
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", False)
    recent, old = new_job(province_reviewer), new_job(province_reviewer)
    killed_mid_run(recent, minutes_ago=30)
    killed_mid_run(old, minutes_ago=61)

    # when
    resumed = imports.import_jobs_resume_stalled()

    # then
    assert resumed == [old.pk]


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_runner_is_alive_is_left_alone(reference, province_reviewer):
    # given: a runner holding the job's row in its open transaction, started long ago
    job = new_job(province_reviewer)
    killed_mid_run(job, minutes_ago=10)
    locked, release = threading.Event(), threading.Event()

    def runner():
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=runner)
    thread.start()
    assert locked.wait(30)

    # when: the sweep and a duplicate delivery come meanwhile
    try:
        resumed = imports.import_jobs_resume_stalled()
        run_import(job_id=job.pk)
    finally:
        release.set()
        thread.join()

    # then: neither touched it
    job.refresh_from_db()
    assert resumed == []
    assert (job.status, job.attempts) == ("running", 1)
    assert not ScenarioNeed.objects.filter(ref__startswith="RES-N-").exists()


@pytest.mark.django_db(transaction=True)
def test_a_running_import_locks_its_job_not_its_user(reference, province_reviewer, monkeypatch):
    # given: an import in progress in another thread (its transaction open)
    job = new_job(province_reviewer)
    importing, finish = threading.Event(), threading.Event()
    real_run, columns = imports.KINDS["needs"]

    def slow_run(**kwargs):
        importing.set()
        finish.wait(30)
        return real_run(**kwargs)

    monkeypatch.setitem(imports.KINDS, "needs", (slow_run, columns))

    def runner():
        try:
            imports.import_job_run(job_id=job.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=runner)
    thread.start()
    assert importing.wait(30)

    # when: the user signs in meanwhile (a write to their row), and the sweep looks
    try:
        with transaction.atomic():
            User.objects.select_for_update(nowait=True).get(pk=province_reviewer.pk)
        resumed = imports.import_jobs_resume_stalled(grace=timedelta(0))
    finally:
        finish.set()
        thread.join()

    # then: the user's row was free, the job's was held, and the import finished
    job.refresh_from_db()
    assert resumed == []
    assert (job.status, job.created) == ("done", 3)
