"""Readable versions of a dataset: its metadata versions (one per `Dataset.version`, from
simple-history) and its classification versions, and what changed between any two."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from governance.history import FieldChange, display_value

from .models import Classification, Dataset, SpecialCategory
from .vocabularies import LegalBasis


@dataclass
class DatasetVersion:
    """One version of the metadata: the last historical record written for that
    `Dataset.version` (a save plus its keyword and theme changes are several records)."""

    number: int
    record: object  # the dataset's historical record

    @property
    def user(self):
        return self.record.history_user

    @property
    def date(self):
        return self.record.history_date

    @property
    def reason(self):
        """The service's reason code (governance.history.describe_change_reason)."""
        return self.record.history_change_reason

    @property
    def person_text(self):
        """What the person typed for this version, never a code."""
        return self.record.history_person_text


def dataset_versions(dataset: Dataset) -> list[DatasetVersion]:
    """The dataset's versions, oldest first."""
    records = dataset.history.select_related("history_user").order_by("history_date", "history_id")
    latest = {}
    for record in records:
        latest[record.version] = record
    return [DatasetVersion(number, record) for number, record in sorted(latest.items())]


def classification_number(record) -> int | None:
    """The classification version a dataset version was made by, if any (the service
    names it in the note of its change reason; only services write reasons)."""
    code, _sep, number = (record.history_change_reason or "").partition(": ")
    return int(number) if code == "catalog.dataset.classified" and number.isdigit() else None


# Fields of a classification version that are bookkeeping, not content.
CLASSIFICATION_IGNORED = {"id", "dataset", "number", "classified_by", "classified_at"}
CODE_LABELS = {"special_categories": SpecialCategory, "legal_bases": LegalBasis}


def classification_value(classification: Classification, field_name: str) -> str:
    value = getattr(classification, field_name)
    if field_name in CODE_LABELS:
        labels = CODE_LABELS[field_name]
        return ", ".join(str(labels(code).label) if code in labels.values else code for code in value) or "–"
    return display_value(Classification, field_name, value)


def classification_changes(newer: Classification, older: Classification) -> list[FieldChange]:
    """What differs between two classification versions, field by field, in the
    order of the form, with labels and display values."""
    changes = []
    for field in Classification._meta.concrete_fields:
        if field.name in CLASSIFICATION_IGNORED:
            continue
        old, new = getattr(older, field.attname), getattr(newer, field.attname)
        if field.name in CODE_LABELS:
            old, new = sorted(old), sorted(new)
        if old == new:
            continue
        label = str(field.verbose_name)
        changes.append(
            FieldChange(
                field=field.name,
                label=label[:1].upper() + label[1:],
                old=classification_value(older, field.name),
                new=classification_value(newer, field.name),
            )
        )
    if older.protection_overall != newer.protection_overall:
        changes.append(
            FieldChange(
                field="protection_overall",
                label=str(_("Schutzbedarf insgesamt (Maximumprinzip)")),
                old=older.get_protection_overall_display(),
                new=newer.get_protection_overall_display(),
            )
        )
    return changes
