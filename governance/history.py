"""Readable version history: what changed between two simple-history records, with
field labels and display values instead of ids and codes."""

import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


def display_value(model, field_name: str, value) -> str:
    """How a person reads a stored value: choice labels, object names, 'ja'/'nein'."""
    from django.utils.translation import gettext as _

    try:
        field = model._meta.get_field(field_name)
    except Exception:
        return "" if value is None else str(value)
    if value is None or value == "":
        return "–"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("ja") if value else _("nein")
    if isinstance(field, models.ForeignKey):
        target = field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target is not None else f"#{value}"
    if isinstance(field, models.ManyToManyField):
        # simple-history gives a list of through-row dicts
        ids = [row.get(field.m2m_reverse_field_name()) for row in value] if value else []
        return ", ".join(sorted(str(obj) for obj in field.related_model._default_manager.filter(pk__in=ids))) or "–"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "–"
    return str(value)


# Bookkeeping fields that change with every save and say nothing to a reader.
IGNORED_FIELDS = {"version", "modified"}


def readable_changes(newer, older) -> list[FieldChange]:
    """The changes from `older` to `newer` (two historical records of one object)."""
    if older is None:
        return []
    model = newer.instance_type
    changes = []
    for change in newer.diff_against(older).changes:
        if change.field in IGNORED_FIELDS:
            continue
        label = str(model._meta.get_field(change.field).verbose_name)
        changes.append(
            FieldChange(
                field=change.field,
                label=label[:1].upper() + label[1:],
                old=display_value(model, change.field, change.old),
                new=display_value(model, change.field, change.new),
            )
        )
    return changes


def history_entries(records) -> list[dict]:
    """Each record (newest first) with its changes against the one before it."""
    records = list(records)
    return [
        {"record": newer, "changes": readable_changes(newer, older)}
        for newer, older in zip(records, [*records[1:], None], strict=True)
    ]


# Services write change reasons as namespaced codes, optionally followed by ": <note>"
# (a note the service sets: a version number, an outcome code, a source's name). What a
# person types is kept apart (PersonText.history_person_text, AuditEvent.person_text).
REASON_LABELS = {
    "governance.role.assigned": gettext_lazy("Rolle zugewiesen"),
    "governance.role.revoked": gettext_lazy("Rolle entzogen"),
    "governance.deputy.appointed": gettext_lazy("Vertretung eingerichtet"),
    "governance.deputy.proposed": gettext_lazy("Vertretung vorgeschlagen"),
    "governance.deputy.approved": gettext_lazy("Vertretung genehmigt"),
    "governance.deputy.ended": gettext_lazy("Vertretung beendet"),
    "governance.organisation.created": gettext_lazy("Organisation angelegt"),
    "governance.organisation.changed": gettext_lazy("Organisation geändert"),
    "governance.organisation.admin_changed": gettext_lazy("In der Verwaltungsoberfläche geändert"),
    "governance.permissions.synced": gettext_lazy("Berechtigungen an Rollen angepasst"),
    "governance.policy.created": gettext_lazy("Dokument angelegt"),
    "governance.policy.draft_created": gettext_lazy("Entwurf einer Fassung angelegt"),
    "governance.policy.draft_changed": gettext_lazy("Entwurf geändert"),
    "governance.policy.draft_discarded": gettext_lazy("Entwurf verworfen"),
    "governance.policy.adopted": gettext_lazy("Fassung beschlossen"),
    "governance.policy.in_force": gettext_lazy("Fassung in Kraft gesetzt"),
    "governance.policy.superseded": gettext_lazy("Fassung abgelöst durch Fassung"),
    "governance.policy.repealed": gettext_lazy("Fassung aufgehoben"),
    "governance.rule.created": gettext_lazy("Regel angelegt"),
    "governance.rule.copied": gettext_lazy("Regel in den Entwurf übernommen"),
    "governance.rule.version_created": gettext_lazy("Regelversion angelegt"),
    "governance.rule.version_changed": gettext_lazy("Regelversion geändert"),
    "governance.rule.version_removed": gettext_lazy("Regelversion entfernt"),
    "governance.vocabulary.loaded": gettext_lazy("Vokabular geladen"),
    "governance.decision.publication": gettext_lazy("Veröffentlichungsentscheidung"),
    "governance.decision.review": gettext_lazy("Prüfentscheidung"),
    "governance.decision.sharing": gettext_lazy("Entscheidung über Datenteilung"),
    "governance.decision.classification": gettext_lazy("Klassifizierungsentscheidung"),
    "governance.decision.access": gettext_lazy("Zugangsentscheidung"),
    "governance.decision.ethics": gettext_lazy("Ethikentscheidung"),
    "governance.audit.export.csv": gettext_lazy("Audit-Journal als CSV exportiert"),
    "governance.audit.export.json": gettext_lazy("Audit-Journal als JSON exportiert"),
    "governance.api_token.created": gettext_lazy("API-Token erstellt"),
    "governance.api_token.revoked": gettext_lazy("API-Token widerrufen"),
    "catalog.dataset.created": gettext_lazy("Datensatz angelegt"),
    "catalog.dataset.changed": gettext_lazy("Metadaten geändert"),
    "catalog.dataset.classified": gettext_lazy("Neu klassifiziert, Version"),
    "catalog.dataset.imported": gettext_lazy("Aus dem Bestandsimport übernommen"),
    "catalog.distribution.added": gettext_lazy("Distribution hinzugefügt"),
    "catalog.distribution.removed": gettext_lazy("Distribution entfernt"),
}


def register_reason_labels(labels: dict) -> None:
    """Apps that build on governance name their own history reasons (from AppConfig.ready),
    so the audit journal shows words, not codes."""
    REASON_LABELS.update(labels)


def reason_code(reason: str | None) -> str:
    """The code of a change reason (without the service's note)."""
    return (reason or "").partition(": ")[0]


# The vocabularies some services write their note in (an outcome code, a publication
# form): code → {note code: words}. Registered like the labels (AppConfig.ready).
REASON_NOTE_VOCABULARIES: dict[str, dict] = {}

# An ISO 8601 time as services write it into a note (a release time, "Sperrfrist").
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")


def register_reason_notes(vocabularies: dict) -> None:
    """Name the vocabulary (a TextChoices class or a dict) a reason's note is written in,
    so that "catalog.workflow.approved: internal" reads as the form's words."""
    for code, vocabulary in vocabularies.items():
        choices = getattr(vocabulary, "choices", vocabulary)
        REASON_NOTE_VOCABULARIES[code] = dict(choices)


def _local_time(match) -> str:
    from django.utils import formats, timezone
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(match.group(0))
    if moment is None:
        return match.group(0)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def describe_note(code: str, note: str) -> str:
    """A service's note for people: a vocabulary code in words (the first item of the
    note), times as local time in the one short format."""
    vocabulary = REASON_NOTE_VOCABULARIES.get(code)
    if vocabulary:
        head, sep, rest = note.partition(", ")
        if head in vocabulary:
            note = f"{vocabulary[head]}{sep}{rest}"
    return ISO_TIME.sub(_local_time, note)


def describe_change_reason(reason: str | None) -> str:
    """A change reason for people: a registered code in words, with the service's note
    after it (its codes in words too). Anything else shows as it is stored, never put
    into words."""
    if not reason:
        return "–"
    code, _sep, detail = reason.partition(": ")
    label = REASON_LABELS.get(code)
    if label is None:
        return reason
    return f"{label}: {describe_note(code, detail)}" if detail else str(label)


def reason_label(reason: str | None) -> str:
    """The words of a reason's code if it is registered, else nothing."""
    label = REASON_LABELS.get(reason_code(reason))
    return str(label) if label is not None else ""


def reason_labels(codes) -> dict[str, str]:
    """The words for those of `codes` that are registered (for an export's legend)."""
    return {code: str(REASON_LABELS[code]) for code in sorted(set(codes)) if code in REASON_LABELS}
