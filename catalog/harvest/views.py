"""Harvesting pages: the sources, their setup, starting a run and a run's progress and
report. catalog.permissions decides who sees (404 otherwise) and who configures (403)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.forms import add_errors

from .. import permissions
from ..errors import HarvestError
from ..models import Dataset, HarvestJob
from . import service
from .forms import HarvestSourceForm, HarvestStartForm

RECENT_JOBS = 20
# The report's sections, in the order the page shows them.
REPORT_SECTIONS = ("failed", "warning", "removed", "updated", "created")


def harvesting_required(view):
    """Harvesting is for stewards and governance admins; everyone else signed in gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.can_view_harvesting(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@harvesting_required
@require_safe
def harvest_source_list(request):
    latest = HarvestJob.objects.filter(source=OuterRef("pk")).order_by("-created", "-pk")
    sources = (
        permissions.visible_harvest_sources(request.user)
        .select_related("default_organisation")
        .annotate(
            record_count=Count("records", filter=Q(records__removed_at__isnull=True)),
            last_status=Subquery(latest.values("status")[:1]),
            last_run=Subquery(latest.values("created")[:1]),
            last_job=Subquery(latest.values("pk")[:1]),
        )
        .order_by("name")
    )
    return render(
        request,
        "catalog/harvest_source_list.html",
        {"sources": sources, "can_configure": permissions.can_configure_harvesting(request.user)},
    )


def _save(request, form, source=None):
    try:
        return service.save_source(
            source, by=request.user, fields=form.source_fields(), mappings=form.cleaned_data["mappings"]
        )
    except ValidationError as error:
        add_errors(form, error)
        return None


@harvesting_required
def harvest_source_create(request):
    if not permissions.can_configure_harvesting(request.user):
        raise PermissionDenied
    form = HarvestSourceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        source = _save(request, form)
        if source is not None:
            messages.success(request, _("Die Quelle „%(name)s“ ist eingerichtet.") % {"name": source.name})
            return redirect(source)
    return render(request, "catalog/harvest_source_form.html", {"form": form})


@harvesting_required
def harvest_source_edit(request, pk):
    source = permissions.get_harvest_source_for_user(request.user, pk, manage=True)
    form = HarvestSourceForm(request.POST or None, instance=source, user=request.user)
    # A valid form has written its values to `source`; the service reloads it under a lock.
    if request.method == "POST" and form.is_valid() and _save(request, form, source) is not None:
        messages.success(request, _("Die Änderungen sind gespeichert."))
        return redirect(source)
    return render(request, "catalog/harvest_source_form.html", {"form": form, "source": source})


@harvesting_required
@require_safe
def harvest_source_detail(request, pk):
    source = permissions.get_harvest_source_for_user(request.user, pk)
    can_manage = permissions.can_manage_harvest_source(request.user, source)
    jobs = source.jobs.select_related("triggered_by")[:RECENT_JOBS]
    counts = source.records.aggregate(
        present=Count("pk", filter=Q(removed_at__isnull=True)), removed=Count("pk", filter=Q(removed_at__isnull=False))
    )
    removed = source.records.filter(removed_at__isnull=False).select_related("dataset").order_by("-removed_at")[:50]
    return render(
        request,
        "catalog/harvest_source_detail.html",
        {
            "source": source,
            "mappings": source.organisation_mappings.select_related("organisation"),
            "jobs": jobs,
            "counts": counts,
            "removed": removed,
            "can_manage": can_manage,
            "start_form": HarvestStartForm(source=source) if can_manage else None,
            "running": service.active_job(source),
            "last_success": source.last_success(),
        },
    )


@require_POST
@harvesting_required
def harvest_start(request, pk):
    source = permissions.get_harvest_source_for_user(request.user, pk, manage=True)
    form = HarvestStartForm(request.POST, source=source)
    if not form.is_valid():
        messages.error(request, _("Bitte wählen Sie den Umfang des Abrufs."))
        return redirect(source)
    try:
        job = service.start_harvest(source, by=request.user, incremental=form.incremental)
    except HarvestError as error:
        messages.error(request, str(error))
        return redirect(source)
    return redirect(job)


def report_context(job: HarvestJob) -> dict:
    """The report by section; each entry with the title of its dataset here (one query), as
    a record's name at a DCAT or CSW source is often an identifier no one recognises."""
    names = {entry.get("dataset") for entry in job.report} - {"", None}
    titles = dict(Dataset.objects.filter(name__in=names).values_list("name", "title")) if names else {}
    sections = {outcome: [] for outcome in REPORT_SECTIONS}
    for entry in job.report:
        sections.setdefault(entry.get("outcome"), []).append({**entry, "title": titles.get(entry.get("dataset"), "")})
    return {
        "job": job,
        "source": job.source,
        "state": progress_state(job),
        "sections": [(outcome, sections[outcome]) for outcome in REPORT_SECTIONS if sections[outcome]],
    }


def progress_state(job: HarvestJob) -> str:
    return f"{job.status}-{job.processed}-{job.total}"


@never_cache
@harvesting_required
@require_safe
def harvest_job_detail(request, pk):
    job = permissions.get_harvest_job_for_user(request.user, pk)
    return render(request, "catalog/harvest_job_detail.html", report_context(job))


@never_cache
@harvesting_required
@require_safe
def harvest_job_progress(request, pk):
    """The status region for htmx polling. Answers 204 (nothing to swap) while nothing
    has changed since the state the page shows, so screen readers hear only news."""
    job = permissions.get_harvest_job_for_user(request.user, pk)
    if request.GET.get("stand") == progress_state(job):
        return HttpResponse(status=204)
    return render(request, "catalog/harvest_job_progress.html", report_context(job))
