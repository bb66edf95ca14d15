from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import permissions, services
from .forms import DeputyForm, OrganisationForm, RevokeForm, RoleAssignmentForm
from .history import history_entries
from .models import Organisation, Role, RoleAssignment


def staff_required(view):
    """The internal area is for people holding a role; everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def tasks(request):
    now = timezone.now()
    mine = RoleAssignment.objects.filter(user=request.user, revoked_at__isnull=True).select_related(
        "organisation", "deputy_for__user"
    )
    active_ids = set(RoleAssignment.objects.active(now).filter(user=request.user).values_list("pk", flat=True))
    deputies_for_me = (
        RoleAssignment.objects.active(now).filter(deputy_for__user=request.user).select_related("user", "organisation")
    )
    return render(
        request,
        "governance/tasks.html",
        {
            "assignments": [a for a in mine if a.pk in active_ids],
            "upcoming": [a for a in mine if a.pk not in active_ids and a.valid_from > now],
            "deputies_for_me": deputies_for_me,
        },
    )


@staff_required
def organisation_list(request):
    organisations = permissions.visible_organisations(request.user).select_related("parent")
    return render(request, "governance/organisation_list.html", {"organisations": organisations})


@staff_required
def organisation_detail(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug)
    assignments = (
        RoleAssignment.objects.active()
        .filter(organisation=organisation)
        .select_related("user", "deputy_for__user")
        .order_by("role", "user__last_name")
    )
    upcoming = RoleAssignment.objects.filter(
        organisation=organisation, revoked_at__isnull=True, valid_from__gt=timezone.now()
    ).select_related("user")
    children = permissions.visible_organisations(request.user).filter(parent=organisation)
    can_manage = permissions.can_manage_roles(request.user, organisation)
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
        },
    )


@staff_required
def organisation_edit(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug, change=True)
    form = OrganisationForm(request.POST or None, instance=organisation)
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
        except services.ConflictError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Die Organisation wurde gespeichert."))
            return redirect(organisation)
    return render(request, "governance/organisation_form.html", {"organisation": organisation, "form": form})


@staff_required
def organisation_history(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug)
    entries = history_entries(organisation.history.select_related("history_user").order_by("-history_date"))
    return render(request, "governance/organisation_history.html", {"organisation": organisation, "entries": entries})


@staff_required
def role_assign(request, slug):
    organisation = permissions.get_organisation_for_user(request.user, slug)
    if not permissions.can_manage_roles(request.user, organisation):
        raise PermissionDenied
    form = RoleAssignmentForm(request.POST or None)
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
            form.add_error(None, error)
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


@staff_required
def deputy_create(request, pk):
    principal = permissions.get_assignment_for_user(request.user, pk, deputise=True)
    form = DeputyForm(request.POST or None, principal=principal)
    if request.method == "POST" and form.is_valid():
        try:
            services.appoint_deputy(
                principal,
                form.cleaned_data["deputy"],
                by=request.user,
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data["valid_until"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Die Vertretung wurde eingerichtet."))
            return redirect("governance:tasks")
    return render(request, "governance/deputy_form.html", {"principal": principal, "form": form})


@staff_required
def audit(request):
    """Every recorded change to organisations and role assignments in the auditor's
    organisations, newest first."""
    if not permissions.can_audit(request.user):
        raise PermissionDenied
    scope = permissions.organisations_with_role(request.user, Role.GOVERNANCE_ADMIN).values("pk")
    kind = request.GET.get("art", "")
    if kind == "rollen":
        records = RoleAssignment.history.filter(organisation_id__in=scope).select_related(
            "history_user", "user", "organisation"
        )
    else:
        kind = "organisationen"
        records = Organisation.history.filter(Q(id__in=scope)).select_related("history_user")
    page = Paginator(records.order_by("-history_date", "-history_id"), 50).get_page(request.GET.get("seite"))
    return render(request, "governance/audit.html", {"page": page, "kind": kind})
