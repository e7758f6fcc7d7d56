"""Each signed-in user's own items as an XLSX (the public lists' downloads are in
``public``): an agency's needs, a firm's capabilities, what a committee oversees, in the
exchange format, with the Chinese names beside the codes. Edited, the file is imported back
with 按编号更新 on the import page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from scenarios.exchange import ExportFile, capability_own_list_export, need_own_list_export


def _download(export: ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
@require_safe
def own_needs(request: HttpRequest) -> HttpResponse:
    return _download(need_own_list_export(user=request.user, fmt="xlsx"))


@login_required
@require_safe
def own_capabilities(request: HttpRequest) -> HttpResponse:
    return _download(capability_own_list_export(user=request.user, fmt="xlsx"))
