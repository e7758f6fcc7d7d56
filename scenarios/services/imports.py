"""Imports through the pages: a file is stored with a job, checked in the background (a dry
run that lists every row error), then — on the user's confirmation — imported, all or
nothing, by the same exchange code as the API and the operator's commands. Progress lives in
the cache while the import's transaction is open, so the page can follow it. A job whose
worker was killed is run again (``import_jobs_resume_stalled``), never half-imported."""

import logging
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, DomainError, InvalidInput, InvalidTransition
from core.locks import lock_one
from core.tasks import enqueue_on_commit
from scenarios.exchange.columns import CAPABILITY_COLUMNS, NEED_COLUMNS
from scenarios.exchange.errors import ImportRejected
from scenarios.exchange.importing import capabilities_import, check_importer, needs_import
from scenarios.exchange.limits import ExchangeKind, ExchangeLimits, sizes_apart
from scenarios.models import ImportJob, ImportStatus

KINDS = {
    "needs": (needs_import, NEED_COLUMNS),
    "capabilities": (capabilities_import, CAPABILITY_COLUMNS),
}
# A job's kind (the pages' word) as the exchange names it.
EXCHANGE_KINDS: dict[str, ExchangeKind] = {"needs": "need", "capabilities": "capability"}
PROGRESS_SECONDS = 6 * 3600
# Runs of one job before it fails as interrupted: a file that kills its worker every time
# (memory) must not be retried for ever.
IMPORT_MAX_ATTEMPTS = 3
# Between a claim's commit and its runner's lock on the row, the row looks abandoned: the
# sweep waits this long after a run started before it believes that.
RUNNER_GRACE = timedelta(minutes=1)
# Without row locks (SQLite) a run is known dead only past the task's hard time limit.
STALE_WITHOUT_ROW_LOCKS = timedelta(hours=1)
logger = logging.getLogger(__name__)


def _progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def import_progress(*, job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in the file) of a running job; the job's own once it ended."""
    if job.is_finished:
        return job.total, job.total
    value = cache.get(_progress_key(job.pk))
    return tuple(value) if isinstance(value, list | tuple) else (0, job.total)  # type: ignore[return-value]


@transaction.atomic
def import_job_create(
    *,
    actor: Actor,
    kind: str,
    filename: str,
    data: bytes,
    publish: bool = False,
    dry_run: bool = True,
    update: bool = False,
    size: int | None = None,
) -> ImportJob:
    """Store the file and start checking (or importing) it in the background. The same
    rights and size limits as the API's import apply; ``update`` as ``needs_import``'s;
    ``size``: the upload's size when ``data`` holds only its first bytes (to say how large
    a refused file is)."""
    if kind not in KINDS:
        raise InvalidInput(_("类型无效。"), fields={"kind": [_("无效的选项。")]})
    check_importer(actor, kind=EXCHANGE_KINDS[kind], publish=publish)
    user = acting_user(actor)
    if user is None:  # the operator imports with the commands, not through jobs
        raise ActorNotAllowed(_("请先登录。"))
    limits = ExchangeLimits.current()
    if not data:
        raise InvalidInput(_("文件为空。"), fields={"file": [_("请选择一个非空的文件。")]})
    # The upload's own size: a caller reads at most one byte past the limit.
    size = max(size or 0, len(data))
    if size > limits.max_bytes:
        message = _("文件过大（%(size)s），上限为 %(max)s。") % sizes_apart(size, limits.max_bytes)
        raise InvalidInput(message, fields={"file": [message]})
    job = ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        data=data,
        publish=publish,
        update=update,
        dry_run=dry_run,
        requested_by=user,
    )
    enqueue_on_commit("scenarios.run_import", job_id=job.pk)
    return job


@transaction.atomic
def import_job_confirm(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Import a file that passed its check, as it was checked (a new job; the check stays)."""
    job = lock_one(ImportJob, job.pk)
    if acting_user(actor) != job.requested_by:
        raise ActorNotAllowed(_("只能确认本人上传的文件。"))
    if not job.dry_run or job.status != ImportStatus.DONE:
        raise InvalidTransition(_("只有检查通过的文件可以导入。"), status=job.status)
    existing = ImportJob.objects.filter(checked_from=job).first()
    if existing is not None:
        return existing  # a second click imports nothing twice
    return _confirmed(actor, job)


def _confirmed(actor: Actor, job: ImportJob) -> ImportJob:
    check_importer(actor, kind=EXCHANGE_KINDS[job.kind], publish=job.publish)
    new = ImportJob.objects.create(
        kind=job.kind,
        filename=job.filename,
        data=bytes(job.data),
        publish=job.publish,
        update=job.update,
        dry_run=False,
        checked_from=job,
        total=job.total,
        requested_by=job.requested_by,
    )
    enqueue_on_commit("scenarios.run_import", job_id=new.pk)
    return new


def _errors(exc: ImportRejected, columns: Any) -> list[dict[str, Any]]:
    headers = {c.name: c.header for c in columns}
    limit = ExchangeLimits.current().max_errors
    return [
        {
            "row": e.row,
            "field": e.field,
            "header": headers.get(e.field, e.field),
            "reason": e.reason,
        }
        for e in exc.errors[:limit]
    ]


def import_job_run(*, job_id: int) -> None:
    """The task's work: check or import the job's file once, all or nothing.

    Safe to run twice, and after a run killed with its worker. The job is claimed first
    (``_claim``: pending, or running with no live runner), then run in one transaction that
    holds the job's row lock and commits the imported rows together with the job's result:
    a killed runner leaves neither (its transaction rolls back and the lock goes with its
    connection), and the job running with no lock held is what a redelivered task, the
    task's retry or ``import_jobs_resume_stalled`` take over. A database error propagates
    (the task retries it); any other error marks the job failed.
    """
    attempt = _claim(job_id)
    if attempt is None:
        return
    try:
        with transaction.atomic():
            job = (
                # Only the job's row: its user's stays free (a sign-in updates it).
                ImportJob.objects.select_for_update(of=("self",))
                .select_related("requested_by")
                .filter(pk=job_id, status=ImportStatus.RUNNING, attempts=attempt)
                .first()
            )
            if job is None:
                return  # a later delivery took it over meanwhile
            ImportJob.objects.filter(pk=job.pk).update(**_execute(job))
    except (OperationalError, InterfaceError):
        raise  # running, unlocked: the task's retry or the sweep runs it again
    except Exception:  # a bug: the job says so instead of running for ever
        ImportJob.objects.filter(pk=job_id, attempts=attempt).update(
            status=ImportStatus.FAILED,
            errors=[_error_row(_("导入出错，请联系平台管理员。"))],
            error_count=1,
            finished_at=timezone.now(),
        )
        cache.delete(_progress_key(job_id))
        raise
    cache.delete(_progress_key(job_id))


def _claim(job_id: int) -> int | None:
    """Mark the job running and count the attempt; None when there is nothing to run.

    A pending job is claimed. A running one is claimed again when its runner is gone
    (``_runner_gone``), unless it has used ``IMPORT_MAX_ATTEMPTS``: then it fails, saying
    so. The attempt number fences off a runner that claimed before and locks after.
    """
    with transaction.atomic():
        # SKIP LOCKED: a row held by its runner is running and alive; leave it.
        job = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:
            return None
        if job.status == ImportStatus.RUNNING and _runner_gone(job):
            if job.attempts >= IMPORT_MAX_ATTEMPTS:
                _fail_interrupted(job)
                return None
            logger.warning("import job %s lost its runner; running it again", job.pk)
        elif job.status != ImportStatus.PENDING:
            return None
        job.status = ImportStatus.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.save(update_fields=["status", "attempts", "started_at"])
        return job.attempts


def _runner_gone(job: ImportJob, *, grace: timedelta = timedelta(0)) -> bool:
    """Whether a running job's runner died (the caller could lock its row without waiting).

    Where rows can be locked (PostgreSQL) an unlocked running row is proof enough, after
    ``grace`` (the instant between a claim's commit and the runner's lock). Without row
    locks (SQLite) only a run older than the task's hard time limit is surely dead.
    """
    started = job.started_at or job.created_at
    if connection.features.has_select_for_update_skip_locked:
        return started <= timezone.now() - grace
    return started <= timezone.now() - max(grace, STALE_WITHOUT_ROW_LOCKS)


def _fail_interrupted(job: ImportJob) -> None:
    logger.error("import job %s failed: interrupted %s times", job.pk, job.attempts)
    job.status = ImportStatus.FAILED
    job.errors = [
        _error_row(
            _(
                "导入多次中断（处理进程意外退出），未写入任何数据。"
                "请检查文件后重新上传，或联系平台管理员。"
            )
        )
    ]
    job.error_count = 1
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "error_count", "finished_at"])


def _error_row(reason: str) -> dict[str, Any]:
    return {"row": 0, "field": "", "header": "", "reason": reason}


def _execute(job: ImportJob) -> dict[str, Any]:
    """Run the job's file through the exchange code; the job's fields to save with it."""
    run, columns = KINDS[job.kind]

    def progress(done: int, total: int) -> None:
        cache.set(_progress_key(job.pk), (done, total), PROGRESS_SECONDS)

    fields: dict[str, Any] = {}
    try:
        result = run(
            actor=job.requested_by,
            data=bytes(job.data),
            filename=job.filename,
            publish=job.publish,
            dry_run=job.dry_run,
            update=job.update,
            progress=progress,
        )
    except ImportRejected as exc:
        fields |= {
            "status": ImportStatus.FAILED,
            "errors": _errors(exc, columns),
            "error_count": len(exc.errors),
        }
    except DomainError as exc:
        fields |= {
            "status": ImportStatus.FAILED,
            "errors": [_error_row(str(exc.message))],
            "error_count": 1,
        }
    else:
        fields |= {
            "status": ImportStatus.DONE,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "organizations_created": result.organizations_created[:200],
        }
    done = cache.get(_progress_key(job.pk))
    if isinstance(done, list | tuple):
        fields["total"] = done[1]
    fields["finished_at"] = timezone.now()
    return fields


def import_jobs_resume_stalled(
    *, older_than_minutes: int = 15, grace: timedelta = RUNNER_GRACE
) -> list[int]:
    """Send again the jobs whose run or message was lost; returns their ids (beat).

    A running job whose runner died (a killed worker; its import rolled back with it) goes
    back to pending and is sent again, or fails with a clear message after
    ``IMPORT_MAX_ATTEMPTS`` runs. A job pending for ``older_than_minutes`` is sent again
    too: its message was lost with Redis's data (a second message for a job that was only
    waiting is harmless: the claim decides).
    """
    resumed: list[int] = []
    with transaction.atomic():
        running = ImportJob.objects.select_for_update(skip_locked=True).filter(
            status=ImportStatus.RUNNING
        )
        for job in running:
            if not _runner_gone(job, grace=grace):
                continue
            if job.attempts >= IMPORT_MAX_ATTEMPTS:
                _fail_interrupted(job)
                continue
            job.status = ImportStatus.PENDING
            job.save(update_fields=["status"])
            resumed.append(job.pk)
        cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
        waiting = list(
            ImportJob.objects.filter(status=ImportStatus.PENDING, created_at__lt=cutoff)
            .exclude(pk__in=resumed)
            .values_list("pk", flat=True)
        )
        if resumed:
            logger.warning("import jobs %s lost their runner; sending them again", resumed)
        if waiting:
            logger.warning("sending pending import jobs %s again: they never started", waiting)
        for job_id in resumed + waiting:
            enqueue_on_commit("scenarios.run_import", job_id=job_id)
    return resumed + waiting
