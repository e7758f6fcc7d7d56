"""A real Celery worker killed in the middle of an import of thousands of rows: nothing of the
file is written, the job is not stuck, and its rerun imports every row once."""

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection

from activity.models import AuditEvent
from scenarios.models import ImportJob, ScenarioNeed
from scenarios.services import imports
from scenarios.services.setup import reference_load
from tests.conftest import committee_member
from tests.scenarios.test_exchange import as_csv, need_row
from tests.workers import QUEUE, start_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROWS = int(os.environ.get("IMPORT_KILL_ROWS", "2000"))
PREFIX = "KILL-N-"


def need_ids_issued() -> int:
    """The last id the needs' sequence handed out, committed or not: rows an open import
    transaction has written, which no other session can see yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_value FROM pg_sequences WHERE sequencename = "
            "split_part(pg_get_serial_sequence(%s, 'id'), '.', 2)",
            [ScenarioNeed._meta.db_table],
        )
        return int(cursor.fetchone()[0] or 0)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the prefork pool's child)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def mid_import(job: ImportJob, attempt: int, rows_from: int) -> bool:
    """The job's ``attempt`` is running and has written a third of the file (uncommitted)."""
    job.refresh_from_db()
    return (job.status, job.attempts) == ("running", attempt) and (
        need_ids_issued() - rows_from >= ROWS // 3
    )


@pytest.fixture
def queue(monkeypatch):
    monkeypatch.setitem(current_app.conf, "task_default_queue", QUEUE)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE)
    yield QUEUE
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE, f"{QUEUE}.unacked")


def test_worker_killed_mid_import_writes_nothing_and_the_job_finishes_on_a_rerun(queue):
    # given: a province member's file of thousands of needs, and a worker
    reference_load()
    province = committee_member("360000")
    data = as_csv(
        [need_row(ref=f"{PREFIX}{n:05}", title=f"内涝积水监测预警试点{n}") for n in range(ROWS)]
    )
    audit_before = AuditEvent.objects.count()
    worker = start_worker(new_session=True)
    try:
        # when: the pool's child is killed mid-import (what the kernel's OOM killer does)
        issued = need_ids_issued()
        job = imports.import_job_create(
            actor=province, kind="needs", filename="机会清单.csv", data=data, dry_run=False
        )
        wait_for(lambda: mid_import(job, 1, issued), 120, interval=0.02)
        (child,) = children(worker.pid)
        os.kill(child, signal.SIGKILL)
        first_written = need_ids_issued() - issued

        # then: its transaction is gone; the worker requeues the task (reject_on_worker_lost)
        # and a fresh child takes the job over at once
        issued = need_ids_issued()
        wait_for(lambda: mid_import(job, 2, issued), 120, interval=0.02)
        assert not ScenarioNeed.objects.filter(ref__startswith=PREFIX).exists()

        # when: the whole worker is killed in the middle of that second run
        os.killpg(worker.pid, signal.SIGKILL)
        second_written = need_ids_issued() - issued
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)

    # then: nothing of the file is written, and the job is stuck as running...
    assert not ScenarioNeed.objects.filter(ref__startswith=PREFIX).exists()
    assert AuditEvent.objects.count() == audit_before
    job.refresh_from_db()
    assert (job.status, job.attempts, job.created) == ("running", 2, 0)

    # ...until the sweep (beat, once the run is a minute old) sees its runner is gone
    wait_for(lambda: imports.import_jobs_resume_stalled(grace=timedelta(0)) == [job.pk], 10)
    job.refresh_from_db()
    assert job.status == "pending"
    rerun = start_worker()
    try:
        done = wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).first(),
            240,
            interval=0.2,
        )
    finally:
        rerun.terminate()
        rerun.wait(timeout=30)

    # then: every row imported once, by the third run
    assert (done.status, done.attempts, done.created, done.error_count) == ("done", 3, ROWS, 0)
    refs = list(ScenarioNeed.objects.filter(ref__startswith=PREFIX).values_list("ref", flat=True))
    assert len(refs) == len(set(refs)) == ROWS
    print(
        f"\n{ROWS} rows: the pool child SIGKILLed ~{first_written} rows into run 1, the whole "
        f"worker ~{second_written} rows into run 2 (the requeued task's); no row committed; "
        f"run {done.attempts} (sent by the sweep) imported {done.created} in "
        f"{(done.finished_at - done.started_at).total_seconds():.1f} s"
    )
