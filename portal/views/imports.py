"""Imports for the province committee and the platform admin (any organization's rows), and
for agencies' and firms' editors (their own needs or capabilities, e.g. their exported list
edited in a spreadsheet): download the template (with its 填写说明 sheet), upload a
JSON/CSV/XLSX list, optionally updating stored items by ref, see every row error of the
check in a table before anything is written, then import it with a progress bar. Both run as
background tasks (the page follows them), so a large file never times a request out."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Organization
from accounts.roles import committees_of, is_platform_admin
from core.errors import DomainError
from portal.forms import StyledForm, apply_service_errors, service_message, set_choices
from portal.views.committee import tabs_context
from portal.views.common import button_action
from scenarios import selectors
from scenarios.exchange.exporting import exchange_template
from scenarios.exchange.importing import import_kinds_for, import_scope
from scenarios.exchange.limits import ExchangeLimits
from scenarios.models import ImportJob
from scenarios.services import imports as import_services

KIND_LABELS = {
    "needs": gettext_lazy("机会清单（需求）"),
    "capabilities": gettext_lazy("能力清单（能力）"),
}


class UploadForm(StyledForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("清单类型"), choices=list(KIND_LABELS.items()), widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=gettext_lazy("文件（JSON、CSV 或 XLSX）"),
        # The chooser offers the three formats; another file is still refused by its name.
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,.xlsx"}),
    )
    update = forms.BooleanField(
        label=gettext_lazy("按编号更新已有条目"),
        help_text=gettext_lazy(
            "编号已存在的行更新该条目（与已有数据相同的行不改动），其余行新建；"
            "已发布的条目不能修改。不勾选时，编号已存在是错误。"
        ),
        required=False,
    )
    publish = forms.BooleanField(
        label=gettext_lazy("导入后直接发布（已在别处审定的清单，仅平台管理员）"), required=False
    )


# The pages' kinds of list and the exchange's.
EXCHANGE_KINDS = {"needs": "need", "capabilities": "capability"}


def _kinds(request: HttpRequest) -> list[str]:
    """The lists this user may import (pages' names)."""
    allowed = import_kinds_for(request.user)
    return [kind for kind, name in EXCHANGE_KINDS.items() if name in allowed]


def _importer_page(view: Any) -> Any:
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _kinds(request):
            # Said, not a silent bounce: a city or county committee reaches the address too.
            messages.info(
                request,
                _(
                    "批量导入由省级工作委员会或平台管理员进行（发布单位和企业可导入本单位的"
                    "需求、能力）；您所在的组织不能批量导入。"
                ),
            )
            return redirect("portal:workspace")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    # A committee member came from the workspace's tab: the tabs stay, to go on from here.
    tabs = tabs_context(request, "imports") if committees_of(request.user) else {}
    return tabs | {
        "nav": "workspace",
        "heading": "h2" if tabs else "h1",
        "jobs": selectors.import_jobs_for_user(user=request.user)[:20],
        "kinds": {kind: KIND_LABELS[kind] for kind in _kinds(request)},
        "can_publish": is_platform_admin(request.user),
        "can_import_any": import_scope(request.user, "need") is None,
        **extra,
    }


def _firms_all_suspended(request: HttpRequest) -> bool:
    """Whether every firm this (firm-only) importer edits for is suspended by a committee."""
    scope = import_scope(request.user, "capability")
    if not scope:
        return False
    return not Organization.objects.filter(pk__in=scope, suspended_at__isnull=True).exists()


@_importer_page
@require_http_methods(["GET", "POST"])
def imports_home(request: HttpRequest) -> HttpResponse:
    kinds = _kinds(request)
    if kinds == ["capabilities"] and _firms_all_suspended(request):
        # As on the page for a new capability: said before a file is chosen, not after.
        messages.error(request, _("企业已被暂停，暂停期间不能登记新的能力。"))
        return redirect("portal:firm-home")
    form = UploadForm(request.POST or None, request.FILES or None, initial={"kind": kinds[0]})
    set_choices(form, "kind", [(kind, KIND_LABELS[kind]) for kind in kinds])
    limits = ExchangeLimits.current()
    form.fields["file"].help_text = _(
        "按模板填写；文件不超过 %(mb).0f MiB、%(rows)s 行。先检查每一行，检查通过后再确认导入。"
    ) % {"mb": limits.max_bytes / 2**20, "rows": limits.max_rows}
    if not is_platform_admin(request.user):
        del form.fields["publish"]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        limit = ExchangeLimits.current().max_bytes
        data = upload.read(limit + 1)
        try:
            job = import_services.import_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                filename=upload.name or "",
                data=data,
                size=upload.size,
                publish=bool(form.cleaned_data.get("publish")),
                update=bool(form.cleaned_data.get("update")),
                dry_run=True,
            )
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("portal:import-job", job_id=job.pk)
    return render(request, "portal/imports/home.html", _context(request, form=form))


@_importer_page
@require_safe
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """An empty list in the exchange format: the headers and the 填写说明 sheet."""
    if kind not in EXCHANGE_KINDS:
        raise Http404
    export = exchange_template(kind="need" if kind == "needs" else "capability")
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="template-{kind}.xlsx"'
    return response


def _job_or_404(request: HttpRequest, job_id: int) -> ImportJob:
    job = selectors.import_jobs_for_user(user=request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def _job_context(job: ImportJob) -> dict[str, Any]:
    done, total = import_services.import_progress(job=job)
    return {
        "job": job,
        "done": done,
        "total": total,
        "percent": round(100 * done / total) if total else (100 if job.is_finished else 0),
    }


@_importer_page
@require_safe
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    imported = ImportJob.objects.filter(checked_from=job).first() if job.dry_run else None
    context = _context(request, kind_label=KIND_LABELS.get(job.kind, job.kind), imported=imported)
    return render(request, "portal/imports/job.html", context | _job_context(job))


@_importer_page
@require_safe
def import_job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    response = render(request, "portal/imports/_progress.html", _job_context(job))
    if job.is_finished:
        response.status_code = 286  # htmx stops polling; the page shows the outcome
        response["HX-Refresh"] = "true"
    return response


@button_action
@_importer_page
def import_job_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    earlier = ImportJob.objects.filter(checked_from=job).first()
    if earlier is not None:  # a second click: the import is under way or done
        messages.info(request, _("这个文件已确认导入，下面是那次导入。"))
        return redirect("portal:import-job", job_id=earlier.pk)
    try:
        new = import_services.import_job_confirm(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, service_message(exc))
        return redirect("portal:import-job", job_id=job.pk)
    messages.success(request, _("开始导入 %(name)s。") % {"name": job.filename})
    return redirect("portal:import-job", job_id=new.pk)
