"""The transactional outbox: a row with the change, sent after commit, kept while the broker
is down, drained later in order and never twice (the real broker: tests/api/test_redis_down.py;
a real worker: tests/core/test_outbox_worker.py)."""

import threading
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from core import outbox
from core.models import OutboxMessage
from core.tasks import drain_outbox, enqueue_on_commit

TASK = "matching.execute_run"


class Broker:
    """Records what the task's ``apply_async`` was given, or refuses like an unreachable
    Redis (kombu's error after its publish retries)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.down = False
        self.delay = 0.0
        self.lock = threading.Lock()

    def apply_async(self, kwargs):
        if self.down:
            raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
        time.sleep(self.delay)
        with self.lock:
            self.sent.append(kwargs)


@pytest.fixture
def broker(monkeypatch):
    fake = Broker()
    monkeypatch.setattr(current_app.tasks[TASK], "apply_async", fake.apply_async)
    monkeypatch.setattr(outbox._Backlog, "suspected", False)
    return fake


def pending() -> list[dict]:
    return list(
        OutboxMessage.objects.filter(sent_at__isnull=True)
        .order_by("pk")
        .values_list("kwargs", flat=True)
    )


@pytest.mark.django_db
def test_outbox_row_is_written_with_the_change_and_sent_after_commit(
    broker, django_capture_on_commit_callbacks
):
    # when: a transaction enqueues
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        enqueue_on_commit(TASK, run_id=7)
        row = OutboxMessage.objects.get()
        assert (row.task_name, row.kwargs, row.sent_at) == (TASK, {"run_id": 7}, None)
    assert broker.sent == []

    for callback in callbacks:  # the commit
        callback()

    # then: sent once and stamped
    row.refresh_from_db()
    assert broker.sent == [{"run_id": 7}]
    assert row.sent_at is not None
    assert row.attempts == 1


@pytest.mark.django_db
def test_outbox_rolled_back_transaction_leaves_no_row_and_sends_nothing(
    broker, django_capture_on_commit_callbacks
):
    def change_that_fails():
        with transaction.atomic():
            enqueue_on_commit(TASK, run_id=7)
            raise RuntimeError("the change fails")

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()

    # then
    assert not OutboxMessage.objects.exists()
    assert callbacks == []
    assert broker.sent == []


@pytest.mark.django_db
def test_outbox_broker_down_keeps_the_row_pending_with_its_error(
    broker, caplog, django_capture_on_commit_callbacks
):
    # given
    broker.down = True

    # when: the change commits while the broker refuses
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, run_id=7)

    # then: nothing raised, the row waits with what happened
    row = OutboxMessage.objects.get()
    assert row.sent_at is None
    assert row.attempts == 1
    assert "Connection refused" in row.last_error
    assert f"outbox row {row.pk} stays pending" in caplog.text


@pytest.mark.django_db
def test_outbox_drain_sends_pending_rows_in_order_exactly_once(
    broker, django_capture_on_commit_callbacks
):
    # given: three tasks enqueued during an outage
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        for run_id in (1, 2, 3):
            enqueue_on_commit(TASK, run_id=run_id)
    assert len(pending()) == 3

    # when: the broker is back, and two drains follow each other
    broker.down = False
    first = outbox.outbox_drain()
    second = outbox.outbox_drain()

    # then
    assert broker.sent == [{"run_id": 1}, {"run_id": 2}, {"run_id": 3}]
    assert (first.sent, first.pending, second.sent) == (3, 0, 0)
    assert pending() == []


@pytest.mark.django_db
def test_outbox_drain_stops_at_the_broker_failure_and_keeps_the_order(broker, monkeypatch):
    # given: three pending rows; the broker takes the first, then fails
    for run_id in (1, 2, 3):
        OutboxMessage.objects.create(task_name=TASK, kwargs={"run_id": run_id})
    calls = []

    def first_then_down(kwargs):
        calls.append(kwargs)
        if len(calls) > 1:
            raise BrokerUnreachable("Connection refused")
        broker.sent.append(kwargs)

    monkeypatch.setattr(current_app.tasks[TASK], "apply_async", first_then_down)

    # when
    report = outbox.outbox_drain()

    # then: the third was not tried before the second
    assert broker.sent == [{"run_id": 1}]
    assert calls == [{"run_id": 1}, {"run_id": 2}]
    assert pending() == [{"run_id": 2}, {"run_id": 3}]
    assert (report.sent, report.pending) == (1, 2)
    assert "Connection refused" in report.error


@pytest.mark.django_db
def test_outbox_drain_goes_past_a_task_no_longer_registered(broker):
    # given: a row of a task renamed since it was written, then a good one
    OutboxMessage.objects.create(task_name="matching.renamed_since", kwargs={})
    OutboxMessage.objects.create(task_name=TASK, kwargs={"run_id": 2})

    # when
    report = outbox.outbox_drain()

    # then: the good one is sent; the other waits for an operator, saying why
    assert broker.sent == [{"run_id": 2}]
    stuck = OutboxMessage.objects.get(task_name="matching.renamed_since")
    assert stuck.sent_at is None
    assert "not registered" in stuck.last_error
    assert (report.sent, report.pending, report.error) == (1, 1, "")


@pytest.mark.django_db
def test_outbox_next_successful_send_drains_what_this_process_left(
    broker, django_capture_on_commit_callbacks
):
    # given: a send that failed
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, run_id=1)

    # when: the broker is back and the next change enqueues
    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, run_id=2)

    # then: both sent, the new one first (it went out on its commit), no beat needed
    assert broker.sent == [{"run_id": 2}, {"run_id": 1}]
    assert pending() == []


@pytest.mark.django_db
def test_outbox_send_leaves_a_row_already_sent_alone(broker):
    # given: a row a drain sent meanwhile
    row = OutboxMessage.objects.create(task_name=TASK, kwargs={"run_id": 1})
    outbox.outbox_drain()

    # when: its own after-commit send comes late
    sent = outbox.outbox_send(message_id=row.pk)

    # then
    assert sent is False
    assert broker.sent == [{"run_id": 1}]


@pytest.mark.django_db
def test_outbox_prune_deletes_old_sent_rows_only(broker):
    # given
    now = timezone.now()
    old_sent = OutboxMessage.objects.create(task_name=TASK, sent_at=now - timedelta(hours=30))
    new_sent = OutboxMessage.objects.create(task_name=TASK, sent_at=now - timedelta(hours=1))
    old_pending = OutboxMessage.objects.create(task_name=TASK, created_at=now - timedelta(days=3))

    # when
    deleted = outbox.outbox_prune(older_than=timedelta(hours=24))

    # then
    assert deleted == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {new_sent.pk, old_pending.pk}
    assert not OutboxMessage.objects.filter(pk=old_sent.pk).exists()


@pytest.mark.django_db
def test_drain_outbox_task_drains_and_prunes(broker, settings):
    # given
    settings.OUTBOX_KEEP_SENT_HOURS = 1
    OutboxMessage.objects.create(
        task_name=TASK, sent_at=timezone.now() - timedelta(hours=2), kwargs={"run_id": 0}
    )
    OutboxMessage.objects.create(task_name=TASK, kwargs={"run_id": 1})

    # when: twice, as at-least-once delivery may run it
    drain_outbox()
    drain_outbox()

    # then
    assert broker.sent == [{"run_id": 1}]
    assert list(OutboxMessage.objects.values_list("kwargs", flat=True)) == [{"run_id": 1}]


@pytest.mark.django_db
def test_drain_outbox_command_fails_while_the_broker_is_down(broker, capsys):
    # given
    OutboxMessage.objects.create(task_name=TASK, kwargs={"run_id": 1})
    broker.down = True

    # when / then: non-zero, saying what is left
    with pytest.raises(CommandError, match="0, 1 still pending: broker unreachable"):
        call_command("drain_outbox")

    broker.down = False
    call_command("drain_outbox")
    assert "sent 1, 0 pending" in capsys.readouterr().out
    assert broker.sent == [{"run_id": 1}]


@pytest.mark.django_db
def test_outbox_not_used_in_eager_mode(monkeypatch, broker, django_capture_on_commit_callbacks):
    # given: no broker, tasks run in this process (the embedded make run)
    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
    ran: list[dict] = []
    monkeypatch.setattr(current_app.tasks[TASK], "delay", lambda **kwargs: ran.append(kwargs))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(TASK, run_id=3)

    # then
    assert ran == [{"run_id": 3}]
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outbox_two_drainers_never_send_a_row_twice(broker):
    # given: many pending rows, and a broker slow enough for the drainers to overlap
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task_name=TASK, kwargs={"run_id": n}) for n in range(250)
    )
    broker.delay = 0.002
    reports = []

    def drain():
        try:
            reports.append(outbox.outbox_drain())
        finally:
            connection.close()

    # when: two drainers at once, each on its own database connection
    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: every row sent once, and both drainers did part of the work
    sent_ids = [kwargs["run_id"] for kwargs in broker.sent]
    assert sorted(sent_ids) == list(range(250))
    assert sum(report.sent for report in reports) == 250
    assert all(report.sent > 0 for report in reports)
    assert pending() == []
