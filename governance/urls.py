from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("", views.tasks, name="tasks"),
    path("organisationen/", views.organisation_list, name="organisation_list"),
    path("organisationen/<slug:slug>/", views.organisation_detail, name="organisation_detail"),
    path("organisationen/<slug:slug>/bearbeiten/", views.organisation_edit, name="organisation_edit"),
    path("organisationen/<slug:slug>/verlauf/", views.organisation_history, name="organisation_history"),
    path("organisationen/<slug:slug>/rollen/neu/", views.role_assign, name="role_assign"),
    path("rollen/<int:pk>/entziehen/", views.role_revoke, name="role_revoke"),
    path("rollen/<int:pk>/vertretung/", views.deputy_create, name="deputy_create"),
    path("audit/", views.audit, name="audit"),
]
