"""Writes and transitions of data sharing; views, tasks and the demo call these alike.

Sharing agreements:

    draft ─submit─▶ owner_approval ─approve (owner of the provider)─▶ legal_review ─approve (legal reviewer)─┐
                        │ (no legal review needed) ───────────────────────────────────────────────────────┤
                        │                                                                                 ▼
    owner_approval/legal_review ─return─▶ draft · ─reject─▶ rejected        approved ─(valid_from)─▶ active
    approved/active ─terminate (owner of provider or recipient)─▶ terminated · ─(after valid_until)─▶ expired

Legal review is required when the two organisations are different controllers (their
legal entities differ) or any covered dataset is personal data; special categories are
personal data, so they never pass without it. The approver is never who drafted or
submitted the agreement, and the legal reviewer not who approved it as owner.

Access requests: request_access → approve_access_request (creates the AccessGrant and
the guardian permission) or refuse_access_request; the requester may withdraw a pending
request; the owner may revoke a grant early. Ending an agreement ends its grants.

The steps of agreements and access requests are declared once (core.transitions) and
judged by `judge_agreement` and `judge_request`: the pages read the same declaration and
judgement. Every transition: guard → atomic → lock (select_for_update, expected version)
→ judge again → mutate → save(update_fields) → history reason "sharing.<object>.<action>"
(and through it an AuditEvent) → Decision where something is decided; every grant and
every removal of a permission appends an AuditEvent of its own (AuditAction.PERMISSION).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import BigIntegerField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.models import UserObjectPermission

from catalog.models import Dataset, PersonalDataStatus
from catalog.permissions import visible_datasets
from core import transitions
from core.errors import PermissionRefused
from core.transitions import Refusal, Transition
from governance import audit
from governance import services as governance
from governance.models import (
    AuditAction,
    DecisionKind,
    DecisionOutcome,
    DNGRole,
    Organisation,
    PolicyKind,
    Role,
    VocabularyTerm,
)
from governance.permissions import has_role, organisations_with_role, roles_held
from governance.rules import ReviewRole
from governance.vocabularies import Vocabulary

from .models import (
    APPROVED_STATES,
    CONTRACT_REQUIRED,
    PENDING_STATES,
    AccessGrant,
    AccessRequest,
    AgreementStatus,
    RequestStatus,
    SharingAgreement,
    SharingCondition,
)

VIEW_PERMISSION = "catalog.view_dataset"
# The longest access one request can ask for.
MAX_ACCESS_DAYS = 366
# Who drafts an agreement: stewards and owners, of the providing or of the receiving side.
DRAFTING_ROLES = (Role.STEWARD, Role.OWNER)
A = AgreementStatus


class SharingError(governance.GovernanceError):
    """A step that is not allowed now or not for this person; the message says why."""


class ConflictError(SharingError, governance.ConflictError):
    """Not in the agreement's or request's state now: someone else changed the agreement
    or decided the request in the meantime, or the step does not start from here."""


class SharingRefused(SharingError, PermissionRefused):
    """Not this person's step: a role they do not hold, or four eyes."""


# ---------------------------------------------------------------------------
# Questions about datasets, organisations and legal bases


def is_personal(dataset: Dataset) -> bool:
    """Pseudonymised data is still personal data (Art. 4 Nr. 5 DSGVO)."""
    classification = dataset.current_classification
    return classification is not None and classification.personal_data >= PersonalDataStatus.PSEUDONYMISED


def is_special(dataset: Dataset) -> bool:
    classification = dataset.current_classification
    return classification is not None and classification.personal_data == PersonalDataStatus.SPECIAL


def belongs_to(dataset: Dataset, organisation: Organisation) -> bool:
    """Whether the dataset is published by the organisation or a unit below it."""
    return dataset.publisher_id in Organisation.objects.subtree_ids([organisation])


def legal_basis_terms(on: date | None = None) -> dict[str, VocabularyTerm]:
    return {
        term.code: term
        for term in VocabularyTerm.objects.in_force(on).of(Vocabulary.LEGAL_BASIS).order_by("code", "valid_from")
    }


def _datasets(agreement: SharingAgreement) -> list[Dataset]:
    return list(agreement.datasets.select_related("publisher", "current_classification").order_by("title"))


def review_reasons(agreement: SharingAgreement, datasets=None) -> list[str]:
    """Why the legal office must review the agreement (empty: it need not)."""
    datasets = _datasets(agreement) if datasets is None else datasets
    reasons = []
    if not agreement.same_controller:
        reasons.append(
            _("%(provider)s und %(recipient)s sind verschiedene Verantwortliche: Die Daten werden übermittelt.")
            % {"provider": agreement.provider.controller, "recipient": agreement.recipient.controller}
        )
    for dataset in datasets:
        if is_special(dataset):
            reasons.append(
                _("„%(title)s“ enthält besondere Kategorien personenbezogener Daten (Art. 9/10 DSGVO).")
                % {"title": dataset.title}
            )
        elif is_personal(dataset):
            reasons.append(_("„%(title)s“ enthält personenbezogene Daten.") % {"title": dataset.title})
    return reasons


def agreement_problems(agreement: SharingAgreement, datasets=None, *, on: date | None = None) -> dict[str, list]:
    """What keeps the agreement from being submitted or approved, by field: the rules of
    reference/ethics_legal.md §7.9 over the organisations' controllers, the datasets'
    classification and the legal bases in force."""
    on = on or timezone.localdate()
    datasets = _datasets(agreement) if datasets is None else datasets
    problems: dict[str, list] = {}

    def add(field, message):
        problems.setdefault(field, []).append(message)

    same = agreement.same_controller
    if agreement.agreement_type not in agreement.allowed_types():
        if same:
            add(
                "agreement_type",
                _(
                    "Beide Organisationen gehören zu demselben Verantwortlichen (%(controller)s): Es handelt sich um "
                    "eine interne Nutzung."
                )
                % {"controller": agreement.provider.controller},
            )
        else:
            add(
                "agreement_type",
                _(
                    "%(provider)s und %(recipient)s sind verschiedene Verantwortliche: Wählen Sie gemeinsame "
                    "Verantwortlichkeit, Auftragsverarbeitung oder Übermittlung."
                )
                % {"provider": agreement.provider.controller, "recipient": agreement.recipient.controller},
            )

    if not datasets:
        add("datasets", _("Bitte wählen Sie mindestens einen Datensatz."))
    provider_units = Organisation.objects.subtree_ids([agreement.provider_id])
    for dataset in datasets:
        if dataset.publisher_id not in provider_units:
            add("datasets", _("„%(title)s“ gehört nicht zur bereitstellenden Organisation.") % {"title": dataset.title})
        if dataset.current_classification_id is None:
            add(
                "datasets",
                _("„%(title)s“ ist noch nicht klassifiziert; ohne Einstufung lässt sich die Weitergabe nicht prüfen.")
                % {"title": dataset.title},
            )
    personal = any(is_personal(dataset) for dataset in datasets)
    special = any(is_special(dataset) for dataset in datasets)

    terms = legal_basis_terms(on)
    unknown = [code for code in agreement.legal_bases if code not in terms]
    if unknown:
        add("legal_bases", _("Unbekannte Rechtsgrundlage: %(codes)s") % {"codes": ", ".join(unknown)})
    bases = [code for code in agreement.legal_bases if code in terms]
    article_6_1 = [code for code in bases if code.startswith("GDPR_6_1")]
    if personal and same and not (article_6_1 or "GDPR_6_4" in bases):
        add(
            "legal_bases",
            _(
                "Auch die interne Nutzung personenbezogener Daten braucht eine Rechtsgrundlage: Art. 6 Abs. 1 DSGVO "
                "oder die vereinbare Weiterverarbeitung nach Art. 6 Abs. 4 DSGVO."
            ),
        )
    if personal and not same and not article_6_1:
        add(
            "legal_bases",
            _(
                "Personenbezogene Daten gehen an einen anderen Verantwortlichen: Nennen Sie eine Rechtsgrundlage "
                "nach Art. 6 Abs. 1 DSGVO."
            ),
        )
    if special and not any(terms[code].attributes.get("special_category") for code in bases):
        add(
            "legal_bases",
            _("Besondere Kategorien brauchen zusätzlich eine Rechtsgrundlage nach Art. 9 Abs. 2 oder Art. 10 DSGVO."),
        )
    if agreement.recipient.dng_role == DNGRole.PUBLIC_BODY:
        for code in bases:
            if not terms[code].attributes.get("available_to_public_task", True):
                add(
                    "legal_bases",
                    _(
                        "„%(basis)s“ steht Behörden in Erfüllung ihrer Aufgaben nicht zur Verfügung "
                        "(Art. 6 Abs. 1 UAbs. 2 DSGVO)."
                    )
                    % {"basis": terms[code].label},
                )
    if any(terms[code].attributes.get("requires_member_state_law") for code in bases) and not (
        agreement.legal_norm.strip()
    ):
        add(
            "legal_norm",
            _("Art. 6 Abs. 1 lit. c und e DSGVO setzen eine Rechtsvorschrift voraus: Bitte nennen Sie sie."),
        )
    if personal and not agreement.deletion_period_months:
        add("deletion_period_months", _("Für personenbezogene Daten legen Sie bitte eine Löschfrist fest."))
    if SharingCondition.DELETION in agreement.conditions and not agreement.deletion_period_months:
        add("deletion_period_months", _("Zur Auflage „Löschung“ gehört eine Löschfrist."))

    if agreement.agreement_type in CONTRACT_REQUIRED and agreement.contract_id is None:
        add(
            "contract",
            _(
                "Gemeinsame Verantwortlichkeit und Auftragsverarbeitung brauchen einen schriftlichen Vertrag "
                "(Art. 26 Abs. 1, Art. 28 Abs. 3 DSGVO): Bitte verknüpfen Sie das Vertragsdokument."
            ),
        )
    if agreement.contract_id is not None:
        contract = agreement.contract
        if contract.is_draft:
            add("contract", _("Das Vertragsdokument ist noch ein Entwurf; verknüpfen Sie eine beschlossene Fassung."))
        if contract.document.kind != PolicyKind.CONTRACT:
            add("contract", _("Das verknüpfte Dokument ist kein Vertrag und keine Vereinbarung."))
    if agreement.valid_until < on:
        add("valid_until", _("Der Zeitraum der Vereinbarung ist bereits abgelaufen."))
    return problems


# ---------------------------------------------------------------------------
# Who may do what with an agreement


STAGE_ROLE = {A.OWNER_APPROVAL: Role.OWNER, A.LEGAL_REVIEW: Role.LEGAL_REVIEWER}
UNDECIDED = gettext_lazy("Über diese Vereinbarung wird gerade nicht entschieden.")

TRANSITIONS = transitions.table(
    Transition(
        "submit", gettext_lazy("Zur Freigabe einreichen"), states=(A.DRAFT,), target=A.OWNER_APPROVAL,
        roles=DRAFTING_ROLES, fields=(), primary=True,
        state_message=gettext_lazy("Nur ein Entwurf kann eingereicht werden."),
        role_message=gettext_lazy(
            "Einreichen können Datenverantwortliche und Dateneigentümer:innen der beteiligten Organisationen."
        ),
    ),
    Transition(
        "approve", gettext_lazy("Freigeben"), states=PENDING_STATES, roles=tuple(STAGE_ROLE.values()),
        stage_roles=STAGE_ROLE, four_eyes=True, primary=True, state_message=UNDECIDED,
        four_eyes_message=gettext_lazy(
            "Vier-Augen-Prinzip: Wer die Vereinbarung entworfen, eingereicht oder schon freigegeben hat, kann sie "
            "nicht (noch einmal) freigeben."
        ),
    ),
    Transition(
        "return", gettext_lazy("Zur Überarbeitung zurückgeben"), states=PENDING_STATES, target=A.DRAFT,
        roles=tuple(STAGE_ROLE.values()), stage_roles=STAGE_ROLE, reason_required=True, state_message=UNDECIDED,
    ),
    Transition(
        "reject", gettext_lazy("Ablehnen"), states=PENDING_STATES, target=A.REJECTED,
        roles=tuple(STAGE_ROLE.values()), stage_roles=STAGE_ROLE, reason_required=True, state_message=UNDECIDED,
    ),
    Transition(
        "terminate", gettext_lazy("Vereinbarung beenden"), states=APPROVED_STATES, target=A.TERMINATED,
        roles=(Role.OWNER,), reason_required=True,
        state_message=gettext_lazy("Nur eine genehmigte Vereinbarung kann beendet werden."),
        role_message=gettext_lazy("Beenden können die Dateneigentümer:innen der beteiligten Organisationen."),
    ),
)  # fmt: skip
# Steps either party takes (with its roles there); the others are the provider's.
EITHER_PARTY = {"submit", "terminate"}


def transition_label(action: str, agreement: SharingAgreement) -> str:
    if action == "approve" and agreement.status == A.LEGAL_REVIEW:
        return _("Rechtlich freigeben")
    if action == "approve":
        return _("Als Dateneigentümer:in freigeben")
    return str(TRANSITIONS[action].label)


def can_draft(user, agreement: SharingAgreement) -> bool:
    return any(
        has_role(user, role, organisation)
        for organisation in (agreement.provider, agreement.recipient)
        for role in DRAFTING_ROLES
    )


def party_roles(user, agreement: SharingAgreement) -> tuple[set, set]:
    """The roles the user holds for the provider and for the recipient."""
    return roles_held(user, agreement.provider), roles_held(user, agreement.recipient)


def judge_agreement(action: str, agreement: SharingAgreement, user, *, roles=None) -> Refusal | None:
    """Whether `user` may take the step on the agreement now (core.transitions.judge):
    the drafting roles of either party submit, the owners of either party end it, the
    role of the stage (the provider's owner, then its legal review) decides, and the
    approver is never who drafted, submitted or already approved it. `roles`: the
    user's party_roles, if already known."""
    transition = TRANSITIONS[action]
    provider_roles, recipient_roles = party_roles(user, agreement) if roles is None else roles
    held = provider_roles | recipient_roles if action in EITHER_PARTY else provider_roles
    involved = {agreement.created_by_id, agreement.submitted_by_id}
    if agreement.status == A.LEGAL_REVIEW:
        involved.add(agreement.owner_approved_by_id)
    return transitions.judge(
        transition,
        state=agreement.status,
        roles=held,
        user_id=user.pk,
        involved=involved - {None},
        organisation=agreement.provider,
    )


def available_transitions(agreement: SharingAgreement, user) -> list[Transition]:
    roles = party_roles(user, agreement)
    return [t for action, t in TRANSITIONS.items() if judge_agreement(action, agreement, user, roles=roles) is None]


def _guard(refusal: Refusal | None) -> None:
    transitions.guard(refusal, conflict=ConflictError, forbidden=SharingRefused)


# ---------------------------------------------------------------------------
# Agreements: drafting


AGREEMENT_FIELDS = (
    "title",
    "recipient",
    "agreement_type",
    "purpose",
    "legal_bases",
    "legal_norm",
    "conditions",
    "deletion_period_months",
    "further_conditions",
    "valid_from",
    "valid_until",
    "contract",
)


def create_agreement(*, by, provider: Organisation, fields: dict, datasets=()) -> SharingAgreement:
    """A new draft. Stewards and owners of either side may draft; the provider's owner
    decides."""
    agreement = SharingAgreement(provider=provider, created_by=by, **fields)
    if not can_draft(by, agreement):
        raise SharingError(
            _("Vereinbarungen entwerfen Datenverantwortliche und Dateneigentümer:innen der beteiligten Organisationen.")
        )
    agreement.full_clean()
    with transaction.atomic():
        agreement._history_user = by
        agreement._change_reason = "sharing.agreement.created"
        agreement.save()
        agreement.datasets.set(datasets)
    return agreement


def update_agreement(
    agreement: SharingAgreement, *, by, fields: dict, datasets, expected_version: int, reason: str = ""
) -> SharingAgreement:
    """Change a draft made on `expected_version`; refuse it if the agreement moved on."""
    with transaction.atomic():
        agreement = _lock(agreement, expected_version)
        if agreement.status != A.DRAFT:
            raise SharingError(_("Nur ein Entwurf kann geändert werden; geben Sie die Vereinbarung dazu zurück."))
        if not can_draft(by, agreement):
            raise SharingError(_("Sie können diese Vereinbarung nicht bearbeiten."))
        for name, value in fields.items():
            setattr(agreement, name, value)
        if not can_draft(by, agreement):  # the recipient may have changed
            raise ValidationError(
                {"recipient": _("Sie haben in keiner der beiden Organisationen eine passende Rolle.")}
            )
        agreement.full_clean()
        transitions.save(agreement, by=by, reason="sharing.agreement.changed", person_text=reason)
        agreement.datasets.set(datasets)
    return agreement


def _lock(agreement: SharingAgreement, expected_version: int | None) -> SharingAgreement:
    return transitions.lock(
        SharingAgreement.objects.select_related(
            "provider__legal_entity", "recipient__legal_entity", "contract__document"
        ),
        agreement.pk,
        expected_version=expected_version,
        message=lambda locked: (
            _(
                "Die Vereinbarung wurde inzwischen von jemand anderem bearbeitet oder entschieden "
                "(jetzt: %(status)s). Bitte laden Sie die Seite neu."
            )
            % {"status": locked.get_status_display()}
        ),
        conflict=ConflictError,
    )


def _save(agreement: SharingAgreement, *, by, action: str, status=None, fields=(), note: str = "", now=None) -> None:
    transitions.save(
        agreement, by=by, reason=f"sharing.agreement.{action}", note=note, fields=fields, state=status,
        state_field="status", changed_at="status_changed_at", now=now,
    )  # fmt: skip


def _decide(subject, *, kind: str, by, outcome: str, reasons: str, now=None, **extra):
    return governance.record_decision(
        kind=kind, subject=subject, outcome=outcome, actor=by, reasons=reasons, decided_at=now, **extra
    )


# ---------------------------------------------------------------------------
# Agreements: the transitions


def submit_agreement(agreement: SharingAgreement, *, by, expected_version: int | None, now=None) -> SharingAgreement:
    """Hand a complete draft to the provider's data owner."""
    now = now or timezone.now()
    with transaction.atomic():
        agreement = _lock(agreement, expected_version)
        _guard(judge_agreement("submit", agreement, by))
        problems = agreement_problems(agreement, on=timezone.localdate(now))
        if problems:
            raise ValidationError(problems)
        agreement.submitted_by = by
        _save(agreement, by=by, action="submitted", status=A.OWNER_APPROVAL, fields=["submitted_by"], now=now)
    return agreement


def _approved_status(agreement: SharingAgreement, today: date) -> str:
    return A.ACTIVE if agreement.valid_from <= today else A.APPROVED


def approve_agreement(
    agreement: SharingAgreement, *, by, expected_version: int | None, reasons: str = "", now=None
) -> SharingAgreement:
    """The provider's data owner approves; if the legal office must review the
    agreement, it goes there next, otherwise it is approved. The rules are checked again
    at each step: a dataset may have been reclassified since the agreement was drafted."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        agreement = _lock(agreement, expected_version)
        _guard(judge_agreement("approve", agreement, by))
        datasets = _datasets(agreement)
        problems = agreement_problems(agreement, datasets, on=today)
        if problems:
            raise ValidationError(problems)
        review = review_reasons(agreement, datasets)
        if agreement.status == A.OWNER_APPROVAL:
            agreement.owner_approved_by, agreement.owner_approved_at = by, now
            agreement.legal_review_required = bool(review)
            status = A.LEGAL_REVIEW if review else _approved_status(agreement, today)
            fields = ["owner_approved_by", "owner_approved_at", "legal_review_required"]
            action = "owner_approved"
            default = _("Als Dateneigentümer:in freigegeben.")
            if review:
                default += " " + _("Rechtsprüfung erforderlich: %(reasons)s") % {"reasons": " ".join(review)}
        else:
            agreement.legal_approved_by, agreement.legal_approved_at = by, now
            status = _approved_status(agreement, today)
            fields = ["legal_approved_by", "legal_approved_at"]
            action = "legal_approved"
            default = _("Rechtlich geprüft und freigegeben.")
        _save(agreement, by=by, action=action, status=status, fields=fields, now=now)
        _decide(
            agreement,
            kind=DecisionKind.SHARING,
            by=by,
            outcome=DecisionOutcome.APPROVED,
            reasons=reasons.strip() or default,
            required_reviews=[ReviewRole.LEGAL] if review else [],
            now=now,
        )
    return agreement


def return_agreement(agreement: SharingAgreement, *, by, expected_version: int | None, reasons: str, now=None):
    """Send the agreement back to its authors, always with reasons; approvals so far lapse."""
    reasons = transitions.require_reasons(reasons)
    with transaction.atomic():
        agreement = _lock(agreement, expected_version)
        _guard(judge_agreement("return", agreement, by))
        agreement.owner_approved_by = agreement.owner_approved_at = None
        agreement.legal_review_required = False
        fields = ["owner_approved_by", "owner_approved_at", "legal_review_required"]
        _save(agreement, by=by, action="returned", status=A.DRAFT, fields=fields, now=now)
        _decide(agreement, kind=DecisionKind.SHARING, by=by, outcome=DecisionOutcome.RETURNED, reasons=reasons, now=now)
    return agreement


def reject_agreement(agreement: SharingAgreement, *, by, expected_version: int | None, reasons: str, now=None):
    reasons = transitions.require_reasons(reasons)
    now = now or timezone.now()
    with transaction.atomic():
        agreement = _lock(agreement, expected_version)
        _guard(judge_agreement("reject", agreement, by))
        agreement.ended_at, agreement.ended_by, agreement.end_reason = now, by, reasons
        _save(
            agreement, by=by, action="rejected", status=A.REJECTED, fields=["ended_at", "ended_by", "end_reason"],
            now=now,
        )  # fmt: skip
        _decide(agreement, kind=DecisionKind.SHARING, by=by, outcome=DecisionOutcome.REJECTED, reasons=reasons, now=now)
    return agreement


def terminate_agreement(agreement: SharingAgreement, *, by, expected_version: int | None, reasons: str, now=None):
    """End an agreement early (Kündigung, Wegfall des Zwecks); its grants end with it."""
    reasons = transitions.require_reasons(reasons)
    now = now or timezone.now()
    with transaction.atomic():
        agreement = _lock(agreement, expected_version)
        _guard(judge_agreement("terminate", agreement, by))
        agreement.ended_at, agreement.ended_by, agreement.end_reason = now, by, reasons
        _save(
            agreement, by=by, action="terminated", status=A.TERMINATED, fields=["ended_at", "ended_by", "end_reason"],
            now=now,
        )  # fmt: skip
        _decide(
            agreement, kind=DecisionKind.SHARING, by=by, outcome=DecisionOutcome.WITHDRAWN, reasons=reasons, now=now
        )
        _end_agreement_grants(agreement, by=by, note=_("Vereinbarung beendet"), person_text=reasons, now=now)
    return agreement


def perform(action: str, agreement: SharingAgreement, *, by, data: dict) -> SharingAgreement:
    """Dispatch one transition with the input of its form (views and tests)."""
    expected = data.get("expected_version")
    reasons = data.get("reasons", "")
    if action == "submit":
        return submit_agreement(agreement, by=by, expected_version=expected)
    if action == "approve":
        return approve_agreement(agreement, by=by, expected_version=expected, reasons=reasons)
    if action == "return":
        return return_agreement(agreement, by=by, expected_version=expected, reasons=reasons)
    if action == "reject":
        return reject_agreement(agreement, by=by, expected_version=expected, reasons=reasons)
    if action == "terminate":
        return terminate_agreement(agreement, by=by, expected_version=expected, reasons=reasons)
    raise SharingError(_("Unbekannte Aktion."))


# ---------------------------------------------------------------------------
# Access requests


def agreement_reasons(dataset: Dataset, recipient: Organisation) -> list[str]:
    """Why access to the dataset for the organisation needs an agreement in force."""
    reasons = []
    if not dataset.publisher.same_controller(recipient):
        reasons.append(
            _("%(provider)s und %(recipient)s sind verschiedene Verantwortliche.")
            % {"provider": dataset.publisher.controller, "recipient": recipient.controller}
        )
    if is_personal(dataset):
        reasons.append(_("Der Datensatz enthält personenbezogene Daten."))
    return reasons


def usable_agreements(dataset: Dataset, recipients, *, on: date | None = None):
    """Agreements in force that cover the dataset for one of the organisations (or a
    unit above them)."""
    recipient_ids = {getattr(r, "pk", r) for r in recipients}
    above = set()
    for organisation in Organisation.objects.filter(pk__in=recipient_ids).select_related("parent__parent"):
        while organisation is not None:
            above.add(organisation.pk)
            organisation = organisation.parent
    return (
        SharingAgreement.objects.in_force(on)
        .filter(datasets=dataset, recipient__in=above)
        .select_related("provider", "recipient")
        .order_by("title")
    )


def access_problems(
    *, by, dataset: Dataset, recipient: Organisation, agreement, valid_from: date, valid_until: date, on: date,
    deciding: bool = False,
) -> dict[str, list]:  # fmt: skip
    """What keeps access from being requested (or, with deciding=True, granted)."""
    problems: dict[str, list] = {}

    def add(field, message):
        problems.setdefault(field, []).append(message)

    if not organisations_with_role(by).filter(pk=recipient.pk).exists():
        add("recipient", _("Sie haben in dieser Organisation keine Rolle."))
    if recipient.pk == dataset.publisher_id:
        add("recipient", _("Den Zugang innerhalb der eigenen Organisation regeln die Rollen, nicht Zugangsanträge."))
    if dataset.is_published:
        add(NON_FIELD_ERRORS, _("Der Datensatz ist veröffentlicht und im Open-Data-Portal ohne Antrag abrufbar."))
    if dataset.current_classification_id is None:
        add(NON_FIELD_ERRORS, _("Der Datensatz ist noch nicht klassifiziert; Zugang kann erst danach gewährt werden."))
    if not deciding and visible_datasets(by).filter(pk=dataset.pk).exists():
        add(NON_FIELD_ERRORS, _("Sie sehen diesen Datensatz bereits über Ihre Rolle im Datenkatalog."))
    if valid_until < valid_from:
        add("valid_until", _("Das Ende muss nach dem Beginn liegen."))
    elif (valid_until - valid_from).days >= MAX_ACCESS_DAYS:
        add("valid_until", _("Zugang wird für höchstens ein Jahr gewährt; danach können Sie ihn erneut beantragen."))
    if not deciding and valid_from < on:
        add("valid_from", _("Der Zugang kann frühestens heute beginnen."))
    if deciding and valid_until < on:
        add("valid_until", _("Der beantragte Zeitraum ist bereits vorbei."))

    needs_agreement = agreement_reasons(dataset, recipient)
    if agreement is None and needs_agreement:
        add(
            "agreement",
            _("Für diesen Zugang ist eine wirksame Datennutzungsvereinbarung nötig: %(reasons)s")
            % {"reasons": " ".join(needs_agreement)},
        )
    if agreement is not None:
        if not agreement.is_in_force(on):
            add("agreement", _("Die Vereinbarung ist nicht (mehr) wirksam."))
        elif not usable_agreements(dataset, [recipient], on=on).filter(pk=agreement.pk).exists():
            add("agreement", _("Die Vereinbarung umfasst diesen Datensatz für diese Organisation nicht."))
        elif valid_until > agreement.valid_until:
            add(
                "valid_until",
                _("Die Vereinbarung gilt nur bis %(date)s.") % {"date": date_format(agreement.valid_until)},
            )
        if (is_personal(dataset) or not agreement.same_controller) and agreement.legal_approved_at is None:
            # E.g. the dataset was classified as personal after the agreement was approved.
            add(
                "agreement",
                _("Die Vereinbarung wurde ohne Rechtsprüfung geschlossen; für diesen Datensatz ist sie nötig."),
            )
    return problems


def request_access(
    *, by, dataset: Dataset, recipient: Organisation, purpose: str, valid_from: date, valid_until: date,
    agreement: SharingAgreement | None = None, now=None,
) -> AccessRequest:  # fmt: skip
    """A person asks for access to a dataset of another organisation, for one of theirs."""
    now = now or timezone.now()
    purpose = (purpose or "").strip()
    problems = access_problems(
        by=by, dataset=dataset, recipient=recipient, agreement=agreement, valid_from=valid_from,
        valid_until=valid_until, on=timezone.localdate(now),
    )  # fmt: skip
    if not purpose:
        problems.setdefault("purpose", []).append(_("Bitte beschreiben Sie, wofür Sie die Daten brauchen."))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        Dataset.objects.select_for_update(of=("self",)).filter(pk=dataset.pk).first()
        if AccessRequest.objects.filter(requester=by, dataset=dataset, status=RequestStatus.PENDING).exists():
            raise SharingError(_("Sie haben für diesen Datensatz bereits einen offenen Antrag."))
        if AccessGrant.objects.in_force(now).filter(user=by, dataset=dataset).exists():
            raise SharingError(_("Sie haben bereits Zugang zu diesem Datensatz."))
        access_request = AccessRequest(
            dataset=dataset,
            requester=by,
            recipient=recipient,
            agreement=agreement,
            purpose=purpose,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        access_request.full_clean()
        access_request._history_user = by
        access_request._change_reason = "sharing.request.created"
        access_request.save()
    return access_request


# Deciding a request: the provider's data owner, never the person who asked.
REQUEST_STEP = {
    "states": (RequestStatus.PENDING,),
    "roles": (Role.OWNER,),
    "four_eyes": True,
    "state_message": gettext_lazy("Über diesen Antrag wurde bereits entschieden."),
    "role_message": gettext_lazy("Über Zugangsanträge entscheiden die Dateneigentümer:innen von %(organisation)s."),
    "four_eyes_message": gettext_lazy("Vier-Augen-Prinzip: Über den eigenen Antrag entscheiden Sie nicht selbst."),
}
REQUEST_TRANSITIONS = transitions.table(
    Transition("grant", gettext_lazy("Zugang gewähren"), target=RequestStatus.GRANTED, primary=True, **REQUEST_STEP),
    Transition(
        "refuse", gettext_lazy("Antrag ablehnen"), target=RequestStatus.REFUSED, reason_required=True, **REQUEST_STEP
    ),
)


def judge_request(access_request: AccessRequest, user, action: str = "grant") -> Refusal | None:
    """Whether `user` may decide the request now (core.transitions.judge)."""
    publisher = access_request.dataset.publisher
    return transitions.judge(
        REQUEST_TRANSITIONS[action],
        state=access_request.status,
        roles={Role.OWNER} if has_role(user, Role.OWNER, publisher) else set(),
        user_id=user.pk,
        involved={access_request.requester_id},
        organisation=publisher,
    )


def _lock_request(access_request: AccessRequest) -> AccessRequest:
    locked = transitions.lock(
        AccessRequest.objects.select_related(
            "dataset__publisher__legal_entity", "dataset__current_classification", "recipient__legal_entity",
            "requester", "agreement__provider__legal_entity", "agreement__recipient__legal_entity",
        ),
        access_request.pk,
    )  # fmt: skip
    if not locked.is_pending:
        raise ConflictError(
            _("Über diesen Antrag wurde inzwischen entschieden (%(status)s).") % {"status": locked.get_status_display()}
        )
    return locked


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def approve_access_request(access_request: AccessRequest, *, by, reasons: str = "", now=None) -> AccessGrant:
    """The provider's data owner grants access: an AccessGrant for the requested period
    (never beyond the agreement's), the guardian permission and a Decision."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        access_request = _lock_request(access_request)
        _guard(judge_request(access_request, by, "grant"))
        problems = access_problems(
            by=access_request.requester, dataset=access_request.dataset, recipient=access_request.recipient,
            agreement=access_request.agreement, valid_from=access_request.valid_from,
            valid_until=access_request.valid_until, on=today, deciding=True,
        )  # fmt: skip
        if problems:
            raise ValidationError(problems)
        valid_until = start_of_day(access_request.valid_until + timedelta(days=1))
        if access_request.agreement is not None:
            valid_until = min(valid_until, start_of_day(access_request.agreement.valid_until + timedelta(days=1)))
        grant = AccessGrant(
            user=access_request.requester,
            dataset=access_request.dataset,
            recipient=access_request.recipient,
            request=access_request,
            agreement=access_request.agreement,
            valid_from=max(now, start_of_day(access_request.valid_from)),
            valid_until=valid_until,
            granted_by=by,
        )
        grant.full_clean()
        grant._history_user = by
        grant._change_reason = "sharing.grant.granted"
        grant.save()
        access_request.decided_by, access_request.decided_at = by, now
        access_request.decision_reasons = reasons.strip()
        transitions.save(
            access_request, by=by, reason="sharing.request.granted", state=RequestStatus.GRANTED,
            state_field="status", fields=["decided_by", "decided_at", "decision_reasons"], versioned=False,
        )  # fmt: skip
        until = date_format(grant.last_day)
        _decide(
            access_request,
            kind=DecisionKind.ACCESS,
            by=by,
            outcome=DecisionOutcome.GRANTED,
            reasons=reasons.strip() or _("Zugang gewährt bis einschließlich %(date)s.") % {"date": until},
            classification=access_request.dataset.current_classification,
            now=now,
        )
        _assign_permission(grant, by=by, reason="sharing.permission.granted")
    return grant


def refuse_access_request(access_request: AccessRequest, *, by, reasons: str, now=None) -> AccessRequest:
    reasons = transitions.require_reasons(reasons)
    now = now or timezone.now()
    with transaction.atomic():
        access_request = _lock_request(access_request)
        _guard(judge_request(access_request, by, "refuse"))
        access_request.decided_by, access_request.decided_at, access_request.decision_reasons = by, now, reasons
        transitions.save(
            access_request, by=by, reason="sharing.request.refused", state=RequestStatus.REFUSED,
            state_field="status", fields=["decided_by", "decided_at", "decision_reasons"], versioned=False,
        )  # fmt: skip
        _decide(
            access_request,
            kind=DecisionKind.ACCESS,
            by=by,
            outcome=DecisionOutcome.REFUSED,
            reasons=reasons,
            classification=access_request.dataset.current_classification,
            now=now,
        )
    return access_request


def withdraw_access_request(access_request: AccessRequest, *, by) -> AccessRequest:
    with transaction.atomic():
        access_request = _lock_request(access_request)
        if access_request.requester_id != by.pk:
            raise SharingRefused(_("Nur wer den Antrag gestellt hat, kann ihn zurückziehen."))
        transitions.save(
            access_request, by=by, reason="sharing.request.withdrawn", state=RequestStatus.WITHDRAWN,
            state_field="status", fields=[], versioned=False,
        )  # fmt: skip
    return access_request


# ---------------------------------------------------------------------------
# Grants and their guardian permissions


# A grant is live until it is revoked, ended or past its end; the provider's owner revokes it.
REVOKE = Transition(
    "revoke",
    gettext_lazy("Zugang entziehen"),
    states=("live",),
    roles=(Role.OWNER,),
    reason_required=True,
    state_message=gettext_lazy("Dieser Zugang ist bereits beendet."),
    role_message=gettext_lazy("Einen Zugang entziehen die Dateneigentümer:innen von %(organisation)s."),
)


def judge_revocation(grant: AccessGrant, user, *, now=None) -> Refusal | None:
    """Whether `user` may revoke the grant now (core.transitions.judge)."""
    ended = grant.revoked_at is not None or grant.ended_at is not None or grant.has_expired(now)
    publisher = grant.dataset.publisher
    return transitions.judge(
        REVOKE,
        state="ended" if ended else "live",
        roles={Role.OWNER} if has_role(user, Role.OWNER, publisher) else set(),
        organisation=publisher,
    )


def revoke_grant(grant: AccessGrant, *, by, reasons: str, now=None) -> AccessGrant:
    """The provider's data owner ends a grant early, with reasons."""
    reasons = transitions.require_reasons(reasons)
    now = now or timezone.now()
    with transaction.atomic():
        grant = (
            AccessGrant.objects.select_for_update(of=("self",))
            .select_related("dataset__publisher", "dataset__current_classification", "request", "user")
            .get(pk=grant.pk)
        )
        _guard(judge_revocation(grant, by, now=now))
        _end_grant(grant, by=by, person_text=reasons, now=now, revoke=True)
        _decide(
            grant.request or grant,
            kind=DecisionKind.ACCESS,
            by=by,
            outcome=DecisionOutcome.WITHDRAWN,
            reasons=reasons,
            classification=grant.dataset.current_classification,
            now=now,
        )
    return grant


def _end_agreement_grants(agreement: SharingAgreement, *, by, note: str, now, person_text: str = "") -> int:
    grants = list(
        agreement.grants.select_for_update(of=("self",))
        .filter(revoked_at__isnull=True, ended_at__isnull=True)
        .select_related("dataset", "user")
    )
    for grant in grants:
        _end_grant(grant, by=by, note=note, person_text=person_text, now=now, revoke=grant.valid_until > now)
    return len(grants)


def _end_grant(grant: AccessGrant, *, by, now, revoke: bool, note: str = "", person_text: str = "") -> None:
    """Record that a grant is over (revoked early, or past its end) and take its
    permission away, unless another live grant still covers the same person and dataset.
    `note`: why, in the system's words; `person_text`: the reasons the person typed."""
    fields = ["ended_at"]
    grant.ended_at = now
    if revoke:
        reason = f"{note}: {person_text}" if note and person_text else (person_text or note)
        grant.revoked_at, grant.revoked_by, grant.revocation_reason = now, by, reason[:500]
        fields += ["revoked_at", "revoked_by", "revocation_reason"]
    code = "sharing.grant.revoked" if revoke else "sharing.grant.expired"
    transitions.save(grant, by=by, reason=code, note=note, person_text=person_text, fields=fields, versioned=False)
    still_live = (
        AccessGrant.objects.live(now).filter(user=grant.user_id, dataset=grant.dataset_id).exclude(pk=grant.pk).exists()
    )
    if not still_live:
        _remove_permission(grant, by=by, reason="sharing.permission.removed", note=note, person_text=person_text)


def _view_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="catalog", codename="view_dataset")


def _permission_event(
    grant: AccessGrant, *, by, reason: str, change: str, note: str = "", person_text: str = ""
) -> None:
    audit.append(
        action=AuditAction.PERMISSION,
        instance=grant,
        actor=by,
        organisation_id=grant.dataset.publisher_id,
        reason=reason,
        person_text=person_text,
        data={
            change: [[grant.user_id, audit.describe_actor(grant.user), VIEW_PERMISSION]],
            "dataset": [grant.dataset_id, grant.dataset.title],
            "valid_from": grant.valid_from,
            "valid_until": grant.valid_until,
            "note": note,
        },
    )


def _assign_permission(grant: AccessGrant, *, by, reason: str) -> None:
    from guardian.shortcuts import assign_perm

    assign_perm(VIEW_PERMISSION, grant.user, grant.dataset)
    _permission_event(grant, by=by, reason=reason, change="granted")


def _remove_permission(grant: AccessGrant, *, by, reason: str, note: str = "", person_text: str = "") -> None:
    from guardian.shortcuts import remove_perm

    remove_perm(VIEW_PERMISSION, grant.user, grant.dataset)
    _permission_event(grant, by=by, reason=reason, change="revoked", note=note, person_text=person_text)


def permission_pairs() -> set[tuple[int, int]]:
    """(user, dataset) of every guardian `catalog.view_dataset` object permission."""
    rows = (
        UserObjectPermission.objects.filter(
            permission=_view_permission(), content_type=ContentType.objects.get_for_model(Dataset)
        )
        .annotate(dataset_id=Cast("object_pk", output_field=BigIntegerField()))
        .values_list("user_id", "dataset_id")
    )
    return set(rows)


def apply_periods(now=None) -> dict[str, int]:
    """What time does by itself (run by celery beat every few minutes, and idempotent):
    approved agreements take effect on their first day, agreements past their last day
    expire and their grants end, grants past their end are closed, and the guardian
    permissions are made equal to the live grants. Access checks never wait for this:
    they read the grant rows, so an expired grant stops access at once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"activated": 0, "expired": 0, "grants_ended": 0, "permissions_added": 0, "permissions_removed": 0}
    with transaction.atomic():
        for agreement in SharingAgreement.objects.select_for_update().filter(
            status=A.APPROVED, valid_from__lte=today, valid_until__gte=today
        ):
            _save(agreement, by=None, action="activated", status=A.ACTIVE, now=now)
            counts["activated"] += 1
        for agreement in SharingAgreement.objects.select_for_update().filter(
            status__in=APPROVED_STATES, valid_until__lt=today
        ):
            agreement.ended_at, agreement.end_reason = now, _("Gültigkeitszeitraum abgelaufen.")
            _save(agreement, by=None, action="expired", status=A.EXPIRED, fields=["ended_at", "end_reason"], now=now)
            counts["grants_ended"] += _end_agreement_grants(
                agreement, by=None, note=_("Vereinbarung abgelaufen"), now=now
            )
            counts["expired"] += 1
        ended = (
            AccessGrant.objects.ended(now)
            .filter(ended_at__isnull=True)
            .select_for_update(of=("self",))
            .select_related("dataset", "user")
        )
        for grant in ended:
            revoke = grant.agreement_id is not None and grant.valid_until > now  # its agreement ended
            reason = _("Vereinbarung beendet") if revoke else _("Zeitraum abgelaufen")
            _end_grant(grant, by=None, note=reason, now=now, revoke=revoke)
            counts["grants_ended"] += 1

        # The mirror: a permission for every live grant, none for a pair without one
        # (e.g. when the holder no longer holds a role in the receiving organisation).
        live = {
            (grant.user_id, grant.dataset_id): grant
            for grant in AccessGrant.objects.live(now).select_related("dataset", "user").order_by("valid_from")
        }
        have = permission_pairs()
        for pair in live.keys() - have:
            _assign_permission(live[pair], by=None, reason="sharing.permission.restored")
            counts["permissions_added"] += 1
        stale = have - live.keys()
        if stale:
            # Only permissions that mirror a grant are ours to take away.
            orphans = {}
            candidates = AccessGrant.objects.filter(
                user__in={user_id for user_id, _dataset in stale}, dataset__in={dataset for _user, dataset in stale}
            )
            for grant in candidates.select_related("dataset", "user").order_by("valid_from"):
                if (grant.user_id, grant.dataset_id) in stale:
                    orphans[(grant.user_id, grant.dataset_id)] = grant
            for grant in orphans.values():
                _remove_permission(grant, by=None, reason="sharing.permission.removed", note=_("kein Zugang in Kraft"))
                counts["permissions_removed"] += 1
    return counts
