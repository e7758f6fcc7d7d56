from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    """The market's lists and their pipeline: needs (机会清单) and capabilities (能力清单),
    three-tier review, expert assessments, pilots, the province policy and negative list,
    and the exchange format. Announces what happened through ``scenarios.events``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios"
    verbose_name = _("场景与清单")
