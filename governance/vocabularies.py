"""Legal and open-data vocabularies the governance rules and decisions speak in.

The lists here are the source of the reference data: a data migration loads them
into `VocabularyTerm` rows (versioned, with history), and `reference_data.
ensure_vocabularies()` completes a database that lacks some. Codes are stable;
labels, sources and attributes may change in a new term version.

The licence list is GovData's `dcat-ap-de-licenses-open.rdf` (34 concepts with
govdata:isOpenLicense); the catalog re-exports it under the same names.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

LICENCE_BASE = "http://dcat-ap.de/def/licenses/"


class Vocabulary(models.TextChoices):
    LEGAL_BASIS = "legal_basis", _("Rechtsgrundlage (Verarbeitung)")
    PUBLICATION_BASIS = "publication_basis", _("Rechtsgrundlage (Veröffentlichung)")
    EXCLUSION_GROUND = "exclusion_ground", _("Ausschlussgrund")
    LICENCE = "licence", _("Lizenz")
    HVD_CATEGORY = "hvd_category", _("HVD-Kategorie")


class PublicationForm(models.TextChoices):
    """The forms a dataset can be released in, from least to most restrictive. A
    block is always a block of one form; the decision proposes the least
    restrictive form that every block allows."""

    OPEN = "open", _("als Open Data veröffentlichen")
    AGGREGATED = "aggregated", _("nur aggregiert oder anonymisiert veröffentlichen")
    REDACTED = "redacted", _("teilweise veröffentlichen (geschwärzt, Spalten entfernt)")
    INTERNAL = "internal", _("nur Stadtverbund-intern (mit Nutzungsvereinbarung)")
    CLOSED = "closed", _("nicht veröffentlichungsfähig")


# Order of restrictiveness; PENDING is not a form and stands outside it.
FORM_ORDER = [PublicationForm.OPEN, PublicationForm.AGGREGATED, PublicationForm.REDACTED,
              PublicationForm.INTERNAL, PublicationForm.CLOSED]  # fmt: skip


@dataclass(frozen=True)
class Licence:
    code: str
    label: str
    is_open: bool

    @property
    def uri(self) -> str:
        return LICENCE_BASE + self.code


LICENCES = [
    Licence("apache", "Freie Softwarelizenz der Apache Software Foundation", is_open=True),
    Licence("bsd", "BSD Lizenz", is_open=True),
    Licence("cc-by", "Creative Commons Namensnennung (CC-BY)", is_open=True),
    Licence("cc-by/4.0", "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)", is_open=True),
    Licence("cc-by-de/3.0", "Creative Commons Namensnennung 3.0 Deutschland (CC BY 3.0 DE)", is_open=True),
    Licence("cc-by-nc", "Creative Commons Namensnennung - Nicht kommerziell (CC BY-NC)", is_open=False),
    Licence(
        "cc-by-nc-de/3.0",
        "Creative Commons Namensnennung-Nicht kommerziell 3.0 Deutschland (CC BY-NC 3.0 DE)",
        is_open=False,
    ),
    Licence(
        "cc-by-nc/4.0",
        "Creative Commons Namensnennung - Nicht kommerziell 4.0 International (CC BY-NC 4.0)",
        is_open=False,
    ),
    Licence("cc-by-nd", "Creative Commons Namensnennung - Keine Bearbeitung (CC BY-ND)", is_open=False),
    Licence(
        "cc-by-nd/3.0", "Creative Commons Namensnennung – Keine Bearbeitung 3.0 Unported (CC BY-ND 3.0)", is_open=False
    ),
    Licence(
        "cc-by-nd/4.0",
        "Creative Commons Namensnennung - Keine Bearbeitung 4.0 International (CC BY-ND 4.0)",
        is_open=False,
    ),
    Licence(
        "cc-by-sa", "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen (CC-BY-SA)", is_open=True
    ),
    Licence(
        "cc-by-sa-de/3.0",
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 3.0 Deutschland (CC BY-SA 3.0 DE)",
        is_open=True,
    ),
    Licence(
        "cc-by-sa/4.0",
        "Creative Commons Namensnennung - Weitergabe unter gleichen Bedingungen 4.0 International (CC-BY-SA 4.0)",
        is_open=True,
    ),
    Licence("ccpdm/1.0", "Public Domain Mark 1.0 (PDM)", is_open=True),
    Licence("cc-zero", "Creative Commons CC Zero License (cc-zero)", is_open=True),
    Licence("dl-by-de/1.0", "Datenlizenz Deutschland Namensnennung 1.0", is_open=True),
    Licence("dl-by-de/2.0", "Datenlizenz Deutschland Namensnennung 2.0", is_open=True),
    Licence("dl-by-nc-de/1.0", "Datenlizenz Deutschland Namensnennung nicht-kommerziell 1.0", is_open=False),
    Licence("dl-zero-de/2.0", "Datenlizenz Deutschland – Zero – Version 2.0", is_open=True),
    Licence("geonutz/20130319", "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Bundes", is_open=True),
    Licence(
        "geoNutz/20131001", "Nutzungsbestimmungen für die Bereitstellung von Geodaten des Landes Berlin", is_open=True
    ),
    Licence("gfdl", "GNU Free Documentation License (GFDL)", is_open=True),
    Licence("gpl/3.0", "GNU General Public License version 3.0 (GPLv3)", is_open=True),
    Licence("mozilla", "Mozilla Public License 2.0 (MPL)", is_open=True),
    Licence("odbl", "Open Data Commons Open Database License (ODbL)", is_open=True),
    Licence("odby", "Open Data Commons Attribution License (ODC-BY 1.0)", is_open=True),
    Licence("odcpddl", "Open Data Commons Public Domain Dedication and Licence (ODC PDDL)", is_open=True),
    Licence("officialWork", "Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG", is_open=True),
    Licence("other-closed", "Andere geschlossene Lizenz", is_open=False),
    Licence("other-commercial", "Andere kommerzielle Lizenz", is_open=False),
    Licence("other-freeware", "Andere Freeware Lizenz", is_open=False),
    Licence("other-open", "Andere offene Lizenz", is_open=True),
    Licence("other-opensource", "Andere Open Source Lizenz", is_open=True),
]
LICENCES_BY_CODE = {licence.code: licence for licence in LICENCES}
# GovData's recommendation first, then the rest alphabetically by label.
RECOMMENDED_LICENCES = ["dl-zero-de/2.0", "dl-by-de/2.0", "cc-by/4.0", "cc-zero"]
LICENCE_CHOICES = [(code, LICENCES_BY_CODE[code].label) for code in RECOMMENDED_LICENCES] + sorted(
    ((licence.code, licence.label) for licence in LICENCES if licence.code not in RECOMMENDED_LICENCES),
    key=lambda choice: choice[1].lower(),
)


class HVDCategory(models.TextChoices):
    """High-value dataset categories of Implementing Regulation (EU) 2023/138."""

    GEOSPATIAL = "c_ac64a52d", _("Georaum")
    EARTH_OBSERVATION = "c_dd313021", _("Erdbeobachtung und Umwelt")
    METEOROLOGICAL = "c_164e0bf5", _("Meteorologie")
    STATISTICS = "c_e1da4e07", _("Statistik")
    COMPANIES = "c_a9135398", _("Unternehmen und Eigentümerschaft von Unternehmen")
    MOBILITY = "c_b79e35eb", _("Mobilität")

    @property
    def uri(self) -> str:
        return f"http://data.europa.eu/bna/{self.value}"


HVD_LEGISLATION_URI = "http://data.europa.eu/eli/reg_impl/2023/138/oj"


class LegalBasis(models.TextChoices):
    """Legal bases for processing personal data (Art. 6, 9, 10 DSGVO)."""

    GDPR_6_1_A = "GDPR_6_1_a", _("Art. 6 Abs. 1 lit. a DSGVO – Einwilligung")
    GDPR_6_1_B = "GDPR_6_1_b", _("Art. 6 Abs. 1 lit. b DSGVO – Vertrag")
    GDPR_6_1_C = "GDPR_6_1_c", _("Art. 6 Abs. 1 lit. c DSGVO – rechtliche Verpflichtung")
    GDPR_6_1_D = "GDPR_6_1_d", _("Art. 6 Abs. 1 lit. d DSGVO – lebenswichtige Interessen")
    GDPR_6_1_E = "GDPR_6_1_e", _("Art. 6 Abs. 1 lit. e DSGVO – öffentliche Aufgabe")
    GDPR_6_1_F = "GDPR_6_1_f", _("Art. 6 Abs. 1 lit. f DSGVO – berechtigtes Interesse (nicht für Behörden)")
    GDPR_9_2_A = "GDPR_9_2_a", _("Art. 9 Abs. 2 lit. a DSGVO – ausdrückliche Einwilligung")
    GDPR_9_2_B = "GDPR_9_2_b", _("Art. 9 Abs. 2 lit. b DSGVO – Arbeitsrecht, soziale Sicherheit")
    GDPR_9_2_C = "GDPR_9_2_c", _("Art. 9 Abs. 2 lit. c DSGVO – lebenswichtige Interessen")
    GDPR_9_2_D = "GDPR_9_2_d", _("Art. 9 Abs. 2 lit. d DSGVO – Stiftungen, Vereinigungen")
    GDPR_9_2_E = "GDPR_9_2_e", _("Art. 9 Abs. 2 lit. e DSGVO – offensichtlich öffentlich gemacht")
    GDPR_9_2_F = "GDPR_9_2_f", _("Art. 9 Abs. 2 lit. f DSGVO – Rechtsansprüche")
    GDPR_9_2_G = "GDPR_9_2_g", _("Art. 9 Abs. 2 lit. g DSGVO – erhebliches öffentliches Interesse")
    GDPR_9_2_H = "GDPR_9_2_h", _("Art. 9 Abs. 2 lit. h DSGVO – Gesundheitsvorsorge")
    GDPR_9_2_I = "GDPR_9_2_i", _("Art. 9 Abs. 2 lit. i DSGVO – öffentliche Gesundheit")
    GDPR_9_2_J = "GDPR_9_2_j", _("Art. 9 Abs. 2 lit. j DSGVO – Archiv, Forschung, Statistik")
    GDPR_10 = "GDPR_10", _("Art. 10 DSGVO – strafrechtliche Daten")
    # National law: the member-state law Art. 6 Abs. 3 DSGVO asks for under lit. c and e, and
    # the federal and state acts that allow or demand the processing (ergänzend, never alone).
    DE_BDSG = "DE_BDSG", _("BDSG – Bundesdatenschutzgesetz (u. a. § 3, § 22)")
    DE_IFSG = "DE_IFSG", _("IfSG – Infektionsschutzgesetz")
    DE_UIG = "DE_UIG", _("UIG – Umweltinformationsgesetz")
    DE_GEOZG = "DE_GEOZG", _("GeoZG – Geodatenzugangsgesetz")
    DE_BSTATG = "DE_BSTATG", _("BStatG – Bundesstatistikgesetz")
    LAND_DSG_BW = "LAND_DSG_BW", _("LDSG BW – Landesdatenschutzgesetz Baden-Württemberg")
    LAND_DSG_BY = "LAND_DSG_BY", _("BayDSG – Bayerisches Datenschutzgesetz")
    LAND_DSG_BE = "LAND_DSG_BE", _("BlnDSG – Berliner Datenschutzgesetz")
    LAND_DSG_BB = "LAND_DSG_BB", _("BbgDSG – Brandenburgisches Datenschutzgesetz")
    LAND_DSG_HB = "LAND_DSG_HB", _("BremDSGVOAG – Bremisches Ausführungsgesetz zur DSGVO")
    LAND_DSG_HH = "LAND_DSG_HH", _("HmbDSG – Hamburgisches Datenschutzgesetz")
    LAND_DSG_HE = "LAND_DSG_HE", _("HDSIG – Hessisches Datenschutz- und Informationsfreiheitsgesetz")
    LAND_DSG_MV = "LAND_DSG_MV", _("DSG M-V – Landesdatenschutzgesetz Mecklenburg-Vorpommern")
    LAND_DSG_NI = "LAND_DSG_NI", _("NDSG – Niedersächsisches Datenschutzgesetz")
    LAND_DSG_NW = "LAND_DSG_NW", _("DSG NRW – Datenschutzgesetz Nordrhein-Westfalen")
    LAND_DSG_RP = "LAND_DSG_RP", _("LDSG RP – Landesdatenschutzgesetz Rheinland-Pfalz")
    LAND_DSG_SL = "LAND_DSG_SL", _("SDSG – Saarländisches Datenschutzgesetz")
    LAND_DSG_SN = "LAND_DSG_SN", _("SächsDSDG – Sächsisches Datenschutzdurchführungsgesetz")
    LAND_DSG_ST = "LAND_DSG_ST", _("DSAG LSA – Datenschutz-Grundverordnungs-Ausfüllungsgesetz Sachsen-Anhalt")
    LAND_DSG_SH = "LAND_DSG_SH", _("LDSG SH – Landesdatenschutzgesetz Schleswig-Holstein")
    LAND_DSG_TH = "LAND_DSG_TH", _("ThürDSG – Thüringer Datenschutzgesetz")
    LAND_STATG_BW = "LAND_STATG_BW", _("LStatG BW – Landesstatistikgesetz Baden-Württemberg")
    LAND_STATG_BY = "LAND_STATG_BY", _("BayStatG – Bayerisches Statistikgesetz")
    LAND_STATG_TH = "LAND_STATG_TH", _("ThürStatG – Thüringer Statistikgesetz")

    @classmethod
    def article_6(cls):
        return [basis for basis in cls if basis.value.startswith("GDPR_6")]

    @classmethod
    def article_9_or_10(cls):
        return [basis for basis in cls if basis.value.startswith(("GDPR_9", "GDPR_10"))]

    @classmethod
    def national(cls):
        return [basis for basis in cls if not basis.value.startswith("GDPR_")]


# The federal acts at gesetze-im-internet.de (the state acts have no common address).
NATIONAL_LAW_URLS = {
    "DE_BDSG": "https://www.gesetze-im-internet.de/bdsg_2018/",
    "DE_IFSG": "https://www.gesetze-im-internet.de/ifsg/",
    "DE_UIG": "https://www.gesetze-im-internet.de/uig_2005/",
    "DE_GEOZG": "https://www.gesetze-im-internet.de/geozg/",
    "DE_BSTATG": "https://www.gesetze-im-internet.de/bstatg_1987/",
}


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary as loaded into VocabularyTerm."""

    vocabulary: str
    code: str
    label: str
    sources: tuple[str, ...] = ()
    attributes: dict = field(default_factory=dict)
    source_url: str = ""
    valid_from: date = date(2020, 1, 1)


GDPR_URL = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
GDPR_IN_FORCE = date(2018, 5, 25)


def _legal_basis_terms() -> list[Term]:
    terms = []
    for basis in LegalBasis.national():
        terms.append(
            Term(
                Vocabulary.LEGAL_BASIS,
                basis.value,
                str(basis.label),
                sources=(str(basis.label).split(" – ")[0],),
                attributes={
                    "requires_member_state_law": False,
                    "available_to_public_task": True,
                    "special_category": False,
                    "national_law": True,
                },
                source_url=NATIONAL_LAW_URLS.get(basis.value, ""),
                valid_from=GDPR_IN_FORCE,
            )
        )
    for basis in LegalBasis.article_6() + LegalBasis.article_9_or_10():
        code = basis.value
        article = code.split("_")[1]
        terms.append(
            Term(
                Vocabulary.LEGAL_BASIS,
                code,
                str(basis.label),
                sources=(str(basis.label).split(" – ")[0],),
                attributes={
                    "requires_member_state_law": code in ("GDPR_6_1_c", "GDPR_6_1_e"),
                    "available_to_public_task": code != "GDPR_6_1_f",
                    "special_category": article in ("9", "10"),
                },
                source_url=GDPR_URL,
                valid_from=GDPR_IN_FORCE,
            )
        )
    terms.append(
        Term(
            Vocabulary.LEGAL_BASIS,
            "GDPR_6_4",
            "Art. 6 Abs. 4 DSGVO – vereinbare Weiterverarbeitung (mit Vereinbarkeitsprüfung)",
            sources=("Art. 6 Abs. 4 DSGVO",),
            attributes={
                "requires_member_state_law": False,
                "available_to_public_task": True,
                "special_category": False,
                "requires_compatibility_test": True,
            },
            source_url=GDPR_URL,
            valid_from=GDPR_IN_FORCE,
        )
    )
    return terms


PUBLICATION_BASES = [
    ("HVD_2023_138", "Durchführungsverordnung (EU) 2023/138 – Pflicht für hochwertige Datensätze",
     ("DVO (EU) 2023/138", "Art. 14 RL (EU) 2019/1024"), {"duty": True}, HVD_LEGISLATION_URI, date(2024, 6, 9)),
    ("DNG", "Datennutzungsgesetz – Rahmen für die Weiterverwendung, keine Bereitstellungspflicht",
     ("DNG",), {"duty": False}, "https://www.gesetze-im-internet.de/dng/", date(2021, 7, 16)),
    ("EGOVG_12A", "§ 12a EGovG – Open-Data-Pflicht des Bundes (Vorbild, nicht für Kommunen)",
     ("§ 12a EGovG",), {"duty": False, "federal_only": True},
     "https://www.gesetze-im-internet.de/egovg/__12a.html", date(2017, 7, 13)),
    ("LAND_OPEN_DATA", "Open-Data-Regelung des Landes (z. B. EGovG Bln § 13, HmbTG)",
     ("Landesrecht",), {"duty": True}, "", date(2020, 1, 1)),
    ("UIG_LUIG", "Umweltinformationsgesetz des Bundes oder Landes", ("UIG", "LUIG"), {"duty": True}, "",
     date(2020, 1, 1)),
    ("GEOZG_INSPIRE", "Geodatenzugangsgesetz / INSPIRE", ("GeoZG", "RL 2007/2/EG"), {"duty": True}, "",
     date(2020, 1, 1)),
    ("MUNICIPAL_RESOLUTION", "Ratsbeschluss oder Satzung „Open by Default“ der Kommune",
     ("Ratsbeschluss / Satzung",), {"duty": True, "policy_document": True}, "", date(2020, 1, 1)),
    ("VOLUNTARY", "Freiwillige Bereitstellung", (), {"duty": False}, "", date(2020, 1, 1)),
]  # fmt: skip


@dataclass(frozen=True)
class ExclusionGround:
    code: str
    label: str
    sources: tuple[str, ...]
    blocks_open_publication: bool
    allows_partial: bool
    requires_legal_review: bool
    default_rereview_months: int
    alternative: str  # the least restrictive PublicationForm that can remain

    def attributes(self) -> dict:
        return {
            "blocks_open_publication": self.blocks_open_publication,
            "allows_partial": self.allows_partial,
            "requires_legal_review": self.requires_legal_review,
            "default_rereview_months": self.default_rereview_months,
            "alternative": self.alternative,
        }


F = PublicationForm
# reference/ethics_legal.md §7.5, plus the two classification grounds the decision
# rule of §7.6 uses (confidentiality level, very high protection need).
EXCLUSION_GROUNDS = [
    ExclusionGround("PERSONAL_DATA", "Schutz personenbezogener Daten (auch pseudonymisierter)",
                    ("DNG § 2 Abs. 3 Nr. 1 a) aa)", "EGovG § 12a Abs. 2 Nr. 5", "HmbTG § 4", "IFG § 5",
                     "Art. 6/9 DSGVO"), True, True, True, 24, F.AGGREGATED),
    ExclusionGround("TRADE_SECRET", "Betriebs- und Geschäftsgeheimnisse (auch Wettbewerbsdaten kommunaler Unternehmen)",
                    ("DNG § 2 Abs. 3 Nr. 1 a) bb)", "IFG § 6", "HmbTG § 7", "GeschGehG"), True, True, True, 24,
                    F.REDACTED),
    ExclusionGround("PUBLIC_SECURITY", "Nationale Sicherheit, Verteidigung, öffentliche Sicherheit",
                    ("DNG § 2 Abs. 3 Nr. 1 a) cc)", "IFG § 3", "HmbTG § 6 Abs. 3"), True, True, True, 24,
                    F.INTERNAL),
    ExclusionGround("CRITICAL_INFRASTRUCTURE", "Vertrauliche Informationen über kritische Infrastrukturen (KRITIS)",
                    ("DNG § 2 Abs. 3 Nr. 1 a) dd)",), True, True, True, 24, F.INTERNAL),
    ExclusionGround("STATISTICAL_CONFIDENTIALITY", "Statistikgeheimnis",
                    ("DNG § 2 Abs. 3 Nr. 1 a) ee)", "§ 16 BStatG", "LStatG"), True, True, True, 24, F.AGGREGATED),
    ExclusionGround("RESTRICTED_ACCESS_REGIME",
                    "Zugang nur bei rechtlichem oder berechtigtem Interesse oder kein Zugangsrecht",
                    ("DNG § 2 Abs. 3 Nr. 1 a)", "EGovG § 12a Abs. 3 Nr. 1"), True, False, True, 36, F.INTERNAL),
    ExclusionGround("THIRD_PARTY_PARTICIPATION", "Zugang erst nach Beteiligung Dritter",
                    ("EGovG § 12a Abs. 3",), True, False, True, 12, F.INTERNAL),
    ExclusionGround("THIRD_PARTY_IP", "Geistiges Eigentum, Lizenzen oder Verträge Dritter",
                    ("DNG § 2 Abs. 3 Nr. 1 b)", "HmbTG § 8", "IFG § 6"), True, True, True, 24, F.INTERNAL),
    ExclusionGround("THIRD_PARTY_VOLUNTARY", "Von Dritten freiwillig und ohne Verpflichtung übermittelt",
                    ("EGovG § 12a Abs. 3 Nr. 2",), True, False, True, 24, F.INTERNAL),
    ExclusionGround("OUTSIDE_PUBLIC_TASK", "Nicht Teil des gesetzlichen öffentlichen Auftrags",
                    ("DNG § 2 Abs. 3 Nr. 1 d)",), True, False, True, 36, F.INTERNAL),
    ExclusionGround("DASEINSVORSORGE_NONCORE",
                    "Daten eines Versorgungsunternehmens außerhalb der Tätigkeit nach § 3 Nr. 2",
                    ("DNG § 2 Abs. 3 Nr. 2",), True, False, True, 36, F.INTERNAL),
    ExclusionGround("DASEINSVORSORGE_NOT_PERMITTED",
                    "Unternehmen der Daseinsvorsorge hat die Weiterverwendung nicht erlaubt",
                    ("DNG § 4 Abs. 2",), True, False, True, 12, F.INTERNAL),
    ExclusionGround("ONGOING_PROCEEDINGS", "Laufende Gerichts-, Ermittlungs- oder Disziplinarverfahren",
                    ("HmbTG § 6 Abs. 3 Nr. 2", "IFG § 3"), True, False, True, 6, F.CLOSED),
    ExclusionGround("DELIBERATIVE", "Entwürfe und interne Beratungen (zeitlich begrenzt)",
                    ("HmbTG § 6 Abs. 1–2", "IFG § 4"), True, False, True, 6, F.INTERNAL),
    ExclusionGround("CLASSIFIED", "Verschlusssache", ("HmbTG § 6 Abs. 2 Nr. 2", "VSA"), True, False, True, 24,
                    F.CLOSED),
    ExclusionGround("TAX_SECRECY", "Steuergeheimnis", ("§ 30 AO",), True, True, True, 36, F.AGGREGATED),
    ExclusionGround("SOCIAL_DATA", "Sozialgeheimnis", ("§ 35 SGB I", "§§ 67 ff. SGB X"), True, True, True, 24,
                    F.AGGREGATED),
    ExclusionGround("LOGOS_INSIGNIA", "Logos, Wappen und Hoheitszeichen", ("DNG § 2 Abs. 3 Nr. 3",), True, True,
                    False, 60, F.REDACTED),
    ExclusionGround("ALREADY_PUBLISHED", "Bereits anderswo frei verfügbar (stattdessen verlinken)",
                    ("EGovG § 12a Abs. 3",), False, False, False, 12, F.OPEN),
    ExclusionGround("SDC_FAILED", "Aggregate bestehen die Geheimhaltungsprüfung nicht (beheben und erneut prüfen)",
                    ("§ 16 BStatG (Praxis)", "ESS SDC Handbook"), True, True, False, 3, F.AGGREGATED),
    ExclusionGround("ETHICS_BOARD_VETO",
                    "Einwand des Datenethikbeirats (nicht rechtlich; begründet und veröffentlicht)",
                    ("Datenethikkonzept der Kommune",), True, False, False, 12, F.CLOSED),
    ExclusionGround("CONFIDENTIALITY_LEVEL",
                    "Vertraulichkeitsstufe „vertraulich“ oder höher (neu einstufen oder Ausschlussgrund belegen)",
                    ("Dienstanweisung Informationssicherheit", "ISO/IEC 27001 A.5.12"), True, False, False, 12,
                    F.INTERNAL),
    ExclusionGround("PROTECTION_NEED_VERY_HIGH", "Schutzbedarf Vertraulichkeit „sehr hoch“",
                    ("BSI-Standard 200-2",), True, False, False, 12, F.INTERNAL),
]  # fmt: skip
EXCLUSION_GROUNDS_BY_CODE = {ground.code: ground for ground in EXCLUSION_GROUNDS}


def all_terms() -> list[Term]:
    """Every term the reference data starts with (German labels, as stored)."""
    with translation.override("de"):
        return _all_terms()


def _all_terms() -> list[Term]:
    terms = _legal_basis_terms()
    terms += [
        Term(Vocabulary.PUBLICATION_BASIS, code, label, sources, attributes, url, valid_from)
        for code, label, sources, attributes, url, valid_from in PUBLICATION_BASES
    ]
    terms += [Term(Vocabulary.EXCLUSION_GROUND, g.code, g.label, g.sources, g.attributes()) for g in EXCLUSION_GROUNDS]
    terms += [
        Term(Vocabulary.LICENCE, licence.code, licence.label, attributes={"is_open": licence.is_open},
             source_url=licence.uri)
        for licence in LICENCES
    ]  # fmt: skip
    terms += [
        Term(
            Vocabulary.HVD_CATEGORY,
            category.value,
            str(category.label),
            sources=("DVO (EU) 2023/138",),
            source_url=category.uri,
            valid_from=date(2024, 6, 9),
        )
        for category in HVDCategory
    ]
    return terms
