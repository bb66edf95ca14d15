"""Demo content of the strategy: the data strategy of the fictional Stadtverbund
Lindenau–Eichberg with two fields of action, six goals, measures in every status (with
the reasons of named demo users), milestones, budgets and indicators with a monthly
history. Written through the services, so history and journal look as in real use."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.models import Dataset
from ethics.models import EthicsReview
from governance.models import Organisation, PolicyDocument, PolicyVersion, Rule
from strategy import services
from strategy.indicators import METRICS
from strategy.models import IndicatorUnit, MeasureStatus, Strategy, ValueOrigin

SLUG = "datenstrategie-stadtverbund"
P, IP, DONE, DELAYED, STOPPED = (
    MeasureStatus.PLANNED,
    MeasureStatus.IN_PROGRESS,
    MeasureStatus.DONE,
    MeasureStatus.DELAYED,
    MeasureStatus.DISCONTINUED,
)

FIELDS = [
    ("HF1", "Digitale Infrastruktur und Datenpolitik",
     "Regeln, Plattformen und Schnittstellen, mit denen die Daten des Stadtverbunds verwaltet und geteilt werden.", [
         ("HF1-Z1", "ALLE Daten werden sowohl intern als auch extern nutzbar gemacht, außer wenn dies rechtlich "
                    "nicht zulässig ist"),
         ("HF1-Z2", "Daten werden nach gemeinsamen Regeln verwaltet und sicher betrieben"),
         ("HF1-Z3", "Hochwertige Datensätze stehen über offene Schnittstellen bereit"),
     ]),
    ("HF2", "Datenkompetenz, Beteiligung und Nutzen",
     "Beschäftigte, Bürgerinnen und Bürger und die lokale Wirtschaft können mit Daten arbeiten und gestalten mit.", [
         ("HF2-Z1", "Die Beschäftigten verfügen über die nötige Datenkompetenz"),
         ("HF2-Z2", "Bürgerinnen und Bürger gestalten mit Daten mit"),
         ("HF2-Z3", "Offene Daten schaffen messbaren Nutzen für Stadtgesellschaft und Wirtschaft"),
     ]),
]  # fmt: skip

# code, goal, title, description, responsible (username), organisation slug, start, end, budget planned,
# spent, status path [(status, by, reason)], milestones [(title, due, done, evidence)], public, partners.
# A due date given as an int is that many days from today (negative: in the past).
MEASURES = [
    ("HF1-M10", "HF1-Z1", "Etablierung einer neuen Datenstrategie und Data Governance im Stadtverbund",
     "Gemeinsame Datenstrategie beider Städte mit Rollen, Regeln und Gremien für den Umgang mit Daten.",
     "admin.lindenau", "lindenau", date(2022, 7, 1), date(2023, 12, 31), 100_000, 96_400,
     [(IP, "admin.lindenau", "Auftakt mit beiden Verwaltungsvorständen im Juli 2022."),
      (DONE, "admin.lindenau", "Datenstrategie beschlossen (DS-2023/017), Dienstanweisung in Kraft.")],
     [("Analyse der Ausgangslage", date(2022, 10, 31), date(2022, 10, 20), "Bestandsaufnahme vom 20.10.2022"),
      ("Erarbeitung der Inhalte", date(2023, 3, 31), date(2023, 3, 16), "Entwurf der Datenstrategie, Fassung 1"),
      ("Verabschiedung", date(2023, 6, 30), date(2023, 3, 16), "Ratsbeschluss DS-2023/017"),
      ("Satzungen, Dienstanweisungen, Verträge", date(2023, 12, 31), date(2023, 12, 12),
       "Dienstanweisung Datenveröffentlichung, Fassung 1")],
     True, ["eichberg"]),
    ("HF1-M01", "HF1-Z1", "Aufbau eines gemeinsamen Datenkatalogs",
     "Ein Katalog für alle Dienststellen, Eigenbetriebe und Gesellschaften, mit DCAT-AP.de-Metadaten.",
     "steward.eichberg", "eichberg", date(2023, 1, 1), date(2024, 6, 30), 180_000, 171_250,
     [(IP, "admin.eichberg", "Ausschreibung abgeschlossen, Zuschlag an den kommunalen IT-Dienstleister."),
      (DONE, "admin.eichberg", "Der Katalog ist für alle Dienststellen in Betrieb.")],
     [("Anforderungen abgestimmt", date(2023, 4, 30), date(2023, 4, 25), "Lastenheft Datenkatalog"),
      ("Katalog in Betrieb", date(2024, 6, 30), date(2024, 6, 3), "Abnahmeprotokoll vom 03.06.2024")],
     True, ["lindenau"]),
    ("HF1-M03", "HF1-Z1", "Inventarisierung der Datenbestände der Eigenbetriebe und Gesellschaften",
     "Die Datenverantwortlichen erfassen alle Datenbestände der Stadtwerke und Eigenbetriebe im Katalog.",
     "steward.lindenau", "lindenau", date(2024, 9, 1), date(2026, 12, 31), 45_000, 21_800,
     [(IP, "steward.lindenau", "Erfassung bei den Stadtwerken begonnen.")],
     [("Stadtwerke erfasst", date(2025, 6, 30), date(2025, 7, 14), "Katalogauszug Stadtwerke vom 14.07.2025"),
      ("Entsorgungsbetrieb erfasst", -21, None, ""),
      ("Alle Gesellschaften erfasst", 120, None, "")],
     True, []),
    ("HF1-M04", "HF1-Z2", "Einheitliche Klassifizierung und Schutzbedarfsfeststellung",
     "Jeder Datensatz wird nach demselben Schema eingestuft; die Regeln der Veröffentlichung setzen darauf auf.",
     "owner.lindenau", "lindenau", date(2025, 1, 1), date(2026, 12, 31), 30_000, 12_000,
     [(IP, "owner.lindenau", "Schema mit Datenschutz und Informationssicherheit abgestimmt.")],
     [("Schema abgestimmt", date(2025, 3, 31), date(2025, 3, 20), "Vermerk DSB und ISB vom 20.03.2025"),
      ("Alle veröffentlichten Datensätze eingestuft", 90, None, "")],
     True, ["eichberg"]),
    ("HF1-M05", "HF1-Z2", "Gemeinsame Datenplattform mit Zugriffsmanagement",
     "Eine Plattform, über die Dienststellen beider Städte Daten nach Vereinbarung miteinander teilen.",
     "admin.eichberg", "eichberg", date(2024, 1, 1), date(2025, 12, 31), 350_000, 240_000,
     [(IP, "admin.eichberg", "Plattform beauftragt."),
      (DELAYED, "admin.eichberg", "Die Vergabe des Betriebs musste wiederholt werden; Start voraussichtlich 2026.")],
     [("Betrieb vergeben", date(2024, 9, 30), date(2025, 2, 28), "Zuschlag vom 28.02.2025"),
      ("Pilotbetrieb mit zwei Ämtern", 60, None, "")],
     True, ["lindenau"]),
    ("HF1-M06", "HF1-Z3", "Hochwertige Geodaten über OGC-Schnittstellen",
     "Geobasisdaten, Bebauungspläne und Bodenrichtwerte stehen als WFS und OGC API Features bereit.",
     "steward.eichberg", "eichberg", date(2024, 3, 1), date(2025, 9, 30), 80_000, 52_500,
     [(IP, "steward.eichberg", "Erste Dienste im Testbetrieb."),
      (DELAYED, "admin.eichberg", "Die Lizenzfrage der Vermessungsdaten ist noch mit dem Land zu klären.")],
     [("Testbetrieb", date(2024, 10, 31), date(2024, 11, 15), "Testprotokoll"),
      ("Regelbetrieb", 45, None, "")],
     True, ["lindenau"]),
    ("HF1-M07", "HF1-Z3", "Echtzeit-Schnittstelle für die Belegung der Parkhäuser",
     "Die Belegung aller städtischen Parkhäuser als offene Schnittstelle, minütlich aktualisiert.",
     "steward.eichberg", "eichberg", date(2026, 4, 1), date(2027, 3, 31), 40_000, 0,
     [], [("Schnittstelle beschrieben", 150, None, "")], True, []),
    ("HF1-M08", "HF1-Z2", "Eigenes Rechenzentrum für Rohdaten",
     "Ursprünglich geplanter eigener Betrieb einer Rohdatenhaltung beider Städte.",
     "admin.lindenau", "lindenau", date(2023, 1, 1), date(2024, 12, 31), 500_000, 18_000,
     [(IP, "admin.lindenau", "Machbarkeitsstudie beauftragt."),
      (STOPPED, "admin.lindenau", "Eingestellt: Die gemeinsame Datenplattform (HF1-M05) deckt den Bedarf.")],
     [("Machbarkeitsstudie", date(2023, 9, 30), date(2023, 10, 12), "Studie vom 12.10.2023")],
     True, []),
    ("HF2-M01", "HF2-Z1", "Schulungsprogramm Datenkompetenz für Beschäftigte",
     "Grund- und Aufbaukurse zu Datenschutz, Datenqualität und offenen Daten für alle Beschäftigten.",
     "admin.lindenau", "lindenau", date(2024, 1, 1), date(2026, 12, 31), 60_000, 34_900,
     [(IP, "admin.lindenau", "Erste Kurse mit der Volkshochschule gestartet.")],
     [("Grundkurs entwickelt", date(2024, 3, 31), date(2024, 3, 28), "Kurskonzept VHS"),
      ("150 Beschäftigte geschult", date(2025, 12, 31), date(2025, 9, 30), "Schulungsstatistik Personalamt")],
     True, ["eichberg"]),
    ("HF2-M02", "HF2-Z2", "Sprechstunde für Datenwünsche und Beteiligungsformate",
     "Monatliche offene Sprechstunde, in der Bürgerinnen und Bürger Datenwünsche mit den Ämtern besprechen.",
     "steward.lindenau", "lindenau", date(2025, 3, 1), date(2026, 12, 31), 15_000, 4_200,
     [(IP, "steward.lindenau", "Erste Sprechstunde in der Stadtbibliothek.")],
     [("Format erprobt", date(2025, 6, 30), date(2025, 6, 18), "Auswertung der ersten drei Termine"),
      ("Auswertung der Datenwünsche veröffentlicht", -10, None, "")],
     True, []),
    ("HF2-M03", "HF2-Z3", "Open-Data-Wettbewerb mit der Hochschule Lindenau",
     "Studierende entwickeln Anwendungen mit offenen Daten des Stadtverbunds.",
     "admin.lindenau", "lindenau", date(2023, 9, 1), date(2024, 7, 31), 25_000, 24_300,
     [(IP, "admin.lindenau", "Wettbewerb ausgeschrieben."),
      (DONE, "admin.lindenau", "Preisverleihung am 12.07.2024, drei Anwendungen laufen weiter.")],
     [("Ausschreibung", date(2023, 10, 31), date(2023, 10, 2), "Ausschreibung auf der Website"),
      ("Preisverleihung", date(2024, 7, 31), date(2024, 7, 12), "Pressemitteilung vom 12.07.2024")],
     True, []),
    ("HF2-M04", "HF2-Z2", "Datenpatenschaften mit Vereinen",
     "Vereine übernehmen die Pflege einzelner Datensätze, etwa von Spielplätzen oder Sportstätten.",
     "owner.lindenau", "lindenau", date(2024, 4, 1), date(2025, 12, 31), 8_000, 1_500,
     [(STOPPED, "owner.lindenau", "Eingestellt: Die Haftungsfragen bei Pflege durch Dritte sind nicht lösbar.")],
     [], True, []),
    ("HF2-M05", "HF2-Z3", "Wirkungsmessung der offenen Daten",
     "Wie werden die offenen Daten genutzt? Zugriffe, Anwendungen und Rückmeldungen werden jährlich ausgewertet.",
     "admin.eichberg", "eichberg", date(2026, 1, 1), date(2027, 6, 30), 20_000, 0,
     [], [("Konzept der Wirkungsmessung", 200, None, "")], True, ["lindenau"]),
    ("HF2-M09", "HF2-Z1", "Interne Auswertung der Personalkennzahlen zur Datenkompetenz",
     "Nur intern: Abgleich der Schulungsteilnahmen mit Stellenprofilen (mit dem Personalrat abgestimmt).",
     "admin.lindenau", "lindenau", date(2026, 1, 1), date(2026, 12, 31), 5_000, 0,
     [], [("Abstimmung mit dem Personalrat", 30, None, "")], False, []),
]  # fmt: skip

# code, goal, title, unit, metric, higher is better, baseline, target, target date, source, public, start value
INDICATORS = [
    ("I-OFFEN", "HF1-Z1", "Anteil der inventarisierten Datensätze, die offen veröffentlicht sind",
     IndicatorUnit.PERCENT, "published_open_share", True, Decimal("20"), Decimal("70"), date(2027, 12, 31), "", True,
     Decimal("22")),
    ("I-GRUND", "HF1-Z1", "Anteil nicht offener Entscheidungen mit bestätigtem Ausschlussgrund",
     IndicatorUnit.PERCENT, "non_open_with_ground_share", True, Decimal("60"), Decimal("100"), date(2026, 12, 31), "",
     True, Decimal("65")),
    ("I-DAUER", "HF1-Z2", "Median der Tage von der Einreichung bis zur Entscheidung", IndicatorUnit.DAYS,
     "median_days_to_decision", False, Decimal("45"), Decimal("20"), date(2026, 12, 31), "", True, Decimal("41")),
    ("I-HVD", "HF1-Z3", "Hochwertige Datensätze, die über eine Schnittstelle verfügbar sind", IndicatorUnit.COUNT,
     "hvd_available_by_api", True, Decimal("0"), Decimal("12"), date(2027, 6, 30), "", True, Decimal("0")),
    ("I-WUENSCHE", "HF2-Z2", "Anteil der Datenwünsche, die innerhalb von 30 Tagen beantwortet werden",
     IndicatorUnit.PERCENT, "data_requests_answered_30d_share", True, Decimal("40"), Decimal("90"),
     date(2026, 12, 31), "", True, Decimal("45")),
    ("I-SCHULUNG", "HF2-Z1", "In Datenkompetenz geschulte Beschäftigte", IndicatorUnit.COUNT, "", True, Decimal("0"),
     Decimal("300"), date(2026, 12, 31), "Personalamt, Schulungsstatistik", True, Decimal("12")),
    ("I-INTERN", "HF2-Z1", "Stellenprofile mit beschriebener Datenkompetenz", IndicatorUnit.PERCENT, "", True,
     Decimal("5"), Decimal("50"), date(2027, 12, 31), "Personalamt, Stellenplan", False, Decimal("5")),
]  # fmt: skip
MANUAL_END = {"I-SCHULUNG": Decimal("164"), "I-INTERN": Decimal("18")}
HISTORY_MONTHS = 15


def month_ends(today: date, months: int) -> list[date]:
    """The last day of each of the `months` months before today's month, oldest first."""
    ends, first = [], today.replace(day=1)
    for _month in range(months):
        first -= timedelta(days=1)  # last day of the previous month
        ends.append(first)
        first = first.replace(day=1)
    return list(reversed(ends))


def _status_dates(start: date, end: date, changes: int, today: date) -> list:
    """When the demo's status changes happened: the first when the measure began, the
    others spread up to its end (or today, if that comes first), never in the future."""
    last = min(end, today - timedelta(days=1))
    first = min(start, last)
    span = (last - first).days
    days = [first + timedelta(days=span * step // max(changes - 1, 1)) for step in range(changes)]
    return [timezone.make_aware(datetime.combine(day, time(10, 0))) for day in days]


def _curve(start: Decimal, end: Decimal, steps: int) -> list[Decimal]:
    """A plausible path from start to end: steady, with a small wobble."""
    wobble = [Decimal("0"), Decimal("0.6"), Decimal("-0.4"), Decimal("0.3"), Decimal("-0.2")]
    values = []
    for step in range(steps):
        share = Decimal(step) / Decimal(max(steps, 1))
        values.append(max(Decimal("0"), start + (end - start) * share + wobble[step % len(wobble)]))
    return values


@transaction.atomic
def seed_strategy_demo() -> int:
    """Create the demo strategy once; returns how many measures it created (0 when the
    strategy exists already, or when the governance demo has not been seeded)."""
    if Strategy.objects.filter(slug=SLUG).exists():
        return 0
    users = {user.username: user for user in get_user_model().objects.filter(username__contains=".")}
    organisations = {org.slug: org for org in Organisation.objects.filter(slug__in=["lindenau", "eichberg"])}
    admin = users.get("admin.lindenau")
    if admin is None or len(organisations) < 2:
        return 0
    today = timezone.localdate()

    strategy = services.create_strategy(
        by=admin,
        slug=SLUG,
        title="Datenstrategie des Stadtverbunds 2022–2027",
        summary="Wie Lindenau und Eichberg ihre Daten gemeinsam verwalten, öffnen und nutzen: zwei "
        "Handlungsfelder, sechs Ziele und die Maßnahmen dazu, mit Zeitplan, Budget und Umsetzungsstand.",
        organisation=None,
        period_start=date(2022, 7, 1),
        period_end=date(2027, 12, 31),
        is_public=True,
        policy_versions=list(PolicyVersion.objects.filter(document__slug="datenstrategie")),
    )
    goals = {}
    for position, (code, title, description, goal_rows) in enumerate(FIELDS, start=1):
        field = services.create_field_of_action(
            strategy, by=admin, code=code, title=title, description=description, position=position
        )
        for goal_position, (goal_code, goal_title) in enumerate(goal_rows, start=1):
            goals[goal_code] = services.create_goal(field, by=admin, code=goal_code, title=goal_title,
                                                    position=goal_position)  # fmt: skip

    policy_documents = list(PolicyDocument.objects.filter(slug="datenstrategie"))
    rules = list(Rule.objects.order_by("code")[:2])
    reviews = list(EthicsReview.objects.order_by("pk")[:1])
    datasets = {dataset.name: dataset for dataset in Dataset.objects.published()}
    links = {
        "HF1-M10": {"policy_documents": policy_documents, "rules": rules},
        "HF1-M01": {"datasets": [d for name, d in datasets.items() if name.startswith("baumkataster")][:1]},
        "HF1-M04": {"ethics_reviews": reviews},
        "HF1-M06": {"datasets": [d for d in datasets.values() if d.hvd_category][:2]},
        "HF2-M03": {"datasets": list(datasets.values())[:2]},
    }
    created = 0
    for (code, goal, title, description, person, org, start, end, planned, spent, path, milestones, public,
         partners) in MEASURES:  # fmt: skip
        measure = services.create_measure(
            goals[goal],
            by=admin,
            code=code,
            title=title,
            description=description,
            start_date=start,
            end_date=end,
            budget_planned=Decimal(planned),
            budget_spent=Decimal(spent),
            responsible_organisation=organisations[org],
            responsible_person=users.get(person),
            partner_organisations=[organisations[slug] for slug in partners],
            external_partners="Hochschule Lindenau" if code in ("HF2-M03", "HF1-M10") else "",
            is_public=public,
            **links.get(code, {}),
        )
        for position, (milestone_title, due, done, evidence) in enumerate(milestones):
            due_date = today + timedelta(days=due) if isinstance(due, int) else due
            services.add_milestone(measure, by=users.get(person, admin), title=milestone_title, due_date=due_date,
                                   done_date=done, evidence=evidence, position=position)  # fmt: skip
        for at, (status, by, reason) in zip(_status_dates(start, end, len(path), today), path, strict=True):
            measure = services.change_measure_status(
                measure, by=users.get(by, admin), status=status, reason=reason, at=at
            )
        created += 1

    _seed_indicators(goals, admin=admin, today=today)
    return created


def _seed_indicators(goals, *, admin, today: date) -> None:
    months = month_ends(today, HISTORY_MONTHS)
    for position, (code, goal, title, unit, metric, higher, baseline, target, target_date, source, public,
                   start) in enumerate(INDICATORS):  # fmt: skip
        indicator = services.create_indicator(
            goals[goal], by=admin, code=code, title=title, unit=unit, metric=metric, higher_is_better=higher,
            baseline_value=baseline, baseline_date=months[0] - timedelta(days=1), target_value=target,
            target_date=target_date, source=source, is_public=public, position=position,
        )  # fmt: skip
        if metric:
            live = METRICS[metric].compute(today)
            end = live if live is not None else start
            for day, value in zip(months, _curve(start, end, len(months)), strict=True):
                if unit == IndicatorUnit.COUNT:
                    value = value.to_integral_value()
                services._store_value(indicator, day=day, value=value, origin=ValueOrigin.SNAPSHOT,
                                      reason="strategy.indicator_value.snapshot")  # fmt: skip
        else:
            for day, value in zip(months, _curve(start, MANUAL_END[code], len(months)), strict=True):
                if unit == IndicatorUnit.COUNT:
                    value = value.to_integral_value()
                services.record_indicator_value(indicator, by=admin, date=day, value=value, source=source,
                                                note="Stand zum Monatsende")  # fmt: skip
    services.record_snapshots(on=today)
