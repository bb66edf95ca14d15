"""The version history of a dataset: a version per change, readable differences between
any two metadata versions and between any two classification versions."""

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import Confidentiality, PersonalDataStatus, ProtectionNeed, Theme
from catalog.vocabularies import DataTheme
from conftest import make_user

from .conftest import classification_fields


@pytest.fixture(autouse=True)
def themes(db):
    """The EU themes come from a data migration; a transactional test (the browser tests)
    flushes them, and a reused test database keeps them flushed. Make sure they exist."""
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


def history_url(dataset):
    return reverse("catalog:dataset_history", args=[dataset.name])


def as_rows(changes):
    return [(change.label, change.old, change.new) for change in changes]


@pytest.fixture
def edited_dataset(dataset_a, steward_a):
    """Version 1 as created, version 2 and 3 after two edits by different people."""
    colleague = make_user("kollegin", first_name="Karla", last_name="Kollegin")
    services.update_dataset(
        dataset_a,
        by=steward_a,
        fields={"title": "Baumkataster 2025", "update_frequency": "ANNUAL"},
        expected_version=1,
        keywords=["Bäume", "Stadtklima"],
        reason="Jahresstand",
    )
    services.update_dataset(
        dataset_a,
        by=colleague,
        fields={"contact_name": "Umweltamt", "licence": "cc-by/4.0", "owner": colleague},
        expected_version=2,
        themes=["ENVI", "REGI"],
    )
    dataset_a.refresh_from_db()
    return dataset_a


def test_every_edit_is_a_version_with_person_and_reason(client_for, steward_a, edited_dataset):
    response = client_for(steward_a).get(history_url(edited_dataset))

    assert response.status_code == 200
    entries = response.context["entries"]
    assert [entry["record"].version for entry in entries] == [3, 2, 1]
    assert [entry["record"].history_user.username for entry in entries] == ["kollegin", "steward-a", "steward-a"]
    assert as_rows(entries[1]["changes"]) == [
        ("Schlagwörter", "Bäume", "Bäume, Stadtklima"),
        ("Titel", "Baumkataster", "Baumkataster 2025"),
        ("Aktualisierung", "unbekannt", "jährlich"),
    ]
    assert entries[2]["changes"] == []
    html = response.content.decode()
    assert "Jahresstand" in html  # a reason typed by a person
    assert "Metadaten geändert" in html  # the service's reason code, in words
    assert "Datensatz angelegt" in html
    assert "Karla Kollegin" in html


def test_the_diff_between_versions_1_and_3_lists_every_changed_field(client_for, steward_a, edited_dataset):
    response = client_for(steward_a).get(history_url(edited_dataset), {"version-von": "1", "version-bis": "3"})

    diff = response.context["metadata_diff"]
    assert (diff["older"].number, diff["newer"].number) == (1, 3)
    assert sorted(as_rows(diff["changes"])) == [
        ("Aktualisierung", "unbekannt", "jährlich"),
        ("Ansprechstelle", "Grünflächenamt", "Umweltamt"),
        ("Dateneigentümer:in", "–", "kollegin"),
        (
            "Lizenz",
            "Datenlizenz Deutschland Namensnennung 2.0",
            "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
        ),
        ("Schlagwörter", "Bäume", "Bäume, Stadtklima"),
        ("Themen", "Umwelt", "Regionen und Städte, Umwelt"),
        ("Titel", "Baumkataster", "Baumkataster 2025"),
    ]
    html = response.content.decode()
    assert "Von Version 1 zu Version 3:" in html
    assert "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)" in html


def test_versions_can_be_chosen_in_either_order(client_for, steward_a, edited_dataset):
    client = client_for(steward_a)
    forwards = client.get(history_url(edited_dataset), {"version-von": "1", "version-bis": "2"})
    backwards = client.get(history_url(edited_dataset), {"version-von": "2", "version-bis": "1"})

    assert as_rows(forwards.context["metadata_diff"]["changes"]) == as_rows(
        backwards.context["metadata_diff"]["changes"]
    )


def test_an_unknown_version_shows_no_diff_but_the_page(client_for, steward_a, edited_dataset):
    response = client_for(steward_a).get(history_url(edited_dataset), {"version-von": "1", "version-bis": "99"})

    assert response.status_code == 200
    assert response.context["metadata_diff"] is None
    assert response.context["metadata_form"].errors["bis"]


def test_the_classification_versions_and_their_diff(client_for, steward_a, dataset_a):
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    services.classify_dataset(
        dataset_a,
        by=steward_a,
        fields=classification_fields(
            personal_data=PersonalDataStatus.PSEUDONYMISED,
            confidentiality=Confidentiality.VERTRAULICH,
            protection_availability=ProtectionNeed.HOCH,
            legal_bases=["GDPR_6_1_e"],
            justification="Pseudonymisierte Standortdaten.",
        ),
    )
    client = client_for(steward_a)

    response = client.get(history_url(dataset_a), {"klassifizierung-von": "1", "klassifizierung-bis": "2"})

    assert [c.number for c in response.context["classifications"]] == [2, 1]
    assert as_rows(response.context["classification_diff"]["changes"]) == [
        ("Personenbezug", "kein Personenbezug (Sachdaten)", "pseudonymisiert (weiterhin personenbezogen)"),
        ("Vertraulichkeitsstufe", "öffentlich", "vertraulich"),
        ("Schutzbedarf Verfügbarkeit", "normal", "hoch"),
        ("Rechtsgrundlagen", "–", "Art. 6 Abs. 1 lit. e DSGVO – öffentliche Aufgabe"),
        ("Begründung", "Sachdaten ohne Personenbezug.", "Pseudonymisierte Standortdaten."),
        ("Schutzbedarf insgesamt (Maximumprinzip)", "normal", "hoch"),
    ]
    # Each classification is also a version of the dataset, named as such in the timeline.
    entries = response.context["entries"]
    assert [entry["classification"] for entry in entries] == [2, 1, None]
    html = response.content.decode()
    assert "Neu klassifiziert, Version: 2" in html
    assert "Klassifizierung Version 2 gilt seitdem." in html
    assert "?klassifizierung-von=1&amp;klassifizierung-bis=2#klassifizierung-vergleich" in html
    assert "Von Klassifizierung 1 zu Klassifizierung 2:" in html


def test_a_distribution_change_is_a_version_without_metadata_changes(client_for, steward_a, dataset_a):
    services.add_distribution(
        dataset_a, by=steward_a, title="WFS", access_url="https://geo.stadt-a.example/wfs", format="WFS_SRVC"
    )

    response = client_for(steward_a).get(history_url(dataset_a))

    added = response.context["entries"][0]
    assert added["changes"] == []
    html = response.content.decode()
    assert "Distribution hinzugefügt" in html
    assert "Die beschreibenden Metadaten blieben gleich." in html
