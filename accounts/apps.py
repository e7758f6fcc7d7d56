from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who acts on the platform: organizations, their people and roles, the committees'
    jurisdictions, and the ways in (sign-up, invitations, password reset, API tokens)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("组织与账号")
