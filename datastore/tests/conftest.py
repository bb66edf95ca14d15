import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services
from catalog.tabular_validation import check_distribution
from datastore import loader
from portal.tests.conftest import Flow, fresh, media_and_cache  # noqa: F401 - the portal's fixtures
from portal.tests.conftest import flow_a as flow_a

CSV = (
    "Stadtteil;Anzahl;Fläche in km²;Stichtag;Bemerkung;PLZ\r\n"
    "Mitte;1234;12,5;31.12.2024;Straße gesperrt;01067\r\n"
    "Nord;56;-0,75;01.01.2025;;04109\r\n"
    "Süd;;3;15.06.2024;Größe unbekannt;01099\r\n"
    "Ost;7;1.000,25;;;\r\n"
)


def publish_table(flow, organisation, name, *, content=CSV, filename=None, content_type="text/csv"):
    """A published dataset whose one table went through the checks and the load, as the
    worker would do it; returns (dataset, DataTable)."""
    dataset = flow.create(organisation, name, title=name.capitalize(), csv=None)
    upload = SimpleUploadedFile(filename or f"{name}.csv", content, content_type=content_type)
    distribution = services.add_distribution(dataset, by=flow.steward, title=f"{name} (Tabelle)", upload=upload)
    check_distribution(distribution.pk)
    dataset = flow.publish(fresh(dataset))
    loader.sync_dataset(dataset.pk)
    distribution.refresh_from_db()
    table = loader.load(distribution)
    return dataset, table


@pytest.fixture
def table(flow_a, org_a):
    return publish_table(flow_a, org_a, "stadtteile", content=CSV.encode())[1]
