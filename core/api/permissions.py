"""Who may call a verb endpoint on an object, asked before its body is read."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


def _check(view: Any) -> Any:
    return getattr(view, "actor_checks", {}).get(getattr(view, "action", None))


class ActorChecks(BasePermission):
    """Runs the view's ``actor_checks[action](actor, obj)`` when ``get_object()`` finds the
    object (``obj`` None for an action on the collection, such as ``create``, before the
    handler runs): the service's own role predicate (it raises ``ActorNotAllowed``, a 403).

    The service checks again under its lock; asking here first answers a caller who may
    not act at all with 403 whatever the body, instead of a 400 about a body they had no
    business sending (and so the order is always 401, 404, 403, then 400)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        check = _check(view)
        if check is not None and not getattr(view, "detail", False):
            check(request.user, None)
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        check = _check(view)
        if check is not None:
            check(request.user, obj)
        return True
