"""Capabilities (能力清单 entries): CRUD for their firm, publishing, withdrawal and the
committees' supervision verbs."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import OrganizationBriefSerializer
from accounts.choices import OrganizationKind, Role
from accounts.models import Organization
from core.api.fields import (
    IdField,
    Int64Field,
    ModelSerializer,
    Serializer,
    SlugStringField,
    StringField,
    WholeNumberField,
)
from scenarios import selectors
from scenarios.access import check_firm_editor, check_firm_staff, check_supervisor
from scenarios.api.common import (
    KeywordList,
    ReasonInputSerializer,
    RequiredReasonInputSerializer,
    VersionedResourceViewSet,
    VersionInputSerializer,
    chain_slugs,
)
from scenarios.choices import (
    Certification,
)
from scenarios.filters import CAPABILITY_SEARCH, CAPABILITY_SEARCH_WEIGHTS, CapabilityFilter
from scenarios.models import (
    Capability,
)
from scenarios.services import capabilities


class CapabilityInputSerializer(Serializer):
    # A capability keeps its firm and ref: PATCH refuses them (read-only), as it does the
    # fields of CapabilityOutputSerializer that no body sets (``status``, ``id``…).
    create_only_fields = ("ref", "firm")
    update_only_fields = ("version",)

    ref = StringField(max_length=64, required=False)
    firm = IdField(required=False, help_text="firm id; optional when the user edits for one firm")
    title = StringField(max_length=200)
    description = StringField(max_length=5000)
    chains = serializers.ListField(
        child=SlugStringField(max_length=64), min_length=1, max_length=10
    )
    keywords = KeywordList
    trl = WholeNumberField(min_value=1, max_value=9)
    region_code = StringField(min_length=6, max_length=6, required=False)
    certifications = serializers.ListField(
        child=serializers.ChoiceField(choices=Certification.choices),
        max_length=3,
        required=False,
    )
    past_cases = serializers.ListField(
        child=StringField(max_length=200), max_length=20, required=False
    )
    capacity = WholeNumberField(min_value=1, max_value=1000, required=False)
    version = Int64Field(min_value=1, required=False)


class CapabilityPublicSerializer(ModelSerializer):
    chains = serializers.SerializerMethodField()
    region_code = StringField(source="region_id", read_only=True)
    firm_name = StringField(source="firm.name", read_only=True)
    firm_credit_code = StringField(source="firm.credit_code", read_only=True)
    verified_certifications = serializers.SerializerMethodField(
        help_text="the certifications of this capability that its firm's committee has checked; "
        "the others in certifications are the firm's own claim"
    )

    class Meta:
        model = Capability
        fields = [
            "id",
            "ref",
            "title",
            "description",
            "chains",
            "keywords",
            "region_code",
            "trl",
            "certifications",
            "verified_certifications",
            "past_cases",
            "capacity",
            "firm_name",
            "firm_credit_code",
            "status",
            "published_at",
        ]
        read_only_fields = fields

    def get_chains(self, obj: Capability) -> list[str]:
        return chain_slugs(obj)

    def get_verified_certifications(self, obj: Capability) -> list[str]:
        checked = set(obj.firm.verified_certifications or ())
        return [code for code in obj.certifications if code in checked]


class CapabilityOutputSerializer(CapabilityPublicSerializer):
    firm = OrganizationBriefSerializer(read_only=True)

    class Meta(CapabilityPublicSerializer.Meta):
        fields = [
            *CapabilityPublicSerializer.Meta.fields,
            "firm",
            "held_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


CapabilityInputSerializer.output_serializer = CapabilityOutputSerializer


CAP_ORDERING = [
    "published_at",
    "created_at",
    "updated_at",
    "trl",
    "capacity",
    "id",
    "relevance",
]


@extend_schema_view(
    list=extend_schema(summary="场景能力列表（按权限范围）"),
    retrieve=extend_schema(summary="场景能力详情（响应头 ETag 为当前版本）"),
    create=extend_schema(
        request=CapabilityInputSerializer,
        responses={201: CapabilityOutputSerializer},
        summary="新建场景能力（草稿）",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    ),
    partial_update=extend_schema(
        request=CapabilityInputSerializer,
        responses={200: CapabilityOutputSerializer},
        summary="修改能力（需 If-Match 或 version）",
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
    ),
)
class CapabilityViewSet(VersionedResourceViewSet):
    """Capabilities (能力清单 entries) and their lifecycle actions."""

    serializer_class = CapabilityOutputSerializer
    input_serializer = CapabilityInputSerializer
    owner_field, owner_role, owner_kind = "firm", Role.FIRM_EDITOR, OrganizationKind.FIRM
    filterset_class = CapabilityFilter
    search_fields = CAPABILITY_SEARCH
    search_weights = CAPABILITY_SEARCH_WEIGHTS
    ordering_fields = CAP_ORDERING
    ordering = ["-published_at", "-id"]
    # Who may call each verb at all (core.api.permissions.ActorChecks), before the body.
    actor_checks = {
        "create": check_firm_staff,
        "submit": lambda actor, cap: check_firm_editor(actor, cap.firm),
        "withdraw": lambda actor, cap: check_firm_editor(actor, cap.firm),
        "suspend": lambda actor, cap: check_supervisor(actor, cap.firm),
        "reinstate": lambda actor, cap: check_supervisor(actor, cap.firm),
        "return_": lambda actor, cap: check_supervisor(actor, cap.firm),
    }

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
        request=VersionInputSerializer,
        responses={200: CapabilityOutputSerializer},
        summary="提交（已认证企业且未命中负面清单时直接发布）",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            VersionInputSerializer,
            lambda c, d, v: capabilities.capability_submit(
                actor=request.user, capability=c, expected_version=v
            ),
        )

    @extend_schema(
        request=ReasonInputSerializer,
        responses={200: CapabilityOutputSerializer},
        summary="撤回能力",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            ReasonInputSerializer,
            lambda c, d, v: capabilities.capability_withdraw(
                actor=request.user, capability=c, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @extend_schema(
        request=RequiredReasonInputSerializer,
        responses={200: CapabilityOutputSerializer},
        summary="暂停（移出清单与撮合）",
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            RequiredReasonInputSerializer,
            lambda c, d, v: capabilities.capability_suspend(
                actor=request.user, capability=c, reason=d["reason"], expected_version=v
            ),
        )

    @extend_schema(
        request=ReasonInputSerializer,
        responses={200: CapabilityOutputSerializer},
        summary="恢复发布",
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            ReasonInputSerializer,
            lambda c, d, v: capabilities.capability_reinstate(
                actor=request.user, capability=c, reason=d.get("reason", ""), expected_version=v
            ),
        )

    @extend_schema(
        request=RequiredReasonInputSerializer,
        responses={200: CapabilityOutputSerializer},
        summary="退回企业修改",
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            request,
            RequiredReasonInputSerializer,
            lambda c, d, v: capabilities.capability_return(
                actor=request.user, capability=c, reason=d["reason"], expected_version=v
            ),
        )
