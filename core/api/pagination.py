"""Page-number pagination that refuses malformed paging parameters (400, not a silent default)."""

import re
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

_DIGITS = re.compile(r"[0-9]{1,9}")


def _positive_int(request: Request, name: str, maximum: int | None = None) -> None:
    values = request.query_params.getlist(name)
    if not values:
        return
    if len(values) > 1:
        raise ValidationError({name: [_("只能给出一个值。")]})
    value = values[0]
    if value == "last" and name == "page":
        return
    # ASCII digits only, and few of them: str.isdigit() accepts "²", and int() refuses
    # strings of thousands of digits; both would otherwise end in a 500.
    if (
        not _DIGITS.fullmatch(value)
        or int(value) < 1
        or (maximum is not None and int(value) > maximum)
    ):
        limit = f"1–{maximum}" if maximum is not None else "≥1"
        raise ValidationError({name: [_("必须是整数（%(limit)s）。") % {"limit": limit}]})


class DefaultPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        _positive_int(request, self.page_query_param)
        _positive_int(request, self.page_size_query_param, self.max_page_size)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["minimum"] = 1
            if param["name"] == self.page_size_query_param:
                param["schema"]["maximum"] = self.max_page_size
        return params
