"""The forms of committee members and experts: a review decision, a decision on a shortlisted
pair, supervising a capability, recognising a pilot, and an expert's scores. Each form is
drawn once per row with its own ids (``auto_id``); a refused one comes back bound, with
what was typed and the message in place."""

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.forms import PlainDecimalField, StyledForm
from portal.forms.items import TRL_CHOICES
from portal.labels import criterion_description, criterion_name
from scenarios.choices import Certification, ValidationType

REASON_MAX = 500


def _blank(form: forms.Form, data: dict[str, Any], name: str) -> bool:
    """The field was left empty (not refused for another reason, e.g. too long)."""
    return name not in form.errors and not str(data.get(name, "")).strip()


def row_ids(pk: Any) -> str:
    """``auto_id`` for the forms of one row: ids stay unique when a list holds many."""
    return f"id_{pk}_%s"


class ConfirmingRadioSelect(forms.RadioSelect):
    """Radios of which some ask before the form is sent (``data-confirm`` on the option:
    portal.js asks when that option is the checked one), as the buttons of other
    irreversible actions do; and of which some may be drawn disabled (``disabled``: values
    not possible for this row)."""

    def __init__(self, *args: Any, confirm: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.confirm = confirm or {}
        self.disabled: frozenset[str] = frozenset()

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.confirm:
            option["attrs"]["data-confirm"] = str(self.confirm[str(value)])
        if str(value) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


class ReviewDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        # Actions to take, not the statuses they lead to (the same words in Chinese, another
        # in English: Approve, not Approved), hence their own context (a literal: makemessages
        # reads it).
        choices=[
            ("approved", pgettext_lazy("committee decision", "通过")),
            ("returned", pgettext_lazy("committee decision", "退回修改")),
            ("rejected", pgettext_lazy("committee decision", "不予通过")),
        ],
        # A rejection closes the need for good (the agency cannot resubmit it).
        widget=ConfirmingRadioSelect(
            confirm={"rejected": _("确定不予通过吗？需求将就此结束，发布单位不能再修改提交。")}
        ),
    )
    comment = forms.CharField(
        label=_("意见（退回或不予通过时必填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") in ("returned", "rejected") and _blank(self, data, "comment"):
            self.add_error("comment", _("退回或不予通过时必须填写理由。"))
        return data


class PairDecisionForm(StyledForm):
    """Approve a shortlisted pair as a pilot, or reject it. ``approvable=False`` (the firm
    has not said it is interested) draws the approval and its fields disabled, so only a
    rejection can be chosen; the service still decides, and says why it refuses."""

    decision = forms.ChoiceField(
        label=_("审批"),
        choices=[("approve", _("批准试点")), ("reject", _("驳回"))],
        widget=ConfirmingRadioSelect,
    )
    tolerance_until = forms.DateField(
        label=_("包容期截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=_("批准时必填：试点期间的容错免责期限，须晚于今天。"),
    )
    validation_type = forms.ChoiceField(
        label=_("验证类型"),
        required=False,
        choices=[("", _("与需求相同")), *ValidationType.choices],
    )
    reason = forms.CharField(
        label=_("意见（驳回时必填）"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, approvable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.approvable = approvable
        tomorrow = timezone.localdate() + timedelta(days=1)
        self.fields["tolerance_until"].widget.attrs["min"] = tomorrow.isoformat()
        if not approvable:
            cast(ConfirmingRadioSelect, self.fields["decision"].widget).disabled = frozenset(
                {"approve"}
            )
            self.fields["tolerance_until"].widget.attrs["disabled"] = True
            self.fields["validation_type"].widget.attrs["disabled"] = True
            if not self.is_bound:
                self.initial.setdefault("decision", "reject")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        approving = data.get("decision") == "approve"
        # Without the firm's interest the date field is disabled: the service's refusal
        # (its real reason) is what the member needs to read, not "the date is missing".
        if (
            approving
            and self.approvable
            and not data.get("tolerance_until")
            and "tolerance_until" not in self.errors
        ):
            self.add_error("tolerance_until", _("批准试点需要包容期截止日期。"))
        if data.get("decision") == "reject" and _blank(self, data, "reason"):
            self.add_error("reason", _("驳回需要填写理由。"))
        return data


class SuperviseForm(StyledForm):
    action = forms.ChoiceField(
        label=_("处理"),
        choices=[
            ("suspend", _("暂停发布")),
            ("return", _("退回修改")),
            ("reinstate", _("恢复发布")),
            ("suspend_firm", _("暂停该企业（全部能力下架，不能再提交）")),
            ("reinstate_firm", _("恢复该企业")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由（暂停、退回或恢复企业时必填，企业可见）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") in ("suspend", "return", "suspend_firm", "reinstate_firm") and _blank(
            self, data, "reason"
        ):
            self.add_error("reason", _("请填写理由。"))
        return data


class FirmActionForm(StyledForm):
    """What a committee does with a firm of its region: verify its registration, record the
    claims it checked (certifications, capacity per capability), suspend or reinstate it."""

    action = forms.ChoiceField(
        label=_("处理"),
        choices=[
            ("verify", _("认证企业")),
            ("certify", _("记录资质核验")),
            ("suspend", _("暂停该企业（全部能力下架，不能再提交）")),
            ("reinstate", _("恢复该企业")),
        ],
        widget=forms.RadioSelect,
    )
    certifications = forms.MultipleChoiceField(
        label=_("核验属实的资质"),
        required=False,
        choices=Certification.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("未勾选的资质在匹配中不计。"),
    )
    capacity = forms.IntegerField(
        label=_("核验的承接能力（每项能力可同时开展的试点数）"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("留空表示未核验：匹配按最多 2 个计。"),
    )
    reason = forms.CharField(
        label=_("理由或核验依据（暂停、恢复时必填，企业可见）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, alike: bool = False, **kwargs: Any) -> None:
        """``alike``: the firm's name resembles another organization's, so verifying it
        needs a word on what was checked (the audit keeps it)."""
        super().__init__(*args, **kwargs)
        self.alike = alike
        if alike:
            self.fields["reason"].label = _(
                "理由或核验依据（认证时必填：写明核对了营业执照的哪些信息；暂停、恢复时必填）"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action in ("suspend", "reinstate") and _blank(self, data, "reason"):
            self.add_error("reason", _("请填写理由。"))
        elif action == "verify" and self.alike and _blank(self, data, "reason"):
            self.add_error(
                "reason", _("名称与已有单位相近：请写明核对了什么（如营业执照的名称和信用代码）。")
            )
        return data


class ProposalDecisionForm(StyledForm):
    """The committee's answer to an agency's direct pilot proposal. ``blocked`` says why no
    pilot can run on the pair now (the firm or the capability suspended since the proposal):
    the approval is drawn disabled, so only declining can be chosen, and is refused with
    those words if sent from a page drawn before."""

    decision = forms.ChoiceField(
        label=_("审批"),
        choices=[("approve", _("批准开展试点")), ("decline", _("不予批准"))],
        widget=ConfirmingRadioSelect,
    )
    tolerance_until = forms.DateField(
        label=_("包容期截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=_("默认为申请中的日期；须晚于今天。"),
    )
    reason = forms.CharField(
        label=_("意见（不予批准时必填，需求单位可见）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, blocked: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blocked = blocked or ""
        tomorrow = timezone.localdate() + timedelta(days=1)
        self.fields["tolerance_until"].widget.attrs["min"] = tomorrow.isoformat()
        if self.blocked:
            cast(ConfirmingRadioSelect, self.fields["decision"].widget).disabled = frozenset(
                {"approve"}
            )
            self.fields["tolerance_until"].widget.attrs["disabled"] = True
            if not self.is_bound:
                self.initial.setdefault("decision", "decline")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "approve" and self.blocked:
            self.add_error("decision", self.blocked)
        if data.get("decision") == "decline" and _blank(self, data, "reason"):
            self.add_error("reason", _("不予批准需要填写理由。"))
        return data


class RecognizeForm(StyledForm):
    first_of_kind = forms.BooleanField(label=_("推荐为首台（套）"), required=False)
    best_practice = forms.BooleanField(label=_("推荐为最佳实践案例"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("first_of_kind") or data.get("best_practice")):
            raise ValidationError(_("请至少选择一项推荐。"))
        return data


class AssessmentForm(StyledForm):
    """One 0–100 score per criterion of the current policy, and a comment."""

    comment = forms.CharField(
        label=_("评审意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, criteria: list[dict[str, Any]], **kwargs: Any) -> None:
        self.criteria = criteria
        super().__init__(*args, **kwargs)
        fields = {}
        for criterion in criteria:
            fields[self.field_name(criterion)] = PlainDecimalField(
                label=criterion_name(criterion),
                help_text=criterion_description(criterion),
                min_value=0,
                max_value=100,
                # No count of digits: 100 bounds the whole part, and "85.123456" was told
                # "no more than 5 digits" where the rule is one decimal place.
                max_digits=None,
                decimal_places=1,
                error_messages={
                    "min_value": _("每项评分必须是0到100之间的数。"),
                    "max_value": _("每项评分必须是0到100之间的数。"),
                    "max_decimal_places": _("每项评分最多保留 1 位小数。"),
                },
                widget=forms.NumberInput(
                    attrs={"class": "form-control", "step": "0.1", "min": "0", "max": "100"}
                ),
            )
        self.fields = {**fields, **self.fields}

    @staticmethod
    def field_name(criterion: dict[str, Any]) -> str:
        return f"score_{criterion['key']}"

    def scores(self) -> dict[str, float]:
        # "-0" is 0, not -0.0 (shown back as "-0.0").
        values = {c["key"]: float(self.cleaned_data[self.field_name(c)]) for c in self.criteria}
        return {k: abs(v) if v == 0 else v for k, v in values.items()}


class MilestoneForm(StyledForm):
    """One milestone of a pilot; a row left blank is dropped."""

    title = forms.CharField(label=_("里程碑"), max_length=200, required=False)
    due = forms.DateField(
        label=_("计划日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    done = forms.BooleanField(label=_("已完成"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A title refused by its own checks (too long) is missing from the cleaned data but
        # was typed: only a row really left without a name is asked for one.
        title_typed = "title" in self.errors or data.get("title", "").strip()
        if not title_typed and (data.get("due") or data.get("done")):
            self.add_error("title", _("请填写里程碑名称，或清空这一行。"))
        return data


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=2, max_num=50, validate_max=True)


class ConcludeForm(StyledForm):
    """A pilot's outcome as its agency records it. ``trl_before``: the capability's maturity
    when the pilot began, which a successful pilot does not lower; checked with the other
    fields (checked after them, it showed in a second round, once the note was fixed)."""

    outcome = forms.ChoiceField(
        label=_("结果"),
        choices=[("validated", _("验证成功")), ("failed", _("验证未通过"))],
        widget=forms.RadioSelect,
    )
    trl_after = forms.TypedChoiceField(
        label=_("验证后技术成熟度"),
        coerce=int,
        choices=[("", "—"), *TRL_CHOICES],
    )
    note = forms.CharField(
        label=_("结论说明"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, trl_before: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trl_before = trl_before

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        before, after = self.trl_before, data.get("trl_after")
        if data.get("outcome") != "validated" or before is None or not isinstance(after, int):
            return data
        if after < before:
            self.add_error(
                "trl_after",
                _("验证成功时，验证后的成熟度不应低于验证前（%(n)s 级）。") % {"n": before},
            )
        return data
