"""REST views: thin adapters that parse input, call one service or selector, render."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from scenarios import selectors
from scenarios.api import serializers as s
from scenarios.api.mixins import IdempotentCreateMixin, expected_version, with_etag
from scenarios.choices import OrganizationKind, ReviewDecision, Role
from scenarios.errors import InvalidInput
from scenarios.filters import (
    CapabilityFilter,
    NeedFilter,
    NegativeListFilter,
    PilotFilter,
    RegionFilter,
)
from scenarios.models import (
    Capability,
    IndustryChain,
    NegativeListEntry,
    Notification,
    Organization,
    Pilot,
    PolicyVersion,
    Region,
    Review,
    ScenarioNeed,
)
from scenarios.roles import memberships
from scenarios.services import assessments, capabilities, needs, pilots, reviews
from scenarios.services.negative_list import negative_entry_create, negative_entry_deactivate
from scenarios.services.organizations import organization_verify
from scenarios.services.policy import policy_current, policy_update

NEED_SEARCH = ["title", "description", "keywords", "ref"]
NEED_ORDERING = [
    "published_at",
    "created_at",
    "updated_at",
    "value_score",
    "budget_cny",
    "deadline",
    "min_trl",
    "id",
]
DEFAULT_NEED_ORDERING = ["-is_high_value", "-published_at", "-id"]
CAP_SEARCH = ["title", "description", "keywords", "ref", "firm__name"]
CAP_ORDERING = ["published_at", "created_at", "updated_at", "trl", "capacity", "id"]


def _region(code: str | None, field: str = "region_code") -> Region | None:
    if code is None:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise InvalidInput(
            _("未知的行政区划代码。"), fields={field: [_("未知代码：%(c)s") % {"c": code}]}
        )
    return region


def _acting_org(
    request: Request, org_id: int | None, role: str, kind: str, field: str
) -> Organization:
    """The organization the user acts for: the given id, or their only one with ``role``."""
    if org_id is not None:
        org = Organization.objects.filter(pk=org_id, kind=kind).select_related("region").first()
        if org is None:
            raise InvalidInput(_("组织不存在。"), fields={field: [_("不存在。")]})
        return org
    orgs = [m.organization for m in memberships(request.user) if m.role == role]
    if len(orgs) != 1:
        raise InvalidInput(_("请指定所代表的单位。"), fields={field: [_("必填。")]})
    return orgs[0]


def _values(data: dict[str, Any], *, drop: tuple[str, ...]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k not in drop}
    if "region_code" in values:
        values["region"] = _region(values.pop("region_code"))
    return values


class LoginThrottle(AnonRateThrottle):
    scope = "login"


def _decision_schema(request_serializer: type[serializers.Serializer], summary: str) -> Any:
    return extend_schema(
        request=request_serializer, responses={200: s.NeedOutputSerializer}, summary=summary
    )


@extend_schema_view(
    list=extend_schema(summary="场景需求列表（按权限范围）"),
    retrieve=extend_schema(summary="场景需求详情（响应头 ETag 为当前版本）"),
    create=extend_schema(
        request=s.NeedInputSerializer,
        responses={201: s.NeedOutputSerializer},
        summary="新建场景需求（草稿）",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="重试不重复创建"
            )
        ],
    ),
    partial_update=extend_schema(
        request=s.NeedInputSerializer,
        responses={200: s.NeedOutputSerializer},
        summary="修改草稿/退回的需求（需 If-Match 或 version）",
        parameters=[
            OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, description='当前版本，如 "3"'
            )
        ],
    ),
)
class VersionedResourceViewSet(
    IdempotentCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Shared plumbing of needs and capabilities: ETags, versioned PATCH, verb actions.

    Subclasses name their input serializer, the organization they act for, and the
    services that create and update; views stay adapters.
    """

    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer: type[serializers.Serializer]
    owner_field: str  # "agency" or "firm": the input field naming the acting organization
    owner_role: str
    owner_kind: str

    def render_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def create_object(
        self, request: Request, owner: Organization, ref: str | None, values: dict[str, Any]
    ) -> Any:
        raise NotImplementedError

    def update_object(
        self, request: Request, obj: Any, version: int | None, values: dict[str, Any]
    ) -> Any:
        raise NotImplementedError

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        return with_etag(Response(self.get_serializer(obj).data), obj.version)

    def _render(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        obj = self.render_queryset().get(pk=obj.pk)
        return with_etag(Response(self.get_serializer(obj).data, status=code), obj.version)

    def _input_values(self, validated: dict[str, Any]) -> dict[str, Any]:
        return _values(dict(validated), drop=(self.owner_field, "version", "ref"))

    def create_response(self, request: Request) -> Response:
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = _acting_org(
            request,
            data.validated_data.get(self.owner_field),
            self.owner_role,
            self.owner_kind,
            self.owner_field,
        )
        obj = self.create_object(
            request, owner, data.validated_data.get("ref"), self._input_values(data.validated_data)
        )
        return self._render(obj, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        data = self.input_serializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        version = expected_version(request, data.validated_data, required=True)
        obj = self.update_object(request, obj, version, self._input_values(data.validated_data))
        return self._render(obj)

    def _act(
        self, request: Request, serializer: type[serializers.Serializer], call: Any
    ) -> Response:
        obj = self.get_object()
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = expected_version(request, data.validated_data)
        return self._render(call(obj, data.validated_data, version))


class NeedViewSet(VersionedResourceViewSet):
    """Scenario needs (机会清单 entries) and their lifecycle actions."""

    serializer_class = s.NeedOutputSerializer
    input_serializer = s.NeedInputSerializer
    owner_field, owner_role, owner_kind = "agency", Role.AGENCY_EDITOR, OrganizationKind.AGENCY
    filterset_class = NeedFilter
    search_fields = NEED_SEARCH
    ordering_fields = NEED_ORDERING
    ordering = DEFAULT_NEED_ORDERING

    def get_queryset(self) -> QuerySet[ScenarioNeed]:
        return selectors.need_list_for_user(user=self.request.user)

    def render_queryset(self) -> QuerySet[ScenarioNeed]:
        return selectors.need_queryset()

    def create_object(
        self, request: Request, owner: Organization, ref: str | None, values: dict[str, Any]
    ) -> ScenarioNeed:
        return needs.need_create(actor=request.user, agency=owner, ref=ref, **values)

    def update_object(
        self, request: Request, obj: Any, version: int | None, values: dict[str, Any]
    ) -> ScenarioNeed:
        return needs.need_update(actor=request.user, need=obj, expected_version=version, **values)

    def _decide(
        self, request: Request, serializer: type[serializers.Serializer], decision: str
    ) -> Response:
        """Approve, return or reject the need's pending review (one service call)."""
        return self._act(
            request,
            serializer,
            lambda n, d, v: reviews.review_decide(
                actor=request.user,
                need=n,
                decision=decision,
                comment=d.get("comment", ""),
                expected_version=v,
            ),
        )

    @_decision_schema(s.VersionInputSerializer, "提交审核（进入所在地工作委员会）")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.VersionInputSerializer,
            lambda n, d, v: needs.need_submit(actor=request.user, need=n, expected_version=v),
        )

    @_decision_schema(s.ReasonInputSerializer, "撤回需求")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.ReasonInputSerializer,
            lambda n, d, v: needs.need_withdraw(
                actor=request.user, need=n, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @_decision_schema(s.ReviewDecisionInputSerializer, "审核通过（转上级或发布）")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, s.ReviewDecisionInputSerializer, ReviewDecision.APPROVED)

    @_decision_schema(s.RequiredCommentInputSerializer, "退回修改（须填写理由）")
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, s.RequiredCommentInputSerializer, ReviewDecision.RETURNED)

    @_decision_schema(s.RequiredCommentInputSerializer, "不予通过（须填写理由）")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, s.RequiredCommentInputSerializer, ReviewDecision.REJECTED)

    @_decision_schema(s.RequiredReasonInputSerializer, "关闭需求（到期或无成功试点）")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.RequiredReasonInputSerializer,
            lambda n, d, v: needs.need_close(
                actor=request.user, need=n, reason=d["reason"], expected_version=v
            ),
        )

    @_decision_schema(s.ReasonInputSerializer, "标记为已推广（产业应用）")
    @action(detail=True, methods=["post"])
    def scale(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.ReasonInputSerializer,
            lambda n, d, v: needs.need_mark_scaled(
                actor=request.user, need=n, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @extend_schema(
        request=s.AssessmentInputSerializer,
        responses={200: s.AssessmentSerializer},
        summary="专家评分（按遴选标准）",
    )
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str | None = None) -> Response:
        need = self.get_object()
        data = s.AssessmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = assessments.assessment_submit(
            actor=request.user,
            need=need,
            scores=data.validated_data["scores"],
            comment=data.validated_data.get("comment", ""),
        )
        return Response(s.AssessmentSerializer(assessment).data)

    @extend_schema(responses={200: s.AuditEventSerializer(many=True)}, summary="审计轨迹")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        events = selectors.need_history_for_user(user=request.user, need=self.get_object())
        return Response(s.AuditEventSerializer(events, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="场景能力列表（按权限范围）"),
    retrieve=extend_schema(summary="场景能力详情（响应头 ETag 为当前版本）"),
    create=extend_schema(
        request=s.CapabilityInputSerializer,
        responses={201: s.CapabilityOutputSerializer},
        summary="新建场景能力（草稿）",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    ),
    partial_update=extend_schema(
        request=s.CapabilityInputSerializer,
        responses={200: s.CapabilityOutputSerializer},
        summary="修改能力（需 If-Match 或 version）",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
    ),
)
class CapabilityViewSet(VersionedResourceViewSet):
    """Capabilities (能力清单 entries) and their lifecycle actions."""

    serializer_class = s.CapabilityOutputSerializer
    input_serializer = s.CapabilityInputSerializer
    owner_field, owner_role, owner_kind = "firm", Role.FIRM_EDITOR, OrganizationKind.FIRM
    filterset_class = CapabilityFilter
    search_fields = CAP_SEARCH
    ordering_fields = CAP_ORDERING
    ordering = ["-published_at", "-id"]

    def get_queryset(self) -> QuerySet[Capability]:
        return selectors.capability_list_for_user(user=self.request.user)

    def render_queryset(self) -> QuerySet[Capability]:
        return selectors.capability_queryset()

    def create_object(
        self, request: Request, owner: Organization, ref: str | None, values: dict[str, Any]
    ) -> Capability:
        return capabilities.capability_create(actor=request.user, firm=owner, ref=ref, **values)

    def update_object(
        self, request: Request, obj: Any, version: int | None, values: dict[str, Any]
    ) -> Capability:
        return capabilities.capability_update(
            actor=request.user, capability=obj, expected_version=version, **values
        )

    @extend_schema(
        request=s.VersionInputSerializer,
        responses={200: s.CapabilityOutputSerializer},
        summary="提交（已认证企业且未命中负面清单时直接发布）",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.VersionInputSerializer,
            lambda c, d, v: capabilities.capability_submit(
                actor=request.user, capability=c, expected_version=v
            ),
        )

    @extend_schema(
        request=s.ReasonInputSerializer,
        responses={200: s.CapabilityOutputSerializer},
        summary="撤回能力",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.ReasonInputSerializer,
            lambda c, d, v: capabilities.capability_withdraw(
                actor=request.user, capability=c, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @extend_schema(
        request=s.RequiredReasonInputSerializer,
        responses={200: s.CapabilityOutputSerializer},
        summary="暂停（移出清单与撮合）",
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.RequiredReasonInputSerializer,
            lambda c, d, v: capabilities.capability_suspend(
                actor=request.user, capability=c, reason=d["reason"], expected_version=v
            ),
        )

    @extend_schema(
        request=s.ReasonInputSerializer,
        responses={200: s.CapabilityOutputSerializer},
        summary="恢复发布",
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.ReasonInputSerializer,
            lambda c, d, v: capabilities.capability_reinstate(
                actor=request.user, capability=c, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @extend_schema(
        request=s.RequiredReasonInputSerializer,
        responses={200: s.CapabilityOutputSerializer},
        summary="退回企业修改",
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            s.RequiredReasonInputSerializer,
            lambda c, d, v: capabilities.capability_return(
                actor=request.user, capability=c, reason=d["reason"], expected_version=v
            ),
        )


@extend_schema_view(list=extend_schema(summary="我的审核队列（所在委员会的待审核需求）"))
class ReviewQueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ReviewSerializer
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]
    search_fields = ["need__title", "need__ref"]

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.review_queue_for_user(user=self.request.user)


@extend_schema_view(
    create=extend_schema(
        request=s.PilotInputSerializer,
        responses={201: s.PilotSerializer},
        summary="开展场景验证试点",
    ),
)
class PilotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.PilotSerializer
    ordering_fields = ["started_at", "tolerance_until", "id"]
    ordering = ["-id"]
    filterset_class = PilotFilter

    def get_queryset(self) -> QuerySet[Pilot]:
        return selectors.pilot_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.PilotInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        need = selectors.need_list_for_user(user=request.user).filter(pk=v["need"]).first()
        cap = (
            selectors.capability_list_for_user(user=request.user).filter(pk=v["capability"]).first()
        )
        if need is None or cap is None:
            missing = {"need": need, "capability": cap}
            raise InvalidInput(
                _("需求或能力不存在。"),
                fields={k: [_("不存在或无权查看。")] for k, v_ in missing.items() if v_ is None},
            )
        pilot = pilots.pilot_start(
            actor=request.user,
            need=need,
            capability=cap,
            tolerance_until=v["tolerance_until"],
            validation_type=v.get("validation_type"),
            milestones=[
                {**m, "due": m["due"].isoformat() if m.get("due") else None}
                for m in v.get("milestones", [])
            ],
        )
        return Response(s.PilotSerializer(pilot).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PilotMilestonesInputSerializer,
        responses={200: s.PilotSerializer},
        summary="更新里程碑",
    )
    @action(detail=True, methods=["post"])
    def milestones(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = s.PilotMilestonesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [
            {**m, "due": m["due"].isoformat() if m.get("due") else None}
            for m in data.validated_data["milestones"]
        ]
        pilot = pilots.pilot_update_milestones(
            actor=request.user,
            pilot=pilot,
            milestones=items,
            expected_version=expected_version(request, data.validated_data),
        )
        return Response(s.PilotSerializer(pilot).data)

    @extend_schema(
        request=s.PilotConcludeInputSerializer,
        responses={200: s.PilotSerializer},
        summary="登记验证结论",
    )
    @action(detail=True, methods=["post"])
    def conclude(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = s.PilotConcludeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        pilot = pilots.pilot_conclude(
            actor=request.user,
            pilot=pilot,
            outcome=v["outcome"],
            trl_after=v["trl_after"],
            note=v["note"],
            expected_version=expected_version(request, v),
        )
        return Response(s.PilotSerializer(pilot).data)

    @extend_schema(
        request=s.PilotRecognizeInputSerializer,
        responses={200: s.PilotSerializer},
        summary="推荐首台（套）/最佳实践案例",
    )
    @action(detail=True, methods=["post"])
    def recognize(self, request: Request, pk: str | None = None) -> Response:
        pilot = self.get_object()
        data = s.PilotRecognizeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pilot = pilots.pilot_recognize(
            actor=request.user,
            pilot=pilot,
            first_of_kind=data.validated_data["first_of_kind"],
            best_practice=data.validated_data["best_practice"],
        )
        return Response(s.PilotSerializer(pilot).data)


class OrganizationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.OrganizationSerializer
    filterset_fields = ["kind", "region"]
    search_fields = ["name", "credit_code"]
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Organization]:
        return selectors.organization_list_for_user(user=self.request.user)

    @extend_schema(request=None, responses={200: s.OrganizationSerializer}, summary="认证企业")
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        org = organization_verify(actor=request.user, organization=self.get_object())
        return Response(s.OrganizationSerializer(org).data)


class PolicyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The province policy: every version (newest first) and the current one."""

    serializer_class = s.PolicySerializer
    queryset = PolicyVersion.objects.all()
    ordering_fields = ["version"]
    ordering = ["-version"]

    @extend_schema(responses={200: s.PolicySerializer}, summary="当前政策")
    @action(detail=False, methods=["get"])
    def current(self, request: Request) -> Response:
        return Response(s.PolicySerializer(policy_current()).data)

    @extend_schema(
        request=s.PolicyInputSerializer,
        responses={201: s.PolicySerializer},
        summary="发布新版本政策（仅省级工作委员会）",
    )
    def create(self, request: Request) -> Response:
        data = s.PolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        note = values.pop("note", "")
        if "selection_criteria" in values:
            values["selection_criteria"] = [dict(c) for c in values["selection_criteria"]]
        policy = policy_update(actor=request.user, note=note, **values)
        return Response(s.PolicySerializer(policy).data, status=status.HTTP_201_CREATED)


class NegativeListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.NegativeListEntrySerializer
    queryset = NegativeListEntry.objects.select_related("chain")
    filterset_class = NegativeListFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]
    search_fields = ["keyword", "reason"]

    @extend_schema(
        request=s.NegativeListEntryInputSerializer,
        responses={201: s.NegativeListEntrySerializer},
        summary="新增负面清单条目",
    )
    def create(self, request: Request) -> Response:
        data = s.NegativeListEntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = negative_entry_create(
            actor=request.user,
            kind=v["kind"],
            reason=v["reason"],
            keyword=v.get("keyword", ""),
            chain_slug=v.get("chain", ""),
        )
        return Response(s.NegativeListEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.NegativeListEntrySerializer}, summary="停用条目")
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        entry = negative_entry_deactivate(actor=request.user, entry=entry)
        return Response(s.NegativeListEntrySerializer(entry).data)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.NotificationSerializer
    filterset_fields = ["verb"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.filter(user_id=self.request.user.pk or 0)

    @extend_schema(request=None, responses={200: s.NotificationSerializer}, summary="标记已读")
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        from django.utils import timezone

        note = self.get_object()
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return Response(s.NotificationSerializer(note).data)


class PublicReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle]


@extend_schema_view(
    list=extend_schema(summary="公开机会清单（已发布需求，无需登录）"),
    retrieve=extend_schema(summary="公开需求详情"),
)
class PublicNeedViewSet(PublicReadOnly):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.NeedPublicSerializer
    filterset_class = NeedFilter
    search_fields = NEED_SEARCH
    ordering_fields = NEED_ORDERING
    ordering = DEFAULT_NEED_ORDERING

    def get_queryset(self) -> QuerySet[ScenarioNeed]:
        return selectors.need_public_list()


@extend_schema_view(
    list=extend_schema(summary="公开能力清单（已发布能力，无需登录）"),
    retrieve=extend_schema(summary="公开能力详情"),
)
class PublicCapabilityViewSet(PublicReadOnly):
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.CapabilityPublicSerializer
    filterset_class = CapabilityFilter
    search_fields = CAP_SEARCH
    ordering_fields = CAP_ORDERING
    ordering = ["-published_at", "-id"]

    def get_queryset(self) -> QuerySet[Capability]:
        return selectors.capability_public_list()


class RegionViewSet(PublicReadOnly):
    serializer_class = s.RegionSerializer
    queryset = Region.objects.all()
    filterset_class = RegionFilter
    search_fields = ["name", "code"]
    ordering_fields = ["code"]
    ordering = ["code"]
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{6}"


class IndustryChainViewSet(PublicReadOnly):
    serializer_class = s.IndustryChainSerializer
    queryset = IndustryChain.objects.all()
    search_fields = ["name_zh", "name_en", "slug"]
    ordering_fields = ["path"]
    ordering = ["path"]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
