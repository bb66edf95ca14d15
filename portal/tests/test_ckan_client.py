"""The real `ckanapi` client against a running server: it posts JSON to
/api/action/<name> (no redirects followed), reads `result` and maps CKAN's error types
back to its exceptions. If ckanapi works unchanged, so do the harvesters built on the
same envelope."""

import uuid

import ckanapi
import pytest

from .conftest import SECRET


@pytest.fixture
def remote(live_server):
    with ckanapi.RemoteCKAN(live_server.url, user_agent="stadtdaten-tests") as client:
        yield client


@pytest.mark.django_db(transaction=True)
def test_ckanapi_lists_searches_and_shows_published_datasets(
    remote, live_server, flow_b, org_b, published, unpublished
):
    parking = flow_b.publish(flow_b.create(org_b, "parkhaeuser", title="Parkhausbelegung", themes=["TRAN"]))

    assert remote.action.package_list() == ["baumkataster", "parkhaeuser"]

    package = remote.action.package_show(id="baumkataster")
    assert package["id"] == str(published.identifier)
    assert package["organization"]["name"] == "stadt-a"
    assert package["resources"][0]["url"].startswith(live_server.url + "/datensatz/baumkataster/dateien/")
    assert remote.action.package_show(id=str(parking.identifier))["name"] == "parkhaeuser"

    found = remote.action.package_search(fq="organization:stadt-b", rows=10, sort="id asc")
    assert found["count"] == 1
    assert [p["name"] for p in found["results"]] == ["parkhaeuser"]
    faceted = remote.action.package_search(q="*:*", rows=0, **{"facet.field": '["groups"]'})
    assert faceted["facets"] == {"groups": {"envi": 1, "tran": 1}}

    organisations = remote.action.organization_list(all_fields=True)
    counts = {organisation["name"]: organisation["package_count"] for organisation in organisations}
    assert counts == {"stadt-a": 1, "stadt-b": 1}  # Stadt B's unpublished datasets do not count
    assert remote.action.organization_show(id="stadt-b", include_datasets=True)["packages"][0]["name"] == (
        "parkhaeuser"
    )
    # ckanext-harvest with remote_orgs: organization_show by the package's owner_org, whose
    # id (a UUID, as CKAN's) it then gives the organisation it creates.
    owner = remote.action.package_show(id="parkhaeuser")["owner_org"]
    organisation = remote.action.organization_show(id=owner)
    assert (organisation["id"], organisation["name"]) == (owner, "stadt-b")
    assert str(uuid.UUID(owner)) == owner == str(org_b.uuid)
    assert remote.action.package_search(fq=f"owner_org:{owner}")["count"] == 1
    assert "tran" in remote.action.group_list()
    assert SECRET not in str(remote.action.tag_list())
    assert remote.action.status_show()["ckan_version"] == "2.11.0"


@pytest.mark.django_db(transaction=True)
def test_ckanapi_raises_its_own_exceptions_for_ckans_errors(remote, published, unpublished):
    with pytest.raises(ckanapi.NotFound):
        remote.action.package_show(id="gibt-es-nicht")
    with pytest.raises(ckanapi.NotFound):
        remote.action.package_show(id=unpublished["approved"].name)
    with pytest.raises(ckanapi.SearchQueryError):
        remote.action.package_search(q="tags:(Bäume")
    with pytest.raises(ckanapi.SearchQueryError):
        remote.action.package_search(sort="beliebt desc")
    with pytest.raises(ckanapi.ValidationError) as error:
        remote.action.package_search(rows="viele")
    assert error.value.error_dict == {"__type": "Validation Error", "rows": ["Invalid integer"]}
    with pytest.raises(ckanapi.NotAuthorized):
        remote.action.package_create(name="neu", title="Neu")


@pytest.mark.django_db(transaction=True)
def test_ckanapi_with_get_only_reads_the_same(live_server, published):
    with ckanapi.RemoteCKAN(live_server.url, get_only=True) as remote:
        assert remote.action.package_search(q="Baum", rows=5)["results"][0]["name"] == "baumkataster"
        assert remote.action.package_show(id="baumkataster")["id"] == str(published.identifier)
