"""The “Passwort vergessen” page: Django's view, with the request counted and the mail
left to the worker (governance.password_reset)."""

from http import HTTPStatus

from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from core import participation

from .password_reset import request_password_reset


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        if not request_password_reset(form.cleaned_data["email"], client=participation.client_ip(self.request)):
            form.add_error(
                None,
                _(
                    "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Anfragen für ein neues Passwort. Bitte "
                    "versuchen Sie es später erneut."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=HTTPStatus.TOO_MANY_REQUESTS)
        return HttpResponseRedirect(self.get_success_url())
