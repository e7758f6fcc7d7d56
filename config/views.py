"""JSON error pages for API paths (the HTML ones stay for the admin), 503 while the
database cannot be reached, and the API docs' pages kept to this origin."""

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.apps import apps
from django.core.exceptions import RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.common import no_append_slash
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request, page_not_found, server_error

from core.api.errors import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    database_unavailable_body,
    json_error,
    request_too_large_body,
)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error({"code": "not_found", "detail": _("未找到。"), "fields": {}}, status=404)
    return page_not_found(request, exception)  # type: ignore[arg-type]


# no route, nothing to protect: a POST gets the 404 too, not a CSRF page
@csrf_exempt
# This catch-all serves every API address ending in a slash, so APPEND_SLASH would take
# any unknown address without one for a real route and redirect it to this 404.
@no_append_slash
def api_not_found(request: HttpRequest) -> HttpResponse:
    """An API address that no route serves (also with DEBUG on)."""
    return not_found(request)


def bad_input(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 before any view ran (a disallowed Host, too many parameters): JSON for the API."""
    if request.path.startswith("/api/") and isinstance(exception, RequestDataTooBig):
        return json_error(request_too_large_body(), status=413)
    if request.path.startswith("/api/"):
        return json_error(
            {"code": "bad_request", "detail": _("请求有误。"), "fields": {}}, status=400
        )
    return bad_request(request, exception)  # type: ignore[arg-type]


def server_failure(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler, called while the exception is being handled: an unreachable
    database (raised by a page, a middleware reading the session, or an API view outside
    DRF's handler) is a 503 that says to come back, not a 500."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    if request.path.startswith("/api/"):
        return json_error(
            {"code": "server_error", "detail": _("服务器内部错误，请稍后重试。"), "fields": {}},
            status=500,
        )
    return server_error(request)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After``: the API's JSON error, or a plain page that needs no
    database (no context processors, no session)."""
    if request.path.startswith("/api/"):
        response: HttpResponse = json_error(database_unavailable_body(), status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def moved_out_of_scenarios() -> dict[str, str]:
    """Models that moved out of the scenarios app, by model name, with their app now: their
    tables still carry the ``scenarios_`` prefix."""
    return {
        str(model._meta.model_name): model._meta.app_label
        for model in apps.get_models()
        if model._meta.app_label != "scenarios"
        and model._meta.db_table == f"scenarios_{model._meta.model_name}"
    }


def moved_admin_page(request: HttpRequest, model: str, rest: str = "") -> HttpResponse:
    """Old admin addresses of models that moved out of scenarios (bookmarks, links in old
    e-mails): ``/admin/scenarios/organization/…`` → ``/admin/accounts/organization/…``."""
    app_label = moved_out_of_scenarios().get(model)
    if app_label is None:
        raise Http404
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return HttpResponsePermanentRedirect(f"/admin/{app_label}/{model}/{rest}{query}")


# What the API docs' pages may load: only what this origin serves (their bundles, styles
# and fonts are vendored), inline styles and scripts (both UIs write them), data: and blob:
# (ReDoc's search worker); a bundle's link to anything else (ReDoc's logo on its CDN) is
# never requested.
SAME_ORIGIN_ONLY = "default-src 'self' 'unsafe-inline' data: blob:"


def same_origin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` with a Content-Security-Policy that keeps its page to this origin."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", SAME_ORIGIN_ONLY)
        return response

    return wrapped
