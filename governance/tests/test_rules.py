"""Rule conditions are validated with messages that name the problem, and the default
rule set of the open-by-default decision gives the outcomes of reference §7.6."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from governance import services
from governance.rules import ConditionError, describe_condition, evaluate_condition, evaluate_rules, validate_condition

from .conftest import OPEN_FACTS


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "personal_dat", "op": ">=", "value": 3}, "Unbekanntes Merkmal „personal_dat“"),
        ({"field": "personal_data", "op": "~", "value": 3}, "Unbekannter Operator „~“ bei „personal_data“"),
        ({"field": "vs_nfd", "op": ">=", "value": 1}, "Der Operator „>=“ passt nicht zum Merkmal „vs_nfd“"),
        ({"field": "personal_data", "op": ">=", "value": 7}, "Der Wert 7 ist für „personal_data“ nicht erlaubt"),
        ({"field": "personal_data", "op": ">=", "value": True}, "Der Wert true ist für „personal_data“ nicht erlaubt"),
        ({"field": "spatial_granularity", "op": "==", "value": "street"}, "Der Wert „street“ ist"),
        ({"field": "personal_data", "op": ">="}, "fehlt der Wert"),
        ({"field": "vs_nfd", "op": "is_true", "value": True}, "braucht keinen Wert"),
        ({"field": "personal_data", "op": "in", "value": 3}, "„in“ braucht eine nicht leere Liste"),
        ({"all": []}, "„all“ braucht eine nicht leere Liste"),
        ({"all": [{"field": "vs_nfd", "op": "is_true"}], "any": []}, "Neben „all“ ist nichts weiter erlaubt"),
        ([1, 2], "Eine Bedingung ist ein JSON-Objekt"),
        ({"any": [{"field": "vs_nfd", "op": "is_true"}, {"field": "x", "op": "is_true"}]}, "(in Bedingung 2)"),
        ({"field": "vs_nfd", "op": "is_true", "wert": 1}, "Unbekannter Schlüssel „wert“"),
    ],
)
def test_an_invalid_condition_is_refused_with_a_message_naming_the_problem(condition, message):
    with pytest.raises(ConditionError) as error:
        validate_condition(condition)
    assert message in str(error.value)


def test_valid_nested_conditions_pass_and_read_as_words():
    condition = {
        "all": [
            {"field": "personal_data", "op": ">=", "value": 3},
            {"not": {"any": [{"field": "vs_nfd", "op": "is_true"}, {"field": "hvd", "op": "is_false"}]}},
            {"field": "spatial_granularity", "op": "in", "value": ["point", "block"]},
        ]
    }
    validate_condition(condition)
    assert describe_condition(condition) == (
        "Personenbezug mindestens pseudonymisiert (3) und nicht ((Verschlusssache (VS-NfD) oder nicht: "
        "Hochwertiger Datensatz (HVD))) und Räumliche Granularität einer von: Adresse oder Koordinate, Baublock"
    )


def test_missing_required_facts_are_unknown_and_missing_optional_facts_do_not_apply():
    assert evaluate_condition({"field": "personal_data", "op": ">=", "value": 3}, {}) is None
    assert evaluate_condition({"field": "sdc_passed", "op": "is_false"}, {}) is False
    assert evaluate_condition({"any": [{"field": "vs_nfd", "op": "is_true"}, {"field": "hvd", "op": "is_true"}]},
                              {"hvd": True}) is True  # fmt: skip
    assert evaluate_condition({"all": [{"field": "vs_nfd", "op": "is_true"}, {"field": "hvd", "op": "is_true"}]},
                              {"hvd": False}) is False  # fmt: skip


def test_unknown_facts_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown fact 'personal'"):
        evaluate_rules([], {"personal": 3})
    with pytest.raises(ValueError, match="has no value 9"):
        evaluate_rules([], {"personal_data": 9})


def test_the_rule_form_refuses_an_invalid_condition_at_the_field(client_for, admin_a, strategy):
    draft = services.create_draft(strategy, by=admin_a)
    url = f"/intern/richtlinien/{strategy.slug}/fassungen/{draft.number}/regeln/neu/"
    section = draft.sections.get(number="§ 1")
    response = client_for(admin_a).post(
        url,
        {
            "code": "R-NEU",
            "title": "Neu",
            "section": section.pk,
            "condition": '{"field": "personal_data", "op": "is_true"}',
            "effect": "require_review",
            "review_roles": ["legal_reviewer"],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["condition"] == [
        "Der Operator „is_true“ passt nicht zum Merkmal „personal_data“. Erlaubt sind: ==, !=, <, <=, >, >=, in."
    ]
    assert "Der Operator „is_true“ passt nicht" in response.content.decode()
    assert not draft.rule_versions.filter(rule__code="R-NEU").exists()

    broken_json = client_for(admin_a).post(url, {"code": "R-NEU", "condition": "{field: 1", "effect": "block"})
    assert "kein gültiges JSON" in broken_json.context["form"].errors["condition"][0]


def test_the_service_refuses_a_block_without_ground_and_an_unknown_ground(admin_a, strategy):
    draft = services.create_draft(strategy, by=admin_a)
    fields = {
        "section": draft.sections.get(number="§ 1"),
        "title": "Sperre",
        "condition": {"field": "vs_nfd", "op": "is_true"},
        "effect": "block",
    }
    with pytest.raises(ValidationError) as error:
        services.save_rule_version(draft, by=admin_a, code="R-SPERRE", fields=fields)
    assert error.value.message_dict["ground"] == ["Eine Sperre nennt einen Ausschlussgrund."]
    assert "rereview_months" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_rule_version(
            draft,
            by=admin_a,
            code="R-SPERRE",
            fields={**fields, "ground": "ERFUNDEN", "alternative": "closed", "rereview_months": 6},
        )
    assert error.value.message_dict["ground"] == ["Unbekannter Ausschlussgrund „ERFUNDEN“."]


ON = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("changes", "outcome", "grounds", "reviews"),
    [
        ({}, "open", [], []),
        ({"personal_data": 4, "confidentiality": 1}, "aggregated", ["PERSONAL_DATA"], []),
        ({"vs_nfd": True, "confidentiality": 2}, "closed", ["CLASSIFIED", "CONFIDENTIALITY_LEVEL"], []),
        ({"trade_secrets": True}, "pending", [], ["legal_reviewer"]),
        ({"protection_confidentiality": 2}, "pending", [], ["legal_reviewer", "isb"]),
        ({"protection_confidentiality": 3}, "internal", ["PROTECTION_NEED_VERY_HIGH"], []),
        ({"statistical_confidentiality": True}, "pending", [], ["statistics_office"]),
        ({"personal_data": 2, "derived_from_personal": True}, "pending", [], ["legal_reviewer", "dpo"]),
        ({"sdc_passed": False}, "aggregated", ["SDC_FAILED"], []),
        ({"ethics_outcome": "rejected"}, "closed", ["ETHICS_BOARD_VETO"], []),
        (
            {"vulnerable_subjects": True, "personal_data": 4, "confidentiality": 1},
            "aggregated",
            ["PERSONAL_DATA"],
            ["ethics_board"],
        ),
        ({"spatial_granularity": "point", "socio_economic": True}, "pending", [], ["ethics_board"]),
        ({"publisher_dng_role": "daseinsvorsorge"}, "pending", [], ["legal_reviewer"]),
        ({"licence_is_open": False}, "pending", [], ["legal_reviewer"]),
        # An HVD that is blocked: the refusal itself needs legal review (rule about the derived fact "blocked").
        ({"hvd": True, "personal_data": 4, "confidentiality": 1}, "aggregated", ["PERSONAL_DATA"], ["legal_reviewer"]),
    ],
)
def test_the_default_rule_set_decides_like_the_reference(default_rules, changes, outcome, grounds, reviews):
    evaluation = services.evaluate({**OPEN_FACTS, **changes}, on=ON)
    assert evaluation.outcome == outcome
    assert evaluation.grounds == grounds
    order = ["legal_reviewer", "ethics_board", "dpo", "statistics_office", "isb"]
    assert evaluation.required_reviews == sorted(reviews, key=order.index)


def test_a_block_carries_its_rule_section_and_a_re_review_date(default_rules):
    evaluation = services.evaluate({**OPEN_FACTS, "personal_data": 4, "confidentiality": 1}, on=ON)
    [block] = evaluation.blocks
    assert (block.rule, block.ground, block.alternative, block.section) == (
        "R-PERSONENBEZUG",
        "PERSONAL_DATA",
        "aggregated",
        "§ 3 Abs. 2",
    )
    assert evaluation.rereview_months == 24
    assert evaluation.rereview_on == date(2028, 1, 15)
    assert len(evaluation.trace) == 17
    assert evaluation.as_dict()["blocks"][0]["ground"] == "PERSONAL_DATA"


def test_hvd_conditions_apply_to_open_data_too(default_rules):
    evaluation = services.evaluate({**OPEN_FACTS, "hvd": True}, on=ON)
    assert evaluation.outcome == "open"
    assert [code for code, _text in evaluation.conditions] == ["R-HVD-AUFLAGEN"]
    assert evaluation.rereview_on == date(2027, 1, 15)


def test_a_missing_required_fact_keeps_the_decision_pending(default_rules):
    facts = {name: value for name, value in OPEN_FACTS.items() if name != "personal_data"}
    evaluation = services.evaluate(facts, on=ON)
    assert evaluation.outcome == "pending"
    assert ("R-PERSONENBEZUG", ["personal_data"]) in evaluation.undecided


def test_no_rules_in_force_means_open_by_default(vocabularies):
    assert services.evaluate(OPEN_FACTS, on=ON).outcome == "open"
