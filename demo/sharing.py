"""Demo data of data sharing (idempotent): agreements of every kind and stage, an
access grant in force, one that has expired and a request waiting for its owner.
Everything goes through sharing.services with the demo users, so decisions, history
and audit events are real. Needs the governance and catalog demos first."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.models import Dataset
from demo.governance import demo_username
from governance import services as governance
from governance.models import Organisation, PolicyDocument, PolicyKind, Role
from sharing import services
from sharing.models import AgreementType, SharingAgreement, SharingCondition

C = SharingCondition
CONTRACT_SLUG = "avv-lastganganalyse-lindenau-eichberg"
CONTRACT_TEXT = """Vertrag über die Verarbeitung von Lastgangdaten im Auftrag (Art. 28 DSGVO) zwischen den \
Kommunalen Stadtwerken Lindenau (Verantwortlicher) und der Stadt Eichberg, Amt für Digitalisierung und Statistik \
(Auftragsverarbeiter).

## § 1 Gegenstand

(1) Der Auftragsverarbeiter wertet pseudonymisierte Lastgänge des Pilotgebiets Mühlberg für die Netzplanung aus.

(2) Die Zuordnungstabelle der Pseudonyme verbleibt beim Verantwortlichen.

## § 2 Weisungen und Vertraulichkeit

(1) Der Auftragsverarbeiter verarbeitet die Daten nur auf dokumentierte Weisung des Verantwortlichen.

(2) Unterauftragsverarbeiter werden nicht eingesetzt.

## § 3 Technische und organisatorische Maßnahmen

(1) Die Auswertung erfolgt in der abgeschotteten Statistikstelle; Zugriffe werden protokolliert.

## § 4 Löschung

(1) Nach Abschluss der Auswertung, spätestens nach zwölf Monaten, werden alle Daten gelöscht.
"""


def _users() -> dict:
    return {user.username: user for user in get_user_model().objects.filter(username__contains=".")}


def _contract(organisations, users):
    document = PolicyDocument.objects.filter(slug=CONTRACT_SLUG).first()
    if document is None:
        admin = users.get(demo_username(Role.GOVERNANCE_ADMIN, "stadtwerke-lindenau"))
        document = governance.create_document(
            by=admin,
            kind=PolicyKind.CONTRACT,
            title="Auftragsverarbeitungsvertrag Lastganganalyse",
            slug=CONTRACT_SLUG,
            description="Auswertung pseudonymisierter Smart-Meter-Lastgänge durch die Statistikstelle Eichberg.",
            issuer=organisations["stadtwerke-lindenau"],
            applies_to=[organisations["stadtwerke-lindenau"], organisations["eichberg-digitalisierung"]],
        )
        draft = governance.create_draft(document, by=admin, body=CONTRACT_TEXT, change_note="Erstfassung")
        governance.adopt_version(
            draft, by=admin, adopted_by="Werkleitung der Stadtwerke Lindenau", adopted_on=date(2025, 9, 1),
            resolution_number="SW-2025/14",
        )  # fmt: skip
        governance.put_in_force(draft, by=admin, valid_from=date(2025, 9, 15))
    return document.versions.exclude(status="draft").order_by("-number").first()


def _agreement(*, by, provider, datasets, **fields) -> SharingAgreement:
    return services.create_agreement(by=by, provider=provider, fields=fields, datasets=datasets)


def _step(function, agreement, **kwargs):
    agreement = SharingAgreement.objects.get(pk=agreement.pk)
    return function(agreement, expected_version=agreement.version, **kwargs)


@transaction.atomic
def seed_sharing_demo() -> int:
    """Create the demo agreements that do not exist yet (by title); returns how many."""
    organisations = {organisation.slug: organisation for organisation in Organisation.objects.all()}
    users = _users()
    datasets = {dataset.name: dataset for dataset in Dataset.objects.select_related("publisher")}
    needed = ["kanalnetz-lindenau", "fahrgastrueckmeldungen-eichberg", "smart-meter-lastgaenge-lindenau",
              "videoueberwachung-standorte-eichberg"]  # fmt: skip
    if any(name not in datasets for name in needed):
        raise RuntimeError("Demo datasets missing; run seed_catalog_demo first.")
    existing = set(SharingAgreement.objects.values_list("title", flat=True))

    def user(role, slug):
        return users[demo_username(role, slug)]

    now = timezone.now()
    today = timezone.localdate()
    created = 0

    # 1. Within one controller, no personal data: the owner's approval suffices. Proposed by
    #    the receiving side; a grant in force.
    title = "Kanalnetz für die Bauleitplanung"
    if title not in existing:
        planning = user(Role.STEWARD, "lindenau-stadtplanung")
        agreement = _agreement(
            by=planning,
            provider=organisations["stadtwerke-lindenau"],
            datasets=[datasets["kanalnetz-lindenau"]],
            title=title,
            recipient=organisations["lindenau-stadtplanung"],
            agreement_type=AgreementType.SAME_CONTROLLER,
            purpose="Abstimmung von Bebauungsplänen mit Lage und Leistungsfähigkeit des Kanalnetzes "
            "(Entwässerungskonzepte, Trassenfreihaltung).",
            conditions=[C.PURPOSE_LIMITATION, C.NO_ONWARD_TRANSFER, C.NO_PUBLICATION, C.ACCESS_LOGGING],
            further_conditions="Weitergabe an Planungsbüros nur als Ausschnitt des Plangebiets und nach Rücksprache.",
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=700),
        )
        _step(services.submit_agreement, agreement, by=planning)
        _step(services.approve_agreement, agreement, by=user(Role.OWNER, "stadtwerke-lindenau"),
              reasons="Lagedaten werden für die Bauleitplanung gebraucht; VS-NfD-Regeln gelten weiter.")  # fmt: skip
        access = services.request_access(
            by=planning, dataset=datasets["kanalnetz-lindenau"], recipient=organisations["lindenau-stadtplanung"],
            agreement=SharingAgreement.objects.get(pk=agreement.pk),
            purpose="Prüfung der Entwässerung im Bebauungsplanverfahren „Am Mühlberg“.",
            valid_from=today, valid_until=today + timedelta(days=180),
        )  # fmt: skip
        services.approve_access_request(access, by=user(Role.OWNER, "stadtwerke-lindenau"))
        created += 1

    # 2. Between controllers (GmbH → city), personal data: legal review, then a request
    #    that waits for the owner.
    title = "Fahrgastrückmeldungen für die Verkehrsplanung"
    if title not in existing:
        company = "verkehrsbetriebe-eichberg"
        agreement = _agreement(
            by=user(Role.STEWARD, company),
            provider=organisations[company],
            datasets=[datasets["fahrgastrueckmeldungen-eichberg"]],
            title=title,
            recipient=organisations["eichberg-tiefbau"],
            agreement_type=AgreementType.TRANSFER,
            purpose="Auswertung von Beschwerden über Haltestellen und Umsteigewege für die Straßen- und "
            "Haltestellenplanung des Tiefbauamts.",
            legal_bases=["GDPR_6_1_e"],
            legal_norm="§ 4 LDSG BW i. V. m. § 1 ÖPNVG BW",
            conditions=[C.PURPOSE_LIMITATION, C.NO_ONWARD_TRANSFER, C.NO_REIDENTIFICATION, C.DELETION],
            deletion_period_months=12,
            valid_from=today - timedelta(days=10),
            valid_until=today + timedelta(days=355),
        )
        _step(services.submit_agreement, agreement, by=user(Role.STEWARD, company))
        _step(services.approve_agreement, agreement, by=user(Role.OWNER, company))
        _step(services.approve_agreement, agreement, by=user(Role.LEGAL_REVIEWER, company),
              reasons="Übermittlung an eine öffentliche Stelle zur Erfüllung ihrer Aufgabe; Zweck und Löschfrist "
              "sind bestimmt.")  # fmt: skip
        services.request_access(
            by=user(Role.STEWARD, "eichberg-tiefbau"), dataset=datasets["fahrgastrueckmeldungen-eichberg"],
            recipient=organisations["eichberg-tiefbau"], agreement=SharingAgreement.objects.get(pk=agreement.pk),
            purpose="Beschwerden zu Haltestellen an der Weinsteige für den Umbau 2027 auswerten.",
            valid_from=today, valid_until=today + timedelta(days=120),
        )  # fmt: skip
        created += 1

    # 3. Processing on behalf (Art. 28) with its contract: waits in legal review.
    title = "Lastganganalyse durch die Statistikstelle Eichberg"
    if title not in existing:
        contract = _contract(organisations, users)
        utility = "stadtwerke-lindenau"
        agreement = _agreement(
            by=user(Role.STEWARD, utility),
            provider=organisations[utility],
            datasets=[datasets["smart-meter-lastgaenge-lindenau"]],
            title=title,
            recipient=organisations["eichberg-digitalisierung"],
            agreement_type=AgreementType.PROCESSOR,
            purpose="Statistische Auswertung der pseudonymisierten Lastgänge für die Netzplanung im Auftrag der "
            "Stadtwerke.",
            legal_bases=["GDPR_6_1_c"],
            legal_norm="§ 50 Messstellenbetriebsgesetz",
            conditions=[C.PURPOSE_LIMITATION, C.NO_ONWARD_TRANSFER, C.NO_REIDENTIFICATION, C.DELETION],
            deletion_period_months=12,
            contract=contract,
            valid_from=today + timedelta(days=14),
            valid_until=today + timedelta(days=380),
        )
        _step(services.submit_agreement, agreement, by=user(Role.STEWARD, utility))
        _step(services.approve_agreement, agreement, by=user(Role.OWNER, utility))
        created += 1

    # 4. An agreement that has expired, with the grant that ended with it.
    title = "Videoüberwachung: Auswertung für den Kriminalpräventiven Rat"
    if title not in existing:
        start = now - timedelta(days=200)
        office, statistics = "eichberg-ordnungsamt", "eichberg-digitalisierung"
        agreement = _agreement(
            by=user(Role.STEWARD, office),
            provider=organisations[office],
            datasets=[datasets["videoueberwachung-standorte-eichberg"]],
            title=title,
            recipient=organisations[statistics],
            agreement_type=AgreementType.SAME_CONTROLLER,
            purpose="Jahresbericht des Kriminalpräventiven Rats: Lage der Kameras und Betriebszeiten.",
            conditions=[C.PURPOSE_LIMITATION, C.NO_PUBLICATION],
            valid_from=timezone.localdate(start),
            valid_until=today - timedelta(days=20),
        )
        _step(services.submit_agreement, agreement, by=user(Role.STEWARD, office), now=start)
        _step(services.approve_agreement, agreement, by=user(Role.OWNER, office), now=start)
        access = services.request_access(
            by=user(Role.STEWARD, statistics), dataset=datasets["videoueberwachung-standorte-eichberg"],
            recipient=organisations[statistics], agreement=SharingAgreement.objects.get(pk=agreement.pk),
            purpose="Karte der Kamerastandorte für den Jahresbericht.", valid_from=timezone.localdate(start),
            valid_until=timezone.localdate(start) + timedelta(days=150), now=start,
        )  # fmt: skip
        services.approve_access_request(access, by=user(Role.OWNER, office), now=start + timedelta(hours=2))
        created += 1

    # 5. A draft proposed by the receiving side: the page lists what is still missing.
    title = "Gemeinsame Verkehrsstatistik Lindenau–Eichberg"
    if title not in existing:
        _agreement(
            by=user(Role.STEWARD, "lindenau"),
            provider=organisations["eichberg-digitalisierung"],
            datasets=[],
            title=title,
            recipient=organisations["lindenau"],
            agreement_type=AgreementType.JOINT_CONTROLLERS,
            purpose="Gemeinsame Auswertung der Pendlerströme zwischen beiden Städten.",
            valid_from=today + timedelta(days=30),
            valid_until=today + timedelta(days=760),
        )
        created += 1

    services.apply_periods()
    return created
