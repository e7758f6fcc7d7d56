"""The forms of needs and capabilities: chains and regions picked from trees, keywords as
tags, budgets in 万元. They turn what people type into the services' values; the services
check the rules (jurisdiction, versions, the negative list)."""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.validators import phone_validator
from portal.forms import PlainDecimalField, StyledForm, service_check, set_choices
from portal.forms.accounts import region_choices
from reference.models import Region
from reference.selectors import (
    RegionNode,
    chain_nodes,
    home_region_tree,
    region_full_name,
    regions_by_code,
)
from scenarios.choices import BUDGET_MAX_CNY, Certification, ScenarioCategory, ValidationType
from scenarios.models import Capability, ScenarioNeed
from scenarios.services.capabilities import clean_list
from scenarios.services.common import MAX_KEYWORD_LENGTH, MAX_KEYWORDS, clean_keywords
from scenarios.services.needs import check_deadline
from scenarios.services.policy import policy_current

SPLIT_RE = re.compile(r"[;；,，、\n]+")
# Technology readiness levels, as GB/T 22900 names them in short: a newcomer choosing a
# bare 1-9 had nothing to go by.
TRL_NAMES = {
    1: _("基本原理清晰"),
    2: _("技术概念和应用设想明确"),
    3: _("关键功能通过实验室验证"),
    4: _("原理样机在实验室环境验证"),
    5: _("样机在模拟使用环境验证"),
    6: _("系统原型在模拟使用环境演示"),
    7: _("系统原型在真实使用环境演示"),
    8: _("实际系统完成并通过试验验证"),
    9: _("实际系统经过规模应用考验"),
}

TRL_CHOICES = [(n, format_lazy("{} · {}", n, name)) for n, name in TRL_NAMES.items()]


def split_words(text: str) -> list[str]:
    return [w.strip() for w in SPLIT_RE.split(text or "") if w.strip()]


def home_region_choices(
    jurisdictions: list[str] | None = None, keep: str | None = None, *, home_only: bool = True
) -> list[tuple[str, str]]:
    """Regions of the home province, indented: the subtrees of ``jurisdictions`` (the
    agencies' regions, or a firm's, which may lie outside the province when ``home_only`` is
    false) or the whole province, and ``keep`` (an item's current region)
    wherever it lies, so an edit never finds its own value refused by the picker."""
    options: list[tuple[str, str]] = []
    home = home_region_tree()
    by_code = regions_by_code()
    roots = [by_code[c] for c in jurisdictions or () if c in by_code]
    if home_only or not roots:  # a firm registered elsewhere offers from its own region
        roots = [r for r in roots if r.path.startswith(home.path)] or [home]
    # An agency's region inside another's is already listed under it.
    roots = [r for r in roots if not any(o is not r and r.path.startswith(o.path) for o in roots)]

    def walk(node: RegionNode, depth: int) -> None:
        options.append((node.code, "\u3000" * depth + node.name))
        for child in sorted(node.children, key=lambda n: n.code):
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda n: n.code):
        walk(root, 0)
    if keep and keep in by_code and all(code != keep for code, _l in options):
        options.insert(0, (keep, region_full_name(keep)))
    return options


class ItemForm(StyledForm):
    """What needs and capabilities share: title, description, chains, keywords.

    Every field's errors show in one round: the service runs only when the whole form is
    valid, so the rules it alone checked (text of invisible characters only, the keyword
    limits, the deadline's window) are run here too, from the same code: the model's field
    validators in ``clean`` and the services' checks in ``clean_<field>``."""

    model: type[models.Model]  # whose field validators apply to the fields of that name

    title = forms.CharField(label=_("名称"), max_length=200)
    description = forms.CharField(
        label=_("描述"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    chains = forms.MultipleChoiceField(
        label=_("产业链/赛道"),
        help_text=_("选择一个或多个，最多 10 个。"),
        widget=forms.CheckboxSelectMultiple,
    )
    keywords = forms.CharField(
        label=_("技术关键词"),
        required=False,
        max_length=800,
        help_text=_("输入后按回车添加；最多 20 个，每个最多 32 字。"),
        widget=forms.TextInput(attrs={"data-tags": "1"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # A create form's token (portal.views.once): sent again, it creates nothing new.
    once = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "chains", [(n.slug, n.name) for n in chain_nodes()])
        self.fields["keywords"].widget.attrs["data-tags-label"] = str(_("添加关键词"))
        self.fields["keywords"].widget.attrs["data-tags-remove"] = str(_("删除"))
        self.fields["keywords"].widget.attrs["data-tags-max"] = str(MAX_KEYWORD_LENGTH)
        self.fields["keywords"].widget.attrs["data-tags-too-long"] = str(
            _("“%%s”超过 %(n)s 个字，请缩短后再添加。") % {"n": MAX_KEYWORD_LENGTH}
        )
        # The chips stop at the service's count, saying so, instead of the save refusing it.
        self.fields["keywords"].widget.attrs["data-tags-count"] = str(MAX_KEYWORDS)
        self.fields["keywords"].widget.attrs["data-tags-too-many"] = str(
            _("最多 %(n)s 个关键词：“%%s”未添加。") % {"n": MAX_KEYWORDS}
        )

    def clean_chains(self) -> list[str]:
        chains = self.cleaned_data["chains"]
        if len(chains) > 10:
            raise forms.ValidationError(_("最多选择 10 个产业链/赛道。"))
        return chains

    def clean_keywords(self) -> list[str]:
        words = split_words(self.cleaned_data.get("keywords", ""))
        return service_check("keywords", lambda: clean_keywords(words))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in list(data.items()):
            if self.fields[name].widget.is_hidden:
                continue  # the version sent back, which the service compares
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not isinstance(field, models.Field):
                continue
            try:
                field.run_validators(value)  # what the service's full_clean runs on it
            except ValidationError as exc:
                self.add_error(name, exc)
        return data

    def service_values(self) -> dict[str, Any]:
        """The cleaned values as the service takes them."""
        values = dict(self.cleaned_data)
        values.pop("version", None)
        values.pop("once", None)
        return values


class NeedForm(ItemForm):
    model = ScenarioNeed
    category = forms.ChoiceField(label=_("场景类型"), choices=ScenarioCategory.choices)
    region = forms.ChoiceField(
        label=_("场景所在地"),
        help_text=_("本单位辖区内的地区。"),
        error_messages={"invalid_choice": _("所选地区不在本单位的辖区内，请从列表中选择。")},
    )
    validation_type = forms.ChoiceField(label=_("验证类型"), choices=ValidationType.choices)
    min_trl = forms.TypedChoiceField(
        label=_("最低技术成熟度"), choices=TRL_CHOICES, coerce=int, initial=5
    )
    budget_wan = PlainDecimalField(
        label=_("预算（万元）"),
        required=False,
        min_value=0,
        max_value=BUDGET_MAX_CNY // 10_000,  # in 万元
        decimal_places=2,
        help_text=_("可留空。"),
        error_messages={
            "invalid": _("请输入金额（万元）。"),
            "max_value": _("预算最多 1,000,000 万元（100 亿元）。"),
            "min_value": _("预算不能为负数。"),
            "max_decimal_places": _("最多两位小数。"),
        },
    )
    deadline = forms.DateField(
        label=_("截止日期"),
        required=False,
        # A date input takes only ISO dates: the localized "2027/06/30" would render as empty
        # and the next save would clear the deadline.
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    is_major = forms.BooleanField(label=_("重大场景（需省级工作委员会审核）"), required=False)
    resources_offered = forms.CharField(
        label=_("开放资源"),
        required=False,
        max_length=2000,
        help_text=_("可提供的场地、数据、设备、示范路段等。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_name = forms.CharField(label=_("联系人（不公开）"), required=False, max_length=64)
    contact_phone = forms.CharField(
        label=_("联系电话（不公开）"), required=False, max_length=32, validators=[phone_validator]
    )
    confidential_notes = forms.CharField(
        label=_("内部备注（不公开）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    agency = forms.ChoiceField(label=_("发布单位"), required=False)

    def __init__(
        self,
        *args: Any,
        agencies: list[tuple[int, str]] | None = None,
        jurisdictions: list[str] | None = None,
        keep_region: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["title"].label = _("场景名称")
        self.fields["description"].label = _("场景描述")
        self.fields["description"].help_text = _("要解决的问题、应用场景和对技术的要求。")
        # The line the review routing applies at submission, said where the budget is typed.
        line = Decimal(policy_current().major_budget_threshold_cny) / 10_000
        self.fields["is_major"].help_text = _(
            "预算达到 %(line)s 万元及以上的需求，提交后自动列为重大场景，由省级工作委员会终审。"
        ) % {"line": f"{line.normalize():,f}"}
        set_choices(self, "region", home_region_choices(jurisdictions, keep_region))
        if agencies and len(agencies) > 1:
            set_choices(self, "agency", [(str(pk), name) for pk, name in agencies])
            self.fields["agency"].required = True
        else:
            del self.fields["agency"]

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data.get("deadline")
        if deadline is not None:
            service_check("deadline", lambda: check_deadline(deadline))
        return deadline

    def service_values(self) -> dict[str, Any]:
        values = super().service_values()
        values.pop("agency", None)
        wan = values.pop("budget_wan")
        values["budget_cny"] = None if wan is None else int(Decimal(wan) * 10_000)
        values["region"] = Region.objects.get(code=values.pop("region"))
        return values

    @staticmethod
    def initial_from(need: Any) -> dict[str, Any]:
        return {
            "title": need.title,
            "description": need.description,
            "chains": [c.slug for c in need.chains.all()],
            "keywords": ";".join(need.keywords),
            "category": need.category,
            "region": need.region_id,
            "validation_type": need.validation_type,
            "min_trl": need.min_trl,
            "budget_wan": None if need.budget_cny is None else Decimal(need.budget_cny) / 10_000,
            "deadline": need.deadline,
            # A mark the platform set for the budget is not the agency's tick.
            "is_major": need.is_major and not need.major_by_budget,
            "resources_offered": need.resources_offered,
            "contact_name": need.contact_name,
            "contact_phone": need.contact_phone,
            "confidential_notes": need.confidential_notes,
            "version": need.version,
        }


class CapabilityForm(ItemForm):
    model = Capability
    trl = forms.TypedChoiceField(label=_("技术成熟度"), choices=TRL_CHOICES, coerce=int, initial=6)
    region = forms.ChoiceField(label=_("能力所在地"))
    certifications = forms.MultipleChoiceField(
        label=_("资质认定"),
        choices=Certification.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    past_cases = forms.CharField(
        label=_("过往案例"),
        required=False,
        max_length=4200,
        help_text=_("每行一个案例，最多 20 个，每个不超过 200 字。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    capacity = forms.IntegerField(
        label=_("可同时承接试点数"), min_value=1, max_value=1000, initial=1
    )

    def __init__(
        self,
        *args: Any,
        firm_region: str | None = None,
        keep_region: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].label = _("能力名称")
        self.fields["description"].label = _("能力描述")
        self.fields["description"].help_text = _(
            "技术、产品或解决方案能做什么、用在哪里、效果如何。"
        )
        set_choices(
            self,
            "region",
            home_region_choices([firm_region], keep_region, home_only=False)
            if firm_region
            else region_choices(),
        )

    def clean_past_cases(self) -> list[str]:
        lines = (self.cleaned_data.get("past_cases") or "").splitlines()
        return service_check("past_cases", lambda: clean_list(lines, "past_cases"))

    def service_values(self) -> dict[str, Any]:
        values = super().service_values()
        values["region"] = Region.objects.get(code=values.pop("region"))
        return values

    @staticmethod
    def initial_from(capability: Any) -> dict[str, Any]:
        return {
            "title": capability.title,
            "description": capability.description,
            "chains": [c.slug for c in capability.chains.all()],
            "keywords": ";".join(capability.keywords),
            "trl": capability.trl,
            "region": capability.region_id,
            "certifications": list(capability.certifications),
            "past_cases": "\n".join(capability.past_cases),
            "capacity": capability.capacity,
            "version": capability.version,
        }
