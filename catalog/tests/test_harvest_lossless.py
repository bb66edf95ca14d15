"""Harvesting Stadtdaten from Stadtdaten loses nothing (issue 23): a dataset with every
field filled (HVD, original publication date, spatial resolution, attribution, an upload
and links with size and checksum) is dictized exactly as the CKAN Action API publishes it
(portal.ckan.dictize), mapped, and harvested through the real run path from a local CKAN
server; the harvested dataset says field by field what the original says, and so does its
own CKAN package dict. Unknown formats are kept as „Sonstiges“ and reported, and what the
portal then publishes of them is valid DCAT-AP.de."""

import copy
import importlib
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rdflib import Graph, Namespace, URIRef

from catalog import services
from catalog.harvest.mapping import Mapper, content_hash
from catalog.models import Dataset, DatasetState, Distribution, HarvestRecord
from catalog.tests.ckan_fake import running_fake_ckan, trusted_sources_on_loopback
from catalog.tests.conftest import dataset_fields
from catalog.tests.test_harvest import counts, entries, make_source, run
from portal.ckan.dictize import packages
from portal.projection import COLUMNS

SOURCE = "https://daten.quelle.example"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
CSV = "Station;Datum;PM10\r\n1;2024-01-01;12\r\n2;2024-01-01;17\r\n"
# The dataset fields the CKAN API publishes and the harvester takes over.
FIELDS = (
    "title", "description", "publisher", "licence", "contact_name", "contact_email", "landing_page",
    "attribution_text", "update_frequency", "language", "geocoding_level", "municipality_key", "spatial_label",
    "spatial_resolution_m", "temporal_start", "temporal_end", "hvd_category", "issued",
)  # fmt: skip
ISSUED = datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.HARVEST_PAGE_SIZE = 10


@pytest.fixture
def ckan():
    with running_fake_ckan() as fake:
        yield fake


def full_dataset(org_a, steward_a, *, name="luftqualitaet") -> Dataset:
    """A high-value dataset with every field the CKAN API publishes, an upload and links."""
    dataset = services.create_dataset(
        by=steward_a,
        fields=dataset_fields(
            org_a, name=name, title="Luftqualität", description="Stündliche Messwerte der **Luftmessnetz**-Stationen.",
            contact_name="Umweltamt", contact_email="umwelt@stadt-a.example", landing_page="https://stadt-a.example/luft",
            licence="cc-by/4.0", attribution_text="Stadt A, Umweltamt", geocoding_level="municipality",
            municipality_key="16053000", spatial_label="Stadtgebiet A", spatial_resolution_m=Decimal("25.50"),
            temporal_start=date(2020, 1, 1), temporal_end=date(2024, 12, 31), update_frequency="HOURLY",
            language="DEU", hvd_category="c_dd313021",
        ),
        keywords=["Luft", "Feinstaub"],
        themes=["ENVI", "HEAL"],
    )  # fmt: skip
    Dataset.objects.filter(pk=dataset.pk).update(issued=ISSUED)
    upload = SimpleUploadedFile("messwerte.csv", CSV.encode(), content_type="text/csv")
    services.add_distribution(dataset, by=steward_a, title="Messwerte (CSV)", upload=upload)
    api = services.add_distribution(
        dataset, by=steward_a, title="Messwerte-API", access_url="https://api.stadt-a.example/luft", format="JSON",
        kind="api", description="Aktuelle Werte je Station", licence="dl-zero-de/2.0",
    )  # fmt: skip
    services.add_distribution(
        dataset, by=steward_a, title="Messnetz als Kartendienst", kind="service", format="WMS_SRVC",
        access_url="https://geo.stadt-a.example/wms/luft?SERVICE=WMS&REQUEST=GetCapabilities",
    )  # fmt: skip
    stations = services.add_distribution(
        dataset, by=steward_a, title="Stationen (GeoJSON)", access_url="https://daten.stadt-a.example/stationen.geojson",
        format="GEOJSON",
    )  # fmt: skip
    # Sizes and checksums of links, as an earlier harvest or the link check would know them.
    Distribution.objects.filter(pk=stations.pk).update(byte_size=48213, checksum_sha256=SHA256)
    Distribution.objects.filter(pk=api.pk).update(byte_size=0)
    return Dataset.objects.get(pk=dataset.pk)


def package_of(dataset: Dataset) -> dict:
    """The dataset's package dict as the CKAN Action API of the source portal gives it."""
    [package] = packages(Dataset.objects.filter(pk=dataset.pk).values(*COLUMNS), SOURCE)
    return package


def expected_fields(dataset: Dataset) -> dict:
    return {name: getattr(dataset, name) for name in FIELDS}


def expected_resources(dataset: Dataset, package: dict) -> list[dict]:
    urls = {resource["id"]: resource["url"] for resource in package["resources"]}
    return [
        {
            "id": str(distribution.identifier),
            "title": distribution.title,
            "description": distribution.description,
            "access_url": urls[str(distribution.identifier)],  # an upload: its download address at the source
            "format": distribution.format,
            "media_type": distribution.media_type,
            "kind": distribution.kind,
            "licence": distribution.licence,
            "byte_size": distribution.byte_size,
            "checksum_sha256": distribution.checksum_sha256,
        }
        for distribution in dataset.distributions.order_by("created", "pk")
    ]


def resources_of(dataset: Dataset, package: dict) -> list[dict]:
    """The harvested dataset's distributions, shaped like expected_resources (remote ids)."""
    by_pk = {pk: remote_id for remote_id, pk in dataset.harvest_record.resources.items()}
    return sorted(
        (
            {"id": by_pk[distribution.pk], **{name: getattr(distribution, name) for name in services.LINK_FIELDS}}
            for distribution in dataset.distributions.all()
        ),
        key=lambda values: [resource["id"] for resource in package["resources"]].index(values["id"]),
    )


def move_aside(dataset: Dataset) -> None:
    """The original leaves room for its copy: another identifier and name, as if it lived in
    another installation (a portal refuses records that carry its own identifiers)."""
    Dataset.objects.filter(pk=dataset.pk).update(identifier=uuid.uuid4(), name=f"{dataset.name}-original")


def comparable(package: dict) -> dict:
    """A package dict without what differs between two installations by nature: ids,
    timestamps, and that an upload at the source is a link here."""
    package = copy.deepcopy(package)
    for key in ("id", "metadata_created", "metadata_modified"):
        del package[key]
    for resource in package["resources"]:
        for key in ("id", "package_id", "created", "last_modified", "metadata_modified", "resource_type", "url_type"):
            del resource[key]
    return package


# ---- The mapper reads everything the CKAN API publishes --------------------------------


def test_the_mapper_reads_every_field_stadtdaten_publishes(ckan, org_a, steward_a, admin_a):
    dataset = full_dataset(org_a, steward_a)
    package = package_of(dataset)
    source = make_source(ckan, admin_a, org_a, mappings=[(org_a.slug, org_a)])

    mapped = Mapper(source).map(package)

    assert mapped.fields == expected_fields(dataset)
    assert sorted(mapped.keywords) == ["Feinstaub", "Luft"]
    assert mapped.themes == ["ENVI", "HEAL"]
    assert mapped.resources == expected_resources(dataset, package)
    assert mapped.warnings == []
    # The original publication date is taken once, when the dataset is created here: it is
    # not part of what later runs compare.
    assert "issued" not in mapped.snapshot()


def test_a_trusted_harvest_of_stadtdaten_keeps_every_field(ckan, org_a, steward_a, admin_a, default_rules, monkeypatch):
    trusted_sources_on_loopback(monkeypatch)
    original = full_dataset(org_a, steward_a)
    package = package_of(original)
    move_aside(original)
    ckan.packages[:] = [package]
    source = make_source(ckan, admin_a, org_a, trusted=True, mappings=[(org_a.slug, org_a)])

    job = run(source, by=admin_a)

    assert counts(job) == {"created": 1, "updated": 0, "unchanged": 0, "removed": 0, "failed": 0}, job.report
    assert entries(job, "warning") == {}
    copy_ = Dataset.objects.get(name="luftqualitaet")
    assert copy_.state == DatasetState.PUBLISHED
    # Published here, it keeps the date it was first published at the source.
    assert expected_fields(copy_) == expected_fields(original)
    assert sorted(copy_.keywords.values_list("name", flat=True)) == ["Feinstaub", "Luft"]
    assert sorted(copy_.themes.values_list("code", flat=True)) == ["ENVI", "HEAL"]
    assert resources_of(copy_, package) == expected_resources(original, package)
    # The two catalogs compared field by field: the copy's CKAN dict is the original's.
    assert comparable(package_of(copy_)) == comparable(package)

    again = run(source, by=admin_a)
    assert counts(again)["unchanged"] == 1


# ---- Single values --------------------------------------------------------------------


@pytest.fixture
def source(ckan, org_a, admin_a):
    return make_source(ckan, admin_a, org_a, mappings=[(org_a.slug, org_a)])


def minimal(**more) -> dict:
    return {
        "id": "7d7b4a52-3f44-4a44-9d1c-4b4d2b1f0001",
        "name": "baeume",
        "title": "Bäume",
        "notes": "Alle Bäume.",
        "license_id": "http://dcat-ap.de/def/licenses/cc-by/4.0",
        "maintainer_email": "gruen@stadt-a.example",
        "metadata_modified": "2026-11-02T10:00:00",
        "resources": [],
        **more,
    }


def extras(**values) -> list[dict]:
    return [{"key": key, "value": value} for key, value in values.items()]


HVD = "http://data.europa.eu/bna/c_ac64a52d"
HVD_LAW = '["http://data.europa.eu/eli/reg_impl/2023/138/oj"]'


@pytest.mark.parametrize(
    ("given", "category", "warning"),
    [
        ({"hvd_category": HVD, "applicable_legislation": HVD_LAW}, "c_ac64a52d", None),
        # ckanext-dcat's DCAT-AP 3 schema: lists, the regulation's address in another spelling.
        ({"hvd_category": f'["{HVD}"]', "applicable_legislation": '["https://data.europa.eu/eli/reg_impl/2023/138/oj/"]'},
         "c_ac64a52d", None),
        ({"hvd_category": HVD}, "c_ac64a52d",
         "HVD-Kategorie ohne die Durchführungsverordnung (EU) 2023/138 als Rechtsgrundlage angegeben; als hochwertiger "
         "Datensatz übernommen (die Kategorie schließt die Verordnung ein)."),
        ({"applicable_legislation": HVD_LAW}, None,
         "Die Durchführungsverordnung (EU) 2023/138 ist als Rechtsgrundlage angegeben, aber keine HVD-Kategorie; nicht "
         "als hochwertiger Datensatz übernommen."),
        ({"hvd_category": "http://data.europa.eu/bna/c_00000000", "applicable_legislation": HVD_LAW}, None,
         "Die HVD-Kategorie „http://data.europa.eu/bna/c_00000000“ ist im Katalog nicht bekannt; nicht übernommen."),
        ({"applicable_legislation": '["http://data.europa.eu/eli/dir/2019/1024/oj"]'}, None, None),
    ],
)  # fmt: skip
def test_the_hvd_category_and_its_legislation(source, given, category, warning):
    mapped = Mapper(source).map(minimal(extras=extras(**given)))

    assert mapped.fields.get("hvd_category") == category
    assert mapped.warnings == ([warning] if warning else [])


def test_a_high_value_dataset_without_an_open_licence_is_taken_without_its_category(source):
    package = minimal(license_id="cc-by-nc", extras=extras(hvd_category=HVD, applicable_legislation=HVD_LAW))

    mapped = Mapper(source).map(package)

    assert "hvd_category" not in mapped.fields
    assert mapped.warnings == [
        "Die Quelle nennt den Datensatz hochwertig (HVD), aber seine Lizenz ist nicht offen; ohne HVD-Kategorie "
        "übernommen."
    ]


def test_what_the_source_does_not_give_is_not_among_the_fields(source):
    mapped = Mapper(source).map(minimal())

    assert not {"hvd_category", "issued", "spatial_resolution_m", "attribution_text"} & set(mapped.fields)


@pytest.mark.parametrize(
    ("given", "value", "warning"),
    [
        ("25.00", Decimal("25.00"), None),
        ("0.5", Decimal("0.50"), None),
        (["10"], Decimal("10.00"), None),
        ("zehn", None, "Ungültige räumliche Auflösung („zehn“) übergangen."),
        ("-3", None, "Ungültige räumliche Auflösung („-3“) übergangen."),
        ("123456789012", None, "Ungültige räumliche Auflösung („123456789012“) übergangen."),
    ],
)
def test_the_spatial_resolution(source, given, value, warning):
    value_json = json.dumps(given) if isinstance(given, list) else given
    mapped = Mapper(source).map(minimal(extras=extras(spatial_resolution_in_meters=value_json)))

    assert mapped.fields.get("spatial_resolution_m") == value
    assert mapped.warnings == ([warning] if warning else [])


def test_the_issued_date_of_the_source(source):
    mapped = Mapper(source).map(minimal(extras=extras(issued="2019-05-06T07:08:09.000001")))
    assert mapped.fields["issued"] == datetime(2019, 5, 6, 7, 8, 9, 1, tzinfo=UTC)
    mapped = Mapper(source).map(minimal(extras=extras(issued="2019-05-06")))
    assert mapped.fields["issued"] == datetime(2019, 5, 6, tzinfo=UTC)
    mapped = Mapper(source).map(minimal(extras=extras(issued="gestern")))
    assert "issued" not in mapped.fields
    assert mapped.warnings == ["Ungültiges Datum in issued („gestern“) übergangen."]


def resource(**more) -> dict:
    return {"id": "r1", "name": "Bäume (CSV)", "url": "https://daten.example/baeume.csv", "format": "CSV", **more}


@pytest.mark.parametrize(
    ("given", "checksum"),
    [
        (SHA256, SHA256),
        (SHA256.upper(), SHA256),
        (f"sha256:{SHA256}", SHA256),
        (f"SHA-256:{SHA256}", SHA256),
        ("md5:098f6bcd4621d373cade4e832627b4f6", ""),  # another algorithm: left out, no error
        ("098f6bcd4621d373cade4e832627b4f6", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_the_checksum_of_a_resource(source, given, checksum):
    mapped = Mapper(source).map(minimal(resources=[resource(hash=given)]))

    assert mapped.resources[0]["checksum_sha256"] == checksum
    assert mapped.warnings == []


def test_a_checksum_of_another_algorithm_named_apart_is_left_out(source):
    # ckanext-dcat keeps spdx:algorithm in hash_algorithm.
    given = resource(hash=SHA256, hash_algorithm="http://spdx.org/rdf/terms#checksumAlgorithm_sha1")
    assert Mapper(source).map(minimal(resources=[given])).resources[0]["checksum_sha256"] == ""
    given["hash_algorithm"] = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
    assert Mapper(source).map(minimal(resources=[given])).resources[0]["checksum_sha256"] == SHA256


@pytest.mark.parametrize(
    ("given", "size", "warning"),
    [
        (1234, 1234, None),
        ("1234", 1234, None),
        (0, 0, None),
        (None, None, None),
        ("", None, None),
        ("1,2 MB", None, "Ressource „Bäume (CSV)“: ungültige Größe „1,2 MB“ übergangen."),
        (-5, None, "Ressource „Bäume (CSV)“: ungültige Größe „-5“ übergangen."),
    ],
)
def test_the_size_of_a_resource(source, given, size, warning):
    mapped = Mapper(source).map(minimal(resources=[resource(size=given)]))

    assert mapped.resources[0]["byte_size"] == size
    assert mapped.warnings == ([warning] if warning else [])


def test_the_attribution_of_the_resources_is_the_datasets_when_it_has_none(source):
    resources = [resource(), resource(id="r2", licenseAttributionByText="Stadt A, Grünflächenamt")]
    assert Mapper(source).map(minimal(resources=resources)).fields["attribution_text"] == "Stadt A, Grünflächenamt"
    package = minimal(resources=resources, extras=extras(licenseAttributionByText="Stadt A"))
    assert Mapper(source).map(package).fields["attribution_text"] == "Stadt A"


def test_the_original_issued_date_is_taken_only_when_the_dataset_is_created(ckan, source, admin_a):
    package = minimal(extras=extras(issued="2019-05-06T07:08:09"))
    ckan.packages[:] = [package]
    run(source, by=admin_a)
    dataset = Dataset.objects.get(name="baeume")
    assert dataset.issued == datetime(2019, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert "issued" not in dataset.harvest_record.snapshot

    package["title"] = "Bäume der Stadt A"
    package["extras"] = extras(issued="2025-01-01T00:00:00")
    job = run(source, by=admin_a)

    assert entries(job, "updated") == {"baeume": "Geändert: Titel."}
    dataset.refresh_from_db()
    assert (dataset.title, dataset.issued) == ("Bäume der Stadt A", datetime(2019, 5, 6, 7, 8, 9, tzinfo=UTC))


# ---- Records harvested before sizes and checksums were compared ----------------------------


def test_records_harvested_before_sizes_and_checksums_take_them_without_a_false_conflict(ckan, source, admin_a):
    """Snapshots written before byte_size, checksum_sha256 and media_type were link fields
    get them once (migration 0011, with what the run then wrote). The first run after it
    takes the sizes and checksums the source gave all along as the source's change, not
    as a local edit (which an untrusted source would refuse to overwrite, run after run)."""
    package = minimal(resources=[resource(size=512, hash=f"sha256:{SHA256}")])
    ckan.packages[:] = [package]
    run(source, by=admin_a)
    Distribution.objects.update(byte_size=None, checksum_sha256="")  # as the old harvester wrote them
    record = HarvestRecord.objects.get()
    for values in record.snapshot["distributions"]:  # as the old harvester wrote it
        for key in ("media_type", "byte_size", "checksum_sha256"):
            del values[key]
    record.content_hash = content_hash(record.snapshot)
    record.save(update_fields=["snapshot", "content_hash"])
    migration = importlib.import_module("catalog.migrations.0011_other_file_type")
    migration.add_new_fields_to_snapshots(apps, None)

    job = run(source, by=admin_a)

    assert entries(job, "failed") == {}
    assert entries(job, "updated") == {"baeume": "Geändert: Distributionen."}
    distribution = Dataset.objects.get(name="baeume").distributions.get()
    assert (distribution.byte_size, distribution.checksum_sha256, distribution.media_type) == (512, SHA256, "text/csv")


def test_a_local_edit_of_a_field_the_harvester_now_reads_is_reported_not_overwritten(ckan, source, admin_a):
    package = minimal()
    ckan.packages[:] = [package]
    run(source, by=admin_a)  # the old harvester read no HVD category
    Dataset.objects.filter(name="baeume").update(hvd_category="c_e1da4e07")  # set here meanwhile
    migration = importlib.import_module("catalog.migrations.0011_other_file_type")
    migration.add_new_fields_to_snapshots(apps, None)
    package["extras"] = extras(hvd_category=HVD, applicable_legislation=HVD_LAW)

    job = run(source, by=admin_a)

    assert entries(job, "failed")["baeume"].startswith(
        "Lokal geändert seit der letzten Übernahme (Hochwertiger Datensatz (HVD));"
    )
    assert Dataset.objects.get(name="baeume").hvd_category == "c_e1da4e07"


# ---- Unknown formats: kept as „Sonstiges“ and reported ------------------------------------


def test_an_unknown_format_is_kept_as_other_with_its_media_type_and_reported(source):
    resources = [
        resource(id="r1", name="Plan (CAD)", url="https://daten.example/plan", format="DWG", mimetype="image/vnd.dwg"),
        resource(id="r2", name="Plan (Rohdaten)", url="https://daten.example/roh", format="", mimetype=None),
        resource(id="r3", name="Plan (IANA)", url="https://daten.example/x",
                 format="https://www.iana.org/assignments/media-types/application/vnd.dxf"),
        resource(id="r4", name="Ohne Adresse", url=""),
    ]  # fmt: skip

    mapped = Mapper(source).map(minimal(resources=resources))

    assert [(r["id"], r["format"], r["media_type"], r["kind"]) for r in mapped.resources] == [
        ("r1", "OTHER", "image/vnd.dwg", "download"),
        ("r2", "OTHER", "", "download"),
        ("r3", "OTHER", "application/vnd.dxf", "download"),
    ]
    assert mapped.warnings == [
        "Ressource „Plan (CAD)“: Format „DWG“ unbekannt; als „Sonstiges“ übernommen.",
        "Ressource „Plan (Rohdaten)“: kein Format angegeben; als „Sonstiges“ übernommen.",
        "Ressource „Plan (IANA)“: Format „https://www.iana.org/assignments/media-types/application/vnd.dxf“ "
        "unbekannt; als „Sonstiges“ übernommen.",
        "Ressource „Ohne Adresse“ hat keine Adresse und wurde nicht übernommen.",
    ]


def shacl_violations(document: bytes) -> tuple[list, list]:
    from portal.tests.test_dcat_shacl import SHAPES, dcat_ap_3_plain, dcat_ap_de_3, validate

    if not (SHAPES / "dcat-ap-3.0.0").is_dir():
        pytest.skip(f"The DCAT-AP SHACL shapes are not in {SHAPES}.")
    violations, warnings = validate(document, dcat_ap_de_3())
    plain, _warnings = validate(document, dcat_ap_3_plain(), inference="rdfs", vocabularies=False)
    return violations + plain, [warning for warning in warnings if "Vokabular" not in warning]


def test_other_formats_round_trip_and_are_published_as_valid_dcat_ap_de(
    ckan, org_a, steward_a, admin_a, default_rules, monkeypatch, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    trusted_sources_on_loopback(monkeypatch)
    original = services.create_dataset(
        by=steward_a,
        fields=dataset_fields(
            org_a, name="stadtplan", licence="cc-by/4.0", landing_page="https://stadt-a.example/plan"
        ),
        themes=["REGI"],
    )
    Dataset.objects.filter(pk=original.pk).update(issued=ISSUED)
    for title, url in (("Stadtplan (CAD)", "https://daten.stadt-a.example/plan"),
                       ("Stadtplan (Rohdaten)", "https://daten.stadt-a.example/roh")):  # fmt: skip
        services.add_distribution(original, by=steward_a, title=title, access_url=url, format="OTHER")
    Distribution.objects.filter(title="Stadtplan (CAD)").update(media_type="image/vnd.dwg")
    package = package_of(original)
    # No EU file type, so no code of this catalog: the media type where there is one.
    assert [(r["format"], r["mimetype"]) for r in package["resources"]] == [
        ("image/vnd.dwg", "image/vnd.dwg"),
        ("", None),
    ]
    move_aside(original)
    ckan.packages[:] = [package]
    source = make_source(ckan, admin_a, org_a, trusted=True, mappings=[(org_a.slug, org_a)])

    job = run(source, by=admin_a)

    copy_ = Dataset.objects.get(name="stadtplan")
    assert copy_.state == DatasetState.PUBLISHED, job.report
    assert sorted(copy_.distributions.values_list("title", "format", "media_type")) == [
        ("Stadtplan (CAD)", "OTHER", "image/vnd.dwg"),
        ("Stadtplan (Rohdaten)", "OTHER", ""),
    ]
    assert comparable(package_of(copy_)) == comparable(package)

    document = Client().get("/dataset/stadtplan.ttl").content
    graph = Graph().parse(data=document, format="turtle")
    distributions = list(graph.objects(URIRef("http://127.0.0.1:8000/dataset/stadtplan"), DCAT.distribution))
    assert len(distributions) == 2
    assert not list(graph.objects(None, DCT["format"]))  # no EU file type claimed
    assert [str(media) for media in graph.objects(None, DCAT.mediaType)] == [
        "https://www.iana.org/assignments/media-types/image/vnd.dwg"
    ]
    assert shacl_violations(document) == ([], [])
