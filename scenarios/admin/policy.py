"""The province policy (versions, view-only) and the negative list in the admin."""

from typing import Any

from django import forms
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from activity.admin import AuditTrailMixin
from core.admin import ServiceErrorsMixin, ViewOnlyMixin, column
from scenarios.choices import NegativeListKind
from scenarios.models import NegativeListEntry, PolicyVersion
from scenarios.services.negative_list import negative_entry_create


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "version",
        "major_budget_threshold_cny",
        "high_value_threshold",
        "high_value_min_experts",
        "recommendations_per_need",
        "note",
        "created_by_col",
        "created_at",
    ]
    created_by_col = column("created_by", _("创建人"))
    list_select_related = ["created_by"]
    search_fields = ["note"]


class NegativeListEntryForm(forms.ModelForm):
    """The kind decides which of keyword and chain is filled: said on the field (the table's
    check constraint would only give its own name)."""

    class Meta:
        model = NegativeListEntry
        fields = ["kind", "keyword", "chain", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        keyword = (data.get("keyword") or "").strip()
        chain = data.get("chain")
        if kind == NegativeListKind.KEYWORD:
            if not keyword:
                self.add_error("keyword", _("类型为关键词时请填写关键词。"))
            if chain is not None:
                self.add_error("chain", _("类型为关键词时不填产业链/赛道。"))
        elif kind == NegativeListKind.CHAIN:
            if chain is None:
                self.add_error("chain", _("类型为产业链/赛道时请选择产业链/赛道。"))
            if keyword:
                self.add_error("keyword", _("类型为产业链/赛道时不填关键词。"))
        return data


@admin.register(NegativeListEntry)
class NegativeListEntryAdmin(ServiceErrorsMixin, AuditTrailMixin, admin.ModelAdmin):
    """Entries are added through ``negative_entry_create``, never deleted, and switched off on
    the province's policy page (or the API), which take the reason the audit keeps."""

    form = NegativeListEntryForm

    list_display = ["__str__", "kind", "active", "reason", "created_by_col", "created_at"]
    created_by_col = column("created_by", _("创建人"))
    list_filter = ["kind", "active"]
    search_fields = ["keyword", "reason", "chain__name_zh", "chain__slug"]
    list_select_related = ["chain", "created_by"]
    autocomplete_fields = ["chain"]
    actions = None
    readonly_fields = ["audit_trail", "created_by_col"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["kind", "keyword", "chain", "reason"]
        return ["kind", "keyword", "chain", "reason", "active", "created_by_col", "audit_trail"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        chain = data.get("chain")
        entry = negative_entry_create(
            actor=request.user,
            kind=data["kind"],
            reason=data["reason"],
            keyword=data.get("keyword", ""),
            chain_slug=chain.slug if chain else "",
        )
        obj.pk = entry.pk
