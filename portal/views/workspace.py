"""``/workspace/``: each user's home by role."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.choices import Role
from accounts.roles import committees_of, is_platform_admin, memberships

ROLE_HOMES = (
    (Role.AGENCY_EDITOR, "portal:agency-home"),
    (Role.FIRM_EDITOR, "portal:firm-home"),
    (Role.COMMITTEE_MEMBER, "portal:committee-home"),
    (Role.EXPERT, "portal:expert-home"),
)


@login_required
@require_safe
def workspace(request: HttpRequest) -> HttpResponse:
    """Send the user to the home of their first role; admins to the admin.

    A role counts only where its home page would open: a committee member whose
    organization has no committee (tier and region) would be sent back here by the
    committee pages, round and round, so they get the no-role page saying why.
    """
    roles = {m.role for m in memberships(request.user)}
    if Role.COMMITTEE_MEMBER in roles and not committees_of(request.user):
        roles.discard(Role.COMMITTEE_MEMBER)
        messages.warning(
            request,
            _(
                "您的账号属于一个尚未设立完成的工作委员会（缺少层级和辖区），暂时不能审核。"
                "请联系平台管理员。"
            ),
        )
    for role, home in ROLE_HOMES:
        if role in roles:
            return redirect(home)
    if is_platform_admin(request.user):
        return redirect("admin:index")
    return render(request, "portal/workspace/no_role.html", {"nav": "workspace"})
