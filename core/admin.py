"""Building blocks of every app's admin, and the admin of the idempotency records and the
outbox.

The admin is an adapter like the API: workflow objects change only through admin actions
that call the services as the signed-in user, so the same permission rules, row locks and
audit rows apply, and a refused action shows the service's message.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.helpers import ActionForm
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.api.throttles import LoginThrottle
from core.errors import DomainError
from core.models import IdempotencyRecord, OutboxMessage


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in under the same ``login`` rate as the portal and the API (per
    client address, one budget): over it, the form says when to try again and no password
    is checked."""

    def clean(self) -> dict[str, Any]:
        throttle = LoginThrottle()
        if self.request is not None and not throttle.allow_request(self.request, None):  # type: ignore[arg-type]
            wait = max(1, int(throttle.wait() or 60))
            raise forms.ValidationError(
                gettext("尝试次数过多，请 %(seconds)s 秒后再试。") % {"seconds": wait},
                code="throttled",
            )
        return super().clean()


admin.site.login_form = ThrottledAdminLoginForm
admin.site.site_header = _("场景机会撮合平台 · 运营管理")
admin.site.site_title = _("场景机会撮合平台")
admin.site.index_title = _("运营管理")


class ReasonActionForm(ActionForm):
    """The changelist action bar with a reason box for return / reject / suspend."""

    reason = forms.CharField(
        label=_("理由/意见"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("退回、不予通过、暂停时必填")}),
    )


def action_reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()


def run_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    call: Callable[[Any], object],
    done: str,
) -> None:
    """Call a service per object; report successes once and each refusal by name."""
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except DomainError as exc:
            model_admin.message_user(request, f"{obj}：{exc.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, f"{done}：{succeeded} 条。", messages.SUCCESS)


def admin_link(obj: Model | None) -> str | SafeString:
    if obj is None:
        return "-"
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(obj)
    return format_html('<a href="{}">{}</a>', url, obj)


def column(field: str, label: Any, *, digits: int | None = None) -> Any:
    """A model field as an admin method (a list column or a read-only field) under a Chinese
    label, for fields whose model gives none (their English name showed as NEED, EXPERT…);
    with ``digits``, a float rounded (a mean of scores showed as 86.00000000000001)."""

    @admin.display(description=label, ordering=field)
    def show(model_admin: Any, obj: Any) -> Any:
        value = getattr(obj, field)
        if digits is not None and isinstance(value, float):
            return f"{value:.{digits}f}"
        return value

    return show


class ViewOnlyMixin:
    """No add, change or delete: the object changes only through services (actions)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ViewOnlyInline(ViewOnlyMixin, admin.TabularInline):
    """Rows shown for reference; every listed field is read-only."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(self.fields or [])


class ServiceErrorsMixin:
    """Show a service's refusal on the add/change form, on the fields it names, with what
    the operator typed, instead of a 500.

    The admin wraps the form view in a transaction, so the refused request leaves nothing
    behind; the view then runs once more on the same POST with a form that carries the
    refusal as its errors (it never reaches ``save_model`` again).
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except DomainError as exc:
            if getattr(request, _REFUSAL_ATTR, None) is not None:
                raise  # the second run cannot be refused again (it saves nothing)
            setattr(request, _REFUSAL_ATTR, exc)
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        found: DomainError | None = getattr(request, _REFUSAL_ATTR, None)
        if found is None or request.method != "POST":
            return form_class
        refusal = found

        class RefusedForm(form_class):  # type: ignore[valid-type,misc]
            def _post_clean(self) -> None:
                super()._post_clean()
                add_refusal(self, refusal)

        return RefusedForm


_REFUSAL_ATTR = "_admin_service_refusal"


def add_refusal(form: forms.BaseForm, refusal: DomainError) -> None:
    """A service's refusal as form errors: each message on its field when the form shows
    that field, otherwise above the form; the refusal's summary too when no field took it."""
    placed = False
    for field, problems in refusal.fields.items():
        for problem in problems:
            if field in form.fields:
                form.add_error(field, problem)
                placed = True
            else:
                form.add_error(None, problem)
    if not placed:
        form.add_error(None, refusal.message)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "key", "endpoint", "status_code", "created_at"]
    list_filter = ["status_code"]
    search_fields = ["key", "endpoint", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


class OutboxPendingFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "pending"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("待发送")), ("0", _("已发送"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() in ("0", "1"):
            return queryset.filter(sent_at__isnull=self.value() == "1")
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The tasks waiting for the broker (and those sent recently): read only; the drain
    sends them (``manage.py drain_outbox``)."""

    list_display = ["id", "task_name", "kwargs", "created_at", "attempts", "last_error", "sent_at"]
    list_filter = [OutboxPendingFilter, "task_name"]
    search_fields = ["task_name"]
    date_hierarchy = "created_at"
