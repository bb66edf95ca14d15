"""The national and state laws among the legal bases of processing (issue 22): the BDSG,
the data protection acts of all 16 states, IfSG, UIG, GeoZG and the statistics acts.
Frozen here as written (German labels), with a first history record each, as in 0003."""

import datetime

from django.db import migrations
from django.utils import timezone

VALID_FROM = datetime.date(2018, 5, 25)

# (code, label, sources, attributes, source_url)
TERMS = [
    (
        "DE_BDSG",
        "BDSG – Bundesdatenschutzgesetz (u. a. § 3, § 22)",
        ("BDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "https://www.gesetze-im-internet.de/bdsg_2018/",
    ),
    (
        "DE_IFSG",
        "IfSG – Infektionsschutzgesetz",
        ("IfSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "https://www.gesetze-im-internet.de/ifsg/",
    ),
    (
        "DE_UIG",
        "UIG – Umweltinformationsgesetz",
        ("UIG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "https://www.gesetze-im-internet.de/uig_2005/",
    ),
    (
        "DE_GEOZG",
        "GeoZG – Geodatenzugangsgesetz",
        ("GeoZG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "https://www.gesetze-im-internet.de/geozg/",
    ),
    (
        "DE_BSTATG",
        "BStatG – Bundesstatistikgesetz",
        ("BStatG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "https://www.gesetze-im-internet.de/bstatg_1987/",
    ),
    (
        "LAND_DSG_BW",
        "LDSG BW – Landesdatenschutzgesetz Baden-Württemberg",
        ("LDSG BW",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_BY",
        "BayDSG – Bayerisches Datenschutzgesetz",
        ("BayDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_BE",
        "BlnDSG – Berliner Datenschutzgesetz",
        ("BlnDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_BB",
        "BbgDSG – Brandenburgisches Datenschutzgesetz",
        ("BbgDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_HB",
        "BremDSGVOAG – Bremisches Ausführungsgesetz zur DSGVO",
        ("BremDSGVOAG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_HH",
        "HmbDSG – Hamburgisches Datenschutzgesetz",
        ("HmbDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_HE",
        "HDSIG – Hessisches Datenschutz- und Informationsfreiheitsgesetz",
        ("HDSIG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_MV",
        "DSG M-V – Landesdatenschutzgesetz Mecklenburg-Vorpommern",
        ("DSG M-V",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_NI",
        "NDSG – Niedersächsisches Datenschutzgesetz",
        ("NDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_NW",
        "DSG NRW – Datenschutzgesetz Nordrhein-Westfalen",
        ("DSG NRW",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_RP",
        "LDSG RP – Landesdatenschutzgesetz Rheinland-Pfalz",
        ("LDSG RP",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_SL",
        "SDSG – Saarländisches Datenschutzgesetz",
        ("SDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_SN",
        "SächsDSDG – Sächsisches Datenschutzdurchführungsgesetz",
        ("SächsDSDG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_ST",
        "DSAG LSA – Datenschutz-Grundverordnungs-Ausfüllungsgesetz Sachsen-Anhalt",
        ("DSAG LSA",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_SH",
        "LDSG SH – Landesdatenschutzgesetz Schleswig-Holstein",
        ("LDSG SH",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_DSG_TH",
        "ThürDSG – Thüringer Datenschutzgesetz",
        ("ThürDSG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_STATG_BW",
        "LStatG BW – Landesstatistikgesetz Baden-Württemberg",
        ("LStatG BW",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_STATG_BY",
        "BayStatG – Bayerisches Statistikgesetz",
        ("BayStatG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
    (
        "LAND_STATG_TH",
        "ThürStatG – Thüringer Statistikgesetz",
        ("ThürStatG",),
        {
            "requires_member_state_law": False,
            "available_to_public_task": True,
            "special_category": False,
            "national_law": True,
        },
        "",
    ),
]


def load_terms(apps, schema_editor):
    VocabularyTerm = apps.get_model("governance", "VocabularyTerm")
    HistoricalVocabularyTerm = apps.get_model("governance", "HistoricalVocabularyTerm")
    now = timezone.now()
    for code, label, sources, attributes, source_url in TERMS:
        if VocabularyTerm.objects.filter(vocabulary="legal_basis", code=code).exists():
            continue
        row = VocabularyTerm.objects.create(
            vocabulary="legal_basis",
            code=code,
            label=label,
            sources=list(sources),
            attributes=attributes,
            source_url=source_url,
            valid_from=VALID_FROM,
        )
        HistoricalVocabularyTerm.objects.create(
            id=row.pk,
            vocabulary=row.vocabulary,
            code=row.code,
            label=row.label,
            sources=row.sources,
            attributes=row.attributes,
            source_url=row.source_url,
            valid_from=row.valid_from,
            valid_until=None,
            history_date=now,
            history_type="+",
            history_change_reason="governance.vocabulary.loaded",
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0010_oidc")]

    operations = [migrations.RunPython(load_terms, migrations.RunPython.noop)]
