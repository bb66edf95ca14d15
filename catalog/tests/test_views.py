"""The stewards' catalog UI: who may see and change what, the forms with their German
errors, the guided classification, uploads and downloads, filters, and pinned queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services
from catalog.models import (
    Classification,
    Confidentiality,
    Dataset,
    DatasetState,
    Distribution,
    PersonalDataStatus,
    ProtectionNeed,
    Theme,
)
from catalog.vocabularies import DataTheme
from conftest import make_role_holder
from governance import services as governance_services
from governance.models import Role

from .conftest import classification_fields, dataset_fields

CSV = b"baum_id;art;hoehe_m\n1;Linde;18\n2;Eiche;22\n"


@pytest.fixture(autouse=True)
def themes(db):
    """The EU themes come from a data migration; a transactional test (the browser tests)
    flushes them, and a reused test database keeps them flushed. Make sure they exist."""
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values], ignore_conflicts=True)


def url(name, dataset=None, *args):
    if dataset is None:
        return reverse(f"catalog:{name}")
    return reverse(f"catalog:{name}", args=[dataset.name, *args])


def dataset_form_data(publisher, **overrides):
    """A complete POST of the dataset form."""
    return {
        "title": "Baumkataster",
        "name": "baumkataster",
        "description": "Alle Straßen- und Parkbäume mit Art, Höhe und Standort.",
        "keywords": "Bäume, Stadtgrün, bäume",
        "themes": ["ENVI", "REGI"],
        "publisher": publisher.pk,
        "owner": "",
        "steward": "",
        "contact_name": "Grünflächenamt",
        "contact_email": "gruen@stadt-a.example",
        "contact_url": "",
        "licence": "dl-by-de/2.0",
        "attribution_text": "",
        "geocoding_level": "municipality",
        "municipality_key": "",
        "spatial_label": "",
        "spatial_resolution_m": "",
        "temporal_start": "",
        "temporal_end": "",
        "update_frequency": "UNKNOWN",
        "language": "DEU",
        "hvd_category": "",
        "landing_page": "",
        **overrides,
    }


def edit_data(dataset: Dataset, **changes):
    dataset.refresh_from_db()
    data = dataset_form_data(
        dataset.publisher,
        title=dataset.title,
        description=dataset.description,
        keywords=", ".join(k.name for k in dataset.keywords.all()),
        themes=[t.code for t in dataset.themes.all()],
        contact_name=dataset.contact_name,
        contact_email=dataset.contact_email,
        licence=dataset.licence,
        update_frequency=dataset.update_frequency,
    )
    del data["name"]  # shown, but not editable
    return {**data, "version": dataset.version, "reason": "", **changes}


def fetch(client, path):
    """GET a download and read it to the end, which closes the file behind it (the test
    client closes a streamed response once it is consumed; an open file is a warning)."""
    response = client.get(path)
    if response.streaming:
        response.content_bytes = b"".join(response.streaming_content)
    return response


def classification_form_data(based_on=0, **overrides):
    """The classification form as posted; `based_on` is the version the form was loaded at."""
    fields = classification_fields(**overrides)
    data = {
        name: ("on" if value is True else value)
        for name, value in fields.items()
        if value is not False and value is not None
    }
    return {**data, "based_on": based_on}


# ---- Who may do what --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["dataset_list", "dataset_create", "dataset_detail", "dataset_edit", "dataset_classify", "dataset_history"],
)
def test_anonymous_visitors_are_sent_to_the_login(client, dataset_a, name):
    response = client.get(url(name, None if name in ("dataset_list", "dataset_create") else dataset_a))
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/anmelden/?next=")


def test_people_without_a_catalog_role_are_refused(client_for, outsider, org_a, dataset_a):
    client = client_for(outsider)
    assert client.get(url("dataset_list")).status_code == 403
    assert client.get(url("dataset_detail", dataset_a)).status_code == 403
    assert client.get(url("dataset_create")).status_code == 403


def test_ethics_board_members_see_only_datasets_waiting_for_the_board(client_for, org_a, dataset_a):
    client = client_for(make_role_holder("ethik-a", Role.ETHICS_BOARD_MEMBER, org_a))
    assert list(client.get(url("dataset_list")).context["page"].object_list) == []
    assert client.get(url("dataset_detail", dataset_a)).status_code == 404
    assert client.get(url("dataset_create")).status_code == 403
    Dataset.objects.filter(pk=dataset_a.pk).update(state=DatasetState.ETHICS_REVIEW)
    assert client.get(url("dataset_detail", dataset_a)).status_code == 200


def test_a_steward_lists_only_the_datasets_of_their_organisation(client_for, steward_a, dataset_a, dataset_b):
    response = client_for(steward_a).get(url("dataset_list"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [dataset_a]
    html = response.content.decode()
    assert "Baumkataster" in html
    assert "Parkhausbelegung" not in html
    assert 'href="/intern/datensaetze/neu/"' in html
    assert reverse("catalog:import_start") in html


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "dataset_detail", []),
        ("get", "dataset_edit", []),
        ("post", "dataset_edit", []),
        ("get", "dataset_classify", []),
        ("post", "dataset_classify", []),
        ("get", "dataset_history", []),
        ("get", "distribution_create", []),
        ("post", "distribution_create", []),
        ("get", "distribution_file", ["distribution"]),
        ("post", "distribution_delete", ["distribution"]),
    ],
)
def test_the_datasets_of_another_organisation_stay_hidden(
    client_for, steward_a, dataset_b, steward_b, method, name, extra, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("parken.csv", b"haus;frei\nA;12\n")
    distribution = services.add_distribution(dataset_b, by=steward_b, title="Belegung", upload=upload)
    args = [distribution.pk] if extra else []

    response = getattr(client_for(steward_a), method)(url(name, dataset_b, *args))

    assert response.status_code == 404
    assert Distribution.objects.filter(pk=distribution.pk).exists()
    assert not Classification.objects.exists()


@pytest.mark.parametrize("role", [Role.OWNER, Role.LEGAL_REVIEWER, Role.GOVERNANCE_ADMIN])
def test_owners_reviewers_and_admins_read_but_do_not_change(
    client_for, org_a, dataset_a, steward_a, role, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    distribution = services.add_distribution(
        dataset_a, by=steward_a, title="CSV", upload=SimpleUploadedFile("baeume.csv", CSV)
    )
    client = client_for(make_role_holder(f"{role}-a", role, org_a))

    listing = client.get(url("dataset_list"))
    assert list(listing.context["page"].object_list) == [dataset_a]
    assert "Neuer Datensatz" not in listing.content.decode()
    for name in ("dataset_detail", "dataset_history"):
        assert client.get(url(name, dataset_a)).status_code == 200
    assert fetch(client, url("distribution_file", dataset_a, distribution.pk)).status_code == 200
    detail = client.get(url("dataset_detail", dataset_a)).content.decode()
    assert url("dataset_edit", dataset_a) not in detail
    assert url("distribution_delete", dataset_a, distribution.pk) not in detail

    assert client.get(url("dataset_create")).status_code == 403
    assert client.post(url("dataset_create"), dataset_form_data(dataset_a.publisher, name="neu-1")).status_code == 403
    for name in ("dataset_edit", "dataset_classify", "distribution_create"):
        assert client.get(url(name, dataset_a)).status_code == 403
        assert client.post(url(name, dataset_a), {}).status_code == 403
    delete = client.post(url("distribution_delete", dataset_a, distribution.pk))
    assert delete.status_code == 403
    assert Distribution.objects.filter(pk=distribution.pk).exists()
    assert Dataset.objects.count() == 1
    assert not Classification.objects.exists()


# ---- Creating and editing -----------------------------------------------------------


def test_a_steward_creates_a_dataset_through_the_form(client_for, steward_a, org_a):
    client = client_for(steward_a)
    form_page = client.get(url("dataset_create"))
    assert form_page.context["form"]["publisher"].initial == org_a  # the only organisation to choose

    response = client.post(url("dataset_create"), dataset_form_data(org_a))

    dataset = Dataset.objects.get(name="baumkataster")
    assert response.status_code == 302
    assert response["Location"] == dataset.get_absolute_url()
    assert dataset.publisher == org_a
    assert dataset.created_by == steward_a
    assert [k.name for k in dataset.keywords.all()] == ["Bäume", "Stadtgrün"]
    assert sorted(t.code for t in dataset.themes.all()) == ["ENVI", "REGI"]
    assert dataset.history.latest().history_user == steward_a
    assert "angelegt" in client.get(response["Location"]).content.decode()


def test_the_dataset_form_explains_its_errors_in_german(client_for, steward_a, org_a):
    response = client_for(steward_a).post(
        url("dataset_create"),
        dataset_form_data(
            org_a,
            title="",
            name="neu",
            contact_email="keine-adresse",
            municipality_key="123",
            temporal_start="2024-12-31",
            temporal_end="2024-01-01",
            hvd_category="c_ac64a52d",
            licence="cc-by-nc/4.0",
        ),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["title"] == ["Dieses Feld ist zwingend erforderlich."]
    assert errors["contact_email"] == ["Bitte geben Sie eine gültige E-Mail-Adresse ein."]
    assert not Dataset.objects.exists()
    # The model's rules are checked once the fields themselves are valid.
    response = client_for(steward_a).post(
        url("dataset_create"),
        dataset_form_data(
            org_a,
            name="neu",
            municipality_key="123",
            temporal_start="2024-12-31",
            temporal_end="2024-01-01",
            hvd_category="c_ac64a52d",
            licence="cc-by-nc/4.0",
        ),
    )
    errors = response.context["form"].errors
    assert errors["name"] == ["Dieser Kurzname ist reserviert; bitte einen anderen wählen."]
    assert errors["municipality_key"] == ["Der Gemeindeschlüssel hat genau acht Ziffern."]
    assert errors["temporal_end"] == ["Das Ende des Zeitraums liegt vor seinem Beginn."]
    assert errors["licence"] == ["Hochwertige Datensätze brauchen eine offene Lizenz (CC BY 4.0, CC0 o. ä.)."]
    html = response.content.decode()
    assert "Bitte prüfen Sie Ihre Eingaben." in html
    assert 'aria-invalid="true"' in html
    assert not Dataset.objects.exists()


def test_a_dataset_name_is_unique(client_for, steward_a, org_a, dataset_a):
    response = client_for(steward_a).post(url("dataset_create"), dataset_form_data(org_a, name=dataset_a.name))
    assert response.context["form"].errors["name"] == [
        "Datensatz mit diesem Wert für das Feld Kurzname existiert bereits."
    ]
    assert Dataset.objects.count() == 1


def test_a_steward_cannot_publish_for_another_organisation(client_for, steward_a, org_a, org_b):
    response = client_for(steward_a).post(url("dataset_create"), dataset_form_data(org_b))

    assert response.status_code == 200
    assert "publisher" in response.context["form"].errors
    assert not Dataset.objects.exists()


def test_an_edit_is_saved_as_a_new_version_with_its_reason(client_for, steward_a, dataset_a):
    client = client_for(steward_a)

    response = client.post(
        url("dataset_edit", dataset_a),
        edit_data(dataset_a, title="Baumkataster 2025", keywords="Bäume, Stadtklima", reason="Neuer Stand"),
    )

    assert response.status_code == 302
    dataset_a.refresh_from_db()
    assert dataset_a.title == "Baumkataster 2025"
    assert dataset_a.name == "baumkataster"
    assert dataset_a.version == 2
    assert sorted(k.name for k in dataset_a.keywords.all()) == ["Bäume", "Stadtklima"]
    latest = dataset_a.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (steward_a, "catalog.dataset.changed")
    assert latest.history_person_text == "Neuer Stand"  # the steward's text, apart from the code


def test_the_name_cannot_be_changed_after_creation(client_for, steward_a, dataset_a):
    client_for(steward_a).post(url("dataset_edit", dataset_a), {**edit_data(dataset_a, title="X"), "name": "anders"})
    dataset_a.refresh_from_db()
    assert (dataset_a.name, dataset_a.title) == ("baumkataster", "X")


def test_an_unchanged_form_saves_no_version(client_for, steward_a, dataset_a):
    response = client_for(steward_a).post(url("dataset_edit", dataset_a), edit_data(dataset_a), follow=True)
    dataset_a.refresh_from_db()
    assert dataset_a.version == 1
    assert "keine neue Version" in response.content.decode()


def test_a_stale_edit_is_refused_and_nothing_is_saved(client_for, steward_a, dataset_a):
    client = client_for(steward_a)
    stale = edit_data(dataset_a, title="Mein Titel")  # the form as loaded at version 1
    services.update_dataset(dataset_a, by=steward_a, fields={"title": "Fremder Titel"}, expected_version=1)

    response = client.post(url("dataset_edit", dataset_a), stale)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Der Datensatz wurde inzwischen von jemand anderem geändert. Bitte laden Sie die Seite neu."
    ]
    assert "inzwischen von jemand anderem geändert" in response.content.decode()
    dataset_a.refresh_from_db()
    assert (dataset_a.title, dataset_a.version) == ("Fremder Titel", 2)


# ---- Classification -----------------------------------------------------------------


def test_an_inconsistent_classification_shows_the_errors_at_the_fields_and_writes_nothing(
    client_for, steward_a, dataset_a
):
    response = client_for(steward_a).post(
        url("dataset_classify", dataset_a),
        classification_form_data(personal_data=PersonalDataStatus.PERSONAL, vs_nfd=True),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["confidentiality"] == [
        "Eine Verschlusssache (VS-NfD) ist mindestens vertraulich.",
        "Personenbezogene Daten können nicht als öffentlich eingestuft werden.",
    ]
    assert errors["legal_bases"] == ["Personenbezogene Daten brauchen eine Rechtsgrundlage nach Art. 6 DSGVO."]
    html = response.content.decode()
    assert 'id="id_confidentiality_error"' in html
    assert 'href="#id_confidentiality_0"' in html  # the summary links to the group's first option
    assert not Classification.objects.exists()
    dataset_a.refresh_from_db()
    assert dataset_a.version == 1


def test_special_categories_need_high_protection_and_a_second_legal_basis(client_for, steward_a, dataset_a):
    response = client_for(steward_a).post(
        url("dataset_classify", dataset_a),
        classification_form_data(
            personal_data=PersonalDataStatus.SPECIAL,
            confidentiality=Confidentiality.VERTRAULICH,
            legal_bases=["GDPR_6_1_e"],
        ),
    )
    errors = response.context["form"].errors
    assert errors["special_categories"] == ["Bei besonderen Kategorien bitte mindestens eine Kategorie angeben."]
    assert errors["protection_confidentiality"] == [
        "Besondere Kategorien personenbezogener Daten haben mindestens hohen Schutzbedarf."
    ]
    assert errors["legal_bases"] == [
        "Besondere Kategorien brauchen zusätzlich eine Rechtsgrundlage nach Art. 9 oder 10."
    ]
    assert not Classification.objects.exists()


def test_a_consistent_classification_creates_version_2_and_leaves_version_1(client_for, steward_a, dataset_a):
    first = services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    client = client_for(steward_a)
    form = client.get(url("dataset_classify", dataset_a)).context["form"]
    assert form["personal_data"].value() == PersonalDataStatus.NONE  # prefilled from version 1
    assert form["justification"].value() == "Sachdaten ohne Personenbezug."

    response = client.post(
        url("dataset_classify", dataset_a),
        classification_form_data(
            based_on=1,
            personal_data=PersonalDataStatus.SPECIAL,
            special_categories=["health"],
            vulnerable_subjects=True,
            confidentiality=Confidentiality.STRENG_VERTRAULICH,
            protection_confidentiality=ProtectionNeed.SEHR_HOCH,
            legal_bases=["GDPR_6_1_e", "GDPR_9_2_h"],
            justification="Gesundheitsdaten von Kindern.",
        ),
    )

    assert response.status_code == 302
    dataset_a.refresh_from_db()
    second = dataset_a.current_classification
    assert second.number == 2
    assert second.classified_by == steward_a
    assert second.special_categories == ["health"]
    assert second.legal_bases == ["GDPR_6_1_e", "GDPR_9_2_h"]
    assert second.vulnerable_subjects is True
    first_again = Classification.objects.get(pk=first.pk)
    assert (first_again.number, first_again.personal_data, first_again.justification) == (
        1,
        PersonalDataStatus.NONE,
        "Sachdaten ohne Personenbezug.",
    )
    detail = client.get(url("dataset_detail", dataset_a)).content.decode()
    assert "Es gilt Version 2." in detail
    assert "Gesundheitsdaten" in detail
    assert "Insgesamt (Maximumprinzip): sehr hoch" in detail


def test_a_classification_from_an_outdated_form_is_refused(client_for, steward_a, dataset_a):
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())

    response = client_for(steward_a).post(
        url("dataset_classify", dataset_a),
        classification_form_data(based_on=0, confidentiality=Confidentiality.INTERN),
    )

    assert response.status_code == 200
    assert "Inzwischen wurde Version 1 der Klassifizierung gespeichert" in response.content.decode()
    assert Classification.objects.count() == 1


def test_repeating_the_current_classification_saves_no_version(client_for, steward_a, dataset_a):
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())

    client_for(steward_a).post(url("dataset_classify", dataset_a), classification_form_data(based_on=1))

    assert Classification.objects.count() == 1


def test_every_option_of_the_classification_is_explained(client_for, steward_a, dataset_a):
    html = client_for(steward_a).get(url("dataset_classify", dataset_a)).content.decode()

    assert "Pseudonymisierte Daten sind weiterhin personenbezogene Daten" in html
    assert "Maximumprinzip" in html
    assert "VS-NfD ist mindestens „vertraulich“" in html
    assert 'aria-describedby="id_personal_data_3_hint"' in html
    for step in range(1, 7):
        assert f"Schritt {step} von 6" in html


# ---- Distributions ------------------------------------------------------------------


def test_a_renamed_program_is_refused_through_the_form(client_for, steward_a, dataset_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    program = SimpleUploadedFile("daten.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff")

    response = client_for(steward_a).post(
        url("distribution_create", dataset_a), {"title": "Daten", "kind": "download", "file": program}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "Die Datei enthält ein ausführbares Programm und wird abgelehnt."
    ]
    assert not Distribution.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_a_csv_upload_is_stored_and_only_permitted_people_download_it(
    client_for, client, steward_a, owner_a, steward_b, outsider, dataset_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    form_page = client_for(steward_a).get(url("distribution_create", dataset_a)).content.decode()
    assert 'enctype="multipart/form-data"' in form_page

    response = client_for(steward_a).post(
        url("distribution_create", dataset_a),
        {"title": "Baumkataster CSV", "kind": "download", "file": SimpleUploadedFile("bäume 2025.csv", CSV)},
    )

    assert response.status_code == 302
    distribution = Distribution.objects.get()
    assert (distribution.format, distribution.byte_size) == ("CSV", len(CSV))
    file_url = url("distribution_file", dataset_a, distribution.pk)
    assert file_url in client_for(steward_a).get(url("dataset_detail", dataset_a)).content.decode()

    for person in (steward_a, owner_a):
        download = fetch(client_for(person), file_url)
        assert download.status_code == 200
        assert download.content_bytes == CSV
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["Content-Type"] == "text/csv"
    assert fetch(client_for(steward_b), file_url).status_code == 404
    assert client_for(outsider).get(file_url).status_code == 403
    client.logout()
    assert client.get(file_url).status_code == 302
    assert client.get("/media/" + distribution.file.name).status_code == 404  # never served directly


def test_a_link_needs_a_format_and_a_file_or_address(client_for, steward_a, dataset_a):
    client = client_for(steward_a)

    nothing = client.post(url("distribution_create", dataset_a), {"title": "WFS", "kind": "service"})
    assert nothing.context["form"].errors["file"] == [
        "Bitte laden Sie eine Datei hoch oder geben Sie eine externe Adresse an."
    ]
    no_format = client.post(
        url("distribution_create", dataset_a),
        {"title": "WFS", "kind": "service", "access_url": "geo.stadt-a.example/wfs"},
    )
    assert no_format.context["form"].errors["format"] == ["Bitte wählen Sie das Format der verlinkten Daten."]

    response = client.post(
        url("distribution_create", dataset_a),
        {"title": "WFS", "kind": "service", "access_url": "geo.stadt-a.example/wfs", "format": "WFS_SRVC"},
    )
    assert response.status_code == 302
    distribution = Distribution.objects.get()
    assert distribution.access_url == "https://geo.stadt-a.example/wfs"
    detail = client.get(url("dataset_detail", dataset_a)).content.decode()
    assert 'href="https://geo.stadt-a.example/wfs"' in detail


def test_a_steward_removes_a_distribution(client_for, steward_a, dataset_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    distribution = services.add_distribution(
        dataset_a, by=steward_a, title="CSV", upload=SimpleUploadedFile("baeume.csv", CSV)
    )
    client = client_for(steward_a)
    delete_url = url("distribution_delete", dataset_a, distribution.pk)
    assert client.get(delete_url).status_code == 405

    response = client.post(delete_url)

    assert response.status_code == 302
    assert not Distribution.objects.exists()
    assert dataset_a.history.latest().history_change_reason == "catalog.distribution.removed: CSV"


# ---- Finding datasets ---------------------------------------------------------------


@pytest.fixture
def inventory(org_a, org_b, steward_a):
    """Datasets in two organisations for a steward of both."""
    governance_services.assign_role(steward_a, Role.STEWARD, org_b, by=None)

    def make(name, title, publisher, *, keywords=(), themes=(), classification=None, state=None, description=""):
        dataset = services.create_dataset(
            by=steward_a,
            fields=dataset_fields(publisher, name=name, title=title, description=description or title),
            keywords=keywords,
            themes=themes,
        )
        if classification is not None:
            services.classify_dataset(dataset, by=steward_a, fields=classification_fields(**classification))
        if state:
            Dataset.objects.filter(pk=dataset.pk).update(state=state)
        return dataset

    return {
        "trees": make("baumkataster", "Baumkataster", org_a, keywords=["Stadtgrün"], themes=["ENVI"]),
        "air": make(
            "luftmessung",
            "Luftqualität",
            org_a,
            keywords=["Feinstaub"],
            themes=["ENVI", "HEAL"],
            classification={},
            state=DatasetState.PUBLISHED,
            description="Stündliche Messwerte; Grünanlagen als Standort.",
        ),
        "register": make(
            "melderegister-statistik",
            "Einwohnende je Stadtteil",
            org_a,
            themes=["SOCI"],
            classification={
                "personal_data": PersonalDataStatus.AGGREGATED,
                "confidentiality": Confidentiality.INTERN,
            },
        ),
        "parking": make("parkhaeuser", "Parkhausbelegung", org_b, keywords=["Verkehr"], themes=["TRAN"]),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["trees", "register", "air", "parking"]),
        ({"q": "baum"}, ["trees"]),
        ({"q": "feinstaub"}, ["air"]),  # a keyword
        ({"q": "grün"}, ["trees", "air"]),  # keyword of one, description of the other
        ({"organisation": "stadt-b"}, ["parking"]),
        ({"status": "published"}, ["air"]),
        ({"vertraulichkeit": "1"}, ["register"]),
        ({"vertraulichkeit": "ohne"}, ["trees", "parking"]),
        ({"personenbezug": "0"}, ["air"]),
        ({"personenbezug": "2", "vertraulichkeit": "1"}, ["register"]),
        ({"thema": "ENVI"}, ["trees", "air"]),
        ({"thema": "ENVI", "q": "luft"}, ["air"]),
        ({"q": "nichts dergleichen"}, []),
        ({"status": "erfunden", "q": "baum"}, ["trees"]),  # an invalid filter is left out
    ],
)
def test_filters_and_search_find_the_right_datasets(client_for, steward_a, inventory, query, expected):
    response = client_for(steward_a).get(url("dataset_list"), query)

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [inventory[key] for key in expected]


def test_an_empty_search_says_so(client_for, steward_a, inventory):
    html = client_for(steward_a).get(url("dataset_list"), {"q": "nichts dergleichen"}).content.decode()
    assert "Kein Datensatz passt zu Ihrer Suche." in html
    assert "0 Datensätze gefunden" in html


def test_the_list_sorts_by_modification(client_for, steward_a, inventory):
    services.update_dataset(inventory["trees"], by=steward_a, fields={"title": "Bäume"}, expected_version=1)

    response = client_for(steward_a).get(url("dataset_list"), {"sortierung": "geaendert"})

    titles = [dataset.title for dataset in response.context["page"].object_list]
    assert titles == ["Bäume", "Parkhausbelegung", "Einwohnende je Stadtteil", "Luftqualität"]


def make_datasets(count, publisher, by):
    for number in range(count):
        dataset = services.create_dataset(
            by=by,
            fields=dataset_fields(publisher, name=f"datensatz-{number:02}", title=f"Datensatz {number:02}"),
            keywords=[f"Schlagwort {number}"],
            themes=["ENVI", "TRAN"],
        )
        if number % 2:
            services.classify_dataset(dataset, by=by, fields=classification_fields())


def test_the_list_is_paginated_and_keeps_the_filters(client_for, steward_a, org_a):
    make_datasets(30, org_a, steward_a)
    client = client_for(steward_a)

    first = client.get(url("dataset_list"), {"thema": "ENVI"})
    assert len(first.context["page"].object_list) == 25
    assert "?thema=ENVI&amp;seite=2" in first.content.decode()
    second = client.get(url("dataset_list"), {"thema": "ENVI", "seite": "2"})
    assert [d.title for d in second.context["page"].object_list] == [f"Datensatz {n}" for n in range(25, 30)]


# ---- Pinned query counts ------------------------------------------------------------

# The dataset list, whatever the number of datasets (after a warm-up request):
#    1 session, 2 user, 3 can_use_catalog (decorator),
#    4 COUNT of the matching datasets (paginator),
#    5 editing_organisations(...).exists() for the "Neuer Datensatz" button,
#    6 the roles the user holds anywhere (navigation context processor),
#    7 the organisations for the filter select,
#    8 the page of datasets with publisher and current classification (one join),
#    9 the themes of that page (prefetch),
#   10 can_view_harvesting(...) for the link to harvesting.
LIST_QUERIES = 10


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_needs_the_same_queries_for_few_and_many_datasets(
    client_for, steward_a, org_a, count, django_assert_num_queries
):
    make_datasets(count, org_a, steward_a)
    client = client_for(steward_a)
    client.get(url("dataset_list"))  # warm-up: guardian caches content types per process

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url("dataset_list"))

    assert len(response.context["page"].object_list) == min(count, 25)


# The dataset detail, whatever the number of distributions (after a warm-up request):
#    1 session, 2 user, 3 can_use_catalog (decorator),
#    4 the dataset, limited to the visible organisations, joined with publisher, owner,
#      steward, current classification and who classified it,
#    5 its keywords, 6 its themes (prefetches),
#    7 its distributions (each knows its dataset through the related manager),
#    8 the table and disclosure reports of the distributions (prefetch),
#    9 guardian's object permissions of the user, 10 … of the user's groups (roles_held: the
#      edit button and the workflow's transitions),
#   11 the decisions about the dataset (the trail; none yet, so no prefetch),
#   12 the roles the user holds anywhere (navigation context processor),
#   13 the usage figures of the last month and twelve months (portal.usage.dataset_report,
#      through the template tag portal_usage.dataset_usage).
DETAIL_QUERIES = 13


@pytest.mark.parametrize("count", [1, 5])
def test_the_detail_needs_the_same_queries_for_few_and_many_distributions(
    client_for, steward_a, dataset_a, count, django_assert_num_queries
):
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    for number in range(count):
        services.add_distribution(
            dataset_a,
            by=steward_a,
            title=f"Dienst {number}",
            access_url=f"https://geo.stadt-a.example/{number}",
            format="WFS_SRVC",
        )
    client = client_for(steward_a)
    client.get(url("dataset_detail", dataset_a))  # warm-up: guardian caches content types per process

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(url("dataset_detail", dataset_a))

    assert len(response.context["distributions"]) == count


def test_the_user_choices_show_names(client_for, steward_a, org_a):
    make_role_holder("ulla", Role.OWNER, org_a, first_name="Ulla", last_name="Umwelt")
    html = client_for(steward_a).get(url("dataset_create")).content.decode()
    assert "Ulla Umwelt (ulla)" in html
