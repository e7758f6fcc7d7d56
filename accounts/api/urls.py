"""API v1 routes of the accounts app: tokens, sign-up, password reset, me, invitations."""

from django.urls import path

from accounts.api import auth, invitations

app_name = "accounts"
urlpatterns = [
    path("auth/token/", auth.ThrottledObtainAuthToken.as_view(), name="auth-token"),
    path("auth/token/revoke/", auth.TokenRevokeView.as_view(), name="auth-token-revoke"),
    path("auth/signup/firm/", auth.FirmSignupView.as_view(), name="auth-signup-firm"),
    path("auth/password-reset/", auth.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        auth.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/me/", auth.MeView.as_view(), name="auth-me"),
    path("invitations/", invitations.InvitationCreateView.as_view(), name="invitation-create"),
    path(
        "invitations/accept/",
        invitations.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
]
