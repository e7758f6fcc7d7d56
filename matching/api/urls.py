from rest_framework.routers import SimpleRouter

from matching.api import views

app_name = "matching"
router = SimpleRouter()
router.register("match-runs", views.MatchRunViewSet, basename="match-run")
router.register("matches", views.MatchViewSet, basename="match")
urlpatterns = router.urls
