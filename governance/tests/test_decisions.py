"""Decisions are append-only and name the exact versions they were made on."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from catalog import services as catalog
from catalog.tests.conftest import classification_fields, dataset_fields
from governance import services
from governance.models import AuditAction, AuditEvent, Decision, ImmutableError

from .conftest import OPEN_FACTS


@pytest.fixture
def classified_dataset(org_a, steward_a):
    dataset = catalog.create_dataset(by=steward_a, fields=dataset_fields(org_a), keywords=["Bäume"], themes=["ENVI"])
    classification = catalog.classify_dataset(
        dataset,
        by=steward_a,
        fields=classification_fields(
            personal_data=4, confidentiality=1, legal_bases=["GDPR_6_1_e"], justification="Namen der Pat:innen"
        ),
    )
    dataset.refresh_from_db()
    return dataset, classification


def record(dataset, classification, owner, **overrides):
    evaluation = services.evaluate({**OPEN_FACTS, "personal_data": 4, "confidentiality": 1})
    return services.record_decision(
        kind="publication",
        subject=dataset,
        classification=classification,
        outcome=evaluation.outcome,
        evaluation=evaluation,
        actor=owner,
        reasons="Nur aggregiert nach Stadtteil.",
        **overrides,
    )


def test_a_decision_references_the_exact_versions_it_was_made_on(default_rules, classified_dataset, owner_a, org_a):
    dataset, classification = classified_dataset
    decision = record(dataset, classification, owner_a)

    latest = dataset.history.order_by("-history_id").first()
    assert decision.subject_version_type == ContentType.objects.get_for_model(type(latest))
    assert decision.subject_version_id == latest.history_id
    assert decision.subject_version == latest
    assert decision.classification == classification
    assert decision.organisation == org_a
    assert decision.outcome == "aggregated"
    assert decision.exclusion_grounds == ["PERSONAL_DATA"]
    assert decision.rereview_on is not None
    assert decision.rule_versions.count() == 17
    assert list(decision.policy_versions.all()) == [default_rules.versions.get()]
    event = AuditEvent.objects.get(action=AuditAction.DECISION)
    assert event.object_id == str(decision.pk)
    assert event.data["snapshot"]["rule_versions"] == sorted(decision.rule_versions.values_list("pk", flat=True))

    # A later change of the dataset leaves the decision pointing at the version it judged.
    catalog.update_dataset(dataset, by=owner_a, fields={"title": "Neu"}, expected_version=dataset.version)
    decision.refresh_from_db()
    assert decision.subject_version.title == "Baumkataster"


def test_a_decision_is_never_changed(default_rules, classified_dataset, owner_a):
    decision = record(*classified_dataset, owner_a)
    decision.outcome = "open"
    with pytest.raises(ImmutableError):
        decision.save()
    with pytest.raises(ImmutableError):
        decision.delete()
    with pytest.raises(ImmutableError):
        Decision.objects.filter(pk=decision.pk).update(outcome="open")
    with pytest.raises(ImmutableError):
        Decision.objects.filter(pk=decision.pk).delete()
    # (the related managers write inside their own atomic block, hence the savepoints)
    with pytest.raises(ImmutableError), transaction.atomic():
        decision.rule_versions.clear()
    with pytest.raises(ImmutableError), transaction.atomic():
        decision.policy_versions.add(default_rules.versions.get())
    for sql in [
        "UPDATE governance_decision SET outcome = 'open' WHERE id = %s",
        "DELETE FROM governance_decision WHERE id = %s",
        "DELETE FROM governance_decisionruleversion WHERE decision_id = %s",
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [decision.pk])
    assert Decision.objects.get(pk=decision.pk).outcome == "aggregated"


def test_keeping_data_closed_needs_a_ground_and_a_re_review(vocabularies, classified_dataset, owner_a):
    dataset, classification = classified_dataset
    with pytest.raises(ValidationError, match="Ausschlussgrund und eine Wiedervorlage"):
        services.record_decision(kind="publication", subject=dataset, outcome="closed", actor=owner_a, reasons="geheim")
    with pytest.raises(ValidationError, match="Unbekannter Ausschlussgrund: ERFUNDEN"):
        services.record_decision(
            kind="publication",
            subject=dataset,
            outcome="closed",
            actor=owner_a,
            reasons="geheim",
            exclusion_grounds=["ERFUNDEN"],
            rereview_on=date(2027, 1, 1),
        )
    decision = services.record_decision(
        kind="publication",
        subject=dataset,
        outcome="closed",
        actor=owner_a,
        reasons="Verschlusssache",
        exclusion_grounds=["CLASSIFIED"],
        rereview_on=date(2027, 1, 1),
        classification=classification,
    )
    assert decision.policy_versions.count() == 0  # no rules in force in this test


def test_rules_not_in_force_on_the_decision_day_are_refused(strategy, classified_dataset, owner_a):
    dataset, _classification = classified_dataset
    superseded_rule = strategy.versions.get(number=1).rule_versions.get()
    with pytest.raises(services.GovernanceError, match="nicht in Kraft"):
        services.record_decision(
            kind="review", subject=dataset, outcome="approved", actor=owner_a, rule_versions=[superseded_rule]
        )
