"""REST endpoints of the table store under /api/v1/ (see datastore.api)."""

from django.urls import path

from . import api

app_name = "datastore-api"

urlpatterns = [
    path("tables/<uuid:resource_id>/", api.TableView.as_view(), name="table"),
    path("tables/<uuid:resource_id>/rows/", api.RowsView.as_view(), name="rows"),
    path("tables/<uuid:resource_id>/groups/", api.GroupsView.as_view(), name="groups"),
]
