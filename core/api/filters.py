"""Query filters that reject malformed values instead of ignoring them, and the search."""

import re
from collections.abc import Iterable, Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.settings import api_settings

from core.api.pagination import joins_single
from core.search import MAX_SEARCH_LENGTH, apply_search, relevance, search_words
from core.words import listing

# The ordering by how well items answer ``?search=`` (``core.search.relevance``), and how
# many matches it ranks: the first ones in the list's default order (the newest). Ranking
# every match of a common word reads each matching row's text (33,000 capabilities for 检测 at
# province scale: about 400 ms, docs/benchmarks.md); the window bounds that work.
RELEVANCE = "relevance"
RELEVANCE_WINDOW = 1000


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is a 400, not "no filter"."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Int64Field(forms.IntegerField):
    """A whole number the database's 64-bit integers hold (a larger id is a 400, not an
    ``OverflowError`` on SQLite), within ``min_value``–``max_value`` where the filter states
    them: out of range, the 400 names the range, as ``page_size``'s does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        low = kwargs.setdefault("min_value", INT64_MIN)
        high = kwargs.setdefault("max_value", INT64_MAX)
        # Both bounds, always: "≥1" for an id above 64 bits read as if it were below 1.
        if (low, high) != (INT64_MIN, INT64_MAX):
            message = _("必须是整数（%(limit)s）。") % {"limit": f"{low}–{high}"}
            kwargs["error_messages"] = {
                "min_value": message,
                "max_value": message,
                **kwargs.get("error_messages", {}),
            }
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """Whole numbers only (0.5 is a 400), within 64 bits, or within ``min_value`` and
    ``max_value`` when given (``trl_min=10`` is a 400, not an empty list)."""

    field_class = Int64Field


class IdFilter(IntegerFilter):
    """A row's id: a positive whole number."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


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
        # A NUL byte, or nothing but invisible characters, is no search: answering with the
        # whole list would read as "everything matches" (the pages refuse it too).
        if "\x00" in text:
            raise ValidationError({self.search_param: [_("含有无法识别的字符。")]})
        if text.strip() and not search_words(text):
            raise ValidationError(
                {self.search_param: [_("没有可查找的文字（只有不可见字符或标点）。")]}
            )
        # The selection before the search: the pagination compares its size with the
        # search's to choose how to find a page (core.api.pagination).
        request.rows_before_search = queryset
        return apply_search(queryset, list(fields), text)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """``search`` only where the view searches (elsewhere it is refused as unknown)."""
        if not getattr(view, "search_fields", None):
            return []
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        return parameters


def _names(values: Any) -> str:
    return listing(sorted(values)) or "—"


class StrictOrderingFilter(OrderingFilter):
    """DRF's ``?ordering=`` that refuses a field it does not offer (400 naming the allowed
    ones) instead of ignoring it. An asked order ends with the primary key in the same
    direction, so rows that tie keep one order from page to page (and an index on the field
    and the key serves it). ``relevance`` (where the view offers it, with
    ``search_weights``) orders by ``core.search.relevance`` of ``?search=``, which it then
    needs, the first ``RELEVANCE_WINDOW`` matches in the view's default order: the list then
    holds those only (its count says so)."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        if any(str(term).lstrip("-") == RELEVANCE for term in ordering):
            text = request.query_params.get(api_settings.SEARCH_PARAM, "")
            weights = getattr(view, "search_weights", None)
            if not search_words(text) or not weights:  # no word left: nothing to rank by
                raise ValidationError(
                    {self.ordering_param: [_("按相关度排序（relevance）需要同时给出 search。")]}
                )
            request.rows_before_search = None  # the window is not a walk of the order
            default = self.get_default_ordering(view) or ["-pk"]
            # In the default order as the reader sees it (``ordering_expressions``): which
            # matches fill the window tells the order too.
            window = queryset.order_by(*self._expressions(default, view)).values("pk")[
                :RELEVANCE_WINDOW
            ]
            if joins_single(queryset):
                # The list is the window: as many rows as the selection has, at most the
                # window's, which the pages count through the selection's own (cached) count.
                request.rows_before_window = (queryset, RELEVANCE_WINDOW)
                # The window holds the filters: repeating them outside it makes the planner
                # guess (a search's estimate is poor) where it need not.
                queryset = queryset.all()
                queryset.query.where = WhereNode()
            queryset = queryset.filter(pk__in=window).annotate(
                **{RELEVANCE: relevance(queryset.model, weights, text[:MAX_SEARCH_LENGTH])}
            )
        return queryset.order_by(*self._expressions(ordering, view))

    @staticmethod
    def _expressions(ordering: Sequence[Any], view: Any) -> list[Any]:
        """The asked terms, with those the view orders by an expression of its own
        (``ordering_expressions``: name -> expression) replaced by it, empty values last:
        a field some readers may not see (an expert mean shown only from four experts) is
        sorted by what they see, so the order tells no more than the rows."""
        expressions = getattr(view, "ordering_expressions", None) or {}
        out: list[Any] = []
        for term in ordering:
            name = str(term).lstrip("-") if isinstance(term, str) else None
            if name in expressions:
                expression = expressions[name]
                descending = str(term).startswith("-")
                out.append(
                    expression.desc(nulls_last=True)
                    if descending
                    else expression.asc(nulls_last=True)
                )
            else:
                out.append(term)
        return out

    def get_ordering(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw:
            valid = {name for name, _label in self.get_valid_fields(queryset, view, {})}
            asked = [term.strip() for term in raw.split(",")]
            # One leading "-" at most: "--id" is no field (DRF would drop it without a word).
            unknown = [term for term in asked if term.removeprefix("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("未知的排序字段：%(unknown)s。可用：%(valid)s（前加 - 表示倒序）。")
                            % {"unknown": _names(unknown), "valid": _names(valid)}
                        ]
                    }
                )
            ordering = self.remove_invalid_fields(queryset, asked, view, request)
            key = queryset.model._meta.pk.name
            if ordering and not {key, "pk"} & {term.lstrip("-") for term in ordering}:
                ordering.append(f"-{key}" if ordering[-1].startswith("-") else key)
            if ordering:
                return ordering
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """The parameter as DRF describes it, with the fields it takes named; none where the
        view offers no ordering (there it is refused as unknown)."""
        fields = getattr(view, "ordering_fields", None)
        if fields is None:
            return []
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        if isinstance(fields, list | tuple):
            one = "-?(?:" + "|".join(re.escape(str(f)) for f in fields) + ")"
            for parameter in parameters:
                parameter["description"] = _(
                    "排序字段，可用：%(valid)s；逗号分隔多个，前加 - 表示倒序。其他字段返回 400。"
                ) % {"valid": listing(fields)}
                if RELEVANCE in fields:  # a rule between two parameters, which no schema holds
                    parameter["description"] += _(
                        "按 relevance 排序须同时给出 search（否则返回 400）。"
                    )
                # What the server accepts, so a client (or a fuzzer) can tell beforehand; an
                # empty value (a form's blank field) is the default order.
                parameter.setdefault("schema", {})["pattern"] = f"^(?:{one}(?:,{one})*)?$"
        return parameters


def query_parameters_check(
    params: QueryDict, *, known: Iterable[str], multiple: Iterable[str] = ()
) -> None:
    """Refuse (400 naming each parameter) the query parameters an endpoint does not read,
    with the ones it does, and those given more than once that take one value (only the last
    would count, without a word): the names in ``multiple`` take several."""
    known, several = set(known), set(multiple)
    unknown = sorted(set(params) - known)
    errors: dict[str, list[Any]] = {}
    if unknown:
        message = _("未知的查询参数。可用：%(known)s。") % {"known": _names(known)}
        errors.update({name[:64]: [message] for name in unknown[:20]})
    repeated = sorted(
        name
        for name in set(params) & known
        if name not in several and len(params.getlist(name)) > 1
    )
    errors.update({name: [_("只能给出一个值。")] for name in repeated})
    if errors:
        raise ValidationError(errors)


def _takes_several(filter_: django_filters.Filter) -> bool:
    """The filter reads every value of its parameter (``?status=a&status=b``)."""
    widget = filter_.extra.get("widget", filter_.field_class.widget)
    return bool(getattr(widget, "allow_multiple_selected", False))


class KnownParametersFilter(BaseFilterBackend):
    """Refuses query parameters the endpoint does not read (400 naming the ones it does): a
    misspelt filter would otherwise return the unfiltered list as if it had applied. What a
    list reads: its filters, ``search`` and ``ordering`` where offered, the paging
    parameters, ``format``, and any the view names in ``extra_query_params``; one object
    (a detail address, or a verb on it) reads ``format`` and the view's extra ones only.
    A parameter given twice is refused too, unless its filter takes several values."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        known = {api_settings.URL_FORMAT_OVERRIDE or "format"}
        known.update(getattr(view, "extra_query_params", ()))
        several: set[str] = set()
        # Filters, search, order and pages are about lists: on one object they could only
        # turn it into a 404.
        if not getattr(view, "detail", False):
            filterset_class = StrictFilterBackend().get_filterset_class(view, queryset)
            if filterset_class is not None:
                known.update(filterset_class.base_filters)
                several = {
                    name
                    for name, filter_ in filterset_class.base_filters.items()
                    if _takes_several(filter_)
                }
            if getattr(view, "search_fields", None):
                known.add(api_settings.SEARCH_PARAM)
            if getattr(view, "ordering_fields", None) is not None:
                known.add(api_settings.ORDERING_PARAM)
            paginator = getattr(view, "paginator", None)
            for attr in (
                "page_query_param",
                "page_size_query_param",
                "limit_query_param",
                "offset_query_param",
                "cursor_query_param",
            ):
                if getattr(paginator, attr, None):
                    known.add(getattr(paginator, attr))
        query_parameters_check(request.query_params, known=known, multiple=several)
        return queryset
