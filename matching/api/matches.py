"""Scored pairs with their explanations, and the decisions on recommended ones."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import ModelSerializer, Serializer, StringField
from core.api.mixins import expected_version
from matching import selectors
from matching.api.explain import (
    ExplainQuerySerializer,
    PairExplanationSerializer,
    explain_query,
    explanation_data,
)
from matching.filters import MatchFilter
from matching.models import Match, PairReview
from matching.services import recommendations
from matching.services.explain import pair_explain
from scenarios.choices import ValidationType

BREAKDOWN_SCHEMA = {
    "type": "object",
    "properties": {
        "features": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "each feature in [0, 1]",
        },
        "weights": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "normalised weights; sum(weights×features) = score",
        },
        "matched_keywords": {"type": "array", "items": {"type": "string"}},
        "policy_version": {"type": "integer"},
    },
}


class MatchSerializer(ModelSerializer):
    need_ref = StringField(source="need.ref", read_only=True)
    need_title = StringField(source="need.title", read_only=True)
    capability_ref = StringField(source="capability.ref", read_only=True)
    capability_title = StringField(source="capability.title", read_only=True)
    firm_name = StringField(source="capability.firm.name", read_only=True)
    is_current = serializers.BooleanField(
        read_only=True, help_text="属于该需求当前的匹配批次（否则已被新批次取代）"
    )
    breakdown = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = [
            "id",
            "run",
            "need",
            "need_ref",
            "need_title",
            "capability",
            "capability_ref",
            "capability_title",
            "firm_id",
            "firm_name",
            "score",
            "rank",
            "recommended",
            "is_current",
            "breakdown",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(BREAKDOWN_SCHEMA)
    def get_breakdown(self, obj: Match) -> dict[str, Any]:
        return dict(obj.breakdown)


class PairReviewSerializer(ModelSerializer):
    class Meta:
        model = PairReview
        fields = [
            "id",
            "need",
            "capability",
            "firm_response",
            "firm_note",
            "shortlisted",
            "decision",
            "decision_reason",
            "pilot_id",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class RespondInputSerializer(Serializer):
    interested = serializers.BooleanField()
    note = StringField(max_length=500, required=False, allow_blank=True)


class ShortlistInputSerializer(Serializer):
    shortlisted = serializers.BooleanField(default=True)


class ApproveInputSerializer(Serializer):
    tolerance_until = serializers.DateField(help_text="end of the pilot's tolerance period")
    validation_type = serializers.ChoiceField(choices=ValidationType.choices, required=False)
    reason = StringField(max_length=500, required=False, allow_blank=True)


class RejectInputSerializer(Serializer):
    reason = StringField(max_length=500)


@extend_schema_view(
    list=extend_schema(summary="撮合结果（默认当前结果；?run=批次编号 查看该批次全部结果）"),
    retrieve=extend_schema(summary="撮合结果与得分解释"),
)
class MatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    serializer_class = MatchSerializer
    filterset_class = MatchFilter
    ordering_fields = ["score", "rank", "need", "id"]
    ordering = ["need_id", "rank"]
    # Who may call each verb at all (core.api.permissions.ActorChecks), before the body.
    actor_checks = {
        "respond": recommendations.check_match_firm,
        "shortlist": recommendations.check_match_agency,
        "approve": recommendations.check_match_committee,
        "reject": recommendations.check_match_committee,
    }

    def get_queryset(self) -> QuerySet[Match]:
        qs = selectors.match_list_for_user(user=self.request.user)
        if self.action != "list" or "run" in self.request.query_params:
            # One row by id, or a run's own rows: current or superseded (``is_current``
            # says which; answering a superseded row is refused with a clear conflict).
            return qs
        return qs.current()

    @extend_schema(
        parameters=[ExplainQuerySerializer],
        responses={200: PairExplanationSerializer},
        summary="任一需求与能力组合的得分解释与未推荐原因",
        description=(
            "按现行政策由匹配引擎计算：各项特征（数值、权重、贡献）与得分、匹配的概念（同一词、"
            "同义词、词向量近邻、上下级或相关产业链）、在该需求候选中的排名（或未进入检索、"
            "不在前 50 名），当前结果是否推荐，以及未推荐的原因：需求不在匹配范围、能力未发布、"
            "企业未认证或被暂停、利益冲突、负面清单（哪一条）、低于该需求的推荐线、企业名额"
            "已被哪些需求占用（调用者可见的）。平台管理员；工作委员会成员（需求在本委员会辖区内）；"
            "需求单位（本单位的需求）；企业（本企业的能力）。其他情况一律 404，不透露对象是否存在。"
        ),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="explain",
        filter_backends=[],
        pagination_class=None,
    )
    def explain(self, request: Request) -> Response:
        need_id, capability_id = explain_query(request)
        result = pair_explain(user=request.user, need_id=need_id, capability_id=capability_id)
        if result is None:
            raise NotFound
        return Response(PairExplanationSerializer(explanation_data(result)).data)

    @extend_schema(
        request=RespondInputSerializer,
        responses={200: PairReviewSerializer},
        summary="企业答复推荐（有意向/不参与）",
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        data = RespondInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = recommendations.pair_respond(
            actor=request.user,
            match=match,
            interested=data.validated_data["interested"],
            note=data.validated_data.get("note", ""),
            expected_version=expected_version(request),
        )
        return Response(PairReviewSerializer(review).data)

    @extend_schema(
        request=ShortlistInputSerializer,
        responses={200: PairReviewSerializer},
        summary="需求单位入围",
    )
    @action(detail=True, methods=["post"])
    def shortlist(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        data = ShortlistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = recommendations.pair_shortlist(
            actor=request.user,
            match=match,
            shortlisted=data.validated_data["shortlisted"],
            expected_version=expected_version(request),
        )
        return Response(PairReviewSerializer(review).data)

    @extend_schema(
        request=ApproveInputSerializer,
        responses={200: PairReviewSerializer},
        summary="批准进入场景验证（创建试点）",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        data = ApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        review = recommendations.pair_decide(
            actor=request.user,
            match=match,
            approve=True,
            reason=v.get("reason", ""),
            tolerance_until=v["tolerance_until"],
            validation_type=v.get("validation_type"),
            expected_version=expected_version(request),
        )
        return Response(PairReviewSerializer(review).data)

    @extend_schema(
        request=RejectInputSerializer,
        responses={200: PairReviewSerializer},
        summary="驳回推荐（须填写理由）",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = recommendations.pair_decide(
            actor=request.user,
            match=match,
            approve=False,
            reason=data.validated_data["reason"],
            expected_version=expected_version(request),
        )
        return Response(PairReviewSerializer(review).data)


class AwaitingDecisionSerializer(MatchSerializer):
    """A shortlisted pair as the deciding committee reads it: the match with its
    explanation, and what the firm answered."""

    review_id = serializers.SerializerMethodField()
    review_version = serializers.SerializerMethodField(
        help_text="版本号：批准或驳回时可作 If-Match 发送，企业或需求单位其间改动则返回 412"
    )
    firm_response = serializers.SerializerMethodField()
    firm_note = serializers.SerializerMethodField()
    need_region_code = StringField(source="need.region_id", read_only=True)
    agency_name = StringField(source="need.agency.name", read_only=True)
    waiting_since = serializers.DateTimeField(
        read_only=True, help_text="需求单位入围（或企业最近答复）的时间"
    )

    class Meta(MatchSerializer.Meta):
        fields = [
            *MatchSerializer.Meta.fields,
            "need_region_code",
            "agency_name",
            "review_id",
            "review_version",
            "firm_response",
            "firm_note",
            "waiting_since",
        ]
        read_only_fields = fields

    def _review(self, obj: Match) -> PairReview | None:
        reviews = self.context.get("reviews", {})
        return reviews.get((obj.need_id, obj.capability_id))

    def get_review_id(self, obj: Match) -> int | None:
        review = self._review(obj)
        return review.pk if review else None

    def get_review_version(self, obj: Match) -> int | None:
        review = self._review(obj)
        return review.version if review else None

    @extend_schema_field(
        {"type": "string", "enum": ["", "interested", "declined"], "description": "企业意向"}
    )
    def get_firm_response(self, obj: Match) -> str:
        review = self._review(obj)
        return review.firm_response if review else ""

    def get_firm_note(self, obj: Match) -> str:
        review = self._review(obj)
        return review.firm_note if review else ""


@extend_schema_view(
    list=extend_schema(
        summary="待工作委员会审批的推荐（需求单位已入围、尚未审批；所在委员会辖区）",
        description=(
            "每条为当前批次的撮合结果及其得分解释，附企业答复。批准："
            "POST /api/v1/matches/{id}/approve/（企业须已表示有意向）；"
            "驳回：POST /api/v1/matches/{id}/reject/。非委员会成员得到空列表。"
        ),
    )
)
class AwaitingDecisionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AwaitingDecisionSerializer
    ordering_fields = ["waiting_since", "score", "id"]
    ordering = ["waiting_since", "id"]

    def get_queryset(self) -> QuerySet[Match]:
        return selectors.awaiting_decision_for_user(user=self.request.user)

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        rows = args[0] if args else None
        if rows is not None:
            rows = list(rows)
            args = (rows, *args[1:])
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["reviews"] = selectors.pair_reviews_of(
                pairs=[(m.need_id, m.capability_id) for m in rows]
            )
        return super().get_serializer(*args, **kwargs)
