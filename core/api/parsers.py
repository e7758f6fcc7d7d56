"""Request body parsers."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with a body nested deeper than Python's decoder can follow (e.g.
    50,000 ``[``) refused as a 400 instead of a ``RecursionError`` (a 500), and the decoder's
    own words (which name Python internals) replaced by one translated message."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套层级过深。")) from None
        except ParseError:
            raise ParseError(
                _("请求体不是有效的 JSON（须为 UTF-8 编码，数字不超过 4300 位）。")
            ) from None


class SafeMultiPartParser(MultiPartParser):
    """DRF's multipart parser, with a form Django cannot read (no or a wrong boundary, a cut-off
    body) refused in the request's language: DRF words it "Multipart form parse error - " plus
    Django's English reason."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(
                _(
                    "请求体不是有效的 multipart/form-data 表单（Content-Type 须带 boundary，"
                    "且表单各部分完整）。"
                )
            ) from None
