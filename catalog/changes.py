"""Change control after approval (issue 20): the review of a pending change of an
approved or published dataset, its application, and the withdrawal of a public file
whose disclosure check finds small cells.

    open/returned ─submit_change─▶ in_review ─sign_off_change─▶ [legal_review ─approve_change─▶]
        applied (or scheduled ─release time─▶ applied)
    in_review/legal_review ─return_change─▶ returned (reasons mandatory)
    open/returned ─discard_change─▶ discarded

The edits themselves collect in the change through catalog.services (update_dataset,
add_distribution, remove_distribution route there for an approved or published dataset);
the public keeps serving the dataset row and its current distributions, which only
`apply_change` alters. The rules decide the reviews as for a first publication: the
owner signs off every change; legal review follows when the change brings new or
replaced files, changes a field the decision engine reads, or the rules in force ask
for a review of the dataset as it would be. Every step leaves a Decision about the
dataset pinned to the rule and policy versions in force, like a publication.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import transitions
from core.transitions import STATE, Refusal, Transition
from core.transitions import require_reasons as _require_reasons
from governance import services as governance
from governance.inbox import Task, due_after
from governance.models import Decision, DecisionKind, DecisionOutcome, Organisation, Role, RoleAssignment
from governance.permissions import linked_people, organisations_with_role, roles_held, with_principals_and_deputies
from governance.rules import PENDING

from . import services
from .engine import CONFIRMED_REVIEWS, PUBLISHABLE_FORMS, basis_of, decide, final_outcome, needs_ethics_board
from .errors import ConflictError, WorkflowError, WorkflowRefused
from .models import (
    CHANGEABLE_FIELDS,
    ChangeState,
    Dataset,
    DatasetChange,
    DatasetState,
    Distribution,
    DistributionReport,
    DistributionStatus,
    EthicsOutcome,
    ReportKind,
)
from .signals import change_applying, change_state_changed
from .tabular_validation import tabular_format
from .workflow import ETHICS_DECISION, check_release_at, release_label, start_rereview

C = ChangeState
logger = logging.getLogger(__name__)
DECISION_FIELDS = ("licence", "hvd_category", "publisher")
FOUR_EYES = gettext_lazy(
    "Vier-Augen-Prinzip: Wer die Änderung bearbeitet, eingereicht oder schon freigegeben hat – oder diese Person "
    "vertritt oder von ihr vertreten wird –, kann sie nicht selbst prüfen oder freigeben."
)
STAGE_ROLES = {C.IN_REVIEW: Role.OWNER, C.LEGAL_REVIEW: Role.LEGAL_REVIEWER, C.SCHEDULED: Role.LEGAL_REVIEWER}

TRANSITIONS = transitions.table(
    Transition("submit_change", gettext_lazy("Änderung zur Prüfung einreichen"), states=(C.OPEN, C.RETURNED),
               target=C.IN_REVIEW, roles=(Role.STEWARD,), fields=(), primary=True),
    Transition("sign_off_change", gettext_lazy("Änderung als Dateneigentümer:in freigeben"), states=(C.IN_REVIEW,),
               roles=(Role.OWNER,), four_eyes=True, primary=True, four_eyes_message=FOUR_EYES),
    Transition("approve_change", gettext_lazy("Änderung rechtlich freigeben"), states=(C.LEGAL_REVIEW,),
               roles=(Role.LEGAL_REVIEWER,), four_eyes=True, fields=("confirmed", "release_at", "reasons"),
               primary=True, four_eyes_message=FOUR_EYES),
    # Also cancels a scheduled release (Sperrfrist) before it happens.
    Transition("return_change", gettext_lazy("Änderung zur Überarbeitung zurückgeben"),
               states=(C.IN_REVIEW, C.LEGAL_REVIEW, C.SCHEDULED), target=C.RETURNED,
               roles=(Role.OWNER, Role.LEGAL_REVIEWER), stage_roles=STAGE_ROLES, reason_required=True),
    Transition("discard_change", gettext_lazy("Änderung verwerfen"), states=(C.OPEN, C.RETURNED),
               target=C.DISCARDED, roles=(Role.STEWARD,), fields=("reasons",)),
)  # fmt: skip


# ---------------------------------------------------------------------------
# What the change would make of the dataset


def candidate(change: DatasetChange) -> Dataset:
    """The dataset as it would be with the change applied (in memory, not saved)."""
    dataset = Dataset.objects.select_related("publisher", "current_classification").get(pk=change.dataset_id)
    return services.apply_values(dataset, change.proposed)


def resulting_distributions(change: DatasetChange):
    """The distributions the dataset would have: current ones the change keeps, and its own."""
    replaced = change.added_distributions.exclude(replaces=None).values("replaces")
    return Distribution.objects.filter(
        Q(dataset=change.dataset_id, status=DistributionStatus.CURRENT)
        & ~Q(pk__in=change.removed_distributions.values("pk"))
        & ~Q(pk__in=replaced)
        | Q(change=change, status=DistributionStatus.PROPOSED)
    )


def evaluate(change: DatasetChange, on=None):
    return decide(candidate(change), distributions=resulting_distributions(change), on=on)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A long text's change as runs of words: ("=", kept), ("-", removed), ("+", added).
    Descriptions are often one paragraph, so lines would mark the whole text as changed."""
    before, after = old.split(), new.split()
    runs = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(("=", " ".join(before[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", " ".join(before[i1:i2])))
        if j2 > j1:
            runs.append(("+", " ".join(after[j1:j2])))
    return runs


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str
    lines: list  # word runs of a long text (word_diff): (tag, text)


def _display(dataset: Dataset, name: str) -> str:
    field = Dataset._meta.get_field(name)
    value = getattr(dataset, name)
    if value is None or value == "":
        return "–"
    if field.choices:
        return str(getattr(dataset, f"get_{name}_display")())
    if field.is_relation:
        return str(value.get_full_name() or value.get_username()) if hasattr(value, "get_username") else str(value)
    return str(value)


def field_changes(change: DatasetChange) -> list[FieldChange]:
    """The metadata the change alters, readable: label, old and new value, and for the
    description a line diff."""
    current = Dataset.objects.select_related("publisher", "owner", "steward").get(pk=change.dataset_id)
    proposed = services.apply_values(
        Dataset.objects.select_related("publisher", "owner", "steward").get(pk=change.dataset_id), change.proposed
    )
    rows = []
    now = services.field_values(current)
    for name in CHANGEABLE_FIELDS:
        if name in change.proposed and change.proposed[name] != now[name]:
            old, new = _display(current, name), _display(proposed, name)
            lines = word_diff(old, new) if name == "description" else []
            label = str(Dataset._meta.get_field(name).verbose_name)
            rows.append(FieldChange(name, label, old, new, lines))
    for name, label in (("keywords", _("Schlagwörter")), ("themes", _("Themen"))):
        if name in change.proposed and sorted(change.proposed[name]) != sorted(now[name]):
            rows.append(FieldChange(name, label, ", ".join(now[name]) or "–", ", ".join(change.proposed[name]) or "–",
                                    []))  # fmt: skip
    return rows


@dataclass(frozen=True)
class FileChange:
    kind: str  # "added", "replaced", "removed"
    distribution: Distribution
    replaces: Distribution | None
    checks: list  # DistributionReport rows of the file's current version


def file_changes(change: DatasetChange) -> list[FileChange]:
    rows = []
    added = change.added_distributions.filter(status=DistributionStatus.PROPOSED).select_related("replaces")
    for distribution in added.prefetch_related("reports"):
        checks = [r for r in distribution.reports.all() if r.checksum_sha256 == distribution.checksum_sha256]
        kind = "replaced" if distribution.replaces_id else "added"
        rows.append(FileChange(kind, distribution, distribution.replaces, checks))
    for distribution in change.removed_distributions.all():
        rows.append(FileChange("removed", distribution, None, []))
    return rows


# The keys of `proposed` that are the dataset's own; any other key is what another app
# proposes with the change (e.g. the datastore's data dictionary): kept as it is, counted
# as content and applied by that app's receiver of signals.change_applying.
DATASET_KEYS = frozenset((*CHANGEABLE_FIELDS, "keywords", "themes"))


def other_proposals(change: DatasetChange) -> dict:
    return {key: value for key, value in change.proposed.items() if key not in DATASET_KEYS and value}


def has_content(change: DatasetChange) -> bool:
    return bool(field_changes(change) or file_changes(change) or other_proposals(change))


def propose_other(dataset: Dataset, key: str, value, *, by, expected_version: int | None, reason: str) -> DatasetChange:
    """Put another app's proposal (JSON `value`; empty: none) under `key` of the dataset's
    pending change, as an edit of the change (`reason`: its history reason code): a stale
    `expected_version` (services.edit_version) is a conflict, a change in review refuses."""
    if key in DATASET_KEYS:
        raise ValueError(key)
    with transaction.atomic():
        change = services.open_change(dataset, by=by, expected_version=expected_version)
        proposed = {name: proposal for name, proposal in change.proposed.items() if name != key}
        if value:
            proposed[key] = value
        change.proposed = proposed
        services._save_change(change, by=by, reason=reason)
    return change


def unchecked_files(change: DatasetChange) -> list[Distribution]:
    """Proposed tables whose tabular and disclosure checks have not run on their content yet."""
    waiting = []
    for distribution in change.added_distributions.filter(status=DistributionStatus.PROPOSED):
        if tabular_format(distribution) is None:
            continue
        done = set(
            DistributionReport.objects.filter(
                distribution=distribution, checksum_sha256=distribution.checksum_sha256
            ).values_list("kind", flat=True)
        )
        if ReportKind.TABULAR not in done or (ReportKind.DISCLOSURE not in done and _has_columns(distribution)):
            waiting.append(distribution)
    return waiting


def _has_columns(distribution: Distribution) -> bool:
    report = DistributionReport.objects.filter(
        distribution=distribution, kind=ReportKind.TABULAR, checksum_sha256=distribution.checksum_sha256
    ).first()
    return bool(report and report.report.get("columns"))


def needs_board(change: DatasetChange, evaluation) -> bool:
    """New data of a dataset the rules send to the ethics board go to the board again."""
    return (
        needs_ethics_board(evaluation)
        and change.added_distributions.filter(status=DistributionStatus.PROPOSED).exists()
    )


def review_reasons(change: DatasetChange, evaluation) -> list[str]:
    """Why the change needs legal review besides the owner's sign-off (empty: it does not)."""
    reasons = []
    if change.added_distributions.filter(status=DistributionStatus.PROPOSED).exists():
        reasons.append(_("Neue oder ersetzte Dateien"))
    current = services.field_values(Dataset.objects.get(pk=change.dataset_id))
    if any(change.proposed.get(name, current[name]) != current[name] for name in DECISION_FIELDS):
        reasons.append(_("Lizenz, HVD-Kategorie oder Herausgeber geändert"))
    if evaluation.blocks or evaluation.undecided or evaluation.required_reviews:
        reasons.append(_("Die Regeln in Kraft verlangen für den geänderten Datensatz eine Prüfung"))
    return reasons


# ---------------------------------------------------------------------------
# Who may do what


def involved(change: DatasetChange) -> set[int]:
    """Who may not review the change: everyone who edited it, submitted it or signed it
    off, and whoever classified the dataset as it stands, with their principals and
    deputies while the change was under way (a deputy and their principal are one
    person). The sign-offs of the dataset's first publication do not count: each change
    is a round of its own."""
    ids = set(change.editors.values_list("pk", flat=True))
    ids |= {change.submitted_by_id, change.created_by_id}
    if change.state in (C.ETHICS_REVIEW, C.LEGAL_REVIEW, C.SCHEDULED):
        ids.add(change.signed_off_by_id)
    classification = change.dataset.current_classification
    if classification is not None:
        ids.add(classification.classified_by_id)
    return with_principals_and_deputies(ids - {None}, since=change.created)


def _conditions(action: str, change: DatasetChange) -> list[str | None]:
    if action == "submit_change" and not has_content(change):
        return [_("Die Änderung enthält noch nichts, was sich vom veröffentlichten Stand unterscheidet.")]
    if action in ("submit_change", "sign_off_change", "approve_change") and change.dataset.state not in (
        services.CONTROLLED_STATES
    ):
        return [_("Der Datensatz ist nicht mehr freigegeben oder veröffentlicht; die Änderung ruht.")]
    return []


def judgement(action: str, change: DatasetChange, user, *, roles: set | None = None) -> Refusal | None:
    transition = TRANSITIONS.get(action)
    if transition is None:
        return Refusal(STATE, _("Unbekannte Aktion."))
    dataset = change.dataset
    return transitions.judge(
        transition,
        state=change.state,
        state_label=change.get_state_display(),
        roles=roles_held(user, dataset.publisher) if roles is None else roles,
        user_id=user.pk,
        involved=lambda: involved(change),
        organisation=dataset.publisher,
        conditions=_conditions(action, change),
    )


def available_transitions(change: DatasetChange, user, *, roles: set | None = None) -> list[Transition]:
    roles = roles_held(user, change.dataset.publisher) if roles is None else roles
    return [t for action, t in TRANSITIONS.items() if judgement(action, change, user, roles=roles) is None]


# ---------------------------------------------------------------------------
# The steps


def _lock(change: DatasetChange, expected_version: int | None) -> DatasetChange:
    transitions.lock(Dataset.objects.all(), change.dataset_id)
    return transitions.lock(
        DatasetChange.objects.select_related("dataset__publisher", "dataset__current_classification"),
        change.pk,
        expected_version=expected_version,
        message=lambda locked: (
            _(
                "Die Änderung wurde inzwischen von jemand anderem bearbeitet oder entschieden "
                "(jetzt: %(state)s). Bitte laden Sie die Seite neu."
            )
            % {"state": locked.get_state_display()}
        ),
        conflict=ConflictError,
    )


def _guard(action: str, change: DatasetChange, by) -> None:
    transitions.guard(judgement(action, change, by), conflict=WorkflowError, forbidden=WorkflowRefused)


def _save(
    change: DatasetChange, *, by, action: str, state: str | None = None, fields=(), note: str = "", person_text=""
) -> None:
    old_state = transitions.save(
        change, by=by, reason=f"catalog.change.{action}", note=note, person_text=person_text, fields=fields,
        state=state, changed_at="state_changed_at",
    )  # fmt: skip
    if change.state != old_state:
        change_state_changed.send(sender=DatasetChange, change=change, old_state=old_state, new_state=change.state,
                                  by=by)  # fmt: skip


def _decide(change: DatasetChange, *, by, kind, outcome, reasons, evaluation=None, **extra) -> Decision:
    dataset = change.dataset
    return governance.record_decision(
        kind=kind,
        subject=dataset,
        outcome=outcome,
        actor=by,
        reasons=_("Änderung %(number)s: %(reasons)s") % {"number": change.number, "reasons": reasons},
        evaluation=evaluation,
        classification=dataset.current_classification,
        **extra,
    )


def submit_change(change: DatasetChange, *, by, expected_version: int | None) -> Decision:
    """The steward asks for the change to be reviewed: the rules are evaluated on the
    dataset as the change would make it, and say whether legal review is needed."""
    with transaction.atomic():
        change = _lock(change, expected_version)
        _guard("submit_change", change, by)
        evaluation = evaluate(change)
        reasons = review_reasons(change, evaluation)
        change.submitted_by, change.signed_off_by, change.ethics_outcome = by, None, ""
        change.needs_legal, change.review_reasons = bool(reasons), [str(reason) for reason in reasons]
        change.outcome = evaluation.outcome
        _save(change, by=by, action="submitted", state=C.IN_REVIEW,
              fields=["submitted_by", "signed_off_by", "needs_legal", "review_reasons", "outcome",
                      "ethics_outcome"])  # fmt: skip
        text = _("zur Prüfung eingereicht; Vorschlag der Regeln.")
        if reasons:
            text += " " + _("Rechtsprüfung nötig: %(reasons)s.") % {"reasons": "; ".join(change.review_reasons)}
        decision = _decide(change, by=by, kind=DecisionKind.REVIEW, outcome=evaluation.outcome, reasons=text,
                           evaluation=evaluation)  # fmt: skip
        _notify(change)
    return decision


def sign_off_change(change: DatasetChange, *, by, expected_version: int | None, reasons: str = "") -> Decision:
    """The data owner agrees. Without a legal review to follow, the change is applied."""
    with transaction.atomic():
        change = _lock(change, expected_version)
        _guard("sign_off_change", change, by)
        evaluation = evaluate(change)
        if review_reasons(change, evaluation) and not change.needs_legal:
            change.needs_legal = True  # the rules in force changed since submission
        change.signed_off_by = by
        text = reasons.strip() or _("Freigabe durch die Dateneigentümerin oder den Dateneigentümer.")
        if change.needs_legal:
            stage = C.ETHICS_REVIEW if needs_board(change, evaluation) else C.LEGAL_REVIEW
            _save(change, by=by, action="signed_off", state=stage, fields=["signed_off_by", "needs_legal"])
            decision = _decide(change, by=by, kind=DecisionKind.REVIEW, outcome=DecisionOutcome.APPROVED,
                               reasons=text, evaluation=evaluation)  # fmt: skip
            _notify(change)
        else:
            _save(change, by=by, action="signed_off", fields=["signed_off_by", "needs_legal"])
            decision = _approve(change, by=by, evaluation=evaluation, reasons=text)
    return decision


ETHICS_STEP = Transition(
    "change_ethics_outcome",
    gettext_lazy("Ergebnis der Ethikprüfung"),
    states=(C.ETHICS_REVIEW,),
    roles=(Role.ETHICS_BOARD_MEMBER,),
    four_eyes=True,
    fields=("outcome", "reasons"),
    reason_required=True,
    state_message=gettext_lazy("Die Änderung ist nicht in der Ethikprüfung (jetzt: %(state)s)."),
    four_eyes_message=FOUR_EYES,
)


def record_ethics_outcome(change: DatasetChange, *, by, outcome: str, reasons: str, conditions=()) -> Decision:
    """The board's outcome on the change's new data (ethics.services.close_review calls it
    on behalf of the member who closed the review): approved, with or without conditions,
    goes on to legal review; "revise" and a rejection return the change to the steward."""
    reasons = _require_reasons(reasons)
    if outcome not in ETHICS_DECISION:
        raise ValidationError({"outcome": _("Bitte wählen Sie das Ergebnis der Ethikprüfung.")})
    with transaction.atomic():
        change = _lock(change, None)
        refusal = transitions.judge(
            ETHICS_STEP, state=change.state, state_label=change.get_state_display(),
            roles=roles_held(by, change.dataset.publisher), user_id=by.pk, involved=lambda: involved(change),
            organisation=change.dataset.publisher,
        )  # fmt: skip
        transitions.guard(refusal, conflict=WorkflowError, forbidden=WorkflowRefused)
        stage = C.LEGAL_REVIEW if outcome in (EthicsOutcome.APPROVED, EthicsOutcome.CONDITIONS) else C.RETURNED
        change.ethics_outcome = outcome
        _save(change, by=by, action="ethics_decided", state=stage, fields=["ethics_outcome"], note=outcome)
        extra = {"conditions": list(conditions)} if conditions else {}
        decision = _decide(change, by=by, kind=DecisionKind.ETHICS, outcome=ETHICS_DECISION[outcome],
                           reasons=reasons, **extra)  # fmt: skip
        _notify(change)
    return decision


def approve_change(
    change: DatasetChange,
    *,
    by,
    expected_version: int | None,
    confirmed: bool = False,
    reasons: str = "",
    release_at=None,
) -> Decision:
    """The legal reviewer approves: the rules are evaluated once more on the changed
    dataset; every new table must have passed its checks first. With a `release_at`
    (Sperrfrist) the change waits, invisible, and is applied then (release_due_changes)."""
    if release_at is not None:
        release_at = check_release_at(release_at)
    with transaction.atomic():
        change = _lock(change, expected_version)
        _guard("approve_change", change, by)
        evaluation = evaluate(change)
        needs_confirmation = bool(evaluation.blocks) or any(r in evaluation.reviews for r in CONFIRMED_REVIEWS)
        if needs_confirmation and not confirmed:
            raise ValidationError(
                {
                    "confirmed": _(
                        "Bitte bestätigen Sie die Ausschlussgründe und die erforderlichen Prüfungen, bevor Sie "
                        "freigeben."
                    )
                }
            )
        decision = _approve(change, by=by, evaluation=evaluation, release_at=release_at,
                            reasons=reasons.strip() or _("Rechtlich geprüft und freigegeben."))  # fmt: skip
    return decision


def _approve(change: DatasetChange, *, by, evaluation, reasons: str, release_at=None) -> Decision:
    """The last review is given: check that the changed dataset may be published in the
    form it is, then apply the change, or schedule it (inside the caller's transaction)."""
    outcome = _admissible(change, evaluation)
    change.approved_by = by
    if release_at is not None:
        change.release_at = release_at
        _save(change, by=by, action="scheduled", state=C.SCHEDULED, fields=["approved_by", "release_at"],
              note=timezone.localtime(release_at).isoformat())  # fmt: skip
        reasons += " " + _("Sperrfrist: Übernahme am %(time)s.") % {"time": release_label(release_at)}
    else:
        _save(change, by=by, action="approved", fields=["approved_by"])
        apply_change(change, by=by, evaluation=evaluation)
    return _decide(change, by=by, kind=DecisionKind.PUBLICATION, outcome=outcome, reasons=reasons,
                   evaluation=evaluation)  # fmt: skip


def _admissible(change: DatasetChange, evaluation) -> str:
    """The outcome the changed dataset gets; a WorkflowError if it may not go public so."""
    waiting = unchecked_files(change)
    if waiting:
        raise WorkflowError(
            _("Die Prüfung der Datei „%(title)s“ ist noch nicht abgeschlossen; bitte später freigeben.")
            % {"title": waiting[0].title}
        )
    if needs_board(change, evaluation) and change.ethics_outcome not in (
        EthicsOutcome.APPROVED,
        EthicsOutcome.CONDITIONS,
    ):
        raise WorkflowError(_("Der Datenethikbeirat muss zuerst über die neuen Daten entscheiden."))
    outcome = final_outcome(evaluation)
    if outcome == PENDING:
        raise WorkflowError(
            _("Die Regeln konnten nicht vollständig ausgewertet werden; bitte die Klassifizierung ergänzen.")
        )
    dataset = change.dataset
    if outcome not in PUBLISHABLE_FORMS or (
        dataset.publication_outcome and outcome != dataset.publication_outcome and outcome != "open"
    ):
        raise WorkflowError(
            _(
                "Mit dieser Änderung ergäben die Regeln „%(outcome)s“ statt der freigegebenen Form; bitte geben Sie "
                "die Änderung zur Überarbeitung zurück."
            )
            % {"outcome": dict(DecisionOutcome.choices).get(outcome, outcome)}
        )
    return outcome


def release_change(change_id: int, *, now=None) -> Decision | None:
    """Apply a scheduled change whose release time has come, in the name of the legal
    reviewer who set the time. Locked with SKIP LOCKED and checked again, so running it
    twice or side by side applies it once. If the rules in force meanwhile forbid it, the
    change goes back to the steward instead, with the reason."""
    now = now or timezone.now()
    with transaction.atomic():
        change = (
            DatasetChange.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("dataset__publisher", "dataset__current_classification", "approved_by")
            .filter(pk=change_id, state=C.SCHEDULED, release_at__lte=now)
            .first()
        )
        if change is None:
            return None
        transitions.lock(Dataset.objects.all(), change.dataset_id)
        by = change.approved_by
        evaluation = evaluate(change)
        try:
            outcome = _admissible(change, evaluation)
        except WorkflowError as error:
            _save(change, by=None, action="returned", state=C.RETURNED, note=_("Sperrfrist"))
            return _decide(change, by=None, kind=DecisionKind.REVIEW, outcome=DecisionOutcome.RETURNED,
                           reasons=_("Zum Termin nicht übernommen: %(reason)s") % {"reason": error})  # fmt: skip
        apply_change(change, by=by, evaluation=evaluation)
        return _decide(
            change, by=by, kind=DecisionKind.PUBLICATION, outcome=outcome, evaluation=evaluation,
            reasons=_("Zum festgelegten Termin (%(time)s) übernommen (Sperrfrist).")
            % {"time": release_label(change.release_at)},
        )  # fmt: skip


def release_due_changes(*, now=None) -> int:
    """Apply every scheduled change that is due (catalog.tasks.release_due); one that
    fails is logged and stays due. Returns how many were applied."""
    now = now or timezone.now()
    released = 0
    due = DatasetChange.objects.filter(state=C.SCHEDULED, release_at__lte=now).order_by("release_at", "pk")
    for change_id in due.values_list("pk", flat=True):
        try:
            decision = release_change(change_id, now=now)
        except Exception:
            logger.exception("Release of change %s failed; it stays due.", change_id)
            continue
        released += decision is not None and decision.kind == DecisionKind.PUBLICATION
    return released


def apply_change(change: DatasetChange, *, by, evaluation) -> Dataset:
    """Make the approved change the dataset's state: its metadata, its files (a
    replacement keeps the identifier of the file it replaces, so links stay), and what
    the decision now rests on. Inside the caller's transaction, rows locked."""
    dataset = Dataset.objects.select_for_update(of=("self",)).get(pk=change.dataset_id)
    services.apply_values(dataset, change.proposed)
    dataset.full_clean(validate_unique=False)
    dataset.publication_basis = basis_of(evaluation)
    dataset.rereview_on = evaluation.rereview_on or dataset.rereview_on
    transitions.save(dataset, by=by, reason="catalog.change.applied", note=str(change.number))
    services.set_keywords_and_themes(dataset, change.proposed.get("keywords"), change.proposed.get("themes"))
    change_applying.send(sender=DatasetChange, change=change, by=by)
    for distribution in change.removed_distributions.filter(status=DistributionStatus.CURRENT):
        services.delete_distribution(distribution, by=by, reason="catalog.change.distribution_removed")
    for distribution in change.added_distributions.filter(status=DistributionStatus.PROPOSED).select_related(
        "replaces"
    ):
        old = distribution.replaces
        if old is not None and old.status == DistributionStatus.CURRENT:
            identifier = old.identifier
            services.delete_distribution(old, by=by, reason="catalog.change.distribution_replaced")
            distribution.identifier, distribution.replaces = identifier, None
        distribution.status = DistributionStatus.CURRENT
        distribution._history_user = by
        distribution._change_reason = "catalog.change.distribution_approved"
        distribution.save()
    change.applied_at = timezone.now()
    _save(change, by=by, action="applied", state=C.APPLIED, fields=["applied_at"])
    return dataset


def return_change(change: DatasetChange, *, by, expected_version: int | None, reasons: str) -> Decision:
    reasons = _require_reasons(reasons)
    with transaction.atomic():
        change = _lock(change, expected_version)
        _guard("return_change", change, by)
        _save(change, by=by, action="returned", state=C.RETURNED)
        decision = _decide(change, by=by, kind=DecisionKind.REVIEW, outcome=DecisionOutcome.RETURNED,
                           reasons=reasons)  # fmt: skip
        _notify(change)
    return decision


def discard_change(change: DatasetChange, *, by, expected_version: int | None, reasons: str = "") -> None:
    """The steward gives the change up: its proposed files go, the public state stays."""
    with transaction.atomic():
        change = _lock(change, expected_version)
        _guard("discard_change", change, by)
        for distribution in change.added_distributions.filter(status=DistributionStatus.PROPOSED):
            services.delete_distribution(distribution, by=by, reason="catalog.change.discarded")
        _save(change, by=by, action="discarded", state=C.DISCARDED, person_text=reasons)


NEXT_STEP = {
    ChangeState.OPEN: gettext_lazy("Einreichen durch die Datenverantwortlichen"),
    ChangeState.IN_REVIEW: gettext_lazy("Freigabe durch die Dateneigentümerin oder den Dateneigentümer"),
    ChangeState.ETHICS_REVIEW: gettext_lazy("Ethikprüfung durch den Datenethikbeirat"),
    ChangeState.LEGAL_REVIEW: gettext_lazy("rechtliche Prüfung durch die Rechtsprüfung"),
    ChangeState.RETURNED: gettext_lazy("Überarbeitung und erneutes Einreichen durch die Datenverantwortlichen"),
    ChangeState.APPLIED: gettext_lazy("nichts – die Änderung ist im Open-Data-Portal"),
}


def next_step(change: DatasetChange) -> str:
    """What happens next to a change and who does it, for the message after a step
    (the dataset's own steps: catalog.workflow.next_step)."""
    if change.state == ChangeState.SCHEDULED and change.release_at:
        return _("automatische Übernahme am %(time)s") % {"time": release_label(change.release_at)}
    if change.state == ChangeState.APPLIED and change.dataset.state != DatasetState.PUBLISHED:
        return _("nichts – die Änderung ist übernommen")
    return str(NEXT_STEP.get(change.state, ""))


def perform(action: str, change: DatasetChange, *, by, data: dict):
    """Run a step by name with the cleaned data of catalog.forms.TransitionForm."""
    version = data.get("expected_version")
    reasons = data.get("reasons", "")
    if action == "submit_change":
        return submit_change(change, by=by, expected_version=version)
    if action == "sign_off_change":
        return sign_off_change(change, by=by, expected_version=version, reasons=reasons)
    if action == "approve_change":
        return approve_change(change, by=by, expected_version=version, confirmed=data.get("confirmed", False),
                              reasons=reasons, release_at=data.get("release_at"))  # fmt: skip
    if action == "return_change":
        return return_change(change, by=by, expected_version=version, reasons=reasons)
    if action == "discard_change":
        return discard_change(change, by=by, expected_version=version, reasons=reasons)
    raise WorkflowError(_("Unbekannte Aktion."))


# ---------------------------------------------------------------------------
# A public file with small cells leaves the public at once


def block_distribution(distribution: Distribution, *, reasons: str) -> bool:
    """Take a current file of a published dataset off every public output now (status
    BLOCKED), and open review of the dataset: the legal reviewer decides whether it may
    stay published without the file, owner and legal get a task and a mail. Only where
    the finding matters: if the rules in force give the same basis with it (small cells
    in data without personal reference), the file stays. Returns whether anything was
    blocked (a file already blocked or not public: nothing)."""
    with transaction.atomic():
        locked = (
            Distribution.objects.select_for_update(of=("self",))
            .select_related("dataset__publisher", "dataset__current_classification")
            .get(pk=distribution.pk)
        )
        if locked.status != DistributionStatus.CURRENT or locked.dataset.state not in services.CONTROLLED_STATES:
            return False  # not public: a fact for the rules when the dataset is submitted
        if basis_of(decide(locked.dataset)) == locked.dataset.publication_basis:
            return False  # the rules in force do not weigh small cells here (e.g. no personal reference)
        if locked.dataset.state == DatasetState.APPROVED:
            # Not public yet: the finding is a fact for the rules, and the approval is reviewed again.
            start_rereview(locked.dataset, by=None, reasons=reasons, check_role=False)
            return False
        locked.status = DistributionStatus.BLOCKED
        locked._history_user = None
        locked._change_reason = "catalog.distribution.blocked"
        locked.save(update_fields=["status", "modified"])
        start_rereview(locked.dataset, by=None, reasons=reasons, check_role=False)
        transaction.on_commit(lambda: notify_blocked(locked.pk, reasons))
    return True


def role_holders(organisation: Organisation, *roles) -> list:
    """Active people holding one of `roles` in the organisation or one above it (a role
    covers the units below), deputies included, with a mail address."""
    chain, current = [], organisation
    while current is not None and current.pk not in chain:
        chain.append(current.pk)
        current = Organisation.objects.filter(pk=current.parent_id).first() if current.parent_id else None
    user_ids = RoleAssignment.objects.active().filter(role__in=roles, organisation__in=chain).values("user")
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="").order_by("pk"))


def _mail(people, subject: str, lines: list, url: str) -> int:
    messages = []
    for user in people:
        body = [_("Guten Tag %(name)s,") % {"name": user.get_full_name() or user.get_username()}, "", *lines, "",
                f"{settings.SITE_URL}{url}", "",
                _("Diese Nachricht hat Stadtdaten automatisch versandt. Ihre offenen Aufgaben finden Sie unter "
                  "„Meine Aufgaben“.")]  # fmt: skip
        messages.append((subject, "\n".join(str(line) for line in body), settings.DEFAULT_FROM_EMAIL, [user.email]))
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def notify_blocked(distribution_id: int, reasons: str) -> int:
    distribution = Distribution.objects.select_related("dataset__publisher").filter(pk=distribution_id).first()
    if distribution is None:
        return 0
    dataset = distribution.dataset
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Datei gesperrt: %(title)s – %(dataset)s") % {"title": distribution.title, "dataset": dataset}
        lines = [
            _(
                "die Datei „%(title)s“ des Datensatzes „%(dataset)s“ (%(organisation)s) wurde aus allen öffentlichen "
                "Angeboten genommen: %(reasons)s"
            )
            % {
                "title": distribution.title,
                "dataset": dataset.title,
                "organisation": dataset.publisher,
                "reasons": reasons,
            },
            _(
                "Bitte prüfen Sie den Datensatz: Die Rechtsprüfung bestätigt, ob er ohne die Datei veröffentlicht "
                "bleibt; die Datei kann durch eine geprüfte Fassung ersetzt werden."
            ),
        ]
        people = role_holders(dataset.publisher, Role.OWNER, Role.LEGAL_REVIEWER)
        return _mail(people, subject, lines, dataset.get_absolute_url())


# ---------------------------------------------------------------------------
# Tasks and mail


TASK_LABELS = {
    C.RETURNED: gettext_lazy("Änderung überarbeiten und erneut einreichen"),
    C.IN_REVIEW: gettext_lazy("Änderung freigeben (Dateneigentümer:in)"),
    C.LEGAL_REVIEW: gettext_lazy("Änderung rechtlich prüfen"),
}
# The board's task is the ethics review itself (the ethics app's inbox and mail).
TASK_ROLES = {C.RETURNED: Role.STEWARD, C.IN_REVIEW: Role.OWNER, C.LEGAL_REVIEW: Role.LEGAL_REVIEWER}


def _notify(change: DatasetChange) -> None:
    state, version = change.state, change.version
    transaction.on_commit(lambda: notify_change(change.pk, state, version))


def notify_change(change_id: int, state: str, version: int) -> int:
    """Mail the people the change now waits for; nothing if it has moved on."""
    change = DatasetChange.objects.select_related("dataset__publisher").filter(pk=change_id).first()
    if change is None or change.state != state or change.version != version or state not in TASK_ROLES:
        return 0
    people = role_holders(change.dataset.publisher, TASK_ROLES[state])
    if state != C.RETURNED:
        excluded = involved(change)
        people = [person for person in people if person.pk not in excluded]
    with translation.override(settings.LANGUAGE_CODE):
        label = TASK_LABELS[state]
        subject = _("Neue Aufgabe: %(task)s – %(title)s") % {"task": label, "title": change.dataset.title}
        lines = [
            _("für den Datensatz „%(title)s“ (%(organisation)s) wartet eine Aufgabe auf Sie: %(task)s.")
            % {"title": change.dataset.title, "organisation": change.dataset.publisher, "task": label}
        ]
        return _mail(people, subject, lines, change.get_absolute_url())


def waiting_changes_for(user):
    """The pending changes that wait for `user`, by role in the publisher's organisation."""

    def orgs(role):
        return organisations_with_role(user, role).values("pk")

    # The four-eyes set of involved(), as SQL: the user and whoever they stand in for or
    # who stands in for them (one query), then one query however many changes wait.
    people = linked_people(user)
    not_involved = (
        ~Q(editors__in=people)
        & ~Q(submitted_by__in=people)
        & ~Q(created_by__in=people)
        & ~Q(dataset__current_classification__classified_by__in=people)
    )
    changes = DatasetChange.objects.filter(
        Q(state=C.RETURNED, dataset__publisher__in=orgs(Role.STEWARD))
        | Q(state=C.IN_REVIEW, dataset__publisher__in=orgs(Role.OWNER)) & not_involved
        | Q(state=C.LEGAL_REVIEW, dataset__publisher__in=orgs(Role.LEGAL_REVIEWER))
        & not_involved
        & ~Q(signed_off_by__in=people)
    ).select_related("dataset__publisher")
    return list(changes.order_by("state_changed_at", "pk"))


BLOCKED_TASK = gettext_lazy("Gesperrte Datei ersetzen oder entfernen")


def blocked_files_for(user):
    """Blocked files of published datasets: their owner and steward decide what replaces them."""
    organisations = organisations_with_role(user, Role.OWNER, Role.STEWARD).values("pk")
    return (
        Distribution.objects.filter(status=DistributionStatus.BLOCKED, dataset__publisher__in=organisations)
        .select_related("dataset__publisher")
        .order_by("modified", "pk")
    )


def tasks_for(user) -> list[Task]:
    """The task inbox's pending changes and blocked files (registered in catalog.apps)."""
    if not user.is_authenticated:
        return []
    today = timezone.localdate()
    tasks = []
    for distribution in blocked_files_for(user):
        dataset, due = distribution.dataset, due_after(distribution.modified)
        tasks.append(Task(f"{dataset.title}: {distribution.title}", dataset.get_absolute_url() + "#distributionen",
                          BLOCKED_TASK, dataset.publisher.name, distribution.modified, due,
                          bool(due and due < today), subject=dataset))  # fmt: skip
    for change in waiting_changes_for(user):
        since = change.state_changed_at or change.modified
        due = due_after(since)
        label, organisation = TASK_LABELS[change.state], change.dataset.publisher.name
        overdue = bool(due and due < today)
        tasks.append(Task(change.dataset.title, change.get_absolute_url(), label, organisation, since, due, overdue,
                          subject=change))  # fmt: skip
    return tasks
