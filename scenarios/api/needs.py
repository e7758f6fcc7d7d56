"""Scenario needs (机会清单 entries): CRUD for their agency, the review and lifecycle verbs,
expert assessments and the audit trail."""

from typing import Any

from django.db.models import Case, F, FloatField, QuerySet, Value, When
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import OrganizationBriefSerializer
from accounts.choices import OrganizationKind, Role
from accounts.models import Organization
from activity.api.audit import AuditEventSerializer
from core.api.fields import (
    IdField,
    Int64Field,
    ModelSerializer,
    RealField,
    Serializer,
    SlugStringField,
    StringField,
    WholeNumberField,
)
from core.api.filters import KnownParametersFilter
from scenarios import assessment_selectors, selectors
from scenarios.access import (
    check_agency_editor,
    check_agency_staff,
    check_need_insider,
    check_need_reviewer,
    is_need_insider,
)
from scenarios.api.common import (
    KeywordList,
    ReasonInputSerializer,
    RequiredReasonInputSerializer,
    VersionedResourceViewSet,
    VersionInputSerializer,
    chain_slugs,
)
from scenarios.choices import (
    BUDGET_MAX_CNY,
    ScenarioCategory,
    ValidationType,
)
from scenarios.filters import NEED_SEARCH, NEED_SEARCH_WEIGHTS, NeedFilter
from scenarios.models import (
    Assessment,
    ScenarioNeed,
)
from scenarios.models.needs import CONFIDENTIAL_NEED_FIELDS, SCORE_SHOWN_FROM_EXPERTS
from scenarios.services import assessments, needs, reviews


class NeedInputSerializer(Serializer):
    """Body of POST /needs/ and PATCH /needs/{id}/ (PATCH also takes ``version``)."""

    # A need keeps its agency and ref: PATCH refuses them (read-only), as it does the
    # fields of NeedOutputSerializer that no body sets (``status``, ``id``…).
    create_only_fields = ("ref", "agency")
    update_only_fields = ("version",)

    ref = StringField(max_length=64, required=False)
    agency = IdField(
        required=False, help_text="posting agency id; optional when the user edits for one"
    )
    title = StringField(max_length=200)
    description = StringField(max_length=5000)
    category = serializers.ChoiceField(choices=ScenarioCategory.choices)
    chains = serializers.ListField(
        child=SlugStringField(max_length=64), min_length=1, max_length=10
    )
    keywords = KeywordList
    region_code = StringField(min_length=6, max_length=6, required=False)
    validation_type = serializers.ChoiceField(choices=ValidationType.choices)
    min_trl = WholeNumberField(min_value=1, max_value=9)
    budget_cny = WholeNumberField(
        min_value=0, max_value=BUDGET_MAX_CNY, allow_null=True, required=False
    )
    resources_offered = StringField(max_length=2000, allow_blank=True, required=False)
    deadline = serializers.DateField(allow_null=True, required=False)
    is_major = serializers.BooleanField(
        required=False,
        help_text="the agency's own mark of a major scenario. While the need's "
        "`major_by_budget` is true, its `is_major` is the platform's mark and a true sent "
        "is read as that value: an edit of the budget clears the mark (the next submission "
        "judges the new budget); mark the need major yourself in a later request.",
    )
    contact_name = StringField(max_length=64, allow_blank=True, required=False)
    contact_phone = StringField(max_length=32, allow_blank=True, required=False)
    confidential_notes = StringField(max_length=2000, allow_blank=True, required=False)
    version = Int64Field(
        min_value=1, required=False, help_text="current version, for updates (or If-Match)"
    )


class NeedPublicSerializer(ModelSerializer):
    """A published need as the public sees it: no contacts, no internal notes."""

    chains = serializers.SerializerMethodField()
    region_code = StringField(source="region_id", read_only=True)
    region_name = StringField(source="region.name", read_only=True)
    org_name = StringField(source="agency.name", read_only=True)
    # null for an expert reading a need in review before the panel may be told (see
    # ``to_representation``)
    is_high_value = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        label=ScenarioNeed._meta.get_field("is_high_value").verbose_name,
    )

    class Meta:
        model = ScenarioNeed
        fields = [
            "id",
            "ref",
            "title",
            "description",
            "category",
            "chains",
            "keywords",
            "region_code",
            "region_name",
            "org_name",
            "validation_type",
            "min_trl",
            "budget_cny",
            "resources_offered",
            "deadline",
            "is_major",
            "major_by_budget",
            "status",
            "value_score",
            "is_high_value",
            "published_at",
        ]
        read_only_fields = fields

    def get_chains(self, obj: ScenarioNeed) -> list[str]:
        return chain_slugs(obj)

    def to_representation(self, instance: ScenarioNeed) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not is_need_insider(getattr(request, "user", None), instance):
            # One or two experts' mean is their own scores: shown from three experts on.
            data["value_score"] = instance.shown_value_score
        if hasattr(instance, "shown_is_high_value"):
            # An expert's need in review: the mark as the expert's page shows it
            # (assessment_selectors.with_shown_high_value).
            data["is_high_value"] = instance.shown_is_high_value
        return data


class NeedOutputSerializer(NeedPublicSerializer):
    """A need for signed-in users; confidential fields only for its agency and reviewers."""

    agency = OrganizationBriefSerializer(read_only=True)
    review_tier = StringField(
        read_only=True, help_text="tier of the pending review: county, city, province, or empty"
    )
    contact_name = StringField(read_only=True, allow_null=True)
    contact_phone = StringField(read_only=True, allow_null=True)
    confidential_notes = StringField(read_only=True, allow_null=True)

    class Meta(NeedPublicSerializer.Meta):
        fields = [
            *NeedPublicSerializer.Meta.fields,
            "agency",
            "review_tier",
            "version",
            "created_at",
            "updated_at",
            *CONFIDENTIAL_NEED_FIELDS,
        ]
        read_only_fields = fields

    def to_representation(self, instance: ScenarioNeed) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not is_need_insider(getattr(request, "user", None), instance):
            for name in CONFIDENTIAL_NEED_FIELDS:
                data[name] = None
        return data


NeedInputSerializer.output_serializer = NeedOutputSerializer


class ReviewDecisionInputSerializer(VersionInputSerializer):
    comment = StringField(max_length=2000, allow_blank=True, required=False)


class RequiredCommentInputSerializer(VersionInputSerializer):
    comment = StringField(max_length=2000)


class AssessmentInputSerializer(Serializer):
    scores = serializers.DictField(
        child=RealField(min_value=0, max_value=100),
        help_text="criterion key → score 0-100, one per criterion of the current policy",
    )
    comment = StringField(max_length=2000, allow_blank=True, required=False)


class AssessmentSerializer(ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "need",
            "expert",
            "policy_version",
            "scores",
            "weighted_score",
            "comment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


AssessmentInputSerializer.output_serializer = AssessmentSerializer


NEED_ORDERING = [
    "published_at",
    "created_at",
    "updated_at",
    "value_score",
    "budget_cny",
    "deadline",
    "min_trl",
    "id",
    "relevance",
]

DEFAULT_NEED_ORDERING = ["-is_high_value", "-published_at", "-id"]
# ?ordering=value_score sorts by the score the reader is shown (None below
# SCORE_SHOWN_FROM_EXPERTS experts), not the stored one: the order would give away the
# ranking of means that the rows withhold.
NEED_ORDERING_EXPRESSIONS = {
    "value_score": Case(
        When(
            assessment_count__gte=SCORE_SHOWN_FROM_EXPERTS,
            then=F("value_score"),
        ),
        default=Value(None),
        output_field=FloatField(),
    )
}


def _decision_schema(request_serializer: type[serializers.Serializer], summary: str) -> Any:
    return extend_schema(
        request=request_serializer, responses={200: NeedOutputSerializer}, summary=summary
    )


@extend_schema_view(
    list=extend_schema(summary="场景需求列表（按权限范围）"),
    retrieve=extend_schema(summary="场景需求详情（响应头 ETag 为当前版本）"),
    create=extend_schema(
        request=NeedInputSerializer,
        responses={201: NeedOutputSerializer},
        summary="新建场景需求（草稿）",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="重试不重复创建"
            )
        ],
    ),
    partial_update=extend_schema(
        request=NeedInputSerializer,
        responses={200: NeedOutputSerializer},
        summary="修改草稿/退回的需求（需 If-Match 或 version）",
        parameters=[
            OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, description='当前版本，如 "3"'
            )
        ],
    ),
)
class NeedViewSet(VersionedResourceViewSet):
    """Scenario needs (机会清单 entries) and their lifecycle actions."""

    serializer_class = NeedOutputSerializer
    input_serializer = NeedInputSerializer
    owner_field, owner_role, owner_kind = "agency", Role.AGENCY_EDITOR, OrganizationKind.AGENCY
    filterset_class = NeedFilter
    search_fields = NEED_SEARCH
    search_weights = NEED_SEARCH_WEIGHTS
    ordering_fields = NEED_ORDERING
    ordering = DEFAULT_NEED_ORDERING
    # Who may call each verb at all (core.api.permissions.ActorChecks), before the body.
    actor_checks = {
        "create": check_agency_staff,
        "submit": lambda actor, need: check_agency_editor(actor, need.agency),
        "withdraw": lambda actor, need: check_agency_editor(actor, need.agency),
        "approve": check_need_reviewer,
        "return_": check_need_reviewer,
        "reject": check_need_reviewer,
        "close": check_need_insider,
        "scale": check_need_insider,
        "assess": assessments.check_expert,
    }

    def get_queryset(self) -> QuerySet[ScenarioNeed]:
        return assessment_selectors.with_shown_high_value(
            selectors.need_list_for_user(user=self.request.user), user=self.request.user
        )

    def render_queryset(self) -> QuerySet[ScenarioNeed]:
        return assessment_selectors.with_shown_high_value(
            selectors.need_queryset(), user=self.request.user
        )

    @property
    def ordering_expressions(self) -> dict[str, Any]:
        """The default order's high-value-first sorts an expert's needs by the mark shown
        (a hidden one as not high value), so that the order tells no more than the rows."""
        if assessment_selectors.high_value_hidden_q(user=self.request.user) is None:
            return NEED_ORDERING_EXPRESSIONS
        shown = Coalesce(F("shown_is_high_value"), Value(False))
        return {**NEED_ORDERING_EXPRESSIONS, "is_high_value": shown}

    def create_object(
        self, request: Request, owner: Organization, ref: str | None, values: dict[str, Any]
    ) -> ScenarioNeed:
        return needs.need_create(actor=request.user, agency=owner, ref=ref, **values)

    def update_object(
        self, request: Request, obj: Any, version: int | None, values: dict[str, Any]
    ) -> ScenarioNeed:
        if obj.major_by_budget and values.get("is_major") is True:
            # The stored true is the platform's mark for the budget: sent back as read, it
            # is not the agency's own (a lowered budget then kept the need major).
            del values["is_major"]
        return needs.need_update(actor=request.user, need=obj, expected_version=version, **values)

    @_decision_schema(VersionInputSerializer, "提交审核（进入所在地工作委员会）")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            VersionInputSerializer,
            lambda n, d, v: needs.need_submit(actor=request.user, need=n, expected_version=v),
        )

    @_decision_schema(ReasonInputSerializer, "撤回需求")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            ReasonInputSerializer,
            lambda n, d, v: needs.need_withdraw(
                actor=request.user, need=n, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @_decision_schema(ReviewDecisionInputSerializer, "审核通过（转上级或发布）")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            ReviewDecisionInputSerializer,
            lambda n, d, v: reviews.need_approve(
                actor=request.user, need=n, comment=d.get("comment", ""), expected_version=v
            ),
        )

    @_decision_schema(RequiredCommentInputSerializer, "退回修改（须填写理由）")
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            RequiredCommentInputSerializer,
            lambda n, d, v: reviews.need_return(
                actor=request.user, need=n, comment=d["comment"], expected_version=v
            ),
        )

    @_decision_schema(RequiredCommentInputSerializer, "不予通过（须填写理由）")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            RequiredCommentInputSerializer,
            lambda n, d, v: reviews.need_reject(
                actor=request.user, need=n, comment=d["comment"], expected_version=v
            ),
        )

    @_decision_schema(RequiredReasonInputSerializer, "关闭需求（到期或无成功试点）")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            RequiredReasonInputSerializer,
            lambda n, d, v: needs.need_close(
                actor=request.user, need=n, reason=d["reason"], expected_version=v
            ),
        )

    @_decision_schema(ReasonInputSerializer, "标记为已推广（产业应用）")
    @action(detail=True, methods=["post"])
    def scale(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            ReasonInputSerializer,
            lambda n, d, v: needs.need_mark_scaled(
                actor=request.user, need=n, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @extend_schema(
        request=AssessmentInputSerializer,
        responses={200: AssessmentSerializer},
        summary="专家评分（按遴选标准）",
    )
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str | None = None) -> Response:
        need = self.get_object()
        data = AssessmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = assessments.assessment_submit(
            actor=request.user,
            need=need,
            scores=data.validated_data["scores"],
            comment=data.validated_data.get("comment", ""),
        )
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(responses={200: AuditEventSerializer(many=True)}, summary="审计轨迹")
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[KnownParametersFilter],
        pagination_class=None,
    )
    def history(self, request: Request, pk: str | None = None) -> Response:
        # Only ``format`` is read (an unknown parameter is a 400, as everywhere else).
        events = selectors.need_history_for_user(user=request.user, need=self.get_object())
        return Response(AuditEventSerializer(events, many=True).data)
