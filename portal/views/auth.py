"""Signing in and out, firm sign-up, invitations and password reset, over the accounts
services (the same ones the API calls)."""

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.services.invitations import invitation_accept, invitation_problem
from accounts.services.signup import firm_signup
from accounts.services.users import (
    password_reset_confirm,
    password_reset_request,
    password_reset_user,
)
from core.api.throttles import LoginThrottle
from core.errors import DomainError
from portal.forms import apply_service_errors
from portal.forms.accounts import (
    FirmSignupForm,
    InvitationAcceptForm,
    LoginForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
)
from portal.views.common import page_of_button

BACKEND = "django.contrib.auth.backends.ModelBackend"


def too_many_attempts(request: HttpRequest, form: forms.Form) -> bool:
    """The API's ``login`` rate (``THROTTLE_LOGIN``, per client address, one budget shared
    with the API's token, sign-up and reset endpoints) for every form that guesses a secret
    or sends mail. Over it, the form says when to try again and nothing is checked."""
    throttle = LoginThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return False
    wait = max(1, int(throttle.wait() or 60))
    form.add_error(None, _("尝试次数过多，请 %(seconds)s 秒后再试。") % {"seconds": wait})
    return True


class LoginView(auth_views.LoginView):
    template_name = "portal/auth/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if too_many_attempts(request, form):
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        LoginThrottle.refund(self.request)  # only guesses count against the address
        return super().form_valid(form)

    def get_success_url(self) -> str:
        """Where ``next`` says, unless it is a button's address (signing in after pressing
        a button with an expired session): then the page that holds the button."""
        url = super().get_success_url()
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            return url
        if getattr(match.func, "button_action", False):
            return page_of_button(urlsplit(url).path)
        return url


class LogoutView(auth_views.LogoutView):
    """Signing out is a POST (the header's button); opening ``/logout/`` asks first."""

    http_method_names = ["get", "head", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, "portal/auth/logout_confirm.html")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Sign out, and say so on the page it lands on (the home page looked the same as
        before, so people could not tell whether it worked)."""
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("已退出登录。"))
        return response


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup_firm(request: HttpRequest) -> HttpResponse:
    """A firm registers itself and its first account, then waits for verification."""
    if request.user.is_authenticated:
        messages.info(request, _("您已登录。如需为另一家企业注册，请先退出登录。"))
        return redirect("portal:workspace")
    form = FirmSignupForm(request.POST or None)
    if request.method == "POST" and too_many_attempts(request, form):
        return render(request, "portal/auth/signup_firm.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, firm = firm_signup(
                username=data["username"],
                password=data["password1"],
                email=data["email"],
                firm_name=data["firm_name"],
                credit_code=data["credit_code"],
                region_code=data["region"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
            )
        except DomainError as exc:
            apply_service_errors(form, exc, {"password": "password1", "region_code": "region"})
        else:
            login(request, user, backend=BACKEND)
            messages.success(
                request,
                _("注册成功。“%(firm)s”正在等待认证，认证后您登记的能力会自动发布。")
                % {"firm": firm.name},
            )
            return redirect("portal:workspace")
    return render(request, "portal/auth/signup_firm.html", {"form": form})


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest) -> HttpResponse:
    """A person invited by e-mail chooses a username and password and gets the role."""
    token = request.GET.get("token", "") or request.POST.get("token", "")
    if request.method == "GET":
        problem = invitation_problem(token=token[:128])
        if problem:
            return _bad_link(request, _("邀请链接不可用"), problem)
    form = InvitationAcceptForm(request.POST or None)
    context = {"form": form, "token": token[:128]}
    if request.method == "POST" and too_many_attempts(request, form):
        return render(request, "portal/auth/invitation_accept.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as exc:
            apply_service_errors(form, exc, {"password": "password1"})
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("欢迎加入！您的账号已开通。"))
            return redirect("portal:workspace")
    return render(request, "portal/auth/invitation_accept.html", context)


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; the answer is the same whether or not the address has an
    account, so the page tells nobody which addresses are registered."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and too_many_attempts(request, form):
        return render(request, "portal/auth/password_reset.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        password_reset_request(email=form.cleaned_data["email"])
        return render(request, "portal/auth/password_reset_sent.html")
    return render(request, "portal/auth/password_reset.html", {"form": form})


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def password_reset_confirm_view(request: HttpRequest) -> HttpResponse:
    """Set a new password from the e-mailed link (``?uid=…&token=…``)."""
    uid = (request.GET.get("uid") or request.POST.get("uid") or "")[:64]
    token = (request.GET.get("token") or request.POST.get("token") or "")[:128]
    if request.method == "GET" and password_reset_user(uid=uid, token=token) is None:
        return _bad_link(
            request,
            _("重置链接不可用"),
            _("这个重置密码的链接无效、已使用或已过期。请重新申请，我们会再发一封邮件。"),
            again=True,
        )
    form = PasswordResetConfirmForm(request.POST or None)
    context = {"form": form, "uid": uid, "token": token}
    if request.method == "POST" and too_many_attempts(request, form):
        return render(request, "portal/auth/password_reset_confirm.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_confirm(
                uid=uid, token=token, new_password=form.cleaned_data["password1"]
            )
        except DomainError as exc:
            apply_service_errors(form, exc, {"new_password": "password1", "token": "__all__"})
        else:
            messages.success(request, _("密码已重置，请用新密码登录。"))
            return redirect("portal:login")
    return render(request, "portal/auth/password_reset_confirm.html", context)


def _bad_link(request: HttpRequest, title: str, detail: str, again: bool = False) -> HttpResponse:
    """An e-mailed link that cannot be used: say why, instead of a form that would fail."""
    context = {"title": title, "detail": detail, "again": again}
    return render(request, "portal/auth/bad_link.html", context, status=400)
