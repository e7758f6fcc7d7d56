"""Organizations in the admin: created and edited through the accounts services, firms
verified through ``organization_verify`` (which publishes their waiting capabilities)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.choices import OrganizationKind
from accounts.models import Membership, Organization
from accounts.services.organizations import organization_create, organization_update
from activity.admin import AuditTrailMixin
from core.admin import ServiceErrorsMixin, ViewOnlyInline, run_each
from scenarios.services.firms import organization_verify


class VerifiedFilter(admin.SimpleListFilter):
    title = _("认证状态")
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("已认证")), ("no", _("未认证"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(verified_at__isnull=True)
        return queryset


class OrganizationMembershipInline(ViewOnlyInline):
    model = Membership
    fk_name = "organization"
    fields = ["user", "role", "created_at"]
    verbose_name_plural = _("成员")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "organization")


@admin.register(Organization)
class OrganizationAdmin(ServiceErrorsMixin, AuditTrailMixin, admin.ModelAdmin):
    """Create through ``organization_create``; profile edits through ``organization_update``."""

    list_display = ["name", "kind", "region", "credit_code", "is_verified_flag", "created_at"]
    list_filter = ["kind", VerifiedFilter, "region__level"]
    search_fields = ["name", "credit_code", "contact_name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    inlines = [OrganizationMembershipInline]
    actions = ["verify_firms"]
    add_fields = ["kind", "name", "region", "credit_code", "contact_name", "contact_phone"]
    change_fields = ["name", "contact_name", "contact_phone"]
    info_fields = ["kind", "region", "credit_code", "verified_at", "verified_by", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": self.add_fields})]
        return [
            (_("资料（可修改）"), {"fields": self.change_fields}),
            (_("登记信息"), {"fields": self.info_fields}),
            (_("审计轨迹"), {"fields": ["audit_trail"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else [*self.info_fields, "audit_trail"]

    @admin.display(description=_("已认证"), boolean=True, ordering="verified_at")
    def is_verified_flag(self, obj: Organization) -> bool:
        return obj.is_verified

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in self.change_fields}
            if changes:
                organization_update(actor=request.user, organization=obj, **changes)
            return
        created = organization_create(
            actor=request.user,
            kind=data["kind"],
            name=data["name"],
            region=data["region"],
            credit_code=data.get("credit_code"),
            contact_name=data.get("contact_name", ""),
            contact_phone=data.get("contact_phone", ""),
        )
        obj.pk = created.pk

    @admin.action(description=_("认证所选企业"))
    def verify_firms(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        firms = queryset.filter(kind=OrganizationKind.FIRM)
        run_each(
            self,
            request,
            firms,
            lambda org: organization_verify(actor=request.user, organization=org),
            str(_("已认证")),
        )
