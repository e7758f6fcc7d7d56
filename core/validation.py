"""Model validation as the services report it."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from core.errors import InvalidInput


def full_clean_or_raise(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run model validation and turn Django's ValidationError into InvalidInput (400)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=True)
    except ValidationError as exc:
        raise InvalidInput(
            _("数据校验失败。"),
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
        ) from exc
