"""The data dictionary (issue 24): the steward describes a table's columns as part of the
dataset's reviewed metadata (at once on a draft, through the pending change on a
published dataset), and the description is published on the dataset page, in the CKAN
API (resource `schema`, datastore fields) and in DCAT (dct:conformsTo a Table Schema)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import changes, services
from catalog.models import ChangeState, DatasetChange
from catalog.tabular_validation import check_distribution
from datastore import loader
from datastore.models import ColumnDescription
from datastore.tests.conftest import CSV, publish_table
from governance.models import AuditEvent
from portal.tests.conftest import fresh

pytestmark = pytest.mark.django_db


def edit_url(distribution):
    return reverse("datastore-dictionary:edit", args=[distribution.identifier])


def table_of(dataset):
    return dataset.distributions.filter(format="CSV").exclude(file="").order_by("pk").last()


def draft_table(flow, organisation, name="stadtteile-entwurf"):
    """A draft dataset with one checked table (not loaded: only public tables load)."""
    dataset = flow.create(organisation, name, title=name.capitalize(), csv=None)
    upload = SimpleUploadedFile(f"{name}.csv", CSV.encode(), content_type="text/csv")
    distribution = services.add_distribution(dataset, by=flow.steward, title=f"{name} (Tabelle)", upload=upload)
    check_distribution(distribution.pk)
    return fresh(dataset), distribution


def form_data(client, distribution, **changes_by_column):
    """The editor's form as the page shows it, with `changes_by_column` typed in
    ({column name: {field: value}})."""
    page = client.get(edit_url(distribution))
    assert page.status_code == 200
    formset, form = page.context["formset"], page.context["form"]
    data = {"version": form["version"].value(), **{
        f"spalten-{key}": value for key, value in formset.management_form.initial.items()
    }}  # fmt: skip
    for index, row in enumerate(formset):
        name = row.initial["name"]
        for field in ("name", "title", "unit", "description", "values"):
            data[f"spalten-{index}-{field}"] = changes_by_column.get(name, {}).get(field, row.initial.get(field, ""))
    return data


def review_and_apply(flow, dataset):
    """Submit the pending change, sign it off and (if the rules ask) approve it."""
    change = DatasetChange.objects.get(dataset=dataset, state=ChangeState.OPEN)
    changes.submit_change(change, by=flow.steward, expected_version=change.version)
    change.refresh_from_db()
    changes.sign_off_change(change, by=flow.owner, expected_version=change.version)
    change.refresh_from_db()
    if change.state == ChangeState.LEGAL_REVIEW:
        changes.approve_change(change, by=flow.legal, expected_version=change.version, confirmed=True)
        change.refresh_from_db()
    assert change.state == ChangeState.APPLIED
    return change


# ---------------------------------------------------------------------------
# The steward edits


def test_the_steward_describes_a_drafts_columns_before_publication(client, flow_a, org_a):
    dataset, distribution = draft_table(flow_a, org_a)
    client.force_login(flow_a.steward)
    page = client.get(dataset.get_absolute_url())
    assert "Datenlexikon" in page.text
    assert edit_url(distribution) in page.text
    data = form_data(client, distribution, Anzahl={"title": "Einwohnerzahl", "unit": "Personen"},
                     Stadtteil={"values": "Mitte\r\nNord\r\nSüd\r\nOst"})  # fmt: skip
    response = client.post(edit_url(distribution), data)
    assert response.status_code == 302
    described = {d.name: d for d in ColumnDescription.objects.filter(distribution=distribution)}
    assert set(described) == {"Anzahl", "Stadtteil"}
    assert (described["Anzahl"].title, described["Anzahl"].unit) == ("Einwohnerzahl", "Personen")
    assert described["Stadtteil"].allowed_values == ["Mitte", "Nord", "Süd", "Ost"]
    version = described["Anzahl"].history.get()
    assert (version.history_user, version.history_change_reason) == (flow_a.steward, "datastore.dictionary.changed")
    assert AuditEvent.objects.filter(reason="datastore.dictionary.changed", actor=flow_a.steward).count() >= 2
    assert fresh(dataset).version == dataset.version + 1  # the dataset's version: the editors' token
    # The internal page lists the description (columns from the tabular check: not loaded yet).
    page = client.get(dataset.get_absolute_url())
    assert "Einwohnerzahl" in page.text
    assert "laut Tabellenprüfung" in page.text


def test_field_errors_are_german_and_at_the_field(client, flow_a, org_a):
    _dataset, distribution = draft_table(flow_a, org_a)
    client.force_login(flow_a.steward)
    data = form_data(client, distribution, Stadtteil={"values": "Mitte\nNord\nMitte", "unit": "x" * 51})
    response = client.post(edit_url(distribution), data)
    assert response.status_code == 200
    row = response.context["formset"][0]
    assert "doppelt: „Mitte“" in " ".join(row.errors["values"])
    assert "höchstens 50 Zeichen" in " ".join(row.errors["unit"])
    assert not ColumnDescription.objects.exists()


def test_a_concurrent_edit_is_a_conflict_and_nothing_typed_is_lost(client, flow_a, org_a):
    dataset, distribution = draft_table(flow_a, org_a)
    client.force_login(flow_a.steward)
    mine = form_data(client, distribution, Anzahl={"title": "Meine Zahl"})
    theirs = form_data(client, distribution, Anzahl={"title": "Ihre Zahl"})
    assert client.post(edit_url(distribution), theirs).status_code == 302
    response = client.post(edit_url(distribution), mine)
    assert response.status_code == 200
    assert "inzwischen von jemand anderem geändert" in response.text
    assert 'value="Meine Zahl"' in response.text  # what I typed stays
    assert "Ihre Zahl" in response.text  # what is stored now, beside it
    assert ColumnDescription.objects.get(distribution=distribution, name="Anzahl").title == "Ihre Zahl"
    # The page carries the current version now: saving again is a deliberate overwrite.
    again = {**mine, "version": response.context["form"]["version"].value()}
    assert client.post(edit_url(distribution), again).status_code == 302
    assert ColumnDescription.objects.get(distribution=distribution, name="Anzahl").title == "Meine Zahl"
    assert fresh(dataset).version == dataset.version + 2


def test_only_the_publishers_steward_edits(client, flow_a, org_a, steward_b, owner_a):
    _dataset, distribution = draft_table(flow_a, org_a)
    anonymous = client.get(edit_url(distribution))
    assert anonymous.status_code == 302
    assert reverse("login") in anonymous["Location"]
    client.force_login(steward_b)  # another organisation: the dataset does not exist for them
    assert client.get(edit_url(distribution)).status_code in (403, 404)
    assert client.post(edit_url(distribution), {"version": 1}).status_code in (403, 404)
    client.force_login(owner_a)  # reads the catalog, does not edit
    assert client.get(edit_url(distribution)).status_code == 403
    assert not ColumnDescription.objects.exists()


# ---------------------------------------------------------------------------
# A published dataset: through the pending change


def test_a_published_datasets_dictionary_changes_with_the_reviewed_change(client, flow_a, org_a, table):
    distribution = table.distribution
    dataset = distribution.dataset
    ColumnDescription.objects.create(distribution=distribution, name="Anzahl", title="Anzahl alt")
    client.force_login(flow_a.steward)
    data = form_data(client, distribution, Anzahl={"title": "Einwohnerzahl", "unit": "Personen",
                                                   "description": "Hauptwohnsitz am Stichtag"})  # fmt: skip
    response = client.post(edit_url(distribution), data)
    change = DatasetChange.objects.get(dataset=dataset)
    assert response.status_code == 302
    assert response["Location"] == change.get_absolute_url()
    proposal = change.proposed["dictionary"][str(distribution.identifier)]
    before = {"title": "Anzahl alt", "unit": "", "description": "", "values": []}
    proposed = {"name": "Anzahl", "title": "Einwohnerzahl", "unit": "Personen",
                "description": "Hauptwohnsitz am Stichtag", "values": [], "before": before}  # fmt: skip
    assert proposal["columns"] == [proposed]
    # Public: the approved state until the change is applied.
    assert ColumnDescription.objects.get(distribution=distribution, name="Anzahl").title == "Anzahl alt"
    public = client.get(reverse("portal:dataset_detail", args=[dataset.name]))
    assert "Anzahl alt" in public.text
    assert "Einwohnerzahl" not in public.text
    # The reviewers see it.
    review = client.get(change.get_absolute_url())
    assert "Geändertes Datenlexikon" in review.text
    assert "Einwohnerzahl" in review.text
    # The editor shows the proposal, the internal page marks it as pending.
    assert 'value="Einwohnerzahl"' in client.get(edit_url(distribution)).text
    assert "ausstehend" in client.get(dataset.get_absolute_url()).text

    review_and_apply(flow_a, dataset)
    described = ColumnDescription.objects.get(distribution=distribution, name="Anzahl")
    assert (described.title, described.unit) == ("Einwohnerzahl", "Personen")
    version = described.history.first()
    assert version.history_change_reason == "datastore.dictionary.applied"
    assert version.history_user in (flow_a.owner, flow_a.legal)  # whoever gave the last approval
    assert AuditEvent.objects.filter(reason="datastore.dictionary.applied").exists()
    public = client.get(reverse("portal:dataset_detail", args=[dataset.name]))
    assert "Einwohnerzahl" in public.text
    assert "Personen" in public.text


def test_an_unchanged_dictionary_opens_no_change(client, flow_a, org_a, table):
    client.force_login(flow_a.steward)
    response = client.post(edit_url(table.distribution), form_data(client, table.distribution))
    assert response.status_code == 302
    assert not DatasetChange.objects.exists()


def test_a_new_file_version_keeps_the_descriptions_of_its_columns(client, flow_a, org_a, table):
    old = table.distribution
    dataset = old.dataset
    ColumnDescription.objects.create(distribution=old, name="Anzahl", title="Einwohnerzahl", unit="Personen")
    ColumnDescription.objects.create(distribution=old, name="Bemerkung", title="Bemerkung")
    content = CSV.replace("Bemerkung", "Hinweis").encode()
    upload = SimpleUploadedFile("stadtteile-2.csv", content, content_type="text/csv")
    new = services.add_distribution(dataset, by=flow_a.steward, title="Stadtteile 2025", upload=upload, replaces=old)
    check_distribution(new.pk)
    client.force_login(flow_a.steward)
    # The editor of the new version starts from the old one's entries for the same columns.
    page = client.get(edit_url(new))
    assert 'value="Einwohnerzahl"' in page.text
    data = form_data(client, new, Hinweis={"title": "Hinweis der Statistikstelle"})
    assert client.post(edit_url(new), data).status_code == 302

    review_and_apply(flow_a, dataset)
    new.refresh_from_db()
    assert new.identifier == old.identifier  # the replacement keeps the resource's identifier
    described = {d.name: d.title for d in ColumnDescription.objects.filter(distribution=new)}
    assert described == {"Anzahl": "Einwohnerzahl", "Hinweis": "Hinweis der Statistikstelle"}
    assert ColumnDescription.objects.get(distribution=new, name="Anzahl").unit == "Personen"


# ---------------------------------------------------------------------------
# Published: page, CKAN, DCAT, Table Schema


def describe(table):
    ColumnDescription.objects.create(
        distribution=table.distribution, name="Anzahl", title="Einwohnerzahl", unit="Personen",
        description="Mit Hauptwohnsitz", allowed_values=[],
    )  # fmt: skip
    ColumnDescription.objects.create(
        distribution=table.distribution, name="Stadtteil", title="Name des Stadtteils",
        allowed_values=["Mitte", "Nord", "Süd", "Ost"],
    )  # fmt: skip


def test_the_public_page_shows_the_dictionary_in_constant_queries(client, flow_a, org_a, table):
    describe(table)
    dataset = table.distribution.dataset
    url = reverse("portal:dataset_detail", args=[dataset.name])
    with CaptureQueriesContext(connection) as one_table:
        page = client.get(url)
    assert page.status_code == 200
    assert "<caption" in page.text
    assert "Datenlexikon: stadtteile (Tabelle)" in page.text
    assert "Einwohnerzahl" in page.text
    assert "Personen" in page.text
    assert "Ganzzahl" in page.text
    assert "Mitte, Nord, Süd, Ost" in page.text
    assert reverse("datastore:table_schema", args=[table.distribution.identifier]) in page.text
    # A second table: no more queries for the dictionary (nor for the page).
    content = CSV.replace("Stadtteil", "Bezirk").encode()
    upload = SimpleUploadedFile("bezirke.csv", content, content_type="text/csv")
    change_count = DatasetChange.objects.count()
    second = services.add_distribution(fresh(dataset), by=flow_a.steward, title="Bezirke", upload=upload)
    check_distribution(second.pk)
    review_and_apply(flow_a, fresh(dataset))
    assert DatasetChange.objects.count() == change_count + 1
    second.refresh_from_db()
    assert loader.load(second).is_queryable
    with CaptureQueriesContext(connection) as two_tables:
        page = client.get(url)
    assert "Datenlexikon: Bezirke" in page.text
    assert len(two_tables) == len(one_table)


def test_ckan_resources_carry_the_table_schema_and_the_datastore_fields_the_dictionary(client, table):
    describe(table)
    dataset = table.distribution.dataset
    response = client.get("/api/3/action/package_show", {"id": dataset.name})
    resource = response.json()["result"]["resources"][0]
    assert resource["datastore_active"] is True
    fields = {field["name"]: field for field in resource["schema"]["fields"]}
    assert fields["Anzahl"] == {"name": "Anzahl", "type": "integer", "title": "Einwohnerzahl",
                                "description": "Mit Hauptwohnsitz", "unit": "Personen"}  # fmt: skip
    assert fields["Stadtteil"]["constraints"] == {"enum": ["Mitte", "Nord", "Süd", "Ost"]}
    info = client.get("/api/3/action/datastore_info", {"id": str(table.distribution.identifier)}).json()["result"]
    by_id = {field["id"]: field for field in info["fields"]}
    assert by_id["Anzahl"]["info"]["label"] == "Einwohnerzahl"
    assert by_id["Anzahl"]["info"]["unit"] == "Personen"
    assert by_id["Anzahl"]["info"]["notes"] == "Mit Hauptwohnsitz"


def test_package_search_reads_all_table_schemas_at_once(client, flow_a, org_a, table):
    describe(table)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/3/action/package_search", {"rows": 10})
    other = publish_table(flow_a, org_a, "bezirke", content=CSV.encode())[1]
    describe(other)
    with CaptureQueriesContext(connection) as two:
        result = client.get("/api/3/action/package_search", {"rows": 10}).json()["result"]
    assert all("schema" in package["resources"][0] for package in result["results"])
    assert len(two) == len(one)


def test_dcat_names_the_table_schema(client, table):
    from rdflib import Graph, URIRef

    dataset = table.distribution.dataset
    response = client.get(reverse("portal:dataset_detail", args=[dataset.name]), HTTP_ACCEPT="text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    conforms = list(graph.objects(None, URIRef("http://purl.org/dc/terms/conformsTo")))
    path = reverse("datastore:table_schema", args=[table.distribution.identifier])
    assert [str(target) for target in conforms if str(target).endswith(path)]
    target = next(target for target in conforms if str(target).endswith(path))
    assert str(target).startswith("http")
    assert (target, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            URIRef("http://purl.org/dc/terms/Standard")) in graph  # fmt: skip


def test_the_table_schema_document_carries_the_dictionary_for_public_tables_only(client, flow_a, org_a, table):
    describe(table)
    url = reverse("datastore:table_schema", args=[table.distribution.identifier])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    fields = {field["name"]: field for field in json.loads(response.content)["fields"]}
    assert fields["Anzahl"]["title"] == "Einwohnerzahl"
    assert fields["Anzahl"]["unit"] == "Personen"
    assert fields["Anzahl"]["description"] == "Mit Hauptwohnsitz"
    assert fields["Stadtteil"]["constraints"]["enum"] == ["Mitte", "Nord", "Süd", "Ost"]
    _dataset, draft = draft_table(flow_a, org_a)
    assert client.get(reverse("datastore:table_schema", args=[draft.identifier])).status_code == 404


def test_the_conforms_to_of_a_queryable_table_is_valid_dcat_ap(client, settings, org_a, table):
    """dct:conformsTo of a distribution ("linked schemas") must be a dct:Standard: valid for
    DCAT-AP.de 3.0 and for plain DCAT-AP 3.0.0 (the shapes of portal/tests/test_dcat_shacl.py)."""
    shacl = pytest.importorskip("portal.tests.test_dcat_shacl")
    if not (shacl.SHAPES / "dcat-ap-3.0.0").is_dir():
        pytest.skip("The DCAT-AP SHACL shapes are not available.")
    settings.SITE_URL = shacl.SITE
    org_a.contributor_id = "http://dcat-ap.de/def/contributors/stadtOldenburg"
    org_a.save()
    describe(table)
    document = client.get("/catalog.ttl").content
    assert b"conformsTo" in document
    violations, warnings = shacl.validate(document, shacl.dcat_ap_de_3())
    assert violations == []
    assert [warning for warning in warnings if "Vokabular" not in warning] == []
    violations, _warnings = shacl.validate(document, shacl.dcat_ap_3_plain(), inference="rdfs", vocabularies=False)
    assert violations == []


@pytest.mark.parametrize(
    "hostile",
    ["\x00", "x" * 10_000, "<script>alert(1)</script>", "'; DROP TABLE datastore_columndescription; --", "‮טקסט"],
)
def test_hostile_input_is_refused_in_german_or_stored_as_text(client, flow_a, org_a, hostile):
    _dataset, distribution = draft_table(flow_a, org_a)
    client.force_login(flow_a.steward)
    data = form_data(client, distribution, Anzahl={"title": hostile, "values": hostile})
    response = client.post(edit_url(distribution), data)
    assert response.status_code in (200, 302, 400)  # 400: NUL characters (core's request hardening)
    if response.status_code != 302:
        assert response.status_code == 400 or response.context["formset"].errors[1]  # the row of "Anzahl"
        assert not ColumnDescription.objects.exists()
    else:
        assert ColumnDescription.objects.get(name="Anzahl").title == hostile.strip()
    # A formset that was tampered with: missing management data, another column.
    assert client.post(edit_url(distribution), {"version": 1}).status_code == 200
    data = form_data(client, distribution)
    data["spalten-0-name"] = "Untergeschoben"
    response = client.post(edit_url(distribution), data)
    assert "Die Spalten der Datei haben sich inzwischen geändert" in response.text


def test_the_internal_page_lists_the_dictionary_in_constant_queries(client, flow_a, org_a):
    dataset, _distribution = draft_table(flow_a, org_a)
    client.force_login(flow_a.steward)
    client.get(dataset.get_absolute_url())  # warm-up: guardian caches content types per process
    with CaptureQueriesContext(connection) as one_table:
        client.get(dataset.get_absolute_url())
    upload = SimpleUploadedFile("bezirke.csv", CSV.replace("Stadtteil", "Bezirk").encode(), content_type="text/csv")
    check_distribution(services.add_distribution(dataset, by=flow_a.steward, title="Bezirke", upload=upload).pk)
    with CaptureQueriesContext(connection) as two_tables:
        page = client.get(dataset.get_absolute_url())
    assert "<code>Bezirk</code>" in page.text
    assert len(two_tables) == len(one_table)


def test_the_public_page_is_not_answered_from_a_cache_after_its_table_changed(client, table):
    """A table loaded or described after publication changes the page, not the dataset:
    the page's ETag follows it, so a conditional GET gets the new page, not a 304."""
    from django.urls import reverse

    from datastore.models import ColumnDescription

    url = reverse("portal:dataset_detail", args=[table.distribution.dataset.name])
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    ColumnDescription.objects.create(distribution=table.distribution, name="Anzahl", title="Einwohnerzahl")
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Einwohnerzahl" in response.content.decode()
