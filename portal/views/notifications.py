"""The inbox: the user's notifications, marking them read, and ``/notifications/go/…``, the
address e-mails link to, which opens the page of the thing a notification is about."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.choices import Role
from accounts.roles import organization_ids, sits_on_committee_covering
from activity import selectors as activity_selectors
from activity.services import notification_mark_read, notifications_mark_read
from core.actors import Actor
from matching import selectors as matching_selectors
from portal.lists import ListPaginator
from portal.views import firm as firm_views
from portal.views.common import HtmxHttpRequest, button_action
from scenarios import selectors
from scenarios.choices import PilotStatus
from scenarios.lifecycle import MATCHABLE_NEED_STATUSES, PUBLIC_NEED_STATUSES


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    notes = activity_selectors.notification_list_for_user(user=request.user).order_by("-id")
    page = ListPaginator(notes, 30).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page, "nav": "notifications"})


@button_action
def mark_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(
        activity_selectors.notification_list_for_user(user=request.user), pk=pk
    )
    note = notification_mark_read(reader=request.user, notification=note)
    if request.htmx:
        return render(request, "portal/includes/notification.html", {"note": note})
    return redirect("portal:notifications")


@button_action
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(reader=request.user)
    return redirect("portal:notifications")


@dataclass(frozen=True)
class Destination:
    """Where a notification's link leads, and what the reader is told on arrival when that
    is not the page of the item the notification named (a later run has replaced it)."""

    url: str
    notice: str = ""


def destination(user: Actor, target_type: str, target_id: str) -> Destination:
    """The page where ``user`` reads or acts on the target of a notification."""
    if not target_id.isdigit():
        return Destination(reverse("portal:workspace"))
    pk = int(target_id)
    agency_ids = organization_ids(user, Role.AGENCY_EDITOR)
    if target_type == "scenarios.scenarioneed":
        need = selectors.need_list_for_user(user=user).filter(pk=pk).first()
        if need is not None and need.agency_id in agency_ids:
            return Destination(reverse("portal:agency-need", kwargs={"ref": need.ref}))
        if need is not None and sits_on_committee_covering(user, need.region):
            return Destination(reverse("portal:committee-need", kwargs={"ref": need.ref}))
        if need is not None and need.status in PUBLIC_NEED_STATUSES:
            return Destination(reverse("portal:need-detail", kwargs={"ref": need.ref}))
    elif target_type == "matching.match":
        found = _match_destination(user, pk, agency_ids)
        if found is not None:
            return found
    elif target_type in ("matching.pairreview", "scenarios.pilot"):
        firm_ids = organization_ids(user, Role.FIRM_EDITOR)
        if target_type == "scenarios.pilot":
            pilot = selectors.pilot_list_for_user(user=user).filter(pk=pk).first()
            need = pilot.need if pilot is not None else None
            if pilot is not None and pilot.capability.firm_id in firm_ids:
                return Destination(reverse("portal:firm-pilot", kwargs={"pilot_id": pilot.pk}))
            if pilot is not None and pilot.need.agency_id in agency_ids:
                # An approval or a refusal of the agency's proposal: the pilot's own page
                # (its milestones and outcome, or why it was declined).
                return Destination(reverse("portal:agency-pilot", kwargs={"pilot_id": pilot.pk}))
        else:
            need = matching_selectors.need_of_pair_review(user=user, pair_review_id=pk)
        if need is not None and need.agency_id in agency_ids:
            return Destination(_pair_url_for_agency(user, pk, need))
        if need is not None and firm_ids:
            return Destination(_pair_review_url_for_firm(user, pk, firm_ids))
        if need is not None and sits_on_committee_covering(user, need.region):
            return Destination(_committee_url(user, target_type, pk, need))
    elif target_type == "accounts.organization" and pk in organization_ids(user, Role.FIRM_EDITOR):
        return Destination(reverse("portal:firm-home"))
    return Destination(reverse("portal:workspace"))


def _pair_url_for_agency(user: Actor, pk: int, need: Any) -> str:
    """A firm's answer on one of the agency's recommendations: the need's page at that
    firm's card, where it is shortlisted (the card of the pair's current row), else at the
    firms' answers; the top of a long page left the agency looking for it."""
    url = reverse("portal:agency-need", kwargs={"ref": need.ref})
    pair = matching_selectors.pair_of_review(pair_review_id=pk)
    if pair is not None and need.status in MATCHABLE_NEED_STATUSES:  # the page shows cards
        for match in matching_selectors.candidates_of_need(user=user, need_id=need.pk):
            if match.capability_id == pair[1]:
                return f"{url}#match-{match.pk}"
    return f"{url}#need-interest"


def _committee_url(user: Actor, target_type: str, pk: int, need: Any) -> str:
    """Where a committee acts on a pilot (the pilots list at the pilot's status: a proposal
    to decide, an outcome to confirm) or on a shortlisted pair (the recommendations waiting
    for a decision while it waits, else the need's committee page)."""
    if target_type == "scenarios.pilot":
        pilot = selectors.pilot_list_for_user(user=user).get(pk=pk)
        # The list groups a withdrawn proposal with the declined ones.
        group = "declined" if pilot.status == PilotStatus.WITHDRAWN else pilot.status
        query = urlencode({"status": group})
        return f"{reverse('portal:committee-pilots')}?{query}#pilot-{pilot.pk}"
    pair = matching_selectors.pair_of_review(pair_review_id=pk)
    waiting = pair is not None and (
        matching_selectors.awaiting_decision_for_user(user=user)
        .filter(need_id=pair[0], capability_id=pair[1])
        .exists()
    )
    if waiting:
        return reverse("portal:committee-recommendations")
    return reverse("portal:committee-need", kwargs={"ref": need.ref})


def _pair_review_url_for_firm(user: Actor, pk: int, firm_ids: list[int]) -> str:
    """Where a firm follows a decision on one of its pairs (shortlisted, approved): the
    pilot it started, else the recommendation, else the firm's workspace."""
    pair = matching_selectors.pair_of_review(pair_review_id=pk)
    if pair is None:
        return reverse("portal:firm-home")
    pilot = (
        selectors.pilot_list_for_user(user=user)
        .filter(need_id=pair[0], capability_id=pair[1], capability__firm_id__in=firm_ids)
        .order_by("-id")
        .first()
    )
    if pilot is not None:
        return reverse("portal:firm-pilot", kwargs={"pilot_id": pilot.pk})
    current = (
        matching_selectors.recommendations_for_firm(user=user)
        .filter(need_id=pair[0], capability_id=pair[1])
        .first()
    )
    if current is not None:
        return firm_views.recommendation_url(current)
    return reverse("portal:firm-home")


def _match_destination(user: Actor, pk: int, agency_ids: list[int]) -> Destination | None:
    """A recommendation's page, found through its (need, capability) pair: each matching run
    gives the pair a new row, so the row a notification names may be superseded, or pruned
    (then the pair comes from the notification's parameters). Such a row leads to the
    pair's current recommendation, or to the firm's current recommendations once a later
    run no longer makes it, with a word on why. Every row is looked up among those the user
    may see, and a pruned one only through the user's own notification about it: an id of
    another organisation's row leads to the workspace, as an unknown one does. None: no
    page of the user's has it."""
    visible = matching_selectors.match_list_for_user(user=user)
    match = visible.filter(pk=pk).first()
    firm_ids = organization_ids(user, Role.FIRM_EDITOR)
    if match is None:
        note = (
            activity_selectors.notification_list_for_user(user=user)
            .filter(target_type="matching.match", target_id=str(pk))
            .order_by("-id")
            .first()
        )
        if note is None:
            return None
        params = note.params
        if params.get("need_ref") and params.get("capability_ref"):
            match = (
                visible.filter(
                    need__ref=params["need_ref"], capability__ref=params["capability_ref"]
                )
                .order_by("-run_id")
                .first()
            )
        if match is None:  # told of it, but nothing of the pair is left to show
            return _dropped(firm_ids)
    # is_current: annotated by with_current()
    updated = match.pk != pk or not getattr(match, "is_current", True)
    notice = _("该推荐已被之后的匹配批次更新，以下是最新结果。") if updated else ""
    if match.need.agency_id in agency_ids:
        return Destination(reverse("portal:agency-need", kwargs={"ref": match.need.ref}), notice)
    current = (
        matching_selectors.recommendations_for_firm(user=user)
        .filter(need_id=match.need_id, capability_id=match.capability_id)
        .first()
    )
    if current is not None:
        return Destination(firm_views.recommendation_url(current), notice)
    if match.firm_id in firm_ids:
        return _dropped(firm_ids)
    if sits_on_committee_covering(user, match.need.region):
        return Destination(reverse("portal:committee-need", kwargs={"ref": match.need.ref}), notice)
    return None


def _dropped(firm_ids: list[int]) -> Destination | None:
    """A firm's recommendation that a later run no longer makes: the firm's current ones."""
    if not firm_ids:
        return None
    return Destination(
        reverse("portal:firm-recommendations"),
        _("该推荐已被之后的匹配批次更新，目前不再推荐；以下是您当前的推荐。"),
    )


@login_required
@require_safe
def go(request: HttpRequest, target_type: str, target_id: str) -> HttpResponse:
    """Mark the user's notifications about the target read and open its page."""
    notifications_mark_read(reader=request.user, target_type=target_type, target_id=target_id)
    found = destination(request.user, target_type, target_id)
    if found.notice:
        messages.info(request, found.notice)
    return redirect(found.url)
