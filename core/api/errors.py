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
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub": [messages]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            fields[prefix or "non_field_errors"] = [str(v) for v in detail]
        else:
            for index, value in enumerate(detail):
                fields.update(_flatten(value, f"{prefix}[{index}]"))
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


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
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": exc.message, "fields": exc.fields},
            status=exc.status_code,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
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
