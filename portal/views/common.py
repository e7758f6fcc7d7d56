"""What several pages share: the status groups of the workspaces and the audit trail as
people read it."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from core.actors import Actor
from core.errors import DomainError, StaleVersion
from portal.forms import apply_service_errors
from portal.labels import ACTION_LABELS, STATE_LABELS
from portal.templatetags.portal import wan
from reference.selectors import region_full_name
from scenarios import selectors
from scenarios.choices import NeedStatus
from scenarios.services.reviews import system_note


class HtmxHttpRequest(HttpRequest):
    """A request as HtmxMiddleware leaves it: ``request.htmx`` is truthy for htmx calls."""

    htmx: HtmxDetails


@dataclass(frozen=True)
class VersionedEdit:
    """How one kind of item is edited: its form, how to load it again, its service."""

    form_class: Any  # an ItemForm with initial_from()
    load: Callable[[], Any]  # the item as the user may see it now (404 otherwise)
    update: Callable[..., Any]  # the service: update(actor=, <name>=item, expected_version=, ...)
    name: str  # "need" or "capability": the service's keyword and the template's variable
    aliases: Mapping[str, str]
    template: str
    done_url: Callable[[Any], str]
    # Extra arguments of the form for this item (e.g. the regions its owner may choose).
    form_kwargs: Callable[[Any], dict[str, Any]] = lambda _item: {}
    # What else the page shows of the item (e.g. why a committee returned it).
    extra_context: Callable[[Any], dict[str, Any]] = lambda _item: {}


# Why an item cannot be edited now and what to do instead, by (kind, status).
NOT_EDITABLE = {
    ("capability", "published"): _("已发布的能力需先撤回才能修改，修改后请重新提交发布。"),
    ("capability", "submitted"): _(
        "已提交的能力正在等待工作委员会审核（企业认证或复核）；如需修改，请先撤回。"
    ),
    ("capability", "suspended"): _("能力已被工作委员会暂停，不能修改；请联系工作委员会。"),
    # A withdrawn need cannot be submitted again: the way back to editing is a return.
    ("need", "submitted"): _(
        "已提交的需求正在等待工作委员会审核，不能修改；如需修改，请联系工作委员会退回。"
    ),
    ("need", "in_review"): _(
        "需求正在工作委员会审核中，不能修改；如需修改，请联系工作委员会退回。"
    ),
    ("need", "published"): _(
        "已发布的需求不能修改；如需更改，请撤回后复制为新的草稿，修改后重新提交审核。"
    ),
}


def not_editable_message(name: str, status: str) -> str:
    """What the edit page says when it sends the user back (``当前状态下不能修改`` alone
    left them guessing that withdrawing comes first)."""
    return str(NOT_EDITABLE.get((name, status)) or gettext("当前状态下不能修改。"))


def edit_with_version(request: HttpRequest, edit: VersionedEdit) -> HttpResponse:
    """The edit form of a versioned item. A stale save (someone saved since the form was
    opened) keeps what this user typed, says so, shows the saved version beside it and
    carries its version, so saving again is a decision; nothing of the stale save is kept."""
    item = edit.load()
    if not item.is_editable and request.method == "POST":
        # Submitted or published from another tab while this form was open: nothing is
        # saved, and what was typed stays on the page with the reason (it was dropped).
        form = edit.form_class(request.POST, **edit.form_kwargs(item))
        form.is_valid()
        form.add_error(
            None,
            gettext(
                "在您编辑期间，这一条已变为“%(s)s”，修改没有保存。%(todo)s"
                "您填写的内容仍在下面，可复制备用。"
            )
            % {
                "s": item.get_status_display(),
                "todo": not_editable_message(edit.name, item.status),
            },
        )
        context = {"nav": "workspace", "form": form, edit.name: item, "newer": None}
        return render(request, edit.template, context | edit.extra_context(item))
    if not item.is_editable:  # published or in review: say what to do instead
        messages.info(request, not_editable_message(edit.name, item.status))
        return redirect(edit.done_url(item))
    newer = None
    if request.method != "POST":
        form = edit.form_class(initial=edit.form_class.initial_from(item), **edit.form_kwargs(item))
    else:
        form = edit.form_class(request.POST, **edit.form_kwargs(item))
        if form.is_valid():
            try:
                edit.update(
                    actor=request.user,
                    expected_version=form.cleaned_data.get("version"),
                    **{edit.name: item},
                    **form.service_values(),
                )
            except StaleVersion:
                item = newer = edit.load()
                data = request.POST.copy()
                data["version"] = str(item.version)
                form = edit.form_class(data, **edit.form_kwargs(item))
                form.is_valid()
                form.add_error(None, STALE_MESSAGE % {"v": item.version})
            except DomainError as exc:
                apply_service_errors(form, exc, edit.aliases)
            else:
                messages.success(request, gettext("已保存修改。"))
                return redirect(edit.done_url(item))
    context = {"nav": "workspace", "form": form, edit.name: item, "newer": newer}
    return render(request, edit.template, context | edit.extra_context(item))


def button_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view behind a page's button: signed in, POST only. Marked so that signing in with
    such an address as ``next`` lands on the page that holds the button, not on a 405."""
    wrapped = login_required(require_POST(view))
    wrapped.button_action = True  # type: ignore[attr-defined]
    return wrapped


def page_of_button(path: str) -> str:
    """The address of the page a button's address belongs to: its parent when that is a
    page (``…/needs/N-1/submit/`` → ``…/needs/N-1/``), else the user's workspace."""
    parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
    try:
        resolve(parent)
    except Resolver404:
        return reverse("portal:workspace")
    return parent


def not_your_page(request: HttpRequest) -> HttpResponse:
    """A page of a role the user does not have: to their own workspace, saying why (a
    silent redirect looked like a broken link)."""
    messages.info(request, gettext("这个页面属于其他角色，您的账号不能打开；已转到您的工作台。"))
    return redirect("portal:workspace")


STALE_MESSAGE = _(
    "在您编辑期间，这一条已在别处被修改（现为第 %(v)s 版）。请对照下方的最新内容，确认后再次保存。"
)


def posted_version(request: HttpRequest) -> int | None:
    """The version the page showed when the user pressed the button (for stale checks)."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


N = NeedStatus
STATUS_GROUPS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "all": (_("全部"), ()),
    "draft": (_("草稿"), (N.DRAFT, N.SUBMITTED)),
    "in_review": (_("审核中"), (N.IN_REVIEW,)),
    "returned": (_("已退回"), (N.RETURNED,)),
    "published": (_("已发布"), (N.PUBLISHED,)),
    "in_validation": (_("验证中"), (N.IN_VALIDATION,)),
    "validated": (_("已验证"), (N.VALIDATED, N.SCALED)),
    "ended": (_("已结束"), (N.CLOSED, N.REJECTED, N.WITHDRAWN)),
}


@dataclass(frozen=True)
class FieldChange:
    """One field an edit changed, as the trail shows it; ``long``: text shown folded."""

    label: str
    before: str
    after: str
    long: bool


@dataclass(frozen=True)
class TrailRow:
    at: datetime
    actor: str
    action: str
    change: str
    reason: str
    fields: tuple[FieldChange, ...] = ()


# Longer values than this are shown folded (both versions in full when opened).
SHORT_VALUE = 60


def _shown(field: Any, value: Any) -> str:
    """A recorded value as a reader reads it (None: blanked for this reader, or empty)."""
    if value is None or value == "" or value == []:
        return "–"
    if field.name == "budget_cny":
        return wan(int(value))
    if field.name == "region":
        return region_full_name(str(value)) or str(value)
    if getattr(field, "choices", None):
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _field_changes(event: Any) -> tuple[FieldChange, ...]:
    """What an edit (``*.update``, recorded with the values before and after) changed, so
    a reviewer checks a resubmission against the reason it was returned for."""
    data = event.data if isinstance(event.data, dict) else {}
    before, after = data.get("before"), data.get("after")
    if not event.action.endswith(".update") or not isinstance(before, dict):
        return ()
    try:
        model = apps.get_model(event.target_type)
    except (LookupError, ValueError):
        return ()
    out = []
    for name, old in before.items():
        new = (after or {}).get(name, old)
        if new == old:
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        shown_old, shown_new = _shown(field, old), _shown(field, new)
        out.append(
            FieldChange(
                # the amount is shown in 万元, not in the field's unit (元)
                label=gettext("预算") if name == "budget_cny" else str(field.verbose_name),
                before=shown_old,
                after=shown_new,
                long=max(len(shown_old), len(shown_new)) > SHORT_VALUE or "\n" in shown_new,
            )
        )
    return tuple(out)


# Reasons the platform itself writes, stored in the site's language when written: shown in
# the reader's. (A reason a person typed is shown as typed.)
SYSTEM_REASONS = {
    "批量导入为草稿。": _("批量导入为草稿。"),
    "批量导入：已在其他渠道审批，作为已发布导入。": _(
        "批量导入：已在其他渠道审批，作为已发布导入。"
    ),
}


def _system_reason(event: Any) -> str:
    if event.action.endswith(".import"):
        return str(SYSTEM_REASONS.get(event.reason, event.reason))
    note = (event.data or {}).get("system_note") if isinstance(event.data, dict) else None
    reason = str(event.reason)
    if isinstance(note, dict) and reason.endswith(stored := str(note.get("text") or "")) and stored:
        # The platform's note (a major budget, a committee passed over) in the reader's
        # language; what a person typed before it stays as typed.
        return reason[: len(reason) - len(stored)] + system_note(note.get("parts") or [])
    return reason


def _rows(events: list[Any]) -> list[TrailRow]:
    rows = []
    for event in events:
        change = ""
        if event.from_state or event.to_state:
            change = f"{STATE_LABELS.get(event.from_state, event.from_state) or '–'} → " + str(
                STATE_LABELS.get(event.to_state, event.to_state) or "–"
            )
        rows.append(
            TrailRow(
                at=event.created_at,
                actor=event.actor.get_username() if event.actor else str(_("系统")),
                action=str(
                    # a draft is not withdrawn but given up (the page's button: 放弃草稿)
                    _("放弃草稿")
                    if event.action == "need.withdraw" and event.from_state == "draft"
                    else ACTION_LABELS.get(event.action, event.action)
                ),
                change=change,
                reason=_system_reason(event),
                fields=_field_changes(event),
            )
        )
    return rows


def trail_of(user: Actor, need: Any) -> list[TrailRow]:
    """The need's audit trail as the user may read it (confidential values blanked)."""
    return _rows(selectors.need_history_for_user(user=user, need=need))


def capability_trail(capability: Any) -> list[TrailRow]:
    return _rows(selectors.capability_history(capability=capability))
