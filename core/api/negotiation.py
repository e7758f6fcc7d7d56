"""Content negotiation that refuses a ``?format=`` it cannot answer with a 400."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.words import listing


class StrictContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, except for the ``?format=`` query parameter: an unknown format is
    a 400 on ``format`` naming the formats the endpoint has (DRF answers 404, as if the
    address named nothing), and so is ``format`` given twice (DRF takes the last). A
    format suffix (``needs.xml``) is part of the address and stays a 404."""

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        param = api_settings.URL_FORMAT_OVERRIDE
        if not format_suffix and param:
            values = request.query_params.getlist(param)
            if len(values) > 1:
                raise ValidationError({param: [_("只能给出一个值。")]})
            formats = sorted({str(r.format) for r in renderers if r.format})
            if values and values[0] and values[0] not in formats:
                message = _("不支持的格式：%(format)s。可用：%(formats)s。") % {
                    "format": values[0][:64],
                    "formats": listing(formats),
                }
                raise ValidationError({param: [message]})
        return super().select_renderer(request, renderers, format_suffix)  # type: ignore[no-any-return]
