"""API v1 routes of the activity app."""

from rest_framework.routers import SimpleRouter

from activity.api.notifications import NotificationViewSet

app_name = "activity"
router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
