"""REST views for accounts: firm sign-up, invitations, password reset and the current user.

Thin adapters: parse with an input serializer, call one service, render. The anonymous
endpoints authenticate nobody (so no CSRF or 401 applies) and are throttled with the
``login`` scope against guessing and mail flooding.
"""

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from config.schema import ScenarioAutoSchema, error_responses
from scenarios.api.serializers import OrganizationBriefSerializer
from scenarios.api.serializers import OrganizationSerializer as FirmSerializer
from scenarios.api.views import LoginThrottle
from scenarios.choices import Role
from scenarios.errors import InvalidInput
from scenarios.models import Invitation, Membership, Organization
from scenarios.roles import memberships
from scenarios.services import accounts

# --- Serializers -------------------------------------------------------------------------

Password = serializers.CharField(
    max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
)


class FirmSignupInputSerializer(serializers.Serializer):
    """Body of POST /auth/signup/firm/: the first account and the firm it registers."""

    username = serializers.CharField(max_length=150)
    password = Password
    email = serializers.EmailField(max_length=254)
    firm_name = serializers.CharField(max_length=128)
    credit_code = serializers.CharField(
        max_length=18, help_text="统一社会信用代码（GB 32100-2015，18位）"
    )
    region_code = serializers.CharField(max_length=6, help_text="企业所在地行政区划代码")
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class MembershipSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["organization", "role"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user with the organizations and roles they act in."""

    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "memberships"]
        read_only_fields = fields

    @extend_schema_field(MembershipSerializer(many=True))
    def get_memberships(self, obj: User) -> list[dict[str, Any]]:
        # roles.memberships() loads organizations in one query and caches them on the user.
        return list(MembershipSerializer(memberships(obj), many=True).data)


class FirmSignupOutputSerializer(serializers.Serializer):
    user = MeSerializer()
    organization = FirmSerializer()


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    organization = serializers.IntegerField(help_text="受邀加入的组织 id")
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationOutputSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    invited_by = serializers.CharField(source="invited_by.username", read_only=True)

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


class InvitationAcceptInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128, help_text="邀请邮件中的邀请码")
    username = serializers.CharField(max_length=150)
    password = Password


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = Password


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- Views -------------------------------------------------------------------------------


class DeclaredErrorsSchema(ScenarioAutoSchema):
    """Documents exactly the error responses each view declares, nothing added.

    The project schema adds a generic set (409, 412, 422...) that these endpoints can
    never return; the declarations on each view are the truthful list.
    """

    def _error_codes(self) -> list[int]:
        return []


class AnonymousEndpoint(APIView):
    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [LoginThrottle]
    schema = DeclaredErrorsSchema()


class FirmSignupView(AnonymousEndpoint):
    """Self-service registration of a firm and its first user (企业自助注册)."""

    @extend_schema(
        operation_id="auth_signup_firm",
        summary="企业自助注册（账号 + 企业，初始为未认证）",
        request=FirmSignupInputSerializer,
        responses={201: FirmSignupOutputSerializer, **error_responses(400, 429)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = FirmSignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, firm = accounts.firm_signup(**data.validated_data)
        body = {"user": MeSerializer(user).data, "organization": FirmSerializer(firm).data}
        return Response(body, status=status.HTTP_201_CREATED)


class InvitationCreateView(APIView):
    """Platform admins invite agency staff, committee members and experts."""

    permission_classes = [permissions.IsAuthenticated]
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
        invitation, _token = accounts.invitation_create(
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
        user = accounts.invitation_accept(**data.validated_data)
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)


class PasswordResetView(AnonymousEndpoint):
    @extend_schema(
        operation_id="auth_password_reset",
        summary="申请重置密码（无论邮箱是否注册，响应相同）",
        request=PasswordResetInputSerializer,
        responses={202: MessageSerializer, **error_responses(400, 429)},
        examples=[
            OpenApiExample(
                "accepted",
                value={"detail": "如果该邮箱已注册，重置密码的邮件已发送。"},
                response_only=True,
                status_codes=["202"],
            )
        ],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.password_reset_request(email=data.validated_data["email"])
        return Response(
            {"detail": _("如果该邮箱已注册，重置密码的邮件已发送。")},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(AnonymousEndpoint):
    @extend_schema(
        operation_id="auth_password_reset_confirm",
        summary="用邮件中的 uid 与 token 设置新密码",
        request=PasswordResetConfirmInputSerializer,
        responses={200: MessageSerializer, **error_responses(400, 429)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.password_reset_confirm(**data.validated_data)
        return Response({"detail": _("密码已重置，请使用新密码登录。")})


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    schema = DeclaredErrorsSchema()

    @extend_schema(
        operation_id="auth_me",
        summary="当前用户及其所属组织和角色",
        responses={200: MeSerializer, **error_responses(401)},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
