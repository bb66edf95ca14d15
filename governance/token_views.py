"""The person's own API tokens under /konto/api-zugaenge/: list, create, revoke. Nobody
sees or revokes anyone else's tokens (404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.forms import add_errors

from . import services
from .forms import ApiTokenForm
from .models import ApiToken


def _token_list(request, form, *, status=200):
    return render(
        request,
        "governance/api_tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user),
            "form": form,
            "limit": services.API_TOKEN_LIMIT,
        },
        status=status,
    )


@require_GET
@login_required
def api_tokens(request):
    return _token_list(request, ApiTokenForm())


@never_cache
@login_required
@require_POST
def api_token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.create_api_token(
                request.user, name=form.cleaned_data["name"], valid_days=form.cleaned_data["valid_days"] or None
            )
        except services.GovernanceError as error:
            add_errors(form, error)
        else:
            # The only time the secret is shown: not redirected, not cached.
            return render(request, "governance/api_token_created.html", {"token": token, "secret": secret})
    return _token_list(request, form, status=400)


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.revoke_api_token(token, by=request.user)
    except services.GovernanceError as error:
        messages.info(request, str(error))
    else:
        messages.success(request, _("Das API-Token „%(name)s“ wurde widerrufen.") % {"name": token.name})
    return redirect("api_tokens")
