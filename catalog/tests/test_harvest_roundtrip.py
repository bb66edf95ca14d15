"""Harvesting Stadtdaten from Stadtdaten keeps every field Stadtdaten publishes (issue 23,
"lossless round trip"): a second Stadtdaten serves the demo catalog on loopback
(catalog/tests/stadtdaten_server.py, one server for the session), this one harvests it
through the real code path, once from its CKAN API and once from its DCAT-AP.de catalog,
and every published dataset of the server (as its CKAN API says it: package_search) is
compared field by field with the harvested draft. All differences go into one assertion
message, "dataset.field: source vs harvested", so the list says exactly what is lost.

Where the source has no landing page, the harvester points at the source's own page of
the dataset (its DCAT URI, which is the CKAN reader's fallback, or the portal page
DCAT names): that is not a loss."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from catalog.harvest import service
from catalog.harvest.service import run_harvest
from catalog.models import Dataset, Distribution, HarvestJob, HarvestRecord, HarvestStatus
from catalog.tests.stadtdaten_server import running_stadtdaten
from catalog.vocabularies import LICENCES, Frequency, GeocodingLevel, HVDCategory, Language
from conftest import make_organisation, make_role_holder
from governance.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("stadtdaten_server")]

LICENCE_CODES = {licence.uri: licence.code for licence in LICENCES}
FREQUENCIES = {choice.uri: choice.value for choice in Frequency}
LANGUAGES = {choice.uri: choice.value for choice in Language}
GEOCODING_LEVELS = {choice.uri: choice.value for choice in GeocodingLevel}
HVD_CATEGORIES = {choice.uri: choice.value for choice in HVDCategory}
MUNICIPALITY_KEY = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"


@pytest.fixture(scope="session")
def stadtdaten(tmp_path_factory):
    """The demo catalog on a second Stadtdaten (about a minute to migrate and seed)."""
    with running_stadtdaten(tmp_path_factory.mktemp("stadtdaten-source")) as server:
        yield server


@pytest.fixture
def published(stadtdaten) -> list[dict]:
    """Every published dataset of the server, as its CKAN API publishes it."""
    answer = requests.get(
        f"{stadtdaten.url}/api/3/action/package_search", params={"rows": 1000, "sort": "id asc"}, timeout=30
    ).json()["result"]
    assert answer["count"] == len(answer["results"]) > 0
    return answer["results"]


@pytest.fixture
def harvester(settings, stadtdaten, published, vocabularies):
    """This portal: another address than the server (SITE_URL), the server admitted by the
    outbound guard, an organisation for each of the server's publishers (mapped by name)
    below a city whose governance admin runs the source."""
    settings.SITE_URL = "https://stadtdaten-harvester.example"
    settings.OUTBOUND_ALLOWED_HOSTS = [stadtdaten.host_port]
    city = make_organisation("harvester-stadt", name="Harvester-Stadt", email="daten@harvester.example")
    remote = {package["organization"]["name"]: package["organization"]["title"] for package in published}
    mapping = {
        name: make_organisation(f"lokal-{name}", name=title, parent=city, legal_entity=city)
        for name, title in sorted(remote.items())
    }
    # After the units: a role covers the units that exist when it is given.
    admin = make_role_holder("harvest-admin", Role.GOVERNANCE_ADMIN, city)
    # CKAN names an organisation by its slug, DCAT's foaf:Agent by its name: both are mapped.
    mappings = [*mapping.items(), *((remote[name], organisation) for name, organisation in mapping.items())]
    return {"city": city, "mapping": mapping, "mappings": mappings, "admin": admin}


def harvest(stadtdaten, harvester, *, kind: str, url: str) -> HarvestJob:
    source = service.save_source(
        None,
        by=harvester["admin"],
        fields={
            "name": f"Stadtdaten-Demo ({kind})",
            "kind": kind,
            "url": url,
            "default_organisation": harvester["city"],
            "responsible": harvester["admin"],
            "trusted": False,
        },
        mappings=harvester["mappings"],
    )
    job = HarvestJob.objects.create(source=source, triggered_by=harvester["admin"])
    run_harvest(job.pk)
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------
# What the source publishes and what the harvest kept, in the catalog's terms


def extras(package: dict) -> dict:
    return {extra["key"]: extra["value"] for extra in package.get("extras") or []}


def source_datetime(value: str | None) -> str | None:
    """CKAN's timestamps are naive ISO 8601 in UTC; compared as ISO 8601 with the zone."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat() if value else None


def decimal_text(value) -> str | None:
    return str(Decimal(value).normalize()) if value not in (None, "") else None


def published_fields(package: dict, mapping: dict) -> dict:
    values = extras(package)
    language = json.loads(values.get("language") or "[]")
    attribution = {resource.get("licenseAttributionByText") or "" for resource in package["resources"]}
    spatial = values.get("politicalGeocodingURI") or ""
    return {
        "title": package["title"],
        "description": package["notes"],
        "publisher": mapping[package["organization"]["name"]].slug,
        "licence": LICENCE_CODES.get(package["license_id"], package["license_id"]),
        "contact_name": package["maintainer"],
        "contact_email": package["maintainer_email"],
        "landing_page": package["url"] or "",
        "keywords": sorted(tag["name"] for tag in package["tags"]),
        "themes": sorted(group["name"].upper() for group in package["groups"]),
        "update_frequency": FREQUENCIES.get(values.get("frequency"), values.get("frequency") or ""),
        "language": LANGUAGES.get(language[0], language[0]) if language else "",
        "geocoding_level": GEOCODING_LEVELS.get(values.get("politicalGeocodingLevelURI"), ""),
        "municipality_key": spatial.removeprefix(MUNICIPALITY_KEY),
        "spatial_label": values.get("geocodingText") or "",
        "temporal_start": values.get("temporal_start"),
        "temporal_end": values.get("temporal_end"),
        # Stadtdaten publishes the attribution on the resources (GovData's place for it).
        "attribution_text": max(attribution, key=len) if attribution else "",
        "hvd_category": HVD_CATEGORIES.get(values.get("hvd_category"), values.get("hvd_category") or ""),
        "issued": source_datetime(values.get("issued")),
        "spatial_resolution_m": decimal_text(values.get("spatial_resolution_in_meters")),
    }


def harvested_fields(dataset: Dataset) -> dict:
    return {
        "title": dataset.title,
        "description": dataset.description,
        "publisher": dataset.publisher.slug,
        "licence": dataset.licence,
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "landing_page": dataset.landing_page,
        "keywords": sorted(dataset.keywords.values_list("name", flat=True)),
        "themes": sorted(dataset.themes.values_list("code", flat=True)),
        "update_frequency": dataset.update_frequency,
        "language": dataset.language,
        "geocoding_level": dataset.geocoding_level,
        "municipality_key": dataset.municipality_key,
        "spatial_label": dataset.spatial_label,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else None,
        "attribution_text": dataset.attribution_text,
        "hvd_category": dataset.hvd_category,
        "issued": dataset.issued.astimezone(UTC).isoformat() if dataset.issued else None,
        "spatial_resolution_m": decimal_text(dataset.spatial_resolution_m),
    }


def published_resource(resource: dict, dataset_licence: str) -> dict:
    licence = resource.get("license") or ""
    return {
        "title": resource["name"],
        "description": resource["description"] or "",
        "url": resource["url"],
        "format": resource["format"],
        "licence": LICENCE_CODES.get(licence, licence) or dataset_licence,
        "byte_size": resource["size"],
        "checksum_sha256": resource["hash"] or "",
    }


def harvested_resource(distribution: Distribution) -> dict:
    return {
        "title": distribution.title,
        "description": distribution.description,
        "url": distribution.access_url,
        "format": distribution.format,
        # A distribution without a licence of its own has the dataset's.
        "licence": distribution.licence or distribution.dataset.licence,
        "byte_size": distribution.byte_size,
        "checksum_sha256": distribution.checksum_sha256,
    }


def source_pages(stadtdaten, name: str) -> set[str]:
    return {f"{stadtdaten.url}/dataset/{name}", f"{stadtdaten.url}/datensatz/{name}/"}


def harvested_record(records: list[HarvestRecord], package: dict, stadtdaten) -> HarvestRecord | None:
    """The harvest record of a published dataset, however the reader names it: by the
    CKAN id (the dataset's identifier), its DCAT URI, or its name."""
    keys = {package["id"], f"{stadtdaten.url}/dataset/{package['name']}"}
    for record in records:
        if record.remote_id in keys:
            return record
    return next((record for record in records if record.remote_name == package["name"]), None)


def harvested_distribution(distributions: dict, record: HarvestRecord, resource: dict) -> Distribution | None:
    """The distribution a resource became: by the resource id (also inside a DCAT
    distribution URI, "…#distribution-<id>"), else by its address."""
    for remote_id, pk in record.resources.items():
        if (remote_id == resource["id"] or remote_id.endswith(resource["id"])) and pk in distributions:
            return distributions[pk]
    return next((d for d in distributions.values() if d.access_url == resource["url"]), None)


def differences(stadtdaten, published: list[dict], job: HarvestJob, mapping: dict) -> list[str]:
    found = []
    records = list(HarvestRecord.objects.filter(source=job.source).select_related("dataset__publisher"))
    if len(records) != len(published):
        found.append(f"{len(published)} published datasets at the source vs {len(records)} harvested")
    for package in published:
        name = package["name"]
        record = harvested_record(records, package, stadtdaten)
        if record is None:
            found.append(f"{name}: published vs not harvested")
            continue
        dataset = record.dataset
        expected, actual = published_fields(package, mapping), harvested_fields(dataset)
        if not expected["landing_page"] and actual["landing_page"] in source_pages(stadtdaten, name):
            expected["landing_page"] = actual["landing_page"]
        found += [
            f"{name}.{key}: {expected[key]!r} vs {actual[key]!r}" for key in expected if expected[key] != actual[key]
        ]
        distributions = {d.pk: d for d in Distribution.objects.filter(dataset=dataset).select_related("dataset")}
        matched = set()
        for resource in package["resources"]:
            label = f"{name}.resource[{resource['name']}]"
            distribution = harvested_distribution(distributions, record, resource)
            if distribution is None:
                found.append(f"{label}: published vs not harvested")
                continue
            matched.add(distribution.pk)
            want, have = published_resource(resource, expected["licence"]), harvested_resource(distribution)
            found += [f"{label}.{key}: {want[key]!r} vs {have[key]!r}" for key in want if want[key] != have[key]]
        found += [
            f"{name}.resource[{d.title}]: not published vs harvested" for pk, d in distributions.items()
            if pk not in matched
        ]  # fmt: skip
    return found


def assert_lossless(stadtdaten, published, harvester, job: HarvestJob) -> None:
    assert job.status == HarvestStatus.SUCCEEDED, job.message
    failed = [f"{entry['remote_name']}: {entry['reason']}" for entry in job.report if entry["outcome"] == "failed"]
    assert not failed, "Nicht übernommen:\n" + "\n".join(failed)
    lost = differences(stadtdaten, published, job, harvester["mapping"])
    assert not lost, f"{len(lost)} differences (source vs harvested):\n" + "\n".join(lost)


# ---------------------------------------------------------------------------


def test_harvesting_stadtdaten_through_its_ckan_api_keeps_every_published_field(stadtdaten, published, harvester):
    job = harvest(stadtdaten, harvester, kind="ckan", url=stadtdaten.url)

    assert_lossless(stadtdaten, published, harvester, job)


def test_harvesting_stadtdaten_through_its_dcat_catalog_keeps_every_published_field(stadtdaten, published, harvester):
    job = harvest(stadtdaten, harvester, kind="dcat", url=f"{stadtdaten.url}/catalog.ttl")

    assert_lossless(stadtdaten, published, harvester, job)


def test_the_demo_catalog_gives_the_round_trip_something_to_compare(published):
    """The comparison means something only if the demo publishes the fields it checks."""
    keys = {key for package in published for key in extras(package)}
    assert {
        "hvd_category",
        "issued",
        "spatial_resolution_in_meters",
        "temporal_start",
        "temporal_end",
        "politicalGeocodingURI",
        "politicalGeocodingLevelURI",
        "geocodingText",
        "frequency",
        "language",
    } <= keys
    resources = [resource for package in published for resource in package["resources"]]
    assert any(resource["size"] and resource["hash"] for resource in resources)
    assert any(resource.get("licenseAttributionByText") for resource in resources)
    assert any(resource["description"] for resource in resources)
    assert all(package["tags"] and package["groups"] for package in published)
