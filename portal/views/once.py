"""A create form sent twice (saved, the browser's Back, then 保存 again; or a script sending
it four times at once) creates one item: the form carries a token, a short cache entry
lets one request at a time use it, and the session remembers which item it created."""

import secrets
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

SESSION_KEY = "portal_created_by_form"
# Tokens remembered per session: the forms a person could still go back to.
REMEMBERED = 20
# How long a request holds a token while it creates the item (seconds; far beyond a save).
CLAIM_SECONDS = 60


def form_token() -> str:
    """A new create form's token (its hidden ``once`` field)."""
    return secrets.token_urlsafe(16)


def _created_before(request: HttpRequest, token: str) -> str | None:
    created = request.session.get(SESSION_KEY) or {}
    ref = created.get(token)
    return str(ref) if ref else None


def _remember(request: HttpRequest, token: str, ref: str) -> None:
    created = dict(request.session.get(SESSION_KEY) or {})
    created.pop(token, None)
    created[token] = ref
    request.session[SESSION_KEY] = dict(list(created.items())[-REMEMBERED:])


def create_once(request: HttpRequest, form: forms.Form, create: Callable[[], Any]) -> Any:
    """``create()`` unless this form (its ``once`` token) created an item already or is
    being saved by another request: then the form gets an error saying so, keeps what was
    typed, and None is returned. A DomainError of ``create`` frees the token (the corrected
    form is saved with it)."""
    token = str(form.cleaned_data.get("once") or "")
    if not token:
        return create()
    if ref := _created_before(request, token):
        form.add_error(
            None,
            _("这份表单已保存为 %(ref)s，没有再新建一条；要修改它，请打开 %(ref)s 点“修改”。")
            % {"ref": ref},
        )
        return None
    key = f"portal:form-once:{request.user.pk}:{token}"
    if not cache.add(key, 1, CLAIM_SECONDS):
        form.add_error(None, _("这份表单正在保存，请稍候在列表中查看，不要重复提交。"))
        return None
    try:
        item = create()
    except BaseException:
        cache.delete(key)
        raise
    _remember(request, token, item.ref)
    return item
