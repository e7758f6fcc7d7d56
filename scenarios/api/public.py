"""The published lists for everyone: anonymous, read-only, throttled per address."""

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)

from core.api.viewsets import PublicReadOnly
from scenarios import selectors
from scenarios.api.capabilities import CAP_ORDERING, CapabilityPublicSerializer
from scenarios.api.needs import (
    DEFAULT_NEED_ORDERING,
    NEED_ORDERING,
    NEED_ORDERING_EXPRESSIONS,
    NeedPublicSerializer,
)
from scenarios.facets import count_for_lists
from scenarios.filters import (
    CAPABILITY_SEARCH,
    CAPABILITY_SEARCH_WEIGHTS,
    NEED_SEARCH,
    NEED_SEARCH_WEIGHTS,
    NeedFilter,
    PublicCapabilityFilter,
)
from scenarios.models import (
    Capability,
    ScenarioNeed,
)


@extend_schema_view(
    list=extend_schema(summary="公开机会清单（已发布需求，无需登录）"),
    retrieve=extend_schema(summary="公开需求详情"),
)
class PublicNeedViewSet(PublicReadOnly):
    lookup_value_regex = r"[0-9]+"
    serializer_class = NeedPublicSerializer
    filterset_class = NeedFilter
    search_fields = NEED_SEARCH
    search_weights = NEED_SEARCH_WEIGHTS
    ordering_fields = NEED_ORDERING
    ordering_expressions = NEED_ORDERING_EXPRESSIONS
    # The size of a selection is kept per segment of the table and counted again only in
    # the segments a write touched (scenarios.facets.count_for_lists; core.api.pagination).
    list_count_cache = staticmethod(count_for_lists)
    ordering = DEFAULT_NEED_ORDERING

    def get_queryset(self) -> QuerySet[ScenarioNeed]:
        return selectors.need_public_list()


@extend_schema_view(
    list=extend_schema(summary="公开能力清单（已发布能力，无需登录）"),
    retrieve=extend_schema(summary="公开能力详情"),
)
class PublicCapabilityViewSet(PublicReadOnly):
    lookup_value_regex = r"[0-9]+"
    serializer_class = CapabilityPublicSerializer
    filterset_class = PublicCapabilityFilter
    search_fields = CAPABILITY_SEARCH
    search_weights = CAPABILITY_SEARCH_WEIGHTS
    ordering_fields = CAP_ORDERING
    list_count_cache = staticmethod(count_for_lists)
    ordering = ["-published_at", "-id"]

    def get_queryset(self) -> QuerySet[Capability]:
        return selectors.capability_public_list()
