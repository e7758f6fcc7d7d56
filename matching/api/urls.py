from rest_framework.routers import SimpleRouter

app_name = "matching"
router = SimpleRouter()
urlpatterns = router.urls
