"""The harvesting pages: who may see, configure and run a source (governance admins of
its organisation), who may read its runs (stewards of the organisations it feeds),
the setup form, starting a run, the progress region and the report."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.harvest import service
from catalog.models import Dataset, HarvestJob, HarvestSource, HarvestStatus
from catalog.tests.ckan_fake import running_fake_ckan, trusted_sources_on_loopback
from conftest import make_role_holder
from governance.models import AuditEvent, Role


@pytest.fixture
def ckan(monkeypatch):
    trusted_sources_on_loopback(monkeypatch)  # the form below sets up a trusted source
    with running_fake_ckan() as fake:
        yield fake


@pytest.fixture(autouse=True)
def small_pages(settings):
    settings.HARVEST_PAGE_SIZE = 3
    settings.HARVEST_TIMEOUT = (2, 2)


@pytest.fixture
def source(ckan, org_a, org_a_department, admin_a):
    return service.save_source(
        None,
        by=admin_a,
        fields={"name": "Open-Data-Portal Stadt A", "url": ckan.url, "default_organisation": org_a,
                "responsible": admin_a},
        mappings=[("gruenflaechenamt", org_a_department)],
    )  # fmt: skip


@pytest.fixture
def finished_job(source, admin_a):
    job = HarvestJob.objects.create(source=source, triggered_by=admin_a)
    return service.run_job(job.pk)


def url(name, *args):
    return reverse(f"catalog:{name}", args=args)


# ---- Who may do what --------------------------------------------------------------------------

PAGES = [
    ("GET", "harvest_source_list", False),
    ("GET", "harvest_source_create", False),
    ("GET", "harvest_source_detail", "source"),
    ("GET", "harvest_source_edit", "source"),
    ("POST", "harvest_start", "source"),
    ("GET", "harvest_job_detail", "job"),
    ("GET", "harvest_job_progress", "job"),
]
# persona → expected status per page, in the order of PAGES
MATRIX = {
    "admin_a": [200, 200, 200, 200, 302, 200, 200],
    "steward_a": [200, 403, 200, 403, 403, 200, 200],
    "steward_b": [200, 403, 404, 404, 404, 404, 404],
    "outsider": [403, 403, 403, 403, 403, 403, 403],
}


def page_url(name, target, source, job):
    if target == "source":
        return url(name, source.pk)
    if target == "job":
        return url(name, job.pk)
    return url(name)


@pytest.mark.parametrize("persona", list(MATRIX))
def test_permissions_per_persona(request, client_for, persona, source, finished_job):
    client = client_for(request.getfixturevalue(persona))
    statuses = []
    for method, name, target in PAGES:
        target_url = page_url(name, target, source, finished_job)
        response = client.post(target_url, {"scope": "full"}) if method == "POST" else client.get(target_url)
        statuses.append(response.status_code)
    assert statuses == MATRIX[persona]


def test_anonymous_people_are_sent_to_the_login(client, source, finished_job):
    for method, name, target in PAGES:
        target_url = page_url(name, target, source, finished_job)
        response = client.post(target_url) if method == "POST" else client.get(target_url)
        assert response.status_code == 302
        assert response.url.startswith("/konto/anmelden/")


def test_a_steward_of_a_mapped_organisation_reads_the_source(client_for, source, org_a_department):
    steward = make_role_holder("steward-umwelt", Role.STEWARD, org_a_department)
    client = client_for(steward)

    assert client.get(url("harvest_source_detail", source.pk)).status_code == 200
    assert "Open-Data-Portal Stadt A" in client.get(url("harvest_source_list")).content.decode()


def test_the_list_shows_only_the_sources_of_ones_organisations(client_for, source, steward_b):
    page = client_for(steward_b).get(url("harvest_source_list")).content.decode()
    assert "Open-Data-Portal Stadt A" not in page
    assert "Für Ihre Organisationen ist keine Quelle eingerichtet." in page


def test_the_catalog_links_to_harvesting(client_for, admin_a, steward_a, outsider):
    link = url("harvest_source_list")
    assert link in client_for(admin_a).get(url("dataset_list")).content.decode()
    assert link in client_for(steward_a).get(url("dataset_list")).content.decode()


# ---- Setting up a source ----------------------------------------------------------------------


def form_data(ckan, org, admin, **overrides):
    return {
        "name": "Open-Data-Portal Stadt A",
        "kind": "ckan",
        "url": f"{ckan.url}/api/3/action/",
        "default_organisation": org.pk,
        "responsible": admin.pk,
        "mappings": "gruenflaechenamt = stadt-a-umweltamt\n\n# Kämmerei bleibt bei der Stadt",
        "fq": "",
        "name_prefix": "",
        "trusted": "on",
        "active": "on",
        **overrides,
    }


def test_an_admin_sets_up_a_source_with_a_mapping(client_for, ckan, org_a, org_a_department, admin_a):
    client = client_for(admin_a)
    assert client.get(url("harvest_source_create")).status_code == 200

    response = client.post(url("harvest_source_create"), form_data(ckan, org_a, admin_a))

    source = HarvestSource.objects.get()
    assert response.url == url("harvest_source_detail", source.pk)
    assert (source.url, source.trusted, source.created_by) == (ckan.url, True, admin_a)
    assert [(m.remote_name, m.organisation) for m in source.organisation_mappings.all()] == [
        ("gruenflaechenamt", org_a_department)
    ]
    history = source.history.get()
    assert (history.history_user, history.history_change_reason) == (admin_a, "catalog.harvest.source.created")
    event = AuditEvent.objects.get(content_type__model="harvestsource", object_id=str(source.pk))
    assert (event.actor, event.organisation, event.reason) == (admin_a, org_a, "catalog.harvest.source.created")
    page = client.get(response.url).content.decode()
    assert "CKAN-Portal (CKAN-API)" in page
    assert "Stadt A – Umweltamt" in page
    assert "Vertrauenswürdig: veröffentlicht direkt" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"mappings": "gruenflaechenamt stadt-a"}, "mappings",
         "Zeile 1: Bitte „Name an der Quelle = Kurzname“ angeben."),
        ({"mappings": "a = stadt-b"}, "mappings",
         "Zeile 1: Die Organisation „stadt-b“ gibt es nicht, oder Sie sind dort nicht Governance-Admin."),
        ({"mappings": "a = stadt-a\na = stadt-a"}, "mappings", "Zeile 2: „a“ ist schon zugeordnet."),
        ({"name_prefix": "Jena_"}, "name_prefix", "Nur Kleinbuchstaben, Ziffern und Bindestriche, z. B. „jena-“."),
        ({"url": "ftp://portal.example"}, "url",
         "Bitte geben Sie eine Adresse an, die mit https:// oder http:// beginnt."),
        ({"kind": "dcat", "fq": "organization:umweltamt"}, "fq",
         "Einen Filter gibt es nur für CKAN-Portale. Bitte lassen Sie das Feld leer."),
        ({"kind": "wfs"}, "kind", "Bitte eine gültige Auswahl treffen. wfs ist keine gültige Auswahl."),
    ],
)  # fmt: skip
def test_the_form_explains_what_is_wrong(
    client_for, ckan, org_a, org_a_department, org_b, admin_a, overrides, field, message
):
    response = client_for(admin_a).post(url("harvest_source_create"), form_data(ckan, org_a, admin_a, **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not HarvestSource.objects.exists()


def test_the_responsible_person_must_be_governance_admin_of_the_organisation(client_for, ckan, org_a, org_b):
    admin_a = make_role_holder("admin-a", Role.GOVERNANCE_ADMIN, org_a)
    both = make_role_holder("admin-ab", Role.GOVERNANCE_ADMIN, org_b)
    from governance import services

    services.assign_role(both, Role.GOVERNANCE_ADMIN, org_a, by=None)
    # admin-a is offered (admin of org_a), but not responsible for org_b's source.
    response = client_for(both).post(url("harvest_source_create"), form_data(ckan, org_b, admin_a, mappings=""))

    assert response.context["form"].errors["responsible"] == [
        "Die verantwortliche Person muss Governance-Admin von Stadt B sein."
    ]


def test_an_admin_changes_a_source_and_its_mapping(client_for, ckan, source, org_a, admin_a):
    client = client_for(admin_a)
    page = client.get(url("harvest_source_edit", source.pk)).content.decode()
    assert "gruenflaechenamt = stadt-a-umweltamt" in page

    client.post(
        url("harvest_source_edit", source.pk),
        form_data(ckan, org_a, admin_a, mappings="", fq="organization:kaemmerei", trusted=""),
    )

    source.refresh_from_db()
    assert (source.fq, source.trusted, source.organisation_mappings.count()) == ("organization:kaemmerei", False, 0)
    assert source.history.count() == 2
    assert source.organisation_mappings.model.history.filter(
        history_change_reason="catalog.harvest.mapping.removed"
    ).exists()


# ---- Running and reading a run ----------------------------------------------------------------


def test_starting_a_run_harvests_and_shows_the_report(client_for, source, admin_a, django_capture_on_commit_callbacks):
    client = client_for(admin_a)
    page = client.get(url("harvest_source_detail", source.pk)).content.decode()
    assert "Abruf starten" in page
    assert "Nur Änderungen" not in page  # no success yet: only a complete run is offered

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("harvest_start", source.pk), {"scope": "full"})

    job = HarvestJob.objects.get()
    assert response.url == url("harvest_job_detail", job.pk)
    assert (job.status, job.triggered_by, job.created_count) == (HarvestStatus.SUCCEEDED, admin_a, 4)
    assert Dataset.objects.count() == 4
    page = client.get(response.url).content.decode()
    assert "Abruf abgeschlossen – 2 Datensätze nicht übernommen" in page
    assert "4 neu, 0 aktualisiert, 0 unverändert, 0 an der Quelle entfernt." in page
    assert '<code class="sd-import-code">wahlergebnisse-2021</code>' in page
    assert "Der Titel fehlt." in page
    assert "Format „DWG“ unbekannt; als „Sonstiges“ übernommen." in page
    assert 'href="/intern/datensaetze/baumkataster/"' in page
    assert "htmx.min.js" not in page  # finished: nothing polls


def test_a_pending_run_polls_its_progress(client_for, source, admin_a, steward_a):
    job = HarvestJob.objects.create(source=source, triggered_by=admin_a)
    client = client_for(steward_a)

    page = client.get(url("harvest_job_detail", job.pk)).content.decode()

    assert 'aria-live="polite"' in page
    assert '<progress id="harvest-progress" max="100" value="0">' in page
    assert "vendor/htmx/htmx.min.js" in page
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in page
    progress = url("harvest_job_progress", job.pk)
    assert client.get(progress, {"stand": "pending-0-0"}).status_code == 204

    HarvestJob.objects.filter(pk=job.pk).update(status=HarvestStatus.RUNNING, total=6, processed=3)
    fragment = client.get(progress, {"stand": "pending-0-0"}).content.decode()
    assert "3 von 6 Datensätzen verarbeitet" in fragment
    assert 'value="50"' in fragment

    HarvestJob.objects.filter(pk=job.pk).update(
        status=HarvestStatus.FAILED, message="Die Quelle hat nicht rechtzeitig geantwortet."
    )
    fragment = client.get(progress, {"stand": "running-3-6"}).content.decode()
    assert "Abruf abgebrochen" in fragment
    assert "Die Quelle hat nicht rechtzeitig geantwortet." in fragment
    assert 'id="harvest-result" hx-swap-oob="true"' in fragment


def test_a_second_start_while_running_is_refused_with_a_message(client_for, source, admin_a):
    HarvestJob.objects.create(source=source, status=HarvestStatus.RUNNING)
    client = client_for(admin_a)

    response = client.post(url("harvest_start", source.pk), {"scope": "full"}, follow=True)

    assert "Für diese Quelle läuft bereits ein Abruf." in response.content.decode()
    assert HarvestJob.objects.count() == 1


def test_a_run_that_stopped_answering_does_not_block_the_source(client_for, source, admin_a):
    job = HarvestJob.objects.create(source=source, status=HarvestStatus.RUNNING, heartbeat=timezone.now())
    client = client_for(admin_a)
    page = client.get(url("harvest_source_detail", source.pk)).content.decode()
    assert "Für diese Quelle läuft gerade ein Abruf." in page
    assert "Abruf starten" not in page

    HarvestJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - timedelta(hours=1))
    page = client.get(url("harvest_source_detail", source.pk)).content.decode()
    assert "Abruf starten" in page


def test_starting_needs_post(client_for, source, admin_a):
    assert client_for(admin_a).get(url("harvest_start", source.pk)).status_code == 405


# ---- Pinned query counts ----------------------------------------------------------------------

# The list of sources, whatever their number (after a warm-up request):
#    1 session, 2 user, 3 can_view_harvesting (decorator),
#    4 the sources with organisation, record count and last run (subqueries),
#    5 can_configure_harvesting for the button,
#    6 the roles the user holds anywhere (navigation context processor).
LIST_QUERIES = 6


@pytest.mark.parametrize("count", [1, 4])
def test_the_list_needs_the_same_queries_for_few_and_many_sources(
    client_for, ckan, org_a, admin_a, count, django_assert_num_queries
):
    for number in range(count):
        source = service.save_source(
            None, by=admin_a, mappings=[],
            fields={"name": f"Quelle {number}", "url": ckan.url, "default_organisation": org_a, "responsible": admin_a},
        )  # fmt: skip
        HarvestJob.objects.create(source=source, triggered_by=admin_a)
    client = client_for(admin_a)
    client.get(url("harvest_source_list"))

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url("harvest_source_list"))

    assert len(response.context["sources"]) == count


# A finished run's page, whatever the size of its report:
#    1 session, 2 user, 3 can_view_harvesting (decorator),
#    4 the job with source, organisation and who started it, limited to the visible sources,
#    5 the titles of the datasets the report names (one query for all),
#    6 the roles the user holds anywhere (navigation context processor).
JOB_QUERIES = 6


def test_the_report_page_needs_a_fixed_number_of_queries(client_for, finished_job, admin_a, django_assert_num_queries):
    client = client_for(admin_a)
    client.get(url("harvest_job_detail", finished_job.pk))

    with django_assert_num_queries(JOB_QUERIES):
        response = client.get(url("harvest_job_detail", finished_job.pk))

    assert response.status_code == 200
    # The report names the datasets here by their titles, not only by their short names.
    created = Dataset.objects.get(harvest_record__remote_name="baumkataster")
    assert f'{reverse("catalog:dataset_detail", args=[created.name])}">{created.title}</a>' in response.content.decode()
