"""The dataset list's light read path (issue 12): /api/v1/datasets/ reads values() rows
and writes them with DatasetListSerializer instead of DatasetSerializer. It must answer
exactly what the ModelSerializer answers for the same datasets, for every kind of reader
(anonymous, session, API token), and its number of queries must not grow with the page."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.request import Request

from catalog import services
from catalog.api import serializers
from catalog.api.views import readable_datasets
from catalog.models import Dataset, DatasetState, Distribution, DistributionKind, Theme
from catalog.vocabularies import DataTheme, HVDCategory
from governance import services as governance_services

from .conftest import classification_fields, dataset_fields

LIST_URL = "/api/v1/datasets/"


@pytest.fixture(autouse=True)
def themes(db):
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def csv(name):
    return SimpleUploadedFile(name, b"id;wert\n1;2\n", content_type="text/csv")


def make_dataset(org, steward, name, *, state, keywords=(), themes=(), classified=False, **fields):
    dataset = services.create_dataset(
        by=steward,
        fields=dataset_fields(org, name=name, title=name.replace("-", " ").title()),
        keywords=list(keywords),
        themes=list(themes),
    )
    if classified:
        services.classify_dataset(dataset, by=steward, fields=classification_fields())
    # The workflow is not what is tested here: the state and the rest are set directly.
    Dataset.objects.filter(pk=dataset.pk).update(state=state, **fields)
    return dataset


@pytest.fixture
def varied(org_a, org_b, steward_a, steward_b):
    """Datasets of every state, with and without classification, distributions (upload,
    download link, API, own licence), themes, keywords, HVD, dates and decimals."""
    published = make_dataset(
        org_a, steward_a, "haltestellen", state=DatasetState.PUBLISHED, keywords=["ÖPNV", "Bus", "bahn"],
        themes=["TRAN", "REGI"], classified=True, hvd_category=HVDCategory.values[0], licence="cc-by/4.0",
        issued=datetime(2025, 1, 31, 23, 30, tzinfo=UTC), temporal_start=date(2020, 1, 1),
        temporal_end=date(2024, 12, 31), spatial_resolution_m=Decimal("12.50"), municipality_key="09162000",
        landing_page="https://www.stadt-a.example/haltestellen", attribution_text="Stadt A",
        update_frequency="DAILY", rereview_on=date(2026, 6, 1), state_changed_at=datetime(2025, 2, 1, tzinfo=UTC),
        publication_outcome="open",
    )  # fmt: skip
    services.add_distribution(published, by=steward_a, title="Haltestellen (CSV)", upload=csv("h.csv"))
    services.add_distribution(
        published, by=steward_a, title="Fahrplan-API", access_url="https://api.stadt-a.example/fahrplan",
        format="JSON", kind=DistributionKind.API, licence="dl-zero-de/2.0", description="Echtzeit",
    )  # fmt: skip
    services.add_distribution(
        published, by=steward_a, title="Haltestellen (GeoJSON)", access_url="https://stadt-a.example/h.geojson",
        format="GEOJSON",
    )  # fmt: skip
    draft = make_dataset(org_a, steward_a, "baumkataster", state=DatasetState.DRAFT, keywords=["Bäume"])
    services.add_distribution(draft, by=steward_a, title="Bäume (CSV)", upload=csv("b.csv"))
    for state in (
        DatasetState.IN_REVIEW, DatasetState.ETHICS_REVIEW, DatasetState.LEGAL_REVIEW, DatasetState.APPROVED,
        DatasetState.RETURNED, DatasetState.WITHDRAWN,
    ):  # fmt: skip
        make_dataset(
            org_a, steward_a, f"a-{state.replace('_', '-')}", state=state, classified=True, themes=["ENVI"],
            ethics_outcome="approved", rereview_requested_at=datetime(2025, 3, 3, 8, 0, 1, 250000, tzinfo=UTC),
        )  # fmt: skip
    make_dataset(org_b, steward_b, "parkhaeuser", state=DatasetState.DRAFT, themes=["TRAN"])
    make_dataset(
        org_b, steward_b, "b-oeffentlich", state=DatasetState.PUBLISHED, keywords=["Parken"],
        issued=datetime(2024, 7, 1, 12, 0, tzinfo=UTC),
    )  # fmt: skip
    return published


def serialized_by_the_model_serializer(user, names, http_request) -> list[dict]:
    """What ListModelMixin with DatasetSerializer answered before the light path."""
    datasets = (
        readable_datasets(user)
        .select_related("publisher", "owner", "steward", "current_classification")
        .prefetch_related(
            "keywords", "themes", Prefetch("distributions", queryset=Distribution.objects.order_by("created", "pk"))
        )
        .filter(name__in=names)
        .order_by("name")
    )
    request = Request(http_request)
    return serializers.DatasetSerializer(datasets, many=True, context={"request": request}).data


def every_page(client, limit=3, **headers) -> tuple[list[dict], object]:
    rows, url, request = [], f"{LIST_URL}?limit={limit}", None
    while url:
        response = client.get(url, **headers)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url, request = response.json()["next"], response.wsgi_request
    return rows, request


def assert_same_json(rows, expected):
    # Same keys in the same order, same values in the same formats.
    assert json.dumps(rows, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)


def test_anonymous_clients_get_exactly_what_the_model_serializer_writes(client, varied):
    rows, request = every_page(client)
    assert [row["name"] for row in rows] == ["b-oeffentlich", "haltestellen"]
    assert_same_json(rows, serialized_by_the_model_serializer(AnonymousUser(), [row["name"] for row in rows], request))
    haltestellen = rows[1]
    assert haltestellen["internal"] is None
    assert [distribution["licence"] for distribution in haltestellen["distributions"]] == [
        "cc-by/4.0", "dl-zero-de/2.0", "cc-by/4.0",
    ]  # fmt: skip
    assert haltestellen["distributions"][0]["download_url"].startswith(
        "http://testserver/datensatz/haltestellen/dateien/"
    )


def test_staff_get_exactly_what_the_model_serializer_writes_with_their_internals(client, varied, steward_a):
    client.force_login(steward_a)
    rows, request = every_page(client)
    names = [row["name"] for row in rows]
    assert {"baumkataster", "a-legal-review"} <= set(names)
    assert "parkhaeuser" not in names
    assert_same_json(rows, serialized_by_the_model_serializer(steward_a, names, request))
    by_name = {row["name"]: row for row in rows}
    assert by_name["b-oeffentlich"]["internal"] is None  # another organisation's: only what the portal shows
    assert by_name["haltestellen"]["internal"]["classification"]["protection_overall"] >= 1
    assert by_name["baumkataster"]["internal"]["classification"] is None
    assert (
        "/intern/datensaetze/baumkataster/distributionen/"
        in by_name["baumkataster"]["distributions"][0]["download_url"]
    )


def test_token_clients_get_exactly_what_the_model_serializer_writes(client, varied, steward_b):
    _, secret = governance_services.create_api_token(steward_b, name="liste", valid_days=1)
    rows, request = every_page(client, limit=2, HTTP_AUTHORIZATION=f"Bearer {secret}")
    names = [row["name"] for row in rows]
    assert names == ["b-oeffentlich", "haltestellen", "parkhaeuser"]
    assert_same_json(rows, serialized_by_the_model_serializer(steward_b, names, request))


def test_filters_and_the_previous_page_give_the_same_rows_as_the_model_serializer(client, varied, steward_a):
    client.force_login(steward_a)
    response = client.get(LIST_URL, {"theme": "ENVI", "limit": 2})
    names = [row["name"] for row in response.json()["results"]]
    assert names == ["a-approved", "a-ethics-review"]
    following = client.get(response.json()["next"]).json()
    previous = client.get(following["previous"])
    assert [row["name"] for row in previous.json()["results"]] == names
    assert_same_json(
        previous.json()["results"], serialized_by_the_model_serializer(steward_a, names, previous.wsgi_request)
    )


@pytest.mark.parametrize("who", ["anonymous", "steward", "token"])
def test_each_detail_is_exactly_what_the_model_serializer_writes(client, varied, steward_a, steward_b, who):
    """The detail is answered through the list's row reader too (issue 12): every
    dataset a client can read, in every state, byte for byte; the others are 404."""
    user, headers = AnonymousUser(), {}
    if who == "steward":
        user = steward_a
        client.force_login(steward_a)
    elif who == "token":
        user = steward_b
        _, secret = governance_services.create_api_token(steward_b, name="detail", valid_days=1)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    readable = set(readable_datasets(user).values_list("name", flat=True))
    assert readable
    for name in Dataset.objects.values_list("name", flat=True):
        response = client.get(f"{LIST_URL}{name}/", **headers)
        if name not in readable:
            assert response.status_code == 404, name
            continue
        assert response.status_code == 200, name
        expected = serialized_by_the_model_serializer(user, [name], response.wsgi_request)[0]
        assert_same_json(response.json(), expected)


def test_the_list_reads_every_dataset_of_a_page_with_a_fixed_number_of_queries(
    client, varied, steward_a, django_assert_num_queries
):
    client.get(LIST_URL)  # warms the per-process caches
    # Anonymous: the datasets, their keywords, themes and distributions.
    for limit in (1, 2, 100):
        with django_assert_num_queries(4):
            assert client.get(LIST_URL, {"limit": limit}).status_code == 200
    client.force_login(steward_a)
    client.get(LIST_URL)
    # Staff: session and user besides.
    for limit in (1, 5, 100):
        with django_assert_num_queries(6):
            assert len(client.get(LIST_URL, {"limit": limit}).json()["results"]) == min(limit, 9)


def test_a_request_for_no_datasets_needs_only_the_datasets_query(client, db, django_assert_num_queries):
    client.get(LIST_URL)
    with django_assert_num_queries(1):
        assert client.get(LIST_URL).json()["results"] == []


def test_the_url_templates_give_the_urls_reverse_gives(rf: RequestFactory, settings):
    settings.ALLOWED_HOSTS = ["daten.example"]
    request = rf.get("/", secure=True, HTTP_HOST="daten.example")
    urls = serializers.DatasetListSerializer(request)
    identifier = "2f1c7c1e-9f43-4d2c-8a55-7d3f1e0b9a10"
    assert urls.api_url("bus-linien") == "https://daten.example" + reverse(
        "catalog-api:dataset-detail", args=["bus-linien"]
    )
    assert urls.download_url("bus_2", identifier) == "https://daten.example" + reverse(
        "portal:download", args=["bus_2", identifier]
    )
    assert urls.file_url("bus-2", 17) == "https://daten.example" + reverse(
        "catalog:distribution_file", args=["bus-2", 17]
    )
    assert urls.dcat_urls["jsonld"]("b") == "https://daten.example" + reverse(
        "portal:dataset_dcat", kwargs={"name": "b", "format": "jsonld"}
    )
