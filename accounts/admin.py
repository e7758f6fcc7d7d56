"""People and their roles in the admin: memberships, invitations, users, declared
relations and the committees (organizations themselves are in ``scenarios.admin``,
beside the verification of firms)."""

from contextvars import ContextVar
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from accounts.models import Committee, Invitation, Membership, OrganizationRelation
from accounts.services.invitations import invitation_create
from accounts.services.organizations import (
    membership_grant,
    organization_relation_add,
    organization_relation_remove,
)
from accounts.services.users import user_password_set
from activity.admin import AuditTrailMixin
from core.admin import ServiceErrorsMixin, ViewOnlyInline, ViewOnlyMixin


@admin.register(Committee)
class CommitteeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["organization", "tier", "region"]
    list_filter = ["tier"]
    search_fields = ["organization__name", "region__code", "region__name"]
    list_select_related = ["organization", "region"]


@admin.register(OrganizationRelation)
class OrganizationRelationAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    """Declared relations (conflicts of interest), added and removed through the services."""

    list_display = ["from_org", "kind", "to_org", "note", "created_at"]
    list_filter = ["kind"]
    search_fields = ["from_org__name", "to_org__name", "note"]
    list_select_related = ["from_org", "to_org"]
    autocomplete_fields = ["from_org", "to_org"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        relation = organization_relation_add(
            actor=request.user,
            from_org=data["from_org"],
            to_org=data["to_org"],
            kind=data["kind"],
            note=data.get("note", ""),
        )
        obj.pk = relation.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        organization_relation_remove(actor=request.user, relation=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for relation in queryset:
            self.delete_model(request, relation)


@admin.register(Membership)
class MembershipAdmin(ServiceErrorsMixin, admin.ModelAdmin):
    """Roles are granted through ``membership_grant`` (role must fit the organization)."""

    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__email", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization"]
    fields = ["user", "organization", "role"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        membership = membership_grant(
            actor=request.user,
            user=data["user"],
            organization=data["organization"],
            role=data["role"],
        )
        obj.pk = membership.pk


class InvitationStatusFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("待接受")), ("accepted", _("已接受")), ("expired", _("已过期"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "open":
            return queryset.filter(accepted_at__isnull=True, expires_at__gt=now)
        if self.value() == "accepted":
            return queryset.filter(accepted_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(accepted_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(Invitation)
class InvitationAdmin(ServiceErrorsMixin, AuditTrailMixin, admin.ModelAdmin):
    """Invitations are issued through ``invitation_create``, which e-mails the link.

    The raw token is never shown; only its hash is stored.
    """

    list_display = [
        "email",
        "organization",
        "role",
        "state",
        "invited_by",
        "expires_at",
        "accepted_at",
    ]
    list_filter = [InvitationStatusFilter, "role", "organization__kind"]
    search_fields = ["email", "organization__name"]
    list_select_related = ["organization", "invited_by"]
    autocomplete_fields = ["organization"]
    date_hierarchy = "created_at"
    readonly_fields = ["audit_trail"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["email", "organization", "role"]
        return [
            "email",
            "organization",
            "role",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "accepted_user",
            "audit_trail",
        ]

    @admin.display(description=_("状态"))
    def state(self, obj: Invitation) -> str:
        if obj.accepted_at is not None:
            return str(_("已接受"))
        if obj.expires_at <= timezone.now():
            return str(_("已过期"))
        return str(_("待接受"))

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        invitation, _token = invitation_create(
            actor=request.user,
            email=data["email"],
            organization=data["organization"],
            role=data["role"],
        )
        obj.pk = invitation.pk


class UserMembershipInline(ViewOnlyInline):
    model = Membership
    fk_name = "user"
    fields = ["organization", "role", "created_at"]
    verbose_name_plural = _("所属组织与角色")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("organization", "user")


# The operator who is setting a password on this request (the password form is built by
# Django's view, which passes it only the target user).
_password_setter: ContextVar[Any] = ContextVar("password_setter", default=None)


class ServicePasswordForm(AdminPasswordChangeForm):
    """Django's password form saving through ``user_password_set``, so that a password set
    by the operator revokes the user's API tokens and is audited, as a reset is."""

    def save(self, commit: bool = True) -> User:
        data = self.cleaned_data
        password = data["password1"] if data["set_usable_password"] else None
        return user_password_set(
            actor=_password_setter.get(), user=self.user, new_password=password
        )


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Django's user admin plus the user's organizations and roles."""

    inlines = [*BaseUserAdmin.inlines, UserMembershipInline]
    change_password_form = ServicePasswordForm

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """A user with memberships, audit rows, assessments… cannot be deleted by anyone:
        say so (Django blamed the operator's permissions) and point to deactivating."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if perms_needed or protected:
            blockers = [str(name) for name in sorted(perms_needed)]
            protected = [*protected, *blockers]
            perms_needed = set()
            self.message_user(
                request,
                _(
                    "该用户已有成员角色、审计记录等业务记录，这些记录须保留，因此不能删除。"
                    "如需禁止其登录，请在用户修改页取消勾选“有效”并保存。"
                ),
                messages.WARNING,
            )
        return deleted, counts, perms_needed, protected

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        reset = _password_setter.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_setter.reset(reset)


# API tokens are secrets the user fetches from POST /api/v1/auth/token/; the stock token
# admin listed every key in clear and let an operator mint one for anyone (silently acting
# as them in the API). A password set here revokes a user's tokens instead.
# (rest_framework.authtoken comes before accounts in INSTALLED_APPS, so its admin is loaded.)
admin.site.unregister(TokenProxy)
