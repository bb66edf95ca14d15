"""The pages of single sign-on (governance.oidc holds the logic): the sign-in at the
provider and its callback, the login page with the button, the logout at the provider,
the back-channel logout endpoint and the governance admins' page of group mappings."""

import logging

import requests
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import oidc, permissions
from .models import OidcGroupRole, OidcSession, Role
from .views import staff_required

logger = logging.getLogger(__name__)


def _refused_login(request, message: str) -> HttpResponseRedirect:
    messages.error(request, message)
    return redirect("login")


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    """Sends the person to the provider (state, nonce and PKCE from mozilla-django-oidc)."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.provider()["authorization_endpoint"]
        except (requests.RequestException, oidc.Refused, ValueError) as error:
            logger.warning("OIDC discovery failed: %s", error)
            return _refused_login(request, _("Der Identitätsanbieter ist zurzeit nicht erreichbar."))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer. A refusal (an unknown or used state, an error of the
    provider, a token the checks refuse) ends on the login page with the reason."""

    def get(self, request):
        if not oidc.enabled():
            raise Http404
        state = request.GET.get("state")
        known = request.session.get("oidc_states") or {}
        if request.GET.get("code") and state not in known:
            # mozilla-django-oidc would answer a 400; a state is good for one answer only.
            return _refused_login(
                request,
                _("Diese Anmeldung ist abgelaufen oder wurde schon verwendet. Bitte melden Sie sich erneut an."),
            )
        if request.GET.get("iss") and request.GET["iss"].rstrip("/") != oidc.issuer():
            known.pop(state, None)
            request.session.modified = True
            return _refused_login(request, _("Die Antwort stammt nicht vom eingestellten Identitätsanbieter."))
        self.refresh = request.user.is_authenticated
        return super().get(request)

    def login_failure(self):
        if self.request.user.is_authenticated:
            auth_logout(self.request)
        if self.request.GET.get("error"):
            message = (
                _("Ihre Anmeldung beim Identitätsanbieter ist nicht mehr gültig. Bitte melden Sie sich erneut an.")
                if self.refresh
                else _("Der Identitätsanbieter hat die Anmeldung nicht bestätigt.")
            )
        else:
            message = getattr(self.request, "oidc_refusal", "") or _(
                "Die Anmeldung mit dem Dienstkonto ist fehlgeschlagen."
            )
        return _refused_login(self.request, _("Anmeldung abgelehnt: %(reason)s") % {"reason": message})

    def login_success(self):
        response = super().login_success()
        oidc.remember_session(self.request, getattr(self.request, "oidc_claims", {}))
        return response


class LocalLoginForm(AuthenticationForm):
    """The password form; with OIDC_LOCAL_LOGIN off only for the break-glass accounts,
    refused before the password is looked at."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if not oidc.local_login_allowed(username):
            raise ValidationError(
                _("Die Anmeldung mit Passwort ist abgeschaltet. Bitte melden Sie sich mit Ihrem Dienstkonto an."),
                code="local_login_off",
            )
        return super().clean()


class LoginView(auth_views.LoginView):
    form_class = LocalLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = oidc.enabled()
        context["oidc_label"] = settings.OIDC_LOGIN_LABEL
        context["local_login"] = not oidc.enabled() or settings.OIDC_LOCAL_LOGIN
        return context


class LogoutView(auth_views.LogoutView):
    """Ends our session and, when it was opened through the provider, the provider's too
    (RP-initiated logout: its end_session_endpoint with the ID token as hint)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token", "") if oidc.enabled() else ""
        if request.session.session_key:
            OidcSession.objects.filter(session_key=request.session.session_key).delete()
        response = super().post(request, *args, **kwargs)
        target = oidc.end_session_url(request, id_token) if id_token else ""
        return HttpResponseRedirect(target) if target else response


@csrf_exempt
@never_cache
@require_POST
def backchannel_logout(request):
    """OpenID Connect Back-Channel Logout 1.0: the provider POSTs a logout token; every
    session it names ends. A token the checks refuse is a 400."""
    if not oidc.enabled():
        raise Http404
    try:
        claims = oidc.check_logout_token(request.POST.get("logout_token", ""))
    except (oidc.Refused, requests.RequestException, ValueError) as error:
        logger.warning("OIDC back-channel logout refused: %s", error)
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    oidc.end_sessions(sid=str(claims.get("sid", "")), sub=str(claims.get("sub", "")))
    return HttpResponse(status=200)


# ---------------------------------------------------------------------------
# The mapping of the provider's groups to roles


class GroupRoleForm(forms.ModelForm):
    class Meta:
        model = OidcGroupRole
        fields = ["group", "organisation", "role"]

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = manageable(manager)
        self.fields["role"].choices = Role.choices


GroupRoleForm.base_fields["group"].label = gettext_lazy("Gruppe beim Identitätsanbieter")


def manageable(user):
    return permissions.organisations_with_role(user, Role.GOVERNANCE_ADMIN)


@staff_required
def group_roles(request):
    """The mappings of the organisations whose roles the person manages; add one."""
    organisations = manageable(request.user)
    if not organisations.exists():
        raise PermissionDenied
    if request.method == "POST":
        posted = request.POST.get("organisation", "")
        if posted and not organisations.filter(pk=posted if posted.isdigit() else None).exists():
            raise PermissionDenied
    form = GroupRoleForm(request.POST or None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        mapping = form.save(commit=False)
        mapping.created_by = request.user
        mapping._change_reason = "governance.oidc_group_role.created"
        mapping._history_user = request.user
        try:
            with transaction.atomic():
                mapping.save()
        except IntegrityError:
            form.add_error(None, _("Diese Zuordnung gibt es schon."))
        else:
            messages.success(request, _("Die Zuordnung wurde angelegt. Sie wirkt ab der nächsten Anmeldung."))
            return redirect("governance:oidc_group_roles")
    mappings = OidcGroupRole.objects.filter(organisation__in=organisations).select_related("organisation")
    return render(
        request,
        "governance/oidc_group_roles.html",
        {"form": form, "mappings": mappings, "oidc_enabled": oidc.enabled()},
    )


@staff_required
@require_POST
def group_role_remove(request, pk):
    mapping = get_object_or_404(OidcGroupRole, pk=pk)
    if not permissions.can_manage_roles(request.user, mapping.organisation):
        raise PermissionDenied
    mapping._change_reason = "governance.oidc_group_role.removed"
    mapping._history_user = request.user
    mapping.delete()
    messages.success(
        request, _("Die Zuordnung wurde entfernt. Rollen aus ihr entfallen bei der nächsten Anmeldung der Personen.")
    )
    return redirect(reverse("governance:oidc_group_roles"))
