"""The portal serves the preview and the alternative formats (CSV, JSON, XLSX) the worker
computed once per checksum (catalog.renditions); no request reads or converts a table
(issue 21, findings 2 and 4)."""

import codecs
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from catalog import renditions, services
from catalog.models import Rendition, RenditionStatus

from .conftest import fresh

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'
TYPED_CSV = (
    "Schlüssel;Anzahl;Anteil;Betrag;Wert;Stichtag;Datum;Aktiv;Gemischt;Notiz\r\n"
    f'01234;17;12,5;1.234,5;12.5;2024-12-31;31.12.2024;wahr;3;"{FORMULA.replace(chr(34), chr(34) * 2)}"\r\n'
    "05678;-3;0,25;12,0;-0.5;2025-01-01;1.1.2025;falsch;drei;-2+3\r\n"
    ";;;;;;;;;\r\n"
)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def publish_table(flow, organisation, name, content: bytes, filename: str, capture):
    """A published dataset with one uploaded table, its tasks run as after the commit of the upload."""
    dataset = flow.create(organisation, name, csv=None)
    with capture(execute=True):
        services.add_distribution(
            dataset, by=flow.steward, title="Tabelle", upload=SimpleUploadedFile(filename, content)
        )
    dataset = flow.publish(fresh(dataset))
    return dataset, dataset.distributions.get()


def convert_url(dataset, distribution, target):
    return reverse("portal:convert", args=[dataset.name, distribution.identifier, target])


@pytest.fixture
def typed_table(flow_a, org_a, django_capture_on_commit_callbacks):
    return publish_table(flow_a, org_a, "typen", TYPED_CSV.encode(), "typen.csv", django_capture_on_commit_callbacks)


def test_a_conversion_is_served_from_the_stored_file_without_reading_the_table(client, typed_table):
    dataset, distribution = typed_table
    url = convert_url(dataset, distribution, "csv")
    assert client.get(url).getvalue()
    # The uploaded table is overwritten behind the portal's back: a request that read it
    # would now convert other rows.
    with distribution.file.storage.open(distribution.file.name, "wb") as target:
        target.write(b"Anders;Ganz\r\nnicht;mehr\r\n")
    for target in ("csv", "json", "xlsx"):
        response = client.get(convert_url(dataset, distribution, target))
        assert response.status_code == 200, target
        stored = Rendition.objects.get(distribution=distribution, kind=target)
        with stored.file.open("rb") as file:
            assert body(response) == file.read(), target
        assert response["ETag"]
        assert response["Last-Modified"]
        assert "attachment" in response["Content-Disposition"]
        assert (
            client.get(convert_url(dataset, distribution, target), HTTP_IF_NONE_MATCH=response["ETag"]).status_code
            == 304
        )
    assert b"Anders" not in body(client.get(url))


def test_a_formula_in_a_csv_comes_out_neutralised_in_the_csv_and_as_text_in_the_xlsx(client, typed_table):
    dataset, distribution = typed_table
    csv_text = body(client.get(convert_url(dataset, distribution, "csv"))).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
    assert "'-2+3" in csv_text
    assert ",=HYPERLINK" not in csv_text
    workbook = load_workbook(io.BytesIO(body(client.get(convert_url(dataset, distribution, "xlsx")))))
    sheet = workbook.worksheets[0]
    notes = [row[9] for row in sheet.iter_rows(min_row=2, max_row=3)]
    assert [cell.value for cell in notes] == ["'" + FORMULA, "'-2+3"]
    assert [cell.data_type for cell in notes] == ["s", "s"]


def test_numbers_stay_numbers_in_json_and_xlsx(client, typed_table):
    dataset, distribution = typed_table
    records = json.loads(body(client.get(convert_url(dataset, distribution, "json"))))
    assert records[0] == {
        "Schlüssel": "01234",  # a leading zero keeps a key text
        "Anzahl": 17,
        "Anteil": 12.5,
        "Betrag": 1234.5,
        "Wert": 12.5,
        "Stichtag": "2024-12-31",
        "Datum": "2024-12-31",
        "Aktiv": True,
        "Gemischt": "3",  # one cell is no number: the column stays text
        "Notiz": FORMULA,  # JSON is data, not a spreadsheet
    }
    assert records[1]["Anzahl"] == -3
    assert records[1]["Betrag"] == 12.0
    assert records[2]["Anzahl"] is None
    assert records[2]["Schlüssel"] == ""
    workbook = load_workbook(io.BytesIO(body(client.get(convert_url(dataset, distribution, "xlsx")))))
    first = list(next(workbook.worksheets[0].iter_rows(min_row=2, max_row=2)))
    assert [cell.value for cell in first[:5]] == ["01234", 17, 12.5, 1234.5, 12.5]
    assert [cell.data_type for cell in first[:5]] == ["s", "n", "n", "n", "n"]
    assert first[5].is_date
    assert first[5].value.date().isoformat() == "2024-12-31"
    assert first[7].value is True
    # The CSV keeps the cells as written, numbers unquoted by formula neutralisation.
    csv_lines = body(client.get(convert_url(dataset, distribution, "csv"))).decode("utf-8-sig").splitlines()
    assert csv_lines[2].startswith('05678,-3,"0,25","12,0",-0.5,2025-01-01,1.1.2025,falsch,drei,')


def test_the_german_csv_is_offered_and_served_as_excel_csv_where_it_differs_from_the_original(client, typed_table):
    dataset, distribution = typed_table
    page = body(client.get(reverse("portal:dataset_detail", args=[dataset.name]))).decode()
    url = convert_url(dataset, distribution, "csv_de")
    assert f'href="{url}">CSV (Excel, deutsch)' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="typen-excel.csv"' in response["Content-Disposition"]
    data = body(response)
    assert data.startswith(codecs.BOM_UTF8)
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Schlüssel;Anzahl;Anteil;Betrag;Wert;Stichtag;Datum;Aktiv;Gemischt;Notiz"
    assert lines[2] == "05678;-3;0,25;12,0;-0,5;01.01.2025;01.01.2025;FALSCH;drei;'-2+3"


def test_a_table_already_in_excels_german_form_offers_no_german_csv(
    client, flow_a, org_a, django_capture_on_commit_callbacks
):
    content = codecs.BOM_UTF8 + "Ort;Anzahl;Anteil;Stichtag\r\nKöln;1234;12,5;31.12.2024\r\n".encode()
    dataset, distribution = publish_table(
        flow_a, org_a, "schon", content, "schon.csv", django_capture_on_commit_callbacks
    )
    page = body(client.get(reverse("portal:dataset_detail", args=[dataset.name]))).decode()
    assert "/als-csv/" in page
    assert "/als-csv_de/" not in page
    assert "Excel, deutsch" not in page
    # Whoever asks for it anyway gets the original, which is that file.
    response = client.get(convert_url(dataset, distribution, "csv_de"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:download", args=[dataset.name, distribution.identifier])


def test_a_table_rendered_before_the_german_csv_keeps_its_formats_until_the_backfill_adds_it(client, typed_table):
    dataset, distribution = typed_table
    Rendition.objects.filter(distribution=distribution, kind="csv_de").delete()
    page = body(client.get(reverse("portal:dataset_detail", args=[dataset.name]))).decode()
    assert "/als-json/" in page
    assert "/als-csv_de/" not in page
    assert list(renditions.missing()) == [distribution.pk]
    assert renditions.render(distribution)["csv_de"] == "ready"
    assert list(renditions.missing()) == []
    assert "/als-csv_de/" in body(client.get(reverse("portal:dataset_detail", args=[dataset.name]))).decode()


def test_an_xlsx_gets_a_preview_and_typed_formats(client, flow_a, org_a, django_capture_on_commit_callbacks):
    workbook = Workbook()
    workbook.active.append(["Jahr", "Anzahl", "Name"])
    workbook.active.append([2024, 17.5, "=1+1"])
    workbook.active["C2"].data_type = "s"  # text that looks like a formula, as a program may store it
    buffer = io.BytesIO()
    workbook.save(buffer)
    dataset, distribution = publish_table(
        flow_a, org_a, "mappe", buffer.getvalue(), "mappe.xlsx", django_capture_on_commit_callbacks
    )
    page = body(client.get(reverse("portal:dataset_detail", args=[dataset.name]))).decode()
    assert "Vorschau: die erste Zeile" in page
    assert '<td class="kern-table__cell">17.5</td>' in page
    assert json.loads(body(client.get(convert_url(dataset, distribution, "json")))) == [
        {"Jahr": 2024, "Anzahl": 17.5, "Name": "=1+1"}
    ]
    assert "'=1+1" in body(client.get(convert_url(dataset, distribution, "csv"))).decode("utf-8-sig")


def test_a_table_over_the_caps_is_explained_in_german_on_the_page_and_at_the_convert_url(
    client, settings, flow_a, org_a, django_capture_on_commit_callbacks
):
    settings.TABLE_MAX_ROWS = 3
    rows = "".join(f"{n};Linde\r\n" for n in range(10))
    dataset, distribution = publish_table(
        flow_a, org_a, "gross", f"Nr;Art\r\n{rows}".encode(), "gross.csv", django_capture_on_commit_callbacks
    )
    page = body(client.get(reverse("portal:dataset_detail", args=[dataset.name]))).decode()
    assert "Die Datei ist zu groß, um sie umzuwandeln (mehr als 3 Zeilen)." in page
    assert "/als-csv/" not in page
    assert "Vorschau: die ersten 2 Zeilen" in page  # what was read before the cap
    for target in ("csv", "json", "xlsx"):
        response = client.get(convert_url(dataset, distribution, target))
        assert response.status_code == 404
        text = body(response).decode()
        assert "Die Datei ist zu groß, um sie umzuwandeln (mehr als 3 Zeilen)." in text
        assert "Bitte laden Sie die Originaldatei herunter." in text
        assert reverse("portal:download", args=[dataset.name, distribution.identifier]) in text


def test_more_rows_than_a_sheet_holds_give_csv_and_json_but_no_xlsx(
    client, monkeypatch, flow_a, org_a, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(renditions, "XLSX_MAX_DATA_ROWS", 2)
    dataset, distribution = publish_table(
        flow_a, org_a, "lang", b"Nr\r\n1\r\n2\r\n3\r\n", "lang.csv", django_capture_on_commit_callbacks
    )
    assert json.loads(body(client.get(convert_url(dataset, distribution, "json")))) == [{"Nr": 1}, {"Nr": 2}, {"Nr": 3}]
    response = client.get(convert_url(dataset, distribution, "xlsx"))
    assert response.status_code == 404
    assert "mehr Zeilen, als ein XLSX-Arbeitsblatt fassen kann (2 Zeilen)" in body(response).decode()


def test_a_conversion_not_computed_yet_says_so_and_asks_to_come_back(client, published):
    distribution = published.distributions.get()
    response = client.get(convert_url(published, distribution, "json"))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "wird gerade vorbereitet" in body(response).decode()
    page = body(client.get(reverse("portal:dataset_detail", args=[published.name]))).decode()
    assert "werden gerade vorbereitet" in page


def test_rendering_twice_keeps_one_set_and_a_new_version_replaces_the_old_files(
    typed_table, django_capture_on_commit_callbacks
):
    _dataset, distribution = typed_table
    first = {r.kind: r.file.name for r in Rendition.objects.filter(distribution=distribution)}
    assert renditions.render_distribution(distribution.pk) == {
        "preview": "ready", "csv": "ready", "csv_de": "ready", "json": "ready", "xlsx": "ready",
    }  # fmt: skip
    assert {r.kind: r.file.name for r in Rendition.objects.filter(distribution=distribution)} == first

    storage = distribution.file.storage
    with storage.open(distribution.file.name, "wb") as target:
        target.write(b"Neu;Tabelle\r\n1;2\r\n")
    distribution.checksum_sha256 = "0" * 64
    distribution.save()
    with django_capture_on_commit_callbacks(execute=True):
        renditions.render(distribution)
    current = Rendition.objects.filter(distribution=distribution)
    assert {r.checksum_sha256 for r in current} == {"0" * 64}
    assert all(not storage.exists(name) for name in first.values() if name)
    assert current.get(kind="preview").preview["header"] == ["Neu", "Tabelle"]


def test_an_unreadable_table_is_failed_not_an_error(client, flow_a, org_a):
    # The upload check refuses a broken XLSX already; one the reader cannot parse
    # anyway is a file changed in storage after the upload.
    dataset = flow_a.create(org_a, "kaputt", csv=None)
    workbook = Workbook()
    workbook.active.append(["A"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    services.add_distribution(
        dataset, by=flow_a.steward, title="T", upload=SimpleUploadedFile("t.xlsx", buffer.getvalue())
    )
    distribution = dataset.distributions.get()
    with distribution.file.storage.open(distribution.file.name, "wb") as target:
        target.write(b"kein Archiv")
    assert set(renditions.render(distribution).values()) == {RenditionStatus.FAILED}
    dataset = flow_a.publish(fresh(dataset))
    response = client.get(convert_url(dataset, distribution, "csv"))
    assert response.status_code == 404
    assert "nicht als Tabelle gelesen werden" in body(response).decode()


def test_the_backfill_command_renders_tables_stored_before_renditions(client, published):
    from django.core.management import call_command

    distribution = published.distributions.get()
    assert client.get(convert_url(published, distribution, "csv")).status_code == 503
    call_command("render_tables", stdout=io.StringIO())
    assert b"Linde" in body(client.get(convert_url(published, distribution, "csv")))
    assert list(renditions.missing()) == []
