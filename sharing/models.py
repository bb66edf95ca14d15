"""Data sharing inside the Stadtverbund (reference/ethics_legal.md §6.1 and §7.9).

A `SharingAgreement` is the legal frame of a data flow from a providing to a receiving
organisation: which datasets, for which purpose, on which legal basis, as which kind of
arrangement, under which conditions and for which period. Whether the two organisations
share one controller (their legal entity) decides the arrangement and whether the legal
office must review it.

An `AccessRequest` is one person's request, for an organisation they hold a role in, to
read a dataset of another organisation that is not published. The providing data owner
approves or refuses it; an approval creates an `AccessGrant`. The grant row is the
source of truth for access: it is checked at every request, so access ends the moment
the grant, its agreement or the person's role ends. The guardian object permission
(`catalog.view_dataset`) mirrors the grants in force for code that asks guardian; the
periodic task removes it once a grant has ended.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.models import Dataset
from governance.models import Organisation, PersonText, PolicyVersion, Role


class AgreementType(models.TextChoices):
    SAME_CONTROLLER = "same_controller", _("Interne Nutzung innerhalb desselben Verantwortlichen")
    JOINT_CONTROLLERS = "joint_controllers", _("Gemeinsame Verantwortlichkeit (Art. 26 DSGVO)")
    PROCESSOR = "processor", _("Auftragsverarbeitung (Art. 28 DSGVO)")
    TRANSFER = "transfer", _("Übermittlung an einen anderen Verantwortlichen")


# Arrangements that GDPR itself ties to a written agreement or contract (Art. 26 Abs. 1,
# Art. 28 Abs. 3): the contract document is mandatory for them.
CONTRACT_REQUIRED = (AgreementType.JOINT_CONTROLLERS, AgreementType.PROCESSOR)


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    OWNER_APPROVAL = "owner_approval", _("Freigabe durch Dateneigentümer:in")
    LEGAL_REVIEW = "legal_review", _("Rechtsprüfung")
    APPROVED = "approved", _("Genehmigt, noch nicht wirksam")
    ACTIVE = "active", _("Wirksam")
    EXPIRED = "expired", _("Abgelaufen")
    TERMINATED = "terminated", _("Beendet")
    REJECTED = "rejected", _("Abgelehnt")


# An approved agreement is in force within its period; the status says where it stands.
APPROVED_STATES = (AgreementStatus.APPROVED, AgreementStatus.ACTIVE)
PENDING_STATES = (AgreementStatus.OWNER_APPROVAL, AgreementStatus.LEGAL_REVIEW)
ENDED_STATES = (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED, AgreementStatus.REJECTED)


class SharingCondition(models.TextChoices):
    PURPOSE_LIMITATION = "purpose_limitation", _("Nutzung nur für den vereinbarten Zweck")
    NO_ONWARD_TRANSFER = "no_onward_transfer", _("Keine Weitergabe an Dritte")
    NO_PUBLICATION = "no_publication", _("Keine Veröffentlichung, auch nicht in Auszügen")
    NO_REIDENTIFICATION = "no_reidentification", _("Keine Verknüpfung mit anderen Daten, um Personen zu erkennen")
    ACCESS_LOGGING = "access_logging", _("Zugriffe werden protokolliert")
    DELETION = "deletion", _("Löschung nach Ablauf der Löschfrist")


class SharingAgreementQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Approved agreements whose period covers the day (both ends inclusive)."""
        on = on or timezone.localdate()
        return self.filter(status__in=APPROVED_STATES, valid_from__lte=on, valid_until__gte=on)


class SharingAgreement(models.Model):
    """An agreement between two organisations of the Stadtverbund about the use of
    datasets of the one (provider) by the other (recipient)."""

    title = models.CharField(_("Bezeichnung"), max_length=200)
    provider = models.ForeignKey(
        Organisation,
        verbose_name=_("Bereitstellende Organisation"),
        on_delete=models.PROTECT,
        related_name="sharing_agreements_provided",
    )
    recipient = models.ForeignKey(
        Organisation,
        verbose_name=_("Empfangende Organisation"),
        on_delete=models.PROTECT,
        related_name="sharing_agreements_received",
    )
    agreement_type = models.CharField(_("Art der Vereinbarung"), max_length=24, choices=AgreementType.choices)
    datasets = models.ManyToManyField(
        Dataset, verbose_name=_("Datensätze"), blank=True, related_name="sharing_agreements"
    )
    purpose = models.TextField(_("Zweck"), help_text=_("Wofür nutzt die empfangende Organisation die Daten?"))
    legal_bases = models.JSONField(_("Rechtsgrundlagen"), default=list, blank=True)
    legal_norm = models.CharField(
        _("Fachgesetzliche Grundlage"),
        max_length=300,
        blank=True,
        help_text=_(
            "Bei Art. 6 Abs. 1 lit. c oder e DSGVO die Vorschrift, die die Verarbeitung erlaubt, "
            "z. B. „§ 16 ThürDSG“ oder „§ 4 LDSG BW i. V. m. § 1 BauGB“."
        ),
    )
    conditions = models.JSONField(_("Auflagen"), default=list, blank=True)
    deletion_period_months = models.PositiveSmallIntegerField(_("Löschfrist in Monaten"), null=True, blank=True)
    further_conditions = models.TextField(_("Weitere Auflagen"), blank=True)
    valid_from = models.DateField(_("Gültig ab"))
    valid_until = models.DateField(_("Gültig bis (einschließlich)"))
    contract = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("Vertragsdokument"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Beschlossene Fassung eines Dokuments der Art „Vertrag oder Vereinbarung“ unter Richtlinien."),
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT, editable=False
    )
    status_changed_at = models.DateTimeField(_("Status seit"), default=timezone.now, editable=False)
    # Decided at the owner's approval from the organisations and the datasets' classification.
    legal_review_required = models.BooleanField(_("Rechtsprüfung erforderlich"), default=False, editable=False)
    # Optimistic locking: an edit or transition names the version it started from.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Angelegt von"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Eingereicht von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    owner_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Freigegeben von (Dateneigentümer:in)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    owner_approved_at = models.DateTimeField(_("Freigegeben am"), null=True, blank=True, editable=False)
    legal_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Rechtlich geprüft von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    legal_approved_at = models.DateTimeField(_("Rechtlich geprüft am"), null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("Beendet am"), null=True, blank=True, editable=False)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Beendet von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    end_reason = models.TextField(_("Grund der Beendigung"), blank=True, editable=False)
    created = models.DateTimeField(_("Angelegt am"), auto_now_add=True)
    modified = models.DateTimeField(_("Geändert am"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[datasets], bases=[PersonText])

    objects = SharingAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("Datennutzungsvereinbarung")
        verbose_name_plural = _("Datennutzungsvereinbarungen")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["status", "valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="sharing_agreement_period"
            ),
            models.CheckConstraint(condition=~Q(provider=models.F("recipient")), name="sharing_agreement_two_parties"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("sharing:agreement_detail", args=[self.pk])

    @property
    def same_controller(self) -> bool:
        return self.provider.same_controller(self.recipient)

    def allowed_types(self) -> list[AgreementType]:
        """Within one controller data is used internally; between controllers it flows
        under Art. 26, Art. 28 or as a transfer."""
        if self.same_controller:
            return [AgreementType.SAME_CONTROLLER]
        return [AgreementType.JOINT_CONTROLLERS, AgreementType.PROCESSOR, AgreementType.TRANSFER]

    def is_in_force(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.status in APPROVED_STATES and self.valid_from <= on <= self.valid_until

    @property
    def is_draft(self) -> bool:
        return self.status == AgreementStatus.DRAFT

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATES

    @property
    def has_ended(self) -> bool:
        return self.status in ENDED_STATES

    def legal_basis_labels(self) -> list[str]:
        from governance.vocabularies import LegalBasis

        labels = dict(LegalBasis.choices)
        return [str(labels.get(code, code)) for code in self.legal_bases]

    def condition_labels(self) -> list[str]:
        labels = dict(SharingCondition.choices)
        return [str(labels.get(code, code)) for code in self.conditions]


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Wird geprüft")
    GRANTED = "granted", _("Gewährt")
    REFUSED = "refused", _("Abgelehnt")
    WITHDRAWN = "withdrawn", _("Zurückgezogen")


class AccessRequest(models.Model):
    """A person asks, for an organisation they hold a role in, to read a dataset of
    another organisation that is not published."""

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("Datensatz"), on_delete=models.PROTECT, related_name="access_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Antragsteller:in"),
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    recipient = models.ForeignKey(
        Organisation,
        verbose_name=_("Für die Organisation"),
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    agreement = models.ForeignKey(
        SharingAgreement,
        verbose_name=_("Vereinbarung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    purpose = models.TextField(_("Zweck"))
    valid_from = models.DateField(_("Zugang ab"))
    valid_until = models.DateField(_("Zugang bis (einschließlich)"))
    status = models.CharField(
        _("Status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING, editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Entschieden von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("Entschieden am"), null=True, blank=True, editable=False)
    decision_reasons = models.TextField(_("Begründung der Entscheidung"), blank=True, editable=False)
    created = models.DateTimeField(_("Beantragt am"), auto_now_add=True)
    history = HistoricalRecords(bases=[PersonText])

    class Meta:
        verbose_name = _("Zugangsantrag")
        verbose_name_plural = _("Zugangsanträge")
        ordering = ["-created", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="access_request_period"),
            models.UniqueConstraint(
                fields=["requester", "dataset"], condition=Q(status="pending"), name="one_pending_request_per_dataset"
            ),
        ]

    def __str__(self):
        return _("Zugang zu „%(dataset)s“ für %(person)s") % {
            "dataset": self.dataset.title,
            "person": self.requester.get_full_name() or self.requester.get_username(),
        }

    def get_absolute_url(self):
        return reverse("sharing:request_detail", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING


def role_in_recipient():
    """Whether the grant's holder still holds a role in the organisation they asked for
    (guardian's object permission on it, kept equal to the role assignments in force)."""
    from guardian.models import UserObjectPermission

    return Exists(
        UserObjectPermission.objects.filter(
            user=OuterRef("user"),
            content_type__app_label="governance",
            content_type__model="organisation",
            permission__content_type__app_label="governance",
            permission__codename__in=[role.codename for role in Role],
            object_pk=Cast(OuterRef("recipient_id"), models.CharField()),
        )
    )


class AccessGrantQuerySet(models.QuerySet):
    def ended(self, at=None):
        """Grants that are over for good: revoked, past their period, or their agreement
        has ended (expired, terminated or past its last day)."""
        at = at or timezone.now()
        day = timezone.localdate(at)
        return self.filter(
            Q(revoked_at__isnull=False)
            | Q(valid_until__lte=at)
            | Q(agreement__status__in=ENDED_STATES)
            | Q(agreement__valid_until__lt=day)
        )

    def live(self, at=None):
        """Grants in force now or starting later: what the guardian permission mirrors."""
        at = at or timezone.now()
        return self.exclude(pk__in=self.ended(at).values("pk")).filter(role_in_recipient())

    def in_force(self, at=None):
        """Grants that allow access at `at` (default now): inside their period, not
        revoked, their agreement (if any) in force that day, and the holder still holding
        a role in the receiving organisation."""
        at = at or timezone.now()
        day = timezone.localdate(at)
        agreement_in_force = Q(agreement__isnull=True) | Q(
            agreement__status__in=APPROVED_STATES, agreement__valid_from__lte=day, agreement__valid_until__gte=day
        )
        return self.filter(agreement_in_force, valid_from__lte=at, valid_until__gt=at, revoked_at__isnull=True).filter(
            role_in_recipient()
        )


class AccessGrant(models.Model):
    """Access of one person to one dataset for a period: the source of truth of every
    access check. Created by the approval of an access request."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Person"), on_delete=models.PROTECT, related_name="access_grants"
    )
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("Datensatz"), on_delete=models.PROTECT, related_name="access_grants"
    )
    recipient = models.ForeignKey(
        Organisation, verbose_name=_("Für die Organisation"), on_delete=models.PROTECT, related_name="access_grants"
    )
    request = models.OneToOneField(
        AccessRequest,
        verbose_name=_("Antrag"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grant",
    )
    agreement = models.ForeignKey(
        SharingAgreement,
        verbose_name=_("Vereinbarung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
    )
    valid_from = models.DateTimeField(_("Zugang ab"))
    valid_until = models.DateTimeField(_("Zugang bis (ausschließlich)"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Gewährt von"), on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("Gewährt am"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("Entzogen am"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Entzogen von"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    revocation_reason = models.CharField(_("Grund des Entzugs"), max_length=500, blank=True, editable=False)
    # When the grant was found to be over for good (revoked, expired, agreement ended)
    # and its guardian permission was taken away.
    ended_at = models.DateTimeField(_("Beendet am"), null=True, blank=True, editable=False)
    history = HistoricalRecords(bases=[PersonText])

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("Zugang")
        verbose_name_plural = _("Zugänge")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "dataset"]), models.Index(fields=["valid_until"])]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("valid_from")), name="access_grant_period"),
        ]

    def __str__(self):
        return _("Zugang zu „%(dataset)s“ für %(person)s") % {
            "dataset": self.dataset.title,
            "person": self.user.get_full_name() or self.user.get_username(),
        }

    def is_in_force(self, at=None) -> bool:
        return AccessGrant.objects.in_force(at).filter(pk=self.pk).exists()

    @property
    def last_day(self):
        """The last day of access as people say it ("bis einschließlich"): the period ends
        at the start of the next day."""
        return timezone.localdate(self.valid_until - timedelta(microseconds=1))

    def has_expired(self, at=None) -> bool:
        return self.valid_until <= (at or timezone.now())
