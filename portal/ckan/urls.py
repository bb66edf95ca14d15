"""The CKAN Action API (read side): /api/3/action/<name> and /api/action/<name>."""

from django.urls import path

from . import views

app_name = "ckan"

urlpatterns = [
    path("", views.api_version, name="version"),
    path("3", views.api_version, name="version_3"),
    path("3/action/<str:action>", views.action, name="action"),
    # ckanapi's RemoteCKAN posts here, without the version, and does not follow redirects.
    path("action/<str:action>", views.action, name="action_unversioned"),
]
