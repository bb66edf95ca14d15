"""REST endpoints of this app under /api/v1/ (see core/api.py)."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "governance-api"

DOCUMENT = r"policy-documents/(?P<document_slug>[-a-zA-Z0-9_]+)"

router = SimpleRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("policy-documents", views.PolicyDocumentViewSet, basename="policy-document")
router.register(f"{DOCUMENT}/versions", views.PolicyVersionViewSet, basename="policy-version")
router.register(
    rf"{DOCUMENT}/versions/(?P<version_number>[0-9]+)/rules", views.PolicyVersionRuleViewSet, basename="policy-rule"
)
router.register("rules", views.RuleViewSet, basename="rule")

urlpatterns = router.urls
