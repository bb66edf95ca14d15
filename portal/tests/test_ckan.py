"""The CKAN Action API: envelopes, dicts and error objects compared field by field with
CKAN 2.11's shapes (reference/opendata.md §1.2, §1.3), the q/fq subset harvesters send,
facets, paging, and that nothing unpublished is ever visible."""

import itertools
import json
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Dataset
from catalog.vocabularies import LICENCES, DataTheme
from governance.models import Organisation
from portal.ckan.dictize import theme_title
from portal.ckan.query import parse_date
from portal.ckan.search import SearchParams

from .conftest import SECRET, fresh

pytestmark = pytest.mark.django_db

# --- The documented shapes (opendata.md §1.3; CKAN's tests of model_dictize) -------------

ENVELOPE_OK = {"help", "success", "result"}
ENVELOPE_ERROR = {"help", "success", "error"}
PACKAGE_KEYS = {
    "author", "author_email", "creator_user_id", "extras", "groups", "id", "isopen", "license_id", "license_title",
    "license_url", "maintainer", "maintainer_email", "metadata_created", "metadata_modified", "name", "notes",
    "num_resources", "num_tags", "organization", "owner_org", "private", "relationships_as_object",
    "relationships_as_subject", "resources", "state", "tags", "title", "type", "url", "version",
}  # fmt: skip
RESOURCE_KEYS = {
    "id", "package_id", "url", "name", "description", "format", "mimetype", "mimetype_inner", "size", "hash",
    "position", "resource_type", "url_type", "last_modified", "created", "metadata_modified", "cache_url",
    "cache_last_updated", "state", "datastore_active",
}  # fmt: skip
# GovData (ckanext-dcatde) keeps the licence on the resource as a DCAT-AP.de URI.
RESOURCE_EXTRA_KEYS = {"license"}
ORGANIZATION_KEYS = {
    "id", "name", "title", "type", "description", "image_url", "created", "is_organization", "approval_status",
    "state",
}  # fmt: skip
PACKAGE_GROUP_KEYS = {
    "id", "name", "title", "display_name", "description", "image_url", "image_display_url", "approval_status",
    "capacity", "is_organization", "state", "type", "member_count",
}  # fmt: skip
TAG_KEYS = {"id", "name", "display_name", "state", "vocabulary_id"}
# CKAN 2.11 dictizes extras as {key, value} (test_package_dictize_extras); opendata.md's
# "state" is from older versions.
EXTRA_KEYS = {"key", "value"}
SEARCH_KEYS = {"count", "facets", "results", "sort", "search_facets"}
FACET_ITEM_KEYS = {"name", "display_name", "count"}
LIST_ORGANIZATION_KEYS = ORGANIZATION_KEYS | {"display_name", "image_display_url", "num_followers", "package_count"}
SHOW_ORGANIZATION_KEYS = LIST_ORGANIZATION_KEYS | {"extras", "tags", "groups", "users"}
LIST_GROUP_KEYS = {
    "approval_status", "created", "description", "display_name", "id", "image_display_url", "image_url",
    "is_organization", "name", "num_followers", "package_count", "state", "title", "type",
}  # fmt: skip
SHOW_GROUP_KEYS = LIST_GROUP_KEYS | {"extras", "tags", "groups", "users"}
LICENSE_KEYS = {
    "id", "title", "url", "status", "family", "maintainer", "od_conformance", "osd_conformance", "domain_content",
    "domain_data", "domain_software", "is_generic",
}  # fmt: skip
STATUS_KEYS = {
    "site_title", "site_description", "site_url", "error_emails_to", "locale_default", "extensions", "ckan_version",
}  # fmt: skip
NAIVE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")


def url(action: str, *, versioned: bool = True) -> str:
    return reverse("ckan:action" if versioned else "ckan:action_unversioned", args=[action])


def get(client, action, **params):
    response = client.get(url(action), params)
    return response, json.loads(response.content)


def post(client, action, data: dict, *, versioned: bool = False):
    response = client.post(url(action, versioned=versioned), json.dumps(data), content_type="application/json")
    return response, json.loads(response.content)


def result(client, action, **params):
    response, body = get(client, action, **params)
    assert response.status_code == 200, body
    assert set(body) == ENVELOPE_OK
    assert body["success"] is True
    return body["result"]


def names(packages) -> list[str]:
    return [package["name"] for package in packages]


def utc_naive(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


@pytest.fixture
def catalog(flow_a, flow_b, org_a, org_b, published):
    """Three published datasets of two organisations, each with its own theme, keywords,
    licence and formats."""
    budget = flow_a.create(
        org_a, "haushalt", title="Haushaltsplan", keywords=["Haushalt"], themes=["ECON"], licence="cc-by/4.0",
        description="Der Haushalt der Stadt A mit allen Produkten.",
    )  # fmt: skip
    services.add_distribution(
        budget, by=flow_a.steward, title="Haushalt als API", access_url="https://api.stadt-a.example/haushalt",
        format="JSON", kind="api",
    )  # fmt: skip
    parking = flow_b.create(
        org_b, "parkhaeuser", title="Parkhausbelegung", keywords=["Parken", "Verkehr"], themes=["TRAN", "REGI"],
        licence="dl-zero-de/2.0", attribution_text="Stadt B, Tiefbauamt",
    )  # fmt: skip
    return {
        "baumkataster": published,
        "haushalt": flow_a.publish(budget),
        "parkhaeuser": flow_b.publish(parking),
    }


# ---------------------------------------------------------------------------
# Transport and envelope


def test_package_show_answers_in_ckans_envelope(client, published):
    response, body = get(client, "package_show", id=published.name)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json;charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert set(body) == ENVELOPE_OK
    assert body["success"] is True
    assert body["help"] == "http://testserver/api/3/action/help_show?name=package_show"
    assert body["result"]["name"] == published.name


def test_the_dataset_page_links_its_ckan_json(client, published):
    page = client.get(reverse("portal:dataset_detail", args=[published.name])).content.decode()
    link = url("package_show") + f"?id={published.name}"
    assert f'href="{link}"' in page
    assert json.loads(client.get(link).content)["result"]["id"] == str(published.identifier)


def test_every_transport_gives_the_same_answer(client, published):
    """GET with parameters, POST with JSON (as ckanapi sends it to /api/action/), a form,
    and a single form key that is itself JSON."""
    expected = result(client, "package_show", id=published.name)
    path = url("package_show", versioned=False)
    answers = [
        client.post(path, json.dumps({"id": published.name}), content_type="application/json"),
        client.post(url("package_show"), {"id": published.name}),
        client.post(path, json.dumps({"id": published.name}), content_type="application/x-www-form-urlencoded"),
        client.get(path, {"id": published.name}),
    ]
    for response in answers:
        assert response.status_code == 200
        assert json.loads(response.content)["result"] == expected


def test_post_needs_no_csrf_token_and_sets_no_cookie(published):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(url("package_show", versioned=False), {"id": published.name})
    assert response.status_code == 200
    assert not response.cookies


def test_repeated_get_parameters_become_lists(client, catalog):
    response = client.get(url("package_search") + "?fq_list=organization:stadt-a&fq_list=groups:econ")
    assert names(json.loads(response.content)["result"]["results"]) == ["haushalt"]


def test_api_root_answers_the_version(client):
    for path in ("/api/", "/api/3"):
        response = client.get(path)
        assert response.status_code == 200
        assert json.loads(response.content) == {"version": 3}


def test_jsonp_wraps_a_get_answer_in_the_callback(client, published):
    response = client.get(url("status_show"), {"callback": "handle"})
    assert response["Content-Type"] == "application/javascript;charset=utf-8"
    text = response.content.decode()
    assert text.startswith("handle({")
    assert text.endswith("});")
    assert json.loads(text[len("handle(") : -2])["success"] is True
    # Anything that is not a plain JavaScript name gets plain JSON.
    response = client.get(url("status_show"), {"callback": "alert(1)//"})
    assert response["Content-Type"] == "application/json;charset=utf-8"


def test_a_browser_preflight_is_allowed_from_any_origin(client):
    response = client.options(url("package_search"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]


def test_labels_are_german_whatever_the_client_asks_for(client, catalog):
    response = client.get(url("group_show"), {"id": "econ"}, HTTP_ACCEPT_LANGUAGE="en")
    assert json.loads(response.content)["result"]["title"] == "Wirtschaft und Finanzen"


def test_parameters_clients_add_are_ignored(client, published, org_a):
    """ckanapi's dump sends include_password_hash, include_users …; CKAN's own options
    like use_default_schema too."""
    show = result(
        client, "package_show", id=published.name, use_default_schema="true", include_tracking="true",
        include_plugin_data="true", include_password_hash="true",
    )  # fmt: skip
    assert show["name"] == published.name
    organisation = result(
        client, "organization_show", id=org_a.slug, include_datasets="false", include_password_hash="true",
        include_users="true",
    )  # fmt: skip
    assert organisation["name"] == org_a.slug
    assert organisation["users"] == []
    found = result(client, "package_search", q="*:*", include_private="true", include_drafts="true", qf="x", wt="json")
    assert found["count"] == 1


# ---------------------------------------------------------------------------
# Error objects (opendata.md §1.2)


def test_an_unknown_action_is_a_bare_string_400(client):
    response = client.get(url("package_frobnicate"))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json;charset=utf-8"
    assert json.loads(response.content) == "Bad request - Action name not known: package_frobnicate"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "Bad request - JSON Error: Error decoding JSON data. Error: "),
        ("[1, 2]", "Bad request - JSON Error: Request data JSON decoded to [1, 2] but it needs to be a dictionary."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_bare_string_400(client, body, message):
    response = client.post(url("package_search", versioned=False), body, content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.content).startswith(message)


def test_not_found_is_the_same_for_unknown_and_unpublished_datasets(client, published, unpublished):
    response, body = get(client, "package_show", id="gibt-es-nicht")
    assert response.status_code == 404
    assert set(body) == ENVELOPE_ERROR
    assert body["success"] is False
    assert body["error"] == {"__type": "Not Found Error", "message": "Not found"}
    assert body["help"] == "http://testserver/api/3/action/help_show?name=package_show"
    for dataset in unpublished.values():
        for key in (dataset.name, str(dataset.identifier)):
            response, other = get(client, "package_show", id=key)
            assert (response.status_code, other) == (404, body), dataset.state


def test_a_missing_parameter_is_a_validation_error_409(client, published):
    response, body = get(client, "package_show")
    assert response.status_code == 409
    assert set(body) == ENVELOPE_ERROR
    # CKAN 2.11's package_show asks for `id`, falling back to `name_or_id` (get_or_bust).
    assert body["error"] == {"__type": "Validation Error", "name_or_id": "Missing value"}
    assert result(client, "package_show", name_or_id=published.name)["name"] == published.name

    response, body = get(client, "organization_show")
    assert (response.status_code, body["error"]) == (409, {"__type": "Validation Error", "id": "Missing value"})


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"rows": "zehn"}, {"rows": ["Invalid integer"]}),
        ({"rows": "-1"}, {"rows": ["Must be a natural number"]}),
        ({"start": "1.5"}, {"start": ["Invalid integer"]}),
        ({"rows": "x", "start": "-3"}, {"rows": ["Invalid integer"], "start": ["Must be a natural number"]}),
        ({"facet.limit": "viele"}, {"facet.limit": ["Invalid integer"]}),
        ({"facet.mincount": "-2"}, {"facet.mincount": ["Must be a natural number"]}),
        ({"facet.field": "tags"}, {"facet.field": ["Could not parse as valid JSON"]}),
        ({"facet.field": '{"a": 1}'}, {"facet.field": ["Not a list"]}),
    ],
)
def test_invalid_search_parameters_are_validation_errors(client, params, errors):
    response, body = get(client, "package_search", **params)
    assert response.status_code == 409
    assert body["error"] == {"__type": "Validation Error", **errors}


def test_write_actions_are_refused_as_ckan_refuses_anonymous_writes(client):
    response, body = post(client, "package_create", {"name": "neu", "title": "Neu"})
    assert response.status_code == 403
    assert body["success"] is False
    assert body["error"] == {
        "__type": "Authorization Error",
        "message": "Access denied: This CKAN-compatible API is read-only",
    }
    # Like CKAN, an action with side effects refuses GET.
    response = client.get(url("package_update"), {"id": "x"})
    assert response.status_code == 400
    assert json.loads(response.content) == (
        "Bad request - JSON Error: Invalid request. Please use POST method for your request"
    )


BAD_QUERIES = [
    "(",
    ")",
    "tags:(Bäume",
    '"ohne Ende',
    "tags:",
    "AND",
    "Baum OR",
    "NOT",
    "x\\",
    "[a TO b]",
    "*:foo",
    "tags:(organization:stadt-a)",
    "unbekannt:wert",
    "-unbekannt:wert",
    "extras_foo:bar",
    "tags:[a TO b]",
    "metadata_modified:[2024-01-01T00:00:00Z TO",
    "metadata_modified:[2024-01-01T00:00:00Z 2025-01-01T00:00:00Z]",
    "metadata_modified:[kein-datum TO *]",
    "metadata_modified:[2024-13-01T00:00:00Z TO *]",
    "metadata_modified:[NOW-1FORTNIGHT TO *]",
    "metadata_modified:[NOW+99999999YEARS TO *]",
    "metadata_modified:[2024* TO *]",
    "metadata_modified:2024-02-30",
    "name:[a* TO b]",
    "((((((((((((((((((((((Baum))))))))))))))))))))))",
    "Baum " * 250,
    "x" * 5000,
]


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("param", ["q", "fq"])
def test_a_query_that_does_not_parse_is_a_search_query_error_never_a_500(client, param, query):
    response, body = get(client, "package_search", **{param: query})
    assert response.status_code == 400, body
    assert set(body) == ENVELOPE_ERROR
    assert body["success"] is False
    assert set(body["error"]) == {"__type", "message"}
    assert body["error"]["__type"] == "Search Query Error"
    assert body["error"]["message"].startswith("Search Query is invalid: '")


@pytest.mark.parametrize(
    "sort", ["bogus asc", "name", "name up", "metadata_modified desc, bogus asc", "score", "views_recent desc"]
)
def test_an_unknown_sort_is_a_search_query_error(client, sort):
    response, body = get(client, "package_search", sort=sort)
    assert response.status_code == 400
    assert body["error"] == {
        "__type": "Search Query Error",
        "message": "Search Query is invalid: 'Invalid \"sort\" parameter'",
    }


# ---------------------------------------------------------------------------
# The package dict


def test_package_show_builds_ckans_package_dict_field_by_field(client, catalog, org_b):
    dataset = fresh(catalog["parkhaeuser"])
    distribution = dataset.distributions.get()
    package = result(client, "package_show", id=str(dataset.identifier))

    assert set(package) == PACKAGE_KEYS
    assert package["id"] == str(dataset.identifier)
    assert package["name"] == "parkhaeuser"
    assert package["title"] == "Parkhausbelegung"
    assert package["notes"] == dataset.description
    assert package["type"] == "dataset"
    assert package["state"] == "active"
    assert package["private"] is False
    assert package["license_id"] == "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert package["license_title"] == "Datenlizenz Deutschland – Zero – Version 2.0"
    assert package["license_url"] == "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert package["isopen"] is True
    assert package["maintainer"] == dataset.contact_name
    assert package["maintainer_email"] == dataset.contact_email
    assert package["author"] is None
    assert package["creator_user_id"] is None
    assert package["version"] is None
    assert package["url"] == ""
    assert package["relationships_as_object"] == package["relationships_as_subject"] == []
    # Timestamps: naive ISO 8601 in UTC, as CKAN stores them.
    assert package["metadata_modified"] == utc_naive(dataset.modified)
    assert package["metadata_created"] == utc_naive(dataset.created)
    assert NAIVE_ISO.match(package["metadata_modified"])

    assert package["owner_org"] == str(org_b.uuid)
    organization = package["organization"]
    assert set(organization) == ORGANIZATION_KEYS
    assert organization == {
        "id": str(org_b.uuid),
        "name": "stadt-b",
        "title": "Stadt B",
        "type": "organization",
        "description": "Kernverwaltung, Eichberg",
        "image_url": "",
        "created": utc_naive(org_b.history.earliest("history_date").history_date),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }

    assert package["num_tags"] == 2
    assert [tag["name"] for tag in package["tags"]] == ["Parken", "Verkehr"]
    for tag in package["tags"]:
        assert set(tag) == TAG_KEYS
        assert tag["display_name"] == tag["name"]
        assert tag["state"] == "active"
        assert tag["vocabulary_id"] is None

    assert [group["name"] for group in package["groups"]] == ["regi", "tran"]  # sorted by title
    regi = package["groups"][0]
    assert set(regi) == PACKAGE_GROUP_KEYS
    assert regi["title"] == regi["display_name"] == "Regionen und Städte"
    assert regi["capacity"] == "public"
    assert regi["type"] == "group"
    assert regi["is_organization"] is False
    assert regi["id"] == result(client, "group_show", id="regi")["id"]

    assert package["num_resources"] == 1
    resource = package["resources"][0]
    assert set(resource) == RESOURCE_KEYS | RESOURCE_EXTRA_KEYS | {"licenseAttributionByText"}
    download = reverse("portal:download", args=[dataset.name, distribution.identifier])
    assert resource == {
        "id": str(distribution.identifier),
        "package_id": str(dataset.identifier),
        "url": f"http://testserver{download}",
        "name": "parkhaeuser (CSV)",
        "description": "",
        "format": "CSV",
        "mimetype": "text/csv",
        "mimetype_inner": None,
        "size": distribution.byte_size,
        "hash": distribution.checksum_sha256,
        "position": 0,
        "resource_type": "file.upload",
        "url_type": "upload",
        "last_modified": utc_naive(distribution.modified),
        "created": utc_naive(distribution.created),
        "metadata_modified": utc_naive(distribution.modified),
        "cache_url": None,
        "cache_last_updated": None,
        "state": "active",
        "datastore_active": False,
        "license": "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
        "licenseAttributionByText": "Stadt B, Tiefbauamt",
    }
    response = client.get(download)
    assert response.status_code == 200  # the URL works
    response.close()

    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert all(set(extra) == EXTRA_KEYS for extra in package["extras"])
    assert [extra["key"] for extra in package["extras"]] == sorted(extras)
    assert extras == {
        "access_rights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
        "frequency": "http://publications.europa.eu/resource/authority/frequency/UNKNOWN",
        "issued": utc_naive(dataset.issued),
        "language": '["http://publications.europa.eu/resource/authority/language/DEU"]',
        "politicalGeocodingLevelURI": "http://dcat-ap.de/def/politicalGeocoding/Level/municipality",
        "theme": json.dumps(
            [
                "http://publications.europa.eu/resource/authority/data-theme/REGI",
                "http://publications.europa.eu/resource/authority/data-theme/TRAN",
            ]
        ),
    }


def test_links_apis_and_dcat_ap_de_values_reach_the_package_dict(client, catalog, org_a):
    org_a.contributor_id = "http://dcat-ap.de/def/contributors/stadtA"
    org_a.save()
    Dataset.objects.filter(pk=catalog["haushalt"].pk).update(
        municipality_key="16099001", spatial_label="Stadtgebiet A", hvd_category="c_e1da4e07",
        temporal_start="2024-01-01", temporal_end="2024-12-31", landing_page="https://stadt-a.example/haushalt",
    )  # fmt: skip
    package = result(client, "package_show", id="haushalt")

    assert package["url"] == "https://stadt-a.example/haushalt"
    assert package["license_id"] == "http://dcat-ap.de/def/licenses/cc-by/4.0"
    api = next(resource for resource in package["resources"] if resource["format"] == "JSON")
    assert api["url"] == "https://api.stadt-a.example/haushalt"
    assert api["url_type"] is None
    assert api["resource_type"] == "api"
    assert api["mimetype"] == "application/json"
    assert api["size"] is None
    assert api["hash"] == ""
    assert [resource["position"] for resource in package["resources"]] == [0, 1]
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert extras["contributorID"] == '["http://dcat-ap.de/def/contributors/stadtA"]'
    assert extras["politicalGeocodingURI"] == "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/16099001"
    assert extras["geocodingText"] == "Stadtgebiet A"
    assert extras["hvd_category"] == "http://data.europa.eu/bna/c_e1da4e07"
    assert extras["applicable_legislation"] == '["http://data.europa.eu/eli/reg_impl/2023/138/oj"]'
    assert (extras["temporal_start"], extras["temporal_end"]) == ("2024-01-01", "2024-12-31")


def test_search_results_are_the_same_dicts_as_package_show(client, catalog):
    found = result(client, "package_search", rows=10)
    assert set(found) == SEARCH_KEYS
    for package in found["results"]:
        assert package == result(client, "package_show", id=package["name"])


def test_resource_show_returns_one_resource_of_a_published_dataset(client, published, unpublished):
    distribution = published.distributions.get()
    resource = result(client, "resource_show", id=str(distribution.identifier))
    assert set(resource) == RESOURCE_KEYS | RESOURCE_EXTRA_KEYS
    assert resource["id"] == str(distribution.identifier)
    hidden = unpublished["draft"].distributions.get()
    for key in (str(hidden.identifier), "kein-uuid"):
        response, body = get(client, "resource_show", id=key)
        assert (response.status_code, body["error"]["__type"]) == (404, "Not Found Error")


# ---------------------------------------------------------------------------
# package_search: q, fq, sort, facets, paging


def search_names(client, **params) -> list[str]:
    return sorted(names(result(client, "package_search", rows=100, **params)["results"]))


ALL = ["baumkataster", "haushalt", "parkhaeuser"]


FQ_CASES = [
    ("organization:stadt-a", ["baumkataster", "haushalt"]),
    ("-organization:stadt-a", ["parkhaeuser"]),
    ("organization:stadt-a OR organization:stadt-b", ALL),
    ("groups:envi", ["baumkataster"]),
    ("groups:heal", []),  # only unpublished datasets have it
    ("-groups:envi -groups:econ", ["parkhaeuser"]),
    ("tags:Bäume", ["baumkataster"]),
    ('tags:"Parken"', ["parkhaeuser"]),
    ("tags:Park*", ["parkhaeuser"]),
    ("tags:(Haushalt OR Verkehr)", ["haushalt", "parkhaeuser"]),
    ("res_format:CSV", ALL),
    ("res_format:json", ["haushalt"]),
    ("license_id:http://dcat-ap.de/def/licenses/cc-by/4.0", ["haushalt"]),
    ('license_id:"http://dcat-ap.de/def/licenses/dl-zero-de/2.0"', ["parkhaeuser"]),
    ("license_id:http\\://dcat-ap.de/def/licenses/dl-by-de/2.0", ["baumkataster"]),
    ("name:haushalt", ["haushalt"]),
    ("name:baum*", ["baumkataster"]),
    ("title:Parkhaus", ["parkhaeuser"]),
    ('title_string:"Haushaltsplan"', ["haushalt"]),
    ("organization:stadt-a AND groups:econ", ["haushalt"]),
    ("organization:stadt-a -groups:envi", ["haushalt"]),
    ("organization:stadt-a NOT tags:Bäume", ["haushalt"]),
    ("(groups:envi OR groups:tran) organization:stadt-b", ["parkhaeuser"]),
    ("+organization:stadt-b +groups:tran", ["parkhaeuser"]),
    ("groups:envi || groups:econ", ["baumkataster", "haushalt"]),
    ("*:*", ALL),
    ("capacity:public", ALL),
    ("capacity:private", []),
    ("state:active", ALL),
    ("tags:*", ALL),
    ("metadata_modified:[2000-01-01T00:00:00Z TO *]", ALL),
    ("metadata_modified:[2000-01-01T00:00:00.123Z TO NOW]", ALL),
    ("metadata_modified:[2000-01-01T00:00:00 TO NOW+1DAY]", ALL),
    ("metadata_modified:[* TO 2000-01-01]", []),
    ("metadata_modified:{NOW-1DAY TO NOW/DAY+1DAY}", ALL),
    ("metadata_created:[NOW-1YEAR TO *]", ALL),
    ("metadata_modified:[* TO NOW-1HOUR]", []),
    # ckanext-harvest's incremental form: include filters, then the date range.
    ("organization:stadt-a OR organization:stadt-b metadata_modified:[2000-01-01T10:00:00.000000Z TO *]", ALL),
    ("organization:stadt-b OR organization:stadt-c groups:tran OR groups:econ", ["parkhaeuser"]),
]


def test_fq_filters_the_published_datasets(client, catalog, unpublished):
    # One catalog for the whole table: building it runs the workflow a dozen times.
    for fq, expected in FQ_CASES:
        assert search_names(client, fq=fq) == expected, fq


def test_fq_by_id_and_owner_org(client, catalog, org_b):
    dataset = catalog["haushalt"]
    assert search_names(client, fq=f"id:{dataset.identifier}") == ["haushalt"]
    assert search_names(client, fq="id:kein-uuid") == []
    assert search_names(client, fq=f"owner_org:{org_b.uuid}") == ["parkhaeuser"]
    assert search_names(client, q=f"owner_org:{org_b.uuid}") == ["parkhaeuser"]
    assert search_names(client, fq=f"-owner_org:{org_b.uuid}") == ["baumkataster", "haushalt"]
    assert search_names(client, fq=f'owner_org:"{org_b.uuid}"') == ["parkhaeuser"]
    # The integer ids this API gave out before (issue 23) still filter, for filters saved with them.
    assert search_names(client, fq=f"owner_org:{org_b.pk}") == ["parkhaeuser"]
    assert search_names(client, fq="owner_org:kein-uuid") == []


def test_fq_list_and_fq_all_apply(client, catalog):
    _response, body = post(client, "package_search", {"fq": "organization:stadt-a", "fq_list": ["groups:econ"]})
    assert names(body["result"]["results"]) == ["haushalt"]
    _response, body = post(client, "package_search", {"fq_list": ["res_format:CSV", "-tags:Parken"]})
    assert sorted(names(body["result"]["results"])) == ["baumkataster", "haushalt"]


Q_CASES = [
    ("", ALL),
    ("*:*", ALL),
    ("Baum", ["baumkataster"]),  # a prefix of a word, as on the portal
    ("Parkhäuser", ["parkhaeuser"]),  # German stemming: Parkhaus…
    ("Friedhof", []),
    ("Haushalt Produkte", ["haushalt"]),  # German stemming: Produkten
    ('"Haushalt der Stadt"', ["haushalt"]),
    ("Haushalt -Baum", ["haushalt"]),
    ("Haushalt OR Parkhaus*", ["haushalt", "parkhaeuser"]),
    ("organization:stadt-b", ["parkhaeuser"]),
    ("text:Haushalt", ["haushalt"]),
    ("metadata_modified:[2000-01-01T00:00:00Z TO *]", ALL),
    (SECRET, []),
]


def test_q_searches_full_text_and_fields(client, catalog, unpublished):
    for q, expected in Q_CASES:
        assert search_names(client, q=q) == expected, q


def test_q_and_fq_combine(client, catalog):
    assert search_names(client, q="Baum OR Haushalt", fq="organization:stadt-a") == ["baumkataster", "haushalt"]
    assert search_names(client, q="Baum OR Haushalt", fq="-groups:envi") == ["haushalt"]


def test_relevance_ranks_the_better_match_first(client, flow_a, org_a, catalog):
    flow_a.publish(
        flow_a.create(org_a, "parkplaetze", title="Parkplätze", description="Parkhaus, Parkhaus und Parkhaus.")
    )
    found = result(client, "package_search", q="Parkhaus")
    assert found["sort"] == "score desc, metadata_modified desc"
    assert names(found["results"])[0] == "parkhaeuser"  # in the title, not only in the description


def test_sorting(client, catalog):
    def order(sort):
        return names(result(client, "package_search", sort=sort)["results"])

    by_modified = sorted(catalog.values(), key=lambda d: fresh(d).modified)
    assert order("metadata_modified asc") == [d.name for d in by_modified]
    assert order("metadata_modified desc") == [d.name for d in reversed(by_modified)]
    assert order("name asc") == ALL
    assert order("name desc") == list(reversed(ALL))
    assert order("title_string asc") == ["baumkataster", "haushalt", "parkhaeuser"]
    by_id = sorted(catalog.values(), key=lambda d: str(d.identifier))
    assert order("id asc") == [d.name for d in by_id]
    # The default and "rank" without words: newest first.
    assert order("score desc, metadata_modified desc") == order("metadata_modified desc") == order("rank")
    assert result(client, "package_search")["sort"] == "score desc, metadata_modified desc"


def test_facets_count_each_field_as_ckan_shapes_them(client, catalog, unpublished):
    fields = ["organization", "groups", "tags", "res_format", "license_id"]
    found = result(client, "package_search", **{"facet.field": json.dumps(fields)})

    assert found["count"] == 3
    assert found["facets"] == {
        "organization": {"stadt-a": 2, "stadt-b": 1},
        "groups": {"econ": 1, "envi": 1, "regi": 1, "tran": 1},
        "tags": {"Bäume": 1, "Haushalt": 1, "Parken": 1, "Umwelt": 1, "Verkehr": 1},
        "res_format": {"CSV": 3, "JSON": 1},
        "license_id": {
            "http://dcat-ap.de/def/licenses/cc-by/4.0": 1,
            "http://dcat-ap.de/def/licenses/dl-by-de/2.0": 1,
            "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": 1,
        },
    }
    assert list(found["facets"]["organization"]) == ["stadt-a", "stadt-b"]  # most frequent first
    facets = found["search_facets"]
    assert set(facets) == set(fields)
    for name in fields:
        assert facets[name]["title"] == name
        items = facets[name]["items"]
        assert all(set(item) == FACET_ITEM_KEYS for item in items)
        # CKAN sorts the items by display name, descending.
        assert [item["display_name"] for item in items] == sorted((i["display_name"] for i in items), reverse=True)
    assert facets["organization"]["items"] == [
        {"name": "stadt-b", "display_name": "Stadt B", "count": 1},
        {"name": "stadt-a", "display_name": "Stadt A", "count": 2},
    ]
    assert {"name": "econ", "display_name": "Wirtschaft und Finanzen", "count": 1} in facets["groups"]["items"]
    assert {
        "name": "http://dcat-ap.de/def/licenses/cc-by/4.0",
        "display_name": "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
        "count": 1,
    } in facets["license_id"]["items"]
    assert SECRET not in json.dumps(found)


def test_facet_limit_mincount_and_fields_without_facets(client, catalog):
    def facets(**params):
        return result(client, "package_search", rows=0, **params)["facets"]

    assert facets() == {}  # no facet.field: no facets, as in CKAN
    assert result(client, "package_search", rows=0)["search_facets"] == {}
    assert facets(**{"facet.field": '["res_format", "organization"]', "facet.limit": "1"}) == {
        "res_format": {"CSV": 3},
        "organization": {"stadt-a": 2},
    }
    assert facets(**{"facet.field": '["organization"]', "facet.mincount": "2"}) == {"organization": {"stadt-a": 2}}
    assert facets(**{"facet.field": '["organization"]', "facet.limit": "-1"}) == {
        "organization": {"stadt-a": 2, "stadt-b": 1}
    }
    assert facets(**{"facet.field": '["tags"]', "facet": "false"}) == {}
    assert facets(**{"facet.field": '["maintainer"]'}) == {"maintainer": {}}
    assert facets(**{"facet.field": '["tags"]', "fq": "organization:stadt-b"}) == {"tags": {"Parken": 1, "Verkehr": 1}}


@pytest.fixture
def many(flow_a, flow_b, org_a, org_b, catalog):
    """Eleven published datasets in all."""
    for index in range(8):
        flow, organisation = (flow_a, org_a) if index % 2 else (flow_b, org_b)
        flow.publish(flow.create(organisation, f"reihe-{index}", title=f"Reihe {index}", keywords=["Reihe"]))
    return Dataset.objects.published().count()


def test_paging_with_rows_and_start_never_repeats_or_skips(client, many):
    for sort in ["id asc", "metadata_modified desc", "name asc", "score desc, metadata_modified desc"]:
        assert_pages(client, many, sort)


def assert_pages(client, many, sort):
    pages, bodies, start = [], [], 0
    while True:
        response = client.get(url("package_search"), {"rows": 3, "start": start, "sort": sort})
        page = json.loads(response.content)["result"]
        assert page["count"] == many
        if not page["results"]:
            break
        bodies.append(response.content)
        pages.extend(names(page["results"]))
        start += 3
    assert len(pages) == len(set(pages)) == many
    assert pages == names(result(client, "package_search", rows=100, sort=sort)["results"])
    # ckanext-harvest stops when two consecutive pages are byte-identical.
    assert all(a != b for a, b in itertools.pairwise(bodies))


def test_rows_zero_counts_and_rows_above_the_maximum_are_capped(client, catalog):
    found = result(client, "package_search", rows=0)
    assert (found["count"], found["results"]) == (3, [])
    assert result(client, "package_search", start=3)["results"] == []
    assert SearchParams.from_data({"rows": "5000"}).rows == 1000
    assert SearchParams.from_data({}).rows == 10


def test_package_search_needs_the_same_queries_for_5_rows_as_for_100(client, many, django_assert_num_queries):
    # count; the page; its keywords, themes, distributions, organisations
    with django_assert_num_queries(6):
        assert len(result(client, "package_search", rows=5)["results"]) == 5
    with django_assert_num_queries(6):
        assert len(result(client, "package_search", rows=100, sort="id asc")["results"]) == many
    with django_assert_num_queries(6):
        assert len(result(client, "package_search", rows=5, start=5, fq="tags:Reihe")["results"]) == 3
    # one more query per facet field; full text and ranking add none
    with django_assert_num_queries(8):
        result(client, "package_search", rows=100, q="Reihe", **{"facet.field": '["tags", "organization"]'})


def test_show_and_list_actions_need_a_fixed_number_of_queries(client, many, org_a, django_assert_num_queries):
    # the dataset, keywords, themes, distributions, organisation
    with django_assert_num_queries(5):
        result(client, "package_show", id="haushalt")
    with django_assert_num_queries(6):
        assert len(result(client, "current_package_list_with_resources", limit=100)) == many
    with django_assert_num_queries(1):
        assert len(result(client, "package_list")) == many
    # the page of organisations, their rows with creation time, published counts
    with django_assert_num_queries(3):
        result(client, "organization_list", all_fields="true")
    with django_assert_num_queries(1):
        result(client, "group_list", all_fields="true")
    with django_assert_num_queries(1):
        result(client, "tag_list", all_fields="true")
    with django_assert_num_queries(3):
        result(client, "organization_show", id=org_a.slug)


# ---------------------------------------------------------------------------
# Only published datasets, everywhere


def test_nothing_unpublished_appears_in_any_action(client, catalog, unpublished, org_b):
    hidden = {dataset.name for dataset in unpublished.values()}
    answers = {
        "package_list": result(client, "package_list"),
        "package_search": result(client, "package_search", rows=1000, q="*:*", include_private="true",
                                 include_drafts="true", **{"facet.field": '["tags", "groups", "organization"]'}),
        "current_package_list_with_resources": result(client, "current_package_list_with_resources", limit=1000),
        "tag_list": result(client, "tag_list", all_fields="true"),
        "organization_list": result(client, "organization_list", all_fields="true"),
        "organization_show": result(client, "organization_show", id=org_b.slug, include_datasets="true"),
        "group_show": result(client, "group_show", id="heal", include_datasets="true"),
        "group_list": result(client, "group_list", all_fields="true"),
    }  # fmt: skip
    for action, answer in answers.items():
        text = json.dumps(answer, ensure_ascii=False)
        assert SECRET not in text, action
        for name in hidden:
            assert f'"{name}"' not in text, (action, name)
    assert answers["package_list"] == ALL
    assert answers["package_search"]["count"] == 3
    assert answers["organization_show"]["package_count"] == 1
    assert names(answers["organization_show"]["packages"]) == ["parkhaeuser"]
    stadt_b = next(o for o in answers["organization_list"] if o["name"] == "stadt-b")
    assert stadt_b["package_count"] == 1
    assert answers["group_show"]["package_count"] == 0
    assert answers["group_show"]["packages"] == []
    heal = next(group for group in answers["group_list"] if group["name"] == "heal")
    assert heal["package_count"] == 0


def test_publishing_and_withdrawing_bump_metadata_modified(client, flow_a, org_a, published):
    """ckanext-harvest asks for metadata_modified:[<last run> TO *]: a dataset that is
    published (or published again after a withdrawal) must turn up there."""
    approved = flow_a.approve(flow_a.create(org_a, "spielplaetze", title="Spielplätze"))
    before = timezone.now()
    since = utc_naive(before) + "Z"
    assert search_names(client, fq=f"metadata_modified:[{since} TO *]") == []

    dataset = flow_a.step("publish", approved, flow_a.steward, confirm_alternative=True)
    assert dataset.modified > before
    package = result(client, "package_show", id="spielplaetze")
    assert package["metadata_modified"] == utc_naive(dataset.modified)
    assert search_names(client, fq=f"metadata_modified:[{since} TO *]") == ["spielplaetze"]
    assert search_names(client, q=f"metadata_modified:[{since} TO *]") == ["spielplaetze"]

    before_withdrawal = timezone.now()
    withdrawn = flow_a.step("withdraw", dataset, flow_a.owner, reasons="Veraltet.")
    assert withdrawn.modified > before_withdrawal
    assert get(client, "package_show", id="spielplaetze")[0].status_code == 404
    assert search_names(client, fq=f"metadata_modified:[{since} TO *]") == []

    republished = flow_a.publish(withdrawn)
    again = result(client, "package_show", id="spielplaetze")["metadata_modified"]
    assert again == utc_naive(republished.modified) > package["metadata_modified"]
    later = utc_naive(before_withdrawal) + "Z"
    assert search_names(client, fq=f"metadata_modified:[{later} TO *]") == ["spielplaetze"]


# ---------------------------------------------------------------------------
# The other actions


def test_package_list_sorts_names_and_pages(client, catalog):
    assert result(client, "package_list") == ALL
    assert result(client, "package_list", limit=2) == ALL[:2]
    assert result(client, "package_list", limit=2, offset=2) == ALL[2:]
    response, body = get(client, "package_list", limit="x")
    assert (response.status_code, body["error"]) == (409, {"__type": "Validation Error", "limit": ["Invalid integer"]})


def test_current_package_list_with_resources_is_newest_first(client, many):
    newest = list(Dataset.objects.published().order_by("-modified", "pk").values_list("name", flat=True))
    assert names(result(client, "current_package_list_with_resources")) == newest[:10]  # CKAN's default: 10
    assert names(result(client, "current_package_list_with_resources", limit=3, offset=2)) == newest[2:5]
    assert names(result(client, "current_package_list_with_resources", limit=3, page=2)) == newest[3:6]
    packages = result(client, "current_package_list_with_resources", limit=1)
    assert set(packages[0]) == PACKAGE_KEYS
    assert packages[0]["resources"]


def test_organization_list_lists_every_organisation_and_counts_published_datasets(client, catalog, unpublished):
    all_names = list(Organisation.objects.order_by("name").values_list("slug", flat=True))
    assert result(client, "organization_list") == all_names  # sorted by title
    assert result(client, "organization_list", sort="name desc") == sorted(all_names, reverse=True)
    assert result(client, "organization_list", sort="package_count")[0] == "stadt-a"
    assert result(client, "organization_list", limit=1, offset=1) == all_names[1:2]
    assert result(client, "organization_list", organizations="stadt-b") == ["stadt-b"]
    assert result(client, "organization_list", q="Stadt B") == ["stadt-b"]

    organisations = result(client, "organization_list", all_fields="true")
    assert [o["name"] for o in organisations] == all_names
    for organisation in organisations:
        assert set(organisation) == LIST_ORGANIZATION_KEYS
    stadt_a = organisations[all_names.index("stadt-a")]
    assert stadt_a["package_count"] == 2
    assert stadt_a["display_name"] == stadt_a["title"] == "Stadt A"
    assert stadt_a["num_followers"] == 0

    response, body = get(client, "organization_list", sort="einwohner asc")
    assert response.status_code == 409
    assert body["error"] == {"__type": "Validation Error", "message": "Cannot sort by field `einwohner`"}


UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_organisation_ids_are_stable_uuids_everywhere(client, catalog, org_a, org_b):
    """CKAN's organisation ids are UUIDs; ckanext-harvest with remote_orgs=create copies
    them into its own database, where small integers of two portals collide (issue 23)."""

    def ids_seen() -> dict[str, set[str]]:
        seen: dict[str, set[str]] = {}
        for organisation in result(client, "organization_list", all_fields="true"):
            seen.setdefault(organisation["name"], set()).add(organisation["id"])
        for name in ("stadt-a", "stadt-b"):
            seen[name].add(result(client, "organization_show", id=name)["id"])
            shown = result(client, "organization_show", id=name, include_datasets="true")
            seen[name] |= {package["owner_org"] for package in shown["packages"]}
        packages = result(client, "package_search", rows=100)["results"]
        packages += [result(client, "package_show", id=name) for name in ALL]
        packages += result(client, "current_package_list_with_resources", limit=100)
        for package in packages:
            name = package["organization"]["name"]
            seen[name] |= {package["owner_org"], package["organization"]["id"]}
        return seen

    first = ids_seen()
    for ids in first.values():
        (only,) = ids  # one id per organisation, whichever action gives it
        assert UUID_TEXT.match(only), only
    assert len({only for ids in first.values() for only in ids}) == len(first)
    for name, organisation in (("stadt-a", org_a), ("stadt-b", org_b)):
        assert first[name] == {str(organisation.uuid)}, name
    assert ids_seen() == first  # stable: the same on every call
    org_b.name = "Stadt B (umbenannt)"
    org_b.save()
    assert ids_seen()["stadt-b"] == first["stadt-b"]  # and when the organisation changes

    # Whatever the API says an organisation's id is finds that organisation again.
    (stadt_b,) = first["stadt-b"]
    assert result(client, "organization_show", id=stadt_b)["name"] == "stadt-b"
    assert search_names(client, fq=f"owner_org:{stadt_b}") == ["parkhaeuser"]


def test_organization_show_by_name_or_id(client, catalog, org_a):
    organisation = result(client, "organization_show", id=org_a.slug)
    assert set(organisation) == SHOW_ORGANIZATION_KEYS
    assert organisation["package_count"] == 2
    assert "packages" not in organisation
    assert result(client, "organization_show", id=str(org_a.uuid)) == organisation
    assert result(client, "organization_show", id=str(org_a.uuid).upper()) == organisation
    # The integer id this API gave out before (issue 23) still finds the organisation.
    assert result(client, "organization_show", id=str(org_a.pk)) == organisation

    with_datasets = result(client, "organization_show", id=org_a.slug, include_datasets="true")
    assert sorted(names(with_datasets["packages"])) == ["baumkataster", "haushalt"]
    assert set(with_datasets["packages"][0]) == PACKAGE_KEYS

    for key in ("gibt-es-nicht", "999999", "00000000-0000-4000-8000-000000000000"):
        response, body = get(client, "organization_show", id=key)
        assert (response.status_code, body["error"]) == (404, {"__type": "Not Found Error", "message": "Not found"})


def test_themes_are_the_groups(client, catalog):
    assert result(client, "group_list") == sorted(
        (code.lower() for code in DataTheme.values), key=lambda name: theme_title(name.upper())
    )
    assert len(result(client, "group_list")) == 13
    groups = result(client, "group_list", all_fields="true", sort="package_count desc")
    assert all(set(group) == LIST_GROUP_KEYS for group in groups)
    assert {group["name"]: group["package_count"] for group in groups if group["package_count"]} == {
        "econ": 1, "envi": 1, "regi": 1, "tran": 1,
    }  # fmt: skip
    assert result(client, "group_list", groups=["envi", "tran"]) == ["envi", "tran"]

    group = result(client, "group_show", id="envi", include_datasets="true")
    assert set(group) == SHOW_GROUP_KEYS | {"packages"}
    assert (group["name"], group["title"], group["type"]) == ("envi", "Umwelt", "group")
    assert group["extras"] == [
        {"key": "uri", "value": "http://publications.europa.eu/resource/authority/data-theme/ENVI"}
    ]
    assert names(group["packages"]) == ["baumkataster"]
    assert group["package_count"] == 1
    assert result(client, "group_show", id=group["id"])["name"] == "envi"
    for key in ("ENVI", "stadt-a", "xyz"):  # names are lowercase; organisations are no groups
        assert get(client, "group_show", id=key)[0].status_code == 404


def test_tag_list_names_the_keywords_of_published_datasets(client, catalog, unpublished):
    assert result(client, "tag_list") == ["Bäume", "Haushalt", "Parken", "Umwelt", "Verkehr"]
    assert result(client, "tag_list", query="um") == ["Bäume", "Umwelt"]
    tags = result(client, "tag_list", all_fields="true")
    assert all(set(tag) == {"id", "name", "vocabulary_id", "display_name"} for tag in tags)
    response, body = get(client, "tag_list", vocabulary_id="themen")
    assert (response.status_code, body["error"]["message"]) == (404, "Not found: could not find vocabulary 'themen'")


def test_license_list_has_every_licence_with_its_dcat_ap_de_uri(client):
    licences = result(client, "license_list")
    assert len(licences) == len(LICENCES)
    assert all(set(licence) == LICENSE_KEYS for licence in licences)
    by_id = {licence["id"]: licence for licence in licences}
    dl_by = by_id["http://dcat-ap.de/def/licenses/dl-by-de/2.0"]
    assert dl_by["title"] == "Datenlizenz Deutschland Namensnennung 2.0"
    assert dl_by["status"] == "active"
    assert dl_by["od_conformance"] == dl_by["osd_conformance"] == "approved"
    assert by_id["http://dcat-ap.de/def/licenses/cc-by-nc/4.0"]["od_conformance"] == "not reviewed"


def test_status_show_claims_ckan_2_11(client, settings):
    status = result(client, "status_show")
    assert set(status) == STATUS_KEYS
    assert status["ckan_version"] == "2.11.0"
    assert status["locale_default"] == "de"
    assert status["site_url"] == settings.SITE_URL
    assert status["site_title"] == settings.SITE_NAME
    assert status["error_emails_to"] is None
    assert "stadtdaten" in status["extensions"]


def test_help_show_returns_the_actions_documentation(client):
    text = result(client, "help_show", name="package_search")
    assert text.startswith("Search the published datasets.")
    assert ":param fq:" in text
    response, body = get(client, "help_show", name="gibt_es_nicht")
    assert (response.status_code, body["error"]["message"]) == (404, "Not found: Action function not found")
    response, body = get(client, "help_show")
    assert (response.status_code, body["error"]) == (409, {"__type": "Validation Error", "name": "Missing value"})


def test_solr_dates_and_date_math():
    now = datetime(2025, 1, 31, 13, 45, 10, 500000, tzinfo=UTC)
    cases = {
        "2024-01-01T00:00:00Z": datetime(2024, 1, 1, tzinfo=UTC),
        "2024-01-01T00:00:00": datetime(2024, 1, 1, tzinfo=UTC),
        "2024-01-01T10:00:00.123456Z": datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC),
        "2024-01-01T10:00:00+02:00": datetime(2024, 1, 1, 8, tzinfo=UTC),
        "2024-01-01": datetime(2024, 1, 1, tzinfo=UTC),
        "NOW": now,
        "NOW-1DAY": datetime(2025, 1, 30, 13, 45, 10, 500000, tzinfo=UTC),
        "NOW/DAY": datetime(2025, 1, 31, tzinfo=UTC),
        "NOW/DAY+1DAY": datetime(2025, 2, 1, tzinfo=UTC),
        "NOW+1MONTH": datetime(2025, 2, 28, 13, 45, 10, 500000, tzinfo=UTC),
        "NOW-2YEARS/MONTH": datetime(2023, 1, 1, tzinfo=UTC),
        "2024-03-31T00:00:00Z-1MONTH": datetime(2024, 2, 29, tzinfo=UTC),
    }
    for text, expected in cases.items():
        assert parse_date(text, now=now) == expected, text
