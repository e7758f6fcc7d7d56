"""Django admin: every model, review and supervision actions, and the audit trail.

The admin is an adapter like the API. Workflow objects (needs, capabilities, reviews,
pilots, assessments, policy versions, audit rows) are view-only here; their state
changes only through admin actions that call the services, as the signed-in user, so
the same permission rules, row locks and audit rows apply. A refused action shows the
service's message. The few objects an operator may create here (organizations,
memberships, invitations, negative-list entries) are created through their services too.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from scenarios.choices import OrganizationKind, ReviewDecision
from scenarios.errors import DomainError
from scenarios.models import (
    Assessment,
    AuditEvent,
    Capability,
    Committee,
    IdempotencyRecord,
    IndustryChain,
    Invitation,
    Membership,
    NegativeListEntry,
    Notification,
    Organization,
    OrganizationRelation,
    Pilot,
    PolicyVersion,
    Region,
    Review,
    ScenarioNeed,
)
from scenarios.services.accounts import invitation_create
from scenarios.services.audit import audit_record
from scenarios.services.capabilities import capability_reinstate, capability_suspend
from scenarios.services.negative_list import negative_entry_create, negative_entry_deactivate
from scenarios.services.organizations import (
    membership_grant,
    organization_create,
    organization_update,
    organization_verify,
)
from scenarios.services.reviews import review_decide

admin.site.site_header = _("场景机会撮合平台 · 运营管理")
admin.site.site_title = _("场景机会撮合平台")
admin.site.index_title = _("运营管理")

AUDIT_TRAIL_LIMIT = 200


# --- Shared building blocks ----------------------------------------------------------------


class ReasonActionForm(ActionForm):
    """The changelist action bar with a reason box for return / reject / suspend."""

    reason = forms.CharField(
        label=_("理由/意见"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("退回、不予通过、暂停时必填")}),
    )


def action_reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()


def run_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    call: Callable[[Any], object],
    done: str,
) -> None:
    """Call a service per object; report successes once and each refusal by name."""
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except DomainError as exc:
            model_admin.message_user(request, f"{obj}：{exc.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, f"{done}：{succeeded} 条。", messages.SUCCESS)


def admin_link(obj: Model | None) -> str | SafeString:
    if obj is None:
        return "-"
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(obj)
    return format_html('<a href="{}">{}</a>', url, obj)


class ViewOnlyMixin:
    """No add, change or delete: the object changes only through services (actions)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ViewOnlyInline(ViewOnlyMixin, admin.TabularInline):
    """Rows shown for reference; every listed field is read-only."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(self.fields or [])


class ServiceErrorsMixin:
    """Show a service's refusal on the add/change page as a message instead of a 500.

    The admin wraps the whole form view in a transaction, so nothing of the refused
    request is kept; the operator is sent back to the empty form with the reason.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except DomainError as exc:
            detail = "；".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            message = f"{exc.message}（{detail}）" if detail else exc.message
            self.message_user(request, message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())


class AuditTrailMixin:
    """A read-only "审计轨迹" field listing the AuditEvent rows of the object."""

    @admin.display(description=_("审计轨迹"))
    def audit_trail(self, obj: Model | None) -> str | SafeString:
        if obj is None or obj.pk is None:
            return "-"
        events = list(
            AuditEvent.objects.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))
            .select_related("actor")
            .order_by("-id")[:AUDIT_TRAIL_LIMIT]
        )
        if not events:
            return str(_("暂无记录"))
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.action,
                    f"{e.from_state or '-'} → {e.to_state or '-'}",
                    e.actor.get_username() if e.actor else _("系统"),
                    e.reason or "",
                )
                for e in events
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("时间"),
            _("操作"),
            _("状态变化"),
            _("操作人"),
            _("原因/意见"),
            rows,
        )


# --- Reference data --------------------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    ordering = ["code"]


@admin.register(IndustryChain)
class IndustryChainAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["name_zh", "slug", "name_en", "parent", "path"]
    search_fields = ["slug", "name_zh", "name_en", "path"]
    list_select_related = ["parent"]
    ordering = ["path"]


@admin.register(Committee)
class CommitteeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["organization", "tier", "region"]
    list_filter = ["tier"]
    search_fields = ["organization__name", "region__code", "region__name"]
    list_select_related = ["organization", "region"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "version",
        "major_budget_threshold_cny",
        "high_value_threshold",
        "recommendations_per_need",
        "note",
        "created_by",
        "created_at",
    ]
    list_select_related = ["created_by"]
    search_fields = ["note"]


# --- Organizations, people, invitations ----------------------------------------------------


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


@admin.register(OrganizationRelation)
class OrganizationRelationAdmin(admin.ModelAdmin):
    """Declared relations (conflicts of interest); additions and removals are audited."""

    list_display = ["from_org", "kind", "to_org", "note", "created_at"]
    list_filter = ["kind"]
    search_fields = ["from_org__name", "to_org__name", "note"]
    list_select_related = ["from_org", "to_org"]
    autocomplete_fields = ["from_org", "to_org"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="organization_relation.create",
            target=obj,
            data={"from": obj.from_org_id, "to": obj.to_org_id, "kind": obj.kind},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=request.user,
            action="organization_relation.delete",
            target=obj,
            data={"from": obj.from_org_id, "to": obj.to_org_id, "kind": obj.kind},
        )
        super().delete_model(request, obj)

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


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Django's user admin plus the user's organizations and roles."""

    inlines = [*BaseUserAdmin.inlines, UserMembershipInline]


# --- Needs, reviews, pilots ----------------------------------------------------------------


class NeedReviewInline(ViewOnlyInline):
    model = Review
    fields = ["tier", "committee", "decision", "reviewer", "comment", "created_at", "decided_at"]
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return super().get_queryset(request).select_related("committee__organization", "reviewer")


class NeedPilotInline(ViewOnlyInline):
    model = Pilot
    fk_name = "need"
    fields = [
        "capability",
        "status",
        "validation_type",
        "tolerance_until",
        "trl_before",
        "trl_after",
        "started_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pilot]:
        return super().get_queryset(request).select_related("capability")


class NeedAssessmentInline(ViewOnlyInline):
    model = Assessment
    fields = ["expert", "weighted_score", "scores", "comment", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assessment]:
        return super().get_queryset(request).select_related("expert")


def decide_action(decision: str, description: str, done: str) -> Callable[..., None]:
    """An admin action deciding the pending review of each selected need."""

    def action(
        model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
    ) -> None:
        needs = []
        for obj in queryset:
            if isinstance(obj, Review) and obj.decision != ReviewDecision.PENDING:
                # Deciding a closed review would act on a later tier's review instead.
                model_admin.message_user(
                    request, f"{obj.need}：{_('该审核环节已结束。')}", messages.WARNING
                )
                continue
            needs.append(obj.need if isinstance(obj, Review) else obj)
        run_each(
            model_admin,
            request,
            needs,
            lambda need: review_decide(
                actor=request.user,
                need=need,
                decision=decision,
                comment=action_reason(request),
            ),
            done,
        )

    action.__name__ = f"review_{decision}"
    return admin.action(description=description)(action)


approve_reviews = decide_action(ReviewDecision.APPROVED, str(_("审核通过所选需求")), "已通过")
return_reviews = decide_action(
    ReviewDecision.RETURNED, str(_("退回修改所选需求（须填写理由）")), "已退回"
)
reject_reviews = decide_action(
    ReviewDecision.REJECTED, str(_("不予通过所选需求（须填写理由）")), "已不予通过"
)


@admin.register(ScenarioNeed)
class ScenarioNeedAdmin(AuditTrailMixin, ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "ref",
        "title",
        "agency",
        "region",
        "category",
        "status",
        "review_tier",
        "is_major",
        "is_high_value",
        "value_score",
        "published_at",
    ]
    list_filter = [
        "status",
        "review_tier",
        "category",
        "validation_type",
        "is_major",
        "is_high_value",
        "region__level",
    ]
    search_fields = ["ref", "title", "agency__name", "region__name", "region__code"]
    list_select_related = ["agency", "region"]
    date_hierarchy = "created_at"
    action_form = ReasonActionForm
    actions = [approve_reviews, return_reviews, reject_reviews]
    inlines = [NeedReviewInline, NeedAssessmentInline, NeedPilotInline]
    readonly_fields = ["audit_trail"]
    fieldsets = [
        (
            _("场景"),
            {
                "fields": [
                    "ref",
                    "title",
                    "description",
                    "category",
                    "chains",
                    "keywords",
                    "region",
                    "agency",
                    "validation_type",
                    "min_trl",
                    "budget_cny",
                    "resources_offered",
                    "deadline",
                    "is_major",
                ]
            },
        ),
        (_("不公开信息"), {"fields": ["contact_name", "contact_phone", "confidential_notes"]}),
        (
            _("状态"),
            {
                "fields": [
                    "status",
                    "review_tier",
                    "value_score",
                    "is_high_value",
                    "version",
                    "created_by",
                    "created_at",
                    "updated_at",
                    "published_at",
                ]
            },
        ),
        (_("审计轨迹"), {"fields": ["audit_trail"]}),
    ]


@admin.register(Review)
class ReviewAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "need",
        "tier",
        "committee",
        "decision",
        "reviewer",
        "created_at",
        "decided_at",
    ]
    list_filter = ["decision", "tier"]
    search_fields = ["need__ref", "need__title", "committee__organization__name"]
    list_select_related = ["need", "committee__organization", "reviewer"]
    date_hierarchy = "created_at"
    action_form = ReasonActionForm
    actions = [approve_reviews, return_reviews, reject_reviews]


@admin.register(Assessment)
class AssessmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["need", "expert", "weighted_score", "policy", "created_at"]
    search_fields = ["need__ref", "need__title", "expert__username"]
    list_select_related = ["need", "expert", "policy"]


@admin.register(Pilot)
class PilotAdmin(AuditTrailMixin, ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "need",
        "capability",
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
    search_fields = ["need__ref", "need__title", "capability__title", "capability__firm__name"]
    list_select_related = ["need", "capability"]
    readonly_fields = ["audit_trail"]


# --- Capabilities and the negative list ------------------------------------------------------


class CapabilityPilotInline(NeedPilotInline):
    fk_name = "capability"
    fields = [
        "need",
        "status",
        "validation_type",
        "tolerance_until",
        "trl_before",
        "trl_after",
        "started_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pilot]:
        return super().get_queryset(request).select_related("need")


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
    readonly_fields = ["audit_trail"]
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
                    "created_by",
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


@admin.register(NegativeListEntry)
class NegativeListEntryAdmin(ServiceErrorsMixin, AuditTrailMixin, admin.ModelAdmin):
    """Entries are added through ``negative_entry_create`` and switched off, never deleted."""

    list_display = ["__str__", "kind", "active", "reason", "created_by", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["keyword", "reason", "chain__name_zh", "chain__slug"]
    list_select_related = ["chain", "created_by"]
    autocomplete_fields = ["chain"]
    actions = ["deactivate"]
    readonly_fields = ["audit_trail"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["kind", "keyword", "chain", "reason"]
        return ["kind", "keyword", "chain", "reason", "active", "created_by", "audit_trail"]

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

    @admin.action(description=_("停用所选条目"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[NegativeListEntry]) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda entry: negative_entry_deactivate(actor=request.user, entry=entry),
            str(_("已停用")),
        )


# --- Audit trail and platform plumbing -------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The append-only audit trail: searchable, never editable."""

    list_display = [
        "created_at",
        "action",
        "target",
        "from_state",
        "to_state",
        "actor",
        "short_reason",
    ]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_type", "target_id", "reason", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = ["target"]

    @admin.display(description=_("对象"))
    def target(self, obj: AuditEvent) -> str | SafeString:
        app_label, _dot, model_name = obj.target_type.partition(".")
        label = f"{obj.target_type}#{obj.target_id}"
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.target_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("原因/意见"))
    def short_reason(self, obj: AuditEvent) -> str:
        return obj.reason if len(obj.reason) <= 40 else obj.reason[:40] + "…"


@admin.register(Notification)
class NotificationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "verb", "message", "read_at", "created_at"]
    list_filter = ["verb"]
    search_fields = ["user__username", "message", "target_id"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "key", "endpoint", "status_code", "created_at"]
    list_filter = ["status_code"]
    search_fields = ["key", "endpoint", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
