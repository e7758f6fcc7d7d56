"""Root URLs: admin, health, API v1 (one router per app) and its live OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import APIRootView, SimpleRouter

from accounts.api import urls as accounts_urls
from activity.api import urls as activity_urls
from config.health import healthz
from matching.api import urls as matching_urls
from reference.api import urls as reference_urls
from scenarios.api import urls as scenarios_urls

API_APPS = [accounts_urls, scenarios_urls, matching_urls, activity_urls, reference_urls]


def _api_root_dict() -> dict[str, str]:
    """Every list route of the apps' routers, for the browsable root at /api/v1/."""
    routes: dict[str, str] = {}
    for module in API_APPS:
        router = getattr(module, "router", None)
        if isinstance(router, SimpleRouter):
            for prefix, _viewset, basename in router.registry:
                routes[prefix] = f"{module.app_name}:{basename}-list"
    return routes


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", APIRootView.as_view(api_root_dict=_api_root_dict()), name="api-root"),
    *(path("api/v1/", include(module)) for module in API_APPS),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_failure"
