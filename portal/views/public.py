"""The public pages: home, the opportunity list (机会清单), the capability list (能力清单),
their detail pages and the download of a selection. Anyone may read them."""

import re
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal import lists, trees
from portal.views.common import HtmxHttpRequest
from scenarios import selectors
from scenarios.exchange import capabilities_export, opportunity_list_export
from scenarios.facets import capability_facets, need_facets, public_counts

HOME_ITEMS = 6
# Latin letters, half- and full-width: a search in them (an English reader's "battery") finds
# little in lists written in Chinese, and an empty result says so.
LATIN = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ]")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    counts = public_counts()
    context = {
        "needs": selectors.need_public_list().order_by("-published_at", "-id")[:HOME_ITEMS],
        "capabilities": selectors.capability_public_list().order_by("-published_at", "-id")[
            :HOME_ITEMS
        ],
        "counts": counts,
    }
    return render(request, "portal/public/home.html", context)


def _selection(request: HttpRequest, kind: str) -> lists.Selection:
    """The public list of ``kind`` filtered, searched and ordered as the URL asks."""
    if kind == "need":
        form: lists.ListQueryForm = lists.NeedQueryForm(request.GET)
        base: QuerySet[Any] = selectors.need_public_list()
    else:
        form = lists.CapabilityQueryForm(request.GET)
        base = selectors.capability_public_list()
    return lists.select(form=form, queryset=base, kind=kind)


def _list_context(request: HttpRequest, kind: str) -> dict[str, Any]:
    selection = _selection(request, kind)
    form = selection.form
    facets = (
        need_facets(needs=selection.filtered)
        if kind == "need"
        else capability_facets(capabilities=selection.filtered)
    )
    return {
        "kind": kind,
        "form": form,
        "selection": selection,
        "page": selection.page(request.GET.get("page"), count=facets.total),
        "facets": facets,
        "chain_tree": trees.chain_facet(facets.chains, selection.active.get("chain")),
        "region_tree": trees.region_facet(
            facets.regions, selection.active.get("region"), home_only=kind == "need"
        ),
        "latin_query": bool(LATIN.search(selection.active.get("q") or "")),
    }


@require_safe
def need_list(request: HtmxHttpRequest) -> HttpResponse:
    context = _list_context(request, "need")
    template = "portal/public/_list_body.html" if request.htmx else "portal/public/need_list.html"
    return render(request, template, context)


@require_safe
def capability_list(request: HtmxHttpRequest) -> HttpResponse:
    context = _list_context(request, "capability")
    template = (
        "portal/public/_list_body.html" if request.htmx else "portal/public/capability_list.html"
    )
    return render(request, template, context)


def _download(request: HttpRequest, kind: str) -> HttpResponse:
    """The current selection of a list as an XLSX in the exchange format: exactly what the
    list shows for the same address, read by the same form (``_selection``), so a filter the
    list ignores (and says so beside the items) is ignored here too."""
    selection = _selection(request, kind)
    if kind == "need":
        export = opportunity_list_export(fmt="xlsx", needs=selection.ordered)
    else:
        export = capabilities_export(fmt="xlsx", capabilities=selection.ordered)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@require_safe
def need_export(request: HttpRequest) -> HttpResponse:
    return _download(request, "need")


@require_safe
def capability_export(request: HttpRequest) -> HttpResponse:
    return _download(request, "capability")


@require_safe
def need_detail(request: HttpRequest, ref: str) -> HttpResponse:
    need = selectors.need_public_list().filter(ref=ref).first()
    if need is None:
        raise Http404
    return render(request, "portal/public/need_detail.html", {"need": need})


@require_safe
def capability_detail(request: HttpRequest, ref: str) -> HttpResponse:
    capability = selectors.capability_public_list().filter(ref=ref).first()
    if capability is None:
        raise Http404
    context = {
        "capability": capability,
        "validated_pilots": selectors.pilots_validated_of(capability=capability),
        "other_capabilities": selectors.capability_public_list()
        .filter(firm_id=capability.firm_id)
        .exclude(pk=capability.pk)
        .select_related(None)
        .prefetch_related(None)
        .only("ref", "title")
        .order_by("-published_at", "-id")[:5],
    }
    return render(request, "portal/public/capability_detail.html", context)
