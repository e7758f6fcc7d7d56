"""The lockout of repeated failed sign-ins (django-axes): how failures count
(``AXES_HANDLER``) and the answer to a refused sign-in (``AXES_LOCKOUT_CALLABLE``)."""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.api.errors import json_error


class AccountFirstHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter: an account's failures
    count against ``AXES_FAILURE_LIMIT``, an address's against the larger
    ``AXES_ADDRESS_FAILURE_LIMIT``. Axes compares one number with one limit, so an address's
    count is scaled to the account limit (50 failures at an address weigh as 10)."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        # One queryset per entry of AXES_LOCKOUT_PARAMETERS, in that order.
        attempts = self.get_user_attempts(request, credentials)
        limit, address_limit = settings.AXES_FAILURE_LIMIT, settings.AXES_ADDRESS_FAILURE_LIMIT
        weighed = 0
        for parameter, queryset in zip(settings.AXES_LOCKOUT_PARAMETERS, attempts, strict=True):
            failures = queryset.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if parameter == "ip_address":
                failures = failures * limit // max(address_limit, 1)
            weighed = max(weighed, failures)
        return weighed

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """A successful sign-in clears the account's own failures only. Axes clears every
        parameter's rows, so any valid account signing in from an address wiped the failures
        of every other account guessed from it, a locked one included, and the address's
        count: a way to keep guessing a colleague's password nine tries at a time."""
        attempts = self.filter_user_attempts(request, credentials)
        cleared = 0
        for parameter, queryset in zip(settings.AXES_LOCKOUT_PARAMETERS, attempts, strict=True):
            if parameter == "username":
                cleared += queryset.delete()[0]
        return cleared


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
        response: HttpResponse = json_error(
            {"code": "locked_out", "detail": detail, "fields": {}}, status=429
        )
    else:
        context = {"title": _("暂时无法登录"), "detail": detail}
        response = render(request, "portal/error.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
