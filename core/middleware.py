"""Refuse request data no view can use, before any view sees it.

A NUL character cannot be stored in PostgreSQL text and made the database driver raise
inside lookups and searches (a 500 for `/suche/?q=%00` or CKAN's `package_show?id=%00`).
No person types one, so instead of guarding every query, a request with NUL in its
path, a query parameter or a form field (names and values; uploaded files are data and
are not looked at) is answered with 400 in the shape of the interface asked:

- a view with a `refuse_bad_input(request, message, **kwargs)` attribute answers itself
  (the CKAN Action API: its envelope with a "Validation Error");
- a REST API view (DRF) answers `{"detail": …, "code": "bad_input"}` as JSON;
- every other page shows the German page `bad_input.html`.

JSON bodies are checked by the parsers (`core.safejson`), which also limit the depth."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.views import APIView

from .api import bad_input_response

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL = "\x00"


def shown(name: str) -> str:
    return name.replace(NUL, "\\0")[:60]


def nul_problem(request) -> str | None:
    """The German message for the first NUL in the request's path, query or form, or None."""
    if NUL in request.path:
        return _("Die Adresse enthält ein Nullzeichen (NUL); das ist nicht erlaubt.")
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        sources.append(request.POST)
    for data in sources:
        for name, values in data.lists():
            if NUL in name or any(NUL in value for value in values):
                return _("Der Parameter „%(name)s“ enthält ein Nullzeichen (NUL); das ist nicht erlaubt.") % {
                    "name": shown(name)
                }
    return None


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        message = nul_problem(request)
        if message is None:
            return None
        refuse = getattr(view_func, "refuse_bad_input", None)
        if refuse is not None:
            return refuse(request, message, **view_kwargs)
        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return bad_input_response(message)
        return render(request, "bad_input.html", {"message": message}, status=400)
