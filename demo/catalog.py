"""The demo catalog of the fictional Stadtverbund (see demo.governance): about fifty
municipal datasets of all ten organisations, classified and with small generated files.

Everything goes through catalog.services, exactly as a steward's work in the app
would, so the history, checksums and upload checks are real. A subset then runs
through the real publication workflow (catalog.workflow) with the demo users, so the
catalog holds datasets in every state: published, approved internal-only or closed
with grounds and re-review dates, returned with reasons, in owner, ethics and legal
review, and withdrawn (see WORKFLOW_PLAN). The files are synthetic and
reproducible (random.Random seeded with the dataset name); persons in them are
invented. Running the seed again skips every dataset that already exists.
"""

import csv
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from catalog import changes, engine, services, workflow
from catalog.models import (
    ACTIVE_CHANGE_STATES,
    REVIEW_STATES,
    Confidentiality,
    Dataset,
    DatasetChange,
    DatasetState,
    DistributionKind,
    PersonalDataStatus,
    ProtectionNeed,
    SpatialGranularity,
    TemporalGranularity,
)
from catalog.vocabularies import LICENCES_BY_CODE, Frequency, GeocodingLevel, HVDCategory
from demo.governance import demo_username
from governance.models import Organisation, Role

P = PersonalDataStatus
C = Confidentiality
S = SpatialGranularity
T = TemporalGranularity
NORMAL, HOCH, SEHR_HOCH = ProtectionNeed.NORMAL, ProtectionNeed.HOCH, ProtectionNeed.SEHR_HOCH

# Organisation slugs of demo.governance.ORGANISATIONS
LIN, LIN_PLAN, LIN_BUERGER, LIN_UMWELT, LIN_SW = (
    "lindenau",
    "lindenau-stadtplanung",
    "lindenau-buergeramt",
    "lindenau-umwelt",
    "stadtwerke-lindenau",
)
EIB, EIB_DIGI, EIB_ORDNUNG, EIB_TIEF, EIB_VB = (
    "eichberg",
    "eichberg-digitalisierung",
    "eichberg-ordnungsamt",
    "eichberg-tiefbau",
    "verkehrsbetriebe-eichberg",
)

CONTACTS = {
    LIN: "Stadt Lindenau, Hauptamt – Open-Data-Team",
    LIN_PLAN: "Stadt Lindenau, Amt für Stadtplanung – Geodatenstelle",
    LIN_BUERGER: "Stadt Lindenau, Bürgeramt – Melde- und Statistikstelle",
    LIN_UMWELT: "Stadt Lindenau, Umweltamt – Umweltinformation",
    LIN_SW: "Kommunale Stadtwerke Lindenau, Netzbetrieb und Daten",
    EIB: "Stadt Eichberg, Haupt- und Personalamt",
    EIB_DIGI: "Stadt Eichberg, Amt für Digitalisierung und Statistik – Kommunalstatistik",
    EIB_ORDNUNG: "Stadt Eichberg, Ordnungsamt – Verwaltungsdienste",
    EIB_TIEF: "Stadt Eichberg, Tiefbauamt – Verkehrs- und Geodaten",
    EIB_VB: "Eichberger Verkehrsbetriebe GmbH, Fahrgastinformation",
}
ATTRIBUTIONS = {
    LIN: "Stadt Lindenau",
    LIN_PLAN: "Stadt Lindenau, Amt für Stadtplanung",
    LIN_BUERGER: "Stadt Lindenau, Bürgeramt",
    LIN_UMWELT: "Stadt Lindenau, Umweltamt",
    LIN_SW: "Kommunale Stadtwerke Lindenau",
    EIB: "Stadt Eichberg",
    EIB_DIGI: "Stadt Eichberg, Amt für Digitalisierung und Statistik",
    EIB_ORDNUNG: "Stadt Eichberg, Ordnungsamt",
    EIB_TIEF: "Stadt Eichberg, Tiefbauamt",
    EIB_VB: "Eichberger Verkehrsbetriebe GmbH",
}
WEBSITES = {
    **dict.fromkeys([LIN, LIN_PLAN, LIN_BUERGER, LIN_UMWELT], "https://www.lindenau.example"),
    LIN_SW: "https://www.stadtwerke-lindenau.example",
    **dict.fromkeys([EIB, EIB_DIGI, EIB_ORDNUNG, EIB_TIEF], "https://www.eichberg.example"),
    EIB_VB: "https://www.verkehrsbetriebe-eichberg.example",
}

LINDENAU_DISTRICTS = ["Altstadt", "Nordvorstadt", "Südstadt", "Mühlberg", "Lindenhöhe", "Wiesengrund", "Ostviertel"]
EICHBERG_DISTRICTS = ["Innenstadt", "Oberdorf", "Unterstadt", "Sonnenhalde", "Talheim", "Weinsteige", "Eichwald"]
CENTRES = {"Lindenau": (50.9126, 11.5712), "Eichberg": (48.7813, 9.1634)}
STREET_STEMS = [
    "Linden",
    "Eichen",
    "Birken",
    "Ahorn",
    "Buchen",
    "Mühl",
    "Kirch",
    "Schul",
    "Garten",
    "Wiesen",
    "Berg",
    "Tal",
    "Sonnen",
    "Rosen",
    "Feld",
    "Wald",
    "Brunnen",
    "Markt",
    "Schloss",
    "Anger",
]
STREET_ENDINGS = ["straße", "weg", "gasse", "allee", "ring"]


# ---------------------------------------------------------------------------
# Small helpers for generated tables. A row is a tuple; None is a value kept
# secret for statistical confidentiality ("." in CSV, null in JSON).


def _streets(rng: random.Random, count: int) -> list[str]:
    names = [stem + ending for stem in STREET_STEMS for ending in STREET_ENDINGS]
    return rng.sample(names, count)


def _point(rng: random.Random, city: str, spread: float = 1.0) -> tuple[float, float]:
    lat, lon = CENTRES[city]
    return round(lat + rng.uniform(-0.022, 0.022) * spread, 6), round(lon + rng.uniform(-0.035, 0.035) * spread, 6)


def _secret(value: int, minimum: int = 3) -> int | None:
    """Cells below the minimum count are suppressed (Geheimhaltung)."""
    return None if 0 < value < minimum else value


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Distribute a total over groups in proportion to noisy weights."""
    noisy = [w * rng.uniform(0.8, 1.2) for w in weights]
    shares = [int(total * w / sum(noisy)) for w in noisy]
    shares[0] += total - sum(shares)
    return shares


Table = tuple[list[str], list[tuple]]


def rows_baumkataster(rng: random.Random) -> Table:
    species = [
        ("Winter-Linde", "Tilia cordata"),
        ("Spitz-Ahorn", "Acer platanoides"),
        ("Stiel-Eiche", "Quercus robur"),
        ("Hainbuche", "Carpinus betulus"),
        ("Gewöhnliche Rosskastanie", "Aesculus hippocastanum"),
        ("Ahornblättrige Platane", "Platanus × hispanica"),
        ("Robinie", "Robinia pseudoacacia"),
        ("Berg-Ahorn", "Acer pseudoplatanus"),
        ("Hänge-Birke", "Betula pendula"),
        ("Feld-Ahorn", "Acer campestre"),
        ("Japanische Blütenkirsche", "Prunus serrulata"),
        ("Gemeine Esche", "Fraxinus excelsior"),
    ]
    streets = _streets(rng, 30)
    rows = []
    for number in range(150):
        german, botanical = rng.choices(species, weights=[9, 8, 5, 6, 4, 3, 3, 5, 3, 4, 2, 2])[0]
        planted = rng.randint(1950, 2023)
        age = 2025 - planted
        height = round(min(32.0, 2.5 + age * rng.uniform(0.25, 0.4)), 1)
        lat, lon = _point(rng, "Lindenau")
        rows.append(
            (
                f"LIN-B-{10001 + number}",
                german,
                botanical,
                planted,
                height,
                round(height * rng.uniform(0.45, 0.7), 1),
                int(age * rng.uniform(2.0, 3.5) + 20),
                rng.choice(LINDENAU_DISTRICTS),
                rng.choice(streets),
                lat,
                lon,
            )
        )
    header = [
        "baum_id",
        "art_deutsch",
        "art_botanisch",
        "pflanzjahr",
        "hoehe_m",
        "kronendurchmesser_m",
        "stammumfang_cm",
        "stadtteil",
        "strasse",
        "lat",
        "lon",
    ]
    return header, rows


def rows_luftqualitaet(rng: random.Random) -> Table:
    stations = [("LIN-ALT (verkehrsnah, Altstadt)", 1.6), ("LIN-AUE (städtischer Hintergrund, Wiesengrund)", 1.0)]
    rows = []
    for station, load in stations:
        for offset in range(60):
            day = date(2025, 1, 1) + timedelta(days=offset)
            weather = rng.uniform(0.6, 1.5)
            rows.append(
                (
                    station,
                    day.isoformat(),
                    round(16 * load * weather, 1),
                    round(14 * weather + 4 * load, 1),
                    round(9 * weather + 2 * load, 1),
                    round(rng.uniform(18, 55) / load, 1),
                )
            )
    return ["messstation", "datum", "no2_ug_m3", "pm10_ug_m3", "pm25_ug_m3", "o3_ug_m3"], rows


def rows_laermkartierung(rng: random.Random) -> Table:
    classes = {
        "Lden": ["55–59", "60–64", "65–69", "70–74", "≥ 75"],
        "Lnight": ["50–54", "55–59", "60–64", "65–69", "≥ 70"],
    }
    rows = []
    for source, scale in (("Hauptverkehrsstraßen", 1.0), ("Haupteisenbahnstrecken", 0.35)):
        for index, levels in classes.items():
            for step, level in enumerate(levels):
                people = int(scale * 5200 / (step + 1) ** 1.6 * rng.uniform(0.8, 1.2)) // 100 * 100
                rows.append((source, index, level, people, people // 2, rng.randint(0, 2 - step // 2), step // 4))
    header = ["laermquelle", "index", "pegelklasse_db", "betroffene_menschen", "wohnungen", "schulen", "krankenhaeuser"]
    return header, rows


def rows_abfallkalender(rng: random.Random) -> Table:
    kinds = [("Restabfall", 14), ("Bioabfall", 14), ("Gelbe Tonne", 14), ("Papier, Pappe, Kartonagen", 28)]
    weekdays = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"]
    rows = []
    for district_number, district in enumerate("ABCD"):
        for kind_number, (kind, interval) in enumerate(kinds):
            day = date(2026, 1, 5) + timedelta(days=district_number + 7 * (kind_number % 2))
            while day < date(2026, 4, 1):
                rows.append((f"Abfuhrbezirk {district}", kind, day.isoformat(), weekdays[day.weekday()]))
                day += timedelta(days=interval)
    rows.sort(key=lambda row: (row[0], row[2], row[1]))
    return ["abfuhrbezirk", "abfallart", "abholdatum", "wochentag"], rows


def rows_friedhoefe(rng: random.Random) -> Table:
    cemeteries = [
        "Hauptfriedhof Lindenau",
        "Friedhof Mühlberg",
        "Waldfriedhof Wiesengrund",
        "Alter Friedhof Nordvorstadt",
    ]
    kinds = ["Reihengrab", "Wahlgrab", "Urnenreihengrab", "Urnengemeinschaftsanlage", "Baumbestattung"]
    rows = []
    for cemetery in cemeteries:
        for field_number in range(1, 11):
            kind = rng.choice(kinds)
            places = rng.randint(20, 180)
            occupied = int(places * rng.uniform(0.45, 0.98))
            rows.append((cemetery, f"Feld {field_number:02d}", kind, places, occupied, places - occupied))
    return ["friedhof", "grabfeld", "grabart", "grabstellen", "belegt", "frei"], rows


def rows_trinkwasser(rng: random.Random) -> Table:
    parameters = [
        ("Nitrat", "mg/l", "50", 6.0, 24.0, 1),
        ("Nitrit", "mg/l", "0.50", 0.01, 0.04, 2),
        ("Sulfat", "mg/l", "250", 30.0, 95.0, 0),
        ("Calcium", "mg/l", "", 45.0, 90.0, 0),
        ("Gesamthärte", "°dH", "", 8.5, 15.5, 1),
        ("pH-Wert", "", "6.5–9.5", 7.3, 7.9, 2),
        ("Blei", "mg/l", "0.010", 0.001, 0.003, 3),
        ("Uran", "mg/l", "0.010", 0.0005, 0.002, 4),
        ("Escherichia coli", "KBE/100 ml", "0", 0, 0, 0),
        ("Coliforme Bakterien", "KBE/100 ml", "0", 0, 0, 0),
    ]
    rows = []
    for zone in ("Versorgungszone Nord", "Versorgungszone Süd", "Hochzone Lindenhöhe"):
        for month in (2, 5, 8, 11):
            day = date(2025, month, rng.randint(3, 26)).isoformat()
            for name, unit, limit, low, high, digits in parameters:
                rows.append((zone, day, name, round(rng.uniform(low, high), digits), unit, limit))
    return ["versorgungszone", "probenahme", "parameter", "messwert", "einheit", "grenzwert_trinkwv"], rows


def rows_netzlast(rng: random.Random) -> Table:
    stations = [("UW Lindenau-Nord", 18.0), ("UW Lindenau-Süd", 14.0), ("UW Mühlberg", 9.0), ("UW Ostviertel", 11.0)]
    rows = []
    for hour in range(24):
        timestamp = datetime(2025, 1, 15, hour).isoformat(timespec="minutes")
        daily = 0.55 + 0.45 * max(0.0, 1 - abs(hour - 12) / 9) + (0.15 if 17 <= hour <= 20 else 0)
        solar = max(0.0, 1 - abs(hour - 12.5) / 4.5)
        for station, peak in stations:
            rows.append(
                (timestamp, station, round(peak * daily * rng.uniform(0.95, 1.05), 2), round(peak * 0.2 * solar, 2))
            )
    return ["zeitstempel", "umspannwerk", "last_mw", "einspeisung_pv_mw"], rows


def rows_ladesaeulen(rng: random.Random) -> Table:
    streets = _streets(rng, 30)
    rows = []
    for number in range(30):
        power = rng.choice([11, 22, 22, 22, 50, 150])
        lat, lon = _point(rng, "Lindenau")
        rows.append(
            (
                f"LIN-LS-{number + 1:03d}",
                f"{streets[number]} {rng.randint(1, 80)}",
                rng.choice(LINDENAU_DISTRICTS),
                2 if power < 50 else rng.choice([1, 2]),
                power,
                "Typ 2" if power <= 22 else "CCS, CHAdeMO",
                date(rng.randint(2018, 2025), rng.randint(1, 12), 1).isoformat(),
                lat,
                lon,
            )
        )
    header = [
        "ladestation_id",
        "standort",
        "stadtteil",
        "ladepunkte",
        "leistung_kw",
        "stecker",
        "inbetriebnahme",
        "lat",
        "lon",
    ]
    return header, rows


def rows_bebauungsplaene(rng: random.Random) -> Table:
    states = ["rechtskräftig"] * 6 + ["Entwurf", "frühzeitige Beteiligung", "Aufstellungsbeschluss"]
    uses = ["Allgemeines Wohngebiet", "Mischgebiet", "Gewerbegebiet", "Sondergebiet Einzelhandel", "Urbanes Gebiet"]
    streets = _streets(rng, 40)
    rows = []
    for number in range(40):
        state = rng.choice(states)
        legal = date(rng.randint(1992, 2024), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        rows.append(
            (
                f"B-{number + 1:03d}",
                f"„{streets[number].replace('straße', 'straße Nord').replace('weg', 'wiese')}“",
                rng.choice(LINDENAU_DISTRICTS),
                state,
                legal if state == "rechtskräftig" else "",
                round(rng.uniform(0.4, 18.0), 2),
                rng.choice(uses),
            )
        )
    header = ["plan_nr", "bezeichnung", "stadtteil", "verfahrensstand", "rechtskraft_seit", "flaeche_ha", "art_nutzung"]
    return header, rows


def rows_bodenrichtwerte(rng: random.Random) -> Table:
    uses = [("Wohnbaufläche", 110, 320), ("gemischte Baufläche", 120, 380), ("gewerbliche Baufläche", 35, 85)]
    rows = []
    for number in range(60):
        use, low, high = rng.choice(uses)
        district = LINDENAU_DISTRICTS[number % len(LINDENAU_DISTRICTS)]
        centre = 1.5 if district == "Altstadt" else 1.0
        value = int(rng.uniform(low, high) * centre) // 5 * 5
        rows.append((f"{16099001}-{1000 + number}", district, use, "baureifes Land", value, "2024-01-01"))
    return ["zone_nr", "stadtteil", "nutzungsart", "entwicklungszustand", "bodenrichtwert_eur_m2", "stichtag"], rows


def rows_strassenverzeichnis(rng: random.Random) -> Table:
    rows = []
    for number, name in enumerate(sorted(_streets(rng, 90))):
        district = rng.choice(LINDENAU_DISTRICTS)
        rows.append(
            (
                f"{16099001}{number + 1:05d}",
                name,
                district,
                f"07{rng.choice([743, 745, 747, 749])}",
                rng.randint(80, 2400),
                rng.choice(
                    ["Gemeindestraße", "Gemeindestraße", "Ortsdurchfahrt (Landesstraße)", "beschränkt öffentlicher Weg"]
                ),
            )
        )
    return ["strassenschluessel", "strassenname", "stadtteil", "postleitzahl", "laenge_m", "widmung"], rows


def rows_spielplaetze(rng: random.Random) -> Table:
    streets = _streets(rng, 35)
    rows = []
    for number in range(35):
        lat, lon = _point(rng, "Lindenau")
        rows.append(
            (
                f"LIN-SP-{number + 1:03d}",
                f"Spielplatz {streets[number]}",
                rng.choice(LINDENAU_DISTRICTS),
                rng.choice(["0–6 Jahre", "0–12 Jahre", "6–14 Jahre", "alle Altersgruppen"]),
                rng.randint(150, 4200),
                rng.randint(3, 16),
                rng.choice(["ja", "nein", "teilweise"]),
                lat,
                lon,
            )
        )
    header = [
        "spielplatz_id",
        "name",
        "stadtteil",
        "altersgruppe",
        "flaeche_m2",
        "spielgeraete",
        "barrierearm",
        "lat",
        "lon",
    ]
    return header, rows


def rows_kitas(rng: random.Random) -> Table:
    names = [
        "Sonnenschein",
        "Regenbogen",
        "Pusteblume",
        "Kleine Strolche",
        "Zwergenland",
        "Löwenzahn",
        "Am Mühlgraben",
        "Waldwichtel",
        "Spatzennest",
        "Kunterbunt",
        "Sternschnuppe",
        "Lindenblüte",
        "Wirbelwind",
        "Apfelbäumchen",
        "Schatzkiste",
        "Entdeckerland",
        "Hummelburg",
        "Wiesenzwerge",
        "Traumland",
        "Kinderinsel",
        "Glühwürmchen",
        "Rasselbande",
        "Märchenland",
        "Saatkorn",
        "Kastanienhaus",
        "Villa Kunterbunt",
        "Flohkiste",
        "Pfiffikus",
    ]
    carriers = [
        "Stadt Lindenau",
        "Stadt Lindenau",
        "freier Träger (Wohlfahrtsverband)",
        "kirchlicher Träger",
        "Elterninitiative",
    ]
    streets = _streets(rng, len(names))
    rows = []
    for number, name in enumerate(names):
        lat, lon = _point(rng, "Lindenau")
        rows.append(
            (
                f"LIN-KITA-{number + 1:02d}",
                f"Kita „{name}“",
                rng.choice(carriers),
                rng.choice(LINDENAU_DISTRICTS),
                f"{streets[number]} {rng.randint(1, 60)}",
                rng.choice([0, 10, 12, 15, 20, 24]),
                rng.choice([30, 45, 60, 75, 90, 110]),
                rng.choice(["06:00", "06:30", "07:00"]),
                rng.choice(["16:30", "17:00", "17:30"]),
                lat,
                lon,
            )
        )
    header = [
        "kita_id",
        "name",
        "traeger",
        "stadtteil",
        "adresse",
        "plaetze_krippe",
        "plaetze_kindergarten",
        "oeffnet",
        "schliesst",
        "lat",
        "lon",
    ]
    return header, rows


def _budget(rng: random.Random, scale: float) -> Table:
    areas = [
        ("11", "Innere Verwaltung", 9.0, 0.5),
        ("12", "Sicherheit und Ordnung", 4.0, 1.5),
        ("21", "Schulträgeraufgaben", 6.0, 0.6),
        ("25", "Kultur und Wissenschaft", 3.5, 0.8),
        ("31", "Soziale Hilfen", 2.5, 14.0),
        ("36", "Kinder-, Jugend- und Familienhilfe", 5.0, 18.0),
        ("42", "Sportförderung", 1.2, 0.9),
        ("51", "Räumliche Planung und Entwicklung", 2.2, 0.4),
        ("54", "Verkehrsflächen und -anlagen, ÖPNV", 3.8, 2.5),
        ("55", "Natur- und Landschaftspflege", 2.0, 0.6),
        ("56", "Umweltschutz", 0.8, 0.3),
        ("57", "Wirtschaft und Tourismus", 0.9, 0.7),
        ("61", "Allgemeine Finanzwirtschaft", 0.0, 1.0),
    ]
    rows = []
    for number, name, staff, transfers in areas:
        lines = [
            ("Aufwendungen", "Personalaufwendungen", staff * 1.6),
            ("Aufwendungen", "Aufwendungen für Sach- und Dienstleistungen", staff * 0.9 + 0.6),
            ("Aufwendungen", "Transferaufwendungen", transfers),
            ("Erträge", "Öffentlich-rechtliche Leistungsentgelte", staff * 0.3 + 0.1),
        ]
        if number == "61":
            lines[-1] = ("Erträge", "Steuern und ähnliche Abgaben", 95.0)
        for kind, account, millions in lines:
            if millions == 0:
                continue
            result_2024 = int(millions * scale * 1_000_000 * rng.uniform(0.93, 1.04)) // 100 * 100
            plan_2025 = int(result_2024 * rng.uniform(1.0, 1.06)) // 1000 * 1000
            plan_2026 = int(plan_2025 * rng.uniform(1.0, 1.05)) // 1000 * 1000
            rows.append((number, name, kind, account, result_2024, plan_2025, plan_2026))
    header = [
        "produktbereich",
        "bezeichnung",
        "art",
        "kontengruppe",
        "ergebnis_2024_eur",
        "ansatz_2025_eur",
        "ansatz_2026_eur",
    ]
    return header, rows


def rows_haushalt_lindenau(rng: random.Random) -> Table:
    return _budget(rng, 1.0)


def rows_haushalt_eichberg(rng: random.Random) -> Table:
    return _budget(rng, 0.78)


def rows_ratssitzungen(rng: random.Random) -> Table:
    bodies = [
        ("Stadtrat", 0.2),
        ("Hauptausschuss", 0.2),
        ("Bau- und Umweltausschuss", 0.2),
        ("Finanzausschuss", 0.15),
        ("Sozial- und Bildungsausschuss", 0.15),
        ("Ortsteilrat Wiesengrund", 0.05),
        ("Jugendhilfeausschuss", 0.05),
    ]
    rows = []
    for number in range(48):
        body = rng.choices([b for b, _ in bodies], weights=[w for _, w in bodies])[0]
        day = date(2025, 1, 13) + timedelta(days=7 * (number % 46) + rng.randint(0, 3))
        public_items = rng.randint(4, 18)
        rows.append(
            (
                f"SI/2025/{number + 1:03d}",
                body,
                day.isoformat(),
                "17:00" if body != "Ortsteilrat Wiesengrund" else "19:00",
                "Rathaus Lindenau, Ratssaal" if body == "Stadtrat" else "Rathaus Lindenau, Raum 2.14",
                public_items,
                rng.randint(0, 5),
                rng.randint(1, public_items),
            )
        )
    rows.sort(key=lambda row: row[2])
    header = [
        "sitzung_id",
        "gremium",
        "datum",
        "beginn",
        "ort",
        "tops_oeffentlich",
        "tops_nichtoeffentlich",
        "beschluesse",
    ]
    return header, rows


def rows_personal(rng: random.Random) -> Table:
    units = [
        ("Dezernat I – Hauptamt", 62),
        ("Dezernat I – Kämmerei", 38),
        ("Dezernat I – Rechnungsprüfung", 7),
        ("Dezernat II – Bürgeramt", 54),
        ("Dezernat II – Ordnungsamt", 71),
        ("Dezernat II – Feuerwehr", 96),
        ("Dezernat III – Amt für Stadtplanung", 33),
        ("Dezernat III – Umweltamt", 41),
        ("Dezernat III – Bauhof", 88),
        ("Dezernat IV – Jugend, Schule und Soziales", 143),
    ]
    rows = []
    for unit, staff in units:
        for year in range(2021, 2025):
            count = int(staff * (1 + 0.015 * (year - 2021)) * rng.uniform(0.97, 1.03))
            part_time = rng.uniform(0.12, 0.42)
            rows.append(
                (
                    unit,
                    year,
                    count,
                    round(count * (1 - part_time * 0.45), 1),
                    round(rng.uniform(28, 74), 1),
                    round(part_time * 100, 1),
                    round(rng.uniform(41.5, 49.5), 1),
                )
            )
    header = [
        "organisationseinheit",
        "jahr",
        "beschaeftigte",
        "vollzeitaequivalente",
        "frauenanteil_prozent",
        "teilzeitquote_prozent",
        "durchschnittsalter",
    ]
    return header, rows


def rows_wahl(rng: random.Random) -> Table:
    lists = ["buergerbund", "soziale_liste", "gruene_stadt", "freie_waehler", "liberale_mitte", "unabhaengige"]
    weights = [26, 21, 15, 18, 8, 12]
    rows = []
    for number in range(28):
        postal = number >= 24
        district = f"Briefwahlbezirk {number - 23}" if postal else f"Wahlbezirk {number + 1:02d}"
        electorate = rng.randint(1400, 2300) if not postal else 0
        voters = int(electorate * rng.uniform(0.38, 0.62)) if not postal else rng.randint(900, 1600)
        invalid = int(voters * rng.uniform(0.008, 0.025))
        valid = voters - invalid
        rows.append(
            (
                f"{number + 1:02d}",
                district,
                "" if postal else LINDENAU_DISTRICTS[number % len(LINDENAU_DISTRICTS)],
                electorate if not postal else "",
                voters,
                invalid,
                valid,
                *_split(rng, valid, weights),
            )
        )
    header = [
        "wahlbezirk_nr",
        "wahlbezirk",
        "stadtteil",
        "wahlberechtigte",
        "waehlende",
        "ungueltig",
        "gueltig",
        *lists,
    ]
    return header, rows


def rows_stromverbrauch(rng: random.Random) -> Table:
    uses = [
        ("Grundschule", 0.9, 18),
        ("Gemeinschaftsschule", 1.1, 20),
        ("Kita", 0.7, 22),
        ("Verwaltung", 1.0, 35),
        ("Sporthalle", 1.2, 15),
        ("Feuerwache", 1.0, 25),
        ("Stadtbibliothek", 0.8, 30),
    ]
    rows = []
    for number in range(30):
        use, factor, power = rng.choice(uses)
        area = rng.randint(450, 6200)
        built = rng.choice([1908, 1928, 1954, 1962, 1968, 1974, 1979, 1988, 1996, 2005, 2013, 2019])
        name = f"{use} {EICHBERG_DISTRICTS[number % len(EICHBERG_DISTRICTS)]}" + (
            f" {number // 7 + 1}" if number >= 7 else ""
        )
        for year in (2023, 2024):
            electricity = int(area * power * factor * rng.uniform(0.85, 1.15) * (0.96 if year == 2024 else 1))
            heat = int(area * rng.uniform(70, 180) * (0.7 if built >= 2005 else 1))
            rows.append(
                (
                    f"EIB-G-{number + 1:03d}",
                    name,
                    use,
                    built,
                    area,
                    year,
                    electricity,
                    heat,
                    round(electricity / area, 1),
                )
            )
    header = [
        "liegenschaft_id",
        "liegenschaft",
        "nutzung",
        "baujahr",
        "nettogrundflaeche_m2",
        "jahr",
        "strom_kwh",
        "waerme_kwh",
        "kennwert_strom_kwh_m2",
    ]
    return header, rows


def rows_vereinsfoerderung(rng: random.Random) -> Table:
    clubs = [
        ("TSV Eichberg 1888 e. V.", "Sport"),
        ("SV Talheim e. V.", "Sport"),
        ("Schwimmverein Eichberg e. V.", "Sport"),
        ("Turnerbund Oberdorf e. V.", "Sport"),
        ("Tennisclub Sonnenhalde e. V.", "Sport"),
        ("Musikverein Eichberg-Unterstadt e. V.", "Kultur"),
        ("Liederkranz Weinsteige e. V.", "Kultur"),
        ("Kunstverein Eichberg e. V.", "Kultur"),
        ("Theater im Eichwald e. V.", "Kultur"),
        ("Heimat- und Geschichtsverein Eichberg e. V.", "Kultur"),
        ("Tafel Eichberg e. V.", "Soziales"),
        ("Seniorentreff Innenstadt e. V.", "Soziales"),
        ("Nachbarschaftshilfe Talheim e. V.", "Soziales"),
        ("Stadtjugendring Eichberg e. V.", "Jugend"),
        ("Pfadfinderstamm Eichwald", "Jugend"),
        ("Jugendfeuerwehr Eichberg (Förderverein)", "Jugend"),
        ("Eichberger Tierschutzverein e. V.", "Umwelt"),
        ("NABU-Gruppe Eichberg", "Umwelt"),
        ("Obst- und Gartenbauverein Oberdorf e. V.", "Umwelt"),
        ("Bürgerverein Bahnhofsviertel e. V.", "Soziales"),
    ]
    rows = []
    for year in (2023, 2024):
        for club, area in clubs:
            rows.append(
                (
                    year,
                    area,
                    club,
                    rng.choice(["Grundförderung", "Projektförderung", "Investitionszuschuss"]),
                    int(rng.uniform(400, 18000)) // 50 * 50,
                )
            )
    return ["jahr", "foerderbereich", "empfaenger", "foerderart", "zuschuss_eur"], rows


def rows_schueler(rng: random.Random) -> Table:
    schools = [
        ("Grundschule Oberdorf", "Grundschule", range(1, 5)),
        ("Eichwald-Grundschule", "Grundschule", range(1, 5)),
        ("Grundschule Talheim", "Grundschule", range(1, 5)),
        ("Gemeinschaftsschule Unterstadt", "Gemeinschaftsschule", range(5, 11)),
        ("Realschule am Bahnhof", "Realschule", range(5, 11)),
        ("Eichberg-Gymnasium", "Gymnasium", range(5, 13)),
        ("Sonnenhalde-SBBZ Lernen", "Sonderpädagogisches Bildungs- und Beratungszentrum", range(1, 10)),
    ]
    rows = []
    for school, kind, grades in schools:
        for grade in grades:
            small = kind.startswith("Sonder")
            classes = 1 if small else rng.randint(2, 4)
            pupils = rng.randint(4, 11) if small else classes * rng.randint(19, 27)
            rows.append(
                ("2024/25", school, kind, grade, classes, pupils, _secret(int(pupils * rng.uniform(0.4, 0.55)), 5))
            )
    return ["schuljahr", "schule", "schulart", "klassenstufe", "klassen", "schueler", "davon_weiblich"], rows


def rows_sozialleistungen(rng: random.Random) -> Table:
    benefits = [
        ("SGB II – Personen in Bedarfsgemeinschaften", 0.065),
        ("SGB XII – Grundsicherung im Alter", 0.012),
        ("Wohngeld – Haushalte", 0.018),
    ]
    population = {district: rng.randint(3800, 9500) for district in EICHBERG_DISTRICTS}
    rows = []
    for year in (2022, 2023, 2024):
        for district in EICHBERG_DISTRICTS:
            burden = 1.8 if district in ("Unterstadt", "Innenstadt") else 0.7 if district == "Sonnenhalde" else 1.0
            for benefit, rate in benefits:
                count = int(population[district] * rate * burden * rng.uniform(0.85, 1.15))
                if district == "Weinsteige" and benefit.startswith("SGB XII"):
                    count = rng.randint(1, 2)
                value = _secret(count)
                quota = round(100 * count / population[district], 1) if value is not None else None
                rows.append((year, district, benefit, value, quota))
    return ["jahr", "stadtteil", "leistung", "anzahl", "quote_prozent"], rows


def rows_jugendhilfe(rng: random.Random) -> Table:
    kinds = [
        ("§ 28 Erziehungsberatung", 180),
        ("§ 29 Soziale Gruppenarbeit", 14),
        ("§ 30 Erziehungsbeistand", 31),
        ("§ 31 Sozialpädagogische Familienhilfe", 58),
        ("§ 32 Erziehung in einer Tagesgruppe", 9),
        ("§ 33 Vollzeitpflege", 42),
        ("§ 34 Heimerziehung, betreutes Wohnen", 37),
        ("§ 35 Intensive sozialpädagogische Einzelbetreuung", 2),
        ("§ 35a Eingliederungshilfe", 46),
        ("§ 41 Hilfe für junge Volljährige", 19),
        ("§ 42 Inobhutnahme", 23),
    ]
    rows = []
    for year in range(2020, 2025):
        for kind, base in kinds:
            cases = max(1, int(base * rng.uniform(0.85, 1.2)))
            new = int(cases * rng.uniform(0.3, 0.6))
            rows.append((year, kind, _secret(cases), _secret(new)))
    return ["jahr", "hilfeart_sgb_viii", "faelle", "davon_neu_begonnen"], rows


def _population(rng: random.Random, start: int, trend: float, foreign_share: float) -> Table:
    rows = []
    people = start
    for year in range(1995, 2025):
        people = int(people * (1 + trend + rng.uniform(-0.004, 0.004)))
        share = foreign_share * (1 + (year - 1995) * 0.035)
        female = int(people * rng.uniform(0.505, 0.515))
        foreign = int(people * share)
        rows.append((year, "31.12.", people, people - female, female, people - foreign, foreign))
    header = ["jahr", "stichtag", "einwohner", "maennlich", "weiblich", "deutsche", "nichtdeutsche"]
    return header, rows


def rows_einwohner_lindenau(rng: random.Random) -> Table:
    return _population(rng, 64_800, -0.003, 0.018)


def rows_einwohner_eichberg(rng: random.Random) -> Table:
    return _population(rng, 44_100, 0.004, 0.09)


def rows_geburten(rng: random.Random) -> Table:
    rows = []
    for year in range(2020, 2025):
        for month in range(1, 13):
            births = int(rng.uniform(32, 52) * (1 - (year - 2020) * 0.03))
            deaths = int(rng.uniform(58, 82) * (1.25 if month in (1, 2, 12) else 1))
            rows.append((year, month, births, deaths, births - deaths))
    return ["jahr", "monat", "geburten", "sterbefaelle", "saldo"], rows


def rows_meldedaten(rng: random.Random) -> Table:
    ages = [
        ("0–5", 0.05),
        ("6–17", 0.10),
        ("18–29", 0.13),
        ("30–44", 0.18),
        ("45–64", 0.28),
        ("65–79", 0.17),
        ("80 und älter", 0.09),
    ]
    rows = []
    for deadline in ("2023-12-31", "2024-12-31"):
        for district in LINDENAU_DISTRICTS:
            people = rng.randint(6500, 11500)
            for age, share in ages:
                count = int(people * share * rng.uniform(0.85, 1.15))
                diverse = rng.choice([0, 0, 1, 2, 3, 4]) if age != "80 und älter" else 0
                male = int((count - diverse) * rng.uniform(0.46, 0.52 if age != "80 und älter" else 0.4))
                rows.append((deadline, district, age, count, male, count - diverse - male, _secret(diverse)))
    header = ["stichtag", "stadtteil", "altersgruppe", "einwohner", "maennlich", "weiblich", "divers_ohne_angabe"]
    return header, rows


def rows_einbuergerungen(rng: random.Random) -> Table:
    origins = [
        ("Europa (EU)", 12),
        ("Europa (außerhalb der EU)", 18),
        ("Asien", 24),
        ("Afrika", 7),
        ("Amerika", 3),
        ("Australien und Ozeanien", 0.4),
        ("staatenlos oder ungeklärt", 1.5),
    ]
    rows = []
    for year in range(2019, 2025):
        growth = 1 + (year - 2019) * 0.18
        for origin, base in origins:
            count = int(base * growth * rng.uniform(0.7, 1.3))
            rows.append((year, origin, _secret(count), _secret(int(count * rng.uniform(0.35, 0.6)))))
    return ["jahr", "bisherige_staatsangehoerigkeit", "einbuergerungen", "davon_weiblich"], rows


def rows_buergerumfrage(rng: random.Random) -> Table:
    rows = []
    for number in range(150):
        age = rng.choices(["18–34", "35–64", "65 und älter"], weights=[25, 48, 27])[0]
        area = rng.choice(["Nord", "Mitte", "Süd"])
        online = "ja" if rng.random() < (0.8 if age != "65 und älter" else 0.45) else "nein"
        rows.append(
            (
                number + 1,
                age,
                area,
                rng.choices([1, 2, 3, 4, 5], weights=[3, 7, 20, 42, 28])[0],
                rng.choices([1, 2, 3, 4, 5], weights=[8, 17, 30, 30, 15])[0],
                rng.choices([1, 2, 3, 4, 5], weights=[4, 10, 26, 38, 22])[0],
                online,
            )
        )
    header = [
        "antwort_nr",
        "altersgruppe",
        "stadtbereich",
        "zufriedenheit_wohnumfeld",
        "zufriedenheit_oepnv",
        "sicherheitsgefuehl",
        "nutzt_online_dienste",
    ]
    return header, rows


def rows_bussgeld(rng: random.Random) -> Table:
    offences = [
        ("Parkverstoß (Parkschein, Parkscheibe)", 900, 20),
        ("Halten oder Parken im Halteverbot", 420, 35),
        ("Parken auf Geh- oder Radweg", 260, 55),
        ("Geschwindigkeit bis 20 km/h zu hoch", 1300, 40),
        ("Geschwindigkeit über 20 km/h zu hoch", 160, 160),
    ]
    rows = []
    for month in range(1, 13):
        for offence, base, fine in offences:
            cases = int(base * rng.uniform(0.75, 1.25))
            rows.append((2024, month, offence, cases, cases * fine))
    return ["jahr", "monat", "tatbestand", "verfahren", "summe_verwarn_bussgeld_eur"], rows


def rows_gewerbe(rng: random.Random) -> Table:
    sections = [
        ("F", "Baugewerbe", 9),
        ("G", "Handel; Instandhaltung und Reparatur von Kfz", 22),
        ("I", "Gastgewerbe", 8),
        ("J", "Information und Kommunikation", 7),
        ("M", "Freiberufliche, wissenschaftliche und technische Dienstleistungen", 12),
        ("N", "Sonstige wirtschaftliche Dienstleistungen", 11),
        ("S", "Sonstige Dienstleistungen", 6),
    ]
    rows = []
    for year in (2023, 2024):
        for quarter in range(1, 5):
            for code, name, base in sections:
                rows.append(
                    (year, quarter, code, name, int(base * rng.uniform(0.7, 1.4)), int(base * rng.uniform(0.5, 1.2)))
                )
    return ["jahr", "quartal", "wz_abschnitt", "wirtschaftszweig", "anmeldungen", "abmeldungen"], rows


def rows_parkhaeuser(rng: random.Random) -> Table:
    garages = [
        ("P1 Rathaus", 420),
        ("P2 Bahnhof", 610),
        ("P3 Markthalle", 280),
        ("P4 Stadtgarten", 350),
        ("P5 Klinikum", 500),
    ]
    rows = []
    for hour in range(24):
        timestamp = datetime(2025, 3, 14, hour).isoformat(timespec="minutes")
        load = 0.08 + 0.82 * max(0.0, 1 - abs(hour - 13) / 7)
        for garage, capacity in garages:
            occupied = min(capacity, int(capacity * load * rng.uniform(0.8, 1.15)))
            rows.append((timestamp, garage, capacity, occupied, capacity - occupied))
    return ["zeitstempel", "parkhaus", "stellplaetze", "belegt", "frei"], rows


def rows_baustellen(rng: random.Random) -> Table:
    streets = _streets(rng, 40)
    kinds = [
        "Fahrbahnerneuerung",
        "Leitungsbau Fernwärme",
        "Kanalsanierung",
        "Gehwegsanierung",
        "Breitbandausbau (Glasfaser)",
        "Brückenprüfung",
        "Umbau Bushaltestelle (barrierefrei)",
    ]
    effects = ["Vollsperrung", "halbseitige Sperrung mit Ampel", "Fahrstreifen eingeengt", "Gehweg gesperrt", "keine"]
    rows = []
    for number in range(40):
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 330))
        lat, lon = _point(rng, "Eichberg")
        rows.append(
            (
                f"EIB-BS-{2025}-{number + 1:03d}",
                streets[number],
                rng.choice(EICHBERG_DISTRICTS),
                rng.choice(kinds),
                start.isoformat(),
                (start + timedelta(days=rng.randint(3, 180))).isoformat(),
                rng.choice(effects),
                lat,
                lon,
            )
        )
    header = ["baustelle_id", "strasse", "stadtteil", "massnahme", "beginn", "ende", "verkehrsfuehrung", "lat", "lon"]
    return header, rows


def rows_radwege(rng: random.Random) -> Table:
    streets = _streets(rng, 60)
    kinds = ["Radfahrstreifen", "Schutzstreifen", "baulicher Radweg", "gemeinsamer Geh- und Radweg", "Fahrradstraße"]
    rows = []
    for number in range(80):
        rows.append(
            (
                f"EIB-RW-{number + 1:04d}",
                rng.choice(streets),
                rng.choice(kinds),
                rng.choice(["beide Seiten", "in Fahrtrichtung", "Zweirichtung"]),
                rng.randint(60, 1800),
                round(rng.choice([1.5, 1.85, 2.0, 2.3, 2.5, 3.0]), 2),
                rng.choice(["Asphalt", "Asphalt", "Pflaster", "wassergebundene Decke"]),
            )
        )
    return ["abschnitt_id", "strasse", "fuehrungsform", "richtung", "laenge_m", "breite_m", "oberflaeche"], rows


def rows_verkehrszaehlung(rng: random.Random) -> Table:
    sites = [
        ("Z01 Bahnhofstraße", 1.3),
        ("Z02 Talheimer Straße", 1.0),
        ("Z03 Weinsteige B 27", 1.8),
        ("Z04 Eichwaldring", 0.7),
        ("Z05 Marktplatz Süd", 0.5),
    ]
    rows = []
    for site, scale in sites:
        for hour in range(24):
            rush = 1.0 + (0.9 if hour in (7, 8, 16, 17) else 0.0)
            day = max(0.05, 1 - abs(hour - 13) / 11)
            cars = int(640 * scale * day * rush * rng.uniform(0.9, 1.1))
            rows.append((site, "2025-05-13", hour, cars, int(cars * rng.uniform(0.04, 0.09)), int(cars * 0.12 / scale)))
    return ["zaehlstelle", "datum", "stunde", "kfz", "davon_schwerverkehr", "radverkehr"], rows


def rows_pegel(rng: random.Random) -> Table:
    rows = []
    for gauge, base in (("Eichbach, Pegel Talheim", 64), ("Eichbach, Pegel Innenstadt", 82)):
        level = float(base)
        for hour in range(48):
            rain = 14 * max(0.0, 1 - abs(hour - 20) / 10)
            level = 0.7 * level + 0.3 * (base + rain) + rng.uniform(-1.2, 1.2)
            timestamp = (datetime(2025, 6, 2) + timedelta(hours=hour)).isoformat(timespec="minutes")
            rows.append((gauge, timestamp, round(level), round(0.02 * (level - base + 40) ** 1.4, 2)))
    return ["pegel", "zeitstempel", "wasserstand_cm", "abfluss_m3_s"], rows


def rows_strassenbeleuchtung(rng: random.Random) -> Table:
    rows = []
    for name in sorted(_streets(rng, 70)):
        lights = rng.randint(4, 60)
        led = int(lights * rng.uniform(0.3, 1.0))
        rows.append(
            (name, rng.choice(EICHBERG_DISTRICTS), lights, led, rng.choice(["ganznächtig", "Halbnachtschaltung"]))
        )
    return ["strasse", "stadtteil", "leuchten", "davon_led", "schaltung"], rows


LINES = ["1", "2", "3", "4", "5", "11", "N1"]


def rows_gtfs_stop_times(rng: random.Random) -> Table:
    stops = [f"de:08199:{100 + number}" for number in range(40)]
    rows = []
    for trip in range(10):
        line = rng.choice(LINES[:5])
        departure = datetime(2025, 1, 1, 5, 30) + timedelta(minutes=20 * trip)
        route = rng.sample(stops, 15)
        for sequence, stop in enumerate(route, start=1):
            rows.append(
                (
                    f"L{line}-{trip + 1:03d}",
                    line,
                    sequence,
                    stop,
                    departure.strftime("%H:%M:%S"),
                    (departure + timedelta(seconds=30)).strftime("%H:%M:%S"),
                )
            )
            departure += timedelta(minutes=rng.randint(1, 3))
    return ["fahrt_id", "linie", "halt_folge", "haltestelle_id", "ankunft", "abfahrt"], rows


def rows_haltestellen(rng: random.Random) -> Table:
    streets = _streets(rng, 40)
    rows = []
    for number in range(40):
        lat, lon = _point(rng, "Eichberg", spread=1.3)
        rows.append(
            (
                f"de:08199:{100 + number}",
                f"Eichberg, {streets[number].replace('straße', 'str.')}",
                rng.choice(EICHBERG_DISTRICTS),
                " ".join(sorted(rng.sample(LINES, rng.randint(1, 3)), key=lambda line: (len(line), line))),
                rng.choice(["ja", "ja", "nein", "teilweise"]),
                rng.choice(["ja", "nein"]),
                lat,
                lon,
            )
        )
    header = ["haltestelle_id", "name", "stadtteil", "linien", "barrierefrei", "dynamische_anzeige", "lat", "lon"]
    return header, rows


def rows_fahrgaeste(rng: random.Random) -> Table:
    base = {"1": 152_000, "2": 118_000, "3": 97_000, "4": 64_000, "5": 41_000, "11": 18_000, "N1": 3_600}
    rows = []
    for month in range(1, 13):
        season = 0.85 if month in (7, 8) else 1.08 if month in (10, 11) else 1.0
        for line in LINES:
            rows.append((2024, month, line, int(base[line] * season * rng.uniform(0.93, 1.07))))
    return ["jahr", "monat", "linie", "fahrgaeste"], rows


def rows_puenktlichkeit(rng: random.Random) -> Table:
    rows = []
    for month in range(1, 13):
        for line in LINES:
            trips = rng.randint(900, 3400) if line != "N1" else rng.randint(120, 160)
            rows.append((2024, month, line, trips, round(rng.uniform(84, 97), 1), rng.randint(0, 25)))
    return ["jahr", "monat", "linie", "fahrten", "puenktlich_prozent", "ausfaelle"], rows


# ---------------------------------------------------------------------------
# Distributions: a generated table (CSV, JSON or GeoJSON) or an external link.


@dataclass(frozen=True)
class Upload:
    title: str
    filename: str
    rows: Callable[[random.Random], Table]
    delimiter: str = ";"
    description: str = ""

    def content(self, seed: str) -> bytes:
        header, rows = self.rows(random.Random(seed))  # noqa: S311 – reproducible demo data, no secrets
        if self.filename.endswith(".csv"):
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(["." if value is None else value for value in row] for row in rows)
            return buffer.getvalue().encode("utf-8")
        records = [dict(zip(header, row, strict=True)) for row in rows]
        if self.filename.endswith(".geojson"):
            features = [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [record.pop("lon"), record.pop("lat")]},
                    "properties": record,
                }
                for record in records
            ]
            document = {"type": "FeatureCollection", "features": features}
        else:
            document = records
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    format: str
    kind: str = DistributionKind.SERVICE
    description: str = ""


def csv_and_json(title: str, stem: str, rows, delimiter=";") -> tuple[Upload, Upload]:
    return (
        Upload(f"{title} (CSV)", f"{stem}.csv", rows, delimiter),
        Upload(f"{title} (JSON)", f"{stem}.json", rows, description="Dieselben Daten als JSON-Liste von Objekten."),
    )


# ---------------------------------------------------------------------------
# Classifications


def classification(
    justification: str,
    *,
    personal=P.NONE,
    confidentiality=C.OEFFENTLICH,
    need=(NORMAL, NORMAL, NORMAL),
    spatial=S.POINT,
    temporal=T.YEAR,
    legal_bases=(),
    special=(),
    **flags,
) -> dict:
    """Field values for services.classify_dataset; `need` is (confidentiality,
    integrity, availability) after BSI 200-2."""
    return {
        "personal_data": personal,
        "special_categories": list(special),
        "confidentiality": confidentiality,
        "protection_confidentiality": need[0],
        "protection_integrity": need[1],
        "protection_availability": need[2],
        "spatial_granularity": spatial,
        "temporal_granularity": temporal,
        "legal_bases": list(legal_bases),
        "justification": justification,
        **flags,
    }


def facts(justification: str, **overrides) -> dict:
    """The common case: public facts without any personal reference."""
    return classification(justification, **overrides)


def statistics(justification: str, **overrides) -> dict:
    """Aggregates from personal data after a statistical disclosure check."""
    fields = {"personal": P.AGGREGATED, "spatial": S.DISTRICT, "legal_bases": ["GDPR_6_1_e"]}
    return classification(justification, **{**fields, **overrides})


# ---------------------------------------------------------------------------
# The datasets


@dataclass(frozen=True)
class DemoDataset:
    name: str
    publisher: str
    title: str
    description: str
    keywords: tuple[str, ...]
    themes: tuple[str, ...]
    frequency: str
    temporal: tuple[date | None, date | None]
    classifications: tuple[dict, ...]
    distributions: tuple[Upload | Link, ...] = ()
    licence: str = "dl-by-de/2.0"
    hvd: str = ""
    resolution_m: int | None = None
    landing_page: str = ""


D = DemoDataset
OPEN_FACTS = "Sachdaten der Verwaltung ohne Personenbezug; Veröffentlichung nach Open-Data-Satzung vorgesehen."

DATASETS: list[DemoDataset] = [
    # --- Stadt Lindenau (Kernverwaltung) ---
    D(
        name="haushaltsplan-lindenau",
        publisher=LIN,
        title="Haushaltsplan der Stadt Lindenau 2025/2026",
        description=(
            "Erträge und Aufwendungen des doppischen Doppelhaushalts 2025/2026 nach Produktbereichen und "
            "Kontengruppen, mit dem Rechnungsergebnis 2024 zum Vergleich. Beträge in Euro. Die Daten entsprechen "
            "dem vom Stadtrat beschlossenen Haushaltsplan."
        ),
        keywords=("Haushalt", "Finanzen", "Doppik", "Produktbereiche"),
        themes=("ECON", "GOVE"),
        frequency=Frequency.BIENNIAL,
        temporal=(date(2024, 1, 1), date(2026, 12, 31)),
        classifications=(facts(OPEN_FACTS, spatial=S.MUNICIPALITY),),
        distributions=csv_and_json(
            "Haushaltsplan 2025/2026", "haushaltsplan-lindenau-2025-2026", rows_haushalt_lindenau
        ),
        licence="dl-zero-de/2.0",
    ),
    D(
        name="ratsinformationen-lindenau",
        publisher=LIN,
        title="Sitzungen des Stadtrats und der Ausschüsse Lindenau",
        description=(
            "Termine, Gremien und Zahl der Tagesordnungspunkte aller Sitzungen des Stadtrats, seiner Ausschüsse "
            "und der Ortsteilräte. Vorlagen und Niederschriften stehen über die OParl-Schnittstelle des "
            "Ratsinformationssystems bereit. Anlagen Dritter (Gutachten, Pläne) unterliegen deren Urheberrecht."
        ),
        keywords=("Stadtrat", "Ratsinformationssystem", "OParl", "Sitzungen"),
        themes=("GOVE",),
        frequency=Frequency.WEEKLY,
        temporal=(date(2025, 1, 1), None),
        classifications=(
            facts(
                "Termine und Beschlüsse sind öffentlich; Anlagen externer Gutachter unterliegen deren Urheberrecht.",
                spatial=S.NONE,
                temporal=T.EVENT,
                third_party_rights=True,
            ),
        ),
        distributions=(
            Upload("Sitzungskalender 2025 (CSV)", "sitzungen-lindenau-2025.csv", rows_ratssitzungen),
            Link(
                "OParl-Schnittstelle des Ratsinformationssystems",
                "https://ratsinfo.lindenau.example/oparl/v1/system",
                "JSON",
                kind=DistributionKind.API,
                description="OParl 1.1: Gremien, Sitzungen, Vorlagen und Dokumente.",
            ),
        ),
        landing_page="https://ratsinfo.lindenau.example/",
    ),
    D(
        name="personalstatistik-lindenau",
        publisher=LIN,
        title="Personalstatistik der Stadtverwaltung Lindenau",
        description=(
            "Beschäftigte, Vollzeitäquivalente, Frauenanteil, Teilzeitquote und Durchschnittsalter je "
            "Organisationseinheit, jährlich zum 30. Juni. Grundlage für Personalplanung und Gleichstellungsplan; "
            "nur für den Dienstgebrauch."
        ),
        keywords=("Personal", "Stellenplan", "Gleichstellung"),
        themes=("GOVE",),
        frequency=Frequency.ANNUAL,
        temporal=(date(2021, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Aus Personaldaten aggregiert; in kleinen Einheiten sind Rückschlüsse auf einzelne Beschäftigte "
                "möglich, daher nur intern.",
                confidentiality=C.INTERN,
                spatial=S.NONE,
                legal_bases=["GDPR_6_1_c", "GDPR_6_1_e"],
            ),
        ),
        distributions=(Upload("Personalstatistik 2021–2024", "personalstatistik-lindenau.csv", rows_personal),),
        licence="other-closed",
    ),
    D(
        name="wahlergebnisse-stadtrat-lindenau-2024",
        publisher=LIN,
        title="Stadtratswahl Lindenau 2024 – Ergebnisse nach Wahlbezirken",
        description=(
            "Wahlberechtigte, Wählende, ungültige und gültige Stimmen sowie die Stimmen je Wahlvorschlag in allen "
            "Urnen- und Briefwahlbezirken der Stadtratswahl 2024. Endgültiges Ergebnis nach Feststellung durch "
            "den Wahlausschuss."
        ),
        keywords=("Wahlen", "Kommunalwahl", "Stadtrat", "Wahlbezirke"),
        themes=("GOVE", "SOCI"),
        frequency=Frequency.NEVER,
        temporal=(date(2024, 5, 26), date(2024, 5, 26)),
        classifications=(
            statistics(
                "Stimmen je Wahlbezirk sind aggregiert; Wahlbezirke haben mindestens 1.000 Wahlberechtigte, "
                "das Wahlgeheimnis bleibt gewahrt.",
                temporal=T.EVENT,
                legal_bases=["GDPR_6_1_c"],
            ),
        ),
        distributions=(Upload("Endgültiges Ergebnis nach Wahlbezirken", "stadtratswahl-lindenau-2024.csv", rows_wahl),),
        licence="dl-zero-de/2.0",
    ),
    D(
        name="kita-standorte-lindenau",
        publisher=LIN,
        title="Kindertageseinrichtungen in Lindenau",
        description=(
            "Alle Kindertageseinrichtungen mit Träger, Adresse, genehmigten Plätzen für Krippe und Kindergarten "
            "sowie Öffnungszeiten. Die Liste wird vom Fachdienst Jugend bei jeder Betriebserlaubnis aktualisiert."
        ),
        keywords=("Kita", "Kinderbetreuung", "Familie"),
        themes=("EDUC", "SOCI"),
        frequency=Frequency.QUARTERLY,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts("Einrichtungsdaten ohne Bezug zu Kindern oder Beschäftigten."),),
        distributions=csv_and_json("Kita-Verzeichnis", "kitas-lindenau", rows_kitas),
    ),
    # --- Lindenau – Amt für Stadtplanung ---
    D(
        name="bebauungsplaene-lindenau",
        publisher=LIN_PLAN,
        title="Bebauungspläne der Stadt Lindenau",
        description=(
            "Geltungsbereiche und Verfahrensstand aller Bebauungspläne, als Kartendienst (WMS) und als Liste. "
            "Rechtsverbindlich ist allein die ausgefertigte Planurkunde. Die Kartengrundlage stammt aus dem "
            "Liegenschaftskataster des Landes."
        ),
        keywords=("Bebauungsplan", "Bauleitplanung", "Stadtplanung", "XPlanung"),
        themes=("REGI", "GOVE"),
        frequency=Frequency.MONTHLY,
        temporal=(date(1992, 1, 1), None),
        classifications=(
            facts(
                "Öffentliche Planunterlagen; die ALKIS-Kartengrundlage unterliegt den Nutzungsbedingungen des "
                "Landesamts (Rechte Dritter).",
                need=(NORMAL, HOCH, NORMAL),
                temporal=T.EVENT,
                third_party_rights=True,
            ),
        ),
        distributions=(
            Link(
                "WMS Bebauungspläne",
                "https://geodienste.lindenau.example/wms/bebauungsplaene?SERVICE=WMS&REQUEST=GetCapabilities",
                "WMS_SRVC",
            ),
            Upload("Planverzeichnis (CSV)", "bebauungsplaene-lindenau.csv", rows_bebauungsplaene),
        ),
        resolution_m=1,
    ),
    D(
        name="bodenrichtwerte-lindenau",
        publisher=LIN_PLAN,
        title="Bodenrichtwerte Lindenau zum Stichtag 1.1.2024",
        description=(
            "Bodenrichtwerte des Gutachterausschusses für baureifes Land nach Richtwertzonen und Nutzungsart in "
            "Euro je Quadratmeter. Die Geschäftsstelle des Gutachterausschusses ist beim Amt für Stadtplanung "
            "angesiedelt."
        ),
        keywords=("Bodenrichtwerte", "Grundstücksmarkt", "Gutachterausschuss"),
        themes=("ECON", "REGI"),
        frequency=Frequency.BIENNIAL,
        temporal=(date(2024, 1, 1), date(2025, 12, 31)),
        classifications=(
            facts(
                "Zonenwerte ohne Bezug zu einzelnen Kaufverträgen; Rechte des Gutachterausschusses beachten.",
                spatial=S.BLOCK,
                need=(NORMAL, HOCH, NORMAL),
                third_party_rights=True,
            ),
        ),
        distributions=(Upload("Bodenrichtwerte 2024", "bodenrichtwerte-lindenau-2024.csv", rows_bodenrichtwerte),),
    ),
    D(
        name="strassenverzeichnis-lindenau",
        publisher=LIN_PLAN,
        title="Straßenverzeichnis Lindenau",
        description=(
            "Amtliches Verzeichnis aller gewidmeten Straßen, Wege und Plätze mit Straßenschlüssel, Stadtteil, "
            "Postleitzahl und Länge. Grundlage für Adressen, Hausnummernvergabe und Navigationsdienste."
        ),
        keywords=("Straßen", "Adressen", "Straßenschlüssel"),
        themes=("REGI", "TRAN"),
        frequency=Frequency.MONTHLY,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts(OPEN_FACTS, temporal=T.NONE),),
        distributions=(Upload("Straßenverzeichnis", "strassenverzeichnis-lindenau.csv", rows_strassenverzeichnis),),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.GEOSPATIAL,
    ),
    D(
        name="spielplaetze-lindenau",
        publisher=LIN_PLAN,
        title="Öffentliche Spielplätze in Lindenau",
        description=(
            "Lage, Größe, Altersgruppe und Ausstattung aller öffentlichen Spielplätze. Die Daten stammen aus der "
            "Spielplatzkontrolle nach DIN EN 1176 und werden nach jeder Hauptinspektion aktualisiert."
        ),
        keywords=("Spielplätze", "Freizeit", "Kinder"),
        themes=("SOCI", "REGI"),
        frequency=Frequency.ANNUAL,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts(OPEN_FACTS),),
        distributions=(
            Upload("Spielplätze (CSV)", "spielplaetze-lindenau.csv", rows_spielplaetze, ","),
            Upload("Spielplätze (GeoJSON)", "spielplaetze-lindenau.geojson", rows_spielplaetze),
        ),
        licence="cc-by/4.0",
    ),
    # --- Lindenau – Bürgeramt ---
    D(
        name="einwohnerzahlen-lindenau",
        publisher=LIN_BUERGER,
        title="Einwohnerzahlen Lindenau seit 1995",
        description=(
            "Einwohnerinnen und Einwohner mit Hauptwohnsitz zum Jahresende nach Geschlecht und "
            "Staatsangehörigkeit (deutsch/nichtdeutsch), ausgezählt aus dem Melderegister. Abweichungen zur "
            "amtlichen Bevölkerungsfortschreibung des Landesamts für Statistik sind methodisch bedingt."
        ),
        keywords=("Einwohner", "Bevölkerung", "Melderegister", "Zeitreihe"),
        themes=("SOCI",),
        frequency=Frequency.ANNUAL,
        temporal=(date(1995, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Gesamtzahlen der Stadt, keine Einzelangaben.",
                spatial=S.MUNICIPALITY,
                statistical_confidentiality=True,
            ),
        ),
        distributions=(Upload("Zeitreihe 1995–2024", "einwohner-lindenau-1995-2024.csv", rows_einwohner_lindenau),),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.STATISTICS,
    ),
    D(
        name="meldedaten-statistik-stadtteile-lindenau",
        publisher=LIN_BUERGER,
        title="Einwohner nach Stadtteil, Altersgruppe und Geschlecht",
        description=(
            "Auszählung des Melderegisters zum 31.12. nach Stadtteilen, sieben Altersgruppen und Geschlecht. "
            "Fallzahlen unter 3 sind aus Gründen der Geheimhaltung durch einen Punkt ersetzt."
        ),
        keywords=("Einwohner", "Stadtteile", "Altersstruktur", "Melderegister"),
        themes=("SOCI", "REGI"),
        frequency=Frequency.ANNUAL,
        temporal=(date(2023, 12, 31), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Aggregiert nach Stadtteil und Altersgruppe; kleine Fallzahlen (unter 3) geheim gehalten.",
                statistical_confidentiality=True,
            ),
        ),
        distributions=csv_and_json("Einwohner nach Stadtteil", "einwohner-stadtteile-lindenau", rows_meldedaten),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.STATISTICS,
    ),
    D(
        name="geburten-sterbefaelle-lindenau",
        publisher=LIN_BUERGER,
        title="Geburten und Sterbefälle in Lindenau nach Monat",
        description=(
            "Lebendgeborene und Gestorbene mit Hauptwohnsitz in Lindenau je Monat sowie der natürliche Saldo. "
            "Quelle sind die Mitteilungen des Standesamts an das Melderegister."
        ),
        keywords=("Geburten", "Sterbefälle", "Bevölkerungsbewegung"),
        themes=("SOCI", "HEAL"),
        frequency=Frequency.MONTHLY,
        temporal=(date(2020, 1, 1), date(2024, 12, 31)),
        classifications=(statistics("Monatssummen für die ganze Stadt.", spatial=S.MUNICIPALITY, temporal=T.MONTH),),
        distributions=(Upload("Monatswerte 2020–2024", "geburten-sterbefaelle-lindenau.csv", rows_geburten, ","),),
        hvd=HVDCategory.STATISTICS,
    ),
    D(
        name="einbuergerungen-lindenau",
        publisher=LIN_BUERGER,
        title="Einbürgerungen in Lindenau nach bisheriger Staatsangehörigkeit",
        description=(
            "Zahl der Einbürgerungen je Jahr nach Kontinent der bisherigen Staatsangehörigkeit und Geschlecht. "
            "Felder mit weniger als drei Fällen sind durch einen Punkt ersetzt."
        ),
        keywords=("Einbürgerung", "Staatsangehörigkeit", "Migration"),
        themes=("SOCI", "JUST"),
        frequency=Frequency.ANNUAL,
        temporal=(date(2019, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Vorläufig intern: Einzelstaaten mit sehr kleinen Fallzahlen könnten Rückschlüsse erlauben.",
                confidentiality=C.INTERN,
                spatial=S.MUNICIPALITY,
                statistical_confidentiality=True,
            ),
            statistics(
                "Nach Geheimhaltungsprüfung: Vergröberung auf Kontinente, Fallzahlen unter 3 unterdrückt – "
                "zur Veröffentlichung geeignet.",
                spatial=S.MUNICIPALITY,
                statistical_confidentiality=True,
            ),
        ),
        distributions=(Upload("Einbürgerungen 2019–2024", "einbuergerungen-lindenau.csv", rows_einbuergerungen),),
    ),
    D(
        name="wohngeldbescheide-lindenau",
        publisher=LIN_BUERGER,
        title="Wohngeldbescheide (Fachverfahren)",
        description=(
            "Bestand der Wohngeldanträge und -bescheide im Fachverfahren der Wohngeldstelle mit Angaben zu "
            "Haushalt, Einkommen und Miete. Nur zur Aufgabenerfüllung der Wohngeldstelle und zur Meldung an die "
            "Wohngeldstatistik des Landes; keine Veröffentlichung."
        ),
        keywords=("Wohngeld", "Sozialleistungen", "Fachverfahren"),
        themes=("SOCI",),
        frequency=Frequency.UPDATE_CONT,
        temporal=(date(2016, 1, 1), None),
        classifications=(
            classification(
                "Personenbezogene Antragsdaten einkommensschwacher Haushalte, Sozialgeheimnis (§ 35 SGB I).",
                personal=P.PERSONAL,
                confidentiality=C.VERTRAULICH,
                need=(HOCH, HOCH, NORMAL),
                temporal=T.EVENT,
                legal_bases=["GDPR_6_1_c", "GDPR_6_1_e"],
                vulnerable_subjects=True,
            ),
        ),
        licence="other-closed",
    ),
    # --- Lindenau – Umweltamt ---
    D(
        name="baumkataster-lindenau",
        publisher=LIN_UMWELT,
        title="Baumkataster Lindenau",
        description=(
            "Alle Straßen- und Parkbäume in städtischer Pflege mit Art, Pflanzjahr, Höhe, Kronendurchmesser, "
            "Stammumfang und Standort. Die Daten stammen aus der regelmäßigen Baumkontrolle und werden laufend "
            "fortgeschrieben."
        ),
        keywords=("Bäume", "Stadtgrün", "Baumkontrolle", "Klimaanpassung"),
        themes=("ENVI",),
        frequency=Frequency.QUARTERLY,
        temporal=(date(2010, 1, 1), None),
        classifications=(facts(OPEN_FACTS),),
        distributions=(
            Upload("Baumkataster (CSV)", "baumkataster-lindenau.csv", rows_baumkataster, ","),
            Upload("Baumkataster (GeoJSON)", "baumkataster-lindenau.geojson", rows_baumkataster),
        ),
        resolution_m=1,
    ),
    D(
        name="luftqualitaet-lindenau",
        publisher=LIN_UMWELT,
        title="Luftqualität: Tagesmittelwerte der Messstationen Lindenau",
        description=(
            "Tagesmittelwerte für Stickstoffdioxid, Feinstaub (PM10, PM2,5) und Ozon an der verkehrsnahen Station "
            "Altstadt und der Hintergrundstation Wiesengrund in µg/m³. Vorläufige, nicht validierte Werte; die "
            "validierten Daten veröffentlicht das Landesamt für Umwelt."
        ),
        keywords=("Luftqualität", "Stickstoffdioxid", "Feinstaub", "Ozon", "Messstation"),
        themes=("ENVI", "HEAL"),
        frequency=Frequency.DAILY,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts(OPEN_FACTS, temporal=T.DAY, need=(NORMAL, HOCH, NORMAL)),),
        distributions=csv_and_json(
            "Tagesmittelwerte Januar–Februar 2025", "luftqualitaet-lindenau-2025", rows_luftqualitaet
        ),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.EARTH_OBSERVATION,
    ),
    D(
        name="laermkartierung-lindenau",
        publisher=LIN_UMWELT,
        title="Lärmkartierung 2022 (Umgebungslärmrichtlinie)",
        description=(
            "Strategische Lärmkarten für Hauptverkehrsstraßen und Haupteisenbahnstrecken nach der "
            "EU-Umgebungslärmrichtlinie, als Kartendienst, dazu die Zahl der belasteten Menschen, Wohnungen, "
            "Schulen und Krankenhäuser je Pegelklasse. Die Karten sind Grundlage des Lärmaktionsplans; die "
            "nächste Kartierung folgt 2027."
        ),
        keywords=("Lärm", "Lärmkarte", "Umgebungslärm", "Lärmaktionsplan"),
        themes=("ENVI", "HEAL"),
        frequency=Frequency.OTHER,
        temporal=(date(2022, 1, 1), date(2022, 12, 31)),
        classifications=(
            facts("Modellierte Pegel und hochgerechnete Betroffenenzahlen ohne Personenbezug.", spatial=S.BLOCK),
        ),
        distributions=(
            Link(
                "WMS Lärmkarten 2022",
                "https://geodienste.lindenau.example/wms/laerm2022?SERVICE=WMS&REQUEST=GetCapabilities",
                "WMS_SRVC",
            ),
            Upload("Belastetenstatistik", "laermbetroffene-lindenau-2022.csv", rows_laermkartierung),
        ),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.EARTH_OBSERVATION,
        resolution_m=10,
    ),
    D(
        name="abfallkalender-lindenau",
        publisher=LIN_UMWELT,
        title="Abfallkalender Lindenau 1. Quartal 2026",
        description=(
            "Abholtermine für Restabfall, Bioabfall, Gelbe Tonne und Papier in den vier Abfuhrbezirken. Die "
            "Zuordnung der Straßen zu den Bezirken steht in der Abfallsatzung."
        ),
        keywords=("Abfall", "Müllabfuhr", "Termine"),
        themes=("ENVI", "GOVE"),
        frequency=Frequency.QUARTERLY,
        temporal=(date(2026, 1, 1), date(2026, 3, 31)),
        classifications=(facts(OPEN_FACTS, spatial=S.DISTRICT, temporal=T.DAY),),
        distributions=(Upload("Abholtermine Q1/2026", "abfallkalender-lindenau-2026-q1.csv", rows_abfallkalender),),
        licence="dl-zero-de/2.0",
    ),
    D(
        name="friedhoefe-lindenau",
        publisher=LIN_UMWELT,
        title="Städtische Friedhöfe: Grabfelder und freie Grabstellen",
        description=(
            "Grabfelder der vier städtischen Friedhöfe mit Grabart, Zahl der Grabstellen, belegten und freien "
            "Stellen. Angaben zu Verstorbenen oder Nutzungsberechtigten sind nicht enthalten."
        ),
        keywords=("Friedhof", "Bestattung", "Grabstellen"),
        themes=("SOCI", "REGI"),
        frequency=Frequency.ANNUAL,
        temporal=(date(2025, 1, 1), None),
        classifications=(
            facts("Zahlen je Grabfeld, keine Angaben zu Verstorbenen oder Nutzungsberechtigten.", spatial=S.BLOCK),
        ),
        distributions=(Upload("Grabfelder", "friedhoefe-lindenau.csv", rows_friedhoefe),),
    ),
    # --- Kommunale Stadtwerke Lindenau (Eigenbetrieb) ---
    D(
        name="trinkwasserqualitaet-lindenau",
        publisher=LIN_SW,
        title="Trinkwasserqualität in den Versorgungszonen",
        description=(
            "Ergebnisse der Trinkwasseruntersuchungen nach Trinkwasserverordnung je Versorgungszone und "
            "Probenahme: Nitrat, Härte, pH-Wert, Schwermetalle und mikrobiologische Parameter mit den "
            "Grenzwerten. Die Stadtwerke informieren damit nach § 45 TrinkwV."
        ),
        keywords=("Trinkwasser", "Wasserqualität", "Wasserhärte", "TrinkwV"),
        themes=("ENVI", "HEAL"),
        frequency=Frequency.QUARTERLY,
        temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        classifications=(facts(OPEN_FACTS, spatial=S.DISTRICT, temporal=T.DAY, need=(NORMAL, HOCH, NORMAL)),),
        distributions=(Upload("Untersuchungsergebnisse 2025", "trinkwasser-lindenau-2025.csv", rows_trinkwasser),),
    ),
    D(
        name="netzlast-stromnetz-lindenau",
        publisher=LIN_SW,
        title="Netzlast und Einspeisung je Umspannwerk",
        description=(
            "Stündliche Last und PV-Einspeisung an den Umspannwerken des Stromverteilnetzes. Grundlage für "
            "Netzplanung und Engpassmanagement. Enthält Angaben über Netztopologie und Auslastung, die Wettbewerb "
            "und Versorgungssicherheit berühren."
        ),
        keywords=("Stromnetz", "Netzlast", "Umspannwerk", "Photovoltaik"),
        themes=("ENER",),
        frequency=Frequency.HOURLY,
        temporal=(date(2025, 1, 1), None),
        classifications=(
            facts(
                "Auslastung einzelner Umspannwerke ist Betriebs- und Geschäftsgeheimnis; vorerst intern.",
                confidentiality=C.INTERN,
                need=(HOCH, HOCH, HOCH),
                temporal=T.EVENT,
                trade_secrets=True,
            ),
            facts(
                "Nach Prüfung durch den ISB: Umspannwerke sind Anlagen kritischer Infrastruktur; Lastdaten "
                "erlauben Rückschlüsse auf verwundbare Netzknoten. Daher vertraulich.",
                confidentiality=C.VERTRAULICH,
                need=(HOCH, HOCH, SEHR_HOCH),
                temporal=T.EVENT,
                trade_secrets=True,
                critical_infrastructure=True,
            ),
        ),
        distributions=(Upload("Stundenwerte 15. Januar 2025", "netzlast-lindenau-2025-01-15.csv", rows_netzlast),),
        licence="other-closed",
    ),
    D(
        name="kundendaten-stadtwerke-lindenau",
        publisher=LIN_SW,
        title="Kundendaten der Stadtwerke (Abrechnung)",
        description=(
            "Vertrags-, Zähler- und Abrechnungsdaten aller Strom-, Gas- und Wasserkundinnen und -kunden im "
            "Abrechnungssystem, einschließlich Bankverbindungen und Zahlungsverhalten. Ausschließlich für "
            "Vertragserfüllung und Abrechnung."
        ),
        keywords=("Kundendaten", "Abrechnung", "Energieversorgung"),
        themes=("ENER", "ECON"),
        frequency=Frequency.UPDATE_CONT,
        temporal=(date(2008, 1, 1), None),
        classifications=(
            classification(
                "Personenbezogene Vertrags- und Bankdaten aller Haushalte; Missbrauch hätte erhebliche "
                "finanzielle und rufschädigende Folgen.",
                personal=P.PERSONAL,
                confidentiality=C.STRENG_VERTRAULICH,
                need=(SEHR_HOCH, HOCH, HOCH),
                temporal=T.EVENT,
                legal_bases=["GDPR_6_1_b", "GDPR_6_1_c"],
                trade_secrets=True,
            ),
        ),
        licence="other-closed",
    ),
    D(
        name="kanalnetz-lindenau",
        publisher=LIN_SW,
        title="Kanalnetz der Stadtentwässerung (Bestandsplan)",
        description=(
            "Haltungen, Schächte, Pumpwerke und Regenüberlaufbecken des öffentlichen Kanalnetzes mit Lage, "
            "Dimension, Material und Zustandsklasse. Als Kartendienst nur im Behördennetz erreichbar."
        ),
        keywords=("Kanalnetz", "Abwasser", "Stadtentwässerung", "KRITIS"),
        themes=("ENVI", "REGI"),
        frequency=Frequency.MONTHLY,
        temporal=(date(2000, 1, 1), None),
        classifications=(
            facts(
                "Lage von Pumpwerken und Hauptsammlern ist sicherheitsrelevant (KRITIS Sektor Wasser); als "
                "VS – Nur für den Dienstgebrauch eingestuft.",
                confidentiality=C.VERTRAULICH,
                need=(HOCH, HOCH, HOCH),
                temporal=T.NONE,
                vs_nfd=True,
                critical_infrastructure=True,
            ),
        ),
        distributions=(
            Link(
                "WMS Kanalbestand (Behördennetz)",
                "https://gis.intern.stadtwerke-lindenau.example/wms/kanal?SERVICE=WMS&REQUEST=GetCapabilities",
                "WMS_SRVC",
                description="Nur aus dem Verwaltungsnetz erreichbar.",
            ),
        ),
        licence="other-closed",
        resolution_m=1,
    ),
    D(
        name="ladesaeulen-lindenau",
        publisher=LIN_SW,
        title="Öffentliche Ladesäulen für Elektrofahrzeuge",
        description=(
            "Standorte der öffentlich zugänglichen Ladestationen der Stadtwerke mit Zahl der Ladepunkte, "
            "Ladeleistung, Steckertyp und Datum der Inbetriebnahme. Belegungsdaten in Echtzeit sind nicht "
            "enthalten."
        ),
        keywords=("Elektromobilität", "Ladesäulen", "Ladeinfrastruktur"),
        themes=("TRAN", "ENER"),
        frequency=Frequency.MONTHLY,
        temporal=(date(2018, 1, 1), None),
        classifications=(facts(OPEN_FACTS),),
        distributions=csv_and_json("Ladestationen", "ladesaeulen-lindenau", rows_ladesaeulen, ","),
        licence="cc-by/4.0",
    ),
    D(
        name="smart-meter-lastgaenge-lindenau",
        publisher=LIN_SW,
        title="Lastgänge intelligenter Messsysteme (Pilotgebiet Mühlberg)",
        description=(
            "Viertelstündliche Verbrauchswerte der rund 400 intelligenten Messsysteme im Pilotgebiet Mühlberg. "
            "Die Lastgänge dienen der Netzplanung; Zählpunktbezeichnungen werden vor der Auswertung durch "
            "Pseudonyme ersetzt, die Zuordnungstabelle liegt allein bei der Abrechnung."
        ),
        keywords=("Smart Meter", "Lastgang", "Netzplanung", "Pilotprojekt"),
        themes=("ENER", "TECH"),
        frequency=Frequency.DAILY,
        temporal=(date(2024, 4, 1), None),
        classifications=(
            classification(
                "Lastgänge einzelner Haushalte erlauben Rückschlüsse auf Lebensgewohnheiten; personenbezogen.",
                personal=P.PERSONAL,
                confidentiality=C.VERTRAULICH,
                need=(HOCH, HOCH, NORMAL),
                temporal=T.EVENT,
                legal_bases=["GDPR_6_1_c"],
            ),
            classification(
                "Zählpunkte durch Pseudonyme ersetzt, Zuordnungstabelle getrennt bei der Abrechnung; bleibt "
                "personenbezogen (Art. 4 Nr. 5 DSGVO), daher weiterhin vertraulich.",
                personal=P.PSEUDONYMISED,
                confidentiality=C.VERTRAULICH,
                need=(HOCH, HOCH, NORMAL),
                temporal=T.EVENT,
                legal_bases=["GDPR_6_1_c", "GDPR_6_1_e"],
            ),
        ),
        licence="other-closed",
    ),
    # --- Stadt Eichberg (Kernverwaltung) ---
    D(
        name="haushaltsplan-eichberg",
        publisher=EIB,
        title="Haushaltsplan der Stadt Eichberg 2025/2026",
        description=(
            "Ergebnishaushalt nach Produktbereichen und Kontengruppen mit Planansätzen 2025 und 2026 und dem "
            "Rechnungsergebnis 2024. Beträge in Euro, Gliederung nach dem kommunalen Produktplan "
            "Baden-Württemberg."
        ),
        keywords=("Haushalt", "Finanzen", "Doppik", "NKHR"),
        themes=("ECON", "GOVE"),
        frequency=Frequency.BIENNIAL,
        temporal=(date(2024, 1, 1), date(2026, 12, 31)),
        classifications=(facts(OPEN_FACTS, spatial=S.MUNICIPALITY),),
        distributions=(
            Upload("Ergebnishaushalt 2025/2026", "haushaltsplan-eichberg-2025-2026.csv", rows_haushalt_eichberg),
        ),
        licence="dl-zero-de/2.0",
    ),
    D(
        name="ratsinformationen-eichberg",
        publisher=EIB,
        title="Ratsinformationssystem Eichberg (OParl)",
        description=(
            "Gremien, Sitzungen, Tagesordnungen, Vorlagen und Beschlüsse des Gemeinderats Eichberg und seiner "
            "Ausschüsse über die standardisierte OParl-Schnittstelle. Niederschriften nichtöffentlicher Sitzungen "
            "sind nicht enthalten."
        ),
        keywords=("Gemeinderat", "Ratsinformationssystem", "OParl", "Beschlüsse"),
        themes=("GOVE",),
        frequency=Frequency.UPDATE_CONT,
        temporal=(date(2019, 7, 1), None),
        classifications=(
            facts(
                "Öffentliche Sitzungsunterlagen; Anlagen Dritter (Gutachten, Pläne) sind urheberrechtlich geschützt.",
                spatial=S.NONE,
                temporal=T.EVENT,
                third_party_rights=True,
            ),
        ),
        distributions=(
            Link(
                "OParl-Schnittstelle",
                "https://ratsinfo.eichberg.example/oparl/v1/system",
                "JSON",
                kind=DistributionKind.API,
                description="OParl 1.1, seitenweise abrufbar.",
            ),
        ),
        landing_page="https://ratsinfo.eichberg.example/",
    ),
    D(
        name="stromverbrauch-oeffentliche-gebaeude-eichberg",
        publisher=EIB,
        title="Strom- und Wärmeverbrauch städtischer Gebäude",
        description=(
            "Jahresverbrauch an Strom und Wärme der städtischen Liegenschaften mit Nutzung, Baujahr, "
            "Nettogrundfläche und Kennwert je Quadratmeter. Teil des kommunalen Energieberichts nach dem "
            "Klimaschutzgesetz Baden-Württemberg."
        ),
        keywords=("Energie", "Energiebericht", "Liegenschaften", "Klimaschutz"),
        themes=("ENER", "GOVE"),
        frequency=Frequency.ANNUAL,
        temporal=(date(2023, 1, 1), date(2024, 12, 31)),
        classifications=(facts(OPEN_FACTS),),
        distributions=csv_and_json(
            "Energieverbrauch 2023–2024", "energieverbrauch-gebaeude-eichberg", rows_stromverbrauch
        ),
    ),
    D(
        name="vereinsfoerderung-eichberg",
        publisher=EIB,
        title="Zuschüsse an Vereine",
        description=(
            "Von der Stadt Eichberg gewährte Zuschüsse an Vereine und Initiativen nach Förderbereich und "
            "Förderart. Veröffentlicht nach den Vereinsförderrichtlinien; Zahlungen an Privatpersonen sind nicht "
            "enthalten."
        ),
        keywords=("Vereinsförderung", "Zuschüsse", "Ehrenamt", "Transparenz"),
        themes=("GOVE", "SOCI"),
        frequency=Frequency.ANNUAL,
        temporal=(date(2023, 1, 1), date(2024, 12, 31)),
        classifications=(
            facts("Zuwendungen an juristische Personen und Vereine, keine natürlichen Personen.", spatial=S.NONE),
        ),
        distributions=(Upload("Zuschüsse 2023–2024", "vereinsfoerderung-eichberg.csv", rows_vereinsfoerderung),),
    ),
    # --- Eichberg – Amt für Digitalisierung und Statistik ---
    D(
        name="einwohnerzahlen-eichberg",
        publisher=EIB_DIGI,
        title="Einwohnerzahlen Eichberg seit 1995",
        description=(
            "Einwohnerinnen und Einwohner mit Hauptwohnsitz zum 31.12. nach Geschlecht und Staatsangehörigkeit "
            "aus dem Melderegister, aufbereitet von der Kommunalstatistik."
        ),
        keywords=("Einwohner", "Bevölkerung", "Zeitreihe", "Kommunalstatistik"),
        themes=("SOCI",),
        frequency=Frequency.ANNUAL,
        temporal=(date(1995, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Gesamtzahlen der Stadt aus der abgeschotteten Statistikstelle.",
                spatial=S.MUNICIPALITY,
                statistical_confidentiality=True,
            ),
        ),
        distributions=csv_and_json("Zeitreihe 1995–2024", "einwohner-eichberg-1995-2024", rows_einwohner_eichberg, ","),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.STATISTICS,
    ),
    D(
        name="schuelerzahlen-eichberg",
        publisher=EIB_DIGI,
        title="Schülerinnen und Schüler je Schule und Klassenstufe",
        description=(
            "Zahl der Klassen, Schülerinnen und Schüler an den öffentlichen Schulen in Trägerschaft der Stadt "
            "Eichberg nach Klassenstufe, Stichtag der amtlichen Schulstatistik im Oktober. Der Mädchenanteil ist "
            "bei weniger als fünf Fällen geheim gehalten."
        ),
        keywords=("Schulen", "Schülerzahlen", "Schulentwicklungsplanung"),
        themes=("EDUC",),
        frequency=Frequency.ANNUAL,
        temporal=(date(2024, 10, 16), date(2024, 10, 16)),
        classifications=(
            statistics(
                "Zahlen je Schule und Klassenstufe; kleine Werte im SBBZ geheim gehalten.",
                spatial=S.POINT,
                statistical_confidentiality=True,
            ),
        ),
        distributions=(Upload("Schuljahr 2024/25", "schuelerzahlen-eichberg-2024-25.csv", rows_schueler),),
    ),
    D(
        name="sozialleistungen-stadtteile-eichberg",
        publisher=EIB_DIGI,
        title="Empfängerinnen und Empfänger von Sozialleistungen nach Stadtteil",
        description=(
            "Personen in Bedarfsgemeinschaften nach SGB II, Empfängerinnen und Empfänger von Grundsicherung im "
            "Alter und Wohngeldhaushalte je Stadtteil mit Quote. Grundlage für die Sozialraumplanung; Werte unter "
            "drei sind geheim gehalten."
        ),
        keywords=("Sozialleistungen", "Bürgergeld", "Grundsicherung", "Wohngeld", "Sozialraum"),
        themes=("SOCI",),
        frequency=Frequency.ANNUAL,
        temporal=(date(2022, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Aus Sozialdaten aggregiert (Sozialgeheimnis), Geheimhaltungsprüfung durch die Statistikstelle; "
                "kleine Zellen unterdrückt.",
                need=(HOCH, NORMAL, NORMAL),
                statistical_confidentiality=True,
            ),
        ),
        distributions=(Upload("Sozialleistungen 2022–2024", "sozialleistungen-eichberg.csv", rows_sozialleistungen),),
    ),
    D(
        name="jugendhilfe-fallzahlen-eichberg",
        publisher=EIB_DIGI,
        title="Hilfen zur Erziehung und Inobhutnahmen – Fallzahlen",
        description=(
            "Laufende und neu begonnene Fälle der Kinder- und Jugendhilfe nach Hilfeart (§§ 28–35a, 41, 42 SGB "
            "VIII) je Jahr. Für die Jugendhilfeplanung und den Jugendhilfeausschuss aufbereitet."
        ),
        keywords=("Jugendhilfe", "Hilfen zur Erziehung", "SGB VIII", "Jugendhilfeplanung"),
        themes=("SOCI",),
        frequency=Frequency.ANNUAL,
        temporal=(date(2020, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Jahressummen für die Gesamtstadt; Veröffentlichung wie beim Landesjugendamt vorgesehen.",
                spatial=S.MUNICIPALITY,
            ),
            statistics(
                "Neu eingestuft: einzelne Hilfearten haben sehr kleine Fallzahlen; zusammen mit Presseberichten "
                "sind betroffene Familien erkennbar. Nur intern, bis Hilfearten zusammengefasst sind.",
                confidentiality=C.INTERN,
                spatial=S.MUNICIPALITY,
                need=(HOCH, NORMAL, NORMAL),
                statistical_confidentiality=True,
            ),
        ),
        distributions=(Upload("Fallzahlen 2020–2024", "jugendhilfe-fallzahlen-eichberg.csv", rows_jugendhilfe),),
    ),
    D(
        name="buergerumfrage-eichberg-2024",
        publisher=EIB_DIGI,
        title="Bürgerumfrage Eichberg 2024 – anonymisierte Einzelantworten",
        description=(
            "Antworten der schriftlichen und Online-Bürgerumfrage 2024 zu Wohnumfeld, Nahverkehr, "
            "Sicherheitsgefühl und digitalen Diensten (Skala 1 = sehr unzufrieden bis 5 = sehr zufrieden). Alter "
            "und Wohnort sind vergröbert, freie Textantworten entfernt."
        ),
        keywords=("Bürgerumfrage", "Zufriedenheit", "Umfrage", "Mikrodaten"),
        themes=("SOCI", "GOVE"),
        frequency=Frequency.BIENNIAL,
        temporal=(date(2024, 3, 1), date(2024, 4, 30)),
        classifications=(
            classification(
                "Anonymisiert: Altersgruppen und drei Stadtbereiche, jede Merkmalskombination mindestens fünfmal "
                "vorhanden (k-Anonymität), Freitexte gelöscht.",
                personal=P.ANONYMISED,
                spatial=S.DISTRICT,
                temporal=T.YEAR,
                need=(NORMAL, HOCH, NORMAL),
            ),
        ),
        distributions=(Upload("Einzelantworten", "buergerumfrage-eichberg-2024.csv", rows_buergerumfrage, ","),),
        licence="cc-by/4.0",
    ),
    # --- Eichberg – Ordnungsamt ---
    D(
        name="bussgeldstatistik-eichberg",
        publisher=EIB_ORDNUNG,
        title="Verwarnungen und Bußgelder im Straßenverkehr",
        description=(
            "Zahl der Verfahren und Summe der Verwarnungs- und Bußgelder je Monat für Parkverstöße und "
            "Geschwindigkeitsüberschreitungen aus kommunaler Verkehrsüberwachung. Kennzeichen, Tatorte und "
            "Personen sind nicht enthalten."
        ),
        keywords=("Bußgeld", "Verkehrsüberwachung", "Parken", "Geschwindigkeit"),
        themes=("JUST", "TRAN"),
        frequency=Frequency.MONTHLY,
        temporal=(date(2024, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Monatssummen je Tatbestand für die Gesamtstadt, keine Kennzeichen oder Tatorte.",
                spatial=S.MUNICIPALITY,
                temporal=T.MONTH,
            ),
        ),
        distributions=(Upload("Monatswerte 2024", "bussgeldstatistik-eichberg-2024.csv", rows_bussgeld),),
    ),
    D(
        name="gewerbeanmeldungen-eichberg",
        publisher=EIB_ORDNUNG,
        title="Gewerbeanzeigen nach Wirtschaftszweig (aggregiert)",
        description=(
            "An- und Abmeldungen von Gewerbebetrieben je Quartal nach Abschnitten der Klassifikation der "
            "Wirtschaftszweige (WZ 2008). Auswertung aus dem Gewerberegister ohne Angaben zu einzelnen Betrieben."
        ),
        keywords=("Gewerbe", "Gewerbeanmeldung", "Wirtschaft", "Gründungen"),
        themes=("ECON",),
        frequency=Frequency.QUARTERLY,
        temporal=(date(2023, 1, 1), date(2024, 12, 31)),
        classifications=(
            statistics(
                "Quartalssummen je Wirtschaftsabschnitt; Einzelangaben aus der Gewerbeanzeigenstatistik "
                "unterliegen der statistischen Geheimhaltung.",
                spatial=S.MUNICIPALITY,
                temporal=T.MONTH,
                statistical_confidentiality=True,
            ),
        ),
        distributions=csv_and_json("Gewerbeanzeigen 2023–2024", "gewerbeanzeigen-eichberg", rows_gewerbe),
    ),
    D(
        name="videoueberwachung-standorte-eichberg",
        publisher=EIB_ORDNUNG,
        title="Videoüberwachung öffentlicher Räume – Kamerastandorte und Erfassungsbereiche",
        description=(
            "Standorte, Blickrichtungen und Erfassungsbereiche der Kameras nach § 44 Polizeigesetz "
            "Baden-Württemberg am Bahnhofsplatz und in der Unterführung Weinsteige, mit Betriebszeiten. Die "
            "öffentlich ausgeschilderten Standorte sind bekannt; Erfassungsbereiche und Lücken sind es nicht."
        ),
        keywords=("Videoüberwachung", "öffentliche Sicherheit", "Kriminalprävention"),
        themes=("JUST",),
        frequency=Frequency.IRREG,
        temporal=(date(2021, 5, 1), None),
        classifications=(
            facts(
                "Sachdaten über Kameras, keine Aufnahmen. Erfassungsbereiche und tote Winkel sind "
                "sicherheitsrelevant: VS – Nur für den Dienstgebrauch.",
                confidentiality=C.VERTRAULICH,
                need=(HOCH, HOCH, NORMAL),
                temporal=T.NONE,
                vs_nfd=True,
            ),
        ),
        licence="other-closed",
    ),
    D(
        name="infektionsschutz-meldungen-eichberg",
        publisher=EIB_ORDNUNG,
        title="Meldungen nach dem Infektionsschutzgesetz (Gesundheitsamt)",
        description=(
            "Namentliche Meldungen meldepflichtiger Krankheiten und Erregernachweise nach §§ 6 und 7 IfSG mit "
            "Ermittlungen und Maßnahmen des Gesundheitsamts. Nur für Infektionsschutz und die anonymisierte "
            "Übermittlung an das Landesgesundheitsamt."
        ),
        keywords=("Infektionsschutz", "Gesundheitsamt", "IfSG", "Meldewesen"),
        themes=("HEAL",),
        frequency=Frequency.UPDATE_CONT,
        temporal=(date(2001, 1, 1), None),
        classifications=(
            classification(
                "Namentliche Gesundheitsdaten (Art. 9 DSGVO) auch von Kindern und Pflegebedürftigen; "
                "höchster Schutzbedarf.",
                personal=P.SPECIAL,
                special=["health"],
                confidentiality=C.STRENG_VERTRAULICH,
                need=(SEHR_HOCH, SEHR_HOCH, HOCH),
                spatial=S.POINT,
                temporal=T.EVENT,
                legal_bases=["GDPR_6_1_c", "GDPR_6_1_e", "GDPR_9_2_i"],
                vulnerable_subjects=True,
            ),
        ),
        licence="other-closed",
    ),
    # --- Eichberg – Tiefbauamt ---
    D(
        name="baustellen-eichberg",
        publisher=EIB_TIEF,
        title="Baustellen und Verkehrsbeeinträchtigungen",
        description=(
            "Aktuelle und geplante Baustellen im Straßenraum mit Maßnahme, Zeitraum, Verkehrsführung und Lage. "
            "Die Daten werden aus den verkehrsrechtlichen Anordnungen übernommen."
        ),
        keywords=("Baustellen", "Verkehr", "Sperrungen", "Straßenbau"),
        themes=("TRAN",),
        frequency=Frequency.DAILY,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts(OPEN_FACTS, temporal=T.DAY, need=(NORMAL, HOCH, NORMAL)),),
        distributions=csv_and_json("Baustellen 2025", "baustellen-eichberg-2025", rows_baustellen, ","),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.MOBILITY,
    ),
    D(
        name="radwegenetz-eichberg",
        publisher=EIB_TIEF,
        title="Radverkehrsnetz Eichberg",
        description=(
            "Abschnitte des Radverkehrsnetzes mit Führungsform, Richtung, Länge, Breite und Oberfläche, als "
            "Tabelle und als WFS-Dienst mit Liniengeometrien. Das Netz entspricht dem Radverkehrskonzept 2030 des "
            "Gemeinderats."
        ),
        keywords=("Radverkehr", "Radwege", "Verkehrsnetz"),
        themes=("TRAN",),
        frequency=Frequency.ANNUAL,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts(OPEN_FACTS, temporal=T.NONE),),
        distributions=(
            Upload("Netzabschnitte (CSV)", "radwegenetz-eichberg.csv", rows_radwege),
            Link(
                "WFS Radverkehrsnetz",
                "https://geoportal.eichberg.example/wfs/radnetz?SERVICE=WFS&REQUEST=GetCapabilities",
                "WFS_SRVC",
            ),
        ),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.MOBILITY,
        resolution_m=1,
    ),
    D(
        name="verkehrszaehlung-eichberg",
        publisher=EIB_TIEF,
        title="Verkehrszählung an Dauerzählstellen",
        description=(
            "Stündliche Zahl der Kraftfahrzeuge, davon Schwerverkehr, und des Radverkehrs an fünf "
            "Dauerzählstellen. Automatische Zählung über Induktionsschleifen und Radzählsäulen."
        ),
        keywords=("Verkehrszählung", "Kfz-Verkehr", "Radverkehr", "Verkehrsplanung"),
        themes=("TRAN",),
        frequency=Frequency.DAILY,
        temporal=(date(2025, 5, 13), None),
        classifications=(facts(OPEN_FACTS, temporal=T.EVENT),),
        distributions=(
            Upload("Stundenwerte 13. Mai 2025", "verkehrszaehlung-eichberg-2025-05-13.csv", rows_verkehrszaehlung),
        ),
        hvd=HVDCategory.MOBILITY,
    ),
    D(
        name="parkhausbelegung-eichberg",
        publisher=EIB_TIEF,
        title="Belegung der Parkhäuser in der Innenstadt",
        description=(
            "Stellplätze, belegte und freie Plätze der fünf Parkhäuser des Parkleitsystems, stündlich. Die "
            "Parkhäuser P2 und P5 werden von privaten Gesellschaften betrieben, die ihre Zähldaten liefern."
        ),
        keywords=("Parken", "Parkhaus", "Parkleitsystem", "Echtzeitdaten"),
        themes=("TRAN",),
        frequency=Frequency.CONT,
        temporal=(date(2025, 3, 1), None),
        classifications=(
            facts(
                "Zähldaten privater Betreiber: Weitergabe nach Betreibervertrag nur für das Parkleitsystem.",
                confidentiality=C.INTERN,
                temporal=T.EVENT,
                third_party_rights=True,
            ),
            facts(
                "Betreiberverträge um eine Open-Data-Klausel ergänzt (Nachtrag vom 3.2.2025); keine "
                "entgegenstehenden Rechte Dritter mehr.",
                temporal=T.EVENT,
            ),
        ),
        distributions=csv_and_json("Belegung 14. März 2025", "parkhausbelegung-eichberg-2025-03-14", rows_parkhaeuser),
        licence="dl-zero-de/2.0",
    ),
    D(
        name="pegelstaende-eichbach",
        publisher=EIB_TIEF,
        title="Pegelstände und Abfluss am Eichbach",
        description=(
            "Wasserstand in Zentimetern und Abfluss in Kubikmetern je Sekunde an den städtischen Pegeln Talheim "
            "und Innenstadt, stündlich. Rohdaten der Hochwasservorsorge, nicht geprüft."
        ),
        keywords=("Pegel", "Hochwasser", "Gewässer", "Eichbach"),
        themes=("ENVI",),
        frequency=Frequency.HOURLY,
        temporal=(date(2025, 6, 1), None),
        classifications=(facts(OPEN_FACTS, temporal=T.EVENT, need=(NORMAL, HOCH, HOCH)),),
        distributions=(Upload("Stundenwerte 2.–3. Juni 2025", "pegel-eichbach-2025-06.csv", rows_pegel, ","),),
        licence="dl-zero-de/2.0",
        hvd=HVDCategory.EARTH_OBSERVATION,
    ),
    D(
        name="strassenbeleuchtung-eichberg",
        publisher=EIB_TIEF,
        title="Straßenbeleuchtung nach Straßen",
        description=(
            "Zahl der Leuchten je Straße, davon mit LED-Technik, und Schaltregime. Grundlage des "
            "LED-Umrüstungsprogramms."
        ),
        keywords=("Straßenbeleuchtung", "LED", "Energieeffizienz"),
        themes=("ENER", "TRAN"),
        frequency=Frequency.ANNUAL,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts(OPEN_FACTS, temporal=T.NONE),),
        distributions=(Upload("Leuchten je Straße", "strassenbeleuchtung-eichberg.csv", rows_strassenbeleuchtung),),
    ),
    # --- Eichberger Verkehrsbetriebe GmbH ---
    D(
        name="fahrplandaten-eichberg",
        publisher=EIB_VB,
        title="Soll-Fahrplandaten des Stadtbusverkehrs",
        description=(
            "Fahrten, Haltfolgen und Abfahrtszeiten aller Stadtbuslinien nach dem GTFS-Modell (stop_times) als "
            "CSV, dazu der vollständige GTFS-Feed zum Download. Der Fahrplan gilt für das Fahrplanjahr 2025."
        ),
        keywords=("Fahrplan", "GTFS", "ÖPNV", "Bus"),
        themes=("TRAN",),
        frequency=Frequency.MONTHLY,
        temporal=(date(2024, 12, 15), date(2025, 12, 13)),
        classifications=(facts("Soll-Fahrplan ohne Bezug zu Fahrgästen oder Fahrpersonal.", temporal=T.EVENT),),
        distributions=(
            Upload("Haltfolgen (stop_times)", "stop_times-eichberg.csv", rows_gtfs_stop_times, ","),
            Link(
                "GTFS-Feed (ZIP)",
                "https://daten.verkehrsbetriebe-eichberg.example/gtfs/gtfs-eichberg.zip",
                "ZIP",
                kind=DistributionKind.DOWNLOAD,
            ),
        ),
        licence="cc-by/4.0",
        hvd=HVDCategory.MOBILITY,
    ),
    D(
        name="haltestellen-eichberg",
        publisher=EIB_VB,
        title="Haltestellen des Stadtbusverkehrs",
        description=(
            "Alle Bushaltestellen mit bundesweiter Haltestellen-ID (DHID), Linien, Barrierefreiheit, dynamischer "
            "Fahrgastinformation und Koordinaten (WGS 84). Die IDs entsprechen dem Zentralen "
            "Haltestellenverzeichnis (ZHV)."
        ),
        keywords=("Haltestellen", "ÖPNV", "Barrierefreiheit", "DHID"),
        themes=("TRAN",),
        frequency=Frequency.MONTHLY,
        temporal=(date(2025, 1, 1), None),
        classifications=(facts(OPEN_FACTS),),
        distributions=csv_and_json("Haltestellen", "haltestellen-eichberg", rows_haltestellen, ","),
        licence="cc-by/4.0",
        hvd=HVDCategory.MOBILITY,
    ),
    D(
        name="fahrgastzahlen-eichberg",
        publisher=EIB_VB,
        title="Fahrgastzahlen je Linie und Monat",
        description=(
            "Hochgerechnete Fahrgastzahlen aus den automatischen Fahrgastzählsystemen je Linie und Monat. "
            "Grundlage für Angebotsplanung, Einnahmenaufteilung im Verbund und den Bericht an den Aufgabenträger."
        ),
        keywords=("Fahrgastzahlen", "ÖPNV", "Nachfrage"),
        themes=("TRAN", "ECON"),
        frequency=Frequency.MONTHLY,
        temporal=(date(2024, 1, 1), date(2024, 12, 31)),
        classifications=(
            facts(
                "Zählwerte ohne Personenbezug, aber Grundlage der Einnahmenaufteilung im Verkehrsverbund: "
                "Betriebs- und Geschäftsgeheimnis.",
                confidentiality=C.INTERN,
                need=(HOCH, NORMAL, NORMAL),
                spatial=S.NONE,
                temporal=T.MONTH,
                trade_secrets=True,
            ),
        ),
        distributions=(Upload("Fahrgäste 2024", "fahrgastzahlen-eichberg-2024.csv", rows_fahrgaeste),),
        licence="other-closed",
    ),
    D(
        name="puenktlichkeit-eichberg",
        publisher=EIB_VB,
        title="Pünktlichkeit und Fahrtausfälle je Linie",
        description=(
            "Anteil der Fahrten mit höchstens drei Minuten Verspätung und Zahl der ausgefallenen Fahrten je Linie "
            "und Monat, gemessen an den Ist-Daten des rechnergestützten Betriebsleitsystems. Fahrten, die wegen "
            "Baustellen umgeleitet wurden, zählen mit."
        ),
        keywords=("Pünktlichkeit", "ÖPNV", "Qualität"),
        themes=("TRAN",),
        frequency=Frequency.MONTHLY,
        temporal=(date(2024, 1, 1), date(2024, 12, 31)),
        classifications=(facts(OPEN_FACTS, spatial=S.NONE, temporal=T.MONTH),),
        distributions=(Upload("Qualitätskennzahlen 2024", "puenktlichkeit-eichberg-2024.csv", rows_puenktlichkeit),),
        licence="cc-by/4.0",
    ),
    D(
        name="fahrgastrueckmeldungen-eichberg",
        publisher=EIB_VB,
        title="Fahrgastrückmeldungen und Beschwerden",
        description=(
            "Lob, Beschwerden und Fundsachenanfragen aus Kundencenter, Kontaktformular und Telefon mit Name, "
            "Kontaktdaten, Linie und Bearbeitungsstand. Dient der Bearbeitung der Anliegen und der "
            "Qualitätsauswertung."
        ),
        keywords=("Kundenservice", "Beschwerdemanagement", "ÖPNV"),
        themes=("TRAN",),
        frequency=Frequency.UPDATE_CONT,
        temporal=(date(2022, 1, 1), None),
        classifications=(
            classification(
                "Namen und Kontaktdaten der Fahrgäste; normale Sensibilität, Zugriff nur für das Kundencenter.",
                personal=P.PERSONAL,
                confidentiality=C.INTERN,
                need=(NORMAL, NORMAL, NORMAL),
                spatial=S.NONE,
                temporal=T.EVENT,
                legal_bases=["GDPR_6_1_b", "GDPR_6_1_f"],
            ),
        ),
        licence="other-closed",
    ),
]


# ---------------------------------------------------------------------------


def seed_catalog_demo() -> list[Dataset]:
    """Create the demo datasets that do not exist yet (by name) and return them.
    Needs demo.governance.seed_demo() first, for the organisations and stewards."""
    organisations = {organisation.slug: organisation for organisation in Organisation.objects.all()}
    users = {user.username: user for user in get_user_model().objects.filter(username__contains=".")}
    missing = [
        username
        for slug in {demo.publisher for demo in DATASETS}
        for username in (demo_username(Role.STEWARD, slug), demo_username(Role.OWNER, slug))
        if username not in users or slug not in organisations
    ]
    if missing:
        raise RuntimeError(f"Demo organisations or users missing ({', '.join(sorted(missing))}); run seed_demo first.")
    existing = set(Dataset.objects.filter(name__in=[demo.name for demo in DATASETS]).values_list("name", flat=True))
    created = []
    for demo in DATASETS:
        if demo.name not in existing:
            organisation = organisations[demo.publisher]
            steward = users[demo_username(Role.STEWARD, demo.publisher)]
            owner = users[demo_username(Role.OWNER, demo.publisher)]
            created.append(_create(demo, organisation, steward, owner))
    seed_workflow_demo(users)
    seed_change_demo(users)
    return created


# A published dataset with a pending change waiting for legal review (issue 20): the
# portal keeps the approved state; legal.lindenau finds the change in "Meine Aufgaben".
CHANGE_DEMO = "luftqualitaet-lindenau"
CHANGE_DEMO_CSV = "Datum;Station;NO2;PM10;PM2_5;O3\n" + "".join(
    f"2025-03-{day:02d};{station};{no2};{pm10};{pm25};{o3}\n"
    for day in range(1, 32)
    for station, no2, pm10, pm25, o3 in (("Altstadt", 30 + day % 9, 18 + day % 7, 11 + day % 5, 40 + day % 11),
                                        ("Wiesengrund", 12 + day % 5, 12 + day % 6, 8 + day % 4, 55 + day % 9))
)  # fmt: skip


def seed_change_demo(users: dict) -> bool:
    """Edit the published air-quality dataset as its steward would in March (a sentence
    and the month's file), submit the change and let the owner sign it off. Seeding again
    does nothing once the dataset has had a change."""
    dataset = Dataset.objects.filter(name=CHANGE_DEMO, state=DatasetState.PUBLISHED).first()
    if dataset is None or DatasetChange.objects.filter(dataset=dataset).exists():
        return False
    slug = dataset.publisher.slug
    steward, owner = users[demo_username(Role.STEWARD, slug)], users[demo_username(Role.OWNER, slug)]
    with transaction.atomic():
        services.update_dataset(
            dataset,
            by=steward,
            fields={"description": dataset.description + " Ab März 2025 mit der neuen Station Südring."},
            expected_version=services.edit_version(dataset),
            reason="Monatsdatei März und neue Station",
        )
        services.add_distribution(
            dataset,
            by=steward,
            title="Tagesmittelwerte März 2025",
            upload=SimpleUploadedFile("luftqualitaet-lindenau-2025-03.csv", CHANGE_DEMO_CSV.encode()),
        )
        change = DatasetChange.objects.get(dataset=dataset, state__in=ACTIVE_CHANGE_STATES)
        changes.submit_change(change, by=steward, expected_version=change.version)
        change.refresh_from_db()
        changes.sign_off_change(change, by=owner, expected_version=change.version,
                                reasons="Fachlich geprüft; Werte plausibel.")  # fmt: skip
    return True


# ---------------------------------------------------------------------------
# The publication workflow

# Where each dataset ends; the steps are the real transitions by the demo users
# (steward.<org> submits, owner.<org> signs off, the ethics board votes in demo.ethics,
# legal.<org> reviews: four eyes hold because they are different people).
WORKFLOW_PLAN = {
    "haushaltsplan-lindenau": "published",
    "baumkataster-lindenau": "published",
    "luftqualitaet-lindenau": "published",
    "abfallkalender-lindenau": "published",
    "strassenverzeichnis-lindenau": "published",
    "spielplaetze-lindenau": "published",
    "einwohnerzahlen-lindenau": "published",
    "haushaltsplan-eichberg": "published",
    "radwegenetz-eichberg": "published",
    "baustellen-eichberg": "published",
    "haltestellen-eichberg": "published",
    "pegelstaende-eichbach": "published",
    "kundendaten-stadtwerke-lindenau": "decided",
    "smart-meter-lastgaenge-lindenau": "decided",
    "videoueberwachung-standorte-eichberg": "decided",
    "infektionsschutz-meldungen-eichberg": "decided",
    "kanalnetz-lindenau": "refused",
    "ratsinformationen-lindenau": "returned",
    "gewerbeanmeldungen-eichberg": "returned",
    "bodenrichtwerte-lindenau": "legal_review",
    "netzlast-stromnetz-lindenau": "legal_review",
    "verkehrszaehlung-eichberg": "legal_review",
    "jugendhilfe-fallzahlen-eichberg": "legal_review",
    "sozialleistungen-stadtteile-eichberg": "legal_review",
    "wohngeldbescheide-lindenau": "ethics_review",
    "kita-standorte-lindenau": "in_review",
    "schuelerzahlen-eichberg": "in_review",
    "friedhoefe-lindenau": "withdrawn",
}
RETURN_REASONS = {
    "ratsinformationen-lindenau": "Die Beschreibung nennt nicht, ob nichtöffentliche Sitzungsteile enthalten sind. "
    "Bitte ergänzen und die Klassifizierung prüfen.",
    "gewerbeanmeldungen-eichberg": "Die Namen von Einzelgewerbetreibenden sind personenbezogen (Art. 4 Nr. 1 DSGVO). "
    "Bitte die Einstufung korrigieren oder die Spalte entfernen.",
}


def seed_workflow_demo(users: dict) -> int:
    """Take the planned datasets that are still untouched drafts through the workflow;
    returns how many it moved. Seeding again moves nothing."""
    datasets = Dataset.objects.filter(
        name__in=list(WORKFLOW_PLAN), state=DatasetState.DRAFT, submitted_by__isnull=True
    ).select_related("publisher", "current_classification")
    moved, names = 0, []
    for dataset in datasets:
        slug = dataset.publisher.slug
        steward, owner = users[demo_username(Role.STEWARD, slug)], users[demo_username(Role.OWNER, slug)]
        legal = users[demo_username(Role.LEGAL_REVIEWER, slug)]
        target = WORKFLOW_PLAN[dataset.name]

        def step(action, by, pk=dataset.pk, **data):
            current = Dataset.objects.select_related("publisher", "current_classification").get(pk=pk)
            return workflow.perform(action, current, by=by, data={"expected_version": current.version, **data})

        def state(pk=dataset.pk):
            return Dataset.objects.values_list("state", flat=True).get(pk=pk)

        with transaction.atomic():
            step("submit", steward)
            moved += 1
            names.append(dataset.name)
            if target == "in_review":
                continue
            if target == "returned" and dataset.name == "ratsinformationen-lindenau":
                step("return", owner, reasons=RETURN_REASONS[dataset.name])
                continue
            step("sign_off", owner, reasons="Fachlich geprüft; Veröffentlichung gewünscht.")
            if state() == DatasetState.ETHICS_REVIEW:
                # The board decides by vote in its review (ethics app, seed_ethics_demo).
                continue
            if target in ("legal_review", "ethics_review"):
                continue
            if target == "returned":
                step("return", legal, reasons=RETURN_REASONS[dataset.name])
                continue
            if target == "refused":
                step("refuse", legal, outcome="internal", grounds=["CRITICAL_INFRASTRUCTURE"],
                     rereview_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
                     reasons="Lage und Dimension des Kanalnetzes sind Teil einer kritischen Infrastruktur "
                     "(§ 2 BSI-KritisV); Weitergabe nur an Stellen des Stadtverbunds.")  # fmt: skip
                continue
            step("approve", legal, confirmed=True, reasons="Rechtlich geprüft; keine Bedenken gegen die Entscheidung.")
            current = Dataset.objects.get(pk=dataset.pk)
            if target in ("published", "withdrawn") and current.publication_outcome in engine.PUBLISHABLE_FORMS:
                step("publish", steward, confirm_alternative=True)
                if target == "withdrawn":
                    step("withdraw", owner, reasons="Die Standortdaten sind veraltet; eine neue Erhebung läuft.")
    # Some tasks wait longer than they should: the inbox marks them as overdue.
    aged_names = {"bodenrichtwerte-lindenau", "kita-standorte-lindenau"} & set(names)
    for aged in Dataset.objects.filter(name__in=aged_names, state__in=REVIEW_STATES):
        aged.state_changed_at = timezone.now() - timedelta(days=21)
        aged._change_reason = "catalog.demo.aged"
        aged.save(update_fields=["state_changed_at"])
    return moved


def _create(demo: DemoDataset, organisation: Organisation, steward, owner) -> Dataset:
    stored = []
    try:
        with transaction.atomic():
            dataset = services.create_dataset(
                by=steward,
                fields=_dataset_fields(demo, organisation, steward, owner),
                keywords=demo.keywords,
                themes=demo.themes,
            )
            for fields in demo.classifications:
                services.classify_dataset(dataset, by=steward, fields=fields)
            for distribution in demo.distributions:
                if isinstance(distribution, Upload):
                    upload = SimpleUploadedFile(distribution.filename, distribution.content(demo.name))
                    stored.append(
                        services.add_distribution(
                            dataset,
                            by=steward,
                            title=distribution.title,
                            upload=upload,
                            description=distribution.description,
                        )
                    )
                else:
                    services.add_distribution(
                        dataset,
                        by=steward,
                        title=distribution.title,
                        access_url=distribution.url,
                        format=distribution.format,
                        kind=distribution.kind,
                        description=distribution.description,
                    )
    except Exception:
        # The database rolls back; the files written so far must go too.
        for distribution in stored:
            distribution.file.delete(save=False)
        raise
    dataset.refresh_from_db()
    return dataset


def _dataset_fields(demo: DemoDataset, organisation: Organisation, steward, owner) -> dict:
    start, end = demo.temporal
    website = WEBSITES[demo.publisher]
    return {
        "name": demo.name,
        "title": demo.title,
        "description": demo.description,
        "publisher": organisation,
        "owner": owner,
        "steward": steward,
        "contact_name": CONTACTS[demo.publisher],
        "contact_email": organisation.email,
        "contact_url": f"{website}/kontakt",
        "licence": demo.licence,
        "attribution_text": ATTRIBUTIONS[demo.publisher] if _needs_attribution(demo.licence) else "",
        "geocoding_level": GeocodingLevel.MUNICIPALITY,
        "municipality_key": organisation.municipality_key,
        "spatial_label": f"Stadt {organisation.municipality}",
        "spatial_resolution_m": demo.resolution_m,
        "temporal_start": start,
        "temporal_end": end,
        "update_frequency": demo.frequency,
        "hvd_category": demo.hvd,
        "landing_page": demo.landing_page,
    }


def _needs_attribution(licence: str) -> bool:
    return LICENCES_BY_CODE[licence].is_open and "zero" not in licence
