"""REST endpoints of this app under /api/v1/ (see core/api.py)."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "catalog-api"

DATASET = rf"datasets/(?P<dataset_name>{views.DATASET_NAME})"

router = SimpleRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register(f"{DATASET}/distributions", views.DistributionViewSet, basename="distribution")
router.register(f"{DATASET}/classifications", views.ClassificationViewSet, basename="classification")

urlpatterns = router.urls
