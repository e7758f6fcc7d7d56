"""What every page's header needs: the signed-in user's unread notifications, and for the
platform admin the operator pages that live outside ``/admin/``."""

from typing import Any

from django.http import HttpRequest

from accounts.roles import is_platform_admin
from activity.selectors import unread_count


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/api/", "/admin/")):
        return {}
    return {
        "unread_notifications": unread_count(user=user),
        "is_platform_admin": is_platform_admin(user),
    }
