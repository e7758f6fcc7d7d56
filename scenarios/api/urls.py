"""API v1 routes of the scenarios app."""

from django.urls import include, path
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from scenarios.api import views


class ThrottledObtainAuthToken(ObtainAuthToken):
    """POST username + password → API token (throttled against guessing)."""

    throttle_classes = [views.LoginThrottle]


app_name = "scenarios"
router = DefaultRouter()
router.register("needs", views.NeedViewSet, basename="need")
router.register("capabilities", views.CapabilityViewSet, basename="capability")
router.register("reviews/queue", views.ReviewQueueViewSet, basename="review-queue")
router.register("pilots", views.PilotViewSet, basename="pilot")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("policy", views.PolicyViewSet, basename="policy")
router.register("negative-list", views.NegativeListViewSet, basename="negative-list")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("public/needs", views.PublicNeedViewSet, basename="public-need")
router.register("public/capabilities", views.PublicCapabilityViewSet, basename="public-capability")
router.register("regions", views.RegionViewSet, basename="region")
router.register("chains", views.IndustryChainViewSet, basename="chain")

urlpatterns = [
    path("auth/token/", ThrottledObtainAuthToken.as_view(), name="auth-token"),
    path("", include("scenarios.api.account_urls")),
    path("", include("scenarios.api.exchange_urls")),
    *router.urls,
]
