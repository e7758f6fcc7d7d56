"""The committee's list of the needs in its region (辖区需求): every need submitted inside
the member's committees' regions from review on, with its status and the tier it is at,
so a member finds a need again after deciding it (the queue only holds pending ones)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.roles import committees_of
from portal.lists import ListPaginator
from portal.views.committee import PAGE_SIZE, committee_page, tabs_context
from portal.views.common import STATUS_GROUPS
from scenarios import selectors
from scenarios.choices import ReviewDecision

# The agency's status groups without its drafts (a committee never sees a draft).
REGION_GROUPS = {key: value for key, value in STATUS_GROUPS.items() if key != "draft"}


@committee_page
@require_safe
def region_needs(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    found = selectors.needs_of_committee_regions(user=request.user, q=q)
    counts = selectors.status_counts(queryset=found)
    group = request.GET.get("status", "all")
    if group not in REGION_GROUPS:
        group = "all"
    shown = found if group == "all" else found.filter(status__in=REGION_GROUPS[group][1])
    page = ListPaginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    needs = list(page.object_list)
    latest = selectors.latest_review_of(need_ids=[n.pk for n in needs])
    mine = {c.pk for c in committees_of(request.user)}
    rows = []
    for need in needs:
        review = latest.get(need.pk)
        pending = review if review and review.decision == ReviewDecision.PENDING else None
        rows.append((need, pending, bool(pending and pending.committee_id in mine)))
    context = tabs_context(request, "region", reverse("portal:committee-needs")) | {
        "page": page,
        "q": q,
        "group": group,
        "groups": [
            (
                key,
                label,
                sum(counts.get(s, 0) for s in statuses) if key != "all" else sum(counts.values()),
            )
            for key, (label, statuses) in REGION_GROUPS.items()
        ],
        "rows": rows,
    }
    return render(request, "portal/committee/region_needs.html", context)
