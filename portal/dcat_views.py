"""The portal's DCAT-AP.de endpoints (the triples are built in portal.dcat from the
rows of portal.projection), in the shape of ckanext-dcat, so GovData's and CKAN's
harvesters read them unchanged:

    /catalog.{ttl,rdf,jsonld}     the catalog, 100 datasets a page (?page=, ?modified_since=), Hydra paging
    /catalog                      the same by content negotiation; browsers go to the portal's start page
    /catalog/all.{ttl,nt}         every published dataset in one streamed document (GovData delivery)
    /dataset/<name>.{ttl,rdf,jsonld}
    /dataset/<name>               the dataset's URI: RDF by content negotiation, else the portal page

Only published datasets appear; any other name is a 404, whatever the format.
"""

from http import HTTPStatus

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog.models import Dataset
from core import participation

from . import dcat

# Requests for the full export per client address and period (seconds): each one reads
# the whole catalog. Harvesters need it about once a day.
EXPORT_LIMIT = settings.PORTAL_DCAT_EXPORT_LIMIT
NEGOTIABLE = ["text/html", *dcat.FORMATS_BY_MEDIA_TYPE]


def negotiated_format(request) -> dcat.RdfFormat | None:
    """The RDF format the Accept header prefers to HTML; None for browsers and for
    clients that send no Accept header."""
    return dcat.FORMATS_BY_MEDIA_TYPE.get(request.get_preferred_type(NEGOTIABLE))


def _rdf_format(extension: str) -> dcat.RdfFormat:
    try:
        return dcat.FORMATS[extension]
    except KeyError:
        raise Http404 from None


def _open(response, *, negotiated: bool = False):
    """Readable from any web page's scripts; negotiated answers depend on Accept."""
    response["Access-Control-Allow-Origin"] = "*"
    if negotiated:
        patch_vary_headers(response, ["Accept"])
    return response


def _see_other(url: str):
    return _open(HttpResponseRedirect(url, status=HTTPStatus.SEE_OTHER), negotiated=True)


def _plain(message: str, status: HTTPStatus):
    return _open(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


# ---------------------------------------------------------------------------
# Catalog


def catalog_response(request, fmt: dcat.RdfFormat, *, negotiated: bool = False):
    try:
        number = dcat.parse_page(request.GET.get("page"))
        modified_since = dcat.parse_modified_since(request.GET.get("modified_since"))
    except dcat.InvalidParameter as error:
        return _plain(str(error), HTTPStatus.BAD_REQUEST)
    export = dcat.DcatExport(settings.SITE_URL)
    page = dcat.catalog_page(number=number, modified_since=modified_since, projection=export.projection)
    params = request.GET.copy()
    params.pop("page", None)
    prefix = f"{settings.SITE_URL}{request.path}?" + (f"{params.urlencode()}&" if params else "")

    def page_url(number: int) -> str:
        return f"{prefix}page={number}"

    triples = dcat.catalog_page_triples(export, page, page_url)
    return _open(HttpResponse(dcat.render(triples, fmt), content_type=fmt.content_type), negotiated=negotiated)


@require_GET
def catalog(request, format):
    return catalog_response(request, _rdf_format(format))


@require_GET
def catalog_negotiated(request):
    fmt = negotiated_format(request)
    if fmt is None:
        return _see_other(reverse("portal:home"))
    return catalog_response(request, fmt, negotiated=True)


@require_GET
def catalog_export(request, format):
    content_type = dcat.STREAM_FORMATS.get(format)
    if content_type is None:
        raise Http404
    limit, period = EXPORT_LIMIT
    if participation.rate_limited("dcat_export", participation.client_ip(request), limit=limit, period=period):
        message = _("Zu viele Abrufe des Gesamtkatalogs von Ihrem Anschluss. Bitte versuchen Sie es später erneut.")
        return _plain(message, HTTPStatus.TOO_MANY_REQUESTS)
    return _open(StreamingHttpResponse(dcat.stream_catalog(settings.SITE_URL, format), content_type=content_type))


# ---------------------------------------------------------------------------
# Dataset


def dataset_response(name: str, fmt: dcat.RdfFormat, *, negotiated: bool = False):
    export = dcat.DcatExport(settings.SITE_URL)
    row = export.projection.published_dataset(name)
    if row is None:
        raise Http404
    triples = export.dataset_triples(row)
    return _open(HttpResponse(dcat.render(triples, fmt), content_type=fmt.content_type), negotiated=negotiated)


@require_GET
def dataset(request, name, format):
    return dataset_response(name, _rdf_format(format))


@require_GET
def dataset_negotiated(request, name):
    fmt = negotiated_format(request)
    if fmt is not None:
        return dataset_response(name, fmt, negotiated=True)
    if not Dataset.objects.published().filter(name=name).exists():
        raise Http404
    return _see_other(reverse("portal:dataset_detail", kwargs={"name": name}))
