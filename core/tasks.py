"""Sending Celery tasks by their registered name, after the current transaction commits.

Services enqueue work through this helper rather than importing their app's ``tasks``
module: tasks are adapters that call services, so the import arrow runs from tasks to
services only. Every task has an explicit name (``"matching.execute_run"``) and its app
imports its ``tasks`` module in ``AppConfig.ready()``, which registers it.
"""

import logging
from typing import Any

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, /, **kwargs: Any) -> None:
    """Send ``task_name`` with ``kwargs`` once the transaction commits (nothing on rollback).

    Outside a transaction the task is sent at once. Without a broker
    (``CELERY_TASK_ALWAYS_EAGER``) it runs in this process. A broker that cannot be reached
    (after the short publish retries of the settings) is logged, not raised: the change the
    task follows is committed, and a 500 would tell the client it was not
    (docs/operations.md says what waits, and what picks it up).
    """
    task = current_app.tasks[task_name]  # KeyError: a task name that nothing registered
    transaction.on_commit(lambda: _send(task, kwargs))


def _send(task: Task, kwargs: dict[str, Any]) -> None:  # type: ignore[type-arg]
    try:
        task.delay(**kwargs)
    except BrokerUnreachable as error:
        logger.error("could not enqueue %s %s: broker unreachable (%s)", task.name, kwargs, error)
