"""Signing in and up: API tokens, firm sign-up, password reset, the current user.

Thin adapters: parse with an input serializer, call one service, render. The anonymous
endpoints authenticate nobody (so no CSRF or 401 applies) and are throttled with the
``login`` scope against guessing and mail flooding.
"""

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import MembershipSerializer
from accounts.api.serializers import OrganizationSerializer as FirmSerializer
from accounts.roles import memberships
from accounts.services.signup import firm_signup
from accounts.services.users import password_reset_confirm, password_reset_request
from core.api.fields import (
    EmailStringField,
    ModelSerializer,
    Serializer,
    StrictInputMixin,
    StringField,
    reject_body_fields,
)
from core.api.filters import query_parameters_check
from core.api.parsers import SafeJSONParser
from core.api.schema import DeclaredErrorsSchema, error_responses
from core.api.throttles import LoginThrottle
from core.errors import InvalidInput
from core.lockout import locked_out

# --- Serializers -------------------------------------------------------------------------

Password = StringField(
    max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
)


class FirmSignupInputSerializer(Serializer):
    """Body of POST /auth/signup/firm/: the first account and the firm it registers."""

    username = StringField(max_length=150)
    password = Password
    email = EmailStringField(max_length=254)
    firm_name = StringField(max_length=128)
    credit_code = StringField(max_length=18, help_text="统一社会信用代码（GB 32100-2015，18位）")
    region_code = StringField(max_length=6, help_text="企业所在地行政区划代码")
    contact_name = StringField(max_length=64, required=False, allow_blank=True)
    contact_phone = StringField(max_length=32, required=False, allow_blank=True)


class MeSerializer(ModelSerializer):
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


class PasswordResetInputSerializer(Serializer):
    email = EmailStringField(max_length=254)


class PasswordResetConfirmInputSerializer(Serializer):
    uid = StringField(max_length=64)
    token = StringField(max_length=128)
    new_password = Password


class MessageSerializer(serializers.Serializer):
    detail = StringField()


# --- Views -------------------------------------------------------------------------------


_DRF_TOKEN_FIELDS = AuthTokenSerializer._declared_fields


# DRF's username and password, text only (its CharField took JSON numbers); a comment, not
# a docstring, which the schema would show. Its component keeps DRF's name.
@extend_schema_serializer(component_name="AuthToken")
class TextAuthTokenSerializer(StrictInputMixin, AuthTokenSerializer):
    # A username is at most 150 characters (Django's); a longer one is refused before any
    # sign-in is tried, so the lockout never stores it (its column holds 255).
    username = StringField(
        label=_DRF_TOKEN_FIELDS["username"].label, max_length=150, write_only=True
    )
    password = StringField(
        label=_DRF_TOKEN_FIELDS["password"].label,
        max_length=128,
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
    )


@extend_schema_view(
    post=extend_schema(
        operation_id="auth_token",
        summary="用户名和密码换取 API 令牌",
        tags=["auth"],
    )
)
class ThrottledObtainAuthToken(ObtainAuthToken):
    """POST username + password → API token (throttled against guessing)."""

    # JSON only, like every other body of the API: DRF's default list (form, multipart,
    # JSON) put three media types with one model in the schema, and a generated client sent
    # all three at once. The JSON parser refuses too deep a body (400, not 500).
    parser_classes = (SafeJSONParser,)
    serializer_class = TextAuthTokenSerializer
    # Anonymous only: a header sent along (valid, stale or forged) changes nothing.
    authentication_classes: list[type] = []
    throttle_classes = [LoginThrottle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # The lockout (axes) refused even to check the password: say so, with when.
            if getattr(request, "axes_locked_out", False):
                return locked_out(request._request)  # type: ignore[return-value]
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        # A sign-in like the portal's: the lockout's count of this account starts again, and
        # the address's rate counts only guesses.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        LoginThrottle.refund(request)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class TokenRevokeView(APIView):
    """The calling token ends: a system that stops using the API (or fears the token was
    seen) revokes it; the next ``POST /auth/token/`` makes a new one."""

    permission_classes = [permissions.IsAuthenticated]
    schema = DeclaredErrorsSchema()

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="吊销本次请求所用的 API 令牌",
        request=None,
        responses={204: None, **error_responses(400, 401)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        query_parameters_check(request.query_params, known={"format"})
        reject_body_fields(request.data)
        if not isinstance(request.auth, Token):
            raise InvalidInput(
                _("只能吊销以令牌（Authorization: Token …）发出的请求所用的令牌。"),
                code="not_a_token",
            )
        request.auth.delete()
        return Response(status=204)


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
        user, firm = firm_signup(**data.validated_data)
        body = {"user": MeSerializer(user).data, "organization": FirmSerializer(firm).data}
        return Response(body, status=status.HTTP_201_CREATED)


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
        password_reset_request(email=data.validated_data["email"])
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
        password_reset_confirm(**data.validated_data)
        return Response({"detail": _("密码已重置，请使用新密码登录。")})


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    schema = DeclaredErrorsSchema()

    @extend_schema(
        operation_id="auth_me",
        summary="当前用户及其所属组织和角色",
        responses={200: MeSerializer, **error_responses(400, 401)},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        query_parameters_check(request.query_params, known={"format"})
        return Response(MeSerializer(request.user).data)
