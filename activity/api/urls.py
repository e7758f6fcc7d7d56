"""API v1 routes of the activity app."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from activity.api.notifications import NotificationViewSet

app_name = "activity"
router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
# Format suffixes (regions.json) as the API has always answered them.
urlpatterns = format_suffix_patterns(router.urls)
