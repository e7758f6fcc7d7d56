"""Pilots in the admin: view-only with their audit trail."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from activity.admin import AuditTrailMixin
from core.admin import ViewOnlyInline, ViewOnlyMixin, column
from scenarios.models import Pilot


class NeedPilotInline(ViewOnlyInline):
    model = Pilot
    fk_name = "need"
    fields = [
        "capability_col",
        "status",
        "validation_type",
        "tolerance_until",
        "trl_before",
        "trl_after",
        "started_at",
    ]

    capability_col = column("capability", _("能力"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pilot]:
        return super().get_queryset(request).select_related("capability")


class CapabilityPilotInline(NeedPilotInline):
    fk_name = "capability"
    fields = [
        "need_col",
        "status",
        "validation_type",
        "tolerance_until",
        "trl_before",
        "trl_after",
        "started_at",
    ]

    need_col = column("need", _("需求"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pilot]:
        return super().get_queryset(request).select_related("need")


@admin.register(Pilot)
class PilotAdmin(AuditTrailMixin, ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "need_col",
        "capability_col",
        "status",
        "validation_type",
        "tolerance_until",
        "trl_before",
        "trl_after",
        "first_of_kind_recommended",
        "best_practice_nominated",
    ]
    list_filter = [
        "status",
        "validation_type",
        "first_of_kind_recommended",
        "best_practice_nominated",
    ]
    need_col = column("need", _("需求"))
    capability_col = column("capability", _("能力"))
    search_fields = [
        "need__ref",
        "need__title",
        "capability__title",
        "capability_title",
        "capability__firm__name",
    ]
    list_select_related = ["need", "capability"]
    readonly_fields = ["capability_title", "audit_trail"]
