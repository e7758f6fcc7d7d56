"""API v1 routes of the reference app."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from reference.api.chains import IndustryChainViewSet
from reference.api.regions import RegionViewSet

app_name = "reference"
router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("chains", IndustryChainViewSet, basename="chain")
# Format suffixes (regions.json) as the API has always answered them.
urlpatterns = format_suffix_patterns(router.urls)
