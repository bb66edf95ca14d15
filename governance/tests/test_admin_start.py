"""The start page of a governance admin shows the state of their organisations: overdue
reviews, pending ethics cases, broken links, overdue updates and open data requests,
each a count that links to the list behind it, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import services as catalog
from catalog.models import Dataset, DatasetState, QualityScore
from catalog.tests.conftest import dataset_fields
from portal.models import DataRequest


def make_dataset(organisation, steward, name, **state):
    dataset = catalog.create_dataset(by=steward, fields=dataset_fields(organisation, name=name, title=name.title()))
    if state:
        Dataset.objects.filter(pk=dataset.pk).update(**state)
    return dataset


def in_review_since(days):
    return {"state": DatasetState.LEGAL_REVIEW, "state_changed_at": timezone.now() - timedelta(days=days)}


def stale_published():
    return {"state": DatasetState.PUBLISHED, "update_frequency": "MONTHLY",
            "modified": timezone.now() - timedelta(days=60)}  # fmt: skip


def broken(dataset):
    QualityScore.objects.create(
        dataset=dataset, points=100, rating="sufficient", computed_at=timezone.now(),
        broken_links=[{"distribution": 1, "title": "Baumliste", "url": "https://x.example/", "status_code": 404}],
    )  # fmt: skip


@pytest.fixture
def state(org_a, org_a_department, org_b, steward_a, steward_b):
    make_dataset(org_a, steward_a, "alt-in-pruefung", **in_review_since(30))
    make_dataset(org_a_department, steward_a, "amt-in-pruefung", **in_review_since(30))
    make_dataset(org_a, steward_a, "frisch-in-pruefung", **in_review_since(0))  # not yet due
    make_dataset(org_b, steward_b, "fremd-in-pruefung", **in_review_since(30))  # another city
    make_dataset(org_a, steward_a, "veraltet", **stale_published())
    broken(make_dataset(org_a, steward_a, "kaputt"))
    broken(make_dataset(org_b, steward_b, "fremd-kaputt"))
    DataRequest.objects.create(title="Baumfällungen", description="Bitte veröffentlichen.")


def test_the_admin_start_page_shows_the_state_of_the_organisation(client_for, admin_a, state):
    response = client_for(admin_a).get("/intern/")
    assert response.status_code == 200
    readings = {reading.signal.code: reading.count for reading in response.context["overview"]}
    assert readings == {"pruefungen": 2, "ethik": 0, "links": 1, "aktualisierungen": 1, "datenwuensche": 1}
    html = response.content.decode()
    assert "Lage Ihrer Organisationen" in html
    assert 'href="/intern/lage/pruefungen/"' in html
    assert 'href="/intern/portal/datenwuensche/?status=open"' in html


def test_each_count_links_to_its_filtered_list(client_for, admin_a, state):
    response = client_for(admin_a).get("/intern/lage/pruefungen/")
    assert response.status_code == 200
    titles = [item.title for item in response.context["items"]]
    assert sorted(titles) == ["Alt-In-Pruefung", "Amt-In-Pruefung"]
    assert client_for(admin_a).get("/intern/lage/gibt-es-nicht/").status_code == 404
    links = client_for(admin_a).get("/intern/lage/links/")
    assert [item.title for item in links.context["items"]] == ["Kaputt"]
    assert "Baumliste" in links.content.decode()


def test_only_governance_admins_see_the_state(client_for, steward_a, state):
    response = client_for(steward_a).get("/intern/")
    assert response.context["overview"] == []
    assert "Lage Ihrer Organisationen" not in response.content.decode()
    assert client_for(steward_a).get("/intern/lage/pruefungen/").status_code == 403


def test_the_start_page_needs_a_fixed_number_of_queries(client_for, admin_a, org_a, steward_a, state):
    client = client_for(admin_a)
    client.get("/intern/")  # warm the caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        client.get("/intern/")
    for number in range(5):
        make_dataset(org_a, steward_a, f"mehr-{number}", **in_review_since(30))
        broken(make_dataset(org_a, steward_a, f"mehr-kaputt-{number}"))
        make_dataset(org_a, steward_a, f"mehr-veraltet-{number}", **stale_published())
    with CaptureQueriesContext(connection) as many:
        response = client.get("/intern/")
    assert {r.signal.code: r.count for r in response.context["overview"]}["pruefungen"] == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_governance_admins_find_the_network_settings_from_the_governance_page(client_for, admin_a, steward_a):
    """Issue 22: the sign-on group mapping and the legal pages are reached from the staff
    navigation ("Governance"), not only by typing their address."""
    page = client_for(admin_a).get("/intern/organisationen/").content.decode()
    assert 'href="/intern/anmeldung/gruppen/"' in page
    assert 'href="/intern/portal/pflichtseiten/"' in page
    page = client_for(steward_a).get("/intern/organisationen/").content.decode()
    assert "/intern/anmeldung/gruppen/" not in page
    assert "/intern/portal/pflichtseiten/" not in page
