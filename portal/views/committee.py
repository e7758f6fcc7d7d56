"""The committee workspace (county, city and province members): the review queue, the
recommendations waiting for a decision, supervision of firms' capabilities and the pilots of
the committee's region. Every scope and rule is the services' and selectors'; a refused
decision comes back on its form with what was typed."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_safe

from accounts import selectors as account_selectors
from accounts.roles import committees_of, is_province_committee_member
from accounts.selectors import committee_region_q
from core.errors import DomainError, InvalidTransition, StaleVersion
from matching import selectors as matching_selectors
from matching.services.explain import candidate_reasons
from matching.services.recommendations import pair_decide
from portal.explain import explain_all
from portal.forms import apply_service_errors, service_message
from portal.forms.committee import (
    FirmActionForm,
    PairDecisionForm,
    ProposalDecisionForm,
    RecognizeForm,
    ReviewDecisionForm,
    SuperviseForm,
    row_ids,
)
from portal.lists import ListPaginator
from portal.panel import panel_table
from portal.stale import need_not_waiting, pair_not_waiting
from portal.views.common import button_action, not_your_page, posted_version, trail_of
from scenarios import assessment_selectors, selectors
from scenarios.choices import CapabilityStatus, NeedStatus, PilotStatus, ReviewDecision
from scenarios.services import capabilities as capability_services
from scenarios.services import firms as firm_services
from scenarios.services import pilots as pilot_services
from scenarios.services.negative_list import active_negative_entries, negative_list_hits
from scenarios.services.reviews import first_review_region, next_review_region, review_decide

PAGE_SIZE = 30
ENDING_SOON_DAYS = 30
CAPABILITY_GROUPS = {
    "published": (gettext_lazy("已发布"), (CapabilityStatus.PUBLISHED,)),
    "submitted": (gettext_lazy("待发布"), (CapabilityStatus.SUBMITTED,)),
    "suspended": (gettext_lazy("已暂停"), (CapabilityStatus.SUSPENDED,)),
    "returned": (gettext_lazy("已退回"), (CapabilityStatus.RETURNED,)),
}


def committee_page(view: Any) -> Any:
    """Signed in and sitting on a committee; anyone else goes to their own workspace."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not committees_of(request.user):
            return not_your_page(request)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def tabs_context(request: HttpRequest, tab: str, here: str = "") -> dict[str, Any]:
    """What every committee page shows: the committees and the tabs with their counts, and
    ``here``, the address its buttons come back to (the list's own address, also when the
    page is drawn again after a refused POST). A page drawn in answer to a POST names that
    address as ``page_url``: the address bar and the language switch use it, since the
    POST's own address only answers a button."""
    soon = timezone.localdate() + timedelta(days=ENDING_SOON_DAYS)
    pilots = selectors.pilots_supervised_by(user=request.user)
    if request.method == "GET":
        here = request.get_full_path()
    return {
        "nav": "workspace",
        "tab": tab,
        "here": here,
        "page_url": here if request.method == "POST" else "",
        "committees": committees_of(request.user),
        "can_import": is_province_committee_member(request.user),
        "counts": {
            "queue": selectors.review_queue_for_user(user=request.user).count(),
            "awaiting": _awaiting(request).count(),
            "ending": pilots.filter(status=PilotStatus.RUNNING, tolerance_until__lte=soon).count(),
            "proposed": pilots.filter(status=PilotStatus.PROPOSED).count(),
            "unconfirmed": _unconfirmed(pilots).count(),
        },
    }


def _unconfirmed(pilots: Any) -> Any:
    """Pilots whose outcome the agency recorded and the committee has yet to confirm."""
    return pilots.filter(
        status__in=(PilotStatus.VALIDATED, PilotStatus.FAILED), outcome_confirmed_at__isnull=True
    )


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the button was on (only an address of this site)."""
    target = request.POST.get("next", "")
    if (
        target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not _is_button(target)
    ):
        return redirect(target)
    return redirect(default)


def _list_params(request: HttpRequest, list_name: str) -> QueryDict:
    """The list's filters, search and page: the request's own on a GET; after a refused
    POST, those of the list address the form came from (its ``next``), so the list is drawn
    again as the user left it."""
    if request.method == "GET":
        return request.GET
    path, _sep, query = request.POST.get("next", "").partition("?")
    return QueryDict(query) if path == reverse(list_name) else QueryDict()


def _list_url(list_name: str, **params: Any) -> str:
    """The list's address with its filters (empty ones left out)."""
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if value:
            query[key] = str(value)
    return reverse(list_name) + (f"?{query.urlencode()}" if query else "")


def _is_button(path: str) -> bool:
    """True for the address of a button's view (a GET there would only say "use the button")."""
    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return True
    return bool(getattr(match.func, "button_action", False))


# -- the review queue ----------------------------------------------------------------------


@committee_page
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return _queue(request)


def _queue(request: HttpRequest, failed: tuple[int, Any] | None = None) -> HttpResponse:
    params = _list_params(request, "portal:committee-home")
    page = ListPaginator(selectors.review_queue_page(user=request.user), PAGE_SIZE).get_page(
        params.get("page")
    )
    reviews = list(page.object_list)
    forms = {r.pk: ReviewDecisionForm(auto_id=row_ids(r.pk)) for r in reviews}
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    here = _list_url("portal:committee-home", page=params.get("page"))
    context = tabs_context(request, "queue", here) | {
        "page": page,
        "rows": [(r, forms[r.pk]) for r in reviews],
        "now": timezone.now(),
    }
    return render(request, "portal/committee/queue.html", context)


def _need_or_404(request: HttpRequest, ref: str) -> Any:
    """A need the user's committees oversee (others are not found, whoever asks)."""
    need = (
        selectors.need_list_for_user(user=request.user)
        .filter(committee_region_q(request.user, "region"), ref=ref)
        .first()
    )
    if need is None:
        raise Http404
    return need


def _pending_mine(request: HttpRequest, need: Any) -> Any:
    mine = {c.pk for c in committees_of(request.user)}
    for review in selectors.reviews_of_need(need=need):
        if review.decision == "pending" and review.committee_id in mine:
            return review
    return None


@committee_page
@require_safe
def need_page(request: HttpRequest, ref: str) -> HttpResponse:
    return _need_page(request, _need_or_404(request, ref))


def _tiers_to_come(need: Any, reviews: list[Any]) -> list[Any]:
    """The committees that still review the need after the tier it is at, as the routing
    of reviews would send it (a major need goes on to the province)."""
    if need.status == NeedStatus.SUBMITTED and not reviews:
        region: Any = first_review_region(need)
        regions = [region]
    elif need.status == NeedStatus.IN_REVIEW:
        pending = next((r for r in reviews if r.decision == ReviewDecision.PENDING), None)
        if pending is None:
            return []
        region, regions = pending.committee.region, []
    else:
        return []
    while (region := next_review_region(need, region)) is not None:
        regions.append(region)
    return selectors.committees_of_regions(regions=regions)


def _need_page(request: HttpRequest, need: Any, form: Any = None) -> HttpResponse:
    candidates = matching_selectors.candidates_of_need(user=request.user, need_id=need.pk)
    reviews = list(selectors.reviews_of_need(need=need))
    pending = _pending_mine(request, need)
    panel = list(assessment_selectors.panel_of_need(need=need))
    panel_criteria, panel_rows = panel_table(panel)
    context = tabs_context(request, "queue", reverse("portal:committee-need", args=[need.ref])) | {
        "need": need,
        "reviews": reviews,
        "to_come": _tiers_to_come(need, reviews),
        "pending": pending,
        "form": form or ReviewDecisionForm(initial={"version": need.version}),
        "trail": trail_of(request.user, need),
        "panel": panel,
        "panel_criteria": panel_criteria,
        "panel_rows": panel_rows,
        "candidates": list(zip(candidates, explain_all(candidates), strict=True)),
        "left_out": candidate_reasons(user=request.user, need=need, matches=candidates),
        "pilots": selectors.pilots_of_need(need=need),
    }
    return render(request, "portal/committee/need.html", context)


@button_action
@committee_page
def need_decide(request: HttpRequest, ref: str) -> HttpResponse:
    need = _need_or_404(request, ref)
    from_list = request.POST.get("from") == "queue"
    review = _pending_mine(request, need)
    form = ReviewDecisionForm(request.POST, auto_id=row_ids(review.pk) if review else "id_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            need = review_decide(
                actor=request.user,
                need=need,
                decision=data["decision"],
                comment=data["comment"],
                expected_version=data.get("version"),
            )
        except DomainError as exc:
            if review is None:
                # Decided meanwhile (another member, another tab) or taken back by the agency:
                # say what the need is now, not the versions.
                need = _need_or_404(request, ref)
                messages.error(request, need_not_waiting(need))
                if from_list:
                    return redirect("portal:committee-home")
                return redirect("portal:committee-need", ref=need.ref)
            if isinstance(exc, InvalidTransition):
                messages.error(request, service_message(exc))
                return redirect("portal:committee-need", ref=need.ref)
            apply_service_errors(form, exc)  # what was typed stays, the reason beside it
            need = _need_or_404(request, ref)  # a stale save shows the newer version
        else:
            messages.success(request, _decided_message(need, data["decision"]))
            return _back(request, reverse("portal:committee-home"))
    if from_list and review is not None:
        return _queue(request, failed=(review.pk, form))
    return _need_page(request, need, form)


def _decided_message(need: Any, decision: str) -> str:
    """What the decision did, naming where an approved need went: the next tier's committee,
    or the published list."""
    if decision == ReviewDecision.RETURNED:
        return _("已退回 %(ref)s，发布单位会收到理由。") % {"ref": need.ref}
    if decision == ReviewDecision.REJECTED:
        return _("已不予通过 %(ref)s。") % {"ref": need.ref}
    if need.status == NeedStatus.PUBLISHED:
        return _("已通过并发布 %(ref)s，已进入机会清单。") % {"ref": need.ref}
    pending = next(
        (r for r in selectors.reviews_of_need(need=need) if r.decision == ReviewDecision.PENDING),
        None,
    )
    if pending is None:
        return _("已通过：%(ref)s 现为“%(status)s”。") % {
            "ref": need.ref,
            "status": need.get_status_display(),
        }
    return _("已通过 %(ref)s，已转%(committee)s审核。") % {
        "ref": need.ref,
        "committee": pending.committee.organization.name,
    }


# -- recommendations waiting for a decision --------------------------------------------------


def _awaiting(request: HttpRequest) -> Any:
    """Shortlisted pairs waiting for the committee (those with a pilot wait on the pilot)."""
    return matching_selectors.awaiting_decision_for_user(user=request.user)


@committee_page
@require_safe
def recommendations(request: HttpRequest) -> HttpResponse:
    return _recommendations(request)


def _recommendations(request: HttpRequest, failed: tuple[int, Any] | None = None) -> HttpResponse:
    page = ListPaginator(_awaiting(request), PAGE_SIZE).get_page(request.GET.get("page"))
    matches = list(page.object_list)
    reviews = matching_selectors.pair_reviews_of(
        pairs=[(m.need_id, m.capability_id) for m in matches]
    )
    forms = {
        m.pk: PairDecisionForm(
            auto_id=row_ids(m.pk),
            approvable=_approvable(reviews.get((m.need_id, m.capability_id))),
        )
        for m in matches
    }
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    context = tabs_context(request, "awaiting", reverse("portal:committee-recommendations")) | {
        "page": page,
        "rows": [
            (m, explanation, reviews.get((m.need_id, m.capability_id)), forms[m.pk])
            for m, explanation in zip(matches, explain_all(matches), strict=True)
        ],
    }
    return render(request, "portal/committee/recommendations.html", context)


def _approvable(review: Any) -> bool:
    """The firm said it is interested: only then can a pilot be approved (the service's
    rule, read here to draw the approval disabled before anyone tries)."""
    return review is not None and review.firm_response == "interested"


@button_action
@committee_page
def recommendation_decide(request: HttpRequest, match_id: int) -> HttpResponse:
    match = _awaiting(request).filter(pk=match_id).first()
    pair = matching_selectors.pair_of_match(match_id=match_id) if match is None else None
    if pair is not None:  # a run since the page was drawn gave the pair a new row
        match = _awaiting(request).filter(need_id=pair[0], capability_id=pair[1]).first()
    if match is None:
        messages.error(request, pair_not_waiting(user=request.user, match_id=match_id))
        return redirect("portal:committee-recommendations")
    review = matching_selectors.pair_reviews_of(pairs=[(match.need_id, match.capability_id)])
    form = PairDecisionForm(
        request.POST,
        auto_id=row_ids(match.pk),
        approvable=_approvable(review.get((match.need_id, match.capability_id))),
    )
    if form.is_valid():
        data = form.cleaned_data
        approve = data["decision"] == "approve"
        try:
            pair_decide(
                actor=request.user,
                match=match,
                approve=approve,
                reason=data["reason"],
                tolerance_until=data["tolerance_until"] if approve else None,
                validation_type=data["validation_type"] or None,
            )
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            if approve:
                messages.success(
                    request,
                    _("已批准：“%(need)s” × “%(cap)s” 进入场景验证，试点已开始。")
                    % {"need": match.need.title, "cap": match.capability.title},
                )
            else:
                messages.success(request, _("已驳回该推荐，双方会收到意见。"))
            return redirect("portal:committee-recommendations")
    return _recommendations(request, failed=(match.pk, form))


# -- supervision of capabilities -------------------------------------------------------------


@committee_page
@require_safe
def capabilities(request: HttpRequest) -> HttpResponse:
    return _capabilities(request)


def _capabilities(
    request: HttpRequest, failed: tuple[int, Any] | None = None, group: str = ""
) -> HttpResponse:
    params = _list_params(request, "portal:committee-capabilities")
    supervised = selectors.capabilities_supervised_by(user=request.user)
    q = params.get("q", "").strip()[:100]
    if q:  # the counts by status follow the search
        supervised = supervised.filter(
            Q(title__icontains=q) | Q(ref__iexact=q) | Q(firm__name__icontains=q)
        )
    counts = selectors.status_counts(queryset=supervised)
    group = group or params.get("status", "published")
    if group not in CAPABILITY_GROUPS:
        group = "published"
    shown = supervised.filter(status__in=CAPABILITY_GROUPS[group][1])
    hit_ids = selectors.capabilities_hit_by_active_entries()
    hit_count = supervised.filter(pk__in=hit_ids).count() if hit_ids else 0
    only_hit = params.get("negative") == "1" and group == "published"
    if only_hit:
        shown = shown.filter(pk__in=hit_ids)
    page = ListPaginator(shown.order_by("-updated_at", "-id"), PAGE_SIZE).get_page(
        params.get("page")
    )
    items = list(page.object_list)
    forms = {
        c.pk: SuperviseForm(
            auto_id=row_ids(c.pk),
            initial={"version": c.version, "action": _only(supervise_actions(c))},
        )
        for c in items
    }
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    here = _list_url(
        "portal:committee-capabilities",
        status=group,
        q=q,
        negative="1" if only_hit else "",
        page=params.get("page"),
    )
    context = tabs_context(request, "capabilities", here) | {
        "page": page,
        "group": group,
        "q": q,
        "groups": [
            (key, label, sum(counts.get(s, 0) for s in statuses))
            for key, (label, statuses) in CAPABILITY_GROUPS.items()
        ],
        "rows": [(c, forms[c.pk], supervise_actions(c)) for c in items],
        "reasons": selectors.latest_reason_of(capabilities=items),
        "negative_hits": _negative_hits(items),
        "hit_count": hit_count,
        "only_hit": only_hit,
    }
    return render(request, "portal/committee/capabilities.html", context)


def _negative_hits(items: list[Any]) -> dict[int, str]:
    """The published capabilities on the page that an entry added after they were published
    hits (matching leaves them out; the committee decides whether to suspend them), with
    the entries' names."""
    entries = active_negative_entries()
    if not entries:
        return {}
    hits = {}
    for cap in items:
        if cap.status != CapabilityStatus.PUBLISHED:
            continue
        found = negative_list_hits(
            title=cap.title,
            description=cap.description,
            keywords=list(cap.keywords),
            chain_paths=[chain.path for chain in cap.chains.all()],
            entries=entries,
        )
        if found:
            hits[cap.pk] = pgettext("between quoted words", "、").join(str(e) for e in found)
    return hits


# What a committee may do with a capability in each status (a returned one waits for its
# firm; a suspended one only comes back by reinstatement; a submission held for review is
# published or returned), and with its firm as a whole.
SUPERVISE_ACTIONS = {
    CapabilityStatus.PUBLISHED: ("suspend", "return"),
    CapabilityStatus.SUBMITTED: ("return",),
    CapabilityStatus.SUSPENDED: ("reinstate",),
}


def supervise_actions(cap: Any) -> tuple[str, ...]:
    if cap.firm.is_suspended:
        return ("reinstate_firm",)
    actions = SUPERVISE_ACTIONS.get(cap.status, ())
    if cap.status == CapabilityStatus.SUBMITTED and cap.held_reason:
        actions = ("reinstate", "return")
    if cap.status in (CapabilityStatus.PUBLISHED, CapabilityStatus.SUSPENDED):
        actions = (*actions, "suspend_firm")
    return actions


def _only(actions: tuple[str, ...]) -> str:
    return actions[0] if len(actions) == 1 else ""


def _suspend_firm(*, actor: Any, capability: Any, reason: str, expected_version: Any) -> Any:
    return firm_services.organization_suspend(
        actor=actor, organization=capability.firm, reason=reason
    )


def _reinstate_firm(*, actor: Any, capability: Any, reason: str, expected_version: Any) -> Any:
    return firm_services.organization_reinstate(
        actor=actor, organization=capability.firm, reason=reason
    )


SUPERVISE: dict[str, tuple[Any, Any]] = {
    "suspend": (
        capability_services.capability_suspend,
        gettext_lazy("已暂停发布 %(ref)s，企业会看到理由。"),
    ),
    "return": (
        capability_services.capability_return,
        gettext_lazy("已退回 %(ref)s，企业会看到理由。"),
    ),
    "reinstate": (capability_services.capability_reinstate, gettext_lazy("已恢复发布 %(ref)s。")),
    "suspend_firm": (
        _suspend_firm,
        gettext_lazy("已暂停该企业，其全部已发布能力下架（%(ref)s 所属企业）。"),
    ),
    "reinstate_firm": (
        _reinstate_firm,
        gettext_lazy("已恢复该企业（%(ref)s 所属企业），因企业暂停而下架的能力已恢复发布。"),
    ),
}


@button_action
@committee_page
def capability_supervise(request: HttpRequest, ref: str) -> HttpResponse:
    capability = selectors.capabilities_supervised_by(user=request.user).filter(ref=ref).first()
    if capability is None:
        raise Http404
    form = SuperviseForm(request.POST, auto_id=row_ids(capability.pk))
    if form.is_valid():
        service, done = SUPERVISE[form.cleaned_data["action"]]
        try:
            service(
                actor=request.user,
                capability=capability,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except StaleVersion:
            # Changed meanwhile (another member, another tab): say what it is now, and draw
            # the list again with the current state, not the versions.
            current = selectors.capabilities_supervised_by(user=request.user).get(pk=capability.pk)
            messages.error(
                request,
                _("%(ref)s 已在别处被处理，现为“%(status)s”%(firm)s；请查看后再决定，未作更改。")
                % {
                    "ref": current.ref,
                    "status": current.get_status_display(),
                    "firm": _("（企业已暂停）") if current.firm.is_suspended else "",
                },
            )
            return _back(request, reverse("portal:committee-capabilities"))
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, done % {"ref": capability.ref})
            return _back(request, reverse("portal:committee-capabilities"))
    group = next((k for k, (_l, sts) in CAPABILITY_GROUPS.items() if capability.status in sts), "")
    return _capabilities(request, failed=(capability.pk, form), group=group)


# -- firms ----------------------------------------------------------------------------------

FIRM_GROUPS = {
    "unverified": (gettext_lazy("待认证"), Q(verified_at__isnull=True, suspended_at__isnull=True)),
    "verified": (gettext_lazy("已认证"), Q(verified_at__isnull=False, suspended_at__isnull=True)),
    "suspended": (gettext_lazy("已暂停"), Q(suspended_at__isnull=False)),
}


def firm_actions(firm: Any) -> tuple[str, ...]:
    if firm.is_suspended:
        return ("reinstate",)
    if not firm.is_verified:
        return ("verify", "certify", "suspend")
    return ("certify", "suspend")


@committee_page
@require_safe
def firms(request: HttpRequest) -> HttpResponse:
    return _firms(request)


def _firms(
    request: HttpRequest, failed: tuple[int, Any] | None = None, group: str = ""
) -> HttpResponse:
    params = _list_params(request, "portal:committee-firms")
    supervised = selectors.firms_supervised_by(user=request.user)
    q = params.get("q", "").strip()[:100]
    if q:
        supervised = supervised.filter(Q(name__icontains=q) | Q(credit_code__iexact=q))
    counts = {key: supervised.filter(cond).count() for key, (_l, cond) in FIRM_GROUPS.items()}
    group = group or params.get("status", "")
    if group not in FIRM_GROUPS:  # sign-ups waiting first
        group = "unverified" if counts["unverified"] else "verified"
    shown = supervised.filter(FIRM_GROUPS[group][1]).order_by("-created_at", "-id")
    page = ListPaginator(shown, PAGE_SIZE).get_page(params.get("page"))
    items = list(page.object_list)
    alike = account_selectors.similar_organization_names([f for f in items if not f.is_verified])
    forms = {
        f.pk: FirmActionForm(
            auto_id=row_ids(f.pk),
            alike=bool(alike.get(f.pk)),
            initial={
                "action": _only(firm_actions(f)),
                "certifications": f.verified_certifications,
                "capacity": f.verified_capacity,
            },
        )
        for f in items
    }
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    here = _list_url("portal:committee-firms", status=group, q=q, page=params.get("page"))
    context = tabs_context(request, "firms", here) | {
        "page": page,
        "group": group,
        "q": q,
        "groups": [(key, label, counts[key]) for key, (label, _c) in FIRM_GROUPS.items()],
        "rows": [(f, forms[f.pk], firm_actions(f)) for f in items],
        "claimed": selectors.claimed_certifications(firm_ids=[f.pk for f in items]),
        "alike": alike,
    }
    return render(request, "portal/committee/firms.html", context)


def _firm_act(*, actor: Any, firm: Any, data: dict[str, Any]) -> str:
    action, reason = data["action"], data["reason"]
    if action == "verify":
        # What was ticked beside the verification is what the committee checked: recorded
        # with it, not dropped (an untouched form records nothing, keeping 尚未核验).
        checked = list(data["certifications"])
        certify = bool(checked) or data["capacity"] is not None or firm.certified_at is not None
        firm_services.organization_verify(
            actor=actor,
            organization=firm,
            reason=reason,
            certifications=checked if certify else None,
            capacity=data["capacity"],
        )
        if certify:
            return _("已认证 %(name)s，并记录了资质核验；其待发布的能力将进入能力清单。") % {
                "name": firm.name
            }
        return _("已认证 %(name)s，其待发布的能力将进入能力清单。") % {"name": firm.name}
    if action == "certify":
        firm_services.organization_certify(
            actor=actor,
            organization=firm,
            certifications=list(data["certifications"]),
            capacity=data["capacity"],
            reason=reason,
        )
        return _("已记录 %(name)s 的资质核验，匹配按核验结果计。") % {"name": firm.name}
    if action == "suspend":
        firm_services.organization_suspend(actor=actor, organization=firm, reason=reason)
        return _("已暂停 %(name)s，其全部已发布能力下架。") % {"name": firm.name}
    firm_services.organization_reinstate(actor=actor, organization=firm, reason=reason)
    return _("已恢复 %(name)s，因企业暂停而下架的能力已恢复发布。") % {"name": firm.name}


@button_action
@committee_page
def firm_act(request: HttpRequest, firm_id: int) -> HttpResponse:
    firm = selectors.firms_supervised_by(user=request.user).filter(pk=firm_id).first()
    if firm is None:
        raise Http404
    alike = not firm.is_verified and bool(account_selectors.similar_organization_names([firm]))
    form = FirmActionForm(request.POST, auto_id=row_ids(firm.pk), alike=alike)
    form.is_valid()  # the firm's state is said too when a reason is missing (a stale tab)
    if form.cleaned_data.get("action") not in (None, *firm_actions(firm)):
        form.add_error("action", _("这个企业当前不能这样处理。"))
    if form.is_valid():
        try:
            done = _firm_act(actor=request.user, firm=firm, data=form.cleaned_data)
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, done)
            return _back(request, reverse("portal:committee-firms"))
    group = next((k for k, (_l, c) in FIRM_GROUPS.items() if _in_group(firm, k)), "")
    return _firms(request, failed=(firm.pk, form), group=group)


def _in_group(firm: Any, group: str) -> bool:
    if group == "suspended":
        return bool(firm.is_suspended)
    return not firm.is_suspended and bool(firm.is_verified) == (group == "verified")


# -- pilots ---------------------------------------------------------------------------------

PILOT_GROUPS = {
    "proposed": (gettext_lazy("待批准"), (PilotStatus.PROPOSED,)),
    "running": (gettext_lazy("验证中"), (PilotStatus.RUNNING,)),
    "validated": (gettext_lazy("验证成功"), (PilotStatus.VALIDATED,)),
    "failed": (gettext_lazy("验证未通过"), (PilotStatus.FAILED,)),
    "declined": (
        gettext_lazy("未获批准或已撤回"),
        (PilotStatus.DECLINED, PilotStatus.WITHDRAWN),
    ),
}


@committee_page
@require_safe
def pilots(request: HttpRequest) -> HttpResponse:
    return _pilots(request)


def _pilots(
    request: HttpRequest, failed: tuple[int, Any] | None = None, group: str = ""
) -> HttpResponse:
    mine = selectors.pilots_supervised_by(user=request.user)
    counts = selectors.status_counts(queryset=mine)
    to_confirm = selectors.status_counts(queryset=_unconfirmed(mine))
    group = group or request.GET.get("status", "")
    if group not in PILOT_GROUPS:  # open where work waits: proposals, then outcomes
        waiting = [PilotStatus.PROPOSED] if counts.get(PilotStatus.PROPOSED) else []
        waiting += [s for s in (PilotStatus.VALIDATED, PilotStatus.FAILED) if to_confirm.get(s)]
        group = str(waiting[0]) if waiting else "running"
    shown = mine.filter(status__in=PILOT_GROUPS[group][1])
    order = {
        "proposed": ("started_at", "id"),
        "running": ("tolerance_until", "id"),
    }.get(group, ("-ended_at", "-id"))
    page = ListPaginator(shown.order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    forms: dict[int, Any] = {}
    for p in items:
        if p.status == PilotStatus.PROPOSED:
            forms[p.pk] = ProposalDecisionForm(
                auto_id=row_ids(p.pk),
                initial={"tolerance_until": p.tolerance_until, "version": p.version},
                blocked=pilot_services.pair_unavailable(need=p.need, capability=p.capability),
            )
        elif p.status == PilotStatus.VALIDATED and p.outcome_confirmed_at is not None:
            forms[p.pk] = RecognizeForm(auto_id=row_ids(p.pk))
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    today = timezone.localdate()
    here = _list_url("portal:committee-pilots", status=group)
    context = tabs_context(request, "pilots", here) | {
        "page": page,
        "group": group,
        "groups": [
            (
                key,
                label,
                sum(counts.get(s, 0) for s in statuses),
                sum(to_confirm.get(s, 0) for s in statuses),
            )
            for key, (label, statuses) in PILOT_GROUPS.items()
        ],
        "rows": [
            (
                p,
                forms.get(p.pk),
                (p.tolerance_until - today).days,
                sum(1 for m in p.milestones if m.get("done")),
            )
            for p in items
        ],
        "soon_days": ENDING_SOON_DAYS,
    }
    return render(request, "portal/committee/pilots.html", context)


@button_action
@committee_page
def pilot_decide(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = selectors.pilots_supervised_by(user=request.user).filter(pk=pilot_id).first()
    if pilot is None:
        raise Http404
    if pilot.status != PilotStatus.PROPOSED:
        # Decided meanwhile, in another tab or by another member, or withdrawn by its agency.
        if pilot.status == PilotStatus.WITHDRAWN:
            messages.error(request, _("需求单位已撤回这项试点申请，未作更改。"))
        else:
            messages.error(
                request,
                _("该试点申请已处理（%(s)s），未作更改。") % {"s": pilot.get_status_display()},
            )
        group = next(k for k, (_l, statuses) in PILOT_GROUPS.items() if pilot.status in statuses)
        return redirect(reverse("portal:committee-pilots") + f"?status={group}")
    form = ProposalDecisionForm(
        request.POST,
        auto_id=row_ids(pilot.pk),
        blocked=pilot_services.pair_unavailable(need=pilot.need, capability=pilot.capability),
    )
    if form.is_valid():
        data = form.cleaned_data
        approve = data["decision"] == "approve"
        try:
            pilot_services.pilot_proposal_decide(
                actor=request.user,
                pilot=pilot,
                approve=approve,
                reason=data["reason"],
                tolerance_until=data["tolerance_until"],
                expected_version=data["version"],
            )
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            if approve:
                messages.success(request, _("已批准，试点已开始。"))
            else:
                messages.success(request, _("已不予批准，需求单位会收到意见。"))
            return redirect(reverse("portal:committee-pilots") + "?status=proposed")
    return _pilots(request, failed=(pilot.pk, form), group="proposed")


@button_action
@committee_page
def pilot_confirm(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = selectors.pilots_supervised_by(user=request.user).filter(pk=pilot_id).first()
    if pilot is None:
        raise Http404
    try:
        pilot_services.pilot_confirm_outcome(actor=request.user, pilot=pilot)
    except DomainError as exc:
        messages.error(request, service_message(exc))
    else:
        messages.success(request, _("已确认验证结论。"))
    return redirect(reverse("portal:committee-pilots") + f"?status={pilot.status}")


@button_action
@committee_page
def pilot_recognize(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = selectors.pilots_supervised_by(user=request.user).filter(pk=pilot_id).first()
    if pilot is None:
        raise Http404
    form = RecognizeForm(request.POST, auto_id=row_ids(pilot.pk))
    if form.is_valid():
        try:
            pilot_services.pilot_recognize(
                actor=request.user,
                pilot=pilot,
                first_of_kind=form.cleaned_data["first_of_kind"],
                best_practice=form.cleaned_data["best_practice"],
                expected_version=posted_version(request),
            )
        except DomainError as exc:
            messages.error(request, service_message(exc))
            return redirect(reverse("portal:committee-pilots") + f"?status={pilot.status}")
        else:
            messages.success(request, _("已记录推荐。"))
            return redirect(reverse("portal:committee-pilots") + "?status=validated")
    return _pilots(request, failed=(pilot.pk, form), group=pilot.status)
