import csv
import json
from datetime import datetime, time, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from simple_history.models import registered_models as history_registered_models

from core.cells import safe_row
from core.forms import add_errors

from . import audit as journal
from . import inbox, overview, permissions, services
from . import tasks as background
from .forms import (
    AdoptForm,
    AsOfForm,
    AuditFilterForm,
    DeputyForm,
    InForceForm,
    OrganisationForm,
    PolicyDocumentForm,
    PolicyVersionForm,
    RepealForm,
    RevokeForm,
    RoleAssignmentForm,
    RuleVersionForm,
)
from .history import (
    IGNORED_FIELDS,
    describe_change_reason,
    display_value,
    history_entries,
    reason_code,
    reason_labels,
)
from .models import (
    AuditAction,
    AuditEvent,
    AuditVerification,
    Organisation,
    PolicyDocument,
    PolicyStatus,
    PolicyVersion,
    Role,
    RoleAssignment,
    RuleVersion,
    VocabularyTerm,
)
from .policytext import diff_lines, diff_rules, render_markdown
from .rules import FACT_LIST, OPERATORS, OPERATORS_BY_KIND
from .vocabularies import PublicationForm, Vocabulary


def staff_required(view):
    """The internal area is for people holding a role; everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@staff_required
def tasks(request):
    now = timezone.now()
    mine = (
        RoleAssignment.objects.granted()
        .filter(user=request.user, revoked_at__isnull=True)
        .select_related("organisation", "deputy_for__user")
    )
    active_ids = set(RoleAssignment.objects.active(now).filter(user=request.user).values_list("pk", flat=True))
    # Who stands in for me, now or later, and what I proposed: one query.
    for_me = (
        RoleAssignment.objects.filter(
            deputy_for__user=request.user, deputy_for__revoked_at__isnull=True, revoked_at__isnull=True
        )
        .filter(valid_until__gt=now)
        .select_related("user", "organisation")
        .order_by("valid_from", "pk")
    )
    for_me = list(for_me)
    assignments = [a for a in mine if a.pk in active_ids]
    # Governance admins see the state of their organisations first (one query per count).
    state = []
    if overview.can_see_overview(request.user, held_roles={assignment.role for assignment in assignments}):
        state = overview.readings(overview.admin_organisation_ids(request.user))
    return render(
        request,
        "governance/tasks.html",
        {
            "tasks": inbox.tasks_for(request.user),
            "assignments": assignments,
            "upcoming": [a for a in mine if a.pk not in active_ids and a.valid_from > now],
            "deputies_for_me": [deputy for deputy in for_me if not deputy.is_proposal],
            "my_proposals": [deputy for deputy in for_me if deputy.is_proposal],
            "end_form": RevokeForm(),
            "overview": state,
        },
    )


@require_GET
@staff_required
def state_list(request, code):
    """The list behind one count of the start page: what it counts, in the organisations
    the governance admin oversees."""
    if not overview.can_see_overview(request.user):
        raise PermissionDenied
    signal = overview.signal(code)
    if signal is None or signal.items is None:
        raise Http404
    return render(
        request,
        "governance/state_list.html",
        {"signal": signal, "items": signal.items(overview.admin_organisation_ids(request.user))},
    )


@require_GET
@staff_required
def organisation_list(request):
    organisations = permissions.visible_organisations(request.user).select_related("parent")
    # The settings that speak for the whole network (sign-on groups, legal pages) are kept by
    # governance admins; their pages check the same again.
    network_admin = permissions.has_any_role(request.user, Role.GOVERNANCE_ADMIN)
    return render(
        request,
        "governance/organisation_list.html",
        {"organisations": organisations, "network_admin": network_admin},
    )


@require_GET
@staff_required
def organisation_detail(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug)
    assignments = (
        RoleAssignment.objects.active()
        .filter(organisation=organisation)
        .select_related("user", "deputy_for__user")
        .order_by("role", "user__last_name")
    )
    upcoming = (
        RoleAssignment.objects.granted()
        .filter(organisation=organisation, revoked_at__isnull=True, valid_from__gt=timezone.now())
        .select_related("user")
    )
    children = permissions.visible_organisations(request.user).filter(parent=organisation)
    can_manage = permissions.can_manage_roles(request.user, organisation)
    proposals = (
        RoleAssignment.objects.proposed()
        .filter(organisation=organisation)
        .select_related("user", "deputy_for__user", "created_by")
        if can_manage
        else RoleAssignment.objects.none()
    )
    return render(
        request,
        "governance/organisation_detail.html",
        {
            "organisation": organisation,
            "assignments": assignments,
            "upcoming": upcoming,
            "children": children,
            "can_change": permissions.can_change_organisation(request.user, organisation),
            "can_manage_roles": can_manage,
            "revoke_form": RevokeForm() if can_manage else None,
            "proposals": [(proposal, permissions.can_approve_deputy(request.user, proposal)) for proposal in proposals],
        },
    )


@staff_required
def organisation_edit(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug, change=True)
    form = OrganisationForm(request.POST or None, instance=organisation, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.Meta.fields}
        try:
            services.update_organisation(
                Organisation.objects.get(pk=organisation.pk),
                by=request.user,
                changes=changes,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, services.ConflictError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Die Organisation wurde gespeichert."))
            return redirect(organisation)
    return render(request, "governance/organisation_form.html", {"organisation": organisation, "form": form})


@require_GET
@staff_required
def organisation_history(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug)
    entries = history_entries(organisation.history.select_related("history_user").order_by("-history_date"))
    return render(request, "governance/organisation_history.html", {"organisation": organisation, "entries": entries})


def refuse_foreign_account(user, value: str) -> None:
    """A person whose account the admin does not manage is refused (403) like any other
    foreign object, not merely shown as an invalid choice."""
    person = get_user_model().objects.filter(pk=value).first() if value.isdigit() else None
    if person is not None and not permissions.can_manage_account(user, person):
        raise PermissionDenied


@staff_required
def role_assign(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug)
    if not permissions.can_manage_roles(request.user, organisation):
        raise PermissionDenied
    if request.method == "POST":
        refuse_foreign_account(request.user, request.POST.get("user", ""))
    form = RoleAssignmentForm(request.POST or None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_role(
                form.cleaned_data["user"],
                Role(form.cleaned_data["role"]),
                organisation,
                by=request.user,
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data["valid_until"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Die Rolle wurde zugewiesen."))
            return redirect(organisation)
    return render(request, "governance/role_assign.html", {"organisation": organisation, "form": form})


@staff_required
@require_POST
def role_revoke(request, pk):
    assignment = permissions.get_assignment_for_user(request.user, pk, manage=True)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte geben Sie einen Grund für den Entzug an."))
    else:
        try:
            services.revoke_role(assignment, by=request.user, reason=form.cleaned_data["reason"])
        except services.GovernanceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Die Rolle wurde entzogen."))
    return redirect(assignment.organisation)


# Deputies: a governance admin appoints (deputy_create) or approves what the holder of
# the role proposed (deputy_propose); the principal, the deputy or an admin ends one.


@staff_required
def deputy_create(request, pk):
    principal = permissions.get_assignment_for_user(request.user, pk, appoint=True)
    return _deputy_form(request, principal, services.appoint_deputy, _("Die Vertretung ist eingerichtet."))


@staff_required
def deputy_propose(request, pk):
    principal = permissions.get_assignment_for_user(request.user, pk, propose=True)
    return _deputy_form(
        request,
        principal,
        services.propose_deputy,
        _("Ihr Vorschlag wartet auf die Genehmigung der Governance-Admins; bis dahin gilt die Vertretung nicht."),
    )


def _deputy_form(request, principal, service, success: str):
    form = DeputyForm(request.POST or None, principal=principal)
    if request.method == "POST" and form.is_valid():
        try:
            service(
                principal,
                form.cleaned_data["deputy"],
                by=request.user,
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data["valid_until"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, services.GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, success)
            if service is services.appoint_deputy:
                return redirect(principal.organisation)
            return redirect("governance:tasks")
    return render(
        request,
        "governance/deputy_form.html",
        {"principal": principal, "form": form, "proposing": service is services.propose_deputy},
    )


@staff_required
@require_POST
def deputy_approve(request, pk):
    proposal = permissions.get_deputy_for_user(request.user, pk, approve=True)
    try:
        services.approve_deputy(proposal, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.GovernanceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Die Vertretung ist genehmigt."))
    return redirect(proposal.organisation)


@staff_required
@require_POST
def deputy_end(request, pk):
    deputy = permissions.get_deputy_for_user(request.user, pk, end=True)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte geben Sie einen Grund an."))
    else:
        try:
            services.end_deputy(deputy, by=request.user, reason=form.cleaned_data["reason"])
        except services.GovernanceError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Der Vorschlag ist zurückgezogen.") if deputy.is_proposal else _("Die Vertretung ist beendet."),
            )
    if request.user.pk in {deputy.user_id, deputy.deputy_for.user_id}:
        return redirect("governance:tasks")
    return redirect(deputy.organisation)


# ---------------------------------------------------------------------------
# Policies


def as_of_date(request):
    """The day the governance pages show (GET ?stichtag=YYYY-MM-DD), default today."""
    today = timezone.localdate()
    form = AsOfForm(request.GET if "stichtag" in request.GET else None, initial={"stichtag": today})
    if form.is_bound and form.is_valid() and form.cleaned_data["stichtag"]:
        return form, form.cleaned_data["stichtag"]
    return form, today


@require_GET
@staff_required
def policy_list(request):
    form, day = as_of_date(request)
    documents = list(PolicyDocument.objects.select_related("issuer").order_by("kind", "title"))
    in_force = {v.document_id: v for v in PolicyVersion.objects.in_force(day)}
    drafts = set(PolicyVersion.objects.filter(status=PolicyStatus.DRAFT).values_list("document_id", flat=True))
    rows = [{"document": d, "in_force": in_force.get(d.pk), "has_draft": d.pk in drafts} for d in documents]
    return render(
        request,
        "governance/policy_list.html",
        {
            "rows": rows,
            "form": form,
            "day": day,
            "is_today": day == timezone.localdate(),
            "rule_count": RuleVersion.objects.filter(policy_version__in=in_force.values()).count(),
            "can_manage": permissions.can_manage_policies(request.user),
        },
    )


@staff_required
def policy_create(request):
    if not permissions.can_manage_policies(request.user):
        raise PermissionDenied
    issuers = permissions.organisations_with_role(request.user, Role.GOVERNANCE_ADMIN)
    form = PolicyDocumentForm(request.POST or None, issuers=issuers, organisations=Organisation.objects.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.create_document_with_draft(
                by=request.user,
                kind=data["kind"],
                title=data["title"],
                slug=data["slug"],
                description=data["description"],
                issuer=data["issuer"],
                applies_to=data["applies_to"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Das Dokument wurde angelegt; bitte den Entwurf ausfüllen."))
            return redirect("governance:policy_version_edit", document.slug, 1)
    return render(request, "governance/policy_form.html", {"form": form})


@require_GET
@staff_required
def policy_detail(request, slug):
    document = permissions.get_document_for_user(request.user, slug)
    form, day = as_of_date(request)
    versions = list(document.versions.select_related("created_by").order_by("-number"))
    in_force = next((v for v in versions if v.is_in_force(day)), None)
    return render(
        request,
        "governance/policy_detail.html",
        {
            "document": document,
            "versions": versions,
            "in_force": in_force,
            "form": form,
            "day": day,
            "has_draft": any(v.is_draft for v in versions),
            "can_manage": permissions.can_manage_policies(request.user, document),
            "applies_to": list(document.applies_to.all()),
        },
    )


@staff_required
@require_POST
def policy_draft_create(request, slug):
    document = permissions.get_document_for_user(request.user, slug, manage=True)
    try:
        draft = services.create_draft(document, by=request.user)
    except services.GovernanceError as error:
        messages.error(request, str(error))
        return redirect(document)
    messages.success(request, _("Der Entwurf ist eine Kopie der letzten beschlossenen Fassung."))
    return redirect("governance:policy_version_edit", document.slug, draft.number)


def _get_version(request, slug, number, *, manage=False) -> PolicyVersion:
    document = permissions.get_document_for_user(request.user, slug, manage=manage)
    version = get_object_or_404(PolicyVersion.objects.select_related("based_on"), document=document, number=number)
    version.document = document
    return version


@require_GET
@staff_required
def policy_version(request, slug, number):
    version = _get_version(request, slug, number)
    rule_versions = list(
        version.rule_versions.select_related("rule", "section").order_by("section__position", "rule__code")
    )
    by_section: dict[int, list] = {}
    for rule_version in rule_versions:
        by_section.setdefault(rule_version.section_id, []).append(rule_version)
    sections = [{"section": s, "rules": by_section.get(s.pk, [])} for s in version.sections.all()]
    grounds = {
        term.code: term
        for term in VocabularyTerm.objects.in_force().filter(
            vocabulary=Vocabulary.EXCLUSION_GROUND, code__in={rv.ground for rv in rule_versions if rv.ground}
        )
    }
    return render(
        request,
        "governance/policy_version.html",
        {
            "document": version.document,
            "version": version,
            "body": render_markdown(version.body),
            "sections": sections,
            "rule_versions": rule_versions,
            "grounds": grounds,
            "today": timezone.localdate(),
            "can_manage": permissions.can_manage_policies(request.user, version.document),
            "other_versions": version.document.versions.exclude(pk=version.pk).order_by("-number"),
        },
    )


@staff_required
def policy_version_edit(request, slug, number):
    version = _get_version(request, slug, number, manage=True)
    if not version.is_draft:
        # Adopted text never changes; an amendment is a new version.
        raise PermissionDenied
    form = PolicyVersionForm(request.POST or None, instance=version)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_draft(
                version,
                by=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                change_note=form.cleaned_data["change_note"],
            )
        except (ValidationError, services.GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Der Entwurf wurde gespeichert."))
            return redirect(version)
    return render(request, "governance/policy_version_form.html", {"version": version, "form": form})


@staff_required
@require_POST
def policy_version_discard(request, slug, number):
    version = _get_version(request, slug, number, manage=True)
    if not version.is_draft:
        raise PermissionDenied
    try:
        services.discard_draft(version, by=request.user)
    except services.GovernanceError as error:
        messages.error(request, str(error))
        return redirect(version)
    messages.success(request, _("Der Entwurf wurde verworfen."))
    return redirect(version.document)


# The form and hint of each step of a policy version (declared in governance.services.POLICY_TRANSITIONS).
TRANSITION_FORMS = {
    "adopt": (AdoptForm, _("Nach dem Beschluss ist der Text unveränderlich.")),
    "in_force": (
        InForceForm,
        _("Die bisher geltende Fassung endet am Tag vor dem Inkrafttreten dieser Fassung (sie wird abgelöst)."),
    ),
    "repeal": (RepealForm, _("Die Fassung gilt ab dem gewählten Tag nicht mehr, ohne Nachfolger.")),
}


@staff_required
def policy_version_transition(request, slug, number, transition):
    version = _get_version(request, slug, number, manage=True)
    form_class, hint = TRANSITION_FORMS[transition]
    title = services.POLICY_TRANSITIONS[transition].label
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if transition == "adopt":
                services.adopt_version(version, by=request.user, **data)
                messages.success(request, _("Der Beschluss wurde erfasst; die Fassung ist nun unveränderlich."))
            elif transition == "in_force":
                services.put_in_force(version, by=request.user, **data)
                messages.success(request, _("Die Fassung wurde in Kraft gesetzt."))
            else:
                services.repeal_version(version, by=request.user, on=data["on"], reason=data["reason"])
                messages.success(request, _("Die Fassung wurde aufgehoben."))
        except (ValidationError, services.GovernanceError) as error:
            add_errors(form, error)
        else:
            return redirect(version)
    return render(
        request,
        "governance/policy_transition.html",
        {"version": version, "form": form, "title": title, "hint": hint, "transition": transition},
    )


@require_GET
@staff_required
def policy_diff(request, slug):
    document = permissions.get_document_for_user(request.user, slug)
    versions = list(document.versions.order_by("number"))
    if len(versions) < 2:
        messages.info(request, _("Es gibt erst eine Fassung; ein Vergleich braucht zwei."))
        return redirect(document)
    by_number = {v.number: v for v in versions}

    def pick(name, default):
        try:
            return by_number[int(request.GET.get(name, default))]
        except (KeyError, ValueError):
            raise Http404 from None

    new = pick("bis", versions[-1].number)
    old = pick("von", (new.based_on.number if new.based_on_id else versions[-2].number))
    rules_old = old.rule_versions.select_related("rule", "section")
    rules_new = new.rule_versions.select_related("rule", "section")
    return render(
        request,
        "governance/policy_diff.html",
        {
            "document": document,
            "versions": versions,
            "old": old,
            "new": new,
            "title_changed": old.title != new.title,
            "rows": diff_lines(old.body, new.body),
            "rule_changes": diff_rules(rules_old, rules_new),
        },
    )


# ---------------------------------------------------------------------------
# Rules


def _rule_form_context(version, form, rule_version=None):
    return {
        "version": version,
        "form": form,
        "rule_version": rule_version,
        "facts": FACT_LIST,
        "operators": OPERATORS,
        "operators_by_kind": OPERATORS_BY_KIND,
    }


def _grounds():
    return VocabularyTerm.objects.in_force().filter(vocabulary=Vocabulary.EXCLUSION_GROUND).order_by("code")


@staff_required
def rule_create(request, slug, number):
    version = _get_version(request, slug, number, manage=True)
    if not version.is_draft:
        raise PermissionDenied
    form = RuleVersionForm(request.POST or None, policy_version=version, grounds=_grounds())
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rule_version(
                version, by=request.user, code=form.cleaned_data["code"], fields=form.rule_fields()
            )
        except (ValidationError, services.GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Die Regel wurde gespeichert."))
            return redirect(version)
    return render(request, "governance/rule_form.html", _rule_form_context(version, form))


@staff_required
def rule_edit(request, slug, number, code):
    version = _get_version(request, slug, number, manage=True)
    rule_version = get_object_or_404(
        RuleVersion.objects.select_related("rule", "section"), policy_version=version, rule__code=code
    )
    if not version.is_draft:
        raise PermissionDenied
    initial = {
        "code": rule_version.rule.code,
        **{name: getattr(rule_version, name) for name in services.RULE_CONTENT_FIELDS},
        "section": rule_version.section_id,
    }
    form = RuleVersionForm(
        request.POST or None, initial=initial, policy_version=version, grounds=_grounds(), editing=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rule_version(
                version, by=request.user, code=code, fields=form.rule_fields(), rule_version=rule_version
            )
        except (ValidationError, services.GovernanceError) as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Die Regel wurde gespeichert."))
            return redirect(version)
    return render(request, "governance/rule_form.html", _rule_form_context(version, form, rule_version))


@staff_required
@require_POST
def rule_remove(request, slug, number, code):
    version = _get_version(request, slug, number, manage=True)
    rule_version = get_object_or_404(RuleVersion, policy_version=version, rule__code=code)
    if not version.is_draft:
        raise PermissionDenied
    services.remove_rule_version(rule_version, by=request.user)
    messages.success(request, _("Die Regel %(code)s wurde aus dem Entwurf entfernt.") % {"code": code})
    return redirect(version)


# ---------------------------------------------------------------------------
# Audit


# The apps whose objects the audit filter offers (not Django's own or guardian's).
AUDITED_APPS = ("governance", "catalog", "ethics", "portal", "sharing", "strategy")


def audited_object_types() -> list[tuple[str, str]]:
    models = {*history_registered_models.values(), *journal.registered_models()}
    choices = []
    for model in models:
        if (
            model._meta.app_label in AUDITED_APPS
            and not model.__name__.startswith("Historical")
            # The through tables of many-to-many fields ("Dataset-keyword-Beziehung"):
            # their changes are journaled as a field of the object they belong to.
            and not model._meta.auto_created
        ):
            label = str(model._meta.verbose_name)
            choices.append((model._meta.label_lower, label[:1].upper() + label[1:]))
    return sorted(choices, key=lambda choice: choice[1])


def filtered_audit_events(request):
    """The auditor's events narrowed by the filter in the query string."""
    form = AuditFilterForm(
        request.GET or None,
        organisations=permissions.audit_organisations(request.user).order_by("name"),
        object_types=audited_object_types(),
    )
    events = permissions.visible_audit_events(request.user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["person"]:
            events = events.filter(actor_repr__icontains=data["person"])
        if data["organisation"]:
            events = events.filter(organisation_id__in=Organisation.objects.subtree_ids([data["organisation"]]))
        if data["object_type"]:
            app_label, model = data["object_type"].split(".")
            events = events.filter(content_type=ContentType.objects.get_by_natural_key(app_label, model))
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"])
        if data["action"]:
            events = events.filter(action=data["action"])
        zone = timezone.get_current_timezone()
        if data["since"]:
            events = events.filter(time__gte=datetime.combine(data["since"], time.min, tzinfo=zone))
        if data["until"]:
            events = events.filter(time__lt=datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone))
    elif form.is_bound:
        events = events.none()
    return form, events


def _filter_querystring(request) -> str:
    query = request.GET.copy()
    query.pop("seite", None)
    return query.urlencode()


def object_text(event) -> str:
    """The object's name without its kind, which the journal shows beside it (events
    written before stored "Ethikprüfung: X")."""
    model = event.content_type.model_class() if event.content_type_id and event.content_type else None
    return journal.without_type_prefix(event.object_repr, model) or "–"


def event_type_label(event) -> str:
    model = event.content_type.model_class() if event.content_type_id and event.content_type else None
    if model is None:
        return "–"
    label = str(model._meta.verbose_name)
    return label[:1].upper() + label[1:]


@require_GET
@staff_required
def audit(request):
    """The audit journal for governance admins and auditors: filter, follow each event
    to its object and version, export, verify the chain."""
    if not permissions.can_audit(request.user):
        raise PermissionDenied
    form, events = filtered_audit_events(request)
    page = Paginator(events.select_related("actor", "organisation", "content_type").order_by("-seq"), 50).get_page(
        request.GET.get("seite")
    )
    for event in page.object_list:
        event.type_label = event_type_label(event)
        event.object_text = object_text(event)
    return render(
        request,
        "governance/audit.html",
        {
            "form": form,
            "page": page,
            "querystring": _filter_querystring(request),
            "verification": AuditVerification.objects.select_related("started_by").first(),
        },
    )


@require_GET
@staff_required
def audit_event(request, seq):
    if not permissions.can_audit(request.user):
        raise PermissionDenied
    event = get_object_or_404(
        permissions.visible_audit_events(request.user).select_related("actor", "organisation", "content_type"), seq=seq
    )
    model = event.content_type.model_class() if event.content_type_id else None
    changes, snapshot = [], []
    if model is not None:
        for name, change in (event.data.get("changes") or {}).items():
            if name in IGNORED_FIELDS:
                continue
            changes.append((field_label(model, name), audit_value(model, name, change["old"], request.user),
                            audit_value(model, name, change["new"], request.user)))  # fmt: skip
        for name, value in (event.data.get("snapshot") or {}).items():
            if not is_empty(value):  # nothing to read in an empty field
                snapshot.append((field_label(model, name), audit_value(model, name, value, request.user)))
    obj = None
    if model is not None and event.object_id and event.action != AuditAction.DELETE:
        obj = model._default_manager.filter(pk=event.object_id).first()
    version_url = None
    spec = journal.spec_for(model)
    if spec.version_url and obj is not None:
        version_url = spec.version_url(event.object_id, event.version_id)
    return render(
        request,
        "governance/audit_event.html",
        {
            "event": event,
            "type_label": event_type_label(event),
            "object_text": object_text(event),
            "changes": changes,
            "snapshot": snapshot,
            "other_data": [
                (DATA_LABELS.get(key, key), data_value(value))
                for key, value in event.data.items()
                if key not in ("changes", "snapshot") and not is_empty(value)
            ],
            "object": obj,
            "object_url": obj.get_absolute_url() if obj is not None and hasattr(obj, "get_absolute_url") else None,
            "version_url": version_url,
            "hash_ok": journal.compute_hash(event.prev_hash, journal.payload(event)) == event.hash,
        },
    )


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def local_time(value) -> str:
    """A stored time (ISO 8601, UTC) as local time in the one short format."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def audit_value(model, name: str, value, user=None) -> str:
    """A journaled value for people; many-to-many values are stored as lists of ids
    (named only as far as the auditor may see them: no policy of another city), times in
    UTC, kinds of objects as content type ids."""
    try:
        field = model._meta.get_field(name)
    except Exception:
        return data_value(value)
    if is_empty(value):
        return "–"
    if field.many_to_many and isinstance(value, list):
        related = field.related_model._default_manager.filter(pk__in=value)
        if user is not None:
            related = permissions.visible_in_audit(user, related)
        return ", ".join(sorted(str(obj) for obj in related)) or "–"
    if isinstance(field, models.DateTimeField):
        return local_time(value)
    if isinstance(field, models.DateField):
        day = parse_date(value) if isinstance(value, str) else value
        return date_format(day, "SHORT_DATE_FORMAT") if day else str(value)
    if field.is_relation and field.related_model is ContentType:
        return kind_label(ContentType.objects.get_for_id(value).model_class() if value else None, value)
    if name == "evaluation" and isinstance(value, dict):
        return evaluation_summary(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return display_value(model, name, value)


def kind_label(kind, value=None) -> str:
    """A kind of object by its name; a version table of simple-history by the name of
    the object it keeps versions of ("Datensatz (Version)")."""
    if kind is None:
        return f"#{value}"
    versioned = getattr(kind, "instance_type", None)
    if versioned is not None:
        return _("%(kind)s (Version)") % {"kind": capfirst(versioned._meta.verbose_name)}
    return capfirst(kind._meta.verbose_name)


def evaluation_summary(evaluation: dict) -> str:
    """The rules' evaluation of a decision in one sentence: the proposed form, how many
    rules were evaluated and which of them applied (the decision page shows it all)."""
    trace = evaluation.get("trace") or []
    applied = sorted(step["rule"] for step in trace if step.get("result"))
    outcome = evaluation.get("outcome")
    parts = []
    if outcome:
        parts.append(_("Vorschlag: %(outcome)s") % {"outcome": dict(PublicationForm.choices).get(outcome, outcome)})
    parts.append(
        _("%(count)d Regeln ausgewertet, zutreffend: %(applied)s")
        % {"count": len(trace), "applied": ", ".join(applied) or _("keine")}
    )
    return "; ".join(str(part) for part in parts)


def data_value(value) -> str:
    """A value the journal keeps beside the snapshot (a filter, permissions granted)."""
    if is_empty(value):
        return "–"
    if isinstance(value, dict):
        return "; ".join(f"{DATA_LABELS.get(key, key)}: {data_value(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(data_value(item) for item in value)
    if isinstance(value, str) and journal_time(value):
        return local_time(value)
    return str(value)


def journal_time(value: str) -> bool:
    return len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T" and parse_datetime(value) is not None


# Names of what the services keep beside a snapshot, and of the fields Django names
# itself (no verbose name): what the journal shows instead of the attribute.
DATA_LABELS = {
    "granted": gettext_lazy("Erteilte Berechtigungen"),
    "revoked": gettext_lazy("Entzogene Berechtigungen"),
    "note": gettext_lazy("Anmerkung"),
    "filters": gettext_lazy("Filter"),
    "up_to_seq": gettext_lazy("Bis Ereignis Nr."),
    "dataset": gettext_lazy("Datensatz"),
    "valid_from": gettext_lazy("Gültig ab"),
    "valid_until": gettext_lazy("Gültig bis"),
    "person": gettext_lazy("Person"),
    "organisation": gettext_lazy("Organisation"),
    "object_type": gettext_lazy("Objektart"),
    "object_id": gettext_lazy("Objekt-Kennung"),
    "action": gettext_lazy("Aktion"),
    "since": gettext_lazy("Von"),
    "until": gettext_lazy("Bis"),
}
FIELD_LABELS = {
    "subject_version_type": gettext_lazy("Gegenstand (Art der Version)"),
    "subject_version_id": gettext_lazy("Gegenstand (Versions-Kennung)"),
    "classification_type": gettext_lazy("Klassifizierung (Art)"),
    "classification_id": gettext_lazy("Klassifizierung (Kennung)"),
}


def field_label(model, name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except Exception:
        return str(FIELD_LABELS.get(name) or DATA_LABELS.get(name) or name)
    label = str(field.verbose_name)
    if name in FIELD_LABELS and label == field.name.replace("_", " "):  # Django's own name
        label = str(FIELD_LABELS[name])
    return capfirst(label)


class Echo:
    """A file-like object whose write() hands the line back, for streaming CSV."""

    def write(self, value):
        return value


# The CSV is for people (a spreadsheet): German headings, local times, words for codes;
# the codes and ids stay beside them for filtering. The JSON export is the verbatim
# payload (audit.payload()) from which a recipient recomputes every hash.
def export_columns():
    return [
        _("Nr."), _("Zeitpunkt (Europe/Berlin)"), _("Person"), _("Personen-Kennung"), _("Aktion"),
        _("Objektart"), _("Objekt-Kennung"), _("Objekt"), _("Versions-Kennung"), _("Organisation"),
        _("Organisations-Kennung"), _("Vorgang"), _("Vorgang (Code)"), _("Begründung/Notiz der Person"),
        _("Anfrage-Kennung"), _("Daten (JSON)"), _("Vorheriger Hash"), _("Hash"),
    ]  # fmt: skip


def export_row(event, organisation_names: dict) -> list:
    return [
        event.seq,
        timezone.localtime(event.time).isoformat(),
        event.actor_repr or _("System"),
        event.actor_id,
        event.get_action_display(),
        event_type_label(event) if event.content_type_id else "",
        event.object_id,
        object_text(event) if event.object_repr else "",
        event.version_id,
        organisation_names.get(event.organisation_id, "") if event.organisation_id else _("Stadtverbund"),
        event.organisation_id,
        describe_change_reason(event.reason) if event.reason else "",
        event.reason,
        event.person_text,
        event.request_id,
        journal.canonical_json(event.data) if event.data else "",
        event.prev_hash,
        event.hash,
    ]


@require_GET
@staff_required
def audit_export(request, fmt):
    """The filtered events as CSV or JSON, streamed. The JSON carries each event's
    canonical payload and its hash, so the recipient can recompute every hash; the
    reason is the service's code, its words in the legend `reason_labels` after the
    events. The CSV is for reading: German headings, times in Europe/Berlin (ISO 8601
    with offset), actions, object types and reasons in words with their codes beside
    them, and what a person typed in its own column, never put into words. The export
    is itself journaled.

    In the CSV, text that starts with = + - @, a tab or a carriage return has a leading
    apostrophe (core.cells), so that no spreadsheet runs it."""
    if not permissions.can_audit(request.user):
        raise PermissionDenied
    if fmt not in ("csv", "json"):
        raise Http404
    _form, events = filtered_audit_events(request)
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    journal.append(
        action=AuditAction.EXPORT,
        actor=request.user,
        reason=f"governance.audit.export.{fmt}",
        data={"filters": {k: v for k, v in request.GET.items() if k != "seite"}, "up_to_seq": head},
    )
    rows = events.filter(seq__lte=head).order_by("seq").iterator(chunk_size=2000)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")

    def records():
        for event in rows:
            record = journal.payload(event)
            record["hash"] = event.hash
            yield record

    if fmt == "csv":
        writer = csv.writer(Echo())
        organisation_names = dict(Organisation.objects.values_list("pk", "name"))

        def lines():
            yield writer.writerow(export_columns())
            for event in (
                events.filter(seq__lte=head).select_related("content_type").order_by("seq").iterator(chunk_size=2000)
            ):
                # Text a spreadsheet would run as a formula (a data request titled
                # "=HYPERLINK(…)") gets a leading apostrophe; the JSON export is verbatim.
                yield writer.writerow(
                    safe_row("" if value is None else value for value in export_row(event, organisation_names))
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    else:

        def chunks():
            codes = set()
            yield '{"exported_at": ' + json.dumps(timezone.now().isoformat()) + ', "events": [\n'
            for index, record in enumerate(records()):
                codes.add(reason_code(record["reason"]))
                yield ("" if index == 0 else ",\n") + journal.canonical_json(record)
            yield '\n], "reason_labels": ' + journal.canonical_json(reason_labels(codes)) + "}\n"

        response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response


@staff_required
@require_POST
def audit_verify(request):
    if not permissions.can_audit(request.user):
        raise PermissionDenied
    background.verify_audit_chain.delay(request.user.pk)
    messages.info(
        request, _("Die Prüfung der Audit-Kette wurde gestartet; das Ergebnis steht im Kasten „Prüfung der Kette“.")
    )
    return redirect("governance:audit")
