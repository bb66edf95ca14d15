import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import engines

from catalog import services
from catalog.models import DistributionReport, ReportKind
from catalog.tabular_validation import check_distribution, validate_table

GOOD = "Stadtteil;Jahr;Einwohner\nMitte;2024;12034\nNord;2024;8311\nSüd;2024;9540\n"


def numbers(count: int, start: int = 1) -> str:
    return "".join(f"S{i},{i}\n" for i in range(start, start + count))


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_good_csv_is_valid_with_its_dialect_and_column_types():
    report = validate_table(GOOD.encode(), format="csv")

    assert report["valid"] is True
    assert report["errors"] == []
    assert report["summary"] == {}
    assert (report["encoding"], report["delimiter"], report["rows"]) == ("utf-8", ";", 3)
    assert report["columns"] == [
        {"name": "Stadtteil", "type": "string"},
        {"name": "Jahr", "type": "integer"},
        {"name": "Einwohner", "type": "integer"},
    ]


def test_blank_and_duplicate_rows_are_reported_with_their_row_numbers():
    content = "Stadtteil,Anzahl\nMitte,4\n,\nNord,5\nMitte,4\n"

    report = validate_table(content.encode(), format="csv")

    assert report["valid"] is False
    assert report["summary"] == {"blank-row": 1, "duplicate-row": 1}
    assert [(e["type"], e["row"], e["message"]) for e in report["errors"]] == [
        ("blank-row", 3, "Zeile 3 ist leer."),
        ("duplicate-row", 5, "Zeile 5 wiederholt Zeile 2."),
    ]


def test_a_value_that_does_not_fit_the_column_type_is_a_type_error():
    content = "Stadtteil,Anzahl\n" + numbers(12) + "S99,viele\n"

    report = validate_table(content.encode(), format="csv")

    assert report["summary"] == {"type-error": 1}
    assert report["errors"][0] == {
        "type": "type-error",
        "row": 14,
        "column": "Anzahl",
        "message": "„viele“ in Spalte „Anzahl“ ist keine gültige Angabe vom Typ ganze Zahl.",
    }


def test_a_file_not_in_utf8_is_reported_with_the_detected_encoding():
    content = "Stadtteil,Anzahl\nMünchen-Süd,4\nKöln-Nord,5\n".encode("cp1252")

    report = validate_table(content, format="csv")

    assert report["summary"] == {"encoding": 1}
    assert "nicht in UTF-8" in report["errors"][0]["message"]
    assert report["encoding"] == "cp1252"


def test_rows_with_different_delimiters_are_reported():
    content = "Stadtteil;Anzahl;Jahr\nMitte;1,5;2024\nNord,2,2024\n"

    report = validate_table(content.encode(), format="csv")

    assert report["summary"]["delimiter"] == 1
    # Read with the header's ";", the row with "," is one cell: its other cells are missing.
    # (frictionless guessed "," for this file and reported extra cells instead.)
    assert report["summary"]["missing-cell"] == 2
    assert "Trennzeichen" in report["errors"][0]["message"]


def test_a_table_without_header_row_is_reported():
    report = validate_table(b"1,2,3\n4,5,6\n7,8,9\n", format="csv")

    assert report["summary"] == {"missing-header": 1}
    assert report["errors"][0]["row"] == 1


def test_blank_and_duplicate_column_names_are_reported():
    report = validate_table(b"Stadtteil,,Stadtteil\nMitte,1,2\n", format="csv")

    assert report["summary"] == {"blank-label": 1, "duplicate-label": 1}


def test_an_attached_table_schema_is_enforced():
    schema = {"fields": [{"name": "Stadtteil", "type": "string"},
                         {"name": "Anzahl", "type": "integer", "constraints": {"minimum": 0}}]}  # fmt: skip

    report = validate_table(b"Stadtteil,Anzahl\nMitte,4\nNord,-1\nSued,x\n", format="csv", schema=schema)

    assert report["summary"] == {"constraint-error": 1, "type-error": 1}
    assert [e["row"] for e in report["errors"]] == [3, 4]


def test_an_xlsx_workbook_is_validated_like_a_csv():
    rows = [["Stadtteil", "Anzahl"], *[[f"S{i}", i] for i in range(12)], ["X", "viele"], [None, None], ["S1", 1]]

    report = validate_table(xlsx(rows), format="xlsx")

    assert report["summary"] == {"type-error": 1, "blank-row": 1, "duplicate-row": 1}
    assert report["columns"][1] == {"name": "Anzahl", "type": "integer"}


@pytest.mark.parametrize(("content", "format"), [(b"", "csv"), (b"\x00\x01kein Excel", "xlsx")])
def test_an_unreadable_file_is_an_invalid_report_not_an_exception(content, format):
    report = validate_table(content, format=format)

    assert report["valid"] is False
    assert report["errors"][0]["message"] == "Die Datei lässt sich nicht als Tabelle lesen."


def test_only_the_first_errors_are_listed_but_all_are_counted():
    content = "Stadtteil,Anzahl\n" + "Mitte,1\n" * 8

    report = validate_table(content.encode(), format="csv", max_errors=3)

    assert report["summary"] == {"duplicate-row": 7}
    assert len(report["errors"]) == 3
    assert report["truncated"] is True


def test_an_upload_is_checked_once_per_file_version(dataset_a, steward_a, settings, tmp_path,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    content = "Stadtteil,Anzahl\nMitte,1\nNord,5\nNord,5\n"
    upload = SimpleUploadedFile("einwohner.csv", content.encode(), content_type="text/csv")

    with django_capture_on_commit_callbacks() as callbacks:
        distribution = services.add_distribution(dataset_a, by=steward_a, title="Einwohner", upload=upload)
    assert not distribution.reports.exists(), "nothing is checked before the upload is committed"
    for callback in callbacks:
        callback()

    reports = {report.kind: report for report in distribution.reports.all()}
    assert set(reports) == {ReportKind.TABULAR, ReportKind.DISCLOSURE}
    assert reports[ReportKind.TABULAR].valid is False
    assert reports[ReportKind.TABULAR].summary == {"duplicate-row": 1}
    assert reports[ReportKind.TABULAR].checksum_sha256 == distribution.checksum_sha256
    assert reports[ReportKind.DISCLOSURE].report["flagged"] == [{"row": 2, "column": "Anzahl", "value": 1}]

    assert check_distribution(distribution.pk) == {"tabular": False, "disclosure": False}
    assert DistributionReport.objects.filter(distribution=distribution).count() == 2, "run twice, written once"


def test_links_and_other_formats_are_not_checked(dataset_a, steward_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        distribution = services.add_distribution(
            dataset_a, by=steward_a, title="API", access_url="https://example.org/daten.csv", format="CSV"
        )

    assert not distribution.reports.exists()
    assert check_distribution(distribution.pk) is None


def test_the_steward_sees_the_check_running_then_its_results(dataset_a, steward_a, settings, tmp_path,
                                                             django_assert_num_queries):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("einwohner.csv", b"Stadtteil,Anzahl\nMitte,1\n,\nNord,5\n")
    distribution = services.add_distribution(dataset_a, by=steward_a, title="Einwohner", upload=upload)
    template = "{% include 'catalog/distribution_reports.html' with distribution=distribution %}"

    def render():
        fetched = dataset_a.distributions.prefetch_related("reports").get(pk=distribution.pk)
        with django_assert_num_queries(0):  # the reports are prefetched
            return engines["django"].from_string(template).render({"distribution": fetched})

    running = render()
    assert "Prüfung läuft" in running
    assert 'hx-trigger="every 3s"' in running

    check_distribution(distribution.pk)
    done = render()
    assert "Prüfung läuft" not in done
    assert "Zeile 3 ist leer." in done
    assert "1 Feld mit kleiner Fallzahl" in done


def test_a_file_above_a_cap_gets_a_report_that_names_the_cap(dataset_a, steward_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TABLE_MAX_ROWS = 10
    content = "Stadtteil,Anzahl\n" + numbers(20, start=5)
    upload = SimpleUploadedFile("einwohner.csv", content.encode(), content_type="text/csv")
    distribution = services.add_distribution(dataset_a, by=steward_a, title="Einwohner", upload=upload)

    check_distribution(distribution.pk)

    reports = {report.kind: report for report in distribution.reports.all()}
    tabular = reports[ReportKind.TABULAR]
    assert tabular.valid is False
    assert tabular.summary == {"too-large": 1}
    assert tabular.report["errors"][0]["message"] == (
        "Die Datei ist zu groß zum Prüfen: mehr als 10 Zeilen. Geprüft wurden nur die ersten 10 Zeilen; "
        "bitte teilen Sie die Datei auf."
    )
    assert tabular.checksum_sha256 == distribution.checksum_sha256
    disclosure = reports[ReportKind.DISCLOSURE]
    assert (disclosure.valid, disclosure.report["error"]) == (False, "too-large"), "not passed: not read to its end"


def test_a_file_object_is_validated_as_a_stream():
    report = validate_table(io.BytesIO(GOOD.encode()), format="csv")

    assert (report["valid"], report["rows"]) == (True, 3)
