"""List filters (django-filter) and text search, shared by the API and the pages; chain and
region filters include descendants."""

from typing import Any

import django_filters
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.api.filters import IdFilter, IntegerFilter, StrictBooleanFilter, StrictFilterSet
from reference.filters import ChainSlugFilter, RegionCodeFilter
from reference.models import IndustryChain, Region
from scenarios.choices import (
    BUDGET_MAX_CNY,
    CapabilityStatus,
    Certification,
    NeedStatus,
    NegativeListKind,
    PilotStatus,
    ScenarioCategory,
    ValidationType,
)
from scenarios.models import Capability, NegativeListEntry, Pilot, ScenarioNeed

# The values a need or capability can hold (the models' validators): a bound outside them is
# a 400 naming the range, not a list that is silently empty or whole.
TRL_RANGE = {"min_value": 1, "max_value": 9}
BUDGET_RANGE = {"min_value": 0, "max_value": BUDGET_MAX_CNY}

# Fields a text search looks in: each word must appear in one of them (core.search, used by
# the API's ?search= and the pages alike).
NEED_SEARCH = ["title", "description", "keywords", "ref"]
CAPABILITY_SEARCH = ["title", "description", "keywords", "ref", "firm__name"]
# ``?ordering=-relevance``: what a word found in each field adds to an item's relevance.
NEED_SEARCH_WEIGHTS = {"title": 8, "keywords": 4, "description": 2, "ref": 1}
CAPABILITY_SEARCH_WEIGHTS = {**NEED_SEARCH_WEIGHTS, "firm__name": 1}


def certification_q(value: str, *, checked: bool = False) -> Q:
    """Capabilities holding certification ``value``; ``checked``: only where their firm's
    committee has checked it. The public lists go by checked certifications (a firm's own
    claim is no certification a reader can go by; the pages mark it 自报); a firm's and a
    committee's lists by the claims, which are what they work on.

    PostgreSQL asks whether the string is an element of the list (``?``, which is also
    cheaper per row than list containment ``@>``: the facet counts test every row three
    times); SQLite has no such lookup, so there the stored list's text is searched for the
    quoted code (codes contain no quotes). The firms holding it checked are few, found once.
    """
    if connection.vendor == "postgresql":
        claims = Q(certifications__has_key=value)
        firms = Organization.objects.filter(verified_certifications__has_key=value)
    else:
        claims = Q(certifications__icontains=f'"{value}"')
        firms = Organization.objects.filter(verified_certifications__icontains=f'"{value}"')
    return claims & Q(firm_id__in=firms.values("pk")) if checked else claims


def _chain_subtree_filter(
    queryset: QuerySet, through: Any, owner_field: str, slug: str
) -> QuerySet:
    node = IndustryChain.objects.filter(slug=slug).only("path").first()
    if node is None:
        return queryset.none()
    # EXISTS keeps one row per item however many matching chains it has.
    links = through.objects.filter(
        **{owner_field: OuterRef("pk"), "industrychain__path__startswith": node.path}
    )
    return queryset.filter(Exists(links))


def _region_subtree_filter(queryset: QuerySet, field: str, code: str) -> QuerySet:
    region = Region.objects.filter(code=code).only("path").first()
    if region is None:
        return queryset.none()
    return queryset.filter(**{f"{field}__path__startswith": region.path})


class NeedFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=NeedStatus.choices)
    category = django_filters.MultipleChoiceFilter(choices=ScenarioCategory.choices)
    validation_type = django_filters.MultipleChoiceFilter(choices=ValidationType.choices)
    chain = ChainSlugFilter(method="filter_chain", label=_("产业链/赛道标识（含下级）"))
    region = RegionCodeFilter(method="filter_region", label=_("行政区划代码（含下级）"))
    trl_min = IntegerFilter(field_name="min_trl", lookup_expr="gte", **TRL_RANGE)
    trl_max = IntegerFilter(field_name="min_trl", lookup_expr="lte", **TRL_RANGE)
    budget_min = IntegerFilter(
        field_name="budget_cny", lookup_expr="gte", label=_("预算下限（元）"), **BUDGET_RANGE
    )
    budget_max = IntegerFilter(
        field_name="budget_cny", lookup_expr="lte", label=_("预算上限（元）"), **BUDGET_RANGE
    )
    has_budget = StrictBooleanFilter(
        field_name="budget_cny",
        lookup_expr="isnull",
        exclude=True,
        label=_("是否填写了预算（false：预算未定）"),
    )
    high_value = StrictBooleanFilter(method="filter_high_value")
    is_major = StrictBooleanFilter()
    agency = IdFilter(field_name="agency_id")

    class Meta:
        model = ScenarioNeed
        fields: list[str] = []

    def is_valid(self) -> bool:
        """Budget filters that contradict each other are a 400 saying so (as the portal
        says), not an empty list that looks like an answer."""
        valid = super().is_valid()
        if not valid:
            return False
        data = self.form.cleaned_data
        low, high = data.get("budget_min"), data.get("budget_max")
        if low is not None and high is not None and low > high:
            self.form.add_error("budget_max", _("上限不能小于下限。"))
            valid = False
        if data.get("has_budget") is False and (low is not None or high is not None):
            self.form.add_error("has_budget", _("预算未定的需求没有金额，不能同时按预算范围筛选。"))
            valid = False
        return valid

    def filter_chain(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _chain_subtree_filter(
            queryset, ScenarioNeed.chains.through, "scenarioneed_id", value
        )

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _region_subtree_filter(queryset, "region", value)

    def filter_high_value(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """By the mark the reader is shown: where the selector withheld some from an expert
        (``shown_is_high_value``, ``assessment_selectors.with_shown_high_value``), a
        withheld mark matches neither true nor false."""
        if "shown_is_high_value" in queryset.query.annotations:
            return queryset.filter(shown_is_high_value=value)
        return queryset.filter(is_high_value=value)


class CapabilityFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CapabilityStatus.choices)
    chain = ChainSlugFilter(method="filter_chain", label=_("产业链/赛道标识（含下级）"))
    region = RegionCodeFilter(method="filter_region", label=_("行政区划代码（含下级）"))
    trl_min = IntegerFilter(field_name="trl", lookup_expr="gte", **TRL_RANGE)
    trl_max = IntegerFilter(field_name="trl", lookup_expr="lte", **TRL_RANGE)
    certification = django_filters.ChoiceFilter(
        choices=Certification.choices, method="filter_certification"
    )
    firm = IdFilter(field_name="firm_id")

    class Meta:
        model = Capability
        fields: list[str] = []

    def filter_chain(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _chain_subtree_filter(queryset, Capability.chains.through, "capability_id", value)

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _region_subtree_filter(queryset, "region", value)

    def filter_certification(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(certification_q(value))


class PublicCapabilityFilter(CapabilityFilter):
    """The public list's filters: a certification is one the firm's committee checked."""

    certification = django_filters.ChoiceFilter(
        choices=Certification.choices,
        method="filter_certification",
        label=_("资质认定（已核验）"),
    )

    def filter_certification(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(certification_q(value, checked=True))


class NegativeListFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=NegativeListKind.choices)
    active = StrictBooleanFilter()

    class Meta:
        model = NegativeListEntry
        fields: list[str] = []


class PilotFilter(StrictFilterSet):
    """By plain ids: a choice filter over every need would tell apart ids that exist (even
    drafts the user cannot see) from ids that do not."""

    status = django_filters.ChoiceFilter(choices=PilotStatus.choices)
    need = IdFilter(field_name="need_id")
    capability = IdFilter(field_name="capability_id")

    class Meta:
        model = Pilot
        fields: list[str] = []
