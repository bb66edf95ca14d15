import datetime

from django.core.validators import EmailValidator, URLValidator
from django.utils import formats, translation


def test_the_ui_is_german_by_default(client_for, steward_a):
    response = client_for(steward_a).get("/intern/")
    html = response.content.decode()
    assert '<html lang="de"' in html
    assert "Aufgaben" in html
    assert "Meine Rollen" in html


def test_english_can_be_chosen(client_for, steward_a):
    client = client_for(steward_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/intern/"})

    html = client.get("/intern/").content.decode()

    assert '<html lang="en"' in html
    assert "Tasks" in html
    assert "My roles" in html
    assert "Data steward" in html


def test_the_public_start_page_renders_in_both_languages(client, db):
    assert "Offene Daten" in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Open data" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_dates_are_day_first_in_both_languages():
    day = datetime.date(2026, 12, 7)
    with translation.override("de"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "07.12.2026"
    with translation.override("en"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "7 Dec 2026"
        assert formats.time_format(datetime.time(14, 5)) == "14:05"


def test_validation_messages_address_people_formally():
    """DRF ships informal German ("Gib eine gültige …") for Django's own validators;
    the project catalog puts the Sie-form back."""
    with translation.override("de"):
        assert str(EmailValidator.message) == "Bitte geben Sie eine gültige E-Mail-Adresse ein."
        assert str(URLValidator.message) == "Bitte geben Sie eine gültige Adresse (URL) ein."
