"""The firm workspace: the firm's profile and verification, its capabilities (form, submit,
withdraw, the reason when returned or suspended), the needs it was recommended for with
their explanations and its answer, and its pilots."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.choices import Role
from accounts.models import Organization
from accounts.roles import organization_ids
from accounts.services.organizations import organization_update
from accounts.validators import phone_validator
from core.errors import DomainError
from matching import selectors as matching_selectors
from matching.models import FirmResponse
from matching.services.recommendations import pair_respond
from portal.explain import explain, explain_all
from portal.forms import StyledForm, apply_service_errors, service_message
from portal.forms.items import CapabilityForm
from portal.lists import ListPaginator
from portal.views.common import (
    VersionedEdit,
    button_action,
    capability_trail,
    edit_with_version,
    not_your_page,
    posted_version,
)
from portal.views.once import create_once, form_token
from scenarios import selectors
from scenarios.choices import PilotStatus
from scenarios.lifecycle import PILOT_NEVER_RAN, PUBLIC_NEED_STATUSES
from scenarios.services import capabilities as capability_services
from scenarios.services.pilots import open_pilot_of_capability

CAPABILITY_ALIASES = {"region_code": "region"}


class ProfileForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("企业名称"), max_length=128)
    contact_name = forms.CharField(label=gettext_lazy("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(
        label=gettext_lazy("联系电话"), max_length=32, required=False, validators=[phone_validator]
    )


class RespondForm(StyledForm):
    interested = forms.TypedChoiceField(
        label=gettext_lazy("答复"),
        choices=[("1", FirmResponse.INTERESTED.label), ("0", FirmResponse.DECLINED.label)],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("说明（可选）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _firm(request: HttpRequest) -> Organization | None:
    ids = organization_ids(request.user, Role.FIRM_EDITOR)
    return Organization.objects.filter(pk__in=ids).select_related("region").order_by("pk").first()


def _capability_or_404(request: HttpRequest, ref: str) -> Any:
    capability = (
        selectors.capability_list_for_user(user=request.user)
        .filter(ref=ref, firm_id__in=organization_ids(request.user, Role.FIRM_EDITOR))
        .first()
    )
    if capability is None:
        raise Http404
    return capability


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    firm = _firm(request)
    if firm is None:
        return not_your_page(request)
    capabilities = list(
        selectors.capability_queryset().filter(firm=firm).order_by("-updated_at", "-id")[:200]
    )
    recommendations = list(matching_selectors.recommendations_for_firm(user=request.user)[:5])
    context = {
        "nav": "workspace",
        "firm": firm,
        "capabilities": capabilities,
        "reasons": selectors.latest_reason_of(capabilities=capabilities),
        "recommendations": [(m, explain(m)) for m in recommendations],
        "has_published": any(c.status == "published" for c in capabilities),
        "pilots": selectors.pilots_of_firms(firm_ids=[firm.pk])[:50],
    }
    return render(request, "portal/workspace/firm_home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    firm = _firm(request)
    if firm is None:
        return not_your_page(request)
    form = ProfileForm(
        request.POST or None,
        initial={
            "name": firm.name,
            "contact_name": firm.contact_name,
            "contact_phone": firm.contact_phone,
        },
    )
    if firm.verified_at is not None:  # the service refuses it too; the form says so first
        form.fields["name"].disabled = True
        form.fields["name"].help_text = _("企业已认证，名称变更请联系平台管理员。")
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if getattr(firm, k) != v}
        try:
            if changes:
                organization_update(actor=request.user, organization=firm, **changes)
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("企业资料已保存。"))
            return redirect("portal:firm-home")
    return render(
        request,
        "portal/workspace/profile_form.html",
        {"nav": "workspace", "form": form, "firm": firm},
    )


@login_required
@require_http_methods(["GET", "POST"])
def capability_new(request: HttpRequest) -> HttpResponse:
    firm = _firm(request)
    if firm is None:
        return not_your_page(request)
    if firm.is_suspended:
        # Said before the form is filled in, not after (the service refuses the submission).
        messages.error(request, _("企业已被暂停，暂停期间不能登记新的能力。"))
        return redirect("portal:firm-home")
    form = CapabilityForm(
        request.POST or None,
        firm_region=firm.region_id,
        initial={"region": firm.region_id, "once": form_token()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            capability = create_once(
                request,
                form,
                lambda: capability_services.capability_create(
                    actor=request.user, firm=firm, **form.service_values()
                ),
            )
        except DomainError as exc:
            apply_service_errors(form, exc, CAPABILITY_ALIASES)
        else:
            if capability is not None:
                messages.success(request, _("已保存为草稿。确认无误后请提交发布。"))
                return redirect("portal:firm-capability", ref=capability.ref)
    return render(
        request, "portal/workspace/capability_form.html", {"nav": "workspace", "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def capability_edit(request: HttpRequest, ref: str) -> HttpResponse:
    return edit_with_version(
        request,
        VersionedEdit(
            form_class=CapabilityForm,
            load=lambda: _capability_or_404(request, ref),
            update=capability_services.capability_update,
            name="capability",
            aliases=CAPABILITY_ALIASES,
            template="portal/workspace/capability_form.html",
            done_url=lambda cap: reverse("portal:firm-capability", kwargs={"ref": cap.ref}),
            form_kwargs=lambda cap: {
                "firm_region": cap.firm.region_id,
                "keep_region": cap.region_id,
            },
        ),
    )


@login_required
@require_safe
def capability_page(request: HttpRequest, ref: str) -> HttpResponse:
    capability = _capability_or_404(request, ref)
    context = {
        "nav": "workspace",
        "capability": capability,
        "trail": capability_trail(capability),
        "reason": selectors.latest_reason_of(capabilities=[capability]).get(capability.pk, ""),
        # While a pilot of it is proposed or running, the capability is not withdrawn (edited).
        "open_pilot": open_pilot_of_capability(capability.pk),
    }
    return render(request, "portal/workspace/firm_capability.html", context)


def _act(
    request: HttpRequest, ref: str, call: Any, done: str | Callable[[Any], str]
) -> HttpResponse:
    capability = _capability_or_404(request, ref)
    try:
        result = call(capability)
    except DomainError as exc:
        messages.error(request, service_message(exc))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("portal:firm-capability", ref=capability.ref)


def _submitted(capability: Any) -> str:
    if capability.status == "published":
        return _("已发布到能力清单，平台会把匹配的需求推荐给您。")
    if capability.status == "returned":
        return _("未能发布：命中负面清单，请按退回理由修改。")
    return _("已提交。企业认证后将自动发布。")


@button_action
def capability_submit(request: HttpRequest, ref: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda c: capability_services.capability_submit(
            actor=request.user, capability=c, expected_version=posted_version(request)
        ),
        _submitted,
    )


@button_action
def capability_withdraw(request: HttpRequest, ref: str) -> HttpResponse:
    return _act(
        request,
        ref,
        lambda c: capability_services.capability_withdraw(
            actor=request.user,
            capability=c,
            reason=request.POST.get("reason", "")[:2000],
            expected_version=posted_version(request),
        ),
        _("已撤回，能力不再出现在能力清单和推荐中。"),
    )


@login_required
@require_safe
def recommendations(request: HttpRequest) -> HttpResponse:
    firm = _firm(request)
    if firm is None:
        return not_your_page(request)
    page = ListPaginator(
        matching_selectors.recommendations_for_firm(user=request.user), 30
    ).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    reviews = matching_selectors.pair_reviews_of(pairs=[(m.need_id, m.capability_id) for m in rows])
    context = {
        "nav": "workspace",
        "page": page,
        "rows": [
            (m, explanation, reviews.get((m.need_id, m.capability_id)))
            for m, explanation in zip(rows, explain_all(rows), strict=True)
        ],
        "has_published": firm.capabilities.filter(status="published").exists(),
    }
    return render(request, "portal/workspace/firm_recommendations.html", context)


@login_required
@require_safe
def pilot_page(request: HttpRequest, pilot_id: int) -> HttpResponse:
    """A pilot of one of the firm's capabilities, read-only: the agency runs it (milestones,
    outcome), the firm follows it here."""
    pilot = (
        selectors.pilot_list_for_user(user=request.user)
        .filter(
            pk=pilot_id,
            capability__firm_id__in=organization_ids(request.user, Role.FIRM_EDITOR),
        )
        .select_related("need__agency", "capability__firm")
        .first()
    )
    if pilot is None:
        raise Http404
    context: dict[str, Any] = {
        "nav": "workspace",
        "pilot": pilot,
        "need_public": pilot.need.status in PUBLIC_NEED_STATUSES,
    }
    if pilot.status == PilotStatus.PROPOSED:
        # The committee approves only once the firm says it is interested: where to say so.
        pair = (pilot.need_id, pilot.capability_id)
        review = matching_selectors.pair_reviews_of(pairs=[pair]).get(pair)
        if _recommendation_of_pair(request, *pair) is not None:
            context["answer_url"] = reverse(
                "portal:firm-recommendation-pair",
                kwargs={"need_ref": pilot.need.ref, "capability_ref": pilot.capability.ref},
            )
            context["firm_response"] = review.firm_response if review is not None else ""
    return render(request, "portal/workspace/firm_pilot.html", context)


def _recommendation_of_pair(request: HttpRequest, need_id: int, capability_id: int) -> Any:
    """The pair's current recommendation, if the user's firm has it now."""
    return (
        matching_selectors.recommendations_for_firm(user=request.user)
        .filter(need_id=need_id, capability_id=capability_id)
        .first()
    )


def recommendation_url(match: Any) -> str:
    """The lasting address of a recommendation: keyed by its (need, capability) pair, since
    every matching run gives the pair a new row and id."""
    return reverse(
        "portal:firm-recommendation-pair",
        kwargs={"need_ref": match.need.ref, "capability_ref": match.capability.ref},
    )


@login_required
@require_http_methods(["GET", "POST"])
def recommendation(request: HttpRequest, match_id: int) -> HttpResponse:
    """A recommendation by a match row's id (links made before pair addresses existed). A
    superseded row's id leads to its pair's current recommendation while there is one."""
    match = (
        matching_selectors.recommendations_for_firm(user=request.user).filter(pk=match_id).first()
    )
    if match is None:
        pair = matching_selectors.pair_of_match(match_id=match_id)
        current = _recommendation_of_pair(request, *pair) if pair is not None else None
        if current is None:
            raise Http404
        if request.method == "GET":
            return redirect(recommendation_url(current))
        match = current
    return _recommendation_page(request, match)


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_pair(request: HttpRequest, need_ref: str, capability_ref: str) -> HttpResponse:
    match = (
        matching_selectors.recommendations_for_firm(user=request.user)
        .filter(need__ref=need_ref, capability__ref=capability_ref)
        .first()
    )
    if match is None:
        raise Http404
    return _recommendation_page(request, match)


def _recommendation_page(request: HttpRequest, match: Any) -> HttpResponse:
    review = matching_selectors.pair_reviews_of(pairs=[(match.need_id, match.capability_id)]).get(
        (match.need_id, match.capability_id)
    )
    form = RespondForm(
        request.POST or None,
        initial={
            "interested": "1" if review and review.firm_response == "interested" else "0",
            "note": review.firm_note if review else "",
        }
        if review and review.firm_response
        else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            pair_respond(
                actor=request.user,
                match=match,
                interested=form.cleaned_data["interested"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已答复，需求单位会收到通知。"))
            return redirect(recommendation_url(match))
    context = {
        "nav": "workspace",
        "match": match,
        "explanation": explain_all([match])[0],
        "review": review,
        "form": form,
        # The pair's latest pilot: proposed (a decline makes the committee's approval
        # impossible), or under way or ended (the answer no longer changes anything).
        "pilot": selectors.pilot_list_for_user(user=request.user)
        .filter(need_id=match.need_id, capability_id=match.capability_id)
        .exclude(status__in=PILOT_NEVER_RAN)
        .order_by("-id")
        .first(),
    }
    return render(request, "portal/workspace/firm_recommendation.html", context)
