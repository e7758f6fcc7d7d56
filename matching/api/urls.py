"""API v1 routes of the matching app."""

from rest_framework.routers import SimpleRouter

from matching.api import matches, runs

app_name = "matching"
router = SimpleRouter()
router.register("match-runs", runs.MatchRunViewSet, basename="match-run")
router.register(
    "recommendations/awaiting-decision",
    matches.AwaitingDecisionViewSet,
    basename="awaiting-decision",
)
router.register("matches", matches.MatchViewSet, basename="match")
urlpatterns = router.urls
