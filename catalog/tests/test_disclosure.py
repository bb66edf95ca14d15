import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services
from catalog.disclosure import check_disclosure
from catalog.engine import decide, disclosure_findings
from catalog.models import PersonalDataStatus
from catalog.tabular_validation import check_distribution
from catalog.tests.conftest import classification_fields
from governance.rules import ReviewRole

TABLE = (
    "Stadtteil,Jahr,Bezirk-Nr,Anzahl,Haushalte\n"
    "Mitte,2024,1,1,10\n"
    "Nord,2024,2,0,20\n"
    "Süd,2024,3,2,30\n"
    "Ost,2024,4,.,40\n"
    "Insgesamt,2024,,3,100\n"
)


def test_counts_below_the_minimum_are_flagged_with_row_column_and_value():
    report = check_disclosure(TABLE.encode(), format="csv")

    assert report["valid"] is False
    assert report["min_count"] == 3
    assert report["count_columns"] == ["Anzahl", "Haushalte"], "year and district number are not counts"
    assert report["flagged"] == [
        {"row": 2, "column": "Anzahl", "value": 1},
        {"row": 4, "column": "Anzahl", "value": 2},
    ]


def test_the_totals_count_every_checked_and_flagged_cell():
    report = check_disclosure(TABLE.encode(), format="csv")

    # Anzahl: 1, 0, 2, 3 (the suppressed "." is no count); Haushalte: five values.
    assert (report["rows"], report["checked_cells"], report["flagged_cells"]) == (5, 9, 2)


def test_zero_is_allowed_unless_the_setting_says_otherwise(settings):
    assert {"row": 3, "column": "Anzahl", "value": 0} not in check_disclosure(TABLE.encode(), format="csv")["flagged"]

    settings.DISCLOSURE_FLAG_ZEROS = True

    assert {"row": 3, "column": "Anzahl", "value": 0} in check_disclosure(TABLE.encode(), format="csv")["flagged"]


def test_the_minimum_is_configurable(settings):
    settings.DISCLOSURE_MIN_COUNT = 5

    report = check_disclosure(TABLE.encode(), format="csv")

    assert report["min_count"] == 5
    assert [cell["value"] for cell in report["flagged"]] == [1, 2, 3]
    assert check_disclosure(TABLE.encode(), format="csv", min_count=2)["flagged_cells"] == 1


def test_a_table_with_large_counts_passes():
    report = check_disclosure(b"Stadtteil,Anzahl\nMitte,1200\nNord,340\n", format="csv")

    assert report["valid"] is True
    assert (report["checked_cells"], report["flagged_cells"]) == (2, 0)


def test_named_count_columns_are_checked_even_if_read_as_text():
    report = check_disclosure("Stadtteil,Fälle\nMitte,.\nNord,2\nSüd,x\n".encode(), format="csv")

    assert report["count_columns"] == ["Fälle"]
    assert report["flagged"] == [{"row": 3, "column": "Fälle", "value": 2}]


def test_an_unreadable_file_is_not_reported_as_passed():
    report = check_disclosure(b"\x00\x01kein Excel", format="xlsx")

    assert report["valid"] is False
    assert report["error"] == "unreadable"


@pytest.fixture
def aggregated(dataset_a, steward_a, settings, tmp_path):
    """Dataset A classified as aggregated data, with an uploaded table (not yet checked)."""
    settings.MEDIA_ROOT = tmp_path
    services.classify_dataset(
        dataset_a, by=steward_a, fields=classification_fields(personal_data=PersonalDataStatus.AGGREGATED)
    )
    upload = SimpleUploadedFile("einwohner.csv", TABLE.encode(), content_type="text/csv")
    distribution = services.add_distribution(dataset_a, by=steward_a, title="Einwohner", upload=upload)
    dataset_a.refresh_from_db()
    return dataset_a, distribution


def test_small_cells_become_a_fact_that_calls_in_the_statistics_office(aggregated, default_rules):
    dataset, distribution = aggregated
    assert disclosure_findings(dataset) is None, "no check yet: the fact is not applicable"
    assert ReviewRole.STATISTICS_OFFICE not in decide(dataset).reviews

    check_distribution(distribution.pk)

    assert disclosure_findings(dataset) is True
    assert decide(dataset).reviews[ReviewRole.STATISTICS_OFFICE] == ["R-KLEINE-FALLZAHLEN"]


def test_the_report_of_an_older_file_version_does_not_count(aggregated, default_rules):
    dataset, distribution = aggregated
    check_distribution(distribution.pk)
    distribution.checksum_sha256 = "0" * 64  # as if a new version of the file had been stored
    distribution.save()

    assert disclosure_findings(dataset) is None
    assert ReviewRole.STATISTICS_OFFICE not in decide(dataset).reviews


def test_small_cells_in_data_without_personal_reference_need_no_review(dataset_a, steward_a, default_rules, settings,
                                                                       tmp_path):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    upload = SimpleUploadedFile("parkhaeuser.csv", b"Parkhaus,Ebenen\nAm Markt,2\nBahnhof,4\n")
    distribution = services.add_distribution(dataset_a, by=steward_a, title="Parkhäuser", upload=upload)
    check_distribution(distribution.pk)
    dataset_a.refresh_from_db()

    assert disclosure_findings(dataset_a) is True
    assert ReviewRole.STATISTICS_OFFICE not in decide(dataset_a).reviews
