from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services as catalog
from catalog import workflow
from catalog.models import Dataset, PersonalDataStatus
from catalog.tests.conftest import classification_fields, dataset_fields
from conftest import make_role_holder
from ethics.models import DataUse, EthicsReview
from governance.models import Role


@pytest.fixture
def board_a(org_a):
    return make_role_holder("ethik-a1", Role.ETHICS_BOARD_MEMBER, org_a, email="ethik-a1@stadt-a.example")


@pytest.fixture
def board_a2(org_a):
    return make_role_holder("ethik-a2", Role.ETHICS_BOARD_MEMBER, org_a, email="ethik-a2@stadt-a.example")


@pytest.fixture
def board_a3(org_a):
    return make_role_holder("ethik-a3", Role.ETHICS_BOARD_MEMBER, org_a)


@pytest.fixture
def board_b(org_b):
    return make_role_holder("ethik-b", Role.ETHICS_BOARD_MEMBER, org_b)


@pytest.fixture
def legal_a(org_a):
    return make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)


def fresh(dataset):
    return Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)


def to_ethics_review(dataset, steward, owner):
    """Classify with vulnerable data subjects (R-ETHIKBEIRAT), submit, sign off."""
    fields = classification_fields(
        personal_data=PersonalDataStatus.PERSONAL, confidentiality=1, legal_bases=["GDPR_6_1_e"],
        vulnerable_subjects=True,
    )  # fmt: skip
    catalog.classify_dataset(dataset, by=steward, fields=fields)
    workflow.submit(dataset, by=steward, expected_version=fresh(dataset).version)
    workflow.sign_off(dataset, by=owner, expected_version=fresh(dataset).version)
    return fresh(dataset)


@pytest.fixture
def flagged(default_rules, org_a, steward_a, owner_a):
    """A dataset of Stadt A waiting in ethics review, with its automatically opened review."""
    dataset = catalog.create_dataset(
        by=steward_a, fields=dataset_fields(org_a, name="wohngeld", title="Wohngeldbescheide", steward=steward_a)
    )
    return to_ethics_review(dataset, steward_a, owner_a)


@pytest.fixture
def review(flagged):
    return EthicsReview.objects.get(dataset=flagged)


@pytest.fixture
def data_use(org_a, steward_a):
    use = DataUse(
        title="Verkehrsfluss-Analyse mit Kameras",
        purpose="Ampelschaltungen verbessern.",
        organisation=org_a,
        applicant=steward_a,
        public_space_sensors=True,
        algorithmic_system=True,
    )
    use.save()
    return use


def all_answers(review, **overrides):
    """A complete, unremarkable answer to every question of the review, with overrides
    {code: value or (value, text)}."""
    from ethics.models import QuestionKind
    from ethics.services import questions_for

    answers = {}
    for question in questions_for(review):
        value = {
            QuestionKind.TEXT: "",
            QuestionKind.SCORE: "4",
            QuestionKind.YES_NO: "no",
            QuestionKind.LEVEL: "1",
            QuestionKind.AI_TIER: "minimal",
        }[question.kind]
        answers[question.code] = (value, "Antwort")
    for code, value in overrides.items():
        answers[code] = value if isinstance(value, tuple) else (value, "Antwort")
    return answers


def later(days=30):
    return timezone.localdate() + timedelta(days=days)
