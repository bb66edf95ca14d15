"""The append-only, hash-chained audit journal and the record of each walk over its
chain."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .immutable import AppendOnlyQuerySet, ImmutableError
from .organisations import Organisation


class AuditAction(models.TextChoices):
    CREATE = "create", _("angelegt")
    UPDATE = "update", _("geändert")
    DELETE = "delete", _("gelöscht")
    DECISION = "decision", _("entschieden")
    PERMISSION = "permission", _("Berechtigung geändert")
    EXPORT = "export", _("Audit exportiert")


GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit journal. `hash` is SHA-256
    over `prev_hash` and the canonical JSON of the event (see audit.payload()), so a
    changed, removed or reordered entry breaks the chain at that point. `reason` is the
    code a service chose; `person_text` what the person typed (a reason, a note)."""

    seq = models.PositiveBigIntegerField(_("Nummer"), unique=True)
    time = models.DateTimeField(_("Zeitpunkt"))
    # No database constraint: the journal outlives users and organisations; the
    # *_repr fields keep who and what it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Person"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_repr = models.CharField(_("Person (Name)"), max_length=200, blank=True)
    action = models.CharField(_("Aktion"), max_length=16, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("Objektart"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    object_id = models.CharField(_("Objekt-Kennung"), max_length=64, blank=True)
    object_repr = models.CharField(_("Objekt"), max_length=300, blank=True)
    version_id = models.BigIntegerField(_("Versions-Kennung"), null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Organisation"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    request_id = models.CharField(_("Anfrage-Kennung"), max_length=64, blank=True)
    # The service's reason code (and its note); never a person's text.
    reason = models.CharField(_("Vorgang"), max_length=500, blank=True)
    # What the person typed for the change, kept apart from the code.
    person_text = models.TextField(_("Begründung/Notiz der Person"), blank=True, default="")
    data = models.JSONField(_("Daten"), default=dict, blank=True)
    prev_hash = models.CharField(_("Vorheriger Hash"), max_length=64)
    hash = models.CharField(_("Hash"), max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Audit-Ereignis")
        verbose_name_plural = _("Audit-Ereignisse")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "seq"]),
            models.Index(fields=["organisation", "seq"]),
            models.Index(fields=["time"]),
            models.Index(fields=["action", "seq"]),
            models.Index(fields=["actor", "seq"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("An audit event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("An audit event is never deleted.")


class AuditVerification(models.Model):
    """The result of one walk over the audit chain (`verify_audit`, or on demand in
    the audit view)."""

    started = models.DateTimeField(_("Geprüft am"), default=timezone.now)
    ok = models.BooleanField(_("Kette intakt"))
    events_checked = models.PositiveBigIntegerField(_("Geprüfte Ereignisse"), default=0)
    last_seq = models.PositiveBigIntegerField(_("Letzte Nummer"), null=True, blank=True)
    head_hash = models.CharField(_("Kopf-Hash"), max_length=64, blank=True)
    broken_seq = models.PositiveBigIntegerField(_("Erstes fehlerhaftes Ereignis"), null=True, blank=True)
    message = models.CharField(_("Ergebnis"), max_length=500)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("Prüfung der Audit-Kette")
        verbose_name_plural = _("Prüfungen der Audit-Kette")
        ordering = ["-started", "-pk"]

    def __str__(self):
        return f"{self.started:%Y-%m-%d %H:%M} {self.message}"
