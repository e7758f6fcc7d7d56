"""Filters of the reference lists."""

import django_filters
from django.db.models import QuerySet

from core.api.filters import StrictFilterSet
from reference.models import Region


class RegionFilter(StrictFilterSet):
    level = django_filters.CharFilter()
    parent = django_filters.CharFilter(field_name="parent_id")
    within = django_filters.CharFilter(method="filter_within")

    class Meta:
        model = Region
        fields: list[str] = []

    def filter_within(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        region = Region.objects.filter(code=value).only("path").first()
        return queryset.filter(path__startswith=region.path) if region else queryset.none()
