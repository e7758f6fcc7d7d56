"""Versioned writes: the version a client wrote against (If-Match / ``version``) and ETags."""

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import InvalidInput


class PreconditionRequired(APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = "更新需要提供当前版本：If-Match 请求头或 version 字段。"


_VERSION = re.compile(r"[0-9]{1,9}")


def expected_version(
    request: Request, body: dict[str, Any] | None = None, *, required: bool = False
) -> int | None:
    """The version the client wrote against: body ``version`` or the If-Match ETag."""
    body = body if body is not None else {}
    if body.get("version") is not None:
        return int(body["version"])
    header = request.headers.get("If-Match", "").strip()
    if header:
        raw = header.removeprefix("W/").strip('"')
        if _VERSION.fullmatch(raw):
            return int(raw)
        raise InvalidInput(
            _('If-Match 格式无效，应为 "版本号"。'),
            fields={"If-Match": [_('应为 "版本号"，例如 "3"。')]},
            code="invalid_if_match",
        )
    if required:
        raise PreconditionRequired(_("更新需要提供当前版本：If-Match 请求头或 version 字段。"))
    return None


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response
