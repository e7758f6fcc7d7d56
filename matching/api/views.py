"""Matching API: start and watch runs, read explained matches, review recommendations."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from matching import selectors
from matching.api import serializers as s
from matching.filters import MatchFilter
from matching.models import Match, MatchRun
from matching.services import recommendations, runs


@extend_schema_view(
    list=extend_schema(summary="匹配批次列表（管理员与工作委员会）"),
    retrieve=extend_schema(summary="匹配批次进度"),
    create=extend_schema(
        request=s.MatchRunInputSerializer,
        responses={202: s.MatchRunSerializer},
        summary="发起匹配（全量/单个需求/单个能力），异步执行",
    ),
)
class MatchRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.MatchRunSerializer
    filterset_fields = ["status", "scope"]
    filterset_class: Any = None  # the matches action sets MatchFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[MatchRun]:
        return selectors.match_run_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.MatchRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = runs.match_run_request(
            scope=data.validated_data["scope"],
            object_id=data.validated_data.get("object_id"),
            actor=request.user,
        )
        return Response(s.MatchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: s.MatchRunSerializer}, summary="取消批次")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run = runs.match_run_cancel(run_id=self.get_object().pk, actor=request.user)
        return Response(s.MatchRunSerializer(run).data)


@extend_schema_view(
    list=extend_schema(summary="撮合结果（默认当前结果；?run=批次编号 查看该批次全部结果）"),
    retrieve=extend_schema(summary="撮合结果与得分解释"),
)
class MatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.MatchSerializer
    filterset_class = MatchFilter
    ordering_fields = ["score", "rank", "need", "id"]
    ordering = ["need_id", "rank"]

    def get_queryset(self) -> QuerySet[Match]:
        qs = selectors.match_list_for_user(user=self.request.user)
        if self.action != "list" or "run" in self.request.query_params:
            # One row by id, or a run's own rows: current or superseded (``is_current``
            # says which; answering a superseded row is refused with a clear conflict).
            return qs
        return qs.current()

    @extend_schema(
        request=s.RespondInputSerializer,
        responses={200: s.PairReviewSerializer},
        summary="企业答复推荐（有意向/不参与）",
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        data = s.RespondInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = recommendations.pair_respond(
            actor=request.user,
            match=self.get_object(),
            interested=data.validated_data["interested"],
            note=data.validated_data.get("note", ""),
        )
        return Response(s.PairReviewSerializer(review).data)

    @extend_schema(
        request=s.ShortlistInputSerializer,
        responses={200: s.PairReviewSerializer},
        summary="需求单位入围",
    )
    @action(detail=True, methods=["post"])
    def shortlist(self, request: Request, pk: str | None = None) -> Response:
        data = s.ShortlistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = recommendations.pair_shortlist(
            actor=request.user,
            match=self.get_object(),
            shortlisted=data.validated_data["shortlisted"],
        )
        return Response(s.PairReviewSerializer(review).data)

    @extend_schema(
        request=s.ApproveInputSerializer,
        responses={200: s.PairReviewSerializer},
        summary="批准进入场景验证（创建试点）",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        data = s.ApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        review = recommendations.pair_decide(
            actor=request.user,
            match=self.get_object(),
            approve=True,
            reason=v.get("reason", ""),
            tolerance_until=v["tolerance_until"],
            validation_type=v.get("validation_type"),
        )
        return Response(s.PairReviewSerializer(review).data)

    @extend_schema(
        request=s.RejectInputSerializer,
        responses={200: s.PairReviewSerializer},
        summary="驳回推荐（须填写理由）",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        data = s.RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = recommendations.pair_decide(
            actor=request.user,
            match=self.get_object(),
            approve=False,
            reason=data.validated_data["reason"],
        )
        return Response(s.PairReviewSerializer(review).data)
