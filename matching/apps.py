from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    """Scoring every plausible need–capability pair, explaining each score, and pairing them
    under quotas; reacts to the scenarios app's events (``matching.receivers``)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "matching"
    verbose_name = _("智能撮合")

    def ready(self) -> None:
        # Registers the Celery tasks by name (services enqueue them by name) and subscribes
        # the receivers to the scenarios app's events.
        from matching import receivers, tasks  # noqa: F401

        receivers.connect()
