"""The answer to a sign-in refused by the lockout (django-axes: ``AXES_LOCKOUT_CALLABLE``)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """A sign-in refused because the account or the address failed too often (django-axes):
    429 with when to try again, JSON for the API, a page for the portal and the admin."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    detail = _("登录失败次数过多，该账号或地址已暂时锁定，请 %(minutes)s 分钟后再试。") % {
        "minutes": minutes
    }
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "locked_out", "detail": detail, "fields": {}}, status=429
        )
    else:
        context = {"title": _("暂时无法登录"), "detail": detail}
        response = render(request, "portal/error.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
