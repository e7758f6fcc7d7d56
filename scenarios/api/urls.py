"""API v1 routes of the scenarios app.

The fixed exchange paths come before the router, so they win over the ``{id}`` detail
routes of ``needs``, ``capabilities``, ``public/needs`` and ``public/capabilities``.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from scenarios.api import (
    capabilities,
    exchange,
    needs,
    organizations,
    pilots,
    policy,
    public,
    reviews,
)

app_name = "scenarios"
router = SimpleRouter()
router.register("needs", needs.NeedViewSet, basename="need")
router.register("capabilities", capabilities.CapabilityViewSet, basename="capability")
router.register("reviews/queue", reviews.ReviewQueueViewSet, basename="review-queue")
router.register("pilots", pilots.PilotViewSet, basename="pilot")
router.register("organizations", organizations.OrganizationViewSet, basename="organization")
router.register("policy", policy.PolicyViewSet, basename="policy")
router.register("negative-list", policy.NegativeListViewSet, basename="negative-list")
router.register("public/needs", public.PublicNeedViewSet, basename="public-need")
router.register("public/capabilities", public.PublicCapabilityViewSet, basename="public-capability")

urlpatterns = [
    path("needs/import/", exchange.NeedImportView.as_view(), name="need-import"),
    path("capabilities/import/", exchange.CapabilityImportView.as_view(), name="capability-import"),
    path(
        "public/needs/export/", exchange.PublicNeedExportView.as_view(), name="public-need-export"
    ),
    path(
        "public/capabilities/export/",
        exchange.PublicCapabilityExportView.as_view(),
        name="public-capability-export",
    ),
    path("needs/export/", exchange.NeedExportView.as_view(), name="need-export"),
    path("capabilities/export/", exchange.CapabilityExportView.as_view(), name="capability-export"),
    # Format suffixes (needs.json) as the API has always answered them.
    *format_suffix_patterns(router.urls),
]
