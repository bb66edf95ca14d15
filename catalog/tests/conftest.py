import pytest

from catalog import services
from catalog.models import Confidentiality, PersonalDataStatus, ProtectionNeed


def dataset_fields(publisher, **overrides):
    return {
        "name": "baumkataster",
        "title": "Baumkataster",
        "description": "Alle Straßen- und Parkbäume mit Art, Höhe und Standort.",
        "publisher": publisher,
        "contact_name": "Grünflächenamt",
        "contact_email": "gruen@stadt-a.example",
        **overrides,
    }


def classification_fields(**overrides):
    return {
        "personal_data": PersonalDataStatus.NONE,
        "confidentiality": Confidentiality.OEFFENTLICH,
        "protection_confidentiality": ProtectionNeed.NORMAL,
        "protection_integrity": ProtectionNeed.NORMAL,
        "protection_availability": ProtectionNeed.NORMAL,
        "spatial_granularity": "point",
        "temporal_granularity": "year",
        "justification": "Sachdaten ohne Personenbezug.",
        **overrides,
    }


@pytest.fixture
def dataset_a(org_a, steward_a):
    return services.create_dataset(by=steward_a, fields=dataset_fields(org_a), keywords=["Bäume"], themes=["ENVI"])


@pytest.fixture
def dataset_b(org_b, steward_b):
    return services.create_dataset(
        by=steward_b, fields=dataset_fields(org_b, name="parkhaeuser", title="Parkhausbelegung")
    )
