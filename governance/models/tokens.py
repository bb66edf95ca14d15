"""Personal access tokens for the REST API."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history import PersonText


class ApiTokenQuerySet(models.QuerySet):
    def active(self, at=None):
        """Tokens that authenticate at the given time: neither revoked nor expired."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


class ApiToken(models.Model):
    """A personal access token for the REST API, created and revoked by its owner. Only
    the SHA-256 hash of the secret is stored: the secret is random (256 bits), so a
    slow password hash would add nothing but latency to every API call. The prefix
    (the first characters of the secret) lets people tell their tokens apart."""

    # Every secret starts with this, so it is recognisable in logs and secret scanners.
    SECRET_START = "sdt_"
    PREFIX_LENGTH = 12

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Person"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("Bezeichnung"), max_length=100)
    prefix = models.CharField(_("Anfang des Tokens"), max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(_("Hash des Tokens"), max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("Erstellt am"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("Gültig bis"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("Zuletzt benutzt"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("Widerrufen am"), null=True, blank=True, editable=False)
    # The hash stays out of history and journal; the last use changes too often to journal.
    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"], bases=[PersonText])

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API-Token")
        verbose_name_plural = _("API-Token")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or timezone.now())

    def is_active(self, at=None) -> bool:
        return not self.is_revoked and not self.is_expired(at)

    def get_state_display(self) -> str:
        if self.is_revoked:
            return _("widerrufen")
        if self.is_expired():
            return _("abgelaufen")
        return _("aktiv")
