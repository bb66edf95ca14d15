"""Everything under /api/: the REST API (v1) with its OpenAPI schema and docs, and the
CKAN-compatible Action API that harvesters and `ckanapi` use."""

from django.urls import include, path

v1 = [
    path("", include("governance.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("ethics.api.urls")),
    path("", include("portal.api.urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("", include("portal.ckan_urls")),
]
