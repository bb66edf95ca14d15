"""Talking to a CKAN source: through the outbound guard (core.outbound), paging with
package_search, API errors in words; which addresses a source may have."""

from __future__ import annotations

import re
from contextlib import contextmanager

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, ServerIncompatibleError
from django.conf import settings
from django.utils.translation import gettext as _

from core import outbound

from ..errors import HarvestAborted
from ..models import HarvestSource

USER_AGENT = "Stadtdaten-Harvester/1.0"


def timeout():
    """(connect, read) in seconds, for every request to a source (settings.HARVEST_TIMEOUT)."""
    return settings.HARVEST_TIMEOUT


def allowed_for(trusted: bool) -> frozenset | None:
    """The names a source may reach whatever their address: OUTBOUND_ALLOWED_HOSTS (None),
    but none for a trusted source. It publishes straight onto the portal, so it must be a
    public address that anyone can check; an intranet host on the allow-list is fine to
    harvest as drafts, never to publish from."""
    return frozenset() if trusted else None


def job_deadline() -> outbound.Deadline:
    return outbound.Deadline(
        settings.HARVEST_JOB_DEADLINE,
        message=_("Der Abruf hat seine Höchstdauer erreicht. Der nächste Abruf setzt das Übernommene fort."),
    )


def session_for(source: HarvestSource, *, deadline: outbound.Deadline | None = None) -> outbound.GuardedSession:
    """The session every request to a source goes through: the outbound guard (addresses,
    body cap, deadlines), HARVEST_TIMEOUT as connect and read timeouts, our User-Agent."""
    session = outbound.session(allowed=allowed_for(source.trusted), deadline=deadline, timeout=timeout())
    session.headers["User-Agent"] = USER_AGENT
    return session


@contextmanager
def transport_errors():
    """A request to a source that fails in transport (refused by the guard, no answer in
    time, no connection) ends the run with a message in words."""
    try:
        yield
    except outbound.OutboundError as error:
        raise HarvestAborted(str(error)) from None
    except requests.Timeout:
        raise HarvestAborted(_("Die Quelle hat nicht rechtzeitig geantwortet.")) from None
    except requests.RequestException as error:
        raise HarvestAborted(
            _("Die Quelle ist nicht erreichbar (%(error)s).") % {"error": type(error).__name__}
        ) from None


def client_for(source: HarvestSource, *, deadline: outbound.Deadline | None = None) -> RemoteCKAN:
    """A ckanapi client on the source's guarded session (session_for): ckanapi itself would
    pass timeout=None unless CKANAPI_REQUEST_TIMEOUT is set."""
    session = session_for(source, deadline=deadline)
    # GET only: package_search is side-effect free, and GET passes caches and proxies
    # that refuse POST (ckanext-harvest does the same).
    return RemoteCKAN(source.url, user_agent=USER_AGENT, get_only=True, session=session)


def is_this_portal(url: str) -> bool:
    """Is `url` this portal? Its base address (SITE_URL, host and port), or one of its
    host names (ALLOWED_HOSTS, also ".domain" for its subdomains) unless that very
    host:port is admitted on OUTBOUND_ALLOWED_HOSTS as another service."""
    try:
        host, port = outbound.host_port(url)
        own = outbound.host_port(settings.SITE_URL)
    except outbound.OutboundError:
        return False
    if (host, port) == own:
        return True
    if (host, port) in outbound.allowed_hosts():
        return False
    for name in settings.ALLOWED_HOSTS:
        name = name.lower().strip("[]")
        if name == host or (name.startswith(".") and (host == name[1:] or host.endswith(name))):
            return True
    return False


def source_address_problem(url: str, *, trusted: bool) -> str | None:
    """Why a source at `url` is not fetched, in words for the person configuring it, or
    None. Checked when a source is saved and before every run; the connection is checked
    again (a name may answer differently later)."""
    try:
        outbound.check_url(url, allowed=allowed_for(trusted))
    except outbound.InternalAddress as error:
        if trusted:
            return _(
                "Eine vertrauenswürdige Quelle veröffentlicht direkt und muss deshalb unter einer öffentlichen "
                "Adresse erreichbar sein. Diese Adresse zeigt in ein internes Netz."
            )
        return "{} {}".format(
            error,
            _(
                "Eine Quelle im internen Netz muss der Betrieb ausdrücklich freigeben "
                "(OUTBOUND_ALLOWED_HOSTS, mit Host und Port)."
            ),
        )
    except outbound.NotAllowedScheme:
        return None  # the model's URL validator says so, in its own words
    if is_this_portal(url):
        return _("Das ist die Adresse dieses Portals; es kann sich nicht selbst abrufen.")
    return None


def normalise_source_url(url: str) -> str:
    """The portal's base address: without a trailing slash or a pasted API path."""
    url = (url or "").strip().rstrip("/")
    return re.sub(r"/api(/\d+)?(/action)?(/[a-z_]+)?$", "", url)


def search(ckan: RemoteCKAN, *, fq: str, start: int, rows: int) -> dict:
    params = {"q": "*:*", "sort": "id asc", "rows": rows, "start": start}
    if fq:
        params["fq"] = fq
    try:
        with transport_errors():
            result = ckan.call_action("package_search", params, requests_kwargs={"timeout": timeout()})
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
