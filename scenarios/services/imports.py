"""Imports through the pages: a file is stored with a job, checked in the background (a dry
run that lists every row error), then — on the user's confirmation — imported, all or
nothing, by the same exchange code as the API and the operator's commands. Progress lives in
the cache while the import's transaction is open, so the page can follow it."""

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor, acting_user
from core.errors import ActorNotAllowed, DomainError, InvalidInput, InvalidTransition
from core.locks import lock_one
from core.tasks import enqueue_on_commit
from scenarios.exchange.columns import CAPABILITY_COLUMNS, NEED_COLUMNS
from scenarios.exchange.errors import ImportRejected
from scenarios.exchange.importing import capabilities_import, check_importer, needs_import
from scenarios.exchange.limits import ExchangeKind, ExchangeLimits
from scenarios.models import ImportJob, ImportStatus

KINDS = {
    "needs": (needs_import, NEED_COLUMNS),
    "capabilities": (capabilities_import, CAPABILITY_COLUMNS),
}
# A job's kind (the pages' word) as the exchange names it.
EXCHANGE_KINDS: dict[str, ExchangeKind] = {"needs": "need", "capabilities": "capability"}
PROGRESS_SECONDS = 6 * 3600


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
) -> ImportJob:
    """Store the file and start checking (or importing) it in the background. The same
    rights and size limits as the API's import apply; ``update`` as ``needs_import``'s."""
    if kind not in KINDS:
        raise InvalidInput(_("类型无效。"), fields={"kind": [_("无效的选项。")]})
    check_importer(actor, kind=EXCHANGE_KINDS[kind], publish=publish)
    user = acting_user(actor)
    if user is None:  # the operator imports with the commands, not through jobs
        raise ActorNotAllowed(_("请先登录。"))
    limits = ExchangeLimits.current()
    if not data:
        raise InvalidInput(_("文件为空。"), fields={"file": [_("请选择一个非空的文件。")]})
    if len(data) > limits.max_bytes:
        raise InvalidInput(
            _("文件过大（%(size).1f MiB），上限为 %(max).1f MiB。")
            % {"size": len(data) / 2**20, "max": limits.max_bytes / 2**20},
            fields={
                "file": [
                    _("文件过大（%(size).1f MiB），上限为 %(max).1f MiB。")
                    % {"size": len(data) / 2**20, "max": limits.max_bytes / 2**20}
                ]
            },
        )
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
    """The task's work: run the job once (a job no longer pending is left alone)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ImportStatus.PENDING:
            return
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status"])
    run, columns = KINDS[job.kind]

    def progress(done: int, total: int) -> None:
        cache.set(_progress_key(job.pk), (done, total), PROGRESS_SECONDS)

    fields: dict[str, Any] = {"finished_at": None}
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
            "errors": [{"row": 0, "field": "", "header": "", "reason": str(exc.message)}],
            "error_count": 1,
        }
    except Exception:  # a bug: the job says so instead of running for ever
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            errors=[
                {"row": 0, "field": "", "header": "", "reason": _("导入出错，请联系平台管理员。")}
            ],
            error_count=1,
            finished_at=timezone.now(),
        )
        raise
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
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    cache.delete(_progress_key(job.pk))
