"""The stewards' catalog: find, describe, classify and distribute datasets. Services do
the writes; catalog.permissions decides who sees (404 otherwise) and who changes (403)."""

import posixpath
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from core.errors import PermissionRefused
from core.forms import add_errors
from governance.history import describe_change_reason, history_entries, readable_changes
from governance.models import Role
from governance.permissions import roles_held

from . import changes, inbox, permissions, services, workflow
from .errors import CatalogError, ConflictError
from .forms import (
    ClassificationForm,
    DatasetFilterForm,
    DatasetForm,
    DistributionForm,
    TransitionForm,
    VersionCompareForm,
)
from .history import classification_changes, classification_number, dataset_versions
from .models import Classification, Dataset, DatasetChange

PAGE_SIZE = 25


def catalog_required(view):
    """The catalog is for people with a reading role in some organisation; everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.can_use_catalog(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@catalog_required
@require_safe
def dataset_list(request):
    form = DatasetFilterForm(request.GET or None, user=request.user)
    datasets = form.filter(
        permissions.visible_datasets(request.user)
        .select_related("publisher", "current_classification", "quality_score")
        .prefetch_related("themes")
    )
    page = Paginator(datasets, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "catalog/dataset_list.html",
        {
            "form": form,
            "page": page,
            "can_create": permissions.editing_organisations(request.user).exists(),
            "can_harvest": permissions.can_view_harvesting(request.user),
        },
    )


@catalog_required
@require_safe
def dataset_detail(request, name):
    dataset = permissions.get_dataset_for_user(
        request.user,
        name,
        queryset=Dataset.objects.select_related(
            "owner", "steward", "current_classification__classified_by", "quality_score", "release_by"
        ).prefetch_related("keywords", "themes"),
    )
    roles = roles_held(request.user, dataset.publisher)
    transitions = [
        (
            transition,
            TransitionForm(transition=transition, dataset=dataset),
        )
        for transition in workflow.available_transitions(dataset, request.user, roles=roles)
    ]
    change = services.active_change(dataset) if services.under_change_control(dataset) else None
    removed = set(change.removed_distributions.values_list("pk", flat=True)) if change else set()
    distributions = list(dataset.distributions.prefetch_related("reports"))
    for distribution in distributions:
        distribution.marked_for_removal = distribution.pk in removed
    return render(
        request,
        "catalog/dataset_detail.html",
        {
            "dataset": dataset,
            "classification": dataset.current_classification,
            # Through the related manager every distribution knows its dataset: no query each.
            "distributions": distributions,
            # Stewards edit (catalog.permissions.can_edit_dataset), except while the dataset is in review.
            "can_edit": Role.STEWARD in roles and not dataset.is_in_review,
            "change_control": services.under_change_control(dataset),
            "change": change,
            "transitions": transitions,
            "decisions": inbox.decision_trail(dataset),
            "release_label": workflow.release_label(dataset.release_at) if dataset.release_at else "",
        },
    )


@catalog_required
@require_POST
def dataset_transition(request, name, action):
    """One step of the publication workflow, judged by catalog.workflow: a missing role
    or four eyes is 403; a step the state does not allow, or a stale page, gets a conflict
    message instead of a second decision."""
    if action not in workflow.TRANSITIONS:
        raise Http404
    dataset = permissions.get_dataset_for_user(
        request.user, name, queryset=Dataset.objects.select_related("current_classification")
    )
    refusal = workflow.judgement(action, dataset, request.user)
    if refusal is not None and refusal.forbidden:  # a missing role or four eyes; the state is said on the page
        raise PermissionDenied(refusal.message)
    if action == "publish" and request.POST.get("publish-confirmed_preview") != "1":
        # Publishing from a page happens only on the confirmation page, after the preview.
        return redirect("catalog:dataset_publish", dataset.name)
    form = TransitionForm(request.POST, transition=workflow.TRANSITIONS[action], dataset=dataset)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect(f"{dataset.get_absolute_url()}#workflow")
    try:
        workflow.perform(action, dataset, by=request.user, data=form.cleaned_data)
    except PermissionRefused as error:  # the role was lost meanwhile
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ConflictError as error:
        messages.error(request, str(error))
    except CatalogError as error:
        messages.warning(request, str(error))
    else:
        dataset = Dataset.objects.get(pk=dataset.pk)
        message = _("„%(action)s“ ist erledigt. Der Datensatz ist jetzt: %(state)s.") % {
            "action": workflow.TRANSITIONS[action].label,
            "state": dataset.get_state_display(),
        }
        if step := workflow.next_step(dataset):
            message += " " + _("Als Nächstes: %(step)s.") % {"step": step}
        messages.success(request, message)
    if not permissions.visible_datasets(request.user).filter(pk=dataset.pk).exists():
        # An ethics board member no longer sees the dataset once the board has spoken.
        return redirect("governance:tasks")
    return redirect(f"{dataset.get_absolute_url()}#workflow")


@catalog_required
@require_safe
def dataset_publish(request, name):
    """What will become public, as the portal will show it, with the button that
    publishes (a POST to dataset_transition with the confirmation)."""
    dataset = permissions.get_dataset_for_user(
        request.user, name, queryset=Dataset.objects.select_related("publisher", "current_classification")
    )
    refusal = workflow.judgement("publish", dataset, request.user)
    if refusal is not None and refusal.forbidden:
        raise PermissionDenied(refusal.message)
    if refusal is not None:
        messages.warning(request, refusal.message)
        return redirect(f"{dataset.get_absolute_url()}#workflow")
    transition = workflow.TRANSITIONS["publish"]
    distributions = list(dataset.distributions.current().order_by("created", "pk"))
    return render(
        request,
        "catalog/dataset_publish.html",
        {
            "dataset": dataset,
            "transition": transition,
            "form": TransitionForm(transition=transition, dataset=dataset),
            "distributions": distributions,
            "format_labels": sorted({d.get_format_display() for d in distributions if d.format}),
            "keywords": [keyword.name for keyword in dataset.keywords.all()],
        },
    )


@catalog_required
def dataset_create(request):
    if not permissions.editing_organisations(request.user).exists():
        raise PermissionDenied
    form = DatasetForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = services.create_dataset(
                by=request.user,
                fields=form.model_fields(),
                keywords=form.cleaned_data["keywords"],
                themes=form.cleaned_data["themes"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Der Datensatz wurde angelegt. Bitte klassifizieren Sie ihn als Nächstes."))
            return redirect(dataset)
    return render(request, "catalog/dataset_form.html", {"form": form, "dataset": None})


@catalog_required
def dataset_edit(request, name):
    dataset = permissions.get_dataset_for_user(request.user, name, edit=True)
    # The form works on its own copy, so a refused edit leaves the page's title as stored.
    # An approved or published dataset is edited as its pending change would make it.
    change = services.active_change(dataset) if services.under_change_control(dataset) else None
    instance = Dataset.objects.get(pk=dataset.pk)
    if change is not None:
        services.apply_values(instance, change.proposed)
    form = DatasetForm(request.POST or None, instance=instance, user=request.user)
    if change is not None:
        if "keywords" in change.proposed:
            form.fields["keywords"].initial = ", ".join(change.proposed["keywords"])
        if "themes" in change.proposed:
            form.fields["themes"].initial = list(change.proposed["themes"])
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.info(request, _("Sie haben nichts geändert; es wurde keine neue Version gespeichert."))
            return redirect(dataset)
        try:
            services.update_dataset(
                dataset,
                by=request.user,
                fields=form.model_fields(),
                expected_version=form.cleaned_data["version"],
                keywords=form.cleaned_data["keywords"],
                themes=form.cleaned_data["themes"],
                reason=form.cleaned_data["reason"],
            )
        except (CatalogError, ValidationError) as error:
            add_errors(form, error)
        else:
            if services.under_change_control(dataset):
                change = services.active_change(dataset)
                messages.success(request, PENDING_SAVED % {"number": change.number})
                return redirect(change)
            messages.success(request, _("Die Änderungen wurden als neue Version gespeichert."))
            return redirect(dataset)
    return render(
        request,
        "catalog/dataset_form.html",
        {"form": form, "dataset": dataset, "change_control": services.under_change_control(dataset)},
    )


PENDING_SAVED = gettext_lazy(
    "Gespeichert als ausstehende Änderung %(number)s. Öffentlich bleibt der freigegebene Stand, bis die Änderung "
    "geprüft und freigegeben ist. Reichen Sie sie zur Prüfung ein, wenn sie vollständig ist."
)


@catalog_required
def dataset_classify(request, name):
    dataset = permissions.get_dataset_for_user(
        request.user, name, edit=True, queryset=Dataset.objects.select_related("current_classification")
    )
    current = dataset.current_classification
    initial = model_to_dict(current, fields=ClassificationForm.Meta.fields) if current else {}
    # A new, unsaved version: the form's model validation never touches the stored one.
    form = ClassificationForm(
        request.POST or None,
        instance=Classification(dataset=dataset),
        initial=initial,
        based_on=current.number if current else 0,
    )
    if request.method == "POST" and form.is_valid():
        if current and not classification_changes(form.instance, current):
            messages.info(
                request,
                _("Die Einstufung entspricht Version %(number)s; es wurde keine neue Version gespeichert.")
                % {"number": current.number},
            )
            return redirect(dataset)
        try:
            classification = services.classify_dataset(
                dataset, by=request.user, fields=form.model_fields(), based_on=form.cleaned_data["based_on"]
            )
        except (CatalogError, ValidationError) as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Die Klassifizierung wurde als Version %(number)s gespeichert.") % {"number": classification.number},
            )
            return redirect(dataset)
    return render(request, "catalog/dataset_classify.html", {"form": form, "dataset": dataset, "current": current})


@catalog_required
@require_safe
def dataset_history(request, name):
    dataset = permissions.get_dataset_for_user(request.user, name)
    versions = dataset_versions(dataset)
    entries = history_entries([version.record for version in reversed(versions)])
    for entry in entries:
        # A classification is a dataset version too; its content is in the classification's own history.
        entry["classification"] = classification_number(entry["record"])

    by_number = {version.number: version for version in versions}
    metadata_form = compare_form(request, "version", list(by_number), (_("Version von"), _("Version bis")))
    metadata_diff = None
    if asked := metadata_form.versions():
        older, newer = by_number[asked[0]], by_number[asked[1]]
        metadata_diff = {"older": older, "newer": newer, "changes": readable_changes(newer.record, older.record)}

    classifications = list(dataset.classifications.select_related("classified_by").order_by("number"))
    by_classification = {classification.number: classification for classification in classifications}
    classification_form = compare_form(
        request, "klassifizierung", list(by_classification), (_("Klassifizierung von"), _("Klassifizierung bis"))
    )
    classification_diff = None
    if asked := classification_form.versions():
        older, newer = by_classification[asked[0]], by_classification[asked[1]]
        classification_diff = {"older": older, "newer": newer, "changes": classification_changes(newer, older)}

    return render(
        request,
        "catalog/dataset_history.html",
        {
            "dataset": dataset,
            "entries": entries,
            "classifications": classifications[::-1],
            "metadata_form": metadata_form,
            "metadata_diff": metadata_diff,
            "classification_form": classification_form,
            "classification_diff": classification_diff,
        },
    )


def compare_form(request, prefix: str, numbers: list[int], labels) -> VersionCompareForm:
    """A comparison form, bound only when its own parameters were sent."""
    data = request.GET if f"{prefix}-von" in request.GET else None
    return VersionCompareForm(data, numbers=numbers, prefix=prefix, labels=labels)


@catalog_required
def distribution_create(request, name):
    dataset = permissions.get_dataset_for_user(request.user, name, edit=True)
    form = DistributionForm(request.POST or None, request.FILES or None, dataset=dataset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            distribution = services.add_distribution(
                dataset,
                by=request.user,
                title=data["title"],
                upload=data["file"],
                access_url=data["access_url"],
                format=data["format"],
                kind=data["kind"],
                description=data["description"],
                licence=data["licence"],
                replaces=data.get("replaces"),
            )
        except CatalogError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            # The upload checks name no field: what they refuse is the file.
            if hasattr(error, "error_dict"):
                add_errors(form, error)
            else:
                form.add_error("file", error)
        else:
            if distribution.change_id:
                messages.success(request, PENDING_SAVED % {"number": distribution.change.number})
                return redirect(distribution.change)
            messages.success(
                request, _("Die Distribution „%(title)s“ wurde hinzugefügt.") % {"title": distribution.title}
            )
            return redirect(f"{dataset.get_absolute_url()}#distributionen")
    return render(request, "catalog/distribution_form.html", {"form": form, "dataset": dataset})


@catalog_required
@require_safe
def distribution_file(request, name, pk):
    """Uploaded files are only ever served here, after the permission check; /media/ is not public."""
    dataset = permissions.get_dataset_for_user(request.user, name)
    distribution = get_object_or_404(dataset.distributions.exclude(file=""), pk=pk)
    storage = distribution.file.storage
    try:
        handle = storage.open(distribution.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=posixpath.basename(distribution.file.name),
        content_type=distribution.media_type or "application/octet-stream",
    )


@catalog_required
@require_POST
def distribution_delete(request, name, pk):
    dataset = permissions.get_dataset_for_user(request.user, name, edit=True)
    distribution = get_object_or_404(dataset.distributions, pk=pk)
    pending = distribution.status == "current" and services.under_change_control(dataset)
    try:
        services.remove_distribution(distribution, by=request.user)
    except CatalogError as error:
        messages.error(request, str(error))
        return redirect(f"{dataset.get_absolute_url()}#distributionen")
    if pending:
        change = services.active_change(dataset)
        messages.success(request, PENDING_SAVED % {"number": change.number})
        return redirect(change)
    messages.success(request, _("Die Distribution „%(title)s“ wurde entfernt.") % {"title": distribution.title})
    return redirect(f"{dataset.get_absolute_url()}#distributionen")


# ---------------------------------------------------------------------------
# Pending changes of approved and published datasets (catalog.changes)


def _get_change(request, name, number) -> DatasetChange:
    dataset = permissions.get_dataset_for_user(request.user, name)
    return get_object_or_404(
        DatasetChange.objects.select_related(
            "dataset__publisher", "dataset__current_classification", "created_by", "submitted_by", "signed_off_by"
        ),
        dataset=dataset,
        number=number,
    )


@catalog_required
@require_safe
def change_detail(request, name, number):
    """A pending change: what it alters against the approved state (metadata and files),
    where its review stands, and the steps the user may take."""
    change = _get_change(request, name, number)
    roles = roles_held(request.user, change.dataset.publisher)
    return render(
        request,
        "catalog/change_detail.html",
        {
            "change": change,
            "dataset": change.dataset,
            "field_changes": changes.field_changes(change),
            "file_changes": changes.file_changes(change),
            "steps": [
                (record, describe_change_reason(record.history_change_reason))
                for record in change.history.select_related("history_user").order_by("history_date", "history_id")
            ],
            "transitions": [
                (transition, TransitionForm(transition=transition, dataset=change))
                for transition in changes.available_transitions(change, request.user, roles=roles)
            ],
            "can_edit": Role.STEWARD in roles and change.is_editable,
        },
    )


@catalog_required
@require_POST
def change_transition(request, name, number, action):
    if action not in changes.TRANSITIONS:
        raise Http404
    change = _get_change(request, name, number)
    refusal = changes.judgement(action, change, request.user)
    if refusal is not None and refusal.forbidden:
        raise PermissionDenied(refusal.message)
    form = TransitionForm(request.POST, transition=changes.TRANSITIONS[action], dataset=change)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect(change)
    try:
        changes.perform(action, change, by=request.user, data=form.cleaned_data)
    except PermissionRefused as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ConflictError as error:
        messages.error(request, str(error))
    except CatalogError as error:
        messages.warning(request, str(error))
    else:
        change = DatasetChange.objects.select_related("dataset").get(pk=change.pk)
        message = _("„%(action)s“ ist erledigt. Die Änderung ist jetzt: %(state)s.") % {
            "action": changes.TRANSITIONS[action].label,
            "state": change.get_state_display(),
        }
        if step := changes.next_step(change):
            message += " " + _("Als Nächstes: %(step)s.") % {"step": step}
        messages.success(request, message)
    return redirect(change)
