"""Everything under /api/: the REST API (v1) with its OpenAPI schema and docs, and the
CKAN-compatible Action API that harvesters and `ckanapi` use."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

v1 = [
    path("", include("governance.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("ethics.api.urls")),
    path("", include("portal.api.urls")),
    path("", include("datastore.api_urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    # OpenAPI 3 schema (public, like the endpoints' descriptions in it) and Swagger UI.
    # The split view loads its start script as a file, so the strict CSP holds; the page
    # template replaces drf-spectacular's inline <style> with a stylesheet.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path("", include("portal.ckan.urls")),
]
