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
from core.admin import (
    ReasonActionForm,
    ViewOnlyInline,
    ViewOnlyMixin,
    action_reason,
    column,
    run_each,
)
from scenarios.admin.pilots import NeedPilotInline
from scenarios.choices import ReviewDecision
from scenarios.models import Assessment, Review, ScenarioNeed
from scenarios.services.reviews import need_approve, need_reject, need_return


class NeedReviewInline(ViewOnlyInline):
    model = Review
    fields = [
        "tier",
        "committee_col",
        "decision",
        "reviewer",
        "comment",
        "created_col",
        "decided_at",
    ]
    ordering = ["id"]
    committee_col = column("committee", _("工作委员会"))
    created_col = column("created_at", _("创建时间"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return super().get_queryset(request).select_related("committee__organization", "reviewer")


class NeedAssessmentInline(ViewOnlyInline):
    model = Assessment
    fields = ["expert_col", "score_col", "scores", "comment", "created_col"]
    expert_col = column("expert", _("专家"))
    score_col = column("weighted_score", _("加权得分"), digits=1)
    created_col = column("created_at", _("提交时间"))

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
        "value_col",
        "published_at",
    ]
    value_col = column("value_score", _("专家评分"), digits=1)
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
    readonly_fields = ["audit_trail", "created_by_col", "value_col"]
    created_by_col = column("created_by", _("创建人"))
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
                    "value_col",
                    "is_high_value",
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


@admin.register(Review)
class ReviewAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "need_col",
        "tier",
        "committee_col",
        "decision",
        "reviewer",
        "created_col",
        "decided_at",
    ]
    need_col = column("need", _("需求"))
    committee_col = column("committee", _("工作委员会"))
    created_col = column("created_at", _("创建时间"))
    list_filter = ["decision", "tier"]
    search_fields = ["need__ref", "need__title", "committee__organization__name"]
    list_select_related = ["need", "committee__organization", "reviewer"]
    date_hierarchy = "created_at"
    action_form = ReasonActionForm
    actions = [approve_reviews, return_reviews, reject_reviews]


@admin.register(Assessment)
class AssessmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["need_col", "expert_col", "score_col", "policy_col", "created_col"]
    need_col = column("need", _("需求"))
    expert_col = column("expert", _("专家"))
    score_col = column("weighted_score", _("加权得分"), digits=1)
    policy_col = column("policy", _("政策版本"))
    created_col = column("created_at", _("提交时间"))
    search_fields = ["need__ref", "need__title", "expert__username"]
    list_select_related = ["need", "expert", "policy"]
