"""Transitions of an ethics review, called by views, tasks and the workflow hook alike.

    open_review (automatically when a dataset enters ethics_review, or by hand for a
    data use) → answer (the applicant; `submit=True` hands it to the board) →
    cast_vote (board members of the subject's organisation) → close_review (quorum,
    majority, conditions, next review date) → complete_condition (with evidence)

Every transition: guard → atomic → lock (core.transitions) → mutate → save → history
reason "ethics.<action>" (and through it an AuditEvent) → Decision where something is
decided.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import changes, workflow
from catalog.models import ChangeState, Dataset, DatasetState, EthicsOutcome
from core import transitions
from core.errors import ConflictError as BaseConflict
from core.errors import DomainError
from governance import services as governance
from governance.models import DecisionKind, DecisionOutcome, Role
from governance.permissions import deputy_links, has_role, with_principals_and_deputies

from .models import (
    AITier,
    Answer,
    Condition,
    DataUse,
    EthicsReview,
    Question,
    QuestionKind,
    Referral,
    ReviewStatus,
    Vote,
    YesNo,
)
from .questionnaire import current_questionnaire


class EthicsError(DomainError):
    """A step of the review that is not allowed now or not for this person."""


class ConflictError(EthicsError, BaseConflict):
    """Someone else changed the review in the meantime."""


# Ties go to the more cautious outcome.
CAUTION = [EthicsOutcome.REJECTED, EthicsOutcome.REVISE, EthicsOutcome.CONDITIONS, EthicsOutcome.APPROVED]
DECISION_OUTCOME = {
    EthicsOutcome.APPROVED: DecisionOutcome.APPROVED,
    EthicsOutcome.CONDITIONS: DecisionOutcome.APPROVED_WITH_CONDITIONS,
    EthicsOutcome.REVISE: DecisionOutcome.RETURNED,
    EthicsOutcome.REJECTED: DecisionOutcome.REJECTED,
}
HARD_STOP_REASON = "Datenethikkonzept: Verkauf oder Monetarisierung personenbezogener Daten ist ausgeschlossen."


def quorum() -> int:
    return settings.ETHICS_QUORUM


# ---------------------------------------------------------------------------
# Referral criteria (pure)


@dataclass(frozen=True)
class ReferralResult:
    criteria: list[dict]  # [{"code": ..., "label": ...}]
    hard_stop: bool

    @property
    def needs_board(self) -> bool:
        return bool(self.criteria)


def compute_referral(answers) -> ReferralResult:
    """Why the board must decide, from (referral, question code, value) triples; pure.
    Two or more WP248 criteria or any Art. 35(3) case, DEK criticality ≥ 3, an AI Act
    tier of high or prohibited, any principle scored ≤ 1, group harm, private profit
    without giving back; the sale of personal data is a hard stop."""
    criteria, wp248, art35, hard_stop = [], [], [], False
    for referral, code, value in answers:
        if referral == Referral.WP248 and value == YesNo.YES:
            wp248.append(code)
        elif referral == Referral.ART35_3 and value == YesNo.YES:
            art35.append(code)
        elif referral == Referral.PRINCIPLE and value != "" and int(value) <= 1:
            criteria.append({"code": f"principle:{code}", "label": _("Grundsatz mit 1 oder weniger bewertet")})
        elif referral == Referral.DEK and value != "" and int(value) >= 3:
            criteria.append({"code": "dek", "label": _("Kritikalität nach DEK: Stufe %(level)s") % {"level": value}})
        elif referral == Referral.AI_TIER and value in (AITier.HIGH, AITier.PROHIBITED):
            criteria.append({"code": "ai_act", "label": _("KI-Verordnung: %(tier)s") % {"tier": AITier(value).label}})
        elif referral == Referral.GROUP_HARM and value == YesNo.YES:
            criteria.append(
                {"code": "group_harm", "label": _("Gefahr der Stigmatisierung eines Stadtteils oder einer Gruppe")}
            )
        elif referral == Referral.PRIVATE_PROFIT and value == YesNo.YES:
            criteria.append(
                {
                    "code": "private_profit",
                    "label": _("Privater Gewinn ohne Gegenleistung: Entgelt oder Lizenz entscheiden"),
                }
            )
        elif referral == Referral.HARD_STOP and value == YesNo.YES:
            hard_stop = True
            criteria.append(
                {
                    "code": "hard_stop",
                    "label": _("Verkauf oder Monetarisierung personenbezogener Daten (ausgeschlossen)"),
                }
            )
    if len(wp248) >= 2:
        criteria.insert(
            0,
            {
                "code": "wp248",
                "label": _("%(count)d Kriterien der DSFA-Vorprüfung (WP248) erfüllt") % {"count": len(wp248)},
            },
        )
    if art35:
        criteria.insert(0, {"code": "art35_3", "label": _("Fall des Art. 35 Abs. 3 DSGVO: Folgenabschätzung zwingend")})
    return ReferralResult(criteria, hard_stop)  # fmt: skip


def review_referral(review: EthicsReview) -> ReferralResult:
    rows = review.answers.select_related("question").values_list("question__referral", "question__code", "value")
    return compute_referral([row for row in rows if row[0]])


# ---------------------------------------------------------------------------
# Who may do what


def is_board_member(user, review: EthicsReview) -> bool:
    return has_role(user, Role.ETHICS_BOARD_MEMBER, review.organisation)


def is_applicant(user, review: EthicsReview) -> bool:
    return user.is_authenticated and user.pk in {review.applicant_id, review.answered_by_id} - {None}


def applicant_for(subject) -> object | None:
    if isinstance(subject, Dataset):
        return subject.steward or subject.submitted_by
    return subject.applicant


def can_answer(user, review: EthicsReview) -> bool:
    if review.status != ReviewStatus.ANSWERING or not user.is_authenticated:
        return False
    if user.pk == review.applicant_id:
        return True
    # A dataset's stewards answer for it, whoever of them is the named steward.
    return review.dataset_id is not None and has_role(user, Role.STEWARD, review.organisation)


# The board's steps, declared once. A review not yet put to the vote (or already closed)
# is nobody's to vote on: its state is said first (the API answers 409 before 403).
VOTE = transitions.Transition(
    "vote",
    gettext_lazy("Abstimmen"),
    states=(ReviewStatus.VOTING,),
    roles=(Role.ETHICS_BOARD_MEMBER,),
    four_eyes=True,
    fields=("vote", "reasoning", "recused", "conflict_note"),
    state_first=True,
    state_message=gettext_lazy("Abstimmen ist erst möglich, wenn der Fragebogen dem Beirat vorgelegt ist."),
    role_message=gettext_lazy("Nur Mitglieder des Datenethikbeirats von %(organisation)s stimmen ab."),
    four_eyes_message=gettext_lazy(
        "Wer die Prüfung beantragt oder den Fragebogen beantwortet hat, stimmt über sie nicht ab."
    ),
)
CLOSE = replace(
    VOTE,
    action="close",
    label=gettext_lazy("Prüfung abschließen"),
    fields=("reasoning", "public_summary", "next_review_on"),
)


def judge_board_step(transition: transitions.Transition, user, review: EthicsReview, conditions=()):
    """The Refusal of a board step for `user` (None: they may take it now)."""

    def involved():
        # Asked up to three times a page (vote, close, conditions): worked out once per review.
        if not hasattr(review, "_four_eyes"):
            applicant_side = {review.applicant_id, review.answered_by_id}
            if review.change_id:  # whoever edited, submitted or signed off the change
                applicant_side |= changes.involved(review.change)
            if review.dataset_id:
                review._four_eyes = workflow.involved_user_ids(review.dataset, also=applicant_side)
            else:
                review._four_eyes = with_principals_and_deputies(applicant_side, since=review.opened_at)
        return review._four_eyes

    return transitions.judge(
        transition,
        state=review.status,
        roles=lambda: {Role.ETHICS_BOARD_MEMBER} if is_board_member(user, review) else set(),
        user_id=user.pk,
        involved=involved,
        organisation=review.organisation,
        conditions=conditions,
    )


def vote_refusal(user, review: EthicsReview) -> str | None:
    refusal = judge_board_step(VOTE, user, review)
    return str(refusal) if refusal else None


def one_voice_refusal(user, review: EthicsReview) -> str | None:
    """A deputy and the board member they stand in for are one voice: whoever of the two
    votes second is refused (a recusal takes no voice and is always possible)."""
    partners = with_principals_and_deputies({user.pk}, role=Role.ETHICS_BOARD_MEMBER, since=_voting_since(review))
    partners.discard(user.pk)
    voted = [vote for vote in review.votes.select_related("member") if vote.member_id in partners and vote.counts]
    if not voted:
        return None
    return _(
        "Vertretung und vertretene Person haben im Beirat zusammen eine Stimme, und %(person)s hat sie bereits "
        "abgegeben."
    ) % {"person": voted[0].member.get_full_name() or voted[0].member.get_username()}


def counted_votes(review: EthicsReview, votes) -> list[Vote]:
    """The votes that count towards quorum and majority: not recused, and one per voice,
    since a deputy and the member they stand in for are one voice (if both have voted,
    as before the rule or before the deputy was appointed, the earlier vote counts)."""
    votes = sorted((vote for vote in votes if vote.counts), key=lambda vote: (vote.cast_at, vote.pk))
    links = deputy_links({vote.member_id for vote in votes}, role=Role.ETHICS_BOARD_MEMBER, since=_voting_since(review))
    partners: dict[int, set[int]] = {}
    for deputy, principal in links:
        partners.setdefault(deputy, set()).add(principal)
        partners.setdefault(principal, set()).add(deputy)
    counted, voiced = [], set()
    for vote in votes:
        if vote.member_id in voiced:
            continue
        counted.append(vote)
        voiced |= {vote.member_id, *partners.get(vote.member_id, ())}
    return counted


def _voting_since(review: EthicsReview):
    # A deputy who stood in at any time since the board received the review shares the voice.
    return review.submitted_at or review.opened_at


def close_refusal(user, review: EthicsReview) -> str | None:
    def quorum():
        counted = len(counted_votes(review, review.votes.all()))
        if counted < review.quorum:
            return _("Das Quorum ist nicht erreicht: %(counted)d von %(quorum)d gültigen Stimmen.") % {
                "counted": counted,
                "quorum": review.quorum,
            }
        return None

    # A generator: the votes are counted only once state, role and four eyes allow the step.
    refusal = judge_board_step(CLOSE, user, review, conditions=(check() for check in (quorum,)))
    return str(refusal) if refusal else None


def _lock(review: EthicsReview) -> EthicsReview:
    return transitions.lock(
        EthicsReview.objects.select_related("organisation", "dataset", "data_use", "questionnaire"), review.pk
    )


def _save(instance, *, by, action: str, fields=None) -> None:
    transitions.save(instance, by=by, reason=f"ethics.{action}", fields=fields, versioned=False)


# ---------------------------------------------------------------------------
# The transitions


def open_review(subject, *, by=None, automatic: bool = False, change=None) -> EthicsReview:
    """Open a review of a dataset (automatically, when it or a pending change of it enters
    ethics review) or of a data use (by hand). An open review of the same subject is
    returned as it is."""
    is_dataset = isinstance(subject, Dataset)
    if not is_dataset and not isinstance(subject, DataUse):
        raise EthicsError(_("Geprüft werden Datensätze und Datennutzungen."))
    organisation = subject.publisher if is_dataset else subject.organisation
    if not automatic and not (
        has_role(by, Role.ETHICS_BOARD_MEMBER, organisation)
        or (not is_dataset and by.pk == subject.applicant_id)
        or has_role(by, Role.STEWARD, organisation)
    ):
        raise EthicsError(_("Eine Ethikprüfung beantragen Antragstellende, Datenverantwortliche oder der Beirat."))
    lookup = {"dataset": subject} if is_dataset else {"data_use": subject}
    with transaction.atomic():
        type(subject).objects.select_for_update().filter(pk=subject.pk).first()
        existing = EthicsReview.objects.filter(**lookup).exclude(status=ReviewStatus.COMPLETED).first()
        if existing is not None:
            return existing
        review = EthicsReview(
            **lookup,
            organisation=organisation,
            questionnaire=current_questionnaire(),
            applicant=applicant_for(subject),
            quorum=quorum(),
            opened_automatically=automatic,
            change=change,
        )
        _save(review, by=by, action="opened")
        _carry_over_answers(review)
    return review


def _carry_over_answers(review: EthicsReview) -> None:
    """A review re-opened after "revise" starts from the previous answers, if they were
    given to the same questionnaire version (a new version is answered afresh)."""
    previous = (
        EthicsReview.objects.filter(dataset_id=review.dataset_id, data_use_id=review.data_use_id)
        .exclude(pk=review.pk)
        .filter(questionnaire=review.questionnaire)
        .order_by("-opened_at")
        .first()
    )
    if previous is None:
        return
    for answer in previous.answers.all():
        copy = Answer(review=review, question_id=answer.question_id, value=answer.value, text=answer.text)
        _save(copy, by=None, action="answer_carried_over")


def questions_for(review: EthicsReview) -> list[Question]:
    algorithmic = bool(review.data_use_id and review.data_use.algorithmic_system)
    questions = review.questionnaire.questions.all()
    return [q for q in questions if algorithmic or not q.algorithmic_only]


def _clean_value(question: Question, value: str, text: str) -> tuple[str, str | None]:
    value = (value or "").strip()
    if not value:
        return "", None
    allowed = {
        QuestionKind.SCORE: [str(n) for n in range(6)],
        QuestionKind.YES_NO: YesNo.values,
        QuestionKind.LEVEL: [str(n) for n in range(1, 6)],
        QuestionKind.AI_TIER: AITier.values,
        QuestionKind.TEXT: [],
    }[question.kind]
    if question.kind == QuestionKind.TEXT or value not in allowed:
        return value, _("Ungültige Antwort.")
    return value, None


def answer(review: EthicsReview, *, by, answers: dict, submit: bool = False) -> EthicsReview:
    """Save the applicant's answers ({question code: (value, text)}); with submit=True
    every question must be answered and the review goes to the board, with its referral
    criteria computed."""
    with transaction.atomic():
        review = _lock(review)
        if not can_answer(by, review):
            raise EthicsError(_("Den Fragebogen beantwortet die antragstellende Stelle, solange er offen ist."))
        questions = questions_for(review)
        existing = {a.question_id: a for a in review.answers.all()}
        errors = {}
        for question in questions:
            value, text = answers.get(question.code, ("", ""))
            text = (text or "").strip()
            if question.kind == QuestionKind.TEXT:
                value = ""
            else:
                value, error = _clean_value(question, value, text)
                if error:
                    errors[question.code] = error
                    continue
            if submit and (not text if question.kind == QuestionKind.TEXT else not value):
                errors[question.code] = _("Bitte beantworten Sie diese Frage.")
            if submit and question.kind == QuestionKind.SCORE and not text:
                errors[question.code] = _("Bitte begründen Sie die Bewertung.")
            row = existing.get(question.pk) or Answer(review=review, question=question)
            if row.pk is None or (row.value, row.text) != (value, text):
                row.value, row.text = value, text
                _save(row, by=by, action="answered")
        if errors:
            raise ValidationError(errors)
        review.answered_by = by
        fields = ["answered_by"]
        if submit:
            result = review_referral(review)
            review.referral_criteria = result.criteria
            review.hard_stop = result.hard_stop
            review.status = ReviewStatus.VOTING
            review.submitted_at = timezone.now()
            fields += ["referral_criteria", "hard_stop", "status", "submitted_at"]
        _save(review, by=by, action="submitted" if submit else "answered", fields=fields)
    return review


def cast_vote(
    review: EthicsReview,
    *,
    by,
    vote: str = "",
    reasoning: str = "",
    recused: bool = False,
    conflict_note: str = "",
    minority_opinion: str = "",
) -> Vote:
    """A board member votes (again: the vote is replaced) or declares a conflict of
    interest; a recused member's vote does not count. A deputy and the member they stand
    in for have one voice: the second of them to vote is refused (ConflictError)."""
    reasoning, conflict_note = (reasoning or "").strip(), (conflict_note or "").strip()
    if recused:
        if not conflict_note:
            raise ValidationError({"conflict_note": _("Bitte nennen Sie den Interessenkonflikt.")})
        vote = ""
    else:
        if vote not in EthicsOutcome.values:
            raise ValidationError({"vote": _("Bitte wählen Sie Ihr Votum.")})
        if not reasoning:
            raise ValidationError({"reasoning": _("Bitte begründen Sie Ihr Votum.")})
    with transaction.atomic():
        review = _lock(review)
        message = vote_refusal(by, review)
        if message:
            raise EthicsError(message)
        if not recused and (message := one_voice_refusal(by, review)):
            raise ConflictError(message)
        row = Vote.objects.filter(review=review, member=by).first() or Vote(review=review, member=by)
        row.vote, row.reasoning, row.recused, row.conflict_note = vote, reasoning, recused, conflict_note
        row.minority_opinion = (minority_opinion or "").strip()
        row.cast_at = timezone.now()
        _save(row, by=by, action="recused" if recused else "voted")
    return row


def add_condition(review: EthicsReview, *, by, text: str, owner, due_on: date | None) -> Condition:
    """The board attaches a condition while it deliberates: who does what by when."""
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = _("Bitte beschreiben Sie die Auflage.")
    if owner is None:
        errors["owner"] = _("Jede Auflage braucht eine verantwortliche Person.")
    if due_on is None or due_on <= timezone.localdate():
        errors["due_on"] = _("Bitte geben Sie eine Frist in der Zukunft an.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = _lock(review)
        message = vote_refusal(by, review)
        if message:
            raise EthicsError(message)
        condition = Condition(review=review, text=text, owner=owner, due_on=due_on)
        _save(condition, by=by, action="condition_added")
    return condition


def remove_condition(condition: Condition, *, by) -> None:
    with transaction.atomic():
        review = _lock(condition.review)
        message = vote_refusal(by, review)
        if message:
            raise EthicsError(message)
        condition._history_user = by
        condition._change_reason = "ethics.condition_removed"
        condition.delete()


def majority(votes) -> str:
    """The outcome most counted votes chose; a tie goes to the more cautious outcome."""
    tally = Counter(vote.vote for vote in votes if vote.counts)
    if not tally:
        return ""
    top = max(tally.values())
    return next(outcome for outcome in CAUTION if tally.get(outcome) == top)


def close_review(
    review: EthicsReview, *, by, reasoning: str, public_summary: str, next_review_on: date | None
) -> EthicsReview:
    """Close the review with the majority outcome of the counted votes (quorum needed);
    the hard stop forces a rejection. Votes outside the majority are marked, their
    minority opinions kept. A dataset then moves on in the publication workflow."""
    reasoning, public_summary = (reasoning or "").strip(), (public_summary or "").strip()
    errors = {}
    if not reasoning:
        errors["reasoning"] = _("Bitte begründen Sie das Ergebnis.")
    if not public_summary:
        errors["public_summary"] = _(
            "Bitte schreiben Sie eine öffentliche Zusammenfassung ohne personenbezogene Daten."
        )
    if next_review_on is None or next_review_on <= timezone.localdate():
        errors["next_review_on"] = _("Die nächste Überprüfung ist Pflicht und liegt in der Zukunft.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = _lock(review)
        message = close_refusal(by, review)
        if message:
            raise EthicsError(message)
        votes = list(review.votes.select_for_update())
        counted = counted_votes(review, votes)
        outcome = majority(counted)
        if review.hard_stop:
            outcome = EthicsOutcome.REJECTED
            reasoning = f"{HARD_STOP_REASON} {reasoning}"
        conditions = list(review.conditions.all())
        if outcome == EthicsOutcome.CONDITIONS and not conditions:
            raise EthicsError(_("Die Mehrheit stimmt für „mit Auflagen“: bitte zuerst die Auflagen festlegen."))
        if outcome != EthicsOutcome.CONDITIONS:
            for condition in conditions:  # conditions belong to "mit Auflagen" only
                condition._history_user, condition._change_reason = by, "ethics.condition_dropped"
                condition.delete()
            conditions = []
        counted_ids = {vote.pk for vote in counted}
        for vote in votes:
            in_minority = vote.pk in counted_ids and vote.vote != outcome
            if in_minority != vote.in_minority:
                vote.in_minority = in_minority
                _save(vote, by=by, action="minority_marked", fields=["in_minority"])
        review.outcome, review.reasoning, review.public_summary = outcome, reasoning, public_summary
        review.next_review_on, review.status = next_review_on, ReviewStatus.COMPLETED
        review.completed_at, review.completed_by = timezone.now(), by
        fields = ["outcome", "reasoning", "public_summary", "next_review_on", "status", "completed_at", "completed_by"]
        _save(review, by=by, action=f"closed.{outcome}", fields=fields)
        texts = [f"{c.text} ({_('Frist')}: {date_format(c.due_on, 'SHORT_DATE_FORMAT')})" for c in conditions]
        governance.record_decision(
            kind=DecisionKind.ETHICS, subject=review, actor=by, outcome=DECISION_OUTCOME[outcome], reasons=reasoning,
            conditions=texts, rereview_on=next_review_on,
            exclusion_grounds=["ETHICS_BOARD_VETO"] if outcome == EthicsOutcome.REJECTED else [],
        )  # fmt: skip
        if review.change_id and review.change.state == ChangeState.ETHICS_REVIEW:
            changes.record_ethics_outcome(review.change, by=by, outcome=outcome, reasons=reasoning, conditions=texts)
        elif review.dataset_id and review.dataset.state == DatasetState.ETHICS_REVIEW:
            workflow.record_ethics_outcome(
                review.dataset, by=by, expected_version=None, outcome=outcome, reasons=reasoning, conditions=texts
            )
    return review


def complete_condition(condition: Condition, *, by, evidence: str) -> Condition:
    """The owner (or a board member) marks a condition done, with evidence."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": _("Bitte belegen Sie, wie die Auflage erfüllt ist.")})
    with transaction.atomic():
        condition = transitions.lock(Condition.objects.select_related("review__organisation"), condition.pk)
        if condition.done_on is not None:
            raise ConflictError(_("Die Auflage ist bereits erledigt."))
        if by.pk != condition.owner_id and not is_board_member(by, condition.review):
            raise EthicsError(_("Eine Auflage erledigt die verantwortliche Person oder der Beirat."))
        condition.done_on, condition.evidence, condition.completed_by = timezone.localdate(), evidence, by
        _save(condition, by=by, action="condition_completed", fields=["done_on", "evidence", "completed_by"])
    return condition


# ---------------------------------------------------------------------------
# The workflow hook


def on_dataset_state_changed(sender, *, dataset, old_state, new_state, by, **kwargs) -> None:
    """catalog.workflow sends this inside the transition: a dataset that enters ethics
    review gets a review, opened automatically."""
    if new_state == DatasetState.ETHICS_REVIEW:
        open_review(dataset, by=by, automatic=True)


def on_change_state_changed(sender, *, change, old_state, new_state, by, **kwargs) -> None:
    """catalog.changes sends this inside the step: a pending change whose new data the
    rules send to the board gets a review of its dataset, tied to the change."""
    if new_state == ChangeState.ETHICS_REVIEW:
        open_review(change.dataset, by=by, automatic=True, change=change)


# ---------------------------------------------------------------------------
# Transparency


@dataclass
class PublicSummary:
    """What the public learns about a completed review: no personal data, no names."""

    pk: int
    title: str
    subject_kind: str
    organisation: str
    outcome: str
    outcome_label: str
    summary: str
    reasoning: str
    conditions: list[dict]
    minority_opinions: list[str]
    completed_on: date
    next_review_on: date
    url: str


def public_summaries(*, limit: int | None = None, dataset=None) -> list[PublicSummary]:
    """Completed reviews as the public may see them (for the portal and /ethik/)."""
    reviews = (
        EthicsReview.objects.completed()
        .select_related("organisation", "dataset", "data_use")
        .prefetch_related("conditions", "votes")
        .order_by("-completed_at", "-pk")
    )
    if dataset is not None:
        reviews = reviews.filter(dataset=dataset)
    if limit:
        reviews = reviews[:limit]
    return [public_summary(review) for review in reviews]


def public_summary(review: EthicsReview) -> PublicSummary:
    return PublicSummary(
        pk=review.pk,
        title=str(review.subject),
        subject_kind=str(review.subject_kind),
        organisation=review.organisation.name,
        outcome=review.outcome,
        outcome_label=str(review.get_outcome_display()),
        summary=review.public_summary,
        reasoning=review.reasoning,
        conditions=[
            {"text": c.text, "due_on": c.due_on, "done": c.done_on is not None} for c in review.conditions.all()
        ],
        minority_opinions=[v.minority_opinion or v.reasoning for v in review.votes.all() if v.in_minority],
        completed_on=timezone.localdate(review.completed_at),
        next_review_on=review.next_review_on,
        url=review.get_public_url(),
    )


# ---------------------------------------------------------------------------
# Data uses and condition owners (the REST API; the pages do the same through their forms)


DATA_USE_FIELDS = (
    "title",
    "purpose",
    "organisation",
    "algorithmic_system",
    "public_space_sensors",
    "commercial_reuse_by_private_partner",
)


def create_data_use(*, by, fields: dict, datasets=()) -> DataUse:
    """Register a data use; the person registering it is its applicant."""
    data_use = DataUse(applicant=by, **{name: fields[name] for name in DATA_USE_FIELDS if name in fields})
    data_use.full_clean()
    with transaction.atomic():
        _save(data_use, by=by, action="data_use.created")
        data_use.datasets.set(datasets)
    return data_use


def update_data_use(data_use: DataUse, *, by, fields: dict, datasets=None) -> DataUse:
    """Change a data use; `datasets` None leaves the datasets as they are."""
    with transaction.atomic():
        data_use = transitions.lock(DataUse.objects.all(), data_use.pk)
        for name in DATA_USE_FIELDS:
            if name in fields:
                setattr(data_use, name, fields[name])
        data_use.full_clean()
        _save(data_use, by=by, action="data_use.changed")
        if datasets is not None:
            data_use.datasets.set(datasets)
    return data_use


def condition_owners(review: EthicsReview):
    """Who may be made responsible for a condition: the board members, stewards and
    owners of the review's organisation (as the review page offers them)."""
    from django.contrib.auth import get_user_model

    from governance.models import RoleAssignment

    holders = RoleAssignment.objects.active().filter(
        role__in=[Role.ETHICS_BOARD_MEMBER, Role.STEWARD, Role.OWNER], organisation=review.organisation
    )
    return get_user_model().objects.filter(pk__in=holders.values("user"), is_active=True)
