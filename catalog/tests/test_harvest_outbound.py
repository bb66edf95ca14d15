"""Harvesting through the outbound guard (core.outbound), against servers the tests start
on 127.0.0.1: loopback and private targets are refused when a source is saved and when
it is run (also via a redirect), a huge body is cut at the cap, a trickling source at the
deadline, a trusted source must be public, and the portal does not harvest itself."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.harvest import service
from catalog.harvest.service import run_harvest
from catalog.models import Dataset, HarvestJob, HarvestSource, HarvestStatus
from catalog.tests.ckan_fake import running_fake_ckan
from core.tests.local_http import connection_attempts, endless, send, serving, trickle

INTERNAL = "Die Adresse zeigt in ein internes Netz und wird nicht abgerufen."
SITE = "https://daten.stadt-a.example"


@pytest.fixture(autouse=True)
def bounds(settings):
    settings.HARVEST_PAGE_SIZE = 3
    settings.HARVEST_TIMEOUT = (2, 5)
    settings.OUTBOUND_MAX_BODY_BYTES = 2**20
    settings.OUTBOUND_REQUEST_DEADLINE = 10
    settings.OUTBOUND_ALLOWED_HOSTS = []
    settings.SITE_URL = SITE


def fields(url, admin, organisation, **more):
    return {
        "name": "Open-Data-Portal",
        "url": url,
        "default_organisation": organisation,
        "responsible": admin,
        **more,
    }


def refused_on_save(url, admin, organisation, **more) -> list[str]:
    with pytest.raises(ValidationError) as error:
        service.save_source(None, by=admin, fields=fields(url, admin, organisation, **more), mappings=[])
    assert not HarvestSource.objects.exists()
    return error.value.message_dict["url"]


def stored(url, admin, organisation, **more) -> HarvestSource:
    """A source saved before the rule (or before the allow-list changed): no check on the way in."""
    return HarvestSource.objects.create(created_by=admin, **fields(url, admin, organisation, **more))


def run(source) -> HarvestJob:
    job = HarvestJob.objects.create(source=source)
    assert run_harvest(job.pk) in (HarvestStatus.SUCCEEDED, HarvestStatus.FAILED)
    job.refresh_from_db()
    return job


def test_a_source_on_loopback_is_refused_without_the_allow_list(admin_a, org_a):
    with running_fake_ckan(allow_listed=False) as ckan:
        [message] = refused_on_save(ckan.url, admin_a, org_a)
        assert message.startswith(INTERNAL)
        assert "OUTBOUND_ALLOWED_HOSTS" in message

        job = run(stored(ckan.url, admin_a, org_a))

    assert job.status == HarvestStatus.FAILED
    assert job.message.startswith(INTERNAL)
    assert ckan.requests == []
    assert not Dataset.objects.exists()


@pytest.mark.parametrize("url", ["http://10.0.0.1:5000", "http://192.168.1.20", "http://169.254.169.254"])
def test_a_private_address_is_refused_without_a_connection(admin_a, org_a, url):
    with connection_attempts() as attempts:
        [message] = refused_on_save(url, admin_a, org_a)
        job = run(stored(url, admin_a, org_a))

    assert message.startswith(INTERNAL)
    assert job.status == HarvestStatus.FAILED
    assert job.message.startswith(INTERNAL)
    assert attempts == []


def test_a_name_that_resolves_to_loopback_is_refused(admin_a, org_a):
    with running_fake_ckan() as ckan:  # allow-listed as 127.0.0.1:<port>, not by this name
        url = ckan.url.replace("127.0.0.1", "localhost")
        [message] = refused_on_save(url, admin_a, org_a)
        job = run(stored(url, admin_a, org_a))

    assert message.startswith(INTERNAL)
    assert job.status == HarvestStatus.FAILED
    assert job.message.startswith(INTERNAL)
    assert ckan.requests == []


def test_a_redirect_into_the_internal_network_is_refused(admin_a, org_a, settings):
    with running_fake_ckan(allow_listed=False) as inner:

        def redirect(handler, served):
            send(handler, 302, headers={"Location": inner.url + handler.path})

        with serving(redirect) as outer:
            settings.OUTBOUND_ALLOWED_HOSTS = [outer.host_port]
            source = service.save_source(None, by=admin_a, fields=fields(outer.url, admin_a, org_a), mappings=[])
            job = run(source)

    assert job.status == HarvestStatus.FAILED
    assert job.message.startswith(INTERNAL)
    assert len(outer.paths) == 1
    assert inner.requests == []


def test_a_huge_body_is_cut_at_the_cap_and_fails_the_run(admin_a, org_a, settings):
    with serving(endless) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        source = service.save_source(None, by=admin_a, fields=fields(served.url, admin_a, org_a), mappings=[])
        job = run(source)

    assert (job.status, job.message) == (HarvestStatus.FAILED, "Die Antwort ist größer als 1 MB.")
    assert served.sent[0] < 32 * 2**20  # of "400 MB": the body was never read whole


def test_a_trickling_source_is_cut_at_the_deadline(admin_a, org_a, settings):
    settings.OUTBOUND_REQUEST_DEADLINE = 2
    with serving(trickle) as served:
        settings.OUTBOUND_ALLOWED_HOSTS = [served.host_port]
        source = service.save_source(None, by=admin_a, fields=fields(served.url, admin_a, org_a), mappings=[])
        job = run(source)

    assert (job.status, job.message) == (HarvestStatus.FAILED, "Die Quelle hat nicht rechtzeitig geantwortet.")


def test_a_run_ends_at_the_job_deadline(admin_a, org_a, settings):
    settings.HARVEST_PAGE_SIZE = 1
    settings.HARVEST_JOB_DEADLINE = 1
    with running_fake_ckan() as ckan:
        ckan.failure, ckan.delay = "timeout", 0.4  # every page answers, slowly: seven pages
        source = service.save_source(None, by=admin_a, fields=fields(ckan.url, admin_a, org_a), mappings=[])
        job = run(source)

    assert job.status == HarvestStatus.FAILED
    assert job.message == "Der Abruf hat seine Höchstdauer erreicht. Der nächste Abruf setzt das Übernommene fort."


def test_a_trusted_source_must_be_on_a_public_address_even_if_allow_listed(admin_a, org_a, default_rules):
    with running_fake_ckan() as ckan:
        [message] = refused_on_save(ckan.url, admin_a, org_a, trusted=True)
        job = run(stored(ckan.url, admin_a, org_a, trusted=True))

    trusted = "Eine vertrauenswürdige Quelle veröffentlicht direkt und muss deshalb unter einer öffentlichen Adresse"
    assert message.startswith(trusted)
    assert (job.status, job.message[: len(trusted)]) == (HarvestStatus.FAILED, trusted)
    assert ckan.requests == []
    assert not Dataset.objects.exists()


@pytest.mark.parametrize("url", [SITE, f"{SITE}/api/3/action", "https://opendata.stadt-a.example"])
def test_a_source_that_is_this_portal_is_refused_when_saved(admin_a, org_a, settings, url):
    settings.ALLOWED_HOSTS = ["daten.stadt-a.example", ".stadt-a.example"]

    [message] = refused_on_save(url, admin_a, org_a)

    assert message == "Das ist die Adresse dieses Portals; es kann sich nicht selbst abrufen."


def test_a_source_serving_this_portals_records_creates_nothing(admin_a, org_a, dataset_a, settings):
    # All records on one page: the identifier given below is random and would otherwise sort
    # onto a later page at random, and a run stops at the page where it finds its own
    # records (the pages before it are written; see the message).
    settings.HARVEST_PAGE_SIZE = 100
    with running_fake_ckan() as ckan:
        # What a portal that harvested this one passes on: the DCAT URIs of this portal's
        # datasets (ckanext-dcat keeps them in the extra "uri"), and for one of them the
        # dataset's own identifier.
        for package in ckan.packages:
            package.setdefault("extras", []).append({"key": "uri", "value": f"{SITE}/dataset/{package['name']}"})
        source = service.save_source(None, by=admin_a, fields=fields(ckan.url, admin_a, org_a), mappings=[])
        job = run(source)
        assert job.status == HarvestStatus.FAILED
        assert job.message.startswith("Die Quelle liefert Datensätze dieses Portals zurück")

        for package in ckan.packages:
            package["extras"] = [extra for extra in package["extras"] if extra["key"] != "uri"]
        ckan.packages[0]["id"] = str(dataset_a.identifier)
        again = run(source)

    assert again.status == HarvestStatus.FAILED
    assert again.message.startswith("Die Quelle liefert Datensätze dieses Portals zurück")
    assert list(Dataset.objects.all()) == [dataset_a]


def test_the_form_says_why_an_internal_address_is_refused(client_for, admin_a, org_a):
    data = {
        "name": "Intern",
        "kind": "ckan",
        "url": "http://10.1.2.3",
        "default_organisation": org_a.pk,
        "responsible": admin_a.pk,
    }

    response = client_for(admin_a).post(reverse("catalog:harvest_source_create"), data)

    assert response.status_code == 200
    [message] = response.context["form"].errors["url"]
    assert message.startswith(INTERNAL)
    assert not HarvestSource.objects.exists()
