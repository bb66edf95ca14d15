"""What the public learns about decisions: the summary on a dataset page, the register
of datasets that are not open ("Nicht veröffentlichte Daten") and the figures of the
transparency dashboard.

Which datasets the register lists (only those with a final decision that is not
"open as it is"; datasets still in draft, review or returned are work in progress and
not listed, nor are approved datasets waiting to be published, by hand or at a release
time (Sperrfrist): nothing of an embargoed dataset, not even its title, is public before
it; an alternative form enters the register when it is released):
- approved with the outcome "nur intern" or "nicht veröffentlichungsfähig"
  (refused by the legal reviewer, or blocked by a rule and approved as such);
- withdrawn from the portal;
- published only in an alternative form (aggregated or redacted).
Each entry shows title, publisher, outcome, exclusion grounds and the re-review date:
nothing else, no classification, no distributions, no description. Grounds are told in
citizens' words (CITIZEN_REASONS, never the staff's free-text reasons) with the legal
basis of the vocabulary term; a withdrawn dataset without a ground says that it was
withdrawn. Each entry has its own page (with the board's public ethics decision, if
any, and a prefilled data request), and a withdrawn dataset's old address answers 410
with its entry.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Max, Min, Q
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Dataset, DatasetState
from ethics.models import EthicsReview
from governance.models import Decision, DecisionKind, DecisionOutcome, RuleVersion, VocabularyTerm
from governance.vocabularies import PublicationForm, Vocabulary

from .models import DataRequest, DataRequestStatus

S = DatasetState
NOT_OPEN_FORMS = (PublicationForm.INTERNAL, PublicationForm.CLOSED)
ALTERNATIVE_FORMS = (PublicationForm.AGGREGATED, PublicationForm.REDACTED)
PUBLISHED_FORMS = (PublicationForm.OPEN, *ALTERNATIVE_FORMS)

REGISTER_CONDITION = (
    Q(state=S.APPROVED, publication_outcome__in=NOT_OPEN_FORMS)
    | Q(state=S.WITHDRAWN)
    | Q(state=S.PUBLISHED, publication_outcome__in=ALTERNATIVE_FORMS)
)
REGISTER_FIELDS = ("pk", "name", "title", "publisher__name", "state", "publication_outcome", "rereview_on",
                   "publication_basis", "state_changed_at", "harvest_record__withdrawn_by_harvest")  # fmt: skip

OUTCOME_LABELS = {
    PublicationForm.INTERNAL: _("nur innerhalb des Stadtverbunds genutzt"),
    PublicationForm.CLOSED: _("nicht veröffentlichungsfähig"),
    PublicationForm.AGGREGATED: _("nur zusammengefasst (aggregiert) veröffentlicht"),
    PublicationForm.REDACTED: _("nur teilweise veröffentlicht"),
    "withdrawn": _("Veröffentlichung zurückgezogen"),
}

# What each exclusion ground means, for citizens: why the data is not open, in plain
# words. The vocabulary's labels are written for staff and some end in an instruction
# to them ("neu einstufen oder Ausschlussgrund belegen"); the public pages show these.
CITIZEN_REASONS = {
    "PERSONAL_DATA": _("Die Daten enthalten Angaben über einzelne Menschen. Das Datenschutzrecht schützt sie."),
    "TRADE_SECRET": _("Die Daten enthalten Betriebs- oder Geschäftsgeheimnisse eines Unternehmens, die das Gesetz "
                      "schützt."),
    "PUBLIC_SECURITY": _("Eine Veröffentlichung könnte die öffentliche Sicherheit gefährden."),
    "CRITICAL_INFRASTRUCTURE": _("Die Daten enthalten vertrauliche Angaben über kritische Infrastrukturen (KRITIS) wie "
                                "Strom-, Wasser- oder Verkehrsnetze. Öffentlich würden sie deren Schutz schwächen."),
    "STATISTICAL_CONFIDENTIALITY": _("Die Daten stammen aus einer amtlichen Statistik. Das Statistikgeheimnis "
                                    "erlaubt nur zusammengefasste Zahlen, die keine Rückschlüsse auf Einzelne "
                                    "zulassen."),
    "RESTRICTED_ACCESS_REGIME": _("Für diese Daten sieht das Gesetz nur einen eingeschränkten Zugang vor: Sie erhält, "
                                 "wer ein rechtliches oder berechtigtes Interesse nachweist."),
    "THIRD_PARTY_PARTICIPATION": _("Die Daten betreffen andere Personen oder Stellen. Sie müssen gefragt werden, "
                                  "bevor die Daten herausgegeben werden."),
    "THIRD_PARTY_IP": _("Die Rechte an den Daten liegen ganz oder teilweise bei anderen, etwa durch Urheberrecht, "
                        "Lizenzen oder Verträge."),
    "THIRD_PARTY_VOLUNTARY": _("Andere haben die Daten freiwillig und ohne Verpflichtung an die Verwaltung gegeben. "
                               "Ohne ihre Zustimmung werden sie nicht veröffentlicht."),
    "OUTSIDE_PUBLIC_TASK": _("Die Daten entstehen nicht bei einer gesetzlichen Aufgabe der Verwaltung. Für sie gilt "
                             "die Pflicht zur Bereitstellung nicht."),
    "DASEINSVORSORGE_NONCORE": _("Die Daten stammen von einem Versorgungsunternehmen, aber nicht aus seiner "
                                 "öffentlichen Versorgungsaufgabe. Dafür gilt die Pflicht zur Bereitstellung nicht."),
    "DASEINSVORSORGE_NOT_PERMITTED": _("Das Versorgungsunternehmen, von dem die Daten stammen, hat ihre "
                                       "Weiterverwendung nicht erlaubt."),
    "ONGOING_PROCEEDINGS": _("Die Daten betreffen ein laufendes Gerichts-, Ermittlungs- oder Disziplinarverfahren."),
    "DELIBERATIVE": _("Es handelt sich um Entwürfe oder interne Beratungen. Sie bleiben intern, bis die Entscheidung "
                      "gefallen ist."),
    "CLASSIFIED": _("Die Unterlagen sind als Verschlusssache eingestuft und damit gesetzlich geheim."),
    "TAX_SECRECY": _("Die Daten unterliegen dem Steuergeheimnis."),
    "SOCIAL_DATA": _("Die Daten unterliegen dem Sozialgeheimnis: Sie betreffen Menschen, die Sozialleistungen "
                     "beantragen oder erhalten."),
    "LOGOS_INSIGNIA": _("Die Daten enthalten Logos, Wappen oder Hoheitszeichen, die nicht frei verwendet werden "
                        "dürfen."),
    "ALREADY_PUBLISHED": _("Die Daten sind bereits an anderer Stelle frei verfügbar."),
    "SDC_FAILED": _("Auch die zusammengefassten Zahlen ließen noch Rückschlüsse auf einzelne Menschen zu. Sie werden "
                    "erst veröffentlicht, wenn das ausgeschlossen ist."),
    "ETHICS_BOARD_VETO": _("Der Datenethikbeirat hat Einwände gegen eine Veröffentlichung erhoben. Seine Begründung "
                           "ist öffentlich."),
    "CONFIDENTIALITY_LEVEL": _("Die Daten sind als vertraulich eingestuft, weil sie schutzwürdige Angaben enthalten."),
    "PROTECTION_NEED_VERY_HIGH": _("Die Daten brauchen sehr hohen Schutz: Würden sie bekannt, könnte das großen "
                                   "Schaden anrichten."),
}  # fmt: skip
# Short names where the vocabulary's label speaks to staff (in lists and charts).
CITIZEN_LABELS = {
    "CONFIDENTIALITY_LEVEL": _("Als vertraulich eingestuft"),
    "SDC_FAILED": _("Zusammengefasste Zahlen noch nicht ausreichend geschützt"),
    "ALREADY_PUBLISHED": _("Bereits anderswo frei verfügbar"),
    "ETHICS_BOARD_VETO": _("Einwand des Datenethikbeirats"),
}
WITHDRAWN_REASON = _(
    "Die zuständige Stelle hat die Veröffentlichung zurückgezogen. Einen gesetzlichen Ausschlussgrund hat sie dafür "
    "nicht genannt. Wenn Sie die Daten brauchen, fragen Sie sie an: Wir prüfen dann, ob wir sie wieder "
    "veröffentlichen."
)
HARVEST_WITHDRAWN_REASON = _(
    "Der Datensatz war aus einem anderen Datenportal übernommen. Dort wurde er entfernt, deshalb ist er auch hier "
    "nicht mehr veröffentlicht."
)


def citizen_reason(code: str) -> str:
    return str(CITIZEN_REASONS.get(code, ""))


def citizen_ground_labels(codes) -> dict[str, str]:
    """{code: short name} of exclusion grounds for the public pages (one query at most):
    the vocabulary's label unless it speaks to staff (CITIZEN_LABELS)."""
    codes = set(codes) - {""}
    labels = {code: label for code, (label, _sources) in _terms(codes).items()}
    return {code: str(CITIZEN_LABELS.get(code, labels.get(code, code))) for code in codes}


@dataclass(frozen=True)
class Reason:
    """Why a dataset is not open, for citizens: a short name, the explanation and the
    legal basis (the vocabulary term's sources)."""

    label: str
    text: str
    sources: tuple[str, ...] = ()


@dataclass
class RegisterEntry:
    title: str
    organisation: str
    outcome: str
    outcome_label: str
    grounds: list[str]  # short names, for lists and charts
    rereview_on: date | None
    decided: object
    published_name: str = ""  # for the alternative forms: the published dataset's name
    name: str = ""
    pk: int | None = None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def withdrawn(self) -> bool:
        return self.outcome == "withdrawn"


def register_queryset():
    return Dataset.objects.filter(REGISTER_CONDITION)


def _dataset_type():
    return ContentType.objects.get_for_model(Dataset)


def _terms(codes) -> dict[str, tuple[str, list[str]]]:
    """{code: (label, sources)} of the exclusion grounds, the latest version of each; one query."""
    codes = set(codes) - {""}
    if not codes:
        return {}
    terms = VocabularyTerm.objects.filter(vocabulary=Vocabulary.EXCLUSION_GROUND, code__in=codes).order_by("valid_from")
    return {code: (label, sources) for code, label, sources in terms.values_list("code", "label", "sources")}


def register_entries(rows) -> list[RegisterEntry]:
    """Entries for `rows` (dicts of REGISTER_FIELDS): two queries, the latest grounds of
    each dataset's publication decisions and the terms of those grounds. A withdrawn
    dataset counts only the grounds of its withdrawal (earlier approvals are history)
    and otherwise says in plain words that it was withdrawn."""
    rows = list(rows)
    grounds_by_id: dict[str, list[str]] = {}
    withdrawn_ids = {str(row["pk"]) for row in rows if row["state"] == S.WITHDRAWN}
    if rows:
        decisions = (
            Decision.objects.filter(
                subject_type=_dataset_type(),
                subject_id__in=[str(row["pk"]) for row in rows],
                kind=DecisionKind.PUBLICATION,
            )
            .exclude(exclusion_grounds=[])
            .order_by("decided_at", "pk")
            .values_list("subject_id", "outcome", "exclusion_grounds")
        )
        for subject_id, outcome, grounds in decisions:
            if subject_id in withdrawn_ids and outcome != DecisionOutcome.WITHDRAWN:
                continue
            grounds_by_id[subject_id] = grounds  # the latest wins
    for row in rows:
        fallback = [] if row["state"] == S.WITHDRAWN else (row["publication_basis"] or {}).get("grounds", [])
        grounds_by_id.setdefault(str(row["pk"]), fallback)
    terms = _terms(code for codes in grounds_by_id.values() for code in codes)
    entries = []
    for row in rows:
        outcome = "withdrawn" if row["state"] == S.WITHDRAWN else row["publication_outcome"]
        reasons = []
        for code in grounds_by_id[str(row["pk"])]:
            label, sources = terms.get(code, (code, []))
            label = str(CITIZEN_LABELS.get(code, label))
            reasons.append(Reason(label, citizen_reason(code) or label, tuple(sources)))
        if outcome == "withdrawn" and not reasons:
            if row.get("harvest_record__withdrawn_by_harvest"):
                label, text = _("An der Quelle entfernt"), HARVEST_WITHDRAWN_REASON
            else:
                label, text = _("Ohne gesetzlichen Ausschlussgrund zurückgezogen"), WITHDRAWN_REASON
            reasons.append(Reason(str(label), str(text)))
        entries.append(
            RegisterEntry(
                title=row["title"],
                organisation=row["publisher__name"],
                outcome=outcome,
                outcome_label=str(OUTCOME_LABELS.get(outcome, outcome)),
                grounds=[reason.label for reason in reasons if reason.sources or outcome != "withdrawn"],
                rereview_on=row["rereview_on"],
                decided=row["state_changed_at"],
                published_name=row["name"] if row["state"] == S.PUBLISHED else "",
                name=row["name"],
                pk=row["pk"],
                reasons=reasons,
            )
        )
    return entries


def register_entry(name: str) -> RegisterEntry | None:
    """The register entry of the dataset called `name`, or None if it is not in the register."""
    rows = register_queryset().filter(name=name).values(*REGISTER_FIELDS)[:1]
    entries = register_entries(rows)
    return entries[0] if entries else None


def withdrawn_entry(name: str) -> RegisterEntry | None:
    """The entry of a dataset withdrawn from the portal (so published before: only a
    published dataset can be withdrawn), for the 410 page at its old address."""
    rows = register_queryset().filter(name=name, state=S.WITHDRAWN).values(*REGISTER_FIELDS)[:1]
    entries = register_entries(rows)
    return entries[0] if entries else None


def ethics_decision(entry: RegisterEntry):
    """The board's latest completed review of the dataset, as the public sees it, or None."""
    return EthicsReview.objects.completed().filter(dataset_id=entry.pk).order_by("-completed_at", "-pk").first()


def request_initial(name: str) -> dict:
    """The data request form, filled in for a dataset of the register ("Diesen Datensatz
    anfragen"); empty for any other name, so the form names nothing unpublished."""
    entry = register_entry(name) if name else None
    if entry is None:
        return {}
    title = _("Zugang zum Datensatz „%(title)s“") % {"title": entry.title}
    description = _(
        "Ich bitte um Zugang zum Datensatz „%(title)s“ (%(organisation)s), der im Verzeichnis der nicht "
        "veröffentlichten Daten steht.\n\nIch möchte die Daten nutzen für: "
    ) % {"title": entry.title, "organisation": entry.organisation}
    return {"title": str(title)[:200], "description": str(description)}


# ---------------------------------------------------------------------------
# The decision summary of a published dataset


@dataclass(frozen=True)
class CitedRule:
    """A rule version the decision evaluated, as the dataset page names it."""

    code: str
    title: str
    section_number: str
    document_title: str


@dataclass
class DecisionSummary:
    issued: object
    outcome_label: str
    rules: list[CitedRule]  # the rule versions that fired
    policies: list  # (title, version number) of the policy versions the rules belong to


def decision_summary(dataset: Dataset) -> DecisionSummary | None:
    """The publication decision the dataset is on the portal under: the latest decision
    that evaluated the rules (approval or re-review confirmation). Two queries, read as
    plain rows: the page is the most visited one, and a decision cites every rule
    version in force (17 in the default rules), whose model instances with rule, section
    and policy document were half of its time (issue 12)."""
    decision = (
        Decision.objects.filter(
            subject_type=_dataset_type(),
            subject_id=str(dataset.pk),
            kind=DecisionKind.PUBLICATION,
            outcome__in=PUBLISHED_FORMS,
        )
        .exclude(evaluation={})
        .order_by("-decided_at", "-pk")
        .values_list("pk", "evaluation")
        .first()
    )
    if decision is None:
        return None
    pk, evaluation = decision
    fired = {step["rule"] for step in evaluation.get("trace", []) if step.get("result")}
    evaluated = RuleVersion.objects.filter(decision=pk).values_list(
        "rule__code", "title", "section__number", "policy_version__document__title", "policy_version__number"
    )
    rules, policies = [], set()
    for code, title, section_number, document_title, policy_number in evaluated:
        policies.add((document_title, policy_number))
        if code in fired:
            rules.append(CitedRule(code, title, section_number, document_title))
    return DecisionSummary(
        issued=dataset.issued,
        outcome_label=str(PublicationForm(dataset.publication_outcome).label) if dataset.publication_outcome else "",
        rules=rules,
        policies=sorted(policies, key=lambda policy: policy[0]),
    )


# ---------------------------------------------------------------------------
# Dashboard


def dashboard_data(*, months: int = 12) -> dict:
    """The figures of the "Transparenz" page; each chart also as a table."""
    today = timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)

    per_org = (
        Dataset.objects.filter(Q(state=S.PUBLISHED) | REGISTER_CONDITION)
        .values("publisher__name")
        .annotate(
            open=Count("pk", filter=Q(state=S.PUBLISHED, publication_outcome=PublicationForm.OPEN)),
            alternative=Count("pk", filter=Q(state=S.PUBLISHED, publication_outcome__in=ALTERNATIVE_FORMS)),
            not_open=Count("pk", filter=Q(state__in=(S.APPROVED, S.WITHDRAWN))),
        )
        .order_by("publisher__name")
    )
    organisations = {
        "labels": [row["publisher__name"] for row in per_org],
        "series": [
            {"label": str(_("offen")), "data": [row["open"] for row in per_org]},
            {"label": str(_("in alternativer Form")), "data": [row["alternative"] for row in per_org]},
            {"label": str(_("nicht veröffentlicht")), "data": [row["not_open"] for row in per_org]},
        ],
    }

    published_by_month = dict(
        Dataset.objects.published()
        .filter(issued__date__gte=start)
        .annotate(month=TruncMonth("issued"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    closed_by_month = dict(
        Dataset.objects.filter(state__in=(S.APPROVED, S.WITHDRAWN))
        .filter(REGISTER_CONDITION, state_changed_at__date__gte=start)
        .annotate(month=TruncMonth("state_changed_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    month_keys = []
    cursor = start
    while cursor <= today:
        month_keys.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)

    def by_month(counts):
        normalised = {timezone.localdate(k) if hasattr(k, "tzinfo") else k: v for k, v in counts.items()}
        normalised = {(k.year, k.month): v for k, v in normalised.items()}
        return [normalised.get((m.year, m.month), 0) for m in month_keys]

    outcomes = {
        "labels": [f"{m.month:02d}/{m.year}" for m in month_keys],
        "series": [
            {"label": str(_("veröffentlicht")), "data": by_month(published_by_month)},
            {"label": str(_("nicht veröffentlicht")), "data": by_month(closed_by_month)},
        ],
    }

    entries = register_entries(register_queryset().values(*REGISTER_FIELDS))
    reasons_counter = Counter(ground for entry in entries for ground in entry.grounds)
    reasons = {
        "labels": [label for label, _n in reasons_counter.most_common()],
        "series": [{"label": str(_("Datensätze")), "data": [n for _label, n in reasons_counter.most_common()]}],
    }

    by_status = dict(DataRequest.objects.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    requests = {
        "labels": [str(label) for _value, label in DataRequestStatus.choices],
        "series": [
            {
                "label": str(_("Datenwünsche")),
                "data": [by_status.get(value, 0) for value, _l in DataRequestStatus.choices],
            }
        ],
    }

    # From the first publication decision (the submission) to the latest final one.
    final = Dataset.objects.filter(Q(state=S.PUBLISHED) | REGISTER_CONDITION).annotate(key=Cast("pk", CharField()))
    spans = (
        Decision.objects.filter(
            subject_type=_dataset_type(), kind=DecisionKind.PUBLICATION, subject_id__in=final.values("key")
        )
        .values("subject_id", "organisation__name")
        .annotate(first=Min("decided_at"), last=Max("decided_at"))
    )
    days_by_org = defaultdict(list)
    for span in spans:
        days_by_org[span["organisation__name"] or "–"].append((span["last"] - span["first"]).total_seconds() / 86400)
    all_days = [d for values in days_by_org.values() for d in values]
    durations = {
        "labels": sorted(days_by_org),
        "series": [
            {
                "label": str(_("Tage bis zur Entscheidung (Durchschnitt)")),
                "data": [round(sum(days_by_org[o]) / len(days_by_org[o]), 1) for o in sorted(days_by_org)],
            }
        ],
        "average": round(sum(all_days) / len(all_days), 1) if all_days else None,
    }
    for chart in (organisations, outcomes, reasons, requests, durations):
        # The same figures as table rows: (label, [value per series]).
        chart["rows"] = [
            [label, [series["data"][index] for series in chart["series"]]]
            for index, label in enumerate(chart["labels"])
        ]
    return {
        "organisations": organisations,
        "outcomes": outcomes,
        "reasons": reasons,
        "requests": requests,
        "durations": durations,
        "answered": sum(by_status.get(s, 0) for s in (DataRequestStatus.PUBLISHED, DataRequestStatus.DECLINED)),
        "requests_total": sum(by_status.values()),
    }
