"""Root URLs: admin, health, API v1 (one router per app) and its live OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import APIRootView, SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from accounts.api import urls as accounts_urls
from activity.api import urls as activity_urls
from config.health import healthz
from config.views import (
    api_not_found,
    moved_admin_page,
    moved_out_of_scenarios,
    same_origin_only,
)
from matching.api import urls as matching_urls
from reference.api import urls as reference_urls
from scenarios.api import urls as scenarios_urls

API_APPS = [accounts_urls, scenarios_urls, matching_urls, activity_urls, reference_urls]
# The lists the browsable root at /api/v1/ has always shown, in its order.
API_ROOT = [
    "needs",
    "capabilities",
    "reviews/queue",
    "pilots",
    "organizations",
    "policy",
    "negative-list",
    "notifications",
    "public/needs",
    "public/capabilities",
    "regions",
    "chains",
]


def _api_root_dict() -> dict[str, str]:
    """``API_ROOT``'s prefixes, each with the list route of the app router that serves it."""
    routes: dict[str, str] = {}
    for module in API_APPS:
        router = getattr(module, "router", None)
        if isinstance(router, SimpleRouter):
            for prefix, _viewset, basename in router.registry:
                routes[prefix] = f"{module.app_name}:{basename}-list"
    return {prefix: routes[prefix] for prefix in API_ROOT}


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Bookmarks of the admin pages of models that moved out of scenarios still work.
    re_path(
        rf"^admin/scenarios/(?P<model>{'|'.join(sorted(moved_out_of_scenarios()))})/(?P<rest>.*)$",
        moved_admin_page,
        name="moved-admin-page",
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        same_origin_only(SpectacularSwaggerView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        same_origin_only(
            SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
    *format_suffix_patterns(
        [path("api/v1/", APIRootView.as_view(api_root_dict=_api_root_dict()), name="api-root")]
    ),
    *(path("api/v1/", include(module)) for module in API_APPS),
    # Any other API address ending in a slash is a JSON 404, with DEBUG on too (Django's
    # technical 404 page is HTML); one without the slash still gets APPEND_SLASH's redirect.
    # [\s\S], not ".": an address may hold an encoded line break.
    re_path(r"^api/(?:[\s\S]*/)?$", api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal.urls")),
]

handler400 = "config.views.bad_input"
handler404 = "config.views.not_found"
handler500 = "config.views.server_failure"
