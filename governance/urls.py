from django.urls import path

from . import oidc_views, views

app_name = "governance"

urlpatterns = [
    path("", views.tasks, name="tasks"),
    path("lage/<slug:code>/", views.state_list, name="state_list"),
    path("organisationen/", views.organisation_list, name="organisation_list"),
    path("organisationen/<slug:slug>/", views.organisation_detail, name="organisation_detail"),
    path("organisationen/<slug:slug>/bearbeiten/", views.organisation_edit, name="organisation_edit"),
    path("organisationen/<slug:slug>/verlauf/", views.organisation_history, name="organisation_history"),
    path("organisationen/<slug:slug>/rollen/neu/", views.role_assign, name="role_assign"),
    path("rollen/<int:pk>/entziehen/", views.role_revoke, name="role_revoke"),
    path("rollen/<int:pk>/vertretung/", views.deputy_create, name="deputy_create"),
    path("rollen/<int:pk>/vertretung/vorschlagen/", views.deputy_propose, name="deputy_propose"),
    path("vertretungen/<int:pk>/genehmigen/", views.deputy_approve, name="deputy_approve"),
    path("vertretungen/<int:pk>/beenden/", views.deputy_end, name="deputy_end"),
    path("richtlinien/", views.policy_list, name="policy_list"),
    path("richtlinien/neu/", views.policy_create, name="policy_create"),
    path("richtlinien/<slug:slug>/", views.policy_detail, name="policy_detail"),
    path("richtlinien/<slug:slug>/entwurf/", views.policy_draft_create, name="policy_draft_create"),
    path("richtlinien/<slug:slug>/vergleich/", views.policy_diff, name="policy_diff"),
    path("richtlinien/<slug:slug>/fassungen/<int:number>/", views.policy_version, name="policy_version"),
    path(
        "richtlinien/<slug:slug>/fassungen/<int:number>/bearbeiten/",
        views.policy_version_edit,
        name="policy_version_edit",
    ),
    path(
        "richtlinien/<slug:slug>/fassungen/<int:number>/verwerfen/",
        views.policy_version_discard,
        name="policy_version_discard",
    ),
    path(
        "richtlinien/<slug:slug>/fassungen/<int:number>/beschliessen/",
        views.policy_version_transition,
        {"transition": "adopt"},
        name="policy_version_adopt",
    ),
    path(
        "richtlinien/<slug:slug>/fassungen/<int:number>/inkraftsetzen/",
        views.policy_version_transition,
        {"transition": "in_force"},
        name="policy_version_in_force",
    ),
    path(
        "richtlinien/<slug:slug>/fassungen/<int:number>/aufheben/",
        views.policy_version_transition,
        {"transition": "repeal"},
        name="policy_version_repeal",
    ),
    path("richtlinien/<slug:slug>/fassungen/<int:number>/regeln/neu/", views.rule_create, name="rule_create"),
    path("richtlinien/<slug:slug>/fassungen/<int:number>/regeln/<str:code>/", views.rule_edit, name="rule_edit"),
    path(
        "richtlinien/<slug:slug>/fassungen/<int:number>/regeln/<str:code>/entfernen/",
        views.rule_remove,
        name="rule_remove",
    ),
    path("anmeldung/gruppen/", oidc_views.group_roles, name="oidc_group_roles"),
    path("anmeldung/gruppen/<int:pk>/entfernen/", oidc_views.group_role_remove, name="oidc_group_role_remove"),
    path("audit/", views.audit, name="audit"),
    path("audit/export.<str:fmt>", views.audit_export, name="audit_export"),
    path("audit/pruefen/", views.audit_verify, name="audit_verify"),
    path("audit/<int:seq>/", views.audit_event, name="audit_event"),
]
