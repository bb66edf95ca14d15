"""Mounted at the site root (config/urls.py): the staff pages under /intern/ethik/,
the public summaries of completed reviews under /ethik/."""

from django.urls import path

from . import views

app_name = "ethics"

urlpatterns = [
    path("intern/ethik/", views.review_list, name="review_list"),
    path("intern/ethik/pruefungen/<int:pk>/", views.review_detail, name="review_detail"),
    path("intern/ethik/pruefungen/<int:pk>/antworten/", views.review_answer, name="review_answer"),
    path("intern/ethik/pruefungen/<int:pk>/votum/", views.review_vote, name="review_vote"),
    path("intern/ethik/pruefungen/<int:pk>/auflagen/", views.condition_add, name="condition_add"),
    path("intern/ethik/pruefungen/<int:pk>/abschliessen/", views.review_close, name="review_close"),
    path("intern/ethik/auflagen/<int:pk>/erledigt/", views.condition_complete, name="condition_complete"),
    path("intern/ethik/datensatz/<slug:name>/", views.dataset_review, name="dataset_review"),
    path("intern/ethik/datennutzungen/neu/", views.data_use_create, name="data_use_create"),
    path("intern/ethik/datennutzungen/<int:pk>/", views.data_use_detail, name="data_use_detail"),
    path("intern/ethik/datennutzungen/<int:pk>/bearbeiten/", views.data_use_edit, name="data_use_edit"),
    path("intern/ethik/datennutzungen/<int:pk>/pruefung/", views.data_use_open_review, name="data_use_open_review"),
    path("ethik/", views.public_list, name="public_list"),
    path("ethik/<int:pk>/", views.public_detail, name="public_detail"),
]
