"""Mounted at /intern/teilen/ (config/urls.py), before the governance pages."""

from django.urls import path

from . import views

app_name = "sharing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("vereinbarungen/neu/", views.agreement_create, name="agreement_create"),
    path("vereinbarungen/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("vereinbarungen/<int:pk>/bearbeiten/", views.agreement_edit, name="agreement_edit"),
    path("vereinbarungen/<int:pk>/<str:action>/", views.agreement_transition, name="agreement_transition"),
    path("katalog/", views.catalog, name="catalog"),
    path("katalog/<slug:name>/", views.catalog_dataset, name="catalog_dataset"),
    path("katalog/<slug:name>/zugang-beantragen/", views.request_create, name="request_create"),
    path("antraege/", views.request_list, name="request_list"),
    path("antraege/<int:pk>/", views.request_detail, name="request_detail"),
    path("antraege/<int:pk>/entscheiden/<str:decision>/", views.request_decide, name="request_decide"),
    path("antraege/<int:pk>/zurueckziehen/", views.request_withdraw, name="request_withdraw"),
    path("zugaenge/", views.my_access, name="my_access"),
    path("zugaenge/<int:pk>/entziehen/", views.grant_revoke, name="grant_revoke"),
    path("daten/<slug:name>/", views.shared_dataset, name="shared_dataset"),
    path("daten/<slug:name>/distributionen/<int:pk>/datei/", views.shared_file, name="shared_file"),
]
