"""Data sharing for staff of the network: agreements, the internal catalog, access
requests and "Meine Zugänge". Services do the writes; sharing.permissions decides who
sees (404 otherwise) and the services who may act (their refusal messages)."""

import posixpath

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from catalog.models import Dataset
from core.forms import add_errors
from governance.history import describe_change_reason, history_entries
from governance.models import Decision
from governance.permissions import organisations_with_role
from governance.views import staff_required

from . import permissions, services
from .forms import (
    AccessRequestForm,
    AgreementForm,
    CatalogFilterForm,
    DecisionForm,
    ProviderForm,
    RevokeForm,
    TransitionForm,
)
from .models import (
    APPROVED_STATES,
    ENDED_STATES,
    PENDING_STATES,
    AccessGrant,
    AccessRequest,
    AgreementStatus,
    RequestStatus,
    SharingAgreement,
)

PAGE_SIZE = 25
# Readable names of the history reasons services write ("sharing.<object>.<action>").
REASON_LABELS = {
    "sharing.agreement.created": gettext_lazy("Entwurf angelegt"),
    "sharing.agreement.changed": gettext_lazy("Entwurf geändert"),
    "sharing.agreement.submitted": gettext_lazy("Zur Freigabe eingereicht"),
    "sharing.agreement.owner_approved": gettext_lazy("Von der Dateneigentümerin / dem Dateneigentümer freigegeben"),
    "sharing.agreement.legal_approved": gettext_lazy("Rechtlich freigegeben"),
    "sharing.agreement.returned": gettext_lazy("Zur Überarbeitung zurückgegeben"),
    "sharing.agreement.rejected": gettext_lazy("Abgelehnt"),
    "sharing.agreement.activated": gettext_lazy("Wirksam geworden"),
    "sharing.agreement.expired": gettext_lazy("Abgelaufen"),
    "sharing.agreement.terminated": gettext_lazy("Beendet"),
    "sharing.request.created": gettext_lazy("Zugang beantragt"),
    "sharing.request.granted": gettext_lazy("Zugang gewährt"),
    "sharing.request.refused": gettext_lazy("Zugang abgelehnt"),
    "sharing.request.withdrawn": gettext_lazy("Antrag zurückgenommen"),
    "sharing.grant.granted": gettext_lazy("Zugang eingeräumt"),
    "sharing.grant.revoked": gettext_lazy("Zugang entzogen"),
    "sharing.grant.expired": gettext_lazy("Zugang abgelaufen"),
    "sharing.permission.granted": gettext_lazy("Leseberechtigung erteilt"),
    "sharing.permission.removed": gettext_lazy("Leseberechtigung entfernt"),
    "sharing.permission.restored": gettext_lazy("Leseberechtigung wiederhergestellt"),
}
TABS = [
    ("", gettext_lazy("Alle"), None),
    ("laufend", gettext_lazy("In Bearbeitung"), (AgreementStatus.DRAFT, *PENDING_STATES)),
    ("wirksam", gettext_lazy("Genehmigt"), APPROVED_STATES),
    ("beendet", gettext_lazy("Beendet"), ENDED_STATES),
]


def _problem_list(problems: dict, model) -> list[tuple[str, list]]:
    """Problems by field as (field label, messages) for a page."""
    result = []
    for field, field_messages in problems.items():
        try:
            label = str(model._meta.get_field(field).verbose_name) if field else ""
        except Exception:
            label = ""
        result.append((label[:1].upper() + label[1:], field_messages))
    return result


# ---------------------------------------------------------------------------
# Agreements


@staff_required
@require_safe
def overview(request):
    tab = request.GET.get("status", "")
    tab = tab if tab in {value for value, _label, _states in TABS} else ""
    visible = permissions.visible_agreements(request.user)
    counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
    tabs = [
        (value, label, sum(n for status, n in counts.items() if states is None or status in states))
        for value, label, states in TABS
    ]
    agreements = visible.select_related("provider", "recipient").order_by("-status_changed_at", "-pk")
    states = {value: states for value, _label, states in TABS}[tab]
    if states:
        agreements = agreements.filter(status__in=states)
    return render(
        request,
        "sharing/overview.html",
        {
            "agreements": agreements[:200],
            "tabs": tabs,
            "tab": tab,
            "can_create": permissions.can_create_agreement(request.user),
        },
    )


@staff_required
def agreement_create(request):
    if not permissions.can_create_agreement(request.user):
        raise PermissionDenied
    step = ProviderForm(request.GET if "anbieter" in request.GET else None)
    if not step.is_valid():
        return render(request, "sharing/agreement_provider.html", {"form": step})
    provider = step.cleaned_data["anbieter"]
    initial = {}
    if name := request.GET.get("datensatz"):
        initial["datasets"] = Dataset.objects.filter(name=name, publisher__in=_units(provider))
    form = AgreementForm(request.POST or None, provider=provider, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.create_agreement(
                by=request.user, provider=provider, fields=form.model_fields(), datasets=form.cleaned_data["datasets"]
            )
        except services.SharingError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Der Entwurf ist gespeichert. Prüfen Sie unten, was noch fehlt, und reichen Sie ihn dann ein."),
            )
            return redirect(agreement)
    return render(request, "sharing/agreement_form.html", {"form": form, "provider": provider, "agreement": None})


def _units(organisation):
    from governance.models import Organisation

    return Organisation.objects.subtree_ids([organisation])


@staff_required
def agreement_edit(request, pk):
    agreement = permissions.get_agreement_for_user(request.user, pk)
    if not agreement.is_draft or not services.can_draft(request.user, agreement):
        raise PermissionDenied
    # The form works on its own copy, so a refused edit leaves the page as stored.
    form = AgreementForm(
        request.POST or None,
        instance=SharingAgreement.objects.get(pk=agreement.pk),
        provider=agreement.provider,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_agreement(
                agreement,
                by=request.user,
                fields=form.model_fields(),
                datasets=form.cleaned_data["datasets"],
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data.get("reason", ""),
            )
        except services.SharingError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Die Änderungen sind gespeichert."))
            return redirect(agreement)
    return render(
        request, "sharing/agreement_form.html", {"form": form, "provider": agreement.provider, "agreement": agreement}
    )


def decisions_about(subject) -> list[Decision]:
    subject_type = ContentType.objects.get_for_model(type(subject))
    return list(
        Decision.objects.filter(subject_type=subject_type, subject_id=str(subject.pk))
        .select_related("actor")
        .order_by("-decided_at", "-pk")
    )


def _history(agreement) -> list[dict]:
    entries = history_entries(agreement.history.select_related("history_user").order_by("-history_date", "-history_id"))
    for entry in entries:
        entry["reason"] = describe_change_reason(entry["record"].history_change_reason)
    return entries


@staff_required
@require_safe
def agreement_detail(request, pk):
    agreement = permissions.get_agreement_for_user(request.user, pk)
    datasets = list(agreement.datasets.select_related("publisher", "current_classification").order_by("title"))
    for dataset in datasets:
        dataset.is_personal, dataset.is_special = services.is_personal(dataset), services.is_special(dataset)
    problems = {}
    if agreement.is_draft or agreement.is_pending:
        problems = services.agreement_problems(agreement, datasets)
    transitions = [
        (
            transition,
            services.transition_label(transition.action, agreement),
            TransitionForm(transition=transition, agreement=agreement),
        )
        for transition in services.available_transitions(agreement, request.user)
    ]
    grants = list(agreement.grants.select_related("user", "dataset").order_by("-created")[:100])
    now = timezone.now()
    for grant in grants:
        grant.active = grant.revoked_at is None and grant.valid_from <= now < grant.valid_until
    return render(
        request,
        "sharing/agreement_detail.html",
        {
            "agreement": agreement,
            "datasets": datasets,
            "problems": _problem_list(problems, SharingAgreement),
            "review_reasons": services.review_reasons(agreement, datasets),
            "in_force": agreement.is_in_force(),
            "transitions": transitions,
            "can_edit": agreement.is_draft and services.can_draft(request.user, agreement),
            "decisions": decisions_about(agreement),
            "grants": grants,
            "history": _history(agreement),
        },
    )


@staff_required
@require_POST
def agreement_transition(request, pk, action):
    if action not in services.TRANSITIONS:
        raise Http404
    agreement = permissions.get_agreement_for_user(request.user, pk)
    refusal = services.judge_agreement(action, agreement, request.user)
    if refusal is not None and refusal.forbidden:  # a missing role or four eyes; the state is said on the page
        raise PermissionDenied(refusal.message)
    form = TransitionForm(request.POST, transition=services.TRANSITIONS[action], agreement=agreement)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect(f"{agreement.get_absolute_url()}#entscheidung")
    label = services.transition_label(action, agreement)
    try:
        agreement = services.perform(action, agreement, by=request.user, data=form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.SharingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("„%(action)s“ ist erledigt. Die Vereinbarung ist jetzt: %(status)s.")
            % {"action": label, "status": agreement.get_status_display()},
        )
    return redirect(f"{agreement.get_absolute_url()}#entscheidung")


# ---------------------------------------------------------------------------
# The internal catalog


@staff_required
@require_safe
def catalog(request):
    form = CatalogFilterForm(request.GET or None)
    datasets = form.filter(permissions.internal_catalog(request.user)).select_related("publisher")
    datasets = datasets.prefetch_related("themes").order_by("title", "pk")
    page = Paginator(datasets, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(request, "sharing/catalog.html", {"form": form, "page": page})


@staff_required
@require_safe
def catalog_dataset(request, name):
    dataset, is_provider = permissions.get_catalog_dataset_for_user(request.user, name)
    context = {"dataset": dataset, "is_provider": is_provider}
    now = timezone.now()
    if is_provider:
        context.update(
            agreements=dataset.sharing_agreements.select_related("provider", "recipient").order_by("-valid_until"),
            pending=dataset.access_requests.filter(status=RequestStatus.PENDING).select_related(
                "requester", "recipient"
            ),
            grants=AccessGrant.objects.live(now).filter(dataset=dataset).select_related("user", "recipient"),
        )
    else:
        mine = organisations_with_role(request.user).exclude(pk=dataset.publisher_id)
        context.update(
            grant=AccessGrant.objects.in_force(now)
            .filter(user=request.user, dataset=dataset)
            .order_by("-valid_until")
            .first(),
            pending=AccessRequest.objects.filter(
                requester=request.user, dataset=dataset, status=RequestStatus.PENDING
            ).first(),
            agreements=services.usable_agreements(dataset, mine),
        )
    return render(request, "sharing/catalog_dataset.html", context)


@staff_required
def request_create(request, name):
    dataset, is_provider = permissions.get_catalog_dataset_for_user(request.user, name)
    if is_provider:
        messages.info(request, _("Diesen Datensatz sehen Sie bereits über Ihre Rolle; ein Antrag ist nicht nötig."))
        return redirect("sharing:catalog_dataset", name=dataset.name)
    recipients = organisations_with_role(request.user).exclude(pk=dataset.publisher_id).order_by("name")
    agreements = services.usable_agreements(dataset, recipients)
    required = all(services.agreement_reasons(dataset, recipient) for recipient in recipients)
    form = AccessRequestForm(
        request.POST or None, recipients=recipients, agreements=agreements, agreement_required=required
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access_request = services.request_access(
                by=request.user,
                dataset=dataset,
                recipient=data["recipient"],
                purpose=data["purpose"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                agreement=data["agreement"],
            )
        except services.SharingError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Ihr Antrag ist eingegangen. Die Dateneigentümerin oder der Dateneigentümer entscheidet darüber."),
            )
            return redirect(access_request)
    return render(request, "sharing/request_form.html", {"form": form, "dataset": dataset})


# ---------------------------------------------------------------------------
# Requests and grants


@staff_required
@require_safe
def request_list(request):
    """The requests and grants of the datasets the user provides for."""
    provided = permissions.provider_organisations(request.user).values("pk")
    requests = AccessRequest.objects.filter(dataset__publisher__in=provided).select_related(
        "dataset", "requester", "recipient"
    )
    now = timezone.now()
    return render(
        request,
        "sharing/request_list.html",
        {
            "pending": requests.filter(status=RequestStatus.PENDING).order_by("created", "pk")[:200],
            "decided": requests.exclude(status=RequestStatus.PENDING).order_by("-decided_at", "-pk")[:50],
            "grants": AccessGrant.objects.live(now)
            .filter(dataset__publisher__in=provided)
            .select_related("dataset", "user", "recipient", "request")
            .order_by("valid_until", "pk")[:200],
        },
    )


@staff_required
@require_safe
def request_detail(request, pk):
    access_request = permissions.get_request_for_user(request.user, pk)
    grant = AccessGrant.objects.filter(request=access_request).select_related("revoked_by").first()
    now = timezone.now()
    refusal = services.judge_request(access_request, request.user)
    can_decide = refusal is None
    context = {
        "access_request": access_request,
        "dataset": access_request.dataset,
        "grant": grant,
        "grant_in_force": grant is not None and grant.is_in_force(now),
        "can_decide": can_decide,
        "decision_form": DecisionForm() if can_decide else None,
        "refusal": refusal if access_request.is_pending else None,
        "revoke_form": RevokeForm() if grant and services.judge_revocation(grant, request.user) is None else None,
        "needs_agreement": services.agreement_reasons(access_request.dataset, access_request.recipient),
        "decisions": decisions_about(access_request),
        "is_requester": access_request.requester_id == request.user.pk,
    }
    return render(request, "sharing/request_detail.html", context)


@staff_required
@require_POST
def request_decide(request, pk, decision):
    if decision not in ("gewaehren", "ablehnen"):
        raise Http404
    access_request = permissions.get_request_for_user(request.user, pk)
    refusal = services.judge_request(access_request, request.user, "grant" if decision == "gewaehren" else "refuse")
    if refusal is not None and refusal.forbidden:
        raise PermissionDenied(refusal.message)
    form = DecisionForm(request.POST)
    form.is_valid()
    reasons = form.cleaned_data.get("reasons", "")
    try:
        if decision == "gewaehren":
            grant = services.approve_access_request(access_request, by=request.user, reasons=reasons)
            messages.success(
                request, _("Zugang gewährt bis einschließlich %(day)s.") % {"day": date_format(grant.last_day)}
            )
        else:
            services.refuse_access_request(access_request, by=request.user, reasons=reasons)
            messages.success(request, _("Der Antrag ist abgelehnt; die antragstellende Person sieht Ihre Begründung."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.SharingError as error:
        messages.error(request, str(error))
    return redirect(access_request)


@staff_required
@require_POST
def request_withdraw(request, pk):
    access_request = permissions.get_request_for_user(request.user, pk)
    if access_request.requester_id != request.user.pk:
        raise PermissionDenied
    try:
        services.withdraw_access_request(access_request, by=request.user)
    except services.SharingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Ihr Antrag ist zurückgezogen."))
    return redirect(access_request)


@staff_required
@require_POST
def grant_revoke(request, pk):
    grant = permissions.get_grant_for_user(request.user, pk)
    refusal = services.judge_revocation(grant, request.user)
    if refusal is not None and refusal.forbidden:  # an ended grant is said on the page
        raise PermissionDenied(refusal.message)
    form = RevokeForm(request.POST)
    target = grant.request.get_absolute_url() if grant.request else reverse("sharing:request_list")
    if not form.is_valid():
        messages.error(request, _("Bitte begründen Sie den Entzug."))
        return redirect(target)
    try:
        services.revoke_grant(grant, by=request.user, reasons=form.cleaned_data["reasons"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.SharingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Der Zugang ist entzogen."))
    return redirect(target)


@staff_required
@require_safe
def my_access(request):
    """What the user can read now (with its end), what starts later, their requests and
    the grants that have ended."""
    now = timezone.now()
    mine = AccessGrant.objects.filter(user=request.user).select_related("dataset__publisher", "agreement")
    in_force = list(mine.in_force(now).order_by("valid_until", "pk"))
    in_force_ids = {grant.pk for grant in in_force}
    upcoming = [g for g in mine.live(now).filter(valid_from__gt=now).order_by("valid_from") if g.pk not in in_force_ids]
    return render(
        request,
        "sharing/my_access.html",
        {
            "in_force": in_force,
            "upcoming": upcoming,
            "requests": AccessRequest.objects.filter(requester=request.user)
            .select_related("dataset__publisher", "requester", "recipient", "grant")
            .order_by("-created", "-pk")[:100],
            "ended": mine.exclude(pk__in=in_force_ids)
            .exclude(pk__in=[g.pk for g in upcoming])
            .order_by("-valid_until", "-pk")[:20],
        },
    )


# ---------------------------------------------------------------------------
# Reading a shared dataset


@staff_required
@require_safe
def shared_dataset(request, name):
    dataset = permissions.get_shared_dataset_for_user(request.user, name)
    grant = (
        AccessGrant.objects.in_force()
        .filter(user=request.user, dataset=dataset)
        .select_related("agreement")
        .order_by("-valid_until")
        .first()
    )
    return render(
        request,
        "sharing/shared_dataset.html",
        # The approved state: a pending change's or a blocked file is for the publisher's staff only.
        {"dataset": dataset, "grant": grant, "distributions": list(dataset.distributions.current())},
    )


@staff_required
@require_safe
def shared_file(request, name, pk):
    """Files of a shared dataset, after the same check as its page."""
    dataset = permissions.get_shared_dataset_for_user(request.user, name)
    distribution = get_object_or_404(dataset.distributions.current().exclude(file=""), pk=pk)
    try:
        handle = distribution.file.storage.open(distribution.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=posixpath.basename(distribution.file.name),
        content_type=distribution.media_type or "application/octet-stream",
    )
