"""The steward's data dictionary editor, under the internal catalog (/intern/datensaetze/)."""

from django.urls import path

from . import dictionary_views

app_name = "datastore-dictionary"

urlpatterns = [
    path("<uuid:identifier>/", dictionary_views.edit, name="edit"),
]
