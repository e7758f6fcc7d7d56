"""One JSON error shape for the whole API: {"code", "detail", "fields"}."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

logger = logging.getLogger(__name__)
# Seconds a client is asked to wait while the database is unreachable: about what a
# PostgreSQL restart or fail-over takes.
RETRY_AFTER_SECONDS = 10
# What the database layer raises when the server is restarting, down or gone from under an
# open connection (Django's wrappers of the driver's errors). Constraint and data errors
# are not among them: those are the request's fault or a bug.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


# DRF's words for a body of JSON ``null`` (``Serializer.errors``): a literal, not a msgid,
# so no catalog can translate it.
DRF_NO_DATA = "No data provided"
# DRF's ``SessionAuthentication`` prefixes Django's CSRF reason (untranslated English, see
# ``django.middleware.csrf.REASON_*``) with this literal.
DRF_CSRF_FAILED = "CSRF Failed: "


def _message(detail: Any) -> str:
    """One error message, with DRF's untranslatable literals in the request's language."""
    if isinstance(detail, ErrorDetail) and detail.code == "null" and str(detail) == DRF_NO_DATA:
        return _("未提供数据：请求体为 null。")
    return str(detail)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub": [messages]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            fields[prefix or "non_field_errors"] = [_message(v) for v in detail]
        else:
            for index, value in enumerate(detail):
                # One convention for every key: "milestones.0.due", as DRF's list fields
                # give ("keywords.0") and the services write.
                fields.update(_flatten(value, f"{prefix}.{index}"))
    else:
        fields[prefix or "non_field_errors"] = [_message(detail)]
    return fields


def _csrf_failed(reason: str) -> exceptions.PermissionDenied:
    """DRF's "CSRF Failed: <Django's English reason>" in the request's language, saying how
    to pass the check (a session-authenticated API call that changes something)."""
    if reason == "CSRF cookie not set.":
        why = _("没有 CSRF Cookie")
    elif reason == "CSRF token missing.":
        why = _("缺少 CSRF 令牌")
    elif reason.startswith("CSRF token from"):
        why = _("CSRF 令牌不正确")
    elif reason.startswith(("Origin checking failed", "Referer checking failed")):
        why = _("请求来源（Origin/Referer）不受信任")
    else:
        why = _("请求未通过 CSRF 校验")
    return exceptions.PermissionDenied(
        _(
            "CSRF 校验失败（%(reason)s）。以会话登录调用 API 时，请在 X-CSRFToken 请求头中"
            "附上 csrftoken Cookie 的值，或改用令牌认证。"
        )
        % {"reason": why}
    )


def json_error(body: dict[str, Any], *, status: int) -> JsonResponse:
    """An API error answered outside DRF (Django's error handlers), in UTF-8 like DRF's
    (``UNICODE_JSON``): JsonResponse would escape every Chinese character as ``\\uXXXX``."""
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} B"


def request_too_large_body() -> dict[str, Any]:
    """The error of a request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), naming it."""
    return {
        "code": "request_too_large",
        "detail": _("请求体过大，上限为 %(limit)s。")
        % {"limit": _size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)},
        "fields": {},
    }


def database_unavailable_body() -> dict[str, Any]:
    """The error while the database cannot be reached (503, with ``Retry-After``)."""
    return {
        "code": "database_unavailable",
        "detail": _("数据库暂时不可用，请稍后重试。"),
        "fields": {},
    }


def _database_unavailable(exc: Exception) -> Response:
    # One line per request, no traceback: during an outage every request fails the same way.
    logger.error("database unavailable: %s: %s", type(exc).__name__, " ".join(str(exc).split()))
    return Response(
        database_unavailable_body(),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _suspicious_request(exc: SuspiciousOperation) -> Response:
    """What Django answers with its own 400 page, in the API's shape: a body over the upload
    limit (413), too many fields or files, or another request Django refuses to read."""
    # The channel Django reports these on, without the traceback: the client sent too much.
    logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
    if isinstance(exc, RequestDataTooBig):
        return Response(request_too_large_body(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        detail = _("请求中的字段过多，上限为 %(limit)s 个。") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    elif isinstance(exc, TooManyFilesSent):
        detail = _("请求中的文件过多，上限为 %(limit)s 个。") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    else:
        detail = _("请求有误。")
    # The code Django's 400 page had on the API (config.views.bad_input).
    return Response(
        {"code": "bad_request", "detail": detail, "fields": {}},
        status=status.HTTP_400_BAD_REQUEST,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SuspiciousOperation):
        return _suspicious_request(exc)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        # Django marks the connection as failed; it is closed when the request finishes,
        # so the next request of this process connects afresh.
        return _database_unavailable(exc)
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": exc.message, "fields": exc.fields},
            status=exc.status_code,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith(
        DRF_CSRF_FAILED
    ):
        exc = _csrf_failed(str(exc.detail).removeprefix(DRF_CSRF_FAILED))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": str(_("请求数据有误。")),
            "fields": _flatten(exc.detail),
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = {"code": code, "detail": str(detail), "fields": {}}
    return response
