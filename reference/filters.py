"""Filters of the reference lists, and the filters other lists take a region or a chain by."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.api.filters import StrictFilterSet
from reference.choices import RegionLevel
from reference.models import Region
from reference.selectors import chains_by_slug, regions_by_code


class RegionCodeField(forms.CharField):
    """A GB/T 2260 code of a region in the reference data: a code that names none is an
    error, not a filter that matches nothing. Any region of China is known, whether or not
    the caller may see its items."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value not in regions_by_code():
            raise forms.ValidationError(
                _("未知的行政区划代码：%(code)s。"), code="unknown", params={"code": value[:64]}
            )


class ChainSlugField(forms.CharField):
    """A slug of an industry chain in the taxonomy; one that names none is an error."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value not in chains_by_slug():
            raise forms.ValidationError(
                _("未知的产业链/赛道标识：%(slugs)s。"),
                code="unknown",
                params={"slugs": value[:64]},
            )


class RegionCodeFilter(django_filters.CharFilter):
    field_class = RegionCodeField


class ChainSlugFilter(django_filters.CharFilter):
    field_class = ChainSlugField


class RegionFilter(StrictFilterSet):
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices)
    parent = RegionCodeFilter(field_name="parent_id")
    within = RegionCodeFilter(method="filter_within")

    class Meta:
        model = Region
        fields: list[str] = []

    def filter_within(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        region = Region.objects.filter(code=value).only("path").first()
        return queryset.filter(path__startswith=region.path) if region else queryset.none()
