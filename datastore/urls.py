from django.urls import path

from . import views

app_name = "datastore"

urlpatterns = [
    path("tabellen/<uuid:identifier>/schema.json", views.table_schema, name="table_schema"),
]
