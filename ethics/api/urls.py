"""REST endpoints of this app under /api/v1/ (see core/api.py)."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "ethics-api"

router = SimpleRouter()
router.register("ethics-reviews", views.EthicsReviewViewSet, basename="ethics-review")
router.register("data-uses", views.DataUseViewSet, basename="data-use")

urlpatterns = router.urls
