"""The fictional Stadtverbund used by `make run` and the browser tests: two cities
with departments, a municipal utility (Eigenbetrieb) and a transport subsidiary."""

from django.contrib.auth import get_user_model
from django.db import transaction

from . import services
from .models import DataProtectionRegime, DNGRole, Organisation, OrgType, Role, RoleAssignment

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
    for slug, organisation in organisations.items():
        for role, _prefix in ROLE_USERNAMES.items():
            username = demo_username(role, slug)
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": Role(role).label,
                    "last_name": organisation.name,
                    "email": f"{username}@demo.example",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if not RoleAssignment.objects.active().filter(user=user, role=role, organisation=organisation).exists():
                services.assign_role(user, role, organisation, by=None, note="Demo")
            logins.append((username, str(Role(role).label), organisation.name))
    services.sync_role_permissions()
    return logins
