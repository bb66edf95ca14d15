"""The public Open Data Portal (no login) and the staff pages that moderate its input.
Every public view reads datasets through `Dataset.objects.published()` only; the
transparency register (portal.transparency) is the one exception and reads nothing
but title, publisher, outcome, grounds and re-review date."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from functools import wraps
from http import HTTPStatus
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from catalog import renditions
from catalog.models import Dataset, Distribution, Rendition, RenditionKind, RenditionStatus
from catalog.quality import scoring
from catalog.vocabularies import FILE_TYPES_BY_CODE
from core import participation
from datastore import dictionary
from governance.models import Organisation, Role
from governance.permissions import can_moderate, organisations_with_role

from . import dcat_views, services, transparency, usage
from . import search as portal_search
from .forms import CommentForm, DataRequestForm, TriageForm
from .models import Comment, CommentStatus, DataRequest, DataRequestStatus, UsageKind, Vote, response_due

logger = logging.getLogger(__name__)

# Limits per client address (Django's cache; settings may override them).
DATA_REQUEST_LIMIT = settings.PORTAL_DATA_REQUEST_LIMIT
COMMENT_LIMIT = settings.PORTAL_COMMENT_LIMIT
DASHBOARD_CACHE_SECONDS = 300
USAGE_CACHE_KEY = "portal:dashboard:usage"

# Where issue 8 puts the machine-readable forms: a link appears once its URL exists.
MACHINE_READABLE = [
    ("DCAT-AP.de (Turtle)", "portal:dataset_dcat", "ttl"),
    ("DCAT-AP.de (RDF/XML)", "portal:dataset_dcat", "rdf"),
    ("DCAT-AP.de (JSON-LD)", "portal:dataset_dcat", "jsonld"),
]


def published_datasets():
    """The door: the only datasets public views may show."""
    return Dataset.objects.published()


def machine_readable_links(dataset: Dataset) -> list[tuple[str, str]]:
    links = []
    for label, url_name, fmt in MACHINE_READABLE:
        try:
            links.append((label, reverse(url_name, kwargs={"name": dataset.name, "format": fmt})))
        except NoReverseMatch:
            continue
    with contextlib.suppress(NoReverseMatch):
        links.append(("CKAN JSON", reverse("ckan:action", args=["package_show"]) + f"?id={dataset.name}"))
    return links


# ---------------------------------------------------------------------------
# Home, search


@require_GET
def home(request):
    datasets = published_datasets()
    latest = list(datasets.select_related("publisher").order_by("-issued", "-pk")[:6])
    return render(
        request,
        "portal/home.html",
        {
            "latest": latest,
            "dataset_count": datasets.count(),
            "organisation_count": Organisation.objects.filter(datasets__in=datasets).distinct().count(),
        },
    )


@require_GET
def search(request):
    result = portal_search.search(
        request.GET.get("q", ""),
        selected=portal_search.parse_selected(request.GET),
        sort=request.GET.get("sortierung", ""),
        cursor=request.GET.get("weiter", ""),
    )
    # Every facet value links to the search with that value toggled: built from plain
    # (name, value) pairs, since copying the QueryDict for each of ~100 links is what
    # made the page slow.
    pairs = [(name, value) for name, values in request.GET.lists() if name != "weiter" for value in values]
    base_query = urlencode(pairs)
    next_query = urlencode([*pairs, ("weiter", result.next_cursor)]) if result.next_cursor else None

    def query_with(param: str, chosen: list[str]) -> str:
        return urlencode([(name, value) for name, value in pairs if name != param] + [(param, v) for v in chosen])

    facets = []
    for facet in result.facets:
        current = [value for name, value in pairs if name == facet.param]
        values = []
        for value in facet.values:
            if value.selected:
                toggled = query_with(facet.param, [v for v in current if v != value.value])
            else:
                toggled = query_with(facet.param, [*current, value.value])
            values.append((value, toggled))
        facets.append((facet, values))
    removable = []
    for param, chosen in result.selected.items():
        facet = portal_search.FACETS_BY_PARAM[param]
        for value in chosen:
            rest = query_with(param, [v for v in chosen if v != value])
            removable.append((facet.label, portal_search.value_label(facet, value), rest))
    return render(
        request,
        "portal/search.html",
        {
            "result": result,
            "facets": facets,
            "removable": removable,
            "base_query": base_query,
            "next_query": next_query,
            "sort_hidden": [(name, value) for name, value in pairs if name != "sortierung"],
            "sort_choices": [
                (key, label) for key, label in portal_search.SORTS.items() if key != "relevance" or result.query
            ],
        },
    )


# ---------------------------------------------------------------------------
# Dataset page, downloads, conversion


def _dataset_etag(
    dataset, *, votes: int, comments_marker, voted: bool, user, quality_marker=(), usage_marker=()
) -> str:
    parts = [
        dataset.pk, dataset.version, dataset.modified.isoformat(), votes, comments_marker, voted, get_language(),
        user.pk if user.is_authenticated else "", quality_marker, usage_marker,
    ]  # fmt: skip
    return quote_etag(hashlib.sha256(repr(parts).encode()).hexdigest()[:32])


def table_check(distribution) -> dict | None:
    """The formal check of the file as it is now (catalog.tabular_validation), for the
    public: whether it passed and how many findings. The disclosure check stays internal."""
    for report in distribution.reports.all():
        if report.kind == "tabular" and report.checksum_sha256 == distribution.checksum_sha256:
            return {"valid": report.valid, "findings": sum(report.summary.values()) if not report.valid else 0}
    return None


def stored_renditions(dataset, distribution) -> tuple[dict | None, dict | None]:
    """The stored preview of a tabular upload and its alternative formats: the `offered`
    links and, grouped by reason, the `refused` ones (None: not a table; empty: still
    being prepared). Reads the prefetched renditions only, never the file."""
    if not renditions.is_tabular_upload(distribution):
        return None, None
    stored = {r.kind: r for r in distribution.renditions.all() if r.checksum_sha256 == distribution.checksum_sha256}
    preview = stored[RenditionKind.PREVIEW].preview if RenditionKind.PREVIEW in stored else None
    # Tables rendered before the German CSV existed lack it until render_tables has run.
    if not all(kind in stored for kind in renditions.TARGETS if kind != RenditionKind.CSV_DE):
        return preview, {}
    offered, refused = [], {}
    for kind in renditions.TARGETS:
        rendition = stored.get(kind)
        if rendition is None or (rendition.status == RenditionStatus.READY and not rendition.file):
            continue  # a German CSV without a file: the original is in that form already
        if rendition.status == RenditionStatus.READY:
            url = reverse("portal:convert", args=[dataset.name, distribution.identifier, kind])
            offered.append({"label": kind.label, "url": url})
        else:
            refused.setdefault(renditions.reason(rendition), []).append(str(kind.label))
    refused = [{"labels": ", ".join(labels), "reason": reason} for reason, labels in refused.items()]
    return preview, {"offered": offered, "refused": refused}


@require_GET
def dataset_detail(request, name):
    # RDF clients get the dataset's DCAT-AP.de description at the same address.
    if (rdf_format := dcat_views.negotiated_format(request)) is not None:
        return dcat_views.dataset_response(name, rdf_format, negotiated=True)
    datasets = (
        published_datasets()
        .select_related("publisher", "quality_score")
        .prefetch_related(
            "keywords",
            "themes",
            Prefetch(
                "distributions",
                queryset=Distribution.objects.current()
                .order_by("created", "pk")
                .prefetch_related("reports", "renditions"),
            ),
        )
    )
    try:
        dataset = datasets.get(name=name)
    except Dataset.DoesNotExist:
        return _not_published(request, name)
    # The score is rescored by link checks and the freshness turns with the calendar,
    # neither of which changes the dataset.
    score = getattr(dataset, "quality_score", None)
    # A table check that arrives later changes the page too (reports are prefetched already).
    # So do renditions the worker stores later (prefetched as well).
    checks = tuple(
        (tuple(report.pk for report in distribution.reports.all()), tuple(r.pk for r in distribution.renditions.all()))
        for distribution in dataset.distributions.all()
    )
    quality_marker = (score.computed_at.isoformat() if score else "", dataset.freshness.status, checks)
    voter = participation.voter_id(request)
    tally = Vote.objects.filter(dataset=dataset).aggregate(
        total=Count("pk"), mine=Count("pk", filter=Q(voter=participation.hashed(voter or "-")))
    )
    comments = list(Comment.objects.filter(dataset=dataset, status=CommentStatus.APPROVED).order_by("created", "pk"))
    comments_marker = (len(comments), comments[-1].moderated_at.isoformat() if comments else "")
    # Complete days only (portal.usage.window): the figures change once a day, not per visit.
    used = usage.last_month(dataset.pk)
    # Its queryable tables (the explorer links, the data dictionary): a table loaded or
    # described after publication changes the page without changing the dataset. Read once,
    # kept on the dataset for the template (datastore.dictionary.public_view).
    tables_marker = tuple(
        (entry["table"].table_name, repr(entry["fields"])) for entry in dictionary.public_view(dataset)
    )
    etag = _dataset_etag(
        dataset,
        votes=tally["total"],
        comments_marker=comments_marker,
        voted=bool(tally["mine"]),
        user=request.user,
        quality_marker=quality_marker,
        usage_marker=(tuple(used.items()), tables_marker),
    )
    last_modified = int(max(dataset.modified, score.computed_at if score else dataset.modified).timestamp())
    # A pending message (after voting or commenting) must be shown, not a cached page.
    if "messages" not in request.COOKIES:
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            patch_vary_headers(not_modified, ["Accept"])
            return not_modified

    distributions = list(dataset.distributions.all())
    response = render(
        request,
        "portal/dataset_detail.html",
        {
            "dataset": dataset,
            "distributions": [
                (d, FILE_TYPES_BY_CODE.get(d.format), *stored_renditions(dataset, d), table_check(d))
                for d in distributions
            ],
            # The persisted score (with the link checks); computed here only before the first scoring.
            "quality": scoring.stored(score) if score else scoring.assess(dataset, distributions=distributions),
            "freshness": dataset.freshness,
            "summary": transparency.decision_summary(dataset),
            "votes": tally["total"],
            "voted": bool(tally["mine"]),
            "comments": comments,
            "comment_form": CommentForm(),
            "machine_readable": machine_readable_links(dataset),
            "page_url": request.build_absolute_uri(),
            "today": timezone.localdate(),
            "usage": used,
        },
    )
    # Only a page actually sent is a page view (not a 304, a 404 or a withdrawn dataset's 410).
    usage.count_request(request, dataset.pk, UsageKind.PAGE_VIEW)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    patch_vary_headers(response, ["Accept"])
    return response


def _not_published(request, name):
    """A dataset withdrawn from the portal says when and why at its old address (410 Gone,
    with its register entry); every other unpublished name is unknown (404), so nothing
    of a dataset that was never public leaks."""
    entry = transparency.withdrawn_entry(name)
    if entry is None:
        raise Http404
    return render(request, "portal/dataset_withdrawn.html", {"entry": entry}, status=HTTPStatus.GONE)


def _published_upload(name, identifier) -> Distribution:
    distribution = (
        Distribution.objects.public()
        .filter(dataset__in=published_datasets(), dataset__name=name, identifier=identifier)
        .select_related("dataset")
        .first()
    )
    if distribution is None or not distribution.file:
        raise Http404
    if not distribution.file.storage.exists(distribution.file.name):
        # Lost from storage (e.g. a restore without MEDIA_ROOT): tell the operators, and
        # the visitor that the file is not available rather than a server error.
        logger.error("Datei der Distribution %s fehlt im Speicher: %s", distribution.pk, distribution.file.name)
        raise Http404
    return distribution


def _conditional(request, distribution, suffix=""):
    etag = quote_etag((distribution.checksum_sha256 or str(distribution.identifier)) + suffix)
    last_modified = int(distribution.modified.timestamp())
    return etag, last_modified, get_conditional_response(request, etag=etag, last_modified=last_modified)


def _cache_headers(response, etag, last_modified):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def download(request, name, identifier):
    distribution = _published_upload(name, identifier)
    etag, last_modified, not_modified = _conditional(request, distribution)
    if not_modified is not None:
        return not_modified
    filename = os.path.basename(distribution.file.name)
    response = FileResponse(
        distribution.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=distribution.media_type or "application/octet-stream",
    )
    usage.count_request(request, distribution.dataset_id, UsageKind.DOWNLOAD)
    return _cache_headers(response, etag, last_modified)


# A rendition not computed yet: the worker usually needs seconds to minutes.
CONVERSION_RETRY_AFTER = 60


@require_GET
def convert(request, name, identifier, target):
    """Serve the stored conversion (catalog.renditions); nothing is read or converted
    here. Not computed yet: 503 with Retry-After (it will exist, crawlers come back);
    too large or unreadable: 404 with the reason and a link to the original."""
    if target not in renditions.TARGETS:
        raise Http404
    distribution = (
        Distribution.objects.public()
        .filter(dataset__in=published_datasets(), dataset__name=name, identifier=identifier)
        .select_related("dataset")
        .first()
    )
    if distribution is None or not renditions.is_tabular_upload(distribution):
        raise Http404
    rendition = Rendition.objects.filter(
        distribution=distribution, checksum_sha256=distribution.checksum_sha256, kind=target
    ).first()
    if rendition is None or rendition.status != RenditionStatus.READY:
        pending = rendition is None
        response = render(
            request,
            "portal/conversion_unavailable.html",
            {
                "dataset": distribution.dataset,
                "distribution": distribution,
                "target": RenditionKind(target).label,
                "reason": "" if pending else renditions.reason(rendition),
            },
            status=HTTPStatus.SERVICE_UNAVAILABLE if pending else HTTPStatus.NOT_FOUND,
        )
        if pending:
            response["Retry-After"] = str(CONVERSION_RETRY_AFTER)
        return response
    if not rendition.file:
        # A German CSV that would say what the original says: the original is that file.
        return redirect("portal:download", distribution.dataset.name, distribution.identifier)
    etag = quote_etag(f"{rendition.checksum_sha256}-{target}")
    last_modified = int(rendition.created.timestamp())
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return not_modified
    try:
        stored = rendition.file.open("rb")
    except OSError as error:
        logger.error("Umgewandelte Datei %s fehlt im Speicher: %s", rendition.pk, rendition.file.name)
        raise Http404 from error
    content_type, _extension = renditions.TARGETS[target]
    response = FileResponse(
        stored, as_attachment=True, filename=os.path.basename(rendition.file.name), content_type=content_type
    )
    # A conversion of the file is a download of the dataset too.
    usage.count_request(request, distribution.dataset_id, UsageKind.DOWNLOAD)
    return _cache_headers(response, etag, last_modified)


# ---------------------------------------------------------------------------
# Feedback: votes and comments


@require_POST
def vote(request, name):
    dataset = get_object_or_404(published_datasets(), name=name)
    url = reverse("portal:dataset_detail", args=[dataset.name]) + "#rueckmeldung"
    if participation.request_rate_limited(request, "vote", participation.VOTE_LIMIT):
        messages.error(request, _("Zu viele Stimmen von Ihrem Anschluss. Bitte versuchen Sie es später erneut."))
        return redirect(url)
    voter = participation.voter_id(request) or uuid.uuid4().hex
    if services.vote(dataset, voter=voter):
        messages.success(request, _("Danke! Ihre Stimme „Finde ich wichtig“ wurde gezählt."))
    else:
        messages.info(request, _("Sie haben für diesen Datensatz bereits gestimmt."))
    return participation.remember_voter(redirect(url), request, voter)


@require_POST
def comment(request, name):
    dataset = get_object_or_404(published_datasets(), name=name)
    url = reverse("portal:dataset_detail", args=[dataset.name]) + "#rueckmeldung"
    form = CommentForm(request.POST)
    if form.is_spam():
        # Answer as if it worked: a bot learns nothing.
        messages.success(request, _("Danke! Ihr Kommentar erscheint, sobald wir ihn geprüft haben."))
        return redirect(url)
    if participation.request_rate_limited(request, "comment", COMMENT_LIMIT):
        messages.error(request, _("Zu viele Kommentare von Ihrem Anschluss. Bitte versuchen Sie es später erneut."))
        return redirect(url)
    if form.is_valid():
        services.add_comment(dataset, name=form.cleaned_data["name"], text=form.cleaned_data["text"])
        messages.success(request, _("Danke! Ihr Kommentar erscheint, sobald wir ihn geprüft haben."))
    else:
        messages.error(request, _("Bitte schreiben Sie einen Kommentar (höchstens 2000 Zeichen)."))
    return redirect(url)


# ---------------------------------------------------------------------------
# Transparency: register and dashboard


@require_GET
def register(request):
    queryset = transparency.register_queryset().values(*transparency.REGISTER_FIELDS).order_by("title", "pk")
    page = Paginator(queryset, 50).get_page(request.GET.get("seite"))
    return render(
        request,
        "portal/register.html",
        {"page": page, "entries": transparency.register_entries(page.object_list), "total": page.paginator.count},
    )


@require_GET
def register_entry(request, name):
    entry = transparency.register_entry(name)
    if entry is None:
        raise Http404
    review = transparency.ethics_decision(entry)
    return render(request, "portal/register_entry.html", {"entry": entry, "ethics_review": review})


@require_GET
def dashboard(request):
    key = f"portal:dashboard:{get_language()}"
    data = cache.get(key)
    if data is None:
        data = transparency.dashboard_data()
        cache.set(key, data, DASHBOARD_CACHE_SECONDS)
    # The usage figures carry no translated text: one cache entry for every language.
    figures = cache.get(USAGE_CACHE_KEY)
    if figures is None:
        figures = usage.dashboard_figures()
        cache.set(USAGE_CACHE_KEY, figures, DASHBOARD_CACHE_SECONDS)
    return render(request, "portal/dashboard.html", {"data": data, "usage": figures})


# ---------------------------------------------------------------------------
# Data requests (public)


@require_GET
def data_request_list(request):
    requests = DataRequest.objects.public().select_related("dataset").order_by("-created", "-pk")
    status = request.GET.get("status", "")
    if status in PUBLIC_STATUSES:
        requests = requests.filter(status=status)
    page = Paginator(requests, 20).get_page(request.GET.get("seite"))
    labels = transparency.citizen_ground_labels(r.decline_ground for r in page.object_list)
    return render(
        request,
        "portal/data_request_list.html",
        {"page": page, "status": status, "statuses": PUBLIC_STATUS_CHOICES, "ground_labels": labels},
    )


# An open request is not public: the public list filters by the other statuses only.
PUBLIC_STATUS_CHOICES = [(value, label) for value, label in DataRequestStatus.choices if value != "open"]
PUBLIC_STATUSES = {value for value, _label in PUBLIC_STATUS_CHOICES}
# The session remembers the requester's last request, for the thanks page (their receipt).
RECEIVED_SESSION_KEY = "portal:data_request_received"


def data_request_create(request):
    initial = transparency.request_initial(request.GET.get("datensatz", "")) if request.method == "GET" else {}
    form = DataRequestForm(request.POST or None, initial=initial)
    context = {"form": form, "response_days": settings.DATA_REQUEST_RESPONSE_DAYS}
    if request.method == "POST":
        if form.is_spam():
            return redirect("portal:data_request_thanks")
        if participation.request_rate_limited(request, "data_request", DATA_REQUEST_LIMIT):
            form.add_error(
                None,
                _(
                    "Von Ihrem Anschluss kamen in kurzer Zeit zu viele Datenwünsche. Bitte versuchen Sie es in "
                    "einer Stunde erneut."
                ),
            )
            return render(request, "portal/data_request_form.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
        if form.is_valid():
            data_request = services.create_data_request(
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                email=form.cleaned_data["email"],
            )
            request.session[RECEIVED_SESSION_KEY] = data_request.pk
            return redirect("portal:data_request_thanks")
    return render(request, "portal/data_request_form.html", context)


@require_GET
def data_request_thanks(request):
    """The requester's receipt: what they asked for and the day we answer by. Their
    request itself is public only after triage."""
    pk = request.session.get(RECEIVED_SESSION_KEY)
    data_request = DataRequest.objects.filter(pk=pk).first() if pk else None
    return render(
        request,
        "portal/data_request_thanks.html",
        {
            "data_request": data_request,
            "due": data_request.due if data_request else response_due(timezone.now()),
            "response_days": settings.DATA_REQUEST_RESPONSE_DAYS,
        },
    )


@require_GET
def data_request_detail(request, pk):
    data_request = get_object_or_404(DataRequest.objects.public().select_related("dataset"), pk=pk)
    # A link only to a dataset that is (still) published.
    linked = None
    if data_request.dataset_id:
        linked = published_datasets().filter(pk=data_request.dataset_id).first()
    return render(
        request,
        "portal/data_request_detail.html",
        {
            "data_request": data_request,
            "linked": linked,
            "ground_label": transparency.citizen_ground_labels([data_request.decline_ground]).get(
                data_request.decline_ground, ""
            ),
        },
    )


# ---------------------------------------------------------------------------
# Sitemap, robots.txt


@require_GET
def sitemap(request):
    base = settings.SITE_URL
    pages = [
        "portal:home", "portal:search", "portal:register", "portal:dashboard", "portal:data_request_list",
        "strategy:public_strategy_list",
        "portal:legal_impressum", "portal:legal_datenschutz", "portal:legal_barrierefreiheit", "portal:legal_kontakt",
        "portal:sitemap_page",
    ]  # fmt: skip

    def lines():
        yield '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        for url_name in pages:
            yield f"<url><loc>{escape(base + reverse(url_name))}</loc></url>\n"
        rows = published_datasets().order_by("pk").values_list("name", "modified")
        for name, modified in rows.iterator(chunk_size=2000):
            loc = escape(base + reverse("portal:dataset_detail", args=[name]))
            yield f"<url><loc>{loc}</loc><lastmod>{modified.date().isoformat()}</lastmod></url>\n"
        yield "</urlset>\n"

    return StreamingHttpResponse(lines(), content_type="application/xml; charset=utf-8")


@require_GET
def robots(request):
    text = "\n".join(
        [
            "User-agent: *",
            "Disallow: /intern/",
            "Disallow: /konto/",
            "Disallow: /admin/",
            "Disallow: /i18n/",
            "Disallow: /catalog/all.",
            f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
            "",
        ]
    )
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------------------
# Staff: triage of data requests, moderation of comments


def moderator_required(view):
    """Governance admins and data stewards (of any organisation) triage data requests;
    comments they moderate for their own organisations."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_moderate(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@moderator_required
def triage_list(request):
    requests = DataRequest.objects.select_related("organisation", "assignee").order_by("status", "created", "pk")
    status = request.GET.get("status", "")
    if status in DataRequestStatus.values:
        requests = requests.filter(status=status)
    page = Paginator(requests, 30).get_page(request.GET.get("seite"))
    return render(
        request,
        "portal/staff/triage_list.html",
        {
            "page": page,
            "status": status,
            "statuses": DataRequestStatus.choices,
            "response_days": settings.DATA_REQUEST_RESPONSE_DAYS,
        },
    )


@moderator_required
def triage_detail(request, pk):
    data_request = get_object_or_404(DataRequest.objects.select_related("organisation", "assignee"), pk=pk)
    initial = {
        "title": data_request.title,
        "description": data_request.description,
        "status": data_request.status,
        "answer": data_request.answer,
        "dataset": data_request.dataset_id,
        "decline_ground": data_request.decline_ground,
        "organisation": data_request.organisation_id,
        "assignee": data_request.assignee_id,
    }
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        for name in ("title", "description"):  # a POST without them keeps them
            data.setdefault(name, initial[name])
    form = TriageForm(data, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.triage_data_request(
                data_request,
                by=request.user,
                status=form.cleaned_data["status"],
                answer=form.cleaned_data["answer"],
                dataset=form.cleaned_data["dataset"],
                decline_ground=form.cleaned_data["decline_ground"],
                organisation=form.cleaned_data["organisation"],
                assignee=form.cleaned_data["assignee"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Der Datenwunsch wurde aktualisiert."))
            return redirect("portal:triage_detail", pk=data_request.pk)
    history = data_request.history.select_related("history_user").order_by("-history_date")[:20]
    return render(
        request,
        "portal/staff/triage_detail.html",
        {"data_request": data_request, "form": form, "history": history},
    )


def _moderated_comments(user):
    organisations = organisations_with_role(user, Role.STEWARD, Role.GOVERNANCE_ADMIN)
    return Comment.objects.filter(dataset__publisher__in=organisations)


@moderator_required
def comment_moderation(request):
    if request.method == "POST":
        comment = get_object_or_404(_moderated_comments(request.user), pk=request.POST.get("comment"))
        approve = request.POST.get("decision") == "approve"
        services.moderate_comment(comment, by=request.user, approve=approve)
        messages.success(request, _("Kommentar freigegeben.") if approve else _("Kommentar abgelehnt."))
        return redirect("portal:comment_moderation")
    pending = _moderated_comments(request.user).filter(status=CommentStatus.PENDING).select_related("dataset")
    return render(request, "portal/staff/comments.html", {"comments": pending.order_by("created", "pk")[:100]})
