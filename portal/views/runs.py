"""Match runs for committee members and the platform admin: the list with kind, scope,
policy version, status, times and counts; a progress bar that follows a running run without
reloading (htmx polls a small fragment, which stops with HTTP 286 once the run has ended);
starting and cancelling within each member's remit (the services decide); and each run's
shortfall explained need by need."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.roles import committees_of, is_platform_admin, is_province_committee_member
from core.errors import DomainError
from matching import selectors as matching_selectors
from matching.models import FINISHED_STATUSES, RunScope
from matching.services import runs as run_services
from matching.services.runs import run_progress
from portal.forms import service_message
from portal.lists import ListPaginator
from portal.views.committee import tabs_context
from portal.views.common import button_action
from scenarios import selectors

# What a need's shortfall reason (recorded by the run) means to a committee member.
SHORTFALL_LABELS = {
    "no_candidates": gettext_lazy("没有候选：没有得分为正的能力（或都被负面清单、利益冲突排除）"),
    "fewer_candidates": gettext_lazy("候选不足：全部候选都已推荐，但少于每个需求的推荐数"),
    "firms_at_capacity": gettext_lazy(
        "配额已满：其余候选所属企业或能力的承接量已被得分更高的需求用完"
    ),
}
SHORTFALL_SHOWN = 100
# The seconds a run records, named for people (its own keys stay in the API).
TIMING_LABELS = {
    "index_s": gettext_lazy("建立索引（秒）"),
    "plan_s": gettext_lazy("规划分片（秒）"),
    "score_s": gettext_lazy("打分（秒）"),
    "write_s": gettext_lazy("写入候选（秒）"),
    "finish_read_s": gettext_lazy("汇总读取（秒）"),
    "finish_pair_s": gettext_lazy("配额分配（秒）"),
    "finish_swap_s": gettext_lazy("切换当前结果（秒）"),
    "finish_s": gettext_lazy("汇总合计（秒）"),
    "wall_s": gettext_lazy("总耗时（秒）"),
}  # needs listed per reason on a run's page


def _operator_page(view: Any) -> Any:
    """Committee members and platform admins; anyone else goes to their own workspace."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (committees_of(request.user) or is_platform_admin(request.user)):
            return redirect("portal:workspace")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _targets(items: list[Any]) -> dict[int, tuple[str, str, str]]:
    """For single-item runs: run id → (kind, ref, title) of the need or capability."""
    need_ids = [r.target_id for r in items if r.scope == RunScope.NEED and r.target_id]
    cap_ids = [r.target_id for r in items if r.scope == RunScope.CAPABILITY and r.target_id]
    needs = selectors.need_labels(need_ids=need_ids)
    caps = selectors.capability_labels(capability_ids=cap_ids)
    out: dict[int, tuple[str, str, str]] = {}
    for run in items:
        if run.scope == RunScope.NEED and run.target_id in needs:
            ref, title, _region = needs[run.target_id]
            out[run.pk] = ("need", ref, title)
        elif run.scope == RunScope.CAPABILITY and run.target_id in caps:
            out[run.pk] = ("capability", *caps[run.target_id])
    return out


@_operator_page
@require_safe
def run_list(request: HttpRequest) -> HttpResponse:
    qs = matching_selectors.match_run_list_for_user(user=request.user).select_related(
        "requested_by"
    )
    page = ListPaginator(qs.order_by("-id"), 30).get_page(request.GET.get("page"))
    items = list(page.object_list)
    # A committee member came here from the workspace's tab: the tabs stay, to go back.
    tabs = tabs_context(request, "runs") if committees_of(request.user) else {}
    context = tabs | {
        "nav": "runs" if is_platform_admin(request.user) else "workspace",
        "page": page,
        "runs": [(r, run_progress(r)) for r in items],
        "targets": _targets(items),
        "can_run_full": is_platform_admin(request.user)
        or is_province_committee_member(request.user),
        "finished": FINISHED_STATUSES,
        "need_ref": request.GET.get("need", "")[:64],
    }
    return render(request, "portal/runs/list.html", context)


def _run_or_404(request: HttpRequest, run_id: int) -> Any:
    run = (
        matching_selectors.match_run_list_for_user(user=request.user)
        .select_related("requested_by")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise Http404
    return run


@_operator_page
@require_safe
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(request, run_id)
    recorded = (run.counts or {}).get("shortfall_needs") or {}
    by_reason: dict[str, list[int]] = {}
    for need_id, reason in recorded.items():
        if str(need_id).isdigit():
            by_reason.setdefault(str(reason), []).append(int(need_id))
    shown_ids = [n for ids in by_reason.values() for n in ids[:SHORTFALL_SHOWN]]
    labels = selectors.need_labels(need_ids=shown_ids)
    excluded = (run.counts or {}).get("shortfall_excluded") or {}
    shortfall = [
        (
            SHORTFALL_LABELS.get(reason, reason),
            count,
            [
                (*labels[n], *(excluded.get(str(n)) or (0, 0)))
                for n in by_reason.get(reason, [])[:SHORTFALL_SHOWN]
                if n in labels
            ],
        )
        for reason, count in sorted(
            ((run.counts or {}).get("shortfall") or {}).items(), key=lambda kv: -kv[1]
        )
    ]
    # As on the list: a committee member keeps the workspace's tabs.
    tabs = tabs_context(request, "runs") if committees_of(request.user) else {}
    context = (
        tabs
        | _progress_context(run)
        | {
            "nav": "runs" if is_platform_admin(request.user) else "workspace",
            "heading": "h2" if tabs else "h1",
            "target": _targets([run]).get(run.pk),
            "shortfall": shortfall,
            "k": (run.params or {}).get("k"),
            "timings": [
                (str(TIMING_LABELS.get(name, name)), seconds)
                for name, seconds in sorted((run.timings or {}).items())
            ],
            "can_cancel": is_platform_admin(request.user)
            or is_province_committee_member(request.user)
            or run.requested_by_id == request.user.pk,
        }
    )
    return render(request, "portal/runs/detail.html", context)


@_operator_page
@require_safe
def run_progress_fragment(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress bar alone, for htmx's polling; 286 tells htmx to stop once it ended."""
    run = _run_or_404(request, run_id)
    response = render(request, "portal/runs/_progress.html", _progress_context(run))
    if run.status in FINISHED_STATUSES:
        response.status_code = 286
        response["HX-Refresh"] = "true"  # the page shows the run's results once it ended
    return response


def _progress_context(run: Any) -> dict[str, Any]:
    return {
        "run": run,
        "progress": run_progress(run),
        "finished": FINISHED_STATUSES,
        "chunks_done": matching_selectors.run_chunks_done(run_id=run.pk)
        if run.chunk_count > 1
        else None,
    }


@button_action
@_operator_page
def run_start(request: HttpRequest) -> HttpResponse:
    """Start a full run, or rerun one need named by its reference."""
    scope = request.POST.get("scope", "")
    ref = request.POST.get("need_ref", "").replace("\x00", "").strip()[:64]
    back = reverse("portal:run-list") + (f"?{urlencode({'need': ref})}" if ref else "")
    object_id = None
    if scope == RunScope.NEED:
        object_id = selectors.need_id_by_ref(ref=ref) if ref else None
        if object_id is None:
            messages.error(
                request,
                _("找不到编号为“%(ref)s”的需求。") % {"ref": ref} if ref else _("请填写需求编号。"),
            )
            return redirect(back)
    elif scope != RunScope.FULL:
        messages.error(request, _("请选择匹配范围。"))
        return redirect("portal:run-list")
    try:
        run = run_services.match_run_request(scope=scope, object_id=object_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, service_message(exc))
        return redirect(back)
    messages.success(request, _("已发起匹配批次 #%(id)s。") % {"id": run.pk})
    return redirect("portal:run-detail", run_id=run.pk)


@button_action
@_operator_page
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(request, run_id)
    try:
        run_services.match_run_cancel(run_id=run.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, service_message(exc))
    else:
        messages.success(request, _("已取消批次 #%(id)s。") % {"id": run.pk})
    return redirect("portal:run-detail", run_id=run.pk)
