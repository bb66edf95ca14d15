"""Fixtures of the governance tests: reference data, policies with versions, facts."""

from datetime import date

import pytest

from governance import services
from governance.models import PolicyKind

BODY_V1 = """Einleitung.

## § 1 Grundsatz

(1) Daten sind offen.

(2) Ausnahmen regelt § 2.

## § 2 Ausnahmen

(1) Personenbezogene Daten werden nicht veröffentlicht.
"""

BODY_V2 = BODY_V1.replace("(1) Daten sind offen.", "(1) Daten sind offen, maschinenlesbar und kostenfrei.") + (
    "\n## § 3 Wiedervorlage\n\n(1) Jede Sperre wird nach zwei Jahren geprüft.\n"
)

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


def adopt_and_enact(version, *, by=None, adopted_on, valid_from, valid_until=None):
    services.adopt_version(version, by=by, adopted_by="Gemeinderat", adopted_on=adopted_on, resolution_number="GR-1")
    return services.put_in_force(version, by=by, valid_from=valid_from, valid_until=valid_until)


@pytest.fixture
def strategy(vocabularies, admin_a):
    """A document with version 1 in force from 2024-01-01 and version 2 from
    2025-07-01 (version 1 is superseded that day); version 2 carries one rule."""
    document = services.create_document(
        by=admin_a, kind=PolicyKind.DATA_STRATEGY, title="Datenstrategie", slug="datenstrategie"
    )
    v1 = services.create_draft(document, by=admin_a, title="Datenstrategie 2024", body=BODY_V1)
    sections = {s.number: s for s in v1.sections.all()}
    services.save_rule_version(
        v1,
        by=admin_a,
        code="R-PERSONEN",
        fields={
            "section": sections["§ 2 Abs. 1"],
            "title": "Personenbezug",
            "condition": {"field": "personal_data", "op": ">=", "value": 3},
            "effect": "block",
            "ground": "PERSONAL_DATA",
            "alternative": "aggregated",
            "rereview_months": 24,
        },
    )
    adopt_and_enact(v1, by=admin_a, adopted_on=date(2023, 12, 1), valid_from=date(2024, 1, 1))
    v2 = services.create_draft(document, by=admin_a, title="Datenstrategie 2025", body=BODY_V2)
    adopt_and_enact(v2, by=admin_a, adopted_on=date(2025, 6, 1), valid_from=date(2025, 7, 1))
    document.refresh_from_db()
    return document
