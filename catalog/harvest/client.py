"""Talking to a CKAN source: sessions with timeouts, paging with package_search, API errors in words."""

from __future__ import annotations

import re

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, ServerIncompatibleError
from django.conf import settings
from django.utils.translation import gettext as _

from ..errors import HarvestAborted
from ..models import HarvestSource

USER_AGENT = "Stadtdaten-Harvester/1.0"


def timeout():
    """(connect, read) in seconds, for every request to a source (settings.HARVEST_TIMEOUT)."""
    return settings.HARVEST_TIMEOUT


class TimeoutSession(requests.Session):
    """A session in which every request has a timeout: requests has none by default,
    and ckanapi passes timeout=None unless CKANAPI_REQUEST_TIMEOUT is set."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, **kwargs)


def client_for(source: HarvestSource) -> RemoteCKAN:
    # GET only: package_search is side-effect free, and GET passes caches and proxies
    # that refuse POST (ckanext-harvest does the same).
    return RemoteCKAN(source.url, user_agent=USER_AGENT, get_only=True, session=TimeoutSession(timeout()))


def normalise_source_url(url: str) -> str:
    """The portal's base address: without a trailing slash or a pasted API path."""
    url = (url or "").strip().rstrip("/")
    return re.sub(r"/api(/\d+)?(/action)?(/[a-z_]+)?$", "", url)


def search(ckan: RemoteCKAN, *, fq: str, start: int, rows: int) -> dict:
    params = {"q": "*:*", "sort": "id asc", "rows": rows, "start": start}
    if fq:
        params["fq"] = fq
    try:
        result = ckan.call_action("package_search", params, requests_kwargs={"timeout": timeout()})
    except requests.Timeout:
        raise HarvestAborted(_("Die Quelle hat nicht rechtzeitig geantwortet.")) from None
    except requests.RequestException as error:
        raise HarvestAborted(
            _("Die Quelle ist nicht erreichbar (%(error)s).") % {"error": type(error).__name__}
        ) from None
    except ServerIncompatibleError:
        raise HarvestAborted(_("Die Adresse antwortet nicht wie ein CKAN-Portal.")) from None
    except CKANAPIError as error:
        raise HarvestAborted(describe_api_error(error)) from None
    if (
        not isinstance(result, dict)
        or not isinstance(result.get("results"), list)
        or not isinstance(result.get("count", 0), int)
    ):
        raise HarvestAborted(_("Die Quelle hat keine gültige Trefferliste (package_search) geliefert."))
    return result


def describe_api_error(error: CKANAPIError) -> str:
    """ckanapi raises a plain CKANAPIError("['<url>', <status>, '<body>']") when the
    answer is no CKAN envelope, and a subclass when it says `success: false`."""
    if type(error) is CKANAPIError:
        match = re.match(r"\['[^']*', (\d{3}),", str(error))
        status = match.group(1) if match else "?"
        return _(
            "Die Quelle hat keine gültige CKAN-Antwort geliefert (HTTP-Status %(status)s). "
            "Stimmt die Adresse des Portals?"
        ) % {"status": status}
    detail = " ".join(str(error).split())[:300]
    return _("Die Quelle hat die Suche abgelehnt (%(type)s: %(detail)s). Stimmt der Filter?") % {
        "type": type(error).__name__,
        "detail": detail,
    }
