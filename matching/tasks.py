"""Celery tasks: thin adapters around ``matching.services``; every one is safe to run twice.

Services enqueue these by name (``core.tasks.enqueue_on_commit``), never by importing this
module, so the import arrow runs from tasks to services only.

Transient errors (database or broker connection) are retried with backoff; any final
failure marks the run failed (``RunTask.on_failure``), never a retry in between.
"""

from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from matching.models import RunScope
from matching.services import history, results, runs

TRANSIENT = (OperationalError, InterfaceError, RedisConnectionError)
RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}


class RunTask(Task):
    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        run_id = (kwargs or {}).get("run_id")
        if run_id is not None:
            runs.match_run_fail(run_id=run_id, error=exc)


@shared_task(
    name="matching.execute_run", base=RunTask, soft_time_limit=1800, time_limit=2100, **RETRY
)
def execute_run(*, run_id: int) -> None:
    # Planning builds or loads the province index (seconds to minutes on a cold worker).
    runs.match_run_execute(run_id=run_id)


@shared_task(
    name="matching.score_chunk", base=RunTask, soft_time_limit=600, time_limit=900, **RETRY
)
def score_chunk(*, run_id: int, number: int) -> None:
    results.match_run_score_chunk(run_id=run_id, number=number)


@shared_task(name="matching.finish_run", base=RunTask, soft_time_limit=600, time_limit=900, **RETRY)
def finish_run(*, run_id: int) -> None:
    results.match_run_finish(run_id=run_id)


@shared_task(name="matching.compact_index", soft_time_limit=1800, time_limit=2100, **RETRY)
def compact_index() -> None:
    """Rebuild the capability index once its appended part has grown (see matching.index)."""
    runs.match_index_compact()


@shared_task(name="matching.start_full_run")
def start_full_run() -> None:
    """Nightly full rescoring (celery beat)."""
    runs.match_run_request(scope=RunScope.FULL)


@shared_task(name="matching.resume_stalled")
def resume_stalled() -> None:
    runs.match_runs_resume_stalled()


@shared_task(name="matching.prune_history", soft_time_limit=1800, time_limit=2100)
def prune_history() -> None:
    """Nightly: drop superseded match rows older than MATCHING_HISTORY_DAYS (0 keeps all)."""
    days = settings.MATCHING_HISTORY_DAYS
    if days > 0:
        history.match_history_prune(older_than_days=days)
