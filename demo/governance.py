"""The fictional Stadtverbund used by `make run` and the browser tests: two cities
with departments, a municipal utility (Eigenbetrieb) and a transport subsidiary."""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from governance import services
from governance.models import (
    DataProtectionRegime,
    DNGRole,
    Organisation,
    OrgType,
    PolicyDocument,
    PolicyKind,
    Role,
    RoleAssignment,
)
from governance.reference_data import ensure_vocabularies, install_default_rule_set

DEMO_PASSWORD = "Stadtdaten-Demo-2026"

LINDENAU = {
    "municipality": "Lindenau",
    "municipality_key": "16099001",
    "state": "TH",
    "data_protection_regime": DataProtectionRegime.THUERDSG,
}
EICHBERG = {
    "municipality": "Eichberg",
    "municipality_key": "08199002",
    "state": "BW",
    "data_protection_regime": DataProtectionRegime.LDSG_BW,
}

# slug, name, type, parent slug, legal entity slug, DNG role, place
ORGANISATIONS = [
    ("lindenau", "Stadt Lindenau", OrgType.KERNVERWALTUNG, None, None, DNGRole.PUBLIC_BODY, LINDENAU),
    (
        "lindenau-stadtplanung",
        "Lindenau – Amt für Stadtplanung",
        OrgType.KERNVERWALTUNG,
        "lindenau",
        "lindenau",
        DNGRole.PUBLIC_BODY,
        LINDENAU,
    ),
    (
        "lindenau-buergeramt",
        "Lindenau – Bürgeramt",
        OrgType.KERNVERWALTUNG,
        "lindenau",
        "lindenau",
        DNGRole.PUBLIC_BODY,
        LINDENAU,
    ),
    (
        "lindenau-umwelt",
        "Lindenau – Umweltamt",
        OrgType.KERNVERWALTUNG,
        "lindenau",
        "lindenau",
        DNGRole.PUBLIC_BODY,
        LINDENAU,
    ),
    (
        "stadtwerke-lindenau",
        "Kommunale Stadtwerke Lindenau (Eigenbetrieb)",
        OrgType.EIGENBETRIEB,
        "lindenau",
        "lindenau",
        DNGRole.DASEINSVORSORGE,
        LINDENAU,
    ),
    ("eichberg", "Stadt Eichberg", OrgType.KERNVERWALTUNG, None, None, DNGRole.PUBLIC_BODY, EICHBERG),
    (
        "eichberg-digitalisierung",
        "Eichberg – Amt für Digitalisierung und Statistik",
        OrgType.KERNVERWALTUNG,
        "eichberg",
        "eichberg",
        DNGRole.PUBLIC_BODY,
        EICHBERG,
    ),
    (
        "eichberg-ordnungsamt",
        "Eichberg – Ordnungsamt",
        OrgType.KERNVERWALTUNG,
        "eichberg",
        "eichberg",
        DNGRole.PUBLIC_BODY,
        EICHBERG,
    ),
    (
        "eichberg-tiefbau",
        "Eichberg – Tiefbauamt",
        OrgType.KERNVERWALTUNG,
        "eichberg",
        "eichberg",
        DNGRole.PUBLIC_BODY,
        EICHBERG,
    ),
    (
        "verkehrsbetriebe-eichberg",
        "Eichberger Verkehrsbetriebe GmbH",
        OrgType.EIGENGESELLSCHAFT,
        "eichberg",
        None,
        DNGRole.DASEINSVORSORGE,
        {**EICHBERG, "data_protection_regime": DataProtectionRegime.BDSG_NONPUBLIC},
    ),
]

ROLE_USERNAMES = {
    Role.STEWARD: "steward",
    Role.OWNER: "owner",
    Role.LEGAL_REVIEWER: "legal",
    Role.ETHICS_BOARD_MEMBER: "ethics",
    Role.GOVERNANCE_ADMIN: "admin",
}


def demo_username(role: Role, slug: str) -> str:
    return f"{ROLE_USERNAMES[role]}.{slug}"


@transaction.atomic
def seed_demo() -> list[tuple[str, str, str]]:
    """Create (or complete) the demo network; safe to run any number of times.
    Returns (username, role, organisation) for every demo login."""
    organisations: dict[str, Organisation] = {}
    for slug, name, org_type, parent, legal_entity, dng_role, place in ORGANISATIONS:
        organisation, _created = Organisation.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "org_type": org_type,
                "parent": organisations.get(parent),
                "legal_entity": organisations.get(legal_entity),
                "dng_role": dng_role,
                "dpo_contact": f"datenschutz@{place['municipality'].lower()}.example",
                "email": f"daten@{slug}.example",
                **place,
            },
        )
        organisations[slug] = organisation

    User = get_user_model()
    logins = []
    # One slow PBKDF2 hash shared by all demo accounts instead of fifty.
    password_hash = make_password(DEMO_PASSWORD)
    for slug, organisation in organisations.items():
        for role, _prefix in ROLE_USERNAMES.items():
            username = demo_username(role, slug)
            user = User.objects.filter(username=username).first() or services.create_account(
                username,
                home=organisation,
                by=None,
                hashed_password=password_hash,
                first_name=Role(role).label,
                last_name=organisation.name,
                email=f"{username}@demo.example",
            )
            if not RoleAssignment.objects.active().filter(user=user, role=role, organisation=organisation).exists():
                services.assign_role(user, role, organisation, by=None, note="Demo")
            logins.append((username, str(Role(role).label), organisation.name))
    services.sync_role_permissions()
    seed_policies(organisations)
    return logins


STRATEGY_V1 = """Der Stadtverbund Lindenau–Eichberg versteht Daten als Gemeingut. Diese Datenstrategie \
gilt für die Kernverwaltungen, Eigenbetriebe und Gesellschaften beider Städte.

## 1. Leitbild

(1) Daten der Verwaltung sind öffentlich, soweit nicht Recht oder Datenethik entgegenstehen („Open by Default“).

(2) Daten werden einmal erhoben und mehrfach genutzt.

## 2. Ziele

(1) Bis 2026 sind alle Datenbestände der Kernverwaltungen im Datenkatalog erfasst.

(2) Jede Dienststelle benennt eine Datenverantwortliche oder einen Datenverantwortlichen.

## 3. Zuständigkeiten

(1) Die Datenverantwortlichen pflegen die Metadaten und stufen ihre Daten ein.

(2) Die Governance-Stelle pflegt Regeln und Vokabulare und prüft das Audit-Journal.
"""

STRATEGY_V2 = """Der Stadtverbund Lindenau–Eichberg versteht Daten als Gemeingut. Diese Datenstrategie \
gilt für die Kernverwaltungen, Eigenbetriebe und Gesellschaften beider Städte.

## 1. Leitbild

(1) Daten der Verwaltung sind öffentlich, soweit nicht Recht oder Datenethik entgegenstehen („Open by Default“). \
Wer Daten nicht veröffentlicht, begründet das öffentlich.

(2) Daten werden einmal erhoben und mehrfach genutzt.

## 2. Ziele

(1) Bis 2027 sind alle Datenbestände des Stadtverbunds, auch der Gesellschaften, im Datenkatalog erfasst.

(2) Jede Dienststelle benennt eine Datenverantwortliche oder einen Datenverantwortlichen.

(3) Hochwertige Datensätze nach der Durchführungsverordnung (EU) 2023/138 stehen über Schnittstellen bereit.

## 3. Zuständigkeiten

(1) Die Datenverantwortlichen pflegen die Metadaten und stufen ihre Daten ein.

(2) Die Governance-Stelle pflegt Regeln und Vokabulare und prüft das Audit-Journal.

## 4. Datenethik

(1) Ein Datenethikbeirat berät bei Vorhaben mit Risiken für Einzelne oder Gruppen; seine Empfehlungen werden \
veröffentlicht.
"""

STATISTICS_STATUTE = """Satzung über die Abgeschottete Statistikstelle der Stadt Eichberg (Statistiksatzung).

## § 1 Einrichtung

(1) Die Stadt Eichberg unterhält eine abgeschottete Statistikstelle im Amt für Digitalisierung und Statistik.

(2) Die Statistikstelle ist räumlich, organisatorisch und personell von anderen Verwaltungsstellen getrennt.

## § 2 Statistikgeheimnis

(1) Einzelangaben, die der Statistikstelle bekannt werden, sind geheim zu halten.

(2) Ergebnisse werden nur veröffentlicht, wenn kein Rückschluss auf einzelne Personen oder Betriebe möglich ist; \
Fallzahlen unter drei werden nicht ausgewiesen.

## § 3 Inkrafttreten

(1) Diese Satzung tritt am 1. Januar 2025 in Kraft.
"""


def _adopted_version(document, *, by, body, title, change_note, adopted_by, adopted_on, resolution, valid_from):
    draft = services.create_draft(document, by=by, title=title, body=body, change_note=change_note)
    services.adopt_version(draft, by=by, adopted_by=adopted_by, adopted_on=adopted_on, resolution_number=resolution)
    services.put_in_force(draft, by=by, valid_from=valid_from)
    return draft


def seed_policies(organisations: dict[str, Organisation]) -> None:
    """The network's data strategy (two adopted versions, the second in force), the
    Statistiksatzung of Eichberg and the service instruction carrying the default rule
    set. Documents that already exist are left alone."""
    User = get_user_model()
    admin = User.objects.filter(username=demo_username(Role.GOVERNANCE_ADMIN, "lindenau")).first()
    admin_eichberg = User.objects.filter(username=demo_username(Role.GOVERNANCE_ADMIN, "eichberg")).first()
    ensure_vocabularies(by=admin)
    install_default_rule_set(by=admin)

    if not PolicyDocument.objects.filter(slug="datenstrategie").exists():
        strategy = services.create_document(
            by=admin,
            kind=PolicyKind.DATA_STRATEGY,
            title="Datenstrategie des Stadtverbunds Lindenau–Eichberg",
            slug="datenstrategie",
            description="Leitbild, Ziele und Zuständigkeiten für Daten in beiden Städten und ihren Unternehmen.",
            applies_to=[organisations["lindenau"], organisations["eichberg"]],
        )
        council = "Stadtrat Lindenau und Gemeinderat Eichberg (gleichlautende Beschlüsse)"
        _adopted_version(
            strategy, by=admin, body=STRATEGY_V1, title="Datenstrategie 2023", change_note="Erstfassung",
            adopted_by=council, adopted_on=date(2023, 3, 16), resolution="DS-2023/017", valid_from=date(2023, 4, 1),
        )  # fmt: skip
        _adopted_version(
            strategy, by=admin, body=STRATEGY_V2, title="Datenstrategie 2025",
            change_note="Ziele bis 2027, hochwertige Datensätze, Datenethikbeirat",
            adopted_by=council, adopted_on=date(2025, 6, 26), resolution="DS-2025/088", valid_from=date(2025, 7, 1),
        )  # fmt: skip

    if not PolicyDocument.objects.filter(slug="statistiksatzung-eichberg").exists():
        statute = services.create_document(
            by=admin_eichberg,
            kind=PolicyKind.STATUTE,
            title="Statistiksatzung der Stadt Eichberg",
            slug="statistiksatzung-eichberg",
            description="Abgeschottete Statistikstelle und Statistikgeheimnis.",
            issuer=organisations["eichberg"],
            applies_to=[organisations["eichberg"]],
        )
        _adopted_version(
            statute, by=admin_eichberg, body=STATISTICS_STATUTE, title="Statistiksatzung",
            change_note="Erstfassung", adopted_by="Gemeinderat Eichberg", adopted_on=date(2024, 11, 14),
            resolution="GR-2024/211", valid_from=date(2025, 1, 1),
        )  # fmt: skip
