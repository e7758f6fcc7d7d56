"""The province's policy editor: the selection criteria's weights, the seven matching
weights, the region weights, the thresholds and the recommendations per need; and a
negative-list entry. The forms check shapes and bounds; the policy service checks the rest
and its refusals come back on these fields."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.explain import FEATURE_LABELS
from portal.forms import PlainDecimalField, StyledForm, set_choices
from portal.labels import criterion_name
from reference.selectors import chain_nodes
from scenarios.choices import BUDGET_MAX_CNY, NegativeListKind
from scenarios.services.negative_list import keyword_problem
from scenarios.services.policy import (
    MATCHING_FEATURES,
    REGION_KEYS,
    REGION_LABELS,
    REGION_WEIGHT_MAX,
    RELATIVE_WEIGHT_MAX,
)


class _WeightField(PlainDecimalField):
    """A weight: one message per refused value (1e308 broke both the bound and the digits,
    and the two of Django's messages read as one garbled sentence)."""

    def run_validators(self, value: Any) -> None:
        try:
            super().run_validators(value)
        except ValidationError as exc:
            raise ValidationError(exc.error_list[:1]) from None


def _weight(label: Any, top: float, *, group: str, positive: bool = False) -> forms.DecimalField:
    shown = f"{top:g}"
    digits = format_lazy(_("请填写 0 到 {top} 之间的数，最多 4 位小数。"), top=shown)
    return _WeightField(
        label=label,
        min_value=Decimal("0.0001") if positive else Decimal(0),
        max_value=Decimal(str(top)),
        max_digits=10,
        decimal_places=4,
        error_messages={
            "invalid": digits,
            "max_value": format_lazy(_("不能大于 {top}。"), top=shown),
            "min_value": _("必须大于 0。") if positive else _("不能小于 0。"),
            "max_digits": digits,
            "max_decimal_places": digits,
            "max_whole_digits": digits,
        },
        widget=forms.NumberInput(attrs={"step": "any", "data-share-group": group}),
    )


class PolicyForm(StyledForm):
    """Every value of a policy version; the first fields are drawn from the current one."""

    high_value_threshold = PlainDecimalField(
        label=_("高价值场景分数线（0–100）"), min_value=0, max_value=100, decimal_places=2
    )
    high_value_min_experts = forms.IntegerField(
        label=_("高价值认定最少专家人数"),
        min_value=1,
        max_value=20,
        help_text=_("评分的专家达到此人数后，平均分才用于认定高价值场景。"),
    )
    major_budget_wan = PlainDecimalField(
        label=_("重大场景预算线（万元）"),
        min_value=0,
        # a line no need can reach makes nothing major (the largest budget: 100 亿元)
        max_value=Decimal(BUDGET_MAX_CNY // 10_000),
        decimal_places=2,
        help_text=_("预算达到此数的需求为重大场景，须经省级审核。"),
    )
    recommendations_per_need = forms.IntegerField(
        label=_("每个需求推荐数"), min_value=1, max_value=50
    )
    preview_need = forms.CharField(
        label=_("预览需求编号（可选）"),
        required=False,
        max_length=64,
        help_text=_("留空则预览最新发布的几个需求。"),
    )
    # The version the page was drawn from: a save merges what this editor changed since then
    # onto the current version (``policy_changes_since``).
    based_on = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("修改说明"),
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("保存新版本时必填：为什么调整。"),
    )

    def __init__(self, *args: Any, criteria: list[dict[str, Any]], **kwargs: Any) -> None:
        self.criteria = criteria
        super().__init__(*args, **kwargs)
        for key in MATCHING_FEATURES:
            self.fields[f"w_{key}"] = _weight(FEATURE_LABELS[key], RELATIVE_WEIGHT_MAX, group="w")
        for key in REGION_KEYS:
            self.fields[f"r_{key}"] = _weight(REGION_LABELS[key], REGION_WEIGHT_MAX, group="r")
        for c in criteria:
            self.fields[f"c_{c['key']}"] = _weight(
                criterion_name(c), RELATIVE_WEIGHT_MAX, group="c", positive=True
            )
        for field in self.fields.values():  # StyledForm styled the first ones only
            css = field.widget.attrs.get("class", "")
            if "form-control" not in css and isinstance(field.widget, forms.NumberInput):
                field.widget.attrs["class"] = f"{css} form-control".strip()

    @classmethod
    def initial_from(cls, policy: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "based_on": policy.version,
            "high_value_threshold": policy.high_value_threshold,
            "high_value_min_experts": policy.high_value_min_experts,
            "major_budget_wan": Decimal(policy.major_budget_threshold_cny) / 10_000,
            "recommendations_per_need": policy.recommendations_per_need,
        }
        initial |= {f"w_{k}": policy.matching_weights.get(k, 0) for k in MATCHING_FEATURES}
        initial |= {f"r_{k}": policy.region_weights.get(k, 0) for k in REGION_KEYS}
        initial |= {f"c_{c['key']}": c["weight"] for c in policy.selection_criteria}
        return initial

    def bound(self, prefix: str, keys: Any) -> list[Any]:
        return [self[f"{prefix}_{k}"] for k in keys]

    def matching_weights(self) -> dict[str, float]:
        return {k: float(self.cleaned_data[f"w_{k}"]) for k in MATCHING_FEATURES}

    def region_weights(self) -> dict[str, float]:
        return {k: float(self.cleaned_data[f"r_{k}"]) for k in REGION_KEYS}

    def values(self) -> dict[str, Any]:
        """The policy fields as the service takes them."""
        data = self.cleaned_data
        criteria = [{**c, "weight": float(data[f"c_{c['key']}"])} for c in self.criteria]
        return {
            "matching_weights": self.matching_weights(),
            "region_weights": self.region_weights(),
            "selection_criteria": criteria,
            "high_value_threshold": float(data["high_value_threshold"]),
            "high_value_min_experts": data["high_value_min_experts"],
            "major_budget_threshold_cny": int(data["major_budget_wan"] * 10_000),
            "recommendations_per_need": data["recommendations_per_need"],
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weights = [data.get(f"w_{k}") for k in MATCHING_FEATURES]
        if all(w is not None for w in weights) and sum(w for w in weights if w) <= 0:
            self.add_error(None, _("撮合特征权重之和必须大于 0。"))
        return data


def shares(values: dict[str, float]) -> dict[str, float]:
    """Each weight's share of their sum (what the engine uses once it normalises)."""
    total = sum(values.values())
    return {k: (v / total if total > 0 else 0.0) for k, v in values.items()}


class NegativeEntryForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("类型"), choices=NegativeListKind.choices, widget=forms.RadioSelect
    )
    keyword = forms.CharField(label=_("关键词"), required=False, max_length=64)
    chain = forms.ChoiceField(label=_("产业链/赛道"), required=False)
    reason = forms.CharField(label=_("理由"), required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "chain", [("", "—"), *[(n.slug, n.name) for n in chain_nodes()]])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The page shows both boxes; an entry is one or the other, and a box filled for the
        # other kind is refused rather than dropped (the entry would not be what was read).
        if data.get("kind") == NegativeListKind.KEYWORD:
            keyword = data.get("keyword", "").strip()
            if not keyword:
                self.add_error("keyword", _("请填写关键词。"))
            elif problem := keyword_problem(keyword):
                self.add_error("keyword", problem)
            if data.get("chain"):
                self.add_error("chain", _("类型为关键词时不填产业链/赛道。"))
        if data.get("kind") == NegativeListKind.CHAIN:
            if not data.get("chain"):
                self.add_error("chain", _("请选择产业链/赛道。"))
            if data.get("keyword", "").strip():
                self.add_error("keyword", _("类型为产业链/赛道时不填关键词。"))
        return data
