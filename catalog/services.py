"""Writes of the catalog: views, the inventory import, the API and tasks call these."""

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from core import deferred, transitions
from governance import audit

from .errors import CatalogError, ConflictError
from .models import ACTIVE_CHANGE_STATES as ACTIVE
from .models import (
    CHANGEABLE_FIELDS,
    DATASET_HISTORY,
    Classification,
    Dataset,
    DatasetChange,
    DatasetState,
    Distribution,
    DistributionKind,
    DistributionStatus,
    Keyword,
    Theme,
)
from .renditions import render_distribution
from .signals import datasets_created, decision_inputs_changed
from .tabular_validation import validate_distribution
from .uploads import check_upload
from .vocabularies import FILE_TYPES_BY_CODE


def normalise_keywords(keywords) -> list[str]:
    """Trim, drop empties and case-insensitive duplicates, keep the first spelling."""
    seen, result = set(), []
    for keyword in keywords:
        keyword = " ".join(str(keyword).split())[:100]
        if keyword and keyword.lower() not in seen:
            seen.add(keyword.lower())
            result.append(keyword)
    return result


def set_keywords_and_themes(dataset: Dataset, keywords, themes, *, new: bool = False) -> None:
    """`new`: the dataset has none yet (just created), so they are only added."""
    if keywords is not None:
        found = keywords_for(keywords).values()
        if new:
            dataset.keywords.add(*found)
        else:
            dataset.keywords.set(found)
    if themes is not None:
        found = Theme.objects.filter(code__in=[getattr(theme, "code", theme) for theme in themes])
        if new:
            dataset.themes.add(*found)
        else:
            dataset.themes.set(found)


def keywords_for(names) -> dict[str, Keyword]:
    """The keywords of these names (normalised), created where missing: {name: Keyword}."""
    names = normalise_keywords(names)
    found = list(Keyword.objects.filter(name__in=names))
    existing = {keyword.name.lower() for keyword in found}
    missing = [Keyword(name=name) for name in names if name.lower() not in existing]
    if missing:
        Keyword.objects.bulk_create(missing, ignore_conflicts=True)
        found = list(Keyword.objects.filter(name__in=names))
    return {keyword.name: keyword for keyword in found}


def create_dataset(
    *, by, fields: dict, keywords=(), themes=(), reason: str = "", code: str = "catalog.dataset.created"
) -> Dataset:
    """A new dataset. `reason`: what the person typed for it; `code`: the history reason
    of a caller that is a service itself (the import, harvesting).

    Its first version holds its keywords and themes: the row is saved and they are set
    without a version each, then the one version (and its journal entry) is written; the
    search document once, at the end (core.deferred)."""
    dataset = Dataset(created_by=by, **fields)
    # Not asked of the database: whether a fresh identifier (uuid4) is taken, and the one
    # check constraint (the temporal order), which clean() checks with its German message.
    dataset.full_clean(exclude=[] if "identifier" in fields else ["identifier"], validate_constraints=False)
    with transaction.atomic(), deferred.collecting():
        transitions.stamp(dataset, by=by, reason=code, person_text=reason)
        dataset.skip_history_when_saving = True
        try:
            dataset.save()
            set_keywords_and_themes(dataset, keywords, themes, new=True)
        finally:
            del dataset.skip_history_when_saving
        DATASET_HISTORY.create_historical_record(dataset, "+")
    return dataset


@dataclass
class NewDataset:
    """A dataset for create_datasets: its fields, keywords, theme codes, and its link
    distributions (the LINK_FIELDS of each)."""

    fields: dict
    keywords: list = field(default_factory=list)
    themes: list = field(default_factory=list)
    links: list = field(default_factory=list)


def checked_dataset(new: NewDataset, *, by) -> tuple[Dataset, list[Distribution]]:
    """The dataset and its link distributions of `new`, checked as create_dataset and
    add_link_distribution check them, but not saved. What only the database knows (a
    name taken meanwhile, a publisher deleted meanwhile) its constraints refuse later."""
    dataset = Dataset(created_by=by, **new.fields)
    dataset.full_clean(
        exclude=["identifier", "publisher", "created_by"], validate_unique=False, validate_constraints=False
    )
    distributions = []
    for values in new.links:
        distribution = Distribution(dataset=dataset, **{name: values[name] for name in LINK_FIELDS})
        distribution.full_clean(exclude=["file", "dataset", "identifier"], validate_unique=False)
        distributions.append(distribution)
    return dataset, distributions


def create_datasets(
    checked: list[tuple[Dataset, list[Distribution]]], new: list[NewDataset], *, by, code: str, link_code: str
) -> None:
    """Create many checked datasets (checked_dataset) with their link distributions at once,
    as create_dataset and add_link_distribution write one (a version each, the dataset's
    holding its keywords and themes, a journal event each, the search documents, the
    background tasks), in a number of statements that does not grow with their number:
    a harvested page. All or nothing: a refusal of the database (a DatabaseError) rolls
    all of them back, and the caller may then create them one by one."""
    keywords = keywords_for(name for item in new for name in item.keywords)
    by_lower = {name.lower(): keyword for name, keyword in keywords.items()}
    codes = {getattr(theme, "code", theme) for item in new for theme in item.themes}
    themes = {theme.code: theme for theme in Theme.objects.filter(code__in=codes)}
    datasets = [dataset for dataset, _links in checked]
    for dataset in datasets:
        transitions.stamp(dataset, by=by, reason=code)
    keyword_ids = []
    for item in new:
        names = normalise_keywords(item.keywords)
        keyword_ids.append(sorted({by_lower[name.lower()].pk for name in names if name.lower() in by_lower}))
    theme_ids = [
        sorted({themes[getattr(theme, "code", theme)].pk for theme in item.themes if getattr(theme, "code", theme)
                in themes})
        for item in new
    ]  # fmt: skip
    with transaction.atomic(), deferred.collecting():
        audit.create_with_history(Dataset, datasets, by=by, reason=code, m2m={"keywords": keyword_ids,
                                                                              "themes": theme_ids})  # fmt: skip
        distributions = []
        for dataset, links in checked:
            for distribution in links:
                distribution.dataset = dataset
                distribution._history_user, distribution._change_reason = by, link_code
                distributions.append(distribution)
        audit.create_with_history(Distribution, distributions, by=by, reason=link_code)
        datasets_created.send(sender=Dataset, datasets=datasets, distributions=distributions)


def refuse_while_in_review(dataset: Dataset) -> None:
    """A dataset in review is what the reviewers judge: it does not change under
    their hands. The reviewer returns it (with reasons) and the steward edits then."""
    if dataset.is_in_review:
        raise CatalogError(
            _(
                "Der Datensatz ist in Prüfung (%(state)s) und kann so lange nicht geändert werden. "
                "Nach einer Rückgabe können Sie ihn wieder bearbeiten."
            )
            % {"state": dataset.get_state_display()}
        )


# Fields the decision engine reads (besides the classification): changing them on an
# approved or published dataset re-opens review.
DECISION_FIELDS = ("licence", "hvd_category", "publisher")


def _rereview(dataset: Dataset, *, by, reasons: str) -> None:
    """An approved or published dataset whose decision inputs changed goes back to review:
    the workflow does that (catalog.receivers.rereview), inside this transaction."""
    if dataset.state in (DatasetState.APPROVED, DatasetState.PUBLISHED):
        decision_inputs_changed.send(sender=Dataset, dataset=dataset, by=by, reasons=reasons)


STALE_EDIT = _("Der Datensatz wurde inzwischen von jemand anderem geändert. Bitte laden Sie die Seite neu.")


def update_dataset(
    dataset: Dataset,
    *,
    by,
    fields: dict,
    expected_version: int,
    keywords=None,
    themes=None,
    reason: str = "",
    code: str = "catalog.dataset.changed",
    direct: bool = False,
) -> Dataset:
    """Apply an edit made on `expected_version` (edit_version(): the dataset's version, or
    its pending change's); refuse it if the dataset has moved on. `reason`: what the
    person typed (kept as their text, never as a reason code); `code`: the history reason
    of a caller that is a service itself (the import, harvesting).

    An approved or published dataset is not changed: the edit goes into its pending
    change (propose_edit) and the public keeps the approved state. Only `direct=True` (a
    trusted harvest source, whose path is documented and recorded as such) changes it in
    place."""
    if not direct and under_change_control(dataset):
        propose_edit(
            dataset, by=by, fields=fields, expected_version=expected_version, keywords=keywords, themes=themes,
            reason=reason,
        )  # fmt: skip
        return Dataset.objects.get(pk=dataset.pk)
    with transaction.atomic():
        dataset = transitions.lock(
            Dataset.objects.all(), dataset.pk, expected_version=expected_version, message=STALE_EDIT,
            conflict=ConflictError,
        )  # fmt: skip
        refuse_while_in_review(dataset)
        if not direct and under_change_control(dataset):
            raise ConflictError(STALE_EDIT)  # approved meanwhile
        decision_inputs = [getattr(dataset, f"{name}_id" if name == "publisher" else name) for name in DECISION_FIELDS]
        for name, value in fields.items():
            setattr(dataset, name, value)
        dataset.full_clean()
        transitions.save(dataset, by=by, reason=code, person_text=reason)
        set_keywords_and_themes(dataset, keywords, themes)
        if decision_inputs != [
            getattr(dataset, f"{name}_id" if name == "publisher" else name) for name in DECISION_FIELDS
        ]:
            _rereview(dataset, by=by, reasons=_("Lizenz, HVD-Kategorie oder Herausgeber geändert"))
            dataset.refresh_from_db()
    return dataset


def classify_dataset(dataset: Dataset, *, by, fields: dict, based_on: int | None = None) -> Classification:
    """Record a new classification version and make it the one in force. Earlier
    versions stay as they were. `based_on` is the version number the classifier saw
    (0 for none); if another version was recorded meanwhile, nothing is written."""
    with transaction.atomic():
        dataset = transitions.lock(Dataset.objects.all(), dataset.pk)
        latest = dataset.classifications.aggregate(n=Max("number"))["n"] or 0
        if based_on is not None and based_on != latest:
            raise ConflictError(
                _(
                    "Inzwischen wurde Version %(number)s der Klassifizierung gespeichert. "
                    "Bitte prüfen Sie sie und stufen Sie erneut ein."
                )
                % {"number": latest}
            )
        refuse_while_in_review(dataset)
        number = latest + 1
        classification = Classification(dataset=dataset, number=number, classified_by=by, **fields)
        classification.full_clean()
        classification.save()
        dataset.current_classification = classification
        transitions.save(
            dataset, by=by, reason="catalog.dataset.classified", note=str(number), fields=["current_classification"]
        )
        # A new classification of an approved or published dataset re-opens its review.
        _rereview(dataset, by=by, reasons=_("Neue Klassifizierung (Version %(number)s)") % {"number": number})
    return classification


def add_distribution(
    dataset: Dataset,
    *,
    by,
    title: str,
    upload=None,
    access_url: str = "",
    format: str = "",
    kind: str = DistributionKind.DOWNLOAD,
    description: str = "",
    licence: str = "",
    replaces: Distribution | None = None,
) -> Distribution:
    """Attach a checked upload or an external link to the dataset. On an approved or
    published dataset the distribution is proposed by its pending change (replacing
    `replaces`, if given): nobody outside sees it before the change is approved."""
    refuse_while_in_review(dataset)
    if bool(upload) == bool(access_url):
        raise ValidationError({"file": _("Bitte entweder eine Datei hochladen oder eine Adresse angeben.")})
    distribution = Distribution(
        dataset=dataset, title=title, description=description, kind=kind, licence=licence, access_url=access_url
    )
    if replaces is not None and (replaces.dataset_id != dataset.pk or replaces.status != DistributionStatus.CURRENT):
        raise ValidationError({"replaces": _("Ersetzt werden kann nur eine veröffentlichte Distribution.")})
    if upload:
        checked = check_upload(upload)  # raises ValidationError with a German message
        distribution.format = checked.file_type.code
        distribution.media_type = checked.file_type.media_type
        distribution.byte_size = checked.byte_size
        distribution.checksum_sha256 = checked.checksum_sha256
        distribution.file.save(checked.filename, upload, save=False)
    else:
        if format not in FILE_TYPES_BY_CODE:
            raise ValidationError({"format": _("Bitte ein Format wählen.")})
        distribution.format = format
        distribution.media_type = FILE_TYPES_BY_CODE[format].media_type
    try:
        distribution.full_clean(exclude=["file"])
        with transaction.atomic():
            if under_change_control(dataset):
                change = open_change(dataset, by=by)
                distribution.status, distribution.change, distribution.replaces = (
                    DistributionStatus.PROPOSED, change, replaces,
                )  # fmt: skip
            distribution._history_user = by
            distribution._change_reason = "catalog.distribution.added"
            distribution.save()
            if distribution.change_id:
                _save_change(change, by=by, reason="catalog.change.distribution_added", note=title)
            else:
                touch_dataset(dataset, by=by, reason=f"catalog.distribution.added: {title}")
            if distribution.format in ("CSV", "XLSX") and distribution.file:
                validate_distribution.delay_on_commit(distribution.pk)
                # The preview and the alternative formats, once, on the worker (catalog.renditions).
                render_distribution.delay_on_commit(distribution.pk)
    except Exception:
        if distribution.file:
            distribution.file.delete(save=False)
        raise
    return distribution


def remove_distribution(distribution: Distribution, *, by) -> None:
    """Remove a distribution. One that is part of an approved or published dataset is
    only marked for removal by the pending change: it stays public until the change is
    approved. A proposed file (not yet public) or a blocked one goes at once."""
    dataset = distribution.dataset
    refuse_while_in_review(dataset)
    with transaction.atomic():
        if distribution.status == DistributionStatus.CURRENT and under_change_control(dataset):
            change = open_change(dataset, by=by)
            change.removed_distributions.add(distribution)
            _save_change(change, by=by, reason="catalog.change.distribution_removed", note=distribution.title)
            return
        if distribution.change_id and not distribution.change.is_editable:
            raise CatalogError(_("Die Änderung ist in Prüfung; ihre Dateien bleiben, bis sie entschieden ist."))
        delete_distribution(distribution, by=by)
        if distribution.change_id:
            _save_change(distribution.change, by=by, reason="catalog.change.distribution_removed",
                         note=distribution.title)  # fmt: skip
        else:
            touch_dataset(dataset, by=by, reason=f"catalog.distribution.removed: {distribution.title}")


def delete_distribution(distribution: Distribution, *, by, reason: str = "catalog.distribution.removed") -> None:
    distribution._history_user = by
    distribution._change_reason = reason
    distribution.delete()
    # The stored file goes only once the deletion is certain.
    if distribution.file:
        name, storage = distribution.file.name, distribution.file.storage
        transaction.on_commit(lambda: storage.delete(name))


def touch_dataset(dataset: Dataset, *, by, reason: str) -> None:
    """A change to a distribution is a change of the dataset: new version, new `modified`."""
    dataset = transitions.lock(Dataset.objects.all(), dataset.pk)
    transitions.save(dataset, by=by, reason=reason, fields=[])


# ---------------------------------------------------------------------------
# Pending changes of approved and published datasets (issue 20). Edits collect in the
# dataset's one active DatasetChange; its review and application are catalog.changes.

CONTROLLED_STATES = (DatasetState.APPROVED, DatasetState.PUBLISHED)


def under_change_control(dataset: Dataset) -> bool:
    """Edits of an approved or published dataset are pending changes, not changes."""
    return dataset.state in CONTROLLED_STATES


def active_change(dataset: Dataset) -> DatasetChange | None:
    return DatasetChange.objects.filter(dataset=dataset, state__in=ACTIVE).order_by("-number").first()


def edit_version(dataset: Dataset) -> int:
    """The version an editor starts from, as stored now. Every edit counts it up, an edit
    of the pending change too (pages, the API and the import all send it back)."""
    return Dataset.objects.values_list("version", flat=True).get(pk=dataset.pk)


def field_values(dataset: Dataset) -> dict:
    """The changeable fields, keywords and themes of a dataset as JSON values."""
    values = {}
    for name in CHANGEABLE_FIELDS:
        field = Dataset._meta.get_field(name)
        values[name] = field.value_from_object(dataset)
    values = json.loads(DjangoJSONEncoder().encode(values))
    values["keywords"] = sorted(dataset.keywords.values_list("name", flat=True))
    values["themes"] = sorted(dataset.themes.values_list("code", flat=True))
    return values


def apply_values(dataset: Dataset, values: dict) -> Dataset:
    """Set the changeable fields of `dataset` (in memory) to JSON `values`."""
    for name in CHANGEABLE_FIELDS:
        if name not in values:
            continue
        field = Dataset._meta.get_field(name)
        value = values[name]
        setattr(dataset, field.attname, None if value is None else field.to_python(value))
    return dataset


def _json_fields(fields: dict) -> dict:
    plain = {}
    for name, value in fields.items():
        if name not in CHANGEABLE_FIELDS:
            continue
        plain[name] = value.pk if hasattr(value, "pk") else value
    return json.loads(DjangoJSONEncoder().encode(plain))


def open_change(dataset: Dataset, *, by, expected_version: int | None = None) -> DatasetChange:
    """The dataset's pending change that `by` may edit now, created if there is none;
    locked for the rest of the transaction. `expected_version` is the dataset's version
    the editor started from (edit_version()); a stale one is a conflict."""
    dataset = transitions.lock(
        Dataset.objects.all(), dataset.pk, expected_version=expected_version, message=STALE_EDIT,
        conflict=ConflictError,
    )  # fmt: skip
    change = DatasetChange.objects.select_for_update().filter(dataset=dataset, state__in=ACTIVE).first()
    if change is None:
        number = (DatasetChange.objects.filter(dataset=dataset).aggregate(n=Max("number"))["n"] or 0) + 1
        change = DatasetChange(dataset=dataset, number=number, created_by=by, proposed={})
        transitions.stamp(change, by=by, reason="catalog.change.opened")
        change.save()
    if not change.is_editable:
        raise CatalogError(
            _(
                "Die ausstehende Änderung ist in Prüfung (%(state)s) und kann so lange nicht ergänzt werden. "
                "Nach einer Rückgabe können Sie sie wieder bearbeiten."
            )
            % {"state": change.get_state_display()}
        )
    return change


def _save_change(change: DatasetChange, *, by, reason: str, note: str = "", person_text: str = "") -> None:
    change.editors.add(by)
    transitions.save(change, by=by, reason=reason, note=note, person_text=person_text)
    # The dataset's version is the editors' token: an edit of its pending change counts it
    # up too, so a second editor working from the same page gets a conflict, not a lost
    # update. A plain UPDATE: the approved state, its history and `modified` stay as they are.
    Dataset.objects.filter(pk=change.dataset_id).update(version=F("version") + 1)


def propose_edit(
    dataset: Dataset, *, by, fields: dict, expected_version: int | None, keywords=None, themes=None, reason: str = ""
) -> DatasetChange:
    """Record an edit of an approved or published dataset in its pending change: the
    fields, keywords and themes in which it differs from the approved state."""
    with transaction.atomic():
        change = open_change(dataset, by=by, expected_version=expected_version)
        proposed = {**change.proposed, **_json_fields(fields)}
        if keywords is not None:
            proposed["keywords"] = sorted(normalise_keywords(keywords))
        if themes is not None:
            proposed["themes"] = sorted(getattr(theme, "code", theme) for theme in themes)
        current = Dataset.objects.get(pk=dataset.pk)
        candidate = apply_values(Dataset.objects.get(pk=dataset.pk), proposed)
        candidate.full_clean(validate_unique=False)
        # Only what differs from the approved state: applied later, the change then does not
        # undo what reached the dataset meanwhile by its documented direct path (a trusted source).
        approved = field_values(current)
        change.proposed = {name: value for name, value in proposed.items() if approved.get(name) != value}
        _save_change(change, by=by, reason="catalog.change.edited", person_text=reason)
    return change


# ---------------------------------------------------------------------------
# Link distributions of a harvested dataset (catalog.harvest). Like add_distribution for
# links, but the history names the source, and the caller touches the dataset once.

# The fields of a link distribution that a harvest source provides; all of them are
# stored and compared (catalog.harvest's snapshots hold them per resource, so a new field
# here needs a migration that adds it to the snapshots, as 0011_other_file_type did).
LINK_FIELDS = (
    "title", "description", "access_url", "format", "media_type", "kind", "licence", "byte_size", "checksum_sha256",
)  # fmt: skip


# A trusted source writes directly (`direct=True`, its documented path); any other source
# proposes its changes to an approved or published dataset through the pending change.


def add_link_distribution(
    dataset: Dataset, values: dict, *, by, change_reason: str, direct: bool = False, replaces=None
) -> Distribution:
    """A harvested resource as a link distribution (`values` holds LINK_FIELDS)."""
    distribution = Distribution(dataset=dataset)
    for name in LINK_FIELDS:
        setattr(distribution, name, values[name])
    # Its identifier is a fresh uuid4: no query whether it is taken.
    distribution.full_clean(exclude=["file", "dataset", "identifier"])
    if not direct and under_change_control(dataset):
        change = open_change(dataset, by=by)
        distribution.status, distribution.change, distribution.replaces = DistributionStatus.PROPOSED, change, replaces
        _save_change(change, by=by, reason="catalog.change.distribution_added", note=distribution.title)
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.save()
    return distribution


def change_link_distribution(
    distribution: Distribution, values: dict, *, by, change_reason: str, direct: bool = False
) -> Distribution:
    """Returns the distribution that now stands for the resource (a proposed replacement
    when the change is not direct on an approved or published dataset)."""
    if not direct and distribution.status == DistributionStatus.CURRENT and under_change_control(distribution.dataset):
        return add_link_distribution(
            distribution.dataset, values, by=by, change_reason=change_reason, replaces=distribution
        )
    for name in LINK_FIELDS:
        setattr(distribution, name, values[name])
    distribution.full_clean(exclude=["file", "dataset"])
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.save()
    return distribution


def remove_link_distribution(distribution: Distribution, *, by, change_reason: str, direct: bool = False) -> None:
    if not direct and distribution.status == DistributionStatus.CURRENT and under_change_control(distribution.dataset):
        change = open_change(distribution.dataset, by=by)
        change.removed_distributions.add(distribution)
        _save_change(change, by=by, reason="catalog.change.distribution_removed", note=distribution.title)
        return
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.delete()
