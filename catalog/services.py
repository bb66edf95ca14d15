"""Writes of the catalog: views, the inventory import, the API and tasks call these."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core import transitions

from .errors import CatalogError, ConflictError
from .models import Classification, Dataset, DatasetState, Distribution, DistributionKind, Keyword, Theme
from .signals import decision_inputs_changed
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


def set_keywords_and_themes(dataset: Dataset, keywords, themes) -> None:
    if keywords is not None:
        names = normalise_keywords(keywords)
        existing = {k.name.lower(): k for k in Keyword.objects.filter(name__in=names)}
        missing = [Keyword(name=name) for name in names if name.lower() not in existing]
        Keyword.objects.bulk_create(missing, ignore_conflicts=True)
        dataset.keywords.set(Keyword.objects.filter(name__in=names))
    if themes is not None:
        dataset.themes.set(Theme.objects.filter(code__in=[getattr(theme, "code", theme) for theme in themes]))


def create_dataset(
    *, by, fields: dict, keywords=(), themes=(), reason: str = "", code: str = "catalog.dataset.created"
) -> Dataset:
    """A new dataset. `reason`: what the person typed for it; `code`: the history reason
    of a caller that is a service itself (the import, harvesting)."""
    dataset = Dataset(created_by=by, **fields)
    dataset.full_clean()
    with transaction.atomic():
        transitions.stamp(dataset, by=by, reason=code, person_text=reason)
        dataset.save()
        set_keywords_and_themes(dataset, keywords, themes)
    return dataset


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
) -> Dataset:
    """Apply an edit made on `expected_version`; refuse it if the dataset has moved on.
    `reason`: what the person typed (kept as their text, never as a reason code);
    `code`: the history reason of a caller that is a service itself (the import)."""
    with transaction.atomic():
        dataset = transitions.lock(
            Dataset.objects.all(),
            dataset.pk,
            expected_version=expected_version,
            message=_("Der Datensatz wurde inzwischen von jemand anderem geändert. Bitte laden Sie die Seite neu."),
            conflict=ConflictError,
        )
        refuse_while_in_review(dataset)
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
) -> Distribution:
    """Attach a checked upload or an external link to the dataset."""
    refuse_while_in_review(dataset)
    if bool(upload) == bool(access_url):
        raise ValidationError({"file": _("Bitte entweder eine Datei hochladen oder eine Adresse angeben.")})
    distribution = Distribution(
        dataset=dataset, title=title, description=description, kind=kind, licence=licence, access_url=access_url
    )
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
            distribution._history_user = by
            distribution._change_reason = "catalog.distribution.added"
            distribution.save()
            touch_dataset(dataset, by=by, reason=f"catalog.distribution.added: {title}")
            if distribution.format in ("CSV", "XLSX") and distribution.file:
                validate_distribution.delay_on_commit(distribution.pk)
    except Exception:
        if distribution.file:
            distribution.file.delete(save=False)
        raise
    return distribution


def remove_distribution(distribution: Distribution, *, by) -> None:
    dataset = distribution.dataset
    refuse_while_in_review(dataset)
    with transaction.atomic():
        distribution._history_user = by
        distribution._change_reason = "catalog.distribution.removed"
        distribution.delete()
        touch_dataset(dataset, by=by, reason=f"catalog.distribution.removed: {distribution.title}")
        # The stored file goes only once the deletion is certain.
        if distribution.file:
            transaction.on_commit(lambda: distribution.file.storage.delete(distribution.file.name))


def touch_dataset(dataset: Dataset, *, by, reason: str) -> None:
    """A change to a distribution is a change of the dataset: new version, new `modified`."""
    dataset = transitions.lock(Dataset.objects.all(), dataset.pk)
    transitions.save(dataset, by=by, reason=reason, fields=[])


# ---------------------------------------------------------------------------
# Link distributions of a harvested dataset (catalog.harvest). Like add_distribution for
# links, but the history names the source, and the caller touches the dataset once.

# The fields of a link distribution that a harvest source provides.
LINK_FIELDS = ("title", "description", "access_url", "format", "kind", "licence")


def add_link_distribution(dataset: Dataset, values: dict, *, by, change_reason: str) -> Distribution:
    """A harvested resource as a link distribution (`values` holds LINK_FIELDS)."""
    distribution = Distribution(dataset=dataset, media_type=FILE_TYPES_BY_CODE[values["format"]].media_type)
    for name in LINK_FIELDS:
        setattr(distribution, name, values[name])
    distribution.full_clean(exclude=["file", "dataset"])
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.save()
    return distribution


def change_link_distribution(distribution: Distribution, values: dict, *, by, change_reason: str) -> None:
    for name in LINK_FIELDS:
        setattr(distribution, name, values[name])
    distribution.media_type = FILE_TYPES_BY_CODE[values["format"]].media_type
    distribution.full_clean(exclude=["file", "dataset"])
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.save()


def remove_link_distribution(distribution: Distribution, *, by, change_reason: str) -> None:
    distribution._history_user = by
    distribution._change_reason = change_reason
    distribution.delete()
