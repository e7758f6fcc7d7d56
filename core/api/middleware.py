"""Django's CommonMiddleware, with a method-preserving slash redirect for the API."""

from django.http import HttpRequest, HttpResponseBase
from django.middleware.common import CommonMiddleware
from django.utils.http import escape_leading_slashes
from django.utils.translation import gettext as _

from core.api.errors import json_error

# Requests whose method a 301 loses: clients follow it with a GET, dropping the body.
SAFE_METHODS = ("GET", "HEAD")


class AppendSlashMiddleware(CommonMiddleware):
    """APPEND_SLASH as Django does it, except for a write to an API address without its
    trailing slash: a 308 (the client repeats the same method and body at the new address)
    with a JSON body naming that address, instead of a 301 with an empty HTML body (or,
    with DEBUG on, Django's RuntimeError page)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            response.status_code == 404
            and request.method not in SAFE_METHODS
            and request.path_info.startswith("/api/")
            and self.should_redirect_with_slash(request)
        ):
            url = escape_leading_slashes(request.get_full_path(force_append_slash=True))
            redirect = json_error(
                {
                    "code": "append_slash",
                    "detail": _("该地址须以斜杠结尾，请改用 %(url)s。") % {"url": url},
                    "fields": {},
                },
                status=308,
            )
            redirect["Location"] = url
            return redirect
        return super().process_response(request, response)
