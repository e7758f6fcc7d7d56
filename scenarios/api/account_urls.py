"""Routes for sign-up, invitations, password reset and the current user."""

from django.urls import path

from scenarios.api import accounts

urlpatterns = [
    path("auth/signup/firm/", accounts.FirmSignupView.as_view(), name="auth-signup-firm"),
    path("auth/password-reset/", accounts.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        accounts.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/me/", accounts.MeView.as_view(), name="auth-me"),
    path("invitations/", accounts.InvitationCreateView.as_view(), name="invitation-create"),
    path(
        "invitations/accept/",
        accounts.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
]
