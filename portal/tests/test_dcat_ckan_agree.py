"""CKAN and DCAT are two renderings of one DCAT-AP.de view of a dataset: for every
published dataset of the demo network, what package_show says (ckanext-dcatde's keys)
is what the dataset's DCAT-AP.de document says.

The demo organisations have no contributor IDs; as on GovData's list, the cities get
one here, their departments and enterprises none of their own, so that every dataset
of a department needs its parent's (dcatde:contributorID, convention K12)."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from rdflib import RDF, Graph, Namespace, URIRef

from catalog.models import Dataset
from catalog.vocabularies import FILE_TYPES_BY_CODE
from governance.models import Organisation

pytestmark = pytest.mark.django_db

SITE = "http://testserver"  # CKAN's URLs are on the host the client asked: the same here
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
IANA = "https://www.iana.org/assignments/media-types/"
CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"


def moment(text: str | None) -> datetime | None:
    """CKAN's naive UTC timestamp as an aware date-time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def said_by_ckan(package: dict) -> dict:
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    return {
        "identifier": package["id"],
        "title": package["title"],
        "description": package["notes"],
        "keywords": sorted(tag["name"] for tag in package["tags"]),
        "themes": sorted(json.loads(extras.get("theme", "[]"))),
        "contributor IDs": json.loads(extras.get("contributorID", "[]")),
        "publisher": package["organization"]["title"],
        "contact": (package["maintainer"], package["maintainer_email"]),
        "landing page": package["url"] or None,
        "spatial": extras.get("politicalGeocodingURI"),
        "geocoding level": extras.get("politicalGeocodingLevelURI"),
        "spatial resolution": extras.get("spatial_resolution_in_meters"),
        "temporal": (extras.get("temporal_start"), extras.get("temporal_end")),
        "frequency": extras.get("frequency"),
        "language": json.loads(extras.get("language", "[]")),
        "access rights": extras.get("access_rights"),
        "issued": moment(extras.get("issued")),
        "modified": moment(package["metadata_modified"]),
        "HVD category": extras.get("hvd_category"),
        "legislation": json.loads(extras.get("applicable_legislation", "[]")),
        "distributions": {
            resource["id"]: {
                "title": resource["name"],
                "description": resource["description"] or None,
                "access URL": resource["url"],
                "download URL": resource["url"] if resource["resource_type"] != "api" else None,
                "format": FILE_TYPES_BY_CODE[resource["format"]].uri
                if resource["format"] in FILE_TYPES_BY_CODE
                else None,
                "media type": resource["mimetype"] or None,
                "licence": resource["license"],
                "attribution": resource.get("licenseAttributionByText"),
                "byte size": resource["size"],
                "checksum": resource["hash"] or None,
                "modified": moment(resource["metadata_modified"]),
            }
            for resource in package["resources"]
        },
    }


def said_by_dcat(graph: Graph, dataset: URIRef) -> dict:
    def value(subject, predicate):
        found = graph.value(subject, predicate)
        return None if found is None else str(found)

    def values(subject, predicate):
        return sorted(str(found) for found in graph.objects(subject, predicate))

    period = graph.value(dataset, DCT.temporal)
    contact = graph.value(dataset, DCAT.contactPoint)
    landing_page = value(dataset, DCAT.landingPage)
    portal_page = SITE + reverse("portal:dataset_detail", args=[str(dataset).rsplit("/", 1)[1]])
    issued = graph.value(dataset, DCT.issued)
    distributions = {}
    for node in graph.objects(dataset, DCAT.distribution):
        media_type = value(node, DCAT.mediaType)
        service = graph.value(node, DCAT.accessService)
        checksum = graph.value(node, SPDX.checksum)
        byte_size = graph.value(node, DCAT.byteSize)
        distributions[str(node).rsplit("#distribution-", 1)[1]] = {
            "title": value(node, DCT.title),
            "description": value(node, DCT.description),
            "access URL": value(node, DCAT.accessURL),
            "download URL": value(node, DCAT.downloadURL),
            "format": value(node, DCT["format"]),
            "media type": media_type.removeprefix(IANA) if media_type else None,
            "licence": value(node, DCT.license),
            "attribution": value(node, DCATDE.licenseAttributionByText),
            "byte size": int(byte_size) if byte_size is not None else None,
            "checksum": value(checksum, SPDX.checksumValue) if checksum is not None else None,
            "modified": graph.value(node, DCT.modified).toPython(),
            # Service endpoints answer in types IANA has not registered: no dcat:mediaType.
            "service": service is not None,
        }
    return {
        "identifier": value(dataset, DCT.identifier),
        "title": value(dataset, DCT.title),
        "description": value(dataset, DCT.description),
        "keywords": values(dataset, DCAT.keyword),
        "themes": values(dataset, DCAT.theme),
        "contributor IDs": values(dataset, DCATDE.contributorID),
        "publisher": value(graph.value(dataset, DCT.publisher), FOAF.name),
        "contact": (value(contact, VCARD.fn), value(contact, VCARD.hasEmail).removeprefix("mailto:")),
        "landing page": None if landing_page == portal_page else landing_page,
        "spatial": value(dataset, DCT.spatial),
        "geocoding level": value(dataset, DCATDE.politicalGeocodingLevelURI),
        "spatial resolution": value(dataset, DCAT.spatialResolutionInMeters),
        "temporal": (value(period, DCAT.startDate), value(period, DCAT.endDate)) if period else (None, None),
        "frequency": value(dataset, DCT.accrualPeriodicity),
        "language": values(dataset, DCT.language),
        "access rights": value(dataset, DCT.accessRights),
        "issued": issued.toPython() if issued is not None else None,
        "modified": graph.value(dataset, DCT.modified).toPython(),
        "HVD category": value(dataset, DCATAP.hvdCategory),
        "legislation": values(dataset, DCATAP.applicableLegislation),
        "distributions": distributions,
    }


def differences(ckan: dict, dcat: dict) -> dict:
    found = {key: (ckan[key], dcat[key]) for key in ckan if key != "distributions" and ckan[key] != dcat[key]}
    if set(ckan["distributions"]) != set(dcat["distributions"]):
        found["distributions"] = (sorted(ckan["distributions"]), sorted(dcat["distributions"]))
        return found
    for identifier, resource in ckan["distributions"].items():
        node = dict(dcat["distributions"][identifier])
        if node.pop("service"):
            resource = {**resource, "media type": None}
        for key in resource:
            if resource[key] != node[key]:
                found[f"distribution {identifier} {key}"] = (resource[key], node[key])
    return found


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo network, seeded once for this module inside a transaction that is rolled
    back at the end; every test runs in a savepoint inside it."""
    media = tmp_path_factory.mktemp("demo-media")
    with override_settings(MEDIA_ROOT=media, SITE_URL=SITE), django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", stdout=StringIO())
            for city in Organisation.objects.filter(parent=None):
                city.contributor_id = CONTRIBUTORS + "stadt" + city.slug.title().replace("-", "")
                city.save()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_ckan_and_dcat_say_the_same_of_every_published_demo_dataset(client, demo):
    names = list(Dataset.objects.published().order_by("name").values_list("name", flat=True))
    departments = Dataset.objects.published().exclude(publisher__parent=None).filter(publisher__contributor_id="")
    assert len(names) > 10
    assert departments.exists()  # the case the contributor ID's fallback is for

    disagreements = {}
    for name in names:
        response = client.get(reverse("ckan:action", args=["package_show"]), {"id": name})
        assert response.status_code == 200, name
        ckan = said_by_ckan(response.json()["result"])
        response = client.get(reverse("portal:dataset_dcat", kwargs={"name": name, "format": "ttl"}))
        assert response.status_code == 200, name
        graph = Graph().parse(data=response.content, format="turtle")
        dataset = URIRef(f"{SITE}/dataset/{name}")
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        if found := differences(ckan, said_by_dcat(graph, dataset)):
            disagreements[name] = found

    assert not disagreements, "\n".join(f"{name}: {found}" for name, found in disagreements.items())


def test_every_dataset_of_a_department_without_its_own_carries_its_citys_contributor_id(client, demo):
    department = (
        Dataset.objects.published().exclude(publisher__parent=None).filter(publisher__contributor_id="").first()
    )
    expected = department.publisher.parent.contributor_id
    package = client.get(reverse("ckan:action", args=["package_show"]), {"id": department.name}).json()["result"]
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert json.loads(extras["contributorID"]) == [expected]
    graph = Graph().parse(data=client.get(f"/dataset/{department.name}.ttl").content, format="turtle")
    assert list(graph.objects(URIRef(f"{SITE}/dataset/{department.name}"), DCATDE.contributorID)) == [URIRef(expected)]
