"""The province's policy editor: weights shown as shares that add up, a preview of today's
top candidates beside the draft's before anything is saved, saving as a new version (which
starts a full run when matching changes), and the negative list with the capabilities an
entry would hit shown before it is added. Other committee members read the policy."""

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from accounts.roles import committees_of, is_province_committee_member
from core.errors import DomainError, StaleVersion
from matching import selectors as matching_selectors
from matching.models import RunScope
from matching.services.preview import policy_preview
from portal.forms import apply_service_errors
from portal.forms.policy import NegativeEntryForm, PolicyForm, shares
from portal.labels import criterion_description, criterion_name
from portal.views.committee import tabs_context
from portal.views.common import button_action
from scenarios import selectors
from scenarios.services import negative_list as negative_services
from scenarios.services.policy import (
    MATCHING_FEATURES,
    REGION_KEYS,
    REGION_LABELS,
    policy_changes_since,
    policy_current,
    policy_update,
    rising_region_pairs,
)

# The session key of a refused switch-off of a negative-list entry, shown on its row.
NEGATIVE_REFUSED = "negative_refused"
# Service field names → the editor's (its errors land beside the inputs).
POLICY_ALIASES = {"major_budget_threshold_cny": "major_budget_wan"}


def _committee(view: Any) -> Any:
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not committees_of(request.user):
            return redirect("portal:workspace")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _conflict_labels(form: PolicyForm, names: list[str]) -> str:
    """The editor's labels of ``policy_changes_since``'s conflicting fields."""
    prefixes = {"matching_weights": "w", "region_weights": "r", "selection_criteria": "c"}
    labels = []
    for name in names:
        field, _dot, key = name.partition(".")
        form_name = f"{prefixes[field]}_{key}" if key else POLICY_ALIASES.get(field, field)
        labels.append(str(form.fields[form_name].label) if form_name in form.fields else name)
    return pgettext("between quoted words", "、").join(labels)


def _typed(form: PolicyForm, name: str) -> float:
    """A weight as typed (0 when it is not a finite non-negative number)."""
    try:
        value = float(str(form.data.get(name, "")).strip())
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0


def _context(
    request: HttpRequest,
    policy: Any,
    form: PolicyForm,
    entry_form: NegativeEntryForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    if form.is_bound:  # the shares of what was typed, also when it was refused
        w = {k: _typed(form, f"w_{k}") for k in MATCHING_FEATURES}
        c = {crit["key"]: _typed(form, f"c_{crit['key']}") for crit in policy.selection_criteria}
    else:
        w = {k: float(policy.matching_weights.get(k, 0)) for k in MATCHING_FEATURES}
        c = {crit["key"]: float(crit["weight"]) for crit in policy.selection_criteria}
    return tabs_context(request, "policy", reverse("portal:committee-policy")) | {
        "policy": policy,
        "can_edit": is_province_committee_member(request.user),
        "form": form,
        "matching_fields": list(
            zip(form.bound("w", MATCHING_FEATURES), shares(w).values(), strict=True)
        ),
        "region_fields": form.bound("r", REGION_KEYS),
        "criteria_fields": [
            (form[f"c_{crit['key']}"], share, criterion_description(crit))
            for crit, share in zip(policy.selection_criteria, shares(c).values(), strict=True)
        ],
        "criteria_names": [criterion_name(crit) for crit in policy.selection_criteria],
        "entries": selectors.negative_entries(),
        "entry_form": entry_form or NegativeEntryForm(initial={"kind": "keyword"}),
        # A refused switch-off: its row shows why beside the box, with what was typed.
        "negative_refused": request.session.pop(NEGATIVE_REFUSED, None),
        **extra,
    }


@_committee
@require_http_methods(["GET", "POST"])
def policy_page(request: HttpRequest) -> HttpResponse:
    policy = policy_current()
    can_edit = is_province_committee_member(request.user)
    if request.method != "POST":
        form = PolicyForm(
            initial=PolicyForm.initial_from(policy), criteria=list(policy.selection_criteria)
        )
        return render(request, "portal/committee/policy.html", _context(request, policy, form))
    if not can_edit:
        messages.error(request, _("只有省级工作委员会可以修改政策。"))
        return redirect("portal:committee-policy")
    form = PolicyForm(request.POST, criteria=list(policy.selection_criteria))
    extra: dict[str, Any] = {}
    if form.is_valid():
        action = request.POST.get("action")
        if action == "save":
            extra = _save(request, policy, form) or {}
            if "saved" in extra:
                return redirect(extra["saved"])
        else:
            extra = _preview(request, form)
    return render(request, "portal/committee/policy.html", _context(request, policy, form, **extra))


def _preview(request: HttpRequest, form: PolicyForm) -> dict[str, Any]:
    ref = form.cleaned_data.get("preview_need", "").replace("\x00", "").strip()
    need_ids = None
    if ref:
        need_id = selectors.need_id_by_ref(ref=ref)
        if need_id is None:
            form.add_error("preview_need", _("找不到这个编号的需求。"))
            return {}
        need_ids = [need_id]
    try:
        previews = policy_preview(
            actor=request.user,
            matching_weights=form.matching_weights(),
            region_weights=form.region_weights(),
            need_ids=need_ids,
        )
    except DomainError as exc:
        apply_service_errors(form, exc, POLICY_ALIASES)
        _mark_rising_weights(form)
        return {}
    if ref and not previews:
        form.add_error("preview_need", _("该需求不在匹配中（未发布或已结束）。"))
    return {"previews": previews, "previewed": True}


def _mark_rising_weights(form: PolicyForm) -> None:
    """Mark each region weight below its farther neighbour's (the service's message above the
    form names them; the boxes show where)."""
    for near, far in rising_region_pairs(form.region_weights()):
        form.add_error(f"r_{near}", _("不能低于“%(far)s”的权重。") % {"far": REGION_LABELS[far]})


def _ask_to_look_again(form: PolicyForm, current: int, conflicts: list[str]) -> None:
    """Keep what was typed, say what a version saved meanwhile changed too, and draw the
    page as based on that version: saving again then takes what this editor typed."""
    if conflicts:
        message = _(
            "您编辑期间第 %(v)s 版已保存，并且也修改了：%(fields)s。下面保留您填写的内容；"
            "请核对，再次保存将以您填写的为准。"
        ) % {"v": current, "fields": _conflict_labels(form, conflicts)}
    else:
        message = _("您编辑期间第 %(v)s 版已保存。下面保留您填写的内容；请核对后再次保存。") % {
            "v": current
        }
    data = QueryDict(mutable=True)
    data.update(form.data)
    data["based_on"] = str(current)
    form.data = data
    form.add_error(None, message)


def _save(request: HttpRequest, policy: Any, form: PolicyForm) -> dict[str, Any] | None:
    note = form.cleaned_data.get("note", "").strip()
    if not note:
        form.add_error("note", _("保存新版本时请写明修改说明。"))
        return None
    based_on = form.cleaned_data.get("based_on") or policy.version
    current, changes, conflicts = policy_changes_since(base_version=based_on, values=form.values())
    if conflicts:
        _ask_to_look_again(form, current, conflicts)
        return None
    if not changes:
        form.add_error(None, _("与当前第 %(v)s 版相同，没有需要保存的修改。") % {"v": current})
        return None
    try:
        new = policy_update(actor=request.user, note=note, expected_version=current, **changes)
    except StaleVersion:  # saved by someone else between the merge and this save
        _ask_to_look_again(form, policy_current().version, [])
        return None
    except DomainError as exc:
        apply_service_errors(form, exc, POLICY_ALIASES)
        _mark_rising_weights(form)
        return None
    if based_on != current:
        merged = _("您编辑期间第 %(v)s 版已保存；您修改的项已在其基础上保存，")
        kept = _("其他项保持第 %(v)s 版的值。")
        messages.info(request, (merged + kept) % {"v": current})
    run = (
        matching_selectors.match_run_list_for_user(user=request.user)
        .filter(scope=RunScope.FULL, policy__version=new.version)
        .order_by("-id")
        .first()
    )
    messages.success(request, _("已保存为第 %(v)s 版政策。") % {"v": new.version})
    if run is not None:
        messages.info(
            request,
            _("撮合参数（权重或推荐数）已变化，已自动发起全量匹配批次 #%(id)s，进度见本页。")
            % {"id": run.pk},
        )
        return {"saved": reverse("portal:run-detail", kwargs={"run_id": run.pk})}
    return {"saved": reverse("portal:committee-policy")}


@button_action
@_committee
def negative_entry(request: HttpRequest) -> HttpResponse:
    """Preview what an entry would hit, or add it (the province committee only)."""
    policy = policy_current()
    form = NegativeEntryForm(request.POST)
    extra: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        count, hits = selectors.capabilities_hit_by(
            kind=data["kind"], keyword=data["keyword"], chain_slug=data["chain"]
        )
        extra = {"hits": hits, "hit_count": count, "entry_previewed": True}
        if request.POST.get("action") == "add":
            if not data.get("reason", "").strip():
                form.add_error("reason", _("请填写理由。"))
            else:
                try:
                    negative_services.negative_entry_create(
                        actor=request.user,
                        kind=data["kind"],
                        keyword=data["keyword"],
                        chain_slug=data["chain"],
                        reason=data["reason"],
                    )
                except DomainError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(
                        request,
                        _(
                            "已加入负面清单；命中的 %(n)s 项已发布能力不再参与匹配"
                            "（在能力监管中标出），推荐将由随即发起的全量匹配更新。"
                        )
                        % {"n": count},
                    )
                    return redirect(reverse("portal:committee-policy") + "#negative")
    policy_form = PolicyForm(
        initial=PolicyForm.initial_from(policy), criteria=list(policy.selection_criteria)
    )
    return render(
        request,
        "portal/committee/policy.html",
        _context(request, policy, policy_form, entry_form=form, **extra),
    )


@button_action
@_committee
def negative_deactivate(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Switch an entry off, with a reason (audited); an entry already off (another tab,
    another member) is said so on the list, not with a missing page."""
    entry = selectors.negative_entries(with_inactive=True).filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    typed = request.POST.get("reason", "")[:2000]
    reason = typed.strip()
    refused = ""
    if not entry.active:
        messages.info(
            request, _("“%(entry)s”已停用（可能已在别处停用），无需再次停用。") % {"entry": entry}
        )
    elif not reason:
        refused = _("停用“%(entry)s”需要填写理由。") % {"entry": entry}
    else:
        try:
            negative_services.negative_entry_deactivate(
                actor=request.user, entry=entry, reason=reason
            )
        except DomainError as exc:
            problems = getattr(exc, "fields", {}).get("reason") or [exc.message]
            refused = _("未停用“%(entry)s”：理由%(problem)s") % {
                "entry": entry,
                "problem": problems[0],
            }
        else:
            messages.success(request, _("已停用该负面清单条目；推荐将由随即发起的全量匹配更新。"))
    if refused:
        # Said above the page and beside the row's box, which keeps what was typed.
        messages.error(request, refused)
        request.session[NEGATIVE_REFUSED] = {"entry": entry.pk, "reason": typed, "error": refused}
        return redirect(reverse("portal:committee-policy") + f"#negative-{entry.pk}")
    return redirect(reverse("portal:committee-policy") + "#negative")
