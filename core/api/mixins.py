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


# An entity tag as RFC 9110 8.8.3 writes it, strong or weak: the version in double quotes.
# An unquoted ``1`` or an unbalanced ``"1`` is refused, not read as version 1.
_ETAG = re.compile(r'(?:W/)?"([0-9]{1,9})"')


def expected_version(
    request: Request, body: dict[str, Any] | None = None, *, required: bool = False
) -> int | None:
    """The version the client wrote against: body ``version`` or the If-Match ETag.

    ``If-Match: *`` satisfies ``required`` and sets no version (None) unless the body
    names one.

    Both may be sent; then they must agree (400 on ``version`` otherwise), since either
    one winning silently would write against a version the client did not mean."""
    body = body if body is not None else {}
    header = request.headers.get("If-Match", "").strip()
    from_header = None
    # "*" (RFC 9110 13.1.1): any current representation. The resource is there (the view
    # found it), so it states the precondition without constraining the version.
    any_version = header == "*"
    if header and not any_version:
        match = _ETAG.fullmatch(header)
        if match is None:
            raise InvalidInput(
                _('If-Match 格式无效，应为 "版本号"。'),
                fields={"If-Match": [_('应为 "版本号"，例如 "3"。')]},
                code="invalid_if_match",
            )
        from_header = int(match.group(1))
    from_body = int(body["version"]) if body.get("version") is not None else None
    if from_body is not None and from_header is not None and from_body != from_header:
        raise InvalidInput(
            _("版本号与 If-Match 不一致。"),
            fields={"version": [_("版本号与 If-Match 不一致。")]},
            code="version_mismatch",
        )
    version = from_body if from_body is not None else from_header
    if version is None and required and not any_version:
        raise PreconditionRequired(_("更新需要提供当前版本：If-Match 请求头或 version 字段。"))
    return version


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response
