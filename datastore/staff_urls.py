"""The steward's chart pages under /intern/datensaetze/tabellen/ (included before the
catalog, whose /intern/datensaetze/<name>/ would otherwise take "tabellen" for a dataset)."""

from django.urls import path

from . import staff_views

app_name = "datastore-staff"

urlpatterns = [
    path("<uuid:identifier>/diagramme/neu/", staff_views.chart_create, name="chart_create"),
    path("<uuid:identifier>/diagramme/<int:pk>/", staff_views.chart_edit, name="chart_edit"),
    path("<uuid:identifier>/diagramme/<int:pk>/entfernen/", staff_views.chart_delete, name="chart_delete"),
]
