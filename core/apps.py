from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Cross-cutting pieces every app builds on: errors, locks, domain events, task
    dispatch, idempotent requests and the API's base classes. Imports no other app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        # Registers the OpenAPI extension of the strict filter backend, and the outbox's
        # drain task by name.
        from core import tasks  # noqa: F401
        from core.api import schema  # noqa: F401
