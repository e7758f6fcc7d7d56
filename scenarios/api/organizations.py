"""Organizations the user may see, and the verification of firms."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import OrganizationSerializer
from accounts.models import Organization
from accounts.selectors import organization_list_for_user
from scenarios.services.firms import organization_verify


class OrganizationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = r"[0-9]+"
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind", "region"]
    search_fields = ["name", "credit_code"]
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Organization]:
        return organization_list_for_user(user=self.request.user)

    @extend_schema(request=None, responses={200: OrganizationSerializer}, summary="认证企业")
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        org = organization_verify(actor=request.user, organization=self.get_object())
        return Response(OrganizationSerializer(org).data)
