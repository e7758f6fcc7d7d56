"""Organizations the user may see, and the verification of firms."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import OrganizationSerializer
from accounts.models import Organization
from accounts.selectors import organization_list_for_user
from core.api.fields import Serializer, StringField, WholeNumberField
from core.validation import max_length
from scenarios.access import check_supervisor
from scenarios.choices import Certification
from scenarios.services.firms import (
    organization_certify,
    organization_reinstate,
    organization_suspend,
    organization_verify,
)


class CertifyInputSerializer(Serializer):
    certifications = serializers.ListField(
        child=serializers.ChoiceField(choices=Certification.choices),
        max_length=len(Certification.choices),
        help_text="the certifications the committee checked (replaces the earlier list)",
    )
    capacity = WholeNumberField(
        min_value=1,
        max_value=1000,
        allow_null=True,
        required=False,
        default=None,
        help_text="pilots one capability may run at once, as checked; null or absent: "
        "unchecked (replaces the earlier value, as the certifications do)",
    )
    reason = StringField(max_length=2000, allow_blank=True, required=False, default="")


class VerifyInputSerializer(Serializer):
    """Body of a firm's verification, all optional: what was checked (required when the
    firm's name resembles another organization's) and, as the page offers in the same step,
    the certifications and capacity checked (recorded as a certification, audited)."""

    reason = StringField(max_length=2000, allow_blank=True, required=False, default="")
    certifications = serializers.ListField(
        child=serializers.ChoiceField(choices=Certification.choices),
        max_length=len(Certification.choices),
        required=False,
        help_text="the certifications checked with the verification (omit: none recorded)",
    )
    capacity = WholeNumberField(
        min_value=1, max_value=1000, allow_null=True, required=False, default=None
    )


class OrganizationReasonInputSerializer(Serializer):
    """Body of a firm's reinstatement (an organization has no version)."""

    reason = StringField(max_length=2000, allow_blank=True, required=False)


class OrganizationSuspendInputSerializer(Serializer):
    """Body of a firm's suspension: the reason is stored on the firm, as long as it keeps."""

    reason = StringField(
        max_length=max_length(Organization, "suspension_reason"), allow_blank=True, required=False
    )


class OrganizationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = r"[0-9]+"
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind", "region"]
    search_fields = ["name", "credit_code"]
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["id"]
    # Who may call each verb at all (core.api.permissions.ActorChecks), before the body.
    actor_checks = dict.fromkeys(("verify", "suspend", "reinstate", "certify"), check_supervisor)

    def get_queryset(self) -> QuerySet[Organization]:
        return organization_list_for_user(user=self.request.user)

    @extend_schema(
        request=VerifyInputSerializer, responses={200: OrganizationSerializer}, summary="认证企业"
    )
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        org = self.get_object()
        data = VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        checked = data.validated_data.get("certifications")
        org = organization_verify(
            actor=request.user,
            organization=org,
            reason=data.validated_data["reason"],
            certifications=list(checked) if checked is not None else None,
            capacity=data.validated_data["capacity"],
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(
        request=OrganizationSuspendInputSerializer,
        responses={200: OrganizationSerializer},
        summary="暂停企业",
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        org = self.get_object()
        data = OrganizationSuspendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = organization_suspend(
            actor=request.user,
            organization=org,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(
        request=OrganizationReasonInputSerializer,
        responses={200: OrganizationSerializer},
        summary="恢复企业",
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str | None = None) -> Response:
        org = self.get_object()
        data = OrganizationReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = organization_reinstate(
            actor=request.user,
            organization=org,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(OrganizationSerializer(org).data)

    @extend_schema(
        request=CertifyInputSerializer,
        responses={200: OrganizationSerializer},
        summary="核验企业资质与承接能力",
    )
    @action(detail=True, methods=["post"])
    def certify(self, request: Request, pk: str | None = None) -> Response:
        org = self.get_object()
        data = CertifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        org = organization_certify(
            actor=request.user,
            organization=org,
            certifications=list(v["certifications"]),
            capacity=v["capacity"],
            reason=v["reason"],
        )
        return Response(OrganizationSerializer(org).data)
