"""Checks that must not mislead: the small-cells warning only where counts are about
persons, quality hints only for what a steward can do in a form, and the public
quality table names what is missing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string

from catalog import services
from catalog.disclosure import applies_to
from catalog.models import Dataset, Distribution, DistributionStatus, PersonalDataStatus
from catalog.quality import scoring
from catalog.tabular_validation import check_distribution
from catalog.tests.conftest import classification_fields

CONTAINERS = b"Standort,Container\nAm Markt,2\nBahnhof,1\nSchule,4\n"


def upload_table(dataset, steward, settings, tmp_path, personal_data):
    settings.MEDIA_ROOT = tmp_path
    services.classify_dataset(dataset, by=steward, fields=classification_fields(personal_data=personal_data))
    upload = SimpleUploadedFile("container.csv", CONTAINERS, content_type="text/csv")
    distribution = services.add_distribution(dataset, by=steward, title="Container", upload=upload)
    check_distribution(distribution.pk)
    return Distribution.objects.prefetch_related("reports").get(pk=distribution.pk)


def test_counts_in_data_without_personal_reference_raise_no_warning(dataset_a, steward_a, settings, tmp_path):
    distribution = upload_table(dataset_a, steward_a, settings, tmp_path, PersonalDataStatus.NONE)
    html = render_to_string("catalog/distribution_reports.html", {"distribution": distribution})
    assert "kleiner Fallzahl" not in html
    assert "Rückschlüsse auf einzelne Personen" not in html
    assert distribution.status == DistributionStatus.CURRENT  # not blocked either


def test_counts_of_aggregated_person_data_are_still_flagged(dataset_a, steward_a, settings, tmp_path):
    distribution = upload_table(dataset_a, steward_a, settings, tmp_path, PersonalDataStatus.AGGREGATED)
    html = render_to_string("catalog/distribution_reports.html", {"distribution": distribution})
    assert "2 Felder mit kleiner Fallzahl" in html
    assert "Rückschlüsse auf einzelne Personen" in html


def test_the_condition_follows_the_classification():
    from catalog.models import Classification

    assert applies_to(None)  # not classified yet: checked (fail closed)
    assert not applies_to(Classification(personal_data=PersonalDataStatus.NONE))
    assert applies_to(Classification(personal_data=PersonalDataStatus.NONE, statistical_confidentiality=True))
    for status in (PersonalDataStatus.ANONYMISED, PersonalDataStatus.AGGREGATED, PersonalDataStatus.PERSONAL):
        assert applies_to(Classification(personal_data=status))


@pytest.fixture
def licensed(org_a, steward_a):
    """A dataset with a licence set on the dataset, no distribution yet, and a publisher
    without a contributor ID of its own (the city above it has one)."""
    org_a.contributor_id = "https://www.dcat-ap.de/def/contributors/stadtA"
    org_a.save()
    from conftest import make_organisation

    department = make_organisation("stadt-a-amt", name="Stadt A – Amt", parent=org_a, legal_entity=org_a)
    dataset = services.create_dataset(
        by=steward_a,
        fields={
            "name": "container",
            "title": "Altglascontainer",
            "description": "Standorte.",
            "publisher": department,
            "contact_name": "Amt",
            "contact_email": "a@stadt-a.example",
            "licence": "dl-by-de/2.0",
        },
    )
    return Dataset.objects.select_related("publisher__parent").get(pk=dataset.pk)


def test_no_licence_hint_when_the_dataset_has_a_licence(licensed):
    hints = " ".join(scoring.assess(licensed, distributions=[]).hints())
    assert "Lizenz angeben" not in hints
    assert "Lizenz aus der DCAT-AP.de-Liste wählen" not in hints


def test_hints_only_name_what_a_form_offers(licensed):
    hints = " ".join(scoring.assess(licensed, distributions=[]).hints())
    assert "Zugangsrechte" not in hints  # set by the decision on publication, no form field
    assert "Contributor-ID" not in hints  # inherited from the city's settings
    assert "Veröffentlichungsdatum angeben" not in hints  # set on publication
    assert "Medientyp angeben" not in hints  # follows from the format the form asks for
    assert "Dateigröße der Distributionen angeben" not in hints  # no field: known for uploads
    quality = scoring.assess(licensed, distributions=[])
    dcat = next(check for d in quality.dimensions for check in d.checks if check.code == "dcat_ap")
    # The DCAT-AP core still misses a distribution, which the steward can add.
    assert not dcat.passed
    assert "Distribution" in dcat.hint


def test_the_public_quality_table_names_what_is_missing(licensed):
    quality = scoring.assess(licensed, distributions=[])
    missing = [text for dimension in quality.dimensions for text in dimension.failed_labels]
    assert "Lizenz angegeben" not in missing
    assert "Zugriffsadresse erreichbar" not in missing
    assert "keine erreichbare Zugriffsadresse" in missing
    assert "keine Schlagwörter" in missing
