"""One date format per language (issue 22): German 07.12.2026 and 07.12.2026, 13:21,
English 7 Dec 2026 and 7 Dec 2026, 13:21, in local time (Europe/Berlin). The formats
live in config/formats/<language>/formats.py; templates and messages name them.

Representative pages render in both languages with the expected dates and none of the
old ones ("1. 1. 2024", "7. December", "07.12.2026 01:21" …), and the templates and the
Python code may not spell out a human date format again."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from catalog import notifications
from catalog.models import Dataset
from governance.models import AuditEvent
from portal.tests.conftest import Flow
from strategy import services as strategy_services
from strategy.tests.conftest import make_measure

ROOT = Path(settings.BASE_DIR)
# 12:21 UTC is 13:21 in Berlin (winter time): the pages show local time.
ISSUED = datetime(2026, 12, 7, 12, 21, tzinfo=UTC)
MONTHS = (
    "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    "January|February|March|May|June|July|October|December"
)
# The formats of before, as they appeared in German pages.
NOT_GERMAN = [
    r"\b\d{1,2}\. \d{1,2}\. \d{4}",  # 1. 1. 2024
    rf"\b\d{{1,2}}\. (?:{MONTHS})\b",  # 7. Dezember 2026, 7. December
    r"\b\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}",  # 07.12.2026 13:21 (no comma)
]
# … and in English ones: German formats, the numeric British short format, German months.
NOT_ENGLISH = [
    rf"\b\d{{1,2}}\. (?:{MONTHS})\b",  # 7. December 2026: a German format with English months
    r"\b\d{1,2}\.\d{1,2}\.\d{4}",
    r"\b\d{1,2}\. \d{1,2}\. \d{4}",
    r"\b\d{2}/\d{2}/\d{4}",
    r"\b\d{1,2}\.? (?:Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember)\b",
]
EXPECTED = {
    "de": {"date": "07.12.2026", "datetime": "07.12.2026, 13:21"},
    "en": {"date": "7 Dec 2026", "datetime": "7 Dec 2026, 13:21"},
}


def page_text(client, url: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_one_format(text: str, language: str):
    forbidden = NOT_GERMAN if language == "de" else NOT_ENGLISH
    found = [match.group(0) for pattern in forbidden for match in re.finditer(pattern, text)]
    assert not found, found


@pytest.fixture
def published(steward_a, owner_a, org_a, vocabularies):
    legal = __import__("conftest").make_role_holder("legal-dates", "legal_reviewer", org_a)
    flow = Flow(steward_a, owner_a, legal)
    dataset = flow.publish(flow.create(org_a, "baeume-daten", title="Bäume"))
    Dataset.objects.filter(pk=dataset.pk).update(issued=ISSUED)
    return Dataset.objects.get(pk=dataset.pk)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_portal_and_the_staff_dataset_page_show_one_date_format(client_for, client, published, steward_a, language):
    portal = page_text(client, f"/datensatz/{published.name}/", language)
    assert EXPECTED[language]["date"] in portal
    assert_one_format(portal, language)

    staff = page_text(client_for(steward_a), f"/intern/datensaetze/{published.name}/", language)
    assert EXPECTED[language]["datetime"] in staff  # issued, in Berlin time
    assert_one_format(staff, language)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_audit_list_shows_local_date_times(client_for, published, admin_a, language):
    text = page_text(client_for(admin_a), "/intern/audit/", language)
    latest = timezone.localtime(AuditEvent.objects.order_by("-seq").first().time)
    expected = latest.strftime("%d.%m.%Y, %H:%M") if language == "de" else latest.strftime("%-d %b %Y, %H:%M")
    assert expected in text
    assert_one_format(text, language)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_strategy_timeline_dates_its_milestones(client_for, admin_a, steward_a, org_a, language):
    strategy = strategy_services.create_strategy(by=admin_a, slug="plan", title="Plan", is_public=True)
    field = strategy_services.create_field_of_action(strategy, by=admin_a, code="HF1", title="Infrastruktur")
    goal = strategy_services.create_goal(field, by=admin_a, code="HF1-Z1", title="Daten nutzbar")
    measure = make_measure(goal, by=admin_a, responsible_organisation=org_a, responsible_person=steward_a)
    strategy_services.add_milestone(measure, by=admin_a, title="Analyse", due_date=date(2026, 12, 7))
    text = page_text(client_for(admin_a), "/intern/strategie/plan/zeitplan/", language)
    assert EXPECTED[language]["date"] in text
    assert_one_format(text, language)


def test_task_mails_give_their_due_date_in_the_german_format(published, steward_a, owner_a, org_a):
    owner_a.email = "owner-a@example.org"
    owner_a.save()
    flow = Flow(steward_a, owner_a, None)
    dataset = flow.step("submit", flow.create(org_a, "laerm-daten", title="Lärm"), steward_a)
    mail.outbox.clear()
    assert notifications.notify(dataset) == 1
    bodies = "\n".join(message.body for message in mail.outbox)
    assert re.search(r"bis zum \d{2}\.\d{2}\.\d{4}\.", bodies), bodies
    assert_one_format(bodies, "de")


# Formats for machines (ISO 8601 in attributes and exports, the year alone) and the
# named formats of config/formats; everything else in a |date or |time filter is a
# human format spelled out, which must name one of those instead.
MACHINE_FORMATS = {"c", "Y-m-d", "Y", "U"}
DATE_FILTER = re.compile(r"""\|(?:date|time):(["'])(.*?)\1""")
# Python: strftime and f-string formats with German digits or months, and Django date
# formats spelled out in a call.
PYTHON_HUMAN_FORMAT = re.compile(r"""%d\.%m\.|:%d\.%m|["'](?:d\.m\.Y|j\. [nF]|j F Y|d/m/Y)""")
# Reading dates is not writing them: the importer accepts German dates, and its sample
# file shows one in the format it reads.
PYTHON_EXEMPT = {"catalog/imports/columns.py", "catalog/imports/service.py"}


def template_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if (
            path.suffix in (".html", ".txt")
            and "/templates/" in f"/{relative}"
            and not relative.startswith((".venv", "node_modules", "staticfiles"))
        ):
            yield relative, path


def test_templates_name_their_human_date_formats():
    spelled_out = [
        f"{relative}:{number}: {fmt}"
        for relative, path in template_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for _quote, fmt in DATE_FILTER.findall(line)
        if fmt not in MACHINE_FORMATS and not fmt.endswith("_FORMAT")
    ]
    assert len(list(template_files())) > 50
    assert not spelled_out, spelled_out


def test_python_code_spells_out_no_human_date_format():
    spelled_out = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv", "node_modules", "bench/", "config/formats/")) or "/tests/" in relative:
            continue
        if relative in PYTHON_EXEMPT or "/migrations/" in relative:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if PYTHON_HUMAN_FORMAT.search(line):
                spelled_out.append(f"{relative}:{number}: {line.strip()}")
    assert not spelled_out, spelled_out
