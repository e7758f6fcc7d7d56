"""Sending Celery tasks by their registered name, after the current transaction commits.

Services enqueue work through this helper rather than importing their app's ``tasks``
module: tasks are adapters that call services, so the import arrow runs from tasks to
services only. Every task has an explicit name (``"matching.execute_run"``) and its app
imports its ``tasks`` module in ``AppConfig.ready()``, which registers it.
"""

from typing import Any

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, /, **kwargs: Any) -> None:
    """Send ``task_name`` with ``kwargs`` once the transaction commits (nothing on rollback).

    Outside a transaction the task is sent at once. Without a broker
    (``CELERY_TASK_ALWAYS_EAGER``) it runs in this process.
    """
    task = current_app.tasks[task_name]  # KeyError: a task name that nothing registered
    transaction.on_commit(lambda: task.delay(**kwargs))
