"""The open-by-default decision engine, table-driven: every rule of the default set
(reference/ethics_legal.md §7.6) alone and in combination, evaluated as a pure
function (no database) over the facts the workflow builds from a dataset."""

from datetime import date
from types import SimpleNamespace

import pytest

from catalog.engine import basis_of, dataset_facts, final_outcome, needs_ethics_board
from governance.reference_data import DEFAULT_RULES
from governance.rules import PENDING, ReviewRole, evaluate_rules

ON = date(2025, 3, 3)
RULES = [
    SimpleNamespace(
        pk=index,
        code=code,
        section_number=section,
        condition=condition,
        effect=effect,
        ground=extra.get("ground", ""),
        alternative=extra.get("alternative", ""),
        review_roles=extra.get("review_roles", []),
        conditions_text=extra.get("conditions_text", ""),
        rereview_months=extra.get("rereview_months"),
    )
    for index, (code, section, _title, condition, effect, extra) in enumerate(DEFAULT_RULES, start=1)
]

OPEN_FACTS = {
    "personal_data": 0,
    "confidentiality": 0,
    "vs_nfd": False,
    "protection_confidentiality": 1,
    "protection_integrity": 1,
    "protection_availability": 1,
    "trade_secrets": False,
    "third_party_rights": False,
    "critical_infrastructure": False,
    "statistical_confidentiality": False,
    "vulnerable_subjects": False,
    "spatial_granularity": "district",
    "temporal_granularity": "year",
    "licence_is_open": True,
    "hvd": False,
    "publisher_dng_role": "oeffentliche_stelle",
}

L, E, DPO, STAT, ISB = (ReviewRole.LEGAL, ReviewRole.ETHICS_BOARD, ReviewRole.DPO, ReviewRole.STATISTICS_OFFICE,
                        ReviewRole.ISB)  # fmt: skip

# (case, facts changed from OPEN_FACTS, outcome, grounds, required reviews, re-review months, conditions)
TABLE = [
    ("open by default", {}, "open", [], [], None, 0),
    # Blocks (§ 3), each alone, with the alternative form it proposes
    ("R-VERSCHLUSSSACHE", {"vs_nfd": True, "confidentiality": 2}, "closed",
     ["CLASSIFIED", "CONFIDENTIALITY_LEVEL"], [], 12, 0),
    ("R-PERSONENBEZUG pseudonymised", {"personal_data": 3, "confidentiality": 1}, "aggregated",
     ["PERSONAL_DATA"], [], 24, 0),
    ("R-PERSONENBEZUG personal", {"personal_data": 4, "confidentiality": 1}, "aggregated", ["PERSONAL_DATA"], [],
     24, 0),
    ("R-PERSONENBEZUG special", {"personal_data": 5, "confidentiality": 1}, "aggregated", ["PERSONAL_DATA"], [], 24, 0),
    ("R-VERTRAULICH", {"confidentiality": 2}, "internal", ["CONFIDENTIALITY_LEVEL"], [], 12, 0),
    ("R-VERTRAULICH streng", {"confidentiality": 3}, "internal", ["CONFIDENTIALITY_LEVEL"], [], 12, 0),
    ("R-SCHUTZBEDARF-SEHR-HOCH", {"protection_confidentiality": 3}, "internal", ["PROTECTION_NEED_VERY_HIGH"], [],
     12, 0),
    ("R-GEHEIMHALTUNG", {"sdc_passed": False}, "aggregated", ["SDC_FAILED"], [], 3, 0),
    ("R-GEHEIMHALTUNG passed", {"sdc_passed": True}, "open", [], [], None, 0),
    ("R-ETHIK-VETO", {"ethics_outcome": "rejected"}, "closed", ["ETHICS_BOARD_VETO"], [], 12, 0),
    # Required reviews (§ 4, § 6): pending until reviewed
    ("R-RECHTE-DRITTER trade secrets", {"trade_secrets": True}, PENDING, [], [L], None, 0),
    ("R-RECHTE-DRITTER third parties", {"third_party_rights": True}, PENDING, [], [L], None, 0),
    ("R-RECHTE-DRITTER KRITIS", {"critical_infrastructure": True}, PENDING, [], [L], None, 0),
    ("R-AUSSCHLUSSGRUND", {"exclusion_claimed": True}, PENDING, [], [L], None, 0),
    ("R-DASEINSVORSORGE", {"publisher_dng_role": "daseinsvorsorge"}, PENDING, [], [L], None, 0),
    ("R-ANONYMISIERUNG anonymised", {"personal_data": 1, "derived_from_personal": True}, PENDING, [], [L, DPO],
     None, 0),
    ("R-ANONYMISIERUNG aggregated", {"personal_data": 2, "derived_from_personal": True}, PENDING, [], [L, DPO],
     None, 0),
    ("R-ANONYMISIERUNG not derived", {"personal_data": 1}, "open", [], [], None, 0),
    ("R-STATISTIKGEHEIMNIS", {"statistical_confidentiality": True}, PENDING, [], [STAT], None, 0),
    ("R-KLEINE-FALLZAHLEN aggregated", {"personal_data": 2, "small_cells": True}, PENDING, [], [STAT], None, 0),
    ("R-KLEINE-FALLZAHLEN no personal reference", {"small_cells": True}, "open", [], [], None, 0),
    ("R-SCHUTZBEDARF-HOCH", {"protection_confidentiality": 2}, PENDING, [], [L, ISB], None, 0),
    ("R-LIZENZ", {"licence_is_open": False}, PENDING, [], [L], None, 0),
    ("R-ETHIKBEIRAT vulnerable", {"vulnerable_subjects": True}, PENDING, [], [E], None, 0),
    ("R-ETHIKBEIRAT DEK 3", {"dek_criticality": 3}, PENDING, [], [E], None, 0),
    ("R-ETHIKBEIRAT DEK 2", {"dek_criticality": 2}, "open", [], [], None, 0),
    ("R-ETHIKBEIRAT AI Act high", {"ai_act_tier": "high"}, PENDING, [], [E], None, 0),
    ("R-ETHIKBEIRAT small-area socio-economic", {"spatial_granularity": "block", "socio_economic": True}, PENDING,
     [], [E], None, 0),
    ("R-ETHIKBEIRAT socio-economic by district", {"socio_economic": True}, "open", [], [], None, 0),
    ("R-ETHIKBEIRAT sensors", {"public_space_sensors": True}, PENDING, [], [E], None, 0),
    ("R-ETHIKBEIRAT private partner", {"commercial_reuse_by_private_partner": True}, PENDING, [], [E], None, 0),
    ("R-ETHIKBEIRAT DPIA", {"dpia_criteria": 2}, PENDING, [], [E], None, 0),
    ("R-ETHIKBEIRAT referred", {"ethics_outcome": "board"}, PENDING, [], [E], None, 0),
    ("R-ETHIKBEIRAT approved by the board", {"ethics_outcome": "approved"}, "open", [], [], None, 0),
    # Conditions (§ 5)
    ("R-HVD-AUFLAGEN", {"hvd": True}, "open", [], [], 12, 1),
    ("R-HVD-SPERRE", {"hvd": True, "confidentiality": 2}, "internal", ["CONFIDENTIALITY_LEVEL"], [L], 12, 1),
    # Combinations: the most restrictive alternative wins; reviews add up
    ("personal and confidential", {"personal_data": 4, "confidentiality": 2}, "internal",
     ["CONFIDENTIALITY_LEVEL", "PERSONAL_DATA"], [], 12, 0),
    ("personal and classified", {"personal_data": 4, "confidentiality": 2, "vs_nfd": True}, "closed",
     ["CLASSIFIED", "CONFIDENTIALITY_LEVEL", "PERSONAL_DATA"], [], 12, 0),
    ("personal, vulnerable, third parties",
     {"personal_data": 4, "confidentiality": 1, "vulnerable_subjects": True, "third_party_rights": True},
     "aggregated", ["PERSONAL_DATA"], [L, E], 24, 0),
    ("utility with closed licence", {"publisher_dng_role": "daseinsvorsorge", "licence_is_open": False}, PENDING,
     [], [L], None, 0),
    ("high need and statistics", {"protection_confidentiality": 2, "statistical_confidentiality": True}, PENDING, [],
     [L, STAT, ISB], None, 0),
    ("SDC failed and veto", {"sdc_passed": False, "ethics_outcome": "rejected"}, "closed",
     ["ETHICS_BOARD_VETO", "SDC_FAILED"], [], 3, 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "outcome", "grounds", "reviews", "months", "conditions"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_the_engine_decides(changes, outcome, grounds, reviews, months, conditions):
    evaluation = evaluate_rules(RULES, {**OPEN_FACTS, **changes}, on=ON)

    assert evaluation.outcome == outcome
    assert evaluation.grounds == grounds
    assert evaluation.required_reviews == reviews
    assert evaluation.rereview_months == months
    assert len(evaluation.conditions) == conditions
    # Open by default: every non-open, non-pending outcome cites a ground and a re-review date.
    if outcome not in ("open", PENDING):
        assert evaluation.grounds
        assert evaluation.rereview_on


def test_the_table_covers_every_rule_of_the_default_set():
    covered = {code for case in TABLE for code in [case[0].split()[0]]}
    fired = set()
    for _case, changes, *_rest in TABLE:
        evaluation = evaluate_rules(RULES, {**OPEN_FACTS, **changes}, on=ON)
        fired |= {step["rule"] for step in evaluation.trace if step["result"]}
    assert fired == {rule.code for rule in RULES}
    assert {rule.code for rule in RULES} <= covered


@pytest.mark.parametrize(
    ("engine_outcome", "changes", "final"),
    [
        ("open", {}, "open"),
        ("pending", {"trade_secrets": True}, "open"),  # reviewed on approval
        ("aggregated", {"personal_data": 4, "confidentiality": 1}, "aggregated"),
        ("internal", {"confidentiality": 2}, "internal"),
        ("closed", {"vs_nfd": True, "confidentiality": 2}, "closed"),
    ],
)
def test_approval_turns_the_engine_outcome_into_a_final_one(engine_outcome, changes, final):
    evaluation = evaluate_rules(RULES, {**OPEN_FACTS, **changes}, on=ON)
    assert evaluation.outcome == engine_outcome
    assert final_outcome(evaluation) == final
    assert basis_of(evaluation)["outcome"] == final


def test_a_missing_required_fact_keeps_the_outcome_pending_even_after_review():
    facts = dict(OPEN_FACTS)
    del facts["licence_is_open"]
    evaluation = evaluate_rules(RULES, facts, on=ON)
    assert evaluation.outcome == PENDING
    assert final_outcome(evaluation) == PENDING


def test_the_ethics_board_is_needed_only_when_a_rule_asks_for_it():
    assert not needs_ethics_board(evaluate_rules(RULES, OPEN_FACTS, on=ON))
    assert needs_ethics_board(evaluate_rules(RULES, {**OPEN_FACTS, "vulnerable_subjects": True}, on=ON))


def test_the_facts_come_from_the_dataset_and_its_classification():
    publisher = SimpleNamespace(dng_role="daseinsvorsorge")
    dataset = SimpleNamespace(
        pk=None, licence="cc-by-nc/4.0", hvd_category="mobility", publisher=publisher, ethics_outcome=""
    )
    classification = SimpleNamespace(
        personal_data=2,
        confidentiality=1,
        vs_nfd=False,
        protection_confidentiality=2,
        protection_integrity=1,
        protection_availability=3,
        trade_secrets=True,
        third_party_rights=False,
        critical_infrastructure=True,
        statistical_confidentiality=False,
        vulnerable_subjects=False,
        spatial_granularity="district",
        temporal_granularity="month",
    )
    facts = dataset_facts(dataset, classification)

    assert facts["licence_is_open"] is False
    assert facts["hvd"] is True
    assert facts["publisher_dng_role"] == "daseinsvorsorge"
    assert facts["protection_confidentiality"] == 2
    assert "ethics_outcome" not in facts
    dataset.ethics_outcome = "rejected"
    assert dataset_facts(dataset, classification)["ethics_outcome"] == "rejected"
    assert evaluate_rules(RULES, dataset_facts(dataset, classification), on=ON).outcome == "closed"
