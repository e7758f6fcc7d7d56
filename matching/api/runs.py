"""Matching runs: start one (full, a need, a capability), watch its progress, cancel it."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.fields import IdField, ModelSerializer, Serializer, reject_body_fields
from matching import selectors
from matching.models import MatchRun, RunScope
from matching.services import runs
from matching.services.runs import run_progress


class MatchRunInputSerializer(Serializer):
    scope = serializers.ChoiceField(choices=RunScope.choices)
    object_id = IdField(
        required=False,
        allow_null=True,
        help_text="need id (scope=need) or capability id (scope=capability)",
    )


class MatchRunSerializer(ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "scope",
            "target_id",
            "policy_version",
            "status",
            "total",
            "processed",
            "progress",
            "chunk_count",
            "params",
            "counts",
            "timings",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, obj: MatchRun) -> float:
        return run_progress(obj)


MatchRunInputSerializer.output_serializer = MatchRunSerializer


@extend_schema_view(
    list=extend_schema(summary="匹配批次列表（管理员与工作委员会）"),
    retrieve=extend_schema(summary="匹配批次进度"),
    create=extend_schema(
        request=MatchRunInputSerializer,
        responses={202: MatchRunSerializer},
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
    serializer_class = MatchRunSerializer
    filterset_fields = ["status", "scope"]
    filterset_class: Any = None  # the matches action sets MatchFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]
    # Who may call each verb at all (core.api.permissions.ActorChecks), before the body.
    actor_checks = {"create": runs.check_operator, "cancel": runs.check_run_canceller}

    def get_queryset(self) -> QuerySet[MatchRun]:
        return selectors.match_run_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = MatchRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = runs.match_run_request(
            scope=data.validated_data["scope"],
            object_id=data.validated_data.get("object_id"),
            actor=request.user,
        )
        return Response(MatchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: MatchRunSerializer}, summary="取消批次")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run_id = self.get_object().pk
        reject_body_fields(request.data)
        run = runs.match_run_cancel(run_id=run_id, actor=request.user)
        return Response(MatchRunSerializer(run).data)
