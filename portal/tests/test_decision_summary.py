"""The dataset page's "Grundlage der Veröffentlichung": which rules (with their policy
document and section) a dataset is published under, or the open-by-default principle
with the policy versions that were evaluated – compared with the decision's own record."""

import pytest
from django.urls import reverse

from catalog.models import PersonalDataStatus
from catalog.tests.conftest import classification_fields
from governance.models import Decision, DecisionKind
from portal import transparency

pytestmark = pytest.mark.django_db


def publication_decision(dataset) -> Decision:
    return (
        Decision.objects.filter(subject_id=str(dataset.pk), kind=DecisionKind.PUBLICATION)
        .exclude(evaluation={})
        .latest("decided_at", "pk")
    )


def test_an_aggregated_dataset_names_the_rule_it_is_published_under(client, flow_a, org_a, django_assert_num_queries):
    personal = classification_fields(personal_data=PersonalDataStatus.PERSONAL, confidentiality=1,
                                     legal_bases=["GDPR_6_1_e"])  # fmt: skip
    dataset = flow_a.publish(flow_a.create(org_a, "einwohner", title="Einwohner", classification=personal))
    assert dataset.publication_outcome == "aggregated"

    decision = publication_decision(dataset)
    fired = {step["rule"] for step in decision.evaluation["trace"] if step["result"]}
    expected = [rv for rv in decision.rule_versions.select_related("rule", "section") if rv.rule.code in fired]
    assert expected, "the personal-data rule fired"

    with django_assert_num_queries(2):
        summary = transparency.decision_summary(dataset)
    assert [(rule.code, rule.title, rule.section_number) for rule in summary.rules] == [
        (rv.rule.code, rv.title, rv.section.number) for rv in expected
    ]
    assert summary.outcome_label == "nur aggregiert oder anonymisiert veröffentlichen"

    page = client.get(reverse("portal:dataset_detail", args=[dataset.name])).content.decode()
    rule = expected[0]
    document = rule.policy_version.document.title
    assert f"Regel {rule.rule.code} „{rule.title}“ der {document} (§ {rule.section.number})" in page
    assert "nach dem Grundsatz „offen als Standard“" not in page


def test_an_open_dataset_names_the_principle_and_the_policy_versions(client, published):
    decision = publication_decision(published)
    versions = {(rv.policy_version.document.title, rv.policy_version.number) for rv in decision.rule_versions.all()}

    summary = transparency.decision_summary(published)
    assert summary.rules == []
    assert summary.policies == sorted(versions)

    page = client.get(reverse("portal:dataset_detail", args=[published.name])).content.decode()
    assert "nach dem Grundsatz „offen als Standard“: keine Regel stand einer Veröffentlichung entgegen" in page
    for title, number in versions:
        assert f"{title}, Fassung {number}" in page
