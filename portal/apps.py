from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The web pages of every role: the public lists, sign-in and sign-up, the agency and
    firm workspaces, notifications. Views are adapters over the apps' services and
    selectors; no other app imports this one."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = _("门户")
