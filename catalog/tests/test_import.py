import codecs
import csv
import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from catalog import services
from catalog.imports import columns, service
from catalog.imports.service import run_inventory_import
from catalog.models import (
    Classification,
    Confidentiality,
    Dataset,
    ImportStatus,
    InventoryImport,
    Keyword,
    PersonalDataStatus,
    ProtectionNeed,
)
from conftest import make_role_holder
from governance.models import Role

from .conftest import dataset_fields

CLASSIFIED = {
    "personenbezug": "kein Personenbezug",
    "vertraulichkeit": "öffentlich",
    "schutzbedarf_vertraulichkeit": "normal",
    "schutzbedarf_integritaet": "hoch",
    "schutzbedarf_verfuegbarkeit": "1",
    "raeumliche_granularitaet": "point",
    "zeitliche_granularitaet": "Jahr",
    "begruendung": "Sachdaten ohne Personenbezug.",
}


def row(kennung="baumkataster", **cells):
    return {
        "kennung": kennung,
        "titel": "Baumkataster",
        "beschreibung": "Alle Straßen- und Parkbäume mit Art, Höhe und Standort.",
        "ansprechstelle": "Grünflächenamt",
        "kontakt_email": "gruen@stadt-a.example",
        **cells,
    }


def good_rows():
    return [
        row(
            schlagwoerter="Bäume; Stadtgrün",
            themen="envi",
            lizenz="cc-by/4.0",
            zeitraum_von="01.01.2020",
            zeitraum_bis="2024-12-31",
            gemeindeschluessel="16053000",
            aktualisierung="jährlich",
            **CLASSIFIED,
        ),
        row(
            "radverkehrszaehlung",
            titel="Radverkehrszählung",
            beschreibung="Zählstellen für den Radverkehr, stündlich.",
            schlagwoerter="Rad, Verkehr",
            themen="TRAN;ENVI",
            webseite="www.stadt-a.example/rad",
        ),
    ]


def csv_bytes(rows, *, delimiter=";", encoding="utf-8-sig", header=None) -> bytes:
    header = header or [name for name in columns.COLUMN_NAMES if any(name in cells for cells in rows)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for cells in rows:
        writer.writerow([cells.get(name, "") for name in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header, *rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, organisation, content, name="bestand.csv"):
    response = client.post(
        reverse("catalog:import_start"),
        {"organisation": organisation.pk, "file": SimpleUploadedFile(name, content)},
    )
    return response, InventoryImport.objects.order_by("-pk").first()


def counts():
    return {
        "datasets": Dataset.objects.count(),
        "classifications": Classification.objects.count(),
        "history": Dataset.history.count(),
        "keywords": Keyword.objects.count(),
    }


def errors_by_row(inventory_import):
    return {entry["row"]: entry["errors"] for entry in inventory_import.errors}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def steward_client(client_for, steward_a):
    return client_for(steward_a)


def test_a_good_csv_creates_datasets_with_keywords_themes_and_classification(steward_client, org_a, steward_a):
    response, inventory_import = upload(steward_client, org_a, csv_bytes(good_rows()))

    assert response.status_code == 302
    assert response.url == inventory_import.get_absolute_url()
    assert inventory_import.status == ImportStatus.SUCCEEDED
    assert (inventory_import.created_count, inventory_import.updated_count) == (2, 0)
    assert inventory_import.progress_percent == 100
    assert inventory_import.finished is not None

    trees = Dataset.objects.get(name="baumkataster")
    assert trees.publisher == org_a
    assert trees.created_by == steward_a
    assert trees.licence == "cc-by/4.0"
    assert trees.temporal_start == date(2020, 1, 1)
    assert trees.temporal_end == date(2024, 12, 31)
    assert trees.update_frequency == "ANNUAL"
    assert sorted(k.name for k in trees.keywords.all()) == ["Bäume", "Stadtgrün"]
    assert [t.code for t in trees.themes.all()] == ["ENVI"]
    classification = trees.current_classification
    assert classification.number == 1
    assert classification.classified_by == steward_a
    assert classification.personal_data == PersonalDataStatus.NONE
    assert classification.confidentiality == Confidentiality.OEFFENTLICH
    assert classification.protection_integrity == ProtectionNeed.HOCH
    assert classification.temporal_granularity == "year"
    created = trees.history.earliest()
    assert created.history_change_reason == "catalog.dataset.imported"
    assert created.history_user == steward_a

    bikes = Dataset.objects.get(name="radverkehrszaehlung")
    assert bikes.current_classification is None
    assert bikes.landing_page == "https://www.stadt-a.example/rad"
    assert sorted(t.code for t in bikes.themes.all()) == ["ENVI", "TRAN"]
    assert not bikes.classifications.exists()

    page = steward_client.get(response.url)
    assert "Import erfolgreich" in page.content.decode()
    assert "2 Datensätze neu angelegt, 0 aktualisiert, 0 unverändert." in page.content.decode()


def test_a_good_xlsx_with_date_number_and_boolean_cells_is_imported(steward_client, org_a):
    header = ["Kennung", "Titel", "Beschreibung", "Ansprechstelle", "Kontakt_Email", "Zeitraum_von"]
    header += ["gemeindeschlüssel", "themen", *CLASSIFIED, "kritis"]
    content = xlsx_bytes(
        header,
        [
            "wasserwerke",
            "Wasserwerke",
            "Standorte der Wasserwerke.",
            "Stadtwerke",
            "info@stadtwerke.example",
            datetime(2021, 3, 15),
            1001000,  # Kiel, stored by Excel as a number without the leading zero
            "ENER",
            *CLASSIFIED.values(),
            True,
        ],
        [None] * len(header),  # an empty but formatted row is skipped
    )

    _response, inventory_import = upload(steward_client, org_a, content, name="Bestand 2026.xlsx")

    assert inventory_import.status == ImportStatus.SUCCEEDED, inventory_import.errors
    assert inventory_import.original_name == "Bestand 2026.xlsx"
    assert inventory_import.total_rows == 1
    dataset = Dataset.objects.get(name="wasserwerke")
    assert dataset.temporal_start == date(2021, 3, 15)
    assert dataset.municipality_key == "01001000"
    assert dataset.current_classification.critical_infrastructure is True


def test_bad_rows_write_nothing_and_every_bad_row_is_reported(steward_client, org_a, dataset_a):
    before = counts()
    rows = [
        row("gute-zeile", **CLASSIFIED),
        row("ohne-titel", titel="", kontakt_email="keine-adresse"),
        row("falsches-thema", themen="ENVI;WETTER", zeitraum_von="31.02.2024"),
        row(
            "personen-oeffentlich",
            **{**CLASSIFIED, "personenbezug": "personenbezogen", "vertraulichkeit": "0"},
        ),
        row("halbe-klassifizierung", vertraulichkeit="intern"),
        row("hvd-geschlossen", hvd_kategorie="Georaum", lizenz="cc-by-nc/4.0", zeitraum_von="2024-05-01"),
        row("Gross_Geschrieben"),
        row("import"),
    ]

    response, inventory_import = upload(steward_client, org_a, csv_bytes(rows))

    assert inventory_import.status == ImportStatus.FAILED
    assert counts() == before
    assert inventory_import.created_count == inventory_import.updated_count == 0
    errors = errors_by_row(inventory_import)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9]
    assert errors[3]["titel"] == ["Dieses Feld darf nicht leer sein."]
    assert len(errors[3]["kontakt_email"]) == 1
    assert "gültige E-Mail" in errors[3]["kontakt_email"][0]
    assert "Unbekannter Wert „WETTER“" in errors[4]["themen"][0]
    assert "kein Datum" in errors[4]["zeitraum_von"][0]
    assert errors[5]["vertraulichkeit"] == ["Personenbezogene Daten können nicht als öffentlich eingestuft werden."]
    assert errors[5]["rechtsgrundlagen"] == ["Personenbezogene Daten brauchen eine Rechtsgrundlage nach Art. 6 DSGVO."]
    assert set(errors[6]) == {
        "personenbezug",
        "schutzbedarf_vertraulichkeit",
        "schutzbedarf_integritaet",
        "schutzbedarf_verfuegbarkeit",
        "raeumliche_granularitaet",
        "zeitliche_granularitaet",
        "begruendung",
    }
    assert "Pflichtangabe, sobald eine Spalte der Klassifizierung ausgefüllt ist" in errors[6]["personenbezug"][0]
    assert errors[7] == {"lizenz": ["Hochwertige Datensätze brauchen eine offene Lizenz (CC BY 4.0, CC0 o. ä.)."]}
    assert "keine gültige Kennung" in errors[8]["kennung"][0]
    assert errors[9] == {"kennung": ["Dieser Kurzname ist reserviert; bitte einen anderen wählen."]}

    page = steward_client.get(response.url).content.decode()
    assert "Fehler gefunden – es wurde nichts übernommen" in page
    assert "7 fehlerhafte Zeilen" in page
    assert "Personenbezogene Daten können nicht als öffentlich eingestuft werden." in page
    assert '<code class="sd-import-code">kontakt_<wbr>email</code>' in page


def test_reimporting_the_same_file_changes_nothing(steward_client, org_a):
    content = csv_bytes(good_rows())
    upload(steward_client, org_a, content)
    before = counts()
    versions = dict(Dataset.objects.values_list("name", "version"))

    _response, again = upload(steward_client, org_a, content)

    assert again.status == ImportStatus.SUCCEEDED, again.errors
    assert (again.created_count, again.updated_count) == (0, 0)
    assert counts() == before
    assert dict(Dataset.objects.values_list("name", "version")) == versions


def test_the_same_inventory_as_xlsx_after_csv_changes_nothing(steward_client, org_a):
    rows = good_rows()
    upload(steward_client, org_a, csv_bytes(rows))
    before = counts()
    header = [name for name in columns.COLUMN_NAMES if any(name in cells for cells in rows)]
    content = xlsx_bytes(header, *([cells.get(name, "") for name in header] for cells in rows))

    _response, again = upload(steward_client, org_a, content, name="bestand.xlsx")

    assert (again.status, again.created_count, again.updated_count) == (ImportStatus.SUCCEEDED, 0, 0)
    assert counts() == before


def test_a_changed_reimport_updates_and_counts_the_changed_datasets(steward_client, org_a, steward_a):
    rows = good_rows()
    upload(steward_client, org_a, csv_bytes(rows))
    untouched_version = Dataset.objects.get(name="radverkehrszaehlung").version
    rows[0]["titel"] = "Baumkataster der Stadt A"
    rows[0]["vertraulichkeit"] = "intern"
    rows.append(row("spielplaetze", titel="Spielplätze"))

    _response, again = upload(steward_client, org_a, csv_bytes(rows))

    assert (again.status, again.created_count, again.updated_count) == (ImportStatus.SUCCEEDED, 1, 1)
    trees = Dataset.objects.get(name="baumkataster")
    assert trees.title == "Baumkataster der Stadt A"
    assert trees.current_classification.number == 2
    assert trees.current_classification.confidentiality == Confidentiality.INTERN
    assert trees.classifications.get(number=1).confidentiality == Confidentiality.OEFFENTLICH
    assert trees.history.filter(history_change_reason="catalog.dataset.imported").count() >= 2
    assert Dataset.objects.get(name="radverkehrszaehlung").version == untouched_version
    page = steward_client.get(again.get_absolute_url()).content.decode()
    assert "1 Datensatz neu angelegt, 1 aktualisiert, 1 unverändert." in page


def test_a_missing_column_leaves_the_field_and_an_empty_cell_clears_it(steward_client, org_a, dataset_a):
    dataset_a.attribution_text = "Stadt A"
    dataset_a.spatial_label = "Stadtgebiet"
    dataset_a.save()
    content = csv_bytes([{"kennung": "baumkataster", "namensnennung": "", "titel": "Bäume"}])

    _response, inventory_import = upload(steward_client, org_a, content)

    assert inventory_import.updated_count == 1, inventory_import.errors
    dataset_a.refresh_from_db()
    assert (dataset_a.title, dataset_a.attribution_text, dataset_a.spatial_label) == ("Bäume", "", "Stadtgebiet")
    assert dataset_a.description == dataset_fields(org_a)["description"]
    assert [k.name for k in dataset_a.keywords.all()] == ["Bäume"]


def test_a_kennung_twice_in_the_file_is_an_error_in_both_rows(steward_client, org_a):
    _response, inventory_import = upload(steward_client, org_a, csv_bytes([row(), row(titel="Anders")]))

    assert inventory_import.status == ImportStatus.FAILED
    errors = errors_by_row(inventory_import)
    assert errors[2]["kennung"] == ["Die Kennung „baumkataster“ steht mehrfach in der Datei (Zeilen 2, 3)."]
    assert errors[3]["kennung"] == errors[2]["kennung"]
    assert not Dataset.objects.exists()


def test_a_kennung_of_another_organisation_is_refused(steward_client, org_a, dataset_b):
    version = dataset_b.version
    _response, inventory_import = upload(steward_client, org_a, csv_bytes([row("parkhaeuser")]))

    assert inventory_import.status == ImportStatus.FAILED
    assert errors_by_row(inventory_import) == {
        2: {"kennung": ["Die Kennung „parkhaeuser“ gehört zu einer anderen Organisation."]}
    }
    dataset_b.refresh_from_db()
    assert (dataset_b.title, dataset_b.version) == ("Parkhausbelegung", version)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"kennung;titel;farbe;groesse\r\nx;y;rot;1\r\n", "Unbekannte Spalten: farbe, groesse."),
        (b"titel;beschreibung\r\nBaeume;Alle\r\n", "Die Pflichtspalte „kennung“ fehlt."),
        (b"kennung;titel;titel\r\nx;y;z\r\n", "Diese Spalten kommen mehrfach vor: titel."),
        (b"kennung;titel\r\nbaeume;Baeume\r\n", "Für neue Datensätze fehlen die Pflichtspalten: beschreibung, "),
        (b"kennung;titel\r\n", "Die Datei enthält keine Datenzeilen"),
    ],
)
def test_file_level_errors_name_the_columns(steward_client, org_a, content, message):
    response, inventory_import = upload(steward_client, org_a, content)

    assert inventory_import.status == ImportStatus.FAILED
    assert inventory_import.errors[0]["row"] is None
    assert message in inventory_import.errors[0]["errors"][""][0]
    assert not Dataset.objects.exists()
    assert message in steward_client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("delimiter", "encoding"), [(";", "cp1252"), (",", "utf-8"), (";", "utf-8-sig"), ("\t", "utf-8")]
)
def test_csv_in_windows_1252_or_utf8_with_any_delimiter(steward_client, org_a, delimiter, encoding):
    rows = [row("strassenbaeume", titel="Straßenbäume – Übersicht", schlagwoerter="Bäume;Straße")]

    _response, inventory_import = upload(steward_client, org_a, csv_bytes(rows, delimiter=delimiter, encoding=encoding))

    assert inventory_import.status == ImportStatus.SUCCEEDED, inventory_import.errors
    dataset = Dataset.objects.get(name="strassenbaeume")
    assert dataset.title == "Straßenbäume – Übersicht"
    assert sorted(k.name for k in dataset.keywords.all()) == ["Bäume", "Straße"]


def test_a_big_file_runs_as_a_background_task_with_progress(
    steward_client, org_a, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 5
    rows = [row(f"datensatz-{number}", titel=f"Datensatz {number}") for number in range(7)]

    with django_capture_on_commit_callbacks() as callbacks:
        response, inventory_import = upload(steward_client, org_a, csv_bytes(rows))

    assert (inventory_import.status, inventory_import.total_rows) == (ImportStatus.PENDING, 7)
    assert not Dataset.objects.exists()
    page = steward_client.get(response.url).content.decode()
    assert 'aria-live="polite"' in page
    assert '<progress id="import-progress" max="100" value="0">' in page
    assert "vendor/htmx/htmx.min.js" in page
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in page
    assert "Aktualisieren" in page
    progress_url = reverse("catalog:import_progress", args=[inventory_import.pk])
    assert steward_client.get(progress_url, {"stand": "pending-0-7"}).status_code == 204

    assert len(callbacks) == 1
    callbacks[0]()  # the commit: enqueues the task, which runs eagerly in the tests

    inventory_import.refresh_from_db()
    assert inventory_import.status == ImportStatus.SUCCEEDED
    assert (inventory_import.processed_rows, inventory_import.progress_percent) == (7, 100)
    assert inventory_import.created_count == 7
    assert Dataset.objects.count() == 7
    fragment = steward_client.get(progress_url, {"stand": "pending-0-7"}).content.decode()
    assert "Import erfolgreich" in fragment
    assert 'id="import-result" hx-swap-oob="true"' in fragment


def test_validation_reports_progress_every_50_rows(steward_client, org_a, monkeypatch):
    reported = []
    original = service.report_progress

    def record(inventory_import, **counts):
        reported.append(counts.get("processed_rows"))
        original(inventory_import, **counts)

    monkeypatch.setattr(service, "report_progress", record)
    rows = [row(f"datensatz-{number}", titel=f"Datensatz {number}") for number in range(120)]

    _response, inventory_import = upload(steward_client, org_a, csv_bytes(rows))

    assert inventory_import.status == ImportStatus.SUCCEEDED
    assert [count for count in reported if count] == [50, 100, 120]


def test_the_task_is_idempotent(steward_client, org_a):
    _response, inventory_import = upload(steward_client, org_a, csv_bytes(good_rows()))
    before = counts()

    run_inventory_import(inventory_import.pk)
    run_inventory_import.delay(inventory_import.pk)

    inventory_import.refresh_from_db()
    assert (inventory_import.status, inventory_import.created_count) == (ImportStatus.SUCCEEDED, 2)
    assert counts() == before
    assert run_inventory_import(999999) is None


def test_a_pending_import_run_twice_writes_once(org_a, steward_a):
    inventory_import = InventoryImport.objects.create(organisation=org_a, created_by=steward_a, original_name="b.csv")
    inventory_import.file.save("b.csv", io.BytesIO(csv_bytes(good_rows())))

    assert run_inventory_import(inventory_import.pk) == ImportStatus.SUCCEEDED
    assert run_inventory_import(inventory_import.pk) is None
    assert Dataset.objects.count() == 2


def test_an_unexpected_error_while_writing_rolls_everything_back(steward_client, org_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "classify_dataset", broken)
    before = counts()

    _response, inventory_import = upload(steward_client, org_a, csv_bytes(good_rows()))

    assert inventory_import.status == ImportStatus.FAILED
    assert "unerwarteter Fehler aufgetreten (RuntimeError)" in inventory_import.errors[0]["errors"][""][0]
    assert counts() == before


def test_a_file_that_is_not_csv_or_xlsx_is_refused_before_anything_is_stored(steward_client, org_a, tmp_path):
    response, inventory_import = upload(steward_client, org_a, b"%PDF-1.4 ...", name="bestand.pdf")

    assert response.status_code == 200
    assert inventory_import is None
    assert "Bitte laden Sie eine CSV- oder XLSX-Datei hoch" in response.content.decode()
    assert not any(tmp_path.rglob("*.*"))


def test_a_file_over_the_size_limit_is_refused(steward_client, org_a, settings):
    settings.MAX_UPLOAD_SIZE = 100

    response, inventory_import = upload(steward_client, org_a, csv_bytes(good_rows()))

    assert inventory_import is None
    assert "erlaubt sind höchstens" in response.content.decode()


def test_a_steward_of_another_organisation_cannot_see_the_import(client_for, steward_a, steward_b, org_a):
    _response, inventory_import = upload(client_for(steward_a), org_a, csv_bytes(good_rows()))

    client = client_for(steward_b)
    assert client.get(inventory_import.get_absolute_url()).status_code == 404
    assert client.get(reverse("catalog:import_progress", args=[inventory_import.pk])).status_code == 404
    assert inventory_import.get_absolute_url() not in client.get(reverse("catalog:import_start")).content.decode()


def test_another_steward_of_the_organisation_can_see_the_import(client_for, steward_a, org_a):
    _response, inventory_import = upload(client_for(steward_a), org_a, csv_bytes(good_rows()))
    colleague = make_role_holder("steward-a2", Role.STEWARD, org_a)

    assert client_for(colleague).get(inventory_import.get_absolute_url()).status_code == 200


def test_a_steward_can_only_import_into_own_organisations(steward_client, org_b):
    response, inventory_import = upload(steward_client, org_b, csv_bytes(good_rows()))

    assert response.status_code == 200
    assert inventory_import is None
    assert not Dataset.objects.exists()


@pytest.mark.parametrize("persona", ["owner_a", "outsider"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "catalog:import_start"),
        ("post", "catalog:import_start"),
        ("get", "catalog:import_template"),
    ],
)
def test_only_stewards_may_import(request, client_for, org_a, persona, method, url):
    client = client_for(request.getfixturevalue(persona))
    args = ["csv"] if url == "catalog:import_template" else []

    response = getattr(client, method)(reverse(url, args=args))

    assert response.status_code == 403
    assert not InventoryImport.objects.exists()


def test_anonymous_people_are_sent_to_the_login(client):
    for url in (reverse("catalog:import_start"), reverse("catalog:import_template", args=["xlsx"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_the_start_page_documents_every_column_and_lists_recent_imports(steward_client, org_a):
    _response, inventory_import = upload(steward_client, org_a, csv_bytes(good_rows()), name="mein-bestand.csv")

    page = steward_client.get(reverse("catalog:import_start")).content.decode().replace("_<wbr>", "_")

    for name in columns.COLUMN_NAMES:
        assert f'<code class="sd-import-code">{name}</code>' in page
    assert "mein-bestand.csv" in page
    assert inventory_import.get_absolute_url() in page
    assert 'id="werte-lizenz"' in page


def test_the_csv_template_has_the_documented_header_and_an_importable_example(steward_client, org_a):
    response = steward_client.get(reverse("catalog:import_template", args=["csv"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    assert content.startswith(codecs.BOM_UTF8)
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == columns.COLUMN_NAMES
    assert len(lines) == 2

    _response, inventory_import = upload(steward_client, org_a, content, name="vorlage.csv")
    assert inventory_import.status == ImportStatus.SUCCEEDED, inventory_import.errors


def test_the_xlsx_template_has_the_documented_header_and_an_importable_example(steward_client, org_a):
    response = steward_client.get(reverse("catalog:import_template", args=["xlsx"]))

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert list(rows[0]) == columns.COLUMN_NAMES
    assert len(rows) == 2

    _response, inventory_import = upload(steward_client, org_a, response.content, name="vorlage.xlsx")
    assert inventory_import.status == ImportStatus.SUCCEEDED, inventory_import.errors
    assert Dataset.objects.get(name="baumkataster").current_classification is not None


def test_other_template_formats_do_not_exist(steward_client):
    assert steward_client.get(reverse("catalog:import_template", args=["pdf"])).status_code == 404


# -- Bounded reading (issue 21) ---------------------------------------------------------


def test_empty_rows_count_toward_the_row_limit(steward_client, org_a, settings):
    settings.IMPORT_MAX_ROWS = 5
    content = csv_bytes(good_rows()[:1]) + b";;;\r\n" * 3 + b"\r\n" * 3

    _response, inventory_import = upload(steward_client, org_a, content)

    assert inventory_import.status == ImportStatus.FAILED
    assert inventory_import.errors[0]["errors"][""] == [
        "Die Datei hat mehr als 5 Datenzeilen (leere Zeilen zählen mit). Bitte teilen Sie sie auf mehrere Dateien auf."
    ]
    assert not Dataset.objects.exists()


def test_a_sheet_that_jumps_to_the_last_excel_row_stops_at_the_row_limit(steward_client, org_a):
    from core.tests.sheets import xlsx_with_sheet

    def cells(number, *values):
        return f'<row r="{number}">' + "".join(
            f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{value}</t></is></c>' for i, value in enumerate(values)
        ) + "</row>"  # fmt: skip

    header = ("kennung", "titel", "beschreibung", "ansprechstelle", "kontakt_email")
    values = ("baeume", "Bäume", "Alle Bäume.", "Grünflächenamt", "gruen@stadt-a.example")
    sheet = cells(1, *header) + cells(2, *values) + cells(1048576, "spaet", *values[1:])

    _response, inventory_import = upload(steward_client, org_a, xlsx_with_sheet(sheet), name="bestand.xlsx")

    assert inventory_import.status == ImportStatus.FAILED
    assert "mehr als 5000 Datenzeilen (leere Zeilen zählen mit)" in inventory_import.errors[0]["errors"][""][0]
    assert not Dataset.objects.exists()


def test_a_file_above_the_byte_size_goes_to_the_worker_unread(steward_client, org_a, settings, monkeypatch,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    from core import tables

    read = tables.read_rows
    calls = []
    monkeypatch.setattr(tables, "read_rows", lambda *args, **kwargs: calls.append(1) or read(*args, **kwargs))
    content = csv_bytes(good_rows())
    settings.IMPORT_BACKGROUND_BYTES = len(content) - 1

    with django_capture_on_commit_callbacks() as callbacks:
        _response, inventory_import = upload(steward_client, org_a, content)

    assert (inventory_import.status, inventory_import.total_rows) == (ImportStatus.PENDING, 0)
    assert calls == [], "the request does not read the rows of a large file"
    for callback in callbacks:
        callback()
    inventory_import.refresh_from_db()
    assert (inventory_import.status, inventory_import.total_rows, inventory_import.created_count) == (
        ImportStatus.SUCCEEDED,
        2,
        2,
    )
