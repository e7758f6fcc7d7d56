"""The audit trail (read-only, searchable) and notifications in the admin."""

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from activity.models import AuditEvent, Notification
from activity.selectors import audit_events_of
from core.admin import ViewOnlyMixin, column

AUDIT_TRAIL_LIMIT = 200


class AuditTrailMixin:
    """A read-only "审计轨迹" field listing the AuditEvent rows of the object."""

    @admin.display(description=_("审计轨迹"))
    def audit_trail(self, obj: Model | None) -> str | SafeString:
        if obj is None or obj.pk is None:
            return "-"
        events = list(audit_events_of(target=obj).order_by("-id")[:AUDIT_TRAIL_LIMIT])
        if not events:
            return str(_("暂无记录"))
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.action,
                    f"{e.from_state or '-'} → {e.to_state or '-'}",
                    e.actor.get_username() if e.actor else _("系统"),
                    e.reason or "",
                )
                for e in events
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("时间"),
            _("操作"),
            _("状态变化"),
            _("操作人"),
            _("原因/意见"),
            rows,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The append-only audit trail: searchable, never editable."""

    list_display = [
        "created_at",
        "action",
        "target",
        "from_state",
        "to_state",
        "actor",
        "short_reason",
    ]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_type", "target_id", "reason", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = ["target"]

    @admin.display(description=_("对象"))
    def target(self, obj: AuditEvent) -> str | SafeString:
        app_label, _dot, model_name = obj.target_type.partition(".")
        label = f"{obj.target_type}#{obj.target_id}"
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.target_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("原因/意见"))
    def short_reason(self, obj: AuditEvent) -> str:
        return obj.reason if len(obj.reason) <= 40 else obj.reason[:40] + "…"


@admin.register(Notification)
class NotificationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["user_col", "verb", "message", "read_at", "created_col"]
    user_col = column("user", _("用户"))
    created_col = column("created_at", _("时间"))
    list_filter = ["verb"]
    search_fields = ["user__username", "message", "target_id"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
