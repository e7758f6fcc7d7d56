from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scenarios"
    verbose_name = _("场景与清单")

    def ready(self) -> None:
        # Registers the OpenAPI extension for the strict filter backend.
        import config.schema_extensions  # noqa: F401
