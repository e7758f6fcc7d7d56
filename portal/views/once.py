"""A create form sent twice (saved, the browser's Back, then 保存 again) creates one item:
the form carries a token, and the session remembers which item each token created."""

import secrets

from django.http import HttpRequest

SESSION_KEY = "portal_created_by_form"
# Tokens remembered per session: the forms a person could still go back to.
REMEMBERED = 20


def form_token() -> str:
    """A new create form's token (its hidden ``once`` field)."""
    return secrets.token_urlsafe(16)


def created_before(request: HttpRequest, token: str) -> str | None:
    """The ref of the item this form already created in this session, if it did."""
    if not token:
        return None
    created = request.session.get(SESSION_KEY) or {}
    ref = created.get(token)
    return str(ref) if ref else None


def remember_created(request: HttpRequest, token: str, ref: str) -> None:
    if not token:
        return
    created = dict(request.session.get(SESSION_KEY) or {})
    created.pop(token, None)
    created[token] = ref
    request.session[SESSION_KEY] = dict(list(created.items())[-REMEMBERED:])
