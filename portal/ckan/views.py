"""The HTTP side of the CKAN Action API: request data, the envelope, error objects and
status codes exactly as CKAN 2.11's `ckan/views/api.py`, so that ckanapi, ckanext-harvest,
udata and piveau read this portal unchanged. The actions are in `portal.ckan.actions`.

Every request is anonymous: the view never reads the session, the user or the
`Authorization`/`X-CKAN-API-Key` headers clients may send, sets no cookie and only
reads public data. That is why POST needs no CSRF token here, and why any origin may
read the answers (CORS `*`).
"""

from __future__ import annotations

import html
import json
import logging
import re

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from core import safejson

from . import actions
from .errors import NotAuthorized, NotFound, SearchQueryError, ValidationError

logger = logging.getLogger(__name__)

JSON = "application/json;charset=utf-8"
JAVASCRIPT = "application/javascript;charset=utf-8"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A JSONP callback must be a plain (dotted) JavaScript name; anything else gets plain JSON.
CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def _finish(request, status: int, body) -> HttpResponse:
    content = json.dumps(body)
    content_type = JSON
    name = request.GET.get("callback", "")
    if status == 200 and request.method == "GET" and CALLBACK.fullmatch(name):
        content, content_type = f"{html.escape(name)}({content});", JAVASCRIPT
    response = HttpResponse(content, status=status, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _bad_request(request, message: str) -> HttpResponse:
    """CKAN answers these with a bare JSON string, not an envelope."""
    return _finish(request, 400, f"Bad request - {message}")


def _mixed(query_dict) -> dict:
    """Repeated keys become lists, single keys stay strings (CKAN's `mixed`)."""
    return {key: values[0] if len(values) == 1 else values for key, values in query_dict.lists()}


def request_data(request, *, url_params: bool) -> dict:
    """The action's data dict, read as CKAN reads it: a form (or a single form key that
    is itself JSON), else the URL parameters (side-effect-free actions only), else a
    JSON body. Raises ValueError with CKAN's message, safejson.JSONRefused (one of them)
    for JSON too deep or with NUL."""
    if request.method in ("GET", "HEAD") and not url_params:
        raise ValueError("Invalid request. Please use POST method for your request")
    data = {}
    form = request.POST if request.method == "POST" and request.content_type in FORM_TYPES else None
    if form:
        values = [first for first, *_rest in (values for _key, values in form.lists())]
        if len(values) == 1 and values[0] in ("1", ""):
            key = next(iter(form.keys()))
            try:
                data = safejson.loads(key)
            except safejson.JSONRefused:
                raise
            except ValueError as error:
                raise ValueError(
                    f"Error decoding JSON data. Error: {error!r} JSON data extracted from the request: {data!r}"
                ) from error
        else:
            data = _mixed(form)
    elif request.GET and url_params:
        data = _mixed(request.GET)
    elif request.method == "POST" and request.body and request.content_type != "multipart/form-data":
        try:
            data = safejson.loads(request.body)
        except safejson.JSONRefused:
            raise
        except ValueError as error:
            raise ValueError(
                f"Error decoding JSON data. Error: {error!r} JSON data extracted from the request: {data!r}"
            ) from error
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data


def _preflight() -> HttpResponse:
    response = HttpResponse(status=200)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type, Authorization, X-CKAN-API-Key"
    response["Access-Control-Max-Age"] = "86400"
    return response


@csrf_exempt  # anonymous and read-only: see the module docstring
def action(request, action: str) -> HttpResponse:
    """/api/3/action/<name> and /api/action/<name>: run one action and answer with
    CKAN's envelope {"help", "success", "result"} or {"help", "success", "error"}."""
    if request.method == "OPTIONS":
        return _preflight()
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST", "OPTIONS"])
    function = actions.ACTIONS.get(action)
    if function is None:
        return _bad_request(request, f"Action name not known: {action}")
    envelope: dict = {"help": _help_url(request, action)}
    try:
        data = request_data(request, url_params=action in actions.SIDE_EFFECT_FREE)
    except safejson.JSONRefused as error:
        return refuse_bad_input(request, str(error), action=action)
    except ValueError as error:
        return _bad_request(request, f"JSON Error: {error}")
    data.pop("callback", None)
    site = actions.Site(base_url=request.build_absolute_uri("/").rstrip("/"))
    # One language for every client: labels (themes, licences, organisation types) in
    # the site's default language, whatever the Accept-Language header says.
    with translation.override(settings.LANGUAGE_CODE):
        try:
            result = function(data, site)
        except NotAuthorized as error:
            return _error(request, envelope, 403, "Authorization Error", "Access denied", error.message)
        except NotFound as error:
            return _error(request, envelope, 404, "Not Found Error", "Not found", error.message)
        except ValidationError as error:
            envelope.update(success=False, error={**error.errors, "__type": "Validation Error"})
            return _finish(request, 409, envelope)
        except SearchQueryError as error:
            message = "Search Query is invalid: %r" % (error.message,)  # noqa: UP031 – CKAN's exact format
            envelope.update(success=False, error={"__type": "Search Query Error", "message": message})
            return _finish(request, 400, envelope)
        except Exception:
            logger.exception("CKAN action %s failed", action)
            envelope.update(
                success=False, error={"__type": "Internal Server Error", "message": "Internal Server Error"}
            )
            return _finish(request, 500, envelope)
    envelope.update(success=True, result=result)
    return _finish(request, 200, envelope)


def _help_url(request, action: str) -> str:
    return request.build_absolute_uri(reverse("ckan:action", args=["help_show"])) + f"?name={action}"


def refuse_bad_input(request, message: str, action: str = "", **_kwargs) -> HttpResponse:
    """400 in the envelope for request data no action can use (NUL, JSON too deep): a
    "Validation Error" with the German message. Also what core.middleware answers for
    NUL in the URL or a form, before the action runs."""
    envelope = {
        "help": _help_url(request, action),
        "success": False,
        "error": {"__type": "Validation Error", "message": message},
    }
    return _finish(request, 400, envelope)


action.refuse_bad_input = refuse_bad_input


def _error(request, envelope: dict, status: int, kind: str, title: str, message: str) -> HttpResponse:
    envelope.update(success=False, error={"__type": kind, "message": f"{title}: {message}" if message else title})
    return _finish(request, status, envelope)


def api_version(request) -> HttpResponse:
    """/api/ and /api/3: the API version, as CKAN answers it."""
    return _finish(request, 200, {"version": 3})


api_version.refuse_bad_input = refuse_bad_input
