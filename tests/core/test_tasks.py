"""Enqueueing by task name: after commit, nothing on rollback, unknown names refused
(tests/core/test_outbox.py: the outbox under it)."""

import pytest
from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

from core.tasks import enqueue_on_commit


@pytest.mark.django_db
def test_enqueue_waits_for_the_commit_and_sends_by_name(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given: the registered task, with its sending recorded instead of reaching the broker
    sent: list[dict] = []
    task = current_app.tasks["matching.execute_run"]
    monkeypatch.setattr(task, "apply_async", lambda kwargs: sent.append(kwargs))

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue_on_commit("matching.execute_run", run_id=5)
        assert sent == []

    for callback in callbacks:
        callback()

    # then
    assert sent == [{"run_id": 5}]


@pytest.mark.django_db
def test_enqueue_in_a_rolled_back_savepoint_sends_nothing(django_capture_on_commit_callbacks):
    def enqueue_then_fail():
        with transaction.atomic():
            enqueue_on_commit("matching.execute_run", run_id=5)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        enqueue_then_fail()

    assert callbacks == []


def test_enqueue_refuses_a_task_name_nothing_registered():
    with pytest.raises(KeyError):
        enqueue_on_commit("matching.no_such_task", run_id=1)


def test_every_task_the_services_send_is_registered():
    registered = set(current_app.tasks)

    assert {
        "matching.execute_run",
        "matching.score_chunk",
        "matching.finish_run",
        "matching.start_full_run",
        "matching.resume_stalled",
        "matching.prune_history",
        "scenarios.run_import",
        "scenarios.resume_stalled_imports",
        "scenarios.warm_list_counts",
        "core.drain_outbox",
    } <= registered


def test_every_beat_schedule_entry_names_a_registered_task(settings):
    registered = set(current_app.tasks)

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled
    assert scheduled <= registered


def test_every_task_a_service_enqueues_is_registered_in_a_fresh_process():
    """A web process never runs Celery's autodiscovery: the apps' ready() must import their
    tasks, or enqueueing after a commit fails with NotRegistered."""
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from celery import current_app; "
        "[current_app.tasks[n] for n in ('scenarios.warm_list_counts', 'matching.execute_run')]"
    )
    result = subprocess.run(  # noqa: S603 - our interpreter, fixed code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.django_db
def test_enqueue_logs_a_broker_it_cannot_reach_instead_of_raising(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    # given: a broker that refuses (kombu's error after its publish retries)
    task = current_app.tasks["matching.execute_run"]

    def refuse(kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(task, "apply_async", refuse)

    # when: the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("matching.execute_run", run_id=5)

    # then
    assert "could not enqueue matching.execute_run {'run_id': 5}" in caplog.text


@pytest.mark.django_db
def test_enqueue_refuses_arguments_that_are_not_json_before_the_commit():
    # when / then: the change it follows fails with it, rather than losing the task later
    with pytest.raises(TypeError):
        enqueue_on_commit("matching.execute_run", run_id=object())


@pytest.mark.django_db
def test_enqueue_still_raises_what_is_not_the_broker(
    monkeypatch, django_capture_on_commit_callbacks
):
    task = current_app.tasks["matching.execute_run"]

    def broken(kwargs):
        raise RuntimeError("a bug in sending")

    monkeypatch.setattr(task, "apply_async", broken)

    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("matching.execute_run", run_id=5)
