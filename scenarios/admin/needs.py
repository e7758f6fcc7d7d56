"""Needs, their reviews and expert assessments in the admin: view-only, decided through
admin actions that call ``need_approve`` / ``need_return`` / ``need_reject`` as the
signed-in committee member."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from activity.admin import AuditTrailMixin
from core.admin import ReasonActionForm, ViewOnlyInline, ViewOnlyMixin, action_reason, run_each
from scenarios.admin.pilots import NeedPilotInline
from scenarios.choices import ReviewDecision
from scenarios.models import Assessment, Review, ScenarioNeed
from scenarios.services.reviews import need_approve, need_reject, need_return


class NeedReviewInline(ViewOnlyInline):
    model = Review
    fields = ["tier", "committee", "decision", "reviewer", "comment", "created_at", "decided_at"]
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return super().get_queryset(request).select_related("committee__organization", "reviewer")


class NeedAssessmentInline(ViewOnlyInline):
    model = Assessment
    fields = ["expert", "weighted_score", "scores", "comment", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assessment]:
        return super().get_queryset(request).select_related("expert")


DECIDERS: dict[str, Callable[..., ScenarioNeed]] = {
    ReviewDecision.APPROVED: need_approve,
    ReviewDecision.RETURNED: need_return,
    ReviewDecision.REJECTED: need_reject,
}


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
            lambda need: DECIDERS[decision](
                actor=request.user, need=need, comment=action_reason(request)
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
