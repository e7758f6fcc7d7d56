"""The agency workspace: my needs by status, the need form, the lifecycle actions, and for a
published need its recommendations with their explanations, the firms' answers, the
shortlist and the pilots. Every check is the services'; a refusal is shown, not a 500."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.choices import Role
from accounts.models import Organization
from accounts.roles import organization_ids
from core.errors import DomainError
from matching import selectors as matching_selectors
from matching.services.explain import candidate_reasons
from portal.explain import explain_all
from portal.forms import apply_service_errors, service_message
from portal.forms.items import NeedForm
from portal.lists import ListPaginator
from portal.views.agency_pilots import open_pilots
from portal.views.common import (
    STATUS_GROUPS,
    VersionedEdit,
    button_action,
    edit_with_version,
    not_your_page,
    posted_version,
    trail_of,
)
from portal.views.once import create_once, form_token
from scenarios import selectors
from scenarios.choices import NeedStatus, ReviewDecision
from scenarios.lifecycle import MATCHABLE_NEED_STATUSES, PUBLIC_NEED_STATUSES
from scenarios.models import Review
from scenarios.services import needs as need_services

NEED_ALIASES = {"region_code": "region", "budget_cny": "budget_wan", "agency": "agency"}
# The need page's withdraw and close forms, by the need's status (the services refuse the
# rest); the page's navigation links to the ones shown.
WITHDRAW_FORM_STATUSES = (
    NeedStatus.DRAFT,
    NeedStatus.RETURNED,
    NeedStatus.IN_REVIEW,
    NeedStatus.PUBLISHED,
)
CLOSE_FORM_STATUSES = (NeedStatus.PUBLISHED, NeedStatus.VALIDATED)


def _agencies(request: HttpRequest) -> list[Organization]:
    ids = organization_ids(request.user, Role.AGENCY_EDITOR)
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def _need_or_404(request: HttpRequest, ref: str) -> Any:
    """One of the user's agencies' needs (others are not found, whoever asks)."""
    need = (
        selectors.need_list_for_user(user=request.user)
        .filter(ref=ref, agency_id__in=organization_ids(request.user, Role.AGENCY_EDITOR))
        .first()
    )
    if need is None:
        raise Http404
    return need


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    agencies = _agencies(request)
    if not agencies:
        return not_your_page(request)
    group = request.GET.get("status", "all")
    if group not in STATUS_GROUPS:
        group = "all"
    mine = selectors.need_queryset().filter(agency__in=agencies)
    counts = selectors.status_counts(queryset=mine)
    shown = mine if group == "all" else mine.filter(status__in=STATUS_GROUPS[group][1])
    page = ListPaginator(shown.order_by("-updated_at", "-id"), 30).get_page(request.GET.get("page"))
    needs = list(page.object_list)
    context = {
        "nav": "workspace",
        "agencies": agencies,
        "needs": needs,
        "page": page,
        "summary": matching_selectors.need_match_summary(
            need_ids=[n.pk for n in needs if n.status in PUBLIC_NEED_STATUSES]
        ),
        "group": group,
        "groups": [
            (
                key,
                label,
                sum(counts.get(s, 0) for s in statuses) if key != "all" else sum(counts.values()),
            )
            for key, (label, statuses) in STATUS_GROUPS.items()
        ],
        "latest_reviews": selectors.latest_review_of(need_ids=[n.pk for n in needs]),
    }
    return render(request, "portal/workspace/agency_home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def need_new(request: HttpRequest) -> HttpResponse:
    agencies = _agencies(request)
    if not agencies:
        return not_your_page(request)
    choices = [(a.pk, a.name) for a in agencies]
    form = NeedForm(
        request.POST or None,
        agencies=choices,
        jurisdictions=[a.region_id for a in agencies],
        initial={"region": agencies[0].region_id, "once": form_token()},
    )
    if request.method == "POST" and form.is_valid():
        agency = agencies[0]
        if "agency" in form.cleaned_data:
            agency = next(a for a in agencies if str(a.pk) == form.cleaned_data["agency"])
        try:
            need = create_once(
                request,
                form,
                lambda: need_services.need_create(
                    actor=request.user, agency=agency, **form.service_values()
                ),
            )
        except DomainError as exc:
            apply_service_errors(form, exc, NEED_ALIASES)
        else:
            if need is not None:
                messages.success(request, _("已保存为草稿。确认无误后请提交审核。"))
                return redirect("portal:agency-need", ref=need.ref)
    return render(request, "portal/workspace/need_form.html", {"nav": "workspace", "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def need_edit(request: HttpRequest, ref: str) -> HttpResponse:
    return edit_with_version(
        request,
        VersionedEdit(
            form_class=NeedForm,
            load=lambda: _need_or_404(request, ref),
            update=need_services.need_update,
            name="need",
            aliases=NEED_ALIASES,
            template="portal/workspace/need_form.html",
            done_url=lambda need: reverse("portal:agency-need", kwargs={"ref": need.ref}),
            form_kwargs=lambda need: {
                "jurisdictions": [need.agency.region_id],
                "keep_region": need.region_id,
            },
            extra_context=lambda need: {"returned_by": _return_of(need)},
        ),
    )


def _return_of(need: Any) -> Review | None:
    """The return a returned need waits on (committee, tier, who, when, why), for the top of
    its page and of its edit form: only the trail, far down the page, said it."""
    if need.status != NeedStatus.RETURNED:
        return None
    review = selectors.latest_review_of(need_ids=[need.pk]).get(need.pk)
    return review if review is not None and review.decision == ReviewDecision.RETURNED else None


@login_required
@require_safe
def need_page(request: HttpRequest, ref: str) -> HttpResponse:
    need = _need_or_404(request, ref)
    pilots = list(selectors.pilots_of_need(need=need))
    candidates = matching_selectors.candidates_of_need(user=request.user, need_id=need.pk)
    reviews = matching_selectors.pair_reviews_of(
        pairs=[(m.need_id, m.capability_id) for m in candidates]
    )
    context = {
        "nav": "workspace",
        "need": need,
        "trail": trail_of(request.user, need),
        "returned_by": _return_of(need),
        "candidates": [
            (m, explanation, reviews.get((m.need_id, m.capability_id)))
            for m, explanation in zip(candidates, explain_all(candidates), strict=True)
        ],
        "left_out": candidate_reasons(user=request.user, need=need, matches=candidates),
        "interest": matching_selectors.interest_of_need(need_id=need.pk),
        "pilots": pilots,
        "open_pilots": open_pilots(pilots),
        "recommending": need.status in MATCHABLE_NEED_STATUSES,
        "withdraw_form": need.status in WITHDRAW_FORM_STATUSES,
        "close_form": need.status in CLOSE_FORM_STATUSES,
    }
    return render(request, "portal/workspace/agency_need.html", context)


def _act(request: HttpRequest, ref: str, call: Any, done: Any) -> HttpResponse:
    """``done``: the success message, or a function of the need as it was before the call
    that gives it."""
    need = _need_or_404(request, ref)
    before = need.status
    try:
        call(need)
    except DomainError as exc:
        messages.error(request, service_message(exc))
    else:
        messages.success(request, done(before) if callable(done) else done)
    return redirect("portal:agency-need", ref=need.ref)


@button_action
def need_submit(request: HttpRequest, ref: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda n: need_services.need_submit(
            actor=request.user, need=n, expected_version=posted_version(request)
        ),
        _("已提交审核。"),
    )


@button_action
def need_withdraw(request: HttpRequest, ref: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda n: need_services.need_withdraw(
            actor=request.user,
            need=n,
            reason=request.POST.get("reason", "")[:2000],
            expected_version=posted_version(request),
        ),
        # The page's button said 放弃草稿 for a draft: the message says what was done.
        lambda before: _("已放弃草稿。") if before == NeedStatus.DRAFT else _("已撤回。"),
    )


@button_action
def need_close(request: HttpRequest, ref: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda n: need_services.need_close(
            actor=request.user,
            need=n,
            reason=request.POST.get("reason", "")[:2000],
            expected_version=posted_version(request),
        ),
        _("已关闭。"),
    )


@button_action
def need_copy(request: HttpRequest, ref: str) -> HttpResponse:
    """Take an ended need up again as a new draft (the original keeps its trail)."""
    need = _need_or_404(request, ref)
    try:
        copy = need_services.need_copy(actor=request.user, need=need)
    except DomainError as exc:
        messages.error(request, service_message(exc))
        return redirect("portal:agency-need", ref=need.ref)
    messages.success(
        request, _("已复制为新草稿（%(ref)s）。修改后可提交审核。") % {"ref": copy.ref}
    )
    return redirect("portal:agency-need-edit", ref=copy.ref)
