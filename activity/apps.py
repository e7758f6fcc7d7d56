from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    """The audit trail of every state change and the notifications sent to people."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "activity"
    verbose_name = _("审计与通知")
