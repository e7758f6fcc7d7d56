from rest_framework.routers import DefaultRouter

app_name = "scenarios"
router = DefaultRouter()
urlpatterns = router.urls
