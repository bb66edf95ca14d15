"""Bad input is a 400, never a 500 (issue 21, finding 6): a NUL byte in any query
parameter, form field or JSON string, integers beyond the database's range in paging
parameters, and JSON nested thousands of levels deep. Each case was an anonymous 500
(or a worker busy with a recursion) before; each is now a clear refusal in the shape of
the interface asked: CKAN's envelope under /api/3/, DRF's JSON under /api/v1/, plain
text on the DCAT endpoints and a German page elsewhere.

The fuzzers (config/tests/test_api_fuzz.py, test_form_fuzz.py) send these inputs too, so
they stay fixed for every endpoint the fuzzers reach."""

import json
from urllib.parse import urlencode

import pytest

from .fuzz_support import HUGE_INTEGERS, deep_json

CKAN = "/api/3/action/"


@pytest.fixture
def world(db, settings, tmp_path):
    """Enough data that every lookup reaches the database: a published dataset, an
    organisation and a data request."""
    from .fuzz_support import build_world

    settings.MEDIA_ROOT = tmp_path
    return build_world()


def assert_ckan_refusal(response) -> dict:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Validation Error"
    assert body["help"].startswith("http://testserver/api/3/action/help_show?name=")
    return body


def assert_german_page(response) -> None:
    assert response.status_code == 400, response.status_code
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Ungültige Anfrage" in page
    assert 'lang="de"' in page


# ---- NUL bytes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/suche/?q=%00",
        "/suche/?q=a%00b",
        "/suche/?%00=1",
        "/suche/?thema=%00",
        "/feeds/suche.atom?q=%00",
        "/feeds/suche.atom?organisation=%00",
        "/datenwuensche/?q=%00",
        "/datensatz/baumkataster/?x=%00",
        "/strategie/?q=%00",
    ],
)
def test_a_nul_byte_in_a_page_s_query_is_a_german_400(client, world, url):
    assert_german_page(client.get(url))


def test_a_nul_byte_in_a_form_field_is_a_german_400_and_stores_nothing(client, world):
    from portal.models import DataRequest

    before = DataRequest.objects.count()
    response = client.post(
        "/datenwuensche/neu/", {"title": "Bäume\x00", "description": "Wo?", "email": "", "website": ""}
    )
    assert_german_page(response)
    assert DataRequest.objects.count() == before


@pytest.mark.parametrize(
    "url",
    [
        f"{CKAN}package_show?id=%00",
        f"{CKAN}package_show?id=baum%00kataster",
        f"{CKAN}tag_list?query=%00",
        f"{CKAN}package_search?fq=tags:%00",
        f"{CKAN}package_search?q=%00",
        f"{CKAN}organization_show?id=%00",
        f"{CKAN}group_show?id=%00",
        f"{CKAN}resource_show?id=%00",
        f"{CKAN}package_list?%00=1",
    ],
)
def test_a_nul_byte_in_a_ckan_parameter_is_a_400_in_the_envelope(client, world, url):
    assert_ckan_refusal(client.get(url))


@pytest.mark.parametrize("action", ["package_show", "tag_list", "package_search", "organization_show"])
def test_a_nul_byte_in_a_ckan_json_body_is_a_400_in_the_envelope(client, world, action):
    body = json.dumps({"id": "\x00", "query": "a\x00", "fq": "tags:\x00", "q": "\x00"})
    assert_ckan_refusal(client.post(CKAN + action, body, content_type="application/json"))
    form = {"id": "\x00", "query": "\x00", "fq": "tags:\x00"}
    assert_ckan_refusal(client.post(CKAN + action, form))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/datasets/?q=%00",
        "/api/v1/datasets/?publisher=%00",
        "/api/v1/datasets/?keyword=%00",
        "/api/v1/organisations/?%00=x",
        "/api/v1/data-requests/?status=%00",
        "/api/v1/rules/?q=%00",
    ],
)
def test_a_nul_byte_in_a_rest_filter_is_a_400_in_drf_s_shape(client, world, url):
    response = client.get(url)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert "Nullzeichen" in response.json()["detail"]


def test_a_nul_byte_in_a_rest_json_body_is_a_400(client, world):
    body = json.dumps({"title": "Bäume\x00", "description": "Wo?", "email": ""})
    response = client.post("/api/v1/data-requests/", body, content_type="application/json")
    assert response.status_code == 400
    assert "Nullzeichen" in json.dumps(response.json(), ensure_ascii=False)


# ---- Integers beyond the database's range ----------------------------------------------


@pytest.mark.parametrize("value", HUGE_INTEGERS)
def test_a_huge_or_negative_dcat_page_is_a_400(client, world, value):
    response = client.get("/catalog.ttl", {"page": value})
    assert response.status_code == 400, response.content[:300]
    assert "page" in response.content.decode()


@pytest.mark.parametrize("value", HUGE_INTEGERS)
@pytest.mark.parametrize(
    ("action", "parameter"),
    [
        ("package_search", "rows"),
        ("package_search", "start"),
        ("package_search", "facet.limit"),
        ("package_list", "limit"),
        ("package_list", "offset"),
        ("current_package_list_with_resources", "limit"),
        ("current_package_list_with_resources", "offset"),
        ("current_package_list_with_resources", "page"),
        ("organization_list", "limit"),
        ("organization_list", "offset"),
        ("group_list", "limit"),
        ("group_list", "offset"),
        ("organization_show", "limit"),
    ],
)
def test_a_huge_or_negative_ckan_paging_parameter_is_refused_in_the_envelope(client, world, action, parameter, value):
    """CKAN's validators answer a number they refuse with 409 and the field's error, as
    they do for "abc" or -1; a huge number no longer reaches the database."""
    query = {parameter: value, "id": "stadt-a"}
    for response in (
        client.get(CKAN + action, query),
        client.post(
            CKAN + action, json.dumps({parameter: int(value), "id": "stadt-a"}), content_type="application/json"
        ),
    ):
        assert response.status_code in (200, 409), response.content[:300]
        body = response.json()
        if response.status_code == 409:
            assert body["error"]["__type"] == "Validation Error"
            assert parameter in body["error"]


@pytest.mark.parametrize("value", HUGE_INTEGERS)
@pytest.mark.parametrize(
    "url", ["/api/v1/datasets/", "/api/v1/organisations/", "/api/v1/data-requests/", "/api/v1/decisions/"]
)
def test_a_huge_or_negative_rest_limit_is_no_server_error(client, world, url, value):
    response = client.get(url, {"limit": value, "offset": value, "page": value})
    assert response.status_code in (200, 400, 401), response.content[:300]


@pytest.mark.parametrize("value", HUGE_INTEGERS)
def test_a_huge_or_negative_page_number_on_the_pages_is_no_server_error(client, world, value):
    for url in ("/suche/", "/datenwuensche/", "/transparenz/", "/nicht-veroeffentlichte-daten/"):
        response = client.get(url, {"seite": value, "page": value})
        assert response.status_code in (200, 400, 404), (url, response.status_code)


def test_bad_input_to_the_table_explorer_and_the_table_api_is_a_400(client, world):
    """The explorer's page (issue 24) and the REST API of its table: NUL bytes, numbers
    beyond any range and a forged cursor are refusals with a message."""
    explorer = f"/datensatz/baumkataster/tabellen/{world.table_id}/"
    rows = f"/api/v1/tables/{world.table_id}/rows/"
    assert client.get(explorer).status_code == 200
    assert_german_page(client.get(explorer + "?q=%00"))
    assert_german_page(client.get(explorer + "?spalte=Art&wert=a%00b"))
    response = client.get(rows + "?q=%00")
    assert response.status_code == 400
    assert "Nullzeichen" in response.json()["detail"]
    for value in HUGE_INTEGERS:
        for params in ({"anzahl": value}, {"cursor": value, "ab": value}):
            response = client.get(explorer, params)
            assert response.status_code == 400, (params, response.status_code)
            assert 'role="alert"' in response.content.decode()
        assert client.get(rows, {"limit": value, "cursor": value}).status_code == 400
        # A number of any size is a value like any other: no row has it.
        for params in ({"spalte": "_id", "wert": value}, {"spalte": "Baum", "vergleich": "gte", "wert": value}):
            assert client.get(explorer, params).status_code == 200, params
        assert client.get(rows, {"Baum__lte": value, "_id": value}).status_code == 200


# ---- Deep nesting ----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["package_search", "package_show", "tag_list", "status_show"])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_to_ckan_is_a_400_in_the_envelope(client, world, action, opening):
    body = deep_json(opening, 5_000)
    response = client.post(CKAN + action, body, content_type="application/json")
    assert_ckan_refusal(response)
    assert "tief" in response.json()["error"]["message"]
    # The same as a form key that is itself JSON (CKAN reads that too).
    form = urlencode({deep_json(opening, 5_000): ""})
    response = client.post(CKAN + action, form, content_type="application/x-www-form-urlencoded")
    assert_ckan_refusal(response)


@pytest.mark.parametrize("opening", ["[", '{"a":'])
@pytest.mark.parametrize("url", ["/api/v1/data-requests/", "/api/v1/datasets/"])
def test_deeply_nested_json_to_the_rest_api_is_a_400(client, world, url, opening):
    response = client.post(url, deep_json(opening, 5_000), content_type="application/json")
    # Anonymous clients may wish for data: the body is parsed. Creating a dataset needs a
    # login: 401 before the body is read is as good.
    assert response.status_code in (400, 401), response.content[:300]
    if url == "/api/v1/data-requests/":
        assert response.status_code == 400
        assert "tief" in response.json()["detail"]


def test_json_within_the_depth_limit_is_still_read(client, world):
    """The limit is far above any real request: a data request with a nested extra key
    (ignored by the serializer) is accepted."""
    body = json.loads(deep_json("[", 20))
    response = client.post(
        "/api/v1/data-requests/",
        # A title of three words (issue 22 refuses shorter ones).
        json.dumps({"title": "Standorte der Bäume", "description": "Wo?", "email": "", "extra": body}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]
    assert response.json()["title"] == "Standorte der Bäume"
