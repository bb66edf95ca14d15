"""The decision engine: a pure function of the dataset, its current classification,
the disclosure reports of its tables and the rule versions in force (governance.rules).
It changes nothing; the workflow (catalog.workflow) records what it decides.
"""

from __future__ import annotations

from datetime import date

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import services as governance
from governance.rules import PENDING, ReviewRole, RuleEvaluation, evaluate_rules
from governance.vocabularies import PublicationForm

from .errors import WorkflowError
from .models import Dataset, DistributionReport, DistributionStatus, ReportKind
from .vocabularies import LICENCES_BY_CODE

OPEN = PublicationForm.OPEN
PUBLISHABLE_FORMS = (PublicationForm.OPEN, PublicationForm.AGGREGATED, PublicationForm.REDACTED)
NON_PUBLIC_FORMS = (PublicationForm.INTERNAL, PublicationForm.CLOSED)
# Reviews the legal reviewer confirms on approval (no role of their own in the app yet).
CONFIRMED_REVIEWS = (ReviewRole.DPO, ReviewRole.STATISTICS_OFFICE, ReviewRole.ISB)


def dataset_facts(dataset: Dataset, classification, *, distributions=None) -> dict:
    """The facts (governance.rules.FACTS) of a dataset and one classification version;
    `distributions`: the tables whose disclosure checks count (default: the current ones)."""
    c = classification
    facts = {
        "personal_data": int(c.personal_data),
        "confidentiality": int(c.confidentiality),
        "vs_nfd": bool(c.vs_nfd),
        "protection_confidentiality": int(c.protection_confidentiality),
        "protection_integrity": int(c.protection_integrity),
        "protection_availability": int(c.protection_availability),
        "trade_secrets": bool(c.trade_secrets),
        "third_party_rights": bool(c.third_party_rights),
        "critical_infrastructure": bool(c.critical_infrastructure),
        "statistical_confidentiality": bool(c.statistical_confidentiality),
        "vulnerable_subjects": bool(c.vulnerable_subjects),
        "spatial_granularity": c.spatial_granularity,
        "temporal_granularity": c.temporal_granularity,
        "licence_is_open": LICENCES_BY_CODE[dataset.licence].is_open,
        "hvd": bool(dataset.hvd_category),
        "publisher_dng_role": dataset.publisher.dng_role,
    }
    if dataset.ethics_outcome:
        facts["ethics_outcome"] = dataset.ethics_outcome
    small_cells = disclosure_findings(dataset, distributions=distributions)
    if small_cells is not None:
        facts["small_cells"] = small_cells
    return facts


def disclosure_findings(dataset: Dataset, *, distributions=None) -> bool | None:
    """Whether the disclosure check (catalog.disclosure) flagged small counts in the
    current version of any uploaded table of the dataset's approved state (or of the
    given `distributions`: what a pending change would make of it); None if no table
    has been checked (one query). A blocked file is no longer part of the dataset."""
    if dataset.pk is None:
        return None
    reports = DistributionReport.objects.filter(
        kind=ReportKind.DISCLOSURE, checksum_sha256=F("distribution__checksum_sha256")
    )
    if distributions is None:
        reports = reports.filter(distribution__dataset=dataset, distribution__status=DistributionStatus.CURRENT)
    else:
        reports = reports.filter(distribution__in=distributions)
    results = reports.values_list("valid", flat=True)
    results = list(results)
    return (not all(results)) if results else None


def decide(dataset: Dataset, *, rule_versions=None, on: date | None = None, distributions=None) -> RuleEvaluation:
    """Evaluate the dataset's current classification against the rules in force on
    `on` (default today), or against the given rule versions (then one query: the
    disclosure reports of the dataset's tables)."""
    if dataset.current_classification is None:
        raise WorkflowError(_("Bitte klassifizieren Sie den Datensatz, bevor Sie ihn einreichen."))
    on = on or timezone.localdate()
    if rule_versions is None:
        rule_versions = governance.in_force(on).rule_versions
    facts = dataset_facts(dataset, dataset.current_classification, distributions=distributions)
    return evaluate_rules(rule_versions, facts, on=on)


def needs_ethics_board(evaluation: RuleEvaluation) -> bool:
    return ReviewRole.ETHICS_BOARD in evaluation.reviews


def final_outcome(evaluation: RuleEvaluation) -> str:
    """What an approval makes of the engine's outcome: the required reviews are done
    by then, so "pending" becomes open; a block keeps its alternative form."""
    if evaluation.blocks:
        return evaluation.outcome
    if evaluation.undecided:
        return PENDING
    return OPEN


def basis_of(evaluation: RuleEvaluation) -> dict:
    """What a final decision rests on; if the rules in force change any of it, review re-opens."""
    return {
        "outcome": final_outcome(evaluation),
        "reviews": list(evaluation.required_reviews),
        "grounds": list(evaluation.grounds),
    }
