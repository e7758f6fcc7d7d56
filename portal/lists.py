"""The public lists' query: a form that reads the filters of the URL, and the selection it
makes with the same filters, search and orderings as the API (``scenarios.filters``)."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.search import apply_search
from portal.forms import set_choices
from reference.selectors import chains_by_slug, regions_by_code
from scenarios.choices import BUDGET_MAX_CNY, Certification, ScenarioCategory, ValidationType
from scenarios.filters import (
    CAPABILITY_SEARCH,
    NEED_SEARCH,
    NeedFilter,
    PublicCapabilityFilter,
)

PAGE_SIZE = 20
TRL_CHOICES = [("", "–"), *[(str(n), str(n)) for n in range(1, 10)]]

NEED_SORTS: dict[str, tuple[Any, list[Any]]] = {
    "recommended": (_("推荐（高价值优先）"), ["-is_high_value", "-published_at", "-id"]),
    "newest": (_("最新发布"), ["-published_at", "-id"]),
    "deadline": (_("截止日期最近"), [F("deadline").asc(nulls_last=True), "-id"]),
    "budget": (_("预算最高"), [F("budget_cny").desc(nulls_last=True), "-id"]),
    "trl": (_("成熟度要求最低"), ["min_trl", "-published_at", "-id"]),
}
CAPABILITY_SORTS: dict[str, tuple[Any, list[Any]]] = {
    "newest": (_("最新发布"), ["-published_at", "-id"]),
    "trl": (_("成熟度最高"), ["-trl", "-published_at", "-id"]),
    "capacity": (_("可承接试点最多"), ["-capacity", "-published_at", "-id"]),
}


BUDGET_ERRORS = {
    "invalid": _("请输入金额（万元）。"),
    "max_digits": _("金额过大。"),
    "max_whole_digits": _("金额过大。"),
    "max_decimal_places": _("最多两位小数。"),
    "min_value": _("不能为负数。"),
    "max_value": _("预算最多 100 亿元。"),
}
# The budget boxes are in 万元; the filters' bound (and a need's) is in yuan.
BUDGET_MAX_WAN = BUDGET_MAX_CNY // 10_000


class ListQueryForm(forms.Form):
    """What both lists share: words to search, a chain and a region subtree, TRL range."""

    q = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=100,
        error_messages={
            "max_length": _("搜索词最多 100 个字。"),
            "null_characters_not_allowed": _("含有无法识别的字符。"),
        },
    )
    chain = forms.SlugField(
        label=_("产业链/赛道"),
        required=False,
        max_length=64,
        error_messages={
            "invalid": _("未知的产业链/赛道。"),
            "max_length": _("未知的产业链/赛道。"),
            "null_characters_not_allowed": _("未知的产业链/赛道。"),
        },
    )
    region = forms.RegexField(
        label=_("地区"),
        regex=r"^[0-9]{6}$",
        required=False,
        error_messages={
            "invalid": _("未知的地区。"),
            "null_characters_not_allowed": _("未知的地区。"),
        },
    )
    # Named in full: the labels head the list of rejected filters, away from the fieldset.
    trl_min = forms.TypedChoiceField(
        label=_("技术成熟度下限"), choices=TRL_CHOICES, coerce=int, required=False, empty_value=None
    )
    trl_max = forms.TypedChoiceField(
        label=_("技术成熟度上限"), choices=TRL_CHOICES, coerce=int, required=False, empty_value=None
    )
    sort = forms.ChoiceField(label=_("排序"), required=False)
    sorts: dict[str, tuple[Any, list[Any]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "sort", [(key, label) for key, (label, _o) in self.sorts.items()])

    def clean_chain(self) -> str:
        slug: str = self.cleaned_data.get("chain") or ""
        if slug and slug not in chains_by_slug():
            raise forms.ValidationError(_("未知的产业链/赛道。"))
        return slug

    def clean_region(self) -> str:
        code: str = self.cleaned_data.get("region") or ""
        if code and code not in regions_by_code():
            raise forms.ValidationError(_("未知的地区。"))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("trl_min"), data.get("trl_max")
        if low is not None and high is not None and low > high:
            self.add_error("trl_max", _("上限不能小于下限。"))
            data.pop("trl_min", None)  # a reversed range filters nothing
        return data

    def valid_data(self) -> dict[str, Any]:
        """The fields that passed, so a bad one does not throw away the others."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}


class NeedQueryForm(ListQueryForm):
    category = forms.MultipleChoiceField(
        label=_("场景类型"),
        choices=ScenarioCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    validation_type = forms.MultipleChoiceField(
        label=_("验证类型"),
        choices=ValidationType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    budget_min = forms.DecimalField(
        label=_("预算从（万元）"),
        required=False,
        min_value=0,
        max_value=BUDGET_MAX_WAN,
        max_digits=12,
        decimal_places=2,
        error_messages=BUDGET_ERRORS,
    )
    budget_max = forms.DecimalField(
        label=_("预算到（万元）"),
        required=False,
        min_value=0,
        max_value=BUDGET_MAX_WAN,
        max_digits=12,
        decimal_places=2,
        error_messages=BUDGET_ERRORS,
    )
    budget_unset = forms.BooleanField(label=_("只看预算未定"), required=False)
    high_value = forms.BooleanField(label=_("只看高价值场景"), required=False)
    major = forms.BooleanField(label=_("只看重大场景"), required=False)
    sorts = NEED_SORTS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("budget_min"), data.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("上限不能小于下限。"))
            data.pop("budget_min", None)  # a reversed range filters nothing
        if data.get("budget_unset") and (low is not None or high is not None):
            # a need without a budget has none in any range: say so instead of listing nothing
            self.add_error("budget_unset", _("预算未定的需求没有金额，不能同时按预算范围筛选。"))
            data.pop("budget_unset", None)
        return data


class CapabilityQueryForm(ListQueryForm):
    certification = forms.ChoiceField(
        label=_("资质认定（已核验）"),
        choices=[("", _("不限")), *Certification.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    sorts = CAPABILITY_SORTS


class ListPaginator(Paginator):
    """Django's paginator, except that a page number below 1 (``?page=0``, ``?page=-1``)
    is the first page: ``get_page`` gives the last one for any number out of range, which
    makes sense only past the end."""

    def get_page(self, number: Any) -> Page:
        try:
            below = int(number) < 1
        except (TypeError, ValueError, OverflowError):
            below = False  # not a number: get_page gives the first page itself
        return super().get_page(1 if below else number)


@dataclass
class Selection:
    """A filtered, ordered list and what the form read."""

    form: ListQueryForm
    filtered: QuerySet[Any]
    ordered: QuerySet[Any]
    sort: str
    active: dict[str, Any]

    def page(self, number: str | None, *, count: int) -> Page:
        """One page of the list; ``count`` is the selection's size, already known from its
        facet counts, so the page costs no second pass over the selection."""
        paginator = ListPaginator(self.ordered, PAGE_SIZE)
        paginator.__dict__["count"] = count  # Paginator.count is a cached_property
        return paginator.get_page(number)


def _filter_data(values: dict[str, Any]) -> QueryDict:
    """The form's values in the API's filter parameters (budgets in yuan)."""
    data = QueryDict(mutable=True)
    for key in ("chain", "region", "trl_min", "trl_max", "certification"):
        if values.get(key) not in (None, ""):
            data[key] = str(values[key])
    for key in ("category", "validation_type"):
        if values.get(key):
            data.setlist(key, list(values[key]))
    for key in ("budget_min", "budget_max"):
        if values.get(key) is not None:
            data[key] = str(int(values[key] * 10_000))
    if values.get("budget_unset"):
        data["has_budget"] = "false"
    if values.get("high_value"):
        data["high_value"] = "true"
    if values.get("major"):
        data["is_major"] = "true"
    return data


# The API's filter parameters that the form names otherwise (``_filter_data``).
FORM_FIELD_OF_FILTER = {"has_budget": "budget_unset", "is_major": "major"}


def _filtered(
    *, form: ListQueryForm, filterset_class: Any, data: QueryDict, queryset: QuerySet[Any]
) -> QuerySet[Any]:
    """``queryset`` with the filters that the filter set accepts. A filter the form passed
    but the filter set refuses (a bound out of the filters' range, say) is refused on the
    form too, in place and in the list of rejected filters, and the others still apply:
    never the whole list for one bad value."""
    data = data.copy()
    while True:
        filterset = filterset_class(data, queryset=queryset)
        if filterset.is_valid():
            return filterset.qs
        refused = [name for name in filterset.errors if name in data]
        if not refused:  # an error on no parameter of ours: apply nothing rather than all
            return queryset.none()
        for name in refused:
            field = FORM_FIELD_OF_FILTER.get(name, name)
            if field in form.fields and field not in form.errors:
                form.add_error(field, list(filterset.errors[name]))
            data.pop(name)


def select(*, form: ListQueryForm, queryset: QuerySet[Any], kind: str) -> Selection:
    """Apply the form's valid filters, search and order to ``queryset``."""
    values = form.valid_data()
    filterset_class = NeedFilter if kind == "need" else PublicCapabilityFilter
    filtered = _filtered(
        form=form, filterset_class=filterset_class, data=_filter_data(values), queryset=queryset
    )
    values = form.valid_data()  # less any filter the filter set refused
    if values.get("q"):
        filtered = apply_search(
            filtered, NEED_SEARCH if kind == "need" else CAPABILITY_SEARCH, values["q"]
        )
    sorts = form.sorts
    sort = values.get("sort") or next(iter(sorts))
    ordered = filtered.order_by(*sorts[sort][1])
    active = {k: v for k, v in values.items() if v not in (None, "", [], False) and k != "sort"}
    return Selection(form=form, filtered=filtered, ordered=ordered, sort=sort, active=active)
