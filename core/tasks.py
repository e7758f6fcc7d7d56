"""Sending Celery tasks by their registered name, through the transactional outbox.

Services enqueue work through this helper rather than importing their app's ``tasks``
module: tasks are adapters that call services, so the import arrow runs from tasks to
services only. Every task has an explicit name (``"matching.execute_run"``) and its app
imports its ``tasks`` module in ``AppConfig.ready()``, which registers it.

This module also holds the core app's own task, the outbox's drain (``core.outbox``).
"""

from datetime import timedelta
from typing import Any

from celery import current_app, shared_task
from django.conf import settings
from django.db import transaction

from core import outbox


def enqueue_on_commit(task_name: str, /, **kwargs: Any) -> None:
    """Send ``task_name`` with ``kwargs`` once the transaction commits (nothing on rollback).

    With a broker, the task is written to the outbox in the current transaction and sent
    after the commit; a broker that cannot be reached leaves it there, pending, for the
    drain (``core.drain_outbox``, ``manage.py drain_outbox``) instead of losing it, and the
    request that made the change still answers (docs/operations.md). Outside a transaction
    the row is committed and sent at once. Without a broker (``CELERY_TASK_ALWAYS_EAGER``,
    the embedded ``make run``) the task runs in this process after the commit, as before.
    ``kwargs`` must be JSON (``TypeError`` at once otherwise).
    """
    task = current_app.tasks[task_name]  # KeyError: a task name that nothing registered
    if current_app.conf.task_always_eager:
        transaction.on_commit(lambda: task.delay(**kwargs))
        return
    outbox.outbox_add(task_name=task.name, kwargs=kwargs)


@shared_task(name="core.drain_outbox", ignore_result=True, soft_time_limit=120, time_limit=180)
def drain_outbox() -> None:
    """Send the outbox's pending tasks (celery beat, every ``OUTBOX_DRAIN_SECONDS``) and
    prune the rows sent more than ``OUTBOX_KEEP_SENT_HOURS`` ago."""
    outbox.outbox_drain()
    outbox.outbox_prune(older_than=timedelta(hours=settings.OUTBOX_KEEP_SENT_HOURS))
