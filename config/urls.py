from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from governance import oidc_views, password_views, token_views
from governance.forms import OwnPasswordChangeForm, PasswordFromResetLinkForm
from portal import views as portal_views

account_urls = [
    path("anmelden/", oidc_views.LoginView.as_view(), name="login"),
    path("abmelden/", oidc_views.LogoutView.as_view(), name="logout"),
    path("passwort/", auth_views.PasswordChangeView.as_view(form_class=OwnPasswordChangeForm), name="password_change"),
    path("passwort/geaendert/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("passwort-vergessen/", password_views.PasswordResetView.as_view(), name="password_reset"),
    path("passwort-vergessen/gesendet/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "passwort-neu/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=PasswordFromResetLinkForm),
        name="password_reset_confirm",
    ),
    path(
        "passwort-neu/fertig/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("api-zugaenge/", token_views.api_tokens, name="api_tokens"),
    path("api-zugaenge/neu/", token_views.api_token_create, name="api_token_create"),
    path("api-zugaenge/<int:pk>/widerrufen/", token_views.api_token_revoke, name="api_token_revoke"),
]

urlpatterns = [
    path("sitemap.xml", portal_views.sitemap, name="sitemap"),
    path("robots.txt", portal_views.robots, name="robots"),
    path("api/", include("config.api_urls")),
    path("", include("ethics.urls")),  # /intern/ethik/ (staff) and /ethik/ (public summaries)
    path("", include("portal.urls")),
    path("", include("datastore.urls")),
    path("intern/datensaetze/tabellen/", include("datastore.staff_urls")),  # before the catalog's <name>/
    path("intern/datensaetze/lexikon/", include("datastore.dictionary_urls")),  # before the catalog's <slug:name>/
    path("intern/datensaetze/", include("catalog.urls")),
    path("intern/teilen/", include("sharing.urls")),
    path("", include("strategy.urls")),  # /intern/strategie/ (staff) and /strategie/ (public)
    path("intern/", include("governance.urls")),
    path("konto/", include(account_urls)),
    # Single sign-on (governance.oidc): the redirect URI is /oidc/callback/.
    path("oidc/anmelden/", oidc_views.AuthenticationRequestView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc_views.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("oidc/backchannel-logout/", oidc_views.backchannel_logout, name="oidc_backchannel_logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
