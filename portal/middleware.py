"""Pages for answers that Django sends without one."""

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from portal.views.common import page_of_button


class MethodNotAllowedPage:
    """A bare 405 on a page address (a button's address opened as a link, or reached again
    after signing in) becomes a page that says what happened and where to go; the API's
    405s keep their JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or request.path.startswith("/api/") or response.content:
            return response
        back = page_of_button(request.path)
        page = render(
            request,
            "portal/error.html",
            {
                "title": _("请使用页面上的按钮"),
                "detail": _(
                    "这个地址对应页面上的一个操作按钮（如提交、撤回、退出），不能直接打开。"
                    "请回到相应页面，再点击按钮。"
                ),
                "back": back if request.path.startswith("/workspace/") else None,
            },
            status=405,
        )
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page


class PrivatePagesNotStored:
    """What a signed-in user is shown is kept by no cache: not a shared proxy's, and not the
    browser's own, whose back button would otherwise show a workspace page (contacts,
    internal notes) to the next person at a shared computer after 退出. Answers that set
    their own caching keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response


class HtmxSignInRedirect:
    """A part of a page (htmx) asked for after the session ended: the whole page goes to
    sign-in and comes back to the page it was on. The plain 302 was followed inside the
    request and the sign-in page swapped into a card of the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or response.status_code != 302:
            return response
        login = resolve_url(settings.LOGIN_URL)
        if urlsplit(response["Location"]).path != urlsplit(login).path:
            return response
        back = htmx.current_url_abs_path or request.get_full_path()
        whole_page = HttpResponse(status=204)
        whole_page["HX-Redirect"] = f"{login}?{urlencode({'next': back})}"
        return whole_page


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with an expired or missing security token (e.g. a page left open over a
    sign-in elsewhere): say so in the user's words, not Django's."""
    return render(
        request,
        "portal/error.html",
        {
            "title": _("页面已过期"),
            "detail": _(
                "这个页面打开太久或已在别处登录/退出，提交没有生效。请返回、刷新页面后重新提交。"
            ),
        },
        status=403,
    )
