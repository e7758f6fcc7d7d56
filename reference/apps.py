from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferenceConfig(AppConfig):
    """Reference data every other app points at: administrative regions (GB/T 2260) and the
    industry-chain taxonomy of the source article, loaded from the CSV files in ``data/``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reference"
    verbose_name = _("参考数据")
