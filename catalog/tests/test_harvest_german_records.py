"""Real German records come in (issue 23, first part): the licence, contact and format
forms that GovData, the states' portals and ckanext-dcat's DCAT → CKAN conversion pass on
are mapped instead of rejecting the record; what is not legally relevant is a warning.

The packages below follow records of German portals as ckanext-dcat turns them into CKAN
package dicts (GovData's example catalog, Rhineland-Palatinate's statistics office, Berlin
and Hamburg): licences only on the resources, in the DCAT-AP.de 1.x URI form, as GovData
or Creative Commons URLs or as text; obfuscated addresses; formats as EU file-type URIs in
the old MDR form and as names German portals use."""

import copy

import pytest

from catalog.harvest.mapping import map_format, map_licence
from catalog.models import Dataset
from catalog.tests.ckan_fake import running_fake_ckan
from catalog.tests.test_harvest import entries, make_source, run

LICENCES = [
    ("http://dcat-ap.de/def/licenses/dl-by-de/2_0", "dl-by-de/2.0"),
    ("http://dcat-ap.de/def/licenses/dl-zero-de/2_0", "dl-zero-de/2.0"),
    ("http://dcat-ap.de/def/licenses/official-work", "officialWork"),
    ("https://www.govdata.de/dl-de/by-2-0", "dl-by-de/2.0"),
    ("https://www.govdata.de/dl-de/zero-2-0", "dl-zero-de/2.0"),
    ("https://creativecommons.org/licenses/by/4.0/", "cc-by/4.0"),
    ("http://creativecommons.org/licenses/by/4.0/deed.de", "cc-by/4.0"),
    ("https://creativecommons.org/licenses/by-sa/4.0/legalcode", "cc-by-sa/4.0"),
    ("https://creativecommons.org/licenses/by/3.0/de/", "cc-by-de/3.0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "cc-zero"),
    ("https://creativecommons.org/publicdomain/mark/1.0/", "ccpdm/1.0"),
    ("CC BY 4.0", "cc-by/4.0"),
    ("CC-BY 4.0", "cc-by/4.0"),
    ("CC0 1.0", "cc-zero"),
    ("Datenlizenz Deutschland – Namensnennung – Version 2.0", "dl-by-de/2.0"),
    ("Datenlizenz Deutschland - Zero - Version 2.0", "dl-zero-de/2.0"),
    ("Creative Commons Namensnennung – 4.0 International (CC BY 4.0)", "cc-by/4.0"),
    ("Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG", "officialWork"),
]


@pytest.mark.parametrize(("value", "code"), LICENCES)
def test_the_licence_forms_of_german_portals_are_known(value, code):
    assert map_licence(value) == code


FORMATS = [
    ("http://publications.europa.eu/mdr/resource/authority/file-type/CSV", "CSV"),
    ("https://publications.europa.eu/resource/authority/file-type/XLSX", "XLSX"),
    ("XLS", "XLS"),
    ("application/vnd.ms-excel", "XLS"),
    ("http://publications.europa.eu/resource/authority/file-type/XLS", "XLS"),
    ("GML", "GML"),
    ("KML", "KML"),
    ("RSS", "RSS"),
    ("ATOM", "ATOM"),
    ("DOCX", "DOCX"),
    ("SHP", "SHP"),
    ("Shapefile", "SHP"),
    ("ESRI Shapefile", "SHP"),
    ("http://publications.europa.eu/resource/authority/file-type/SHP", "SHP"),
    ("https://www.iana.org/assignments/media-types/text/csv", "CSV"),
]


@pytest.mark.parametrize(("value", "code"), FORMATS)
def test_the_formats_of_german_portals_are_known(value, code):
    assert map_format(value, None, "https://daten.example/datei") == code


def package(name, *, license_id, email, resources, **more):
    return {
        "id": f"00000000-0000-4000-8000-{abs(hash(name)) % 10**12:012d}",
        "name": name,
        "title": name.replace("-", " ").title(),
        "notes": "Ein Datensatz wie ihn ein deutsches Portal liefert.",
        "license_id": license_id,
        "maintainer_email": email,
        "organization": {"name": "statistik", "title": "Statistisches Landesamt"},
        "metadata_modified": "2026-11-02T10:00:00",
        "resources": resources,
        "state": "active",
        **more,
    }


def resource(number, fmt, licence=None):
    data = {"id": f"res-{number}", "name": f"Datei {number}", "url": f"https://daten.example/{number}", "format": fmt}
    if licence:
        data["license"] = licence
    return data


GERMAN_RECORDS = [
    # As ckanext-dcat converts a DCAT-AP.de record: the licence on the distributions only.
    package(
        "bevoelkerung-rlp", license_id="", email="poststelle(at)statistik.rlp.de",
        resources=[
            resource(1, "http://publications.europa.eu/mdr/resource/authority/file-type/CSV",
                     "http://dcat-ap.de/def/licenses/dl-by-de/2_0"),
            resource(2, "XLS", "http://dcat-ap.de/def/licenses/dl-by-de/2_0"),
        ],
    ),
    package(
        "radverkehrsnetz-berlin", license_id="https://creativecommons.org/licenses/by/3.0/de/",
        email="opendata [at] senuvk.berlin.de",
        resources=[resource(3, "GML"), resource(4, "KML"), resource(5, "WFS"), resource(11, "DXF")],
    ),
    package(
        "baustellen-hamburg", license_id="https://www.govdata.de/dl-de/by-2-0", email="transparenz(at)hamburg(dot)de",
        resources=[resource(6, "RSS"), resource(7, "ATOM"), resource(8, "DOCX")],
    ),
    package(
        "haushalt-kreis", license_id="CC BY 4.0", email="keine Angabe",
        resources=[resource(9, "CSV"), resource(10, "SHP")],
    ),
]  # fmt: skip


@pytest.fixture
def german_source(org_a, admin_a, settings):
    settings.HARVEST_PAGE_SIZE = 100
    org_a.email = "opendata@stadt-a.example"
    org_a.save()
    with running_fake_ckan() as ckan:
        ckan.packages[:] = copy.deepcopy(GERMAN_RECORDS)
        yield make_source(ckan, admin_a, org_a)


def test_real_german_records_are_harvested_with_every_resource(german_source, admin_a, org_a):
    job = run(german_source, by=admin_a)

    assert entries(job, "failed") == {}
    datasets = {dataset.name: dataset for dataset in Dataset.objects.filter(harvest_record__isnull=False)}
    assert set(datasets) == {record["name"] for record in GERMAN_RECORDS}
    formats = {
        name: sorted(dataset.distributions.values_list("format", flat=True)) for name, dataset in datasets.items()
    }
    assert formats == {
        "bevoelkerung-rlp": ["CSV", "XLS"],
        "radverkehrsnetz-berlin": ["GML", "KML", "OTHER", "WFS_SRVC"],  # DXF: no file type here
        "baustellen-hamburg": ["ATOM", "DOCX", "RSS"],
        "haushalt-kreis": ["CSV", "SHP"],
    }
    assert datasets["bevoelkerung-rlp"].licence == "dl-by-de/2.0"
    assert datasets["bevoelkerung-rlp"].contact_email == "poststelle@statistik.rlp.de"
    assert datasets["radverkehrsnetz-berlin"].contact_email == "opendata@senuvk.berlin.de"
    assert datasets["baustellen-hamburg"].contact_email == "transparenz@hamburg.de"
    # Not an address at all: the publisher's address, and the report says so.
    assert datasets["haushalt-kreis"].contact_email == org_a.email

    warnings = entries(job, "warning")
    assert "Lizenz des Datensatzes fehlt an der Quelle; übernommen aus den Ressourcen" in warnings["bevoelkerung-rlp"]
    assert "„keine Angabe“" in warnings["haushalt-kreis"]
    # An unknown format is kept as „Sonstiges“ and reported, never dropped.
    assert (
        warnings["radverkehrsnetz-berlin"]
        == "Ressource „Datei 11“: Format „DXF“ unbekannt; als „Sonstiges“ übernommen."
    )


def test_a_record_without_any_licence_is_still_refused_with_its_reason(german_source, admin_a):
    german_source_packages = GERMAN_RECORDS[0] | {"resources": [resource(1, "CSV")]}
    with running_fake_ckan() as ckan:
        ckan.packages[:] = [copy.deepcopy(german_source_packages)]
        german_source.url = ckan.url
        german_source.save(update_fields=["url"])
        job = run(german_source, by=admin_a)

    [reason] = entries(job, "failed").values()
    assert reason == "Die Lizenz ist an der Quelle nicht angegeben, weder am Datensatz noch an seinen Ressourcen."


# ---- What is not legally relevant is a warning, never a rejection ----------------------------------


def mapped(package_dict, source):
    from catalog.harvest.mapping import Mapper

    return Mapper(source).map(copy.deepcopy(package_dict))


def test_the_licence_taken_from_the_resources_is_the_most_common_and_the_first_on_a_tie(german_source):
    first = package("a", license_id="", email="a@b.example", resources=[
        resource(1, "CSV", "CC BY 4.0"), resource(2, "CSV", "dl-de-by-2.0"),
    ])  # fmt: skip
    second = package("b", license_id="", email="a@b.example", resources=[
        resource(1, "CSV", "dl-de-by-2.0"), resource(2, "CSV", "CC BY 4.0"), resource(3, "CSV", "CC BY 4.0"),
    ])  # fmt: skip

    assert mapped(first, german_source).fields["licence"] == "cc-by/4.0"
    assert mapped(second, german_source).fields["licence"] == "cc-by/4.0"


def test_an_unknown_licence_on_one_resource_is_a_warning_not_a_rejection(german_source):
    record = package("c", license_id="dl-de-by-2.0", email="a@b.example", resources=[
        resource(1, "CSV"), resource(2, "CSV", "Nutzung nach Absprache"),
    ])  # fmt: skip

    result = mapped(record, german_source)

    assert result.fields["licence"] == "dl-by-de/2.0"
    assert [values["licence"] for values in result.resources] == ["", ""]
    assert (
        "Ressource „Datei 2“: Die Lizenz „Nutzung nach Absprache“ kennt der Katalog nicht; es gilt die des Datensatzes."
        in result.warnings
    )


def test_addresses_and_titles_a_record_gets_wrong_are_warnings(german_source):
    record = package(
        "d",
        license_id="dl-de-by-2.0",
        email="a@b.example",
        url="www.statistik.example/daten",
        title="Bevölkerung " * 40,
        resources=[resource(1, "CSV"), {"id": "r2", "name": "Kaputt", "url": "htp//x", "format": "CSV"}],
    )

    result = mapped(record, german_source)

    assert len(result.fields["title"]) <= 300
    assert result.fields["title"].endswith("…")
    assert result.fields["landing_page"] == ""
    assert [values["id"] for values in result.resources] == ["res-1"]
    assert set(result.warnings) >= {
        "Der Titel ist länger als 300 Zeichen und wurde gekürzt.",
        "Ungültige Adresse der Webseite (url) „www.statistik.example/daten“ übergangen.",
        "Ressource „Kaputt“: ungültige Adresse „htp//x“; nicht übernommen.",
    }


def test_only_a_ckan_source_gets_its_dataset_page_as_landing_page(german_source):
    from catalog.models import HarvestKind

    record = package("e", license_id="dl-de-by-2.0", email="a@b.example", resources=[resource(1, "CSV")])

    assert mapped(record, german_source).fields["landing_page"] == f"{german_source.url}/dataset/e"
    german_source.kind = HarvestKind.DCAT
    assert mapped(record, german_source).fields["landing_page"] == ""


def test_a_place_name_given_as_a_json_list_is_read(german_source):
    record = package(
        "f",
        license_id="dl-de-by-2.0",
        email="a@b.example",
        resources=[resource(1, "CSV")],
        extras=[{"key": "geocodingText", "value": '["Rostock"]'}],
    )

    assert mapped(record, german_source).fields["spatial_label"] == "Rostock"


def test_an_organisation_of_the_source_is_mapped_by_its_name_or_its_title(german_source, org_a_department):
    from catalog.harvest import service

    service.save_source(german_source, by=german_source.responsible, fields={},
                        mappings=[("Statistisches Landesamt", org_a_department)])  # fmt: skip
    record = package("g", license_id="dl-de-by-2.0", email="a@b.example", resources=[resource(1, "CSV")])

    assert mapped(record, german_source).fields["publisher"] == org_a_department
