from django.urls import path

from . import public_views, views

app_name = "datastore"

urlpatterns = [
    path("tabellen/<uuid:identifier>/schema.json", views.table_schema, name="table_schema"),
    path("datensatz/<slug:name>/tabellen/<uuid:identifier>/", public_views.table_explorer, name="explorer"),
]
