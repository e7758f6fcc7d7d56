"""The agency's pairs and pilots: the shortlist, proposing a pilot, running it."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.choices import Role
from accounts.roles import has_role_in, organization_ids
from core.errors import DomainError, InvalidInput
from matching import selectors as matching_selectors
from matching.services.recommendations import pair_shortlist
from portal.forms import apply_service_errors, service_message
from portal.forms.committee import ConcludeForm, MilestoneFormSet
from portal.views.common import HtmxHttpRequest, button_action, posted_version
from scenarios import selectors
from scenarios.choices import PilotStatus
from scenarios.lifecycle import PILOT_NEVER_RAN
from scenarios.services import pilots as pilot_services


def open_pilots(pilots: Any) -> dict[int, Any]:
    """capability id -> the need's newest pilot with it that is proposed or running, else
    its newest declined or withdrawn proposal (the card says so, beside the form to propose
    again)."""
    out: dict[int, Any] = {}
    for pilot in pilots:  # newest first
        shown = out.get(pilot.capability_id)
        is_open = pilot.status in (PilotStatus.PROPOSED, PilotStatus.RUNNING)
        if (shown is None and (is_open or pilot.status in PILOT_NEVER_RAN)) or (
            is_open and shown is not None and shown.status in PILOT_NEVER_RAN
        ):
            out[pilot.capability_id] = pilot
    return out


def _parse_date(typed: str) -> date | None:
    """A date as the date input sends it (YYYY-MM-DD); None for anything else."""
    try:
        return date.fromisoformat(typed) if len(typed) == 10 else None
    except ValueError:
        return None


@button_action
def shortlist(request: HtmxHttpRequest, match_id: int) -> HttpResponse:
    """Put a recommended capability on (or off) the need's shortlist."""
    match = matching_selectors.match_list_for_user(user=request.user).filter(pk=match_id).first()
    if match is None:
        raise Http404
    try:
        review = pair_shortlist(
            actor=request.user, match=match, shortlisted=request.POST.get("shortlisted") == "1"
        )
    except DomainError as exc:
        if request.htmx:
            # The card as it stands (still shortlisted, its pilot proposed), with the reason.
            current = matching_selectors.pair_reviews_of(
                pairs=[(match.need_id, match.capability_id)]
            ).get((match.need_id, match.capability_id))
            return _shortlist_card(request, match, current, error=exc.message)
        messages.error(request, service_message(exc))
        return redirect("portal:agency-need", ref=match.need.ref)
    if request.htmx:
        return _shortlist_card(request, match, review)
    messages.success(request, _("已更新入围名单。"))
    return redirect("portal:agency-need", ref=match.need.ref)


def _shortlist_card(
    request: HttpRequest, match: Any, review: Any, *, error: str = ""
) -> HttpResponse:
    pilot = open_pilots(selectors.pilots_of_need(need=match.need)).get(match.capability_id)
    context = {"match": match, "review": review, "pilot": pilot, "error": error}
    return render(request, "portal/workspace/_shortlist.html", context)


def _pilot_or_404(request: HttpRequest, pilot_id: int) -> Any:
    """A pilot of one of the user's agencies' needs (others are not found)."""
    pilot = (
        selectors.pilot_list_for_user(user=request.user)
        .filter(pk=pilot_id, need__agency_id__in=organization_ids(request.user, Role.AGENCY_EDITOR))
        .select_related("need__agency", "capability__firm")
        .first()
    )
    if pilot is None:
        raise Http404
    return pilot


@login_required
@require_http_methods(["GET", "POST"])
def pilot_page(request: HttpRequest, pilot_id: int) -> HttpResponse:
    """A pilot as its agency runs it: the milestones (add, tick off, date) and, at the end,
    the outcome with the capability's maturity after validation."""
    pilot = _pilot_or_404(request, pilot_id)
    initial = [
        {"title": m.get("title", ""), "due": m.get("due"), "done": bool(m.get("done"))}
        for m in pilot.milestones
    ]
    milestones = MilestoneFormSet(initial=initial, prefix="m")
    conclude = ConcludeForm(initial={"version": pilot.version, "trl_after": pilot.trl_before})
    action = request.POST.get("action")
    if request.method == "POST" and action == "milestones":
        milestones = MilestoneFormSet(request.POST, initial=initial, prefix="m")
        if milestones.is_valid():
            kept = [f for f in milestones.forms if f.cleaned_data.get("title", "").strip()]
            rows = [
                {
                    "title": f.cleaned_data["title"].strip(),
                    "due": f.cleaned_data["due"].isoformat() if f.cleaned_data.get("due") else None,
                    "done": bool(f.cleaned_data.get("done")),
                }
                for f in kept
            ]
            try:
                pilot_services.pilot_update_milestones(
                    actor=request.user,
                    pilot=pilot,
                    milestones=rows,
                    expected_version=posted_version(request),
                )
            except DomainError as exc:
                messages.error(request, service_message(exc))
                _mark_milestone_rows(kept, exc)
            else:
                messages.success(request, _("里程碑已保存。"))
                return redirect("portal:agency-pilot", pilot_id=pilot.pk)
    elif request.method == "POST" and pilot.status != "running":
        # A second tab, or a repeated click: the outcome is recorded already (or the pilot
        # has not been approved yet).
        if pilot.status == PilotStatus.PROPOSED or pilot.status in PILOT_NEVER_RAN:
            messages.error(request, _("试点未获批准开展，不能登记。"))
        else:
            messages.error(
                request, _("试点已结束（%(s)s），不能再修改。") % {"s": pilot.get_status_display()}
            )
        return redirect("portal:agency-pilot", pilot_id=pilot.pk)
    elif request.method == "POST" and action == "conclude":
        conclude = ConcludeForm(request.POST, trl_before=pilot.trl_before)
        if conclude.is_valid():
            data = conclude.cleaned_data
            try:
                pilot_services.pilot_conclude(
                    actor=request.user,
                    pilot=pilot,
                    outcome=data["outcome"],
                    trl_after=data["trl_after"],
                    note=data["note"],
                    expected_version=data.get("version"),
                )
            except DomainError as exc:
                apply_service_errors(conclude, exc)
            else:
                messages.success(request, _("已记录验证结论。"))
                return redirect("portal:agency-pilot", pilot_id=pilot.pk)
    context = {
        "nav": "workspace",
        "pilot": pilot,
        "milestones": milestones,
        "conclude": conclude,
        "running": pilot.status == "running",
    }
    return render(request, "portal/workspace/agency_pilot.html", context)


@button_action
def pilot_withdraw(request: HttpRequest, pilot_id: int) -> HttpResponse:
    """The agency takes back its pilot proposal before the committee decides it."""
    pilot = _pilot_or_404(request, pilot_id)
    try:
        pilot = pilot_services.pilot_proposal_withdraw(
            actor=request.user, pilot=pilot, expected_version=posted_version(request)
        )
    except DomainError as exc:
        messages.error(request, service_message(exc))
    else:
        messages.success(request, _("已撤回试点申请；需要时可在需求页再次提议。"))
    return redirect("portal:agency-pilot", pilot_id=pilot.pk)


def _mark_milestone_rows(forms: list[Any], exc: DomainError) -> None:
    """Put the service's per-row messages (``milestones.2.due``) on the rows they name, so
    the rows out of range are marked with the range beside them."""
    for name, problems in exc.fields.items():
        index, _dot, field = name.removeprefix("milestones.").partition(".")
        if index.isdigit() and int(index) < len(forms) and field in forms[int(index)].fields:
            for problem in problems:
                forms[int(index)].add_error(field, problem)


@button_action
def propose_pilot(request: HtmxHttpRequest, match_id: int) -> HttpResponse:
    """The agency proposes a pilot with a shortlisted capability; the need's committee
    approves it (``pilot_start`` by the agency makes a proposal)."""
    match = matching_selectors.match_list_for_user(user=request.user).filter(pk=match_id).first()
    # The agency's own needs only: a committee member starts pilots from its own pages (here
    # its pilot_start would start one at once, under the agency's words "提议").
    if match is None or not has_role_in(request.user, Role.AGENCY_EDITOR, match.need.agency):
        raise Http404
    gone = False
    if not getattr(match, "is_current", True):  # annotated by with_current()
        # The page was drawn before a later run: the pair's row of the current run decides
        # (whether it is still recommended, and the pilot's source), as on the firm's side.
        current = (
            matching_selectors.match_list_for_user(user=request.user)
            .current()
            .filter(need_id=match.need_id, capability_id=match.capability_id)
            .first()
        )
        # Gone from the run, or still there but no longer recommended: either way the
        # pair cannot be proposed from this page any more (a refresh shows why).
        gone = current is None or not current.recommended
        match = current or match
    review = matching_selectors.pair_reviews_of(pairs=[(match.need_id, match.capability_id)]).get(
        (match.need_id, match.capability_id)
    )
    typed = request.POST.get("tolerance_until", "").strip()[:20]
    tolerance_until = _parse_date(typed)
    eligible = not gone and match.recommended and review is not None and review.shortlisted
    if gone:
        error = _("最新一轮匹配已不再推荐这项能力，请刷新页面。")
    elif not eligible:
        error = _("只能为已入围的推荐能力提议试点，请先将其加入入围名单。")
    elif not typed:
        error = _("请填写包容期截止日期（将来的日期）。")
    elif tolerance_until is None:
        error = _("日期无效，请按 年-月-日 填写，如 2027-06-30。")
    else:
        error = ""
    pilot = None
    if not error and tolerance_until is not None:
        try:
            pilot = pilot_services.pilot_start(
                actor=request.user,
                need=match.need,
                capability=match.capability,
                tolerance_until=tolerance_until,
                source_match_id=match.pk,
            )
        except InvalidInput as exc:
            error = "；".join(exc.fields.get("tolerance_until", [])) or exc.message
        except DomainError as exc:
            error = exc.message
    if request.htmx:
        if pilot is None:
            pilot = open_pilots(selectors.pilots_of_need(need=match.need)).get(match.capability_id)
        context = {
            "match": match,
            "review": review,
            "pilot": pilot,
            # A refusal of the pair shows above the card's buttons (there is no form then).
            "error": "" if eligible else error,
            "proposal_error": error if eligible else "",
            "proposal_value": typed,
        }
        return render(request, "portal/workspace/_shortlist.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已提交试点提议，等待委员会审批。"))
    return redirect("portal:agency-need", ref=match.need.ref)
