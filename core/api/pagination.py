"""Page-number pagination that refuses malformed paging parameters (400, not a silent default).

Two things keep a page of a large list cheap. The page's rows are chosen by a subquery that
reads the list's own table only (filters, order, ``LIMIT``/``OFFSET``: an index can serve it),
and only those rows are joined to what the page shows, so a deep page or a search never joins
thousands of rows it throws away. And a view may name a ``list_count_cache`` (``key,
rows → count``): the list's size is then counted once per selection and kept (the lists
say for how long), instead of on every page. With the cache, a page of a search whose
matches are dense (their count against the selection's before the search) is found by
walking the list's order without the search index (``WALK_ROWS``).
"""

import functools
import hashlib
import re
from typing import Any, Protocol

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql.where import WhereNode
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from core.search import without_index

_DIGITS = re.compile(r"[0-9]{1,9}")
# The highest page number a request may name (nine digits, what ``_DIGITS`` reads); the
# schema says so, and a page past the list's end is a 404 as in DRF.
MAX_PAGE = 999_999_999


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


class CountCache(Protocol):
    """``(key, rows) → count``; with ``kept_only`` None when counting would read the whole
    selection (nothing kept for it)."""

    def __call__(self, key: str, rows: QuerySet[Any], *, kept_only: bool = False) -> int | None: ...


def joins_single(rows: QuerySet[Any]) -> bool:
    """Every join of the query follows a foreign key forwards (one row each), so the outer
    query, joined without the filters, cannot repeat a row."""
    for join in rows.query.alias_map.values():
        field = getattr(join, "join_field", None)
        if field is not None and (field.many_to_many or field.one_to_many):
            return False
    return True


# A search's page is found by walking the list's order (``core.search.without_index``) when
# the walk is expected to read at most this many rows: the page's last position times the
# selection's size before the search over its size after it (matches spread evenly).
WALK_ROWS = 5000


class ListPaginator(Paginator):
    """Django's paginator choosing a page's rows by key first, and counting through
    ``count_cache`` when given one. Given the selection before a search too
    (``before_search``), it also decides how a page of the search is found."""

    def __init__(
        self,
        *args: Any,
        count_cache: CountCache | None = None,
        before_search: QuerySet[Any] | None = None,
        before_window: tuple[QuerySet[Any], int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.count_cache = count_cache
        self.before_search = before_search
        self.before_window = before_window

    def _cached_count(
        self, rows: QuerySet[Any], count_cache: CountCache, *, kept_only: bool = False
    ) -> int | None:
        rows = rows.order_by()
        try:
            sql, params = rows.query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (``pk__in=[]``)
            return 0
        digest = hashlib.sha256(f"{rows.model._meta.label}|{sql}|{params}".encode()).hexdigest()
        counted = count_cache(f"count:{digest[:32]}", rows, kept_only=kept_only)
        if counted is None and not kept_only:
            return rows.count()
        return counted

    @functools.cached_property
    def count(self) -> int:
        rows = self.object_list
        if self.count_cache is None or not isinstance(rows, QuerySet):
            return super().count
        if self.before_window is not None:  # the first ``limit`` rows of a selection
            # Through the selection's count when one is kept (a write then costs a segment);
            # otherwise the window itself is counted, at most ``limit`` rows.
            selection, limit = self.before_window
            kept = self._cached_count(selection, self.count_cache, kept_only=True)
            if kept is not None:
                return min(limit, kept)
        return self._cached_count(rows, self.count_cache) or 0

    def _walk(self, top: int) -> bool:
        """The rows up to ``top`` of the search are found sooner by walking the order."""
        if self.count_cache is None or self.before_search is None or not self.count:
            return False
        before = self._cached_count(self.before_search, self.count_cache) or 0
        return top * before <= WALK_ROWS * self.count

    def page(self, number: Any) -> Page:
        rows = self.object_list
        if not isinstance(rows, QuerySet) or not rows.query.order_by or not joins_single(rows):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        window: Any = rows.values("pk")[bottom:top]
        if top > bottom and self._walk(top):
            with without_index():
                # The ORM's own SQL of the window, its values still parameters.
                window = RawSQL(*window.query.sql_with_params())  # noqa: S611
        # The filters are the window's: the outer query only fetches and joins its rows.
        outer = rows.all()
        outer.query.where = WhereNode()
        return self._get_page(outer.filter(pk__in=window), number, self)  # type: ignore[attr-defined]


class DefaultPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    count_cache: CountCache | None = None

    before_search: QuerySet[Any] | None = None
    before_window: tuple[QuerySet[Any], int] | None = None

    @property
    def django_paginator_class(self) -> Any:  # type: ignore[override]
        return functools.partial(
            ListPaginator,
            count_cache=self.count_cache,
            before_search=self.before_search,
            before_window=self.before_window,
        )

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        _positive_int(request, self.page_query_param, MAX_PAGE)
        _positive_int(request, self.page_size_query_param, self.max_page_size)
        self.count_cache = getattr(view, "list_count_cache", None)
        self.before_search = getattr(request, "rows_before_search", None)
        self.before_window = getattr(request, "rows_before_window", None)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["minimum"] = 1
            if param["name"] == self.page_size_query_param:
                param["schema"]["maximum"] = self.max_page_size
            elif param["name"] == self.page_query_param:
                param["schema"]["maximum"] = MAX_PAGE
        return params
