"""Personas of data sharing. Stadt A and its Umweltamt share one controller (the city);
Stadt B is another controller. Datasets of Stadt A: an internal one without personal
data, one with personal data and one with special categories."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from catalog import services as catalog
from catalog.models import Confidentiality, Dataset, PersonalDataStatus, ProtectionNeed
from catalog.tests.conftest import classification_fields, dataset_fields
from conftest import make_role_holder
from governance import services as governance
from governance.models import PolicyKind, Role
from sharing import services
from sharing.models import AgreementType, SharingAgreement


@pytest.fixture
def legal_a(org_a):
    return make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)


@pytest.fixture
def owner_b(org_b):
    return make_role_holder("owner-b", Role.OWNER, org_b)


@pytest.fixture
def steward_dept(org_a_department):
    """A data steward of Stadt A's Umweltamt: same controller as Stadt A, but the role
    covers only the department, so Stadt A's own datasets are not theirs to see."""
    return make_role_holder("steward-umwelt", Role.STEWARD, org_a_department, first_name="Uta", last_name="Umwelt")


def make_dataset(publisher, steward, name, *, title=None, **classification):
    dataset = catalog.create_dataset(
        by=steward, fields=dataset_fields(publisher, name=name, title=title or name.title()), keywords=["Netz"]
    )
    if classification is not None:
        catalog.classify_dataset(dataset, by=steward, fields=classification_fields(**classification))
    return Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)


PERSONAL = {
    "personal_data": PersonalDataStatus.PERSONAL,
    "confidentiality": Confidentiality.VERTRAULICH,
    "protection_confidentiality": ProtectionNeed.HOCH,
    "legal_bases": ["GDPR_6_1_e"],
    "justification": "Namen und Anschriften.",
}
SPECIAL = {
    **PERSONAL,
    "personal_data": PersonalDataStatus.SPECIAL,
    "special_categories": ["health"],
    "legal_bases": ["GDPR_6_1_e", "GDPR_9_2_i"],
    "justification": "Gesundheitsdaten.",
}


@pytest.fixture
def sewers(vocabularies, org_a, steward_a):
    """Internal, no personal data: critical infrastructure."""
    return make_dataset(
        org_a, steward_a, "kanalnetz", title="Kanalnetz", confidentiality=Confidentiality.VERTRAULICH,
        critical_infrastructure=True, justification="KRITIS.",
    )  # fmt: skip


@pytest.fixture
def residents(vocabularies, org_a, steward_a):
    return make_dataset(org_a, steward_a, "meldedaten", title="Meldedaten", **PERSONAL)


@pytest.fixture
def health(vocabularies, org_a, steward_a):
    return make_dataset(org_a, steward_a, "infektionsmeldungen", title="Infektionsmeldungen", **SPECIAL)


def agreement_fields(recipient, **overrides):
    today = timezone.localdate()
    return {
        "title": "Kanalnetz für die Planung",
        "recipient": recipient,
        "agreement_type": AgreementType.SAME_CONTROLLER,
        "purpose": "Bauleitplanung.",
        "valid_from": today,
        "valid_until": today + timedelta(days=365),
        **overrides,
    }


def draft(by, provider, recipient, datasets, **overrides) -> SharingAgreement:
    return services.create_agreement(
        by=by, provider=provider, fields=agreement_fields(recipient, **overrides), datasets=datasets
    )


def fresh(agreement) -> SharingAgreement:
    return SharingAgreement.objects.select_related("provider", "recipient").get(pk=agreement.pk)


def step(function, agreement, **kwargs):
    return function(fresh(agreement), expected_version=fresh(agreement).version, **kwargs)


def make_contract(by=None, slug="avv"):
    document = governance.create_document(by=by, kind=PolicyKind.CONTRACT, title="Vertrag", slug=slug)
    version = governance.create_draft(document, by=by, body="## § 1 Gegenstand\n\n(1) Auswertung im Auftrag.\n")
    governance.adopt_version(version, by=by, adopted_by="Werkleitung", adopted_on=date(2025, 1, 1))
    return governance.put_in_force(version, by=by, valid_from=date(2025, 1, 2))


@pytest.fixture
def internal_agreement(org_a, org_a_department, steward_a, owner_a, sewers):
    """Stadt A → its Umweltamt, no personal data: in force after the owner's approval."""
    agreement = draft(steward_a, org_a, org_a_department, [sewers])
    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a)
    return fresh(agreement)


@pytest.fixture
def transfer_agreement(org_a, org_b, steward_a, owner_a, legal_a, residents):
    """Stadt A → Stadt B, personal data: in force after owner approval and legal review."""
    agreement = draft(
        steward_a, org_a, org_b, [residents], title="Meldedaten für Stadt B", agreement_type=AgreementType.TRANSFER,
        legal_bases=["GDPR_6_1_e"], legal_norm="§ 34 BMG", deletion_period_months=6,
    )  # fmt: skip
    step(services.submit_agreement, agreement, by=steward_a)
    step(services.approve_agreement, agreement, by=owner_a)
    step(services.approve_agreement, agreement, by=legal_a)
    return fresh(agreement)


def ask(by, dataset, recipient, *, agreement=None, days=30, **kwargs):
    today = timezone.localdate()
    return services.request_access(
        by=by, dataset=dataset, recipient=recipient, agreement=agreement, purpose="Für die Planung.",
        valid_from=today, valid_until=today + timedelta(days=days), **kwargs,
    )  # fmt: skip
