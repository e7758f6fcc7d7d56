"""JSON error pages for API paths (the HTML ones stay for the admin)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found, server_error


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "detail": _("未找到。"), "fields": {}}, status=404
        )
    return page_not_found(request, exception)  # type: ignore[arg-type]


def server_failure(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "detail": _("服务器内部错误，请稍后重试。"), "fields": {}},
            status=500,
        )
    return server_error(request)
