"""``/workspace/``: each user's home by role, and the interim homes of committee members and
experts (their full workspaces come with the committee portal)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.choices import Role
from accounts.roles import committees_of, is_platform_admin, memberships
from scenarios import selectors

ROLE_HOMES = (
    (Role.AGENCY_EDITOR, "portal:agency-home"),
    (Role.FIRM_EDITOR, "portal:firm-home"),
    (Role.COMMITTEE_MEMBER, "portal:committee-home"),
    (Role.EXPERT, "portal:expert-home"),
)


@login_required
@require_safe
def workspace(request: HttpRequest) -> HttpResponse:
    """Send the user to the home of their first role; admins to the admin."""
    roles = {m.role for m in memberships(request.user)}
    for role, home in ROLE_HOMES:
        if role in roles:
            return redirect(home)
    if is_platform_admin(request.user):
        return redirect("admin:index")
    return render(request, "portal/workspace/no_role.html", {"nav": "workspace"})


@login_required
@require_safe
def committee_home(request: HttpRequest) -> HttpResponse:
    committees = committees_of(request.user)
    if not committees:
        return redirect("portal:workspace")
    queue = selectors.review_queue_for_user(user=request.user)[:50]
    context = {"nav": "workspace", "committees": committees, "queue": queue}
    return render(request, "portal/workspace/committee_home.html", context)


@login_required
@require_safe
def expert_home(request: HttpRequest) -> HttpResponse:
    if Role.EXPERT not in {m.role for m in memberships(request.user)}:
        return redirect("portal:workspace")
    to_assess = selectors.needs_to_assess(user=request.user)[:50]
    return render(
        request, "portal/workspace/expert_home.html", {"nav": "workspace", "needs": to_assess}
    )
