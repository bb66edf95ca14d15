"""REST endpoints of this app under /api/v1/ (see core/api.py)."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "portal-api"

router = SimpleRouter()
router.register("data-requests", views.DataRequestViewSet, basename="data-request")

urlpatterns = router.urls
