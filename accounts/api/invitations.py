"""Invitations: platform admins invite agency staff, committee members and experts."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.api.auth import AnonymousEndpoint, MeSerializer, Password
from accounts.api.serializers import OrganizationBriefSerializer
from accounts.choices import Role
from accounts.models import Invitation, Organization
from accounts.roles import is_platform_admin
from accounts.services.invitations import invitation_accept, invitation_create
from core.api.fields import EmailStringField, IdField, ModelSerializer, Serializer, StringField
from core.api.schema import DeclaredErrorsSchema, error_responses
from core.errors import InvalidInput


class InvitationInputSerializer(Serializer):
    email = EmailStringField(max_length=254)
    organization = IdField(help_text="受邀加入的组织 id")
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationOutputSerializer(ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    invited_by = StringField(source="invited_by.username", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "organization",
            "role",
            "invited_by",
            "expires_at",
            "accepted_at",
            "created_at",
        ]
        read_only_fields = fields


InvitationInputSerializer.output_serializer = InvitationOutputSerializer


class InvitationAcceptInputSerializer(Serializer):
    token = StringField(max_length=128, help_text="邀请邮件中的邀请码")
    username = StringField(max_length=150)
    password = Password


class CanInvite(permissions.BasePermission):
    """Platform admins only; checked before the body, so whether an organization exists is
    told only to those who may invite into it."""

    message = gettext_lazy("只有平台管理员可以发出邀请。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_platform_admin(request.user)


class InvitationCreateView(APIView):
    """Platform admins invite agency staff, committee members and experts."""

    permission_classes = [permissions.IsAuthenticated, CanInvite]
    throttle_classes = [UserRateThrottle]
    schema = DeclaredErrorsSchema()

    @extend_schema(
        operation_id="invitations_create",
        summary="发出邀请（仅平台管理员；邀请链接通过邮件发送）",
        request=InvitationInputSerializer,
        responses={201: InvitationOutputSerializer, **error_responses(400, 401, 403, 429)},
        tags=["invitations"],
    )
    def post(self, request: Request) -> Response:
        data = InvitationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        organization = Organization.objects.filter(pk=v["organization"]).first()
        if organization is None:
            raise InvalidInput(_("组织不存在。"), fields={"organization": [_("不存在。")]})
        invitation, _token = invitation_create(
            actor=request.user, email=v["email"], organization=organization, role=v["role"]
        )
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationAcceptView(AnonymousEndpoint):
    @extend_schema(
        operation_id="invitations_accept",
        summary="接受邀请：设置用户名和密码，获得邀请的角色",
        description="未知邀请码返回 400；已使用或已过期的邀请返回 409。",
        request=InvitationAcceptInputSerializer,
        responses={201: MeSerializer, **error_responses(400, 409, 429)},
        tags=["invitations"],
    )
    def post(self, request: Request) -> Response:
        data = InvitationAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = invitation_accept(**data.validated_data)
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)
