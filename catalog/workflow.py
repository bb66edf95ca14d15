"""The publication workflow: the only code that changes `Dataset.state`. Views, the API
and tasks call these transitions alike.

    draft/returned/withdrawn ─submit─▶ in_review ─sign_off─▶ [ethics_review ─board─▶] legal_review
    (ethics_review: the ethics app opens a review on `dataset_state_changed`; the board's
    vote closes it and calls record_ethics_outcome; "revise" returns the dataset)
    legal_review ─approve/refuse─▶ approved ─publish─▶ published ─withdraw─▶ withdrawn
    approved with a release time (Sperrfrist) ─release (catalog.tasks.release_due, as the
    approver)─▶ published; until then no one publishes by hand, legal may reschedule
    in_review/ethics_review/legal_review/approved ─return─▶ returned (reasons mandatory)
    published/approved ─rereview─▶ review again (a published dataset whose outcome is
    no longer open is unpublished at once)

The steps are declared once (core.transitions.Transition, in TRANSITIONS) and judged in
one place, `judgement()`: the pages, the REST API and the transitions themselves ask it.
A refusal for a missing role or four eyes is 403, one for the state, an unmet condition
or a stale version is a conflict (409 in the API, a message on the page).

Every transition has the same shape: guard → atomic → lock (select_for_update, the
expected version) → judge again → mutate → save(update_fields) → history reason
"catalog.workflow.<action>" → Decision (and through it an AuditEvent) → mail after
commit. Two people acting on the same version get one transition and one ConflictError.

The decision engine (`dataset_facts`, `decide`) lives in catalog.engine, the task
inbox in catalog.inbox.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import transitions
from core.transitions import STATE, Refusal, Transition
from core.transitions import require_reasons as _require_reasons
from governance import services as governance
from governance.models import Decision, DecisionKind, DecisionOutcome, Role
from governance.permissions import roles_held, with_principals_and_deputies
from governance.rules import PENDING, ReviewRole, RuleEvaluation
from governance.vocabularies import PublicationForm

from .engine import (
    CONFIRMED_REVIEWS,
    NON_PUBLIC_FORMS,
    OPEN,
    PUBLISHABLE_FORMS,
    basis_of,
    decide,
    final_outcome,
    needs_ethics_board,
)
from .errors import ConflictError, WorkflowError, WorkflowRefused
from .models import (
    Confidentiality,
    Dataset,
    DatasetState,
    EthicsOutcome,
    PersonalDataStatus,
    ProtectionNeed,
    SpatialGranularity,
    TemporalGranularity,
)
from .services import classify_dataset
from .signals import dataset_state_changed

S = DatasetState
logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Who may do what


ROLE_STAGE = {S.IN_REVIEW: Role.OWNER, S.LEGAL_REVIEW: Role.LEGAL_REVIEWER, S.APPROVED: Role.LEGAL_REVIEWER}
PUBLISHERS = (Role.STEWARD, Role.OWNER, Role.LEGAL_REVIEWER)
FOUR_EYES = gettext_lazy(
    "Vier-Augen-Prinzip: Wer den Datensatz eingestuft, eingereicht oder schon freigegeben hat – oder diese Person "
    "vertritt oder von ihr vertreten wird –, kann ihn nicht selbst prüfen oder freigeben."
)

TRANSITIONS = transitions.table(
    Transition("submit", gettext_lazy("Zur Prüfung einreichen"), states=(S.DRAFT, S.RETURNED, S.WITHDRAWN),
               target=S.IN_REVIEW, roles=(Role.STEWARD,), fields=(), primary=True),
    # On to the ethics board or to legal review, as the rules say.
    Transition("sign_off", gettext_lazy("Als Dateneigentümer:in freigeben"), states=(S.IN_REVIEW,),
               roles=(Role.OWNER,), primary=True),
    # With a release time (Sperrfrist), catalog.tasks.release_due publishes it then.
    Transition("approve", gettext_lazy("Rechtlich freigeben"), states=(S.LEGAL_REVIEW,), target=S.APPROVED,
               roles=(Role.LEGAL_REVIEWER,), four_eyes=True, primary=True, four_eyes_message=FOUR_EYES,
               fields=("confirmed", "release_at", "confirm_alternative", "reasons")),
    Transition("refuse", gettext_lazy("Veröffentlichung ablehnen"), states=(S.LEGAL_REVIEW,), target=S.APPROVED,
               roles=(Role.LEGAL_REVIEWER,), four_eyes=True, reason_required=True,
               fields=("outcome", "grounds", "rereview_on", "reasons"), four_eyes_message=FOUR_EYES),
    # The stage decides who returns.
    Transition("return", gettext_lazy("Zur Überarbeitung zurückgeben"),
               states=(S.IN_REVIEW, S.LEGAL_REVIEW, S.APPROVED), target=S.RETURNED,
               roles=(Role.OWNER, Role.LEGAL_REVIEWER), stage_roles=ROLE_STAGE, reason_required=True),
    Transition("publish", gettext_lazy("Veröffentlichen"), states=(S.APPROVED,), target=S.PUBLISHED,
               roles=PUBLISHERS, fields=("confirm_alternative", "reasons"), primary=True),
    # Only while a release time is set; without one (lifted) the steward publishes by hand.
    Transition("reschedule", gettext_lazy("Sperrfrist ändern oder aufheben"), states=(S.APPROVED,),
               roles=(Role.LEGAL_REVIEWER,), four_eyes=True, reason_required=True, fields=("release_at", "reasons"),
               four_eyes_message=FOUR_EYES),
    Transition("confirm_rereview", gettext_lazy("Veröffentlichung nach erneuter Prüfung bestätigen"),
               states=(S.PUBLISHED,), roles=(Role.LEGAL_REVIEWER,), four_eyes=True, primary=True,
               four_eyes_message=FOUR_EYES),
    # A published dataset stays on the portal or is unpublished at once, as the rules say.
    Transition("rereview", gettext_lazy("Erneute Prüfung veranlassen"), states=(S.PUBLISHED, S.APPROVED),
               roles=PUBLISHERS, reason_required=True),
    Transition("withdraw", gettext_lazy("Veröffentlichung zurückziehen"), states=(S.PUBLISHED,), target=S.WITHDRAWN,
               roles=PUBLISHERS, reason_required=True),
)  # fmt: skip

# Not a step anyone takes by hand: the ethics board's vote (record_ethics_outcome).
ETHICS_OUTCOME = Transition(
    "ethics_outcome",
    gettext_lazy("Ergebnis der Ethikprüfung"),
    states=(S.ETHICS_REVIEW,),
    roles=(Role.ETHICS_BOARD_MEMBER,),
    four_eyes=True,
    fields=("outcome", "reasons"),
    reason_required=True,
    state_message=gettext_lazy("Der Datensatz ist nicht in der Ethikprüfung (jetzt: %(state)s)."),
    four_eyes_message=gettext_lazy(
        "Vier-Augen-Prinzip: Wer den Datensatz eingestuft, eingereicht oder freigegeben hat – oder diese Person "
        "vertritt –, entscheidet nicht mit."
    ),
)


def involved_user_ids(dataset: Dataset, also=()) -> set[int]:
    """The four-eyes set: who acted on the dataset in this review round (acted_on_round)
    and the people in `also`, with their principals and deputies for the round (a deputy
    and the person they stand in for are one person here). Three queries."""
    since = _round_started_at(dataset)
    return with_principals_and_deputies(acted_on_round(dataset, since) | set(also), since=since)


def acted_on_round(dataset: Dataset, since=None) -> set[int]:
    """Who submitted the dataset, classified it, or signed it off since it was last
    submitted (`since`): none of them reviews or decides it."""
    ids = {dataset.submitted_by_id}
    if dataset.current_classification is not None:
        ids.add(dataset.current_classification.classified_by_id)
    if since is not None:
        ids |= set(
            Decision.objects.filter(
                subject_type=ContentType.objects.get_for_model(Dataset),
                subject_id=str(dataset.pk),
                kind=DecisionKind.REVIEW,
                outcome=DecisionOutcome.APPROVED,
                decided_at__gte=since,
            ).values_list("actor", flat=True)
        )
    return ids - {None}


def _round_started_at(dataset: Dataset):
    """When the dataset was last submitted (None if never: then nobody signed it off)."""
    return (
        dataset.history.filter(history_change_reason__startswith="catalog.workflow.submitted")
        .order_by("-history_date")
        .values_list("history_date", flat=True)
        .first()
    )


def _conditions(action: str, dataset: Dataset) -> list[str | None]:
    """What else a step needs of the dataset (refused as its state)."""
    if action == "submit" and dataset.current_classification_id is None:
        return [_("Bitte klassifizieren Sie den Datensatz, bevor Sie ihn einreichen.")]
    if action == "publish" and dataset.publication_outcome not in PUBLISHABLE_FORMS:
        return [
            _("Nach der Entscheidung „%(outcome)s“ wird der Datensatz nicht veröffentlicht.")
            % {"outcome": dataset.get_publication_outcome_display()}
        ]
    if action == "publish" and dataset.release_at is not None and dataset.release_at > timezone.now():
        return [
            _(
                "Sperrfrist bis %(time)s: Der Datensatz wird dann automatisch veröffentlicht und ist bis dahin "
                "nirgends öffentlich."
            )
            % {"time": release_label(dataset.release_at)}
        ]
    if action == "reschedule" and dataset.release_at is None:
        return [_("Für diesen Datensatz ist keine Sperrfrist gesetzt.")]
    if action == "confirm_rereview" and dataset.rereview_requested_at is None:
        return [_("Für diesen Datensatz ist keine erneute Prüfung offen.")]
    return []


def _judge(transition: Transition, dataset: Dataset, user, roles, conditions=()) -> Refusal | None:
    return transitions.judge(
        transition,
        state=dataset.state,
        state_label=dataset.get_state_display(),
        roles=roles_held(user, dataset.publisher) if roles is None else roles,
        user_id=user.pk,
        involved=lambda: involved_user_ids(dataset),
        organisation=dataset.publisher,
        conditions=conditions,
    )


def judgement(action: str, dataset: Dataset, user, *, roles: set | None = None) -> Refusal | None:
    """Whether `user` may take the step `action` on `dataset` now: None, or a Refusal
    whose kind says whether it is theirs to take at all (role, four eyes: 403) or not now
    (state, conditions: 409). `roles` are the roles the user holds for the publisher, if
    already known. Pages, the API and the transitions all ask here."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return Refusal(STATE, _("Unbekannte Aktion."))
    return _judge(transition, dataset, user, roles, _conditions(action, dataset))


def refusal(action: str, dataset: Dataset, user, *, roles: set | None = None) -> str | None:
    """Why `user` may not take the step now (a German message), or None."""
    found = judgement(action, dataset, user, roles=roles)
    return None if found is None else found.message


def available_transitions(dataset: Dataset, user, *, roles: set | None = None) -> list[Transition]:
    roles = roles_held(user, dataset.publisher) if roles is None else roles
    return [t for action, t in TRANSITIONS.items() if judgement(action, dataset, user, roles=roles) is None]


# ---------------------------------------------------------------------------
# The transitions


def _lock(dataset: Dataset, expected_version: int | None) -> Dataset:
    return transitions.lock(
        Dataset.objects.select_related("publisher", "current_classification"),
        dataset.pk,
        expected_version=expected_version,
        message=lambda locked: (
            _(
                "Der Datensatz wurde inzwischen von jemand anderem bearbeitet oder entschieden "
                "(jetzt: %(state)s). Bitte laden Sie die Seite neu."
            )
            % {"state": locked.get_state_display()}
        ),
        conflict=ConflictError,
    )


def _raise(refusal: Refusal | None) -> None:
    transitions.guard(refusal, conflict=WorkflowError, forbidden=WorkflowRefused)


def _guard(action: str, dataset: Dataset, by) -> None:
    _raise(judgement(action, dataset, by))


def _save(
    dataset: Dataset, *, by, action: str, state: str | None = None, fields=(), note: str = "", person_text: str = ""
) -> None:
    old_state = transitions.save(
        dataset, by=by, reason=f"catalog.workflow.{action}", note=note, person_text=person_text, fields=fields,
        state=state, changed_at="state_changed_at",
    )  # fmt: skip
    if dataset.state != old_state:
        dataset_state_changed.send(sender=Dataset, dataset=dataset, old_state=old_state, new_state=dataset.state, by=by)


def _decide(dataset: Dataset, *, by, kind, outcome, reasons="", evaluation=None, **extra) -> Decision:
    return governance.record_decision(
        kind=kind,
        subject=dataset,
        outcome=outcome,
        actor=by,
        reasons=reasons,
        evaluation=evaluation,
        classification=dataset.current_classification,
        **extra,
    )


def _notify(dataset: Dataset) -> None:
    # The one sanctioned lazy edge: catalog.tasks wraps the workflow (and its mail).
    from .tasks import notify_assignment

    notify_assignment.delay_on_commit(dataset.pk, dataset.state, dataset.version)


def _review_state(dataset: Dataset, evaluation: RuleEvaluation) -> str:
    """Ethics-flagged datasets go to the board first; legal review never comes before its outcome."""
    if needs_ethics_board(evaluation) and not dataset.ethics_outcome:
        return S.ETHICS_REVIEW
    return S.LEGAL_REVIEW


def submit(dataset: Dataset, *, by, expected_version: int | None) -> Decision:
    """The steward asks for a publication decision: the engine evaluates the current
    classification against the rules in force and its outcome is recorded."""
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("submit", dataset, by)
        dataset.ethics_outcome = ""
        evaluation = decide(dataset)
        dataset.submitted_by = by
        dataset.publication_outcome = evaluation.outcome
        dataset.publication_basis = basis_of(evaluation)
        dataset.rereview_requested_at, dataset.rereview_reason = None, ""
        _save(
            dataset,
            by=by,
            action="submitted",
            state=S.IN_REVIEW,
            fields=["submitted_by", "publication_outcome", "publication_basis", "ethics_outcome",
                    "rereview_requested_at", "rereview_reason"],
        )  # fmt: skip
        decision = _decide(
            dataset,
            by=by,
            kind=DecisionKind.PUBLICATION,
            outcome=evaluation.outcome,
            reasons=_("Zur Prüfung eingereicht; Vorschlag der Regeln."),
            evaluation=evaluation,
        )
        _notify(dataset)
    return decision


def sign_off(dataset: Dataset, *, by, expected_version: int | None, reasons: str = "") -> Decision:
    """The data owner agrees; the dataset moves on to the ethics board (if the rules
    require it) or to legal review."""
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("sign_off", dataset, by)
        evaluation = decide(dataset)
        _save(dataset, by=by, action="signed_off", state=_review_state(dataset, evaluation))
        decision = _decide(
            dataset,
            by=by,
            kind=DecisionKind.REVIEW,
            outcome=DecisionOutcome.APPROVED,
            reasons=reasons.strip() or _("Freigabe durch die Dateneigentümerin oder den Dateneigentümer."),
            evaluation=evaluation,
        )
        _notify(dataset)
    return decision


ETHICS_DECISION = {
    EthicsOutcome.APPROVED: DecisionOutcome.APPROVED,
    EthicsOutcome.CONDITIONS: DecisionOutcome.APPROVED_WITH_CONDITIONS,
    EthicsOutcome.REVISE: DecisionOutcome.RETURNED,
    EthicsOutcome.REJECTED: DecisionOutcome.REJECTED,
}


def record_ethics_outcome(
    dataset: Dataset, *, by, expected_version: int | None, outcome: str, reasons: str, conditions=()
) -> Decision:
    """The board's outcome moves the dataset on. Not a step anyone takes by hand: the
    ethics app (ethics.services.close_review) calls it with the outcome of the board's
    vote, on behalf of the member who closed the review. "Überarbeiten" returns the
    dataset; every other outcome goes on to legal review, where a rejection blocks
    publication (R-ETHIK-VETO, exclusion ground ETHICS_BOARD_VETO)."""
    reasons = _require_reasons(reasons)
    if outcome not in ETHICS_DECISION:
        raise ValidationError({"outcome": _("Bitte wählen Sie das Ergebnis der Ethikprüfung.")})
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _raise(_judge(ETHICS_OUTCOME, dataset, by, None))
        if outcome == EthicsOutcome.REVISE:
            dataset.ethics_outcome = ""
            _save(dataset, by=by, action="ethics_returned", state=S.RETURNED, fields=["ethics_outcome"])
            evaluation = None
        else:
            dataset.ethics_outcome = outcome
            evaluation = decide(dataset)
            dataset.publication_outcome = evaluation.outcome
            dataset.publication_basis = basis_of(evaluation)
            _save(
                dataset,
                by=by,
                action="ethics_decided",
                state=S.LEGAL_REVIEW,
                fields=["ethics_outcome", "publication_outcome", "publication_basis"],
                note=outcome,
            )
        extra = {"conditions": list(conditions)} if conditions else {}
        decision = _decide(
            dataset, by=by, kind=DecisionKind.ETHICS, outcome=ETHICS_DECISION[outcome], reasons=reasons,
            evaluation=evaluation, **extra,
        )  # fmt: skip
        _notify(dataset)
    return decision


def approve(
    dataset: Dataset,
    *,
    by,
    expected_version: int | None,
    confirmed: bool = False,
    reasons: str = "",
    release_at: datetime | None = None,
    confirm_alternative: bool = False,
) -> Decision:
    """The legal reviewer (not the one who classified or submitted) makes the decision
    final. The rules are evaluated once more; a block's exclusion grounds and the
    reviews the app does not track (DPO, statistics office, ISB) need confirming.

    With a `release_at` (Sperrfrist) the dataset stays approved and invisible until
    then, and catalog.tasks.release_due publishes it in the reviewer's name. Nobody
    confirms anything at that moment: an aggregated or redacted form is confirmed now
    (`confirm_alternative`, as on publish), and no one is asked to publish."""
    if release_at is not None:
        release_at = check_release_at(release_at)
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("approve", dataset, by)
        evaluation = decide(dataset)
        if needs_ethics_board(evaluation) and not dataset.ethics_outcome:
            raise WorkflowError(_("Der Datenethikbeirat muss zuerst über diesen Datensatz entscheiden."))
        outcome = final_outcome(evaluation)
        if outcome == PENDING:
            raise WorkflowError(
                _("Die Regeln konnten nicht vollständig ausgewertet werden; bitte die Klassifizierung ergänzen.")
            )
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
        dataset.publication_outcome = outcome
        dataset.publication_basis = basis_of(evaluation)
        dataset.rereview_on = evaluation.rereview_on
        reasons = reasons.strip() or _("Rechtlich geprüft und freigegeben.")
        note = outcome
        if release_at is not None:
            _check_release_form(dataset, confirm_alternative)
            dataset.release_at, dataset.release_by = release_at, by
            reasons += " " + _("Sperrfrist: Veröffentlichung am %(time)s.") % {"time": release_label(release_at)}
            note = f"{outcome}, Sperrfrist {timezone.localtime(release_at).isoformat()}"
        _save(
            dataset,
            by=by,
            action="approved",
            state=S.APPROVED,
            fields=["publication_outcome", "publication_basis", "rereview_on", "release_at", "release_by"],
            note=note,
        )
        decision = _decide(
            dataset, by=by, kind=DecisionKind.PUBLICATION, outcome=outcome, reasons=reasons, evaluation=evaluation
        )
        if release_at is None:  # with a release time nobody is asked to publish
            _notify(dataset)
    return decision


def refuse(
    dataset: Dataset,
    *,
    by,
    expected_version: int | None,
    reasons: str,
    grounds,
    rereview_on: date | None,
    outcome: str = PublicationForm.CLOSED,
) -> Decision:
    """The legal reviewer refuses publication: the dataset stays internal or closed,
    with a confirmed exclusion ground and a re-review date (open by default: whoever
    keeps data closed says why and until when)."""
    reasons = _require_reasons(reasons)
    if outcome not in NON_PUBLIC_FORMS:
        raise ValidationError({"outcome": _("Bitte wählen Sie „nur intern“ oder „nicht veröffentlichungsfähig“.")})
    if not rereview_on or rereview_on <= timezone.localdate():
        raise ValidationError({"rereview_on": _("Bitte geben Sie eine Wiedervorlage in der Zukunft an.")})
    grounds = sorted(set(grounds or []))
    if not grounds:
        raise ValidationError({"grounds": _("Bitte nennen Sie mindestens einen Ausschlussgrund.")})
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("refuse", dataset, by)
        evaluation = decide(dataset)
        dataset.publication_outcome = outcome
        dataset.publication_basis = basis_of(evaluation)
        dataset.rereview_on = rereview_on
        _save(
            dataset,
            by=by,
            action="refused",
            state=S.APPROVED,
            fields=["publication_outcome", "publication_basis", "rereview_on"],
            note=outcome,
        )
        decision = _decide(
            dataset,
            by=by,
            kind=DecisionKind.PUBLICATION,
            outcome=outcome,
            reasons=reasons,
            evaluation=evaluation,
            exclusion_grounds=grounds,
            rereview_on=rereview_on,
        )
    return decision


def return_to_draft(dataset: Dataset, *, by, expected_version: int | None, reasons: str) -> Decision:
    """Send the dataset back to the steward, always with reasons."""
    reasons = _require_reasons(reasons)
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("return", dataset, by)
        dataset.ethics_outcome = ""
        dataset.release_at = dataset.release_by = None
        fields = ["ethics_outcome", "release_at", "release_by"]
        _save(dataset, by=by, action="returned", state=S.RETURNED, fields=fields)
        decision = _decide(dataset, by=by, kind=DecisionKind.REVIEW, outcome=DecisionOutcome.RETURNED, reasons=reasons)
        _notify(dataset)
    return decision


def publish(
    dataset: Dataset, *, by, expected_version: int | None, confirm_alternative: bool = False, reasons: str = ""
) -> Decision:
    """Put an approved dataset on the portal. Open: as it is. Aggregated or redacted:
    only when the person publishing confirms the distributions are in that form.
    Internal or closed: never."""
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("publish", dataset, by)
        _check_alternative_confirmed(dataset, confirm_alternative)
        decision = _publish(
            dataset, by=by, action="published", reasons=reasons.strip() or _("Veröffentlicht im Open-Data-Portal.")
        )
    return decision


def _check_alternative_confirmed(dataset: Dataset, confirmed: bool) -> None:
    if dataset.publication_outcome != OPEN and not confirmed:
        raise ValidationError(
            {
                "confirm_alternative": _(
                    "Bitte bestätigen Sie, dass die Distributionen nur in der freigegebenen Form "
                    "(„%(form)s“) vorliegen."
                )
                % {"form": dataset.get_publication_outcome_display()}
            }
        )


def _publish(dataset: Dataset, *, by, action: str, reasons: str) -> Decision:
    """Put the locked, approved dataset on the portal: the one code path of publishing
    by hand and of the release at its time. A release time still set is used up."""
    fields = ["release_at", "release_by"]
    dataset.release_at = dataset.release_by = None
    if dataset.issued is None:
        dataset.issued = timezone.now()
        fields.append("issued")
    _save(dataset, by=by, action=action, state=S.PUBLISHED, fields=fields)
    return _decide(
        dataset,
        by=by,
        kind=DecisionKind.PUBLICATION,
        outcome=dataset.publication_outcome,
        reasons=reasons,
        rereview_on=dataset.rereview_on,
    )


def withdraw(dataset: Dataset, *, by, expected_version: int | None, reasons: str) -> Decision:
    """Take a published dataset off the portal, with reasons."""
    reasons = _require_reasons(reasons)
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("withdraw", dataset, by)
        _save(dataset, by=by, action="withdrawn", state=S.WITHDRAWN)
        decision = _decide(
            dataset, by=by, kind=DecisionKind.PUBLICATION, outcome=DecisionOutcome.WITHDRAWN, reasons=reasons
        )
    return decision


def start_rereview(
    dataset: Dataset, *, by=None, reasons: str, expected_version: int | None = None, check_role: bool = True
) -> Decision | None:
    """Re-open review of an approved or published dataset (new classification, rules
    changed, re-review date reached, or asked for). The rules are evaluated again:
    a published dataset that may stay open stays on the portal until a legal reviewer
    confirms it; one whose outcome is no longer open is unpublished at once, and the
    Decision says why. Triggers of the system pass by=None and check_role=False.
    Returns None if the dataset is not approved or published (its review is open anyway)."""
    reasons = _require_reasons(reasons)
    # A person's reasons are their text; a trigger's are the system's note.
    said = {"person_text": reasons} if check_role else {"note": reasons}
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        if check_role:
            _guard("rereview", dataset, by)
        elif dataset.state not in (S.PUBLISHED, S.APPROVED):
            return None
        evaluation = decide(dataset)
        previous_reviews = set(dataset.publication_basis.get("reviews", []))
        still_open = (
            not evaluation.blocks and not evaluation.undecided and set(evaluation.required_reviews) <= previous_reviews
        )
        if dataset.state == S.PUBLISHED and still_open:
            dataset.rereview_requested_at = timezone.now()
            dataset.rereview_reason = reasons[:300]
            _save(
                dataset, by=by, action="rereview_requested", fields=["rereview_requested_at", "rereview_reason"],
                **said,
            )  # fmt: skip
            decision = _decide(
                dataset, by=by, kind=DecisionKind.REVIEW, outcome=evaluation.outcome, evaluation=evaluation,
                reasons=_("Erneute Prüfung: %(reasons)s") % {"reasons": reasons},
            )  # fmt: skip
        else:
            was_published = dataset.state == S.PUBLISHED
            dataset.publication_outcome = evaluation.outcome
            dataset.publication_basis = basis_of(evaluation)
            dataset.rereview_requested_at, dataset.rereview_reason = None, ""
            dataset.release_at = dataset.release_by = None  # a new review, a new release time if any
            _save(
                dataset,
                by=by,
                action="unpublished" if was_published else "rereview",
                state=_review_state(dataset, evaluation),
                fields=["publication_outcome", "publication_basis", "rereview_requested_at", "rereview_reason",
                        "release_at", "release_by"],
                **said,
            )  # fmt: skip
            if was_published:
                text = _("Veröffentlichung sofort aufgehoben, erneute Prüfung: %(reasons)s") % {"reasons": reasons}
            else:
                text = _("Erneute Prüfung: %(reasons)s") % {"reasons": reasons}
            decision = _decide(
                dataset,
                by=by,
                kind=DecisionKind.PUBLICATION if was_published else DecisionKind.REVIEW,
                outcome=evaluation.outcome,
                reasons=text,
                evaluation=evaluation,
            )
        _notify(dataset)
    return decision


def confirm_rereview(dataset: Dataset, *, by, expected_version: int | None, reasons: str = "") -> Decision:
    """A legal reviewer confirms that a published dataset stays open after re-review."""
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("confirm_rereview", dataset, by)
        evaluation = decide(dataset)
        if evaluation.blocks or evaluation.undecided:
            raise WorkflowError(_("Nach den Regeln darf der Datensatz nicht offen bleiben; bitte zurückgeben."))
        dataset.rereview_requested_at, dataset.rereview_reason = None, ""
        dataset.publication_basis = basis_of(evaluation)
        dataset.rereview_on = evaluation.rereview_on
        _save(
            dataset,
            by=by,
            action="rereview_confirmed",
            fields=["rereview_requested_at", "rereview_reason", "publication_basis", "rereview_on"],
        )
        decision = _decide(
            dataset,
            by=by,
            kind=DecisionKind.PUBLICATION,
            outcome=OPEN,
            reasons=reasons.strip() or _("Nach erneuter Prüfung bleibt der Datensatz veröffentlicht."),
            evaluation=evaluation,
        )
    return decision


def approval_needs_confirmation(dataset: Dataset) -> bool:
    """Whether legal approval asks to confirm exclusion grounds or reviews the app does not
    track (as approve() checks): without any there is nothing to confirm."""
    evaluation = decide(dataset)
    return bool(evaluation.blocks) or any(review in evaluation.reviews for review in CONFIRMED_REVIEWS)


# Who takes the step after a transition, by the state it leaves the dataset in.
NEXT_STEP = {
    S.IN_REVIEW: gettext_lazy("Freigabe durch die Dateneigentümerin oder den Dateneigentümer"),
    S.ETHICS_REVIEW: gettext_lazy("Ethikprüfung durch den Datenethikbeirat"),
    S.LEGAL_REVIEW: gettext_lazy("rechtliche Prüfung durch die Rechtsprüfung"),
    S.RETURNED: gettext_lazy("Überarbeitung und erneutes Einreichen durch die Datenverantwortlichen"),
    S.WITHDRAWN: gettext_lazy("bei Bedarf erneutes Einreichen durch die Datenverantwortlichen"),
}


def next_step(dataset: Dataset) -> str:
    """What happens next to the dataset and who does it, for the message after a step."""
    if dataset.state == S.APPROVED:
        if dataset.release_at:
            return _("automatische Veröffentlichung am %(time)s") % {"time": release_label(dataset.release_at)}
        if dataset.publication_outcome in PUBLISHABLE_FORMS:
            return _("Veröffentlichen durch die Datenverantwortlichen")
        return _("Wiedervorlage am %(date)s durch die Rechtsprüfung") % {
            "date": date_format(dataset.rereview_on, "SHORT_DATE_FORMAT") if dataset.rereview_on else "–"
        }
    if dataset.state == S.PUBLISHED:
        if dataset.rereview_requested_at:
            return _("erneute Prüfung durch die Rechtsprüfung")
        return _("nichts – der Datensatz ist im Open-Data-Portal; Änderungen pflegen die Datenverantwortlichen")
    return str(NEXT_STEP.get(dataset.state, ""))


def perform(action: str, dataset: Dataset, *, by, data: dict) -> Decision | None:
    """Run a transition by name with the cleaned data of catalog.forms.TransitionForm."""
    version = data.get("expected_version")
    reasons = data.get("reasons", "")
    if action == "submit":
        return submit(dataset, by=by, expected_version=version)
    if action == "sign_off":
        return sign_off(dataset, by=by, expected_version=version, reasons=reasons)
    if action == "approve":
        return approve(dataset, by=by, expected_version=version, confirmed=data.get("confirmed", False),
                       reasons=reasons, release_at=data.get("release_at"),
                       confirm_alternative=data.get("confirm_alternative", False))  # fmt: skip
    if action == "refuse":
        return refuse(
            dataset,
            by=by,
            expected_version=version,
            reasons=reasons,
            grounds=data.get("grounds") or [],
            rereview_on=data.get("rereview_on"),
            outcome=data.get("outcome") or PublicationForm.CLOSED,
        )
    if action == "return":
        return return_to_draft(dataset, by=by, expected_version=version, reasons=reasons)
    if action == "publish":
        return publish(dataset, by=by, expected_version=version,
                       confirm_alternative=data.get("confirm_alternative", False), reasons=reasons)  # fmt: skip
    if action == "withdraw":
        return withdraw(dataset, by=by, expected_version=version, reasons=reasons)
    if action == "reschedule":
        return reschedule(dataset, by=by, expected_version=version, release_at=data.get("release_at"), reasons=reasons)
    if action == "rereview":
        return start_rereview(dataset, by=by, expected_version=version, reasons=reasons)
    if action == "confirm_rereview":
        return confirm_rereview(dataset, by=by, expected_version=version, reasons=reasons)
    raise WorkflowError(_("Unbekannte Aktion."))


# ---------------------------------------------------------------------------
# Timed release (Sperrfrist): legal approval sets the time, the periodic task publishes

# How far ahead a release time may lie.
RELEASE_HORIZON = timedelta(days=365)


def release_label(moment: datetime) -> str:
    """A release time as people read it: "01.03.2027, 08:00 Uhr" (local time)."""
    local = timezone.localtime(moment)
    return _("%(date)s, %(time)s Uhr") % {
        "date": date_format(local, "SHORT_DATE_FORMAT"),
        "time": time_format(local, "H:i"),
    }


def check_release_at(release_at: datetime) -> datetime:
    """The release time, aware; in the future and at most RELEASE_HORIZON ahead."""
    if timezone.is_naive(release_at):
        release_at = timezone.make_aware(release_at)
    now = timezone.now()
    if release_at <= now:
        raise ValidationError({"release_at": _("Der Veröffentlichungstermin muss in der Zukunft liegen.")})
    if release_at > now + RELEASE_HORIZON:
        raise ValidationError(
            {"release_at": _("Der Veröffentlichungstermin darf höchstens ein Jahr in der Zukunft liegen.")}
        )
    return release_at


def _check_release_form(dataset: Dataset, confirm_alternative: bool) -> None:
    """A release time only for a form that is published, and an alternative form confirmed now."""
    if dataset.publication_outcome not in PUBLISHABLE_FORMS:
        raise ValidationError(
            {
                "release_at": _(
                    "Nach der Entscheidung „%(outcome)s“ wird der Datensatz nicht veröffentlicht; eine Sperrfrist "
                    "ist nicht möglich."
                )
                % {"outcome": dataset.get_publication_outcome_display()}
            }
        )
    _check_alternative_confirmed(dataset, confirm_alternative)


def reschedule(
    dataset: Dataset, *, by, expected_version: int | None, release_at: datetime | None, reasons: str
) -> Decision:
    """A legal reviewer (four eyes, as for approval) moves the release time of an
    approved dataset, or lifts it (`release_at` None): then it waits for the steward to
    publish by hand, as without an embargo. The reviewer becomes the one in whose name
    the release happens."""
    reasons = _require_reasons(reasons)
    if release_at is not None:
        release_at = check_release_at(release_at)
    with transaction.atomic():
        dataset = _lock(dataset, expected_version)
        _guard("reschedule", dataset, by)
        dataset.release_at, dataset.release_by = release_at, (by if release_at is not None else None)
        if release_at is not None:
            text = _("Sperrfrist verlegt auf %(time)s: %(reasons)s")
            note = timezone.localtime(release_at).isoformat()
        else:
            text = _("Sperrfrist aufgehoben: %(reasons)s")
            note = "aufgehoben"
        _save(dataset, by=by, action="rescheduled", fields=["release_at", "release_by"], note=note)
        decision = _decide(
            dataset,
            by=by,
            kind=DecisionKind.PUBLICATION,
            outcome=dataset.publication_outcome,
            reasons=text % {"time": release_label(release_at) if release_at else "", "reasons": reasons},
        )
        if release_at is None:  # now the steward is asked to publish
            _notify(dataset)
    return decision


def due_for_release(now: datetime | None = None):
    """The approved datasets whose release time has come."""
    return Dataset.objects.embargoed().filter(
        release_at__lte=now or timezone.now(), publication_outcome__in=PUBLISHABLE_FORMS
    )


def release(dataset_id: int, *, now: datetime | None = None) -> Decision | None:
    """Publish one dataset whose release time has come, through the same code path as
    `publish`, in the name of whoever set the time (`release_by`, the approving legal
    reviewer): they decided it, the scheduler only keeps the date.

    Safe to run twice and side by side: the row is locked with SKIP LOCKED and checked
    again under the lock, so None means there is nothing to do now (released already,
    no longer approved, the time moved or lifted meanwhile, or someone else holds the row:
    the next run takes it)."""
    with transaction.atomic():
        dataset = (
            due_for_release(now)
            .select_related("publisher", "current_classification", "release_by")
            .select_for_update(of=("self",), skip_locked=True)
            .filter(pk=dataset_id)
            .first()
        )
        if dataset is None:
            return None
        reasons = _("Zum festgelegten Termin (%(time)s) veröffentlicht (Sperrfrist).") % {
            "time": release_label(dataset.release_at)
        }
        return _publish(dataset, by=dataset.release_by, action="released", reasons=reasons)


def release_due_datasets(*, now: datetime | None = None) -> int:
    """Release every dataset that is due (catalog.tasks.release_due, every minute).
    One that fails is logged and stays due; the others are released all the same.
    Returns how many were published."""
    now = now or timezone.now()
    released = 0
    for dataset_id in due_for_release(now).order_by("release_at", "pk").values_list("pk", flat=True):
        try:
            released += release(dataset_id, now=now) is not None
        except Exception:
            logger.exception("Release of dataset %s failed; it stays due.", dataset_id)
    return released


# ---------------------------------------------------------------------------
# Re-review triggers (called by catalog.services and the periodic task)


def run_rereview_triggers(*, on: date | None = None) -> int:
    """Re-open review where the re-review date is reached or where the rules in force
    now change what a final decision rested on. Returns how many were re-opened."""
    on = on or timezone.localdate()
    rule_versions = governance.in_force(on).rule_versions
    reopened = 0
    candidates = (
        Dataset.objects.filter(state__in=(S.PUBLISHED, S.APPROVED), rereview_requested_at__isnull=True)
        .exclude(current_classification=None)
        .select_related("publisher", "current_classification")
    )
    for dataset in candidates.iterator(chunk_size=500):
        if dataset.rereview_on and dataset.rereview_on <= on:
            reason = _("Wiedervorlagetermin erreicht")
        elif basis_of(decide(dataset, rule_versions=rule_versions, on=on)) != dataset.publication_basis:
            reason = _("Geänderte Regeln in Kraft")
        else:
            continue
        if start_rereview(dataset, by=None, reasons=reason, check_role=False) is not None:
            reopened += 1
    return reopened


# ---------------------------------------------------------------------------
# Harvesting (catalog.harvest): a trusted source publishes and withdraws its datasets


def harvest_classification(source) -> dict:
    """What a trusted source declares by publishing a dataset as open data: no personal
    data, public, normal protection needs. The granularities are not assessed; the
    justification says so."""
    creator = source.created_by
    responsible = source.responsible
    return {
        "personal_data": PersonalDataStatus.NONE,
        "confidentiality": Confidentiality.OEFFENTLICH,
        "protection_confidentiality": ProtectionNeed.NORMAL,
        "protection_integrity": ProtectionNeed.NORMAL,
        "protection_availability": ProtectionNeed.NORMAL,
        "spatial_granularity": SpatialGranularity.MUNICIPALITY,
        "temporal_granularity": TemporalGranularity.YEAR,
        "justification": _(
            "Von der vertrauenswürdigen Quelle „%(source)s“ (%(url)s) übernommen, die den Datensatz bereits als "
            "Open Data veröffentlicht: kein Personenbezug, öffentlich, normaler Schutzbedarf. Als vertrauenswürdig "
            "eingerichtet von %(creator)s; verantwortlich: %(responsible)s. Die Granularität wurde nicht geprüft "
            "(Standardwerte)."
        )
        % {
            "source": source.name,
            "url": source.url,
            "creator": creator.get_full_name() or creator.get_username(),
            "responsible": responsible.get_full_name() or responsible.get_username(),
        },
    }


def _require_harvest_actor(dataset: Dataset, by) -> None:
    if Role.GOVERNANCE_ADMIN not in roles_held(by, dataset.publisher):
        raise WorkflowError(
            _("Die verantwortliche Person der Quelle ist nicht Governance-Admin von %(organisation)s.")
            % {"organisation": dataset.publisher}
        )


def publish_harvested(dataset: Dataset, *, source, by) -> Decision:
    """Publish a dataset taken over from a trusted harvest source: the city's own
    open-data portal, where it is published already. The actor is the source's
    responsible person (`by`), a governance admin of the publisher, who answers for the
    source being trusted; steward, owner and legal review are not asked.

    It stays auditable: unless the dataset is classified already, the classification
    the source declares (harvest_classification) is recorded in the responsible
    person's name; the rules in force are evaluated as on submit, and only an open
    outcome publishes, with a publication Decision whose reasons name the source. Any
    other outcome raises WorkflowError; the caller's savepoint then undoes the
    classification too, and the dataset goes through the normal workflow."""
    _require_harvest_actor(dataset, by)
    with transaction.atomic():
        dataset = _lock(dataset, None)
        if dataset.state not in (S.DRAFT, S.WITHDRAWN):
            raise WorkflowError(
                _("Im Status „%(state)s“ wird ein übernommener Datensatz nicht veröffentlicht.")
                % {"state": dataset.get_state_display()}
            )
        if dataset.current_classification is None:
            classify_dataset(dataset, by=by, fields=harvest_classification(source))
            dataset = _lock(dataset, None)
        evaluation = decide(dataset)
        if evaluation.outcome != OPEN:
            reviews = dict(ReviewRole.choices)
            needs = [str(reviews.get(role, role)) for role in evaluation.required_reviews]
            needs += list(evaluation.grounds) + [code for code, _missing in evaluation.undecided]
            raise WorkflowError(
                _("Nach den geltenden Regeln ist eine Prüfung nötig (%(needs)s); der Datensatz bleibt ein Entwurf.")
                % {"needs": ", ".join(needs)}
            )
        dataset.publication_outcome = OPEN
        dataset.publication_basis = basis_of(evaluation)
        dataset.rereview_on = evaluation.rereview_on
        fields = ["publication_outcome", "publication_basis", "rereview_on"]
        if dataset.issued is None:
            dataset.issued = timezone.now()
            fields.append("issued")
        # The note is kept short: simple-history stores 100 characters of a change reason.
        _save(dataset, by=by, action="harvest_published", state=S.PUBLISHED, fields=fields, note=source.name[:60])
        decision = _decide(
            dataset,
            by=by,
            kind=DecisionKind.PUBLICATION,
            outcome=OPEN,
            evaluation=evaluation,
            reasons=_(
                "Aus der vertrauenswürdigen Quelle „%(source)s“ (%(url)s) übernommen, die den Datensatz bereits als "
                "Open Data veröffentlicht. Die Regeln in Kraft ergeben „offen“."
            )
            % {"source": source.name, "url": source.url},
        )
    return decision


def withdraw_harvested(dataset: Dataset, *, source, by, reasons: str) -> Decision:
    """Take a trusted source's dataset off the portal because it was removed at the
    source. The source decides; `by` is its responsible person (a governance admin of
    the publisher)."""
    reasons = _require_reasons(reasons)
    _require_harvest_actor(dataset, by)
    with transaction.atomic():
        dataset = _lock(dataset, None)
        if dataset.state != S.PUBLISHED:
            raise WorkflowError(
                _("„%(action)s“ ist im Status „%(state)s“ nicht möglich.")
                % {"action": TRANSITIONS["withdraw"].label, "state": dataset.get_state_display()}
            )
        _save(dataset, by=by, action="harvest_withdrawn", state=S.WITHDRAWN, note=source.name[:60])
        decision = _decide(
            dataset, by=by, kind=DecisionKind.PUBLICATION, outcome=DecisionOutcome.WITHDRAWN, reasons=reasons
        )
    return decision
