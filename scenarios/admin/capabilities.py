"""Capabilities in the admin: view-only, suspended and reinstated through the services."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from activity.admin import AuditTrailMixin
from core.admin import ReasonActionForm, ViewOnlyMixin, action_reason, column, run_each
from scenarios.admin.pilots import CapabilityPilotInline
from scenarios.models import Capability
from scenarios.services.capabilities import capability_reinstate, capability_suspend


@admin.register(Capability)
class CapabilityAdmin(AuditTrailMixin, ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["ref", "title", "firm", "region", "trl", "capacity", "status", "published_at"]
    list_filter = ["status", "trl", "region__level"]
    search_fields = ["ref", "title", "firm__name", "firm__credit_code"]
    list_select_related = ["firm", "region"]
    date_hierarchy = "created_at"
    action_form = ReasonActionForm
    actions = ["suspend", "reinstate"]
    inlines = [CapabilityPilotInline]
    readonly_fields = ["audit_trail", "created_by_col"]
    created_by_col = column("created_by", _("创建人"))
    fieldsets = [
        (
            _("能力"),
            {
                "fields": [
                    "ref",
                    "firm",
                    "title",
                    "description",
                    "chains",
                    "keywords",
                    "trl",
                    "region",
                    "certifications",
                    "past_cases",
                    "capacity",
                ]
            },
        ),
        (
            _("状态"),
            {
                "fields": [
                    "status",
                    "version",
                    "created_by_col",
                    "created_at",
                    "updated_at",
                    "published_at",
                ]
            },
        ),
        (_("审计轨迹"), {"fields": ["audit_trail"]}),
    ]

    @admin.action(description=_("暂停所选能力（须填写理由）"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Capability]) -> None:
        reason = action_reason(request)
        run_each(
            self,
            request,
            queryset,
            lambda cap: capability_suspend(actor=request.user, capability=cap, reason=reason),
            str(_("已暂停")),
        )

    @admin.action(description=_("恢复发布所选能力"))
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Capability]) -> None:
        reason = action_reason(request)
        run_each(
            self,
            request,
            queryset,
            lambda cap: capability_reinstate(actor=request.user, capability=cap, reason=reason),
            str(_("已恢复发布")),
        )
