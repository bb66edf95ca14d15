from django.urls import path

from . import views
from .harvest import views as harvest_views
from .imports import views as import_views

app_name = "catalog"

urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("neu/", views.dataset_create, name="dataset_create"),
    # Inventory import (before the dataset patterns: "import" is a reserved dataset name).
    path("import/", import_views.import_start, name="import_start"),
    path("import/vorlage.<str:file_format>", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<int:pk>/fortschritt/", import_views.import_progress, name="import_progress"),
    # Harvesting from CKAN portals ("harvesting" is a reserved dataset name, too).
    path("harvesting/", harvest_views.harvest_source_list, name="harvest_source_list"),
    path("harvesting/neu/", harvest_views.harvest_source_create, name="harvest_source_create"),
    path("harvesting/<int:pk>/", harvest_views.harvest_source_detail, name="harvest_source_detail"),
    path("harvesting/<int:pk>/bearbeiten/", harvest_views.harvest_source_edit, name="harvest_source_edit"),
    path("harvesting/<int:pk>/starten/", harvest_views.harvest_start, name="harvest_start"),
    path("harvesting/laeufe/<int:pk>/", harvest_views.harvest_job_detail, name="harvest_job_detail"),
    path("harvesting/laeufe/<int:pk>/fortschritt/", harvest_views.harvest_job_progress, name="harvest_job_progress"),
    path("<slug:name>/", views.dataset_detail, name="dataset_detail"),
    path("<slug:name>/bearbeiten/", views.dataset_edit, name="dataset_edit"),
    path("<slug:name>/klassifizieren/", views.dataset_classify, name="dataset_classify"),
    path("<slug:name>/workflow/<str:action>/", views.dataset_transition, name="dataset_transition"),
    path("<slug:name>/veroeffentlichen/", views.dataset_publish, name="dataset_publish"),
    path("<slug:name>/verlauf/", views.dataset_history, name="dataset_history"),
    path("<slug:name>/aenderungen/<int:number>/", views.change_detail, name="change_detail"),
    path(
        "<slug:name>/aenderungen/<int:number>/schritt/<str:action>/",
        views.change_transition,
        name="change_transition",
    ),
    path("<slug:name>/distributionen/neu/", views.distribution_create, name="distribution_create"),
    path("<slug:name>/distributionen/<int:pk>/datei/", views.distribution_file, name="distribution_file"),
    path("<slug:name>/distributionen/<int:pk>/entfernen/", views.distribution_delete, name="distribution_delete"),
]
