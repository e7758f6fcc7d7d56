"""Routes for bulk import/export in the exchange format.

Included before the router, so these fixed paths win over the ``{id}`` detail routes of
``needs``, ``capabilities`` and ``public/needs``.
"""

from django.urls import path

from scenarios.api import exchange

urlpatterns = [
    path("needs/import/", exchange.NeedImportView.as_view(), name="need-import"),
    path("capabilities/import/", exchange.CapabilityImportView.as_view(), name="capability-import"),
    path(
        "public/needs/export/", exchange.PublicNeedExportView.as_view(), name="public-need-export"
    ),
    path("capabilities/export/", exchange.CapabilityExportView.as_view(), name="capability-export"),
]
