"""``/workspace/``: each user's home by role."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.choices import Role
from accounts.roles import is_platform_admin, memberships

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
