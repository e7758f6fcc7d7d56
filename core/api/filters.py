"""Query filters that reject malformed values instead of ignoring them, and the search."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter

from core.search import MAX_SEARCH_LENGTH, apply_search


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is a 400, not "no filter"."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """Whole numbers only (0.5 is a 400)."""

    field_class = forms.IntegerField


class StrictFilterSet(django_filters.FilterSet):
    """A filter given with an empty value (``?status=``) is an error, not "no filter"."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and all(v == "" for v in self.data.getlist(name)):
                self.form.add_error(name, _("不能为空。"))
                valid = False
        return valid


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter backend whose generated filtersets (``filterset_fields``) are strict."""

    filterset_base = StrictFilterSet


class WordSearchFilter(SearchFilter):
    """DRF's ``?search=`` with the project's word search (``core.search``): every word in
    one of the view's ``search_fields``, fast on large lists."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        fields = getattr(view, "search_fields", None)
        text = request.query_params.get(self.search_param, "")
        if not fields or not text:
            return queryset
        if len(text) > MAX_SEARCH_LENGTH:
            raise ValidationError(
                {self.search_param: [_("最多 %(n)s 个字符。") % {"n": MAX_SEARCH_LENGTH}]}
            )
        return apply_search(queryset, list(fields), text)
