"""CKAN's DataStore API on the tables of the store: the real `ckanapi` client against the
running app calls datastore_search and datastore_info as scripts written for a CKAN
portal (Ulm's Datenhub, say) do, and gets what the test computes from the file."""

import ckanapi
import pytest

from datastore.tests.conftest import CSV, publish_table


@pytest.fixture
def remote(live_server):
    with ckanapi.RemoteCKAN(live_server.url, user_agent="stadtdaten-tests") as client:
        yield client


@pytest.mark.django_db(transaction=True)
def test_ckanapi_datastore_search_and_info(remote, flow_a, org_a):
    _dataset, table = publish_table(flow_a, org_a, "stadtteile", content=CSV.encode())
    resource_id = str(table.distribution.identifier)

    resource = remote.action.resource_show(id=resource_id)
    assert resource["datastore_active"] is True

    found = remote.action.datastore_search(resource_id=resource_id, filters={"Stadtteil": ["Mitte", "Nord"]})
    assert found["total"] == 2
    assert [record["Stadtteil"] for record in found["records"]] == ["Mitte", "Nord"]
    assert found["records"][0]["_id"] == 1
    assert found["records"][0]["Anzahl"] == 1234
    assert [field["id"] for field in found["fields"]][:3] == ["_id", "Stadtteil", "Anzahl"]
    assert {field["id"]: field["type"] for field in found["fields"]}["Fläche in km²"] == "numeric"

    page = remote.action.datastore_search(resource_id=resource_id, sort="Anzahl desc", limit=2, offset=1,
                                          fields="Stadtteil,Anzahl")  # fmt: skip
    assert page["records"] == [{"Stadtteil": "Nord", "Anzahl": 56}, {"Stadtteil": "Ost", "Anzahl": 7}]
    assert page["_links"]["next"].startswith("/api/3/action/datastore_search?")

    lists = remote.action.datastore_search(resource_id=resource_id, q="gesperrt", records_format="lists",
                                           fields=["Stadtteil", "PLZ"])  # fmt: skip
    assert lists["records"] == [["Mitte", "01067"]]

    info = remote.action.datastore_info(id=resource_id)
    assert info["meta"]["count"] == 4
    assert [field["id"] for field in info["fields"]] == ["Stadtteil", "Anzahl", "Fläche in km²", "Stichtag",
                                                         "Bemerkung", "PLZ"]  # fmt: skip

    with pytest.raises(ckanapi.ValidationError):
        remote.action.datastore_search(resource_id=resource_id, filters={"Anzahl": "viele"})
    with pytest.raises(ckanapi.NotFound):
        remote.action.datastore_search(resource_id="00000000-0000-0000-0000-000000000000")
