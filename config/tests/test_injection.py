"""Hostile text stays text (issue 21, findings 4 and 5): in the spreadsheets the
application writes (no formula runs when a recipient opens an export) and in every
public page (no quote breaks out of an attribute, no `<script>` or `<meta>` appears
that the template did not write).

The page test renders every page an anonymous visitor reaches, found from the URLconf
itself, with hostile text in every free-text field of the objects those pages show, so
a page or field added later is checked without touching this file."""

import csv
import io
import itertools
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import DatabaseError, models, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from openpyxl import load_workbook

from catalog.imports import service as imports
from core.cells import FORMULA_STARTS
from ethics import services as ethics
from ethics.models import EthicsReview
from governance.models.immutable import BulkWriteRefused
from strategy import services as strategy
from strategy.tests.conftest import make_indicator, make_measure

from .fuzz_support import build_world

FORMULA = '=HYPERLINK("http://evil","x")'
BREAKOUT = '"><meta http-equiv="refresh" content="0;url=http://evil">'
# Without a tag, so no sanitizer removes it: a quote and attributes for the element the
# text is written into (the strategy's meta description became a refresh this way).
ATTRIBUTES = '" http-equiv="refresh" content="0;url=http://evil" data-broken-out="1'
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_.:-]*$")
# Quotes of both kinds, a script, a refresh, template syntax and a spreadsheet command.
ESCAPED = "&lt;script&gt;x&lt;/script&gt;"
HOSTILE = "\"'><script>x</script>" + BREAKOUT + ATTRIBUTES + "{{ 7|add:7 }}=cmd|' /C calc'!A0"


class Page(HTMLParser):
    """What a browser would build: elements with their attributes, and script texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data

    def head_meta(self) -> list[dict]:
        return [attrs for tag, attrs in self.elements if tag == "meta"]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def assert_nothing_broke_out(html: str, where: str) -> None:
    page = parse(html)
    assert not [attrs for attrs in page.head_meta() if "http-equiv" in attrs], where
    assert [attrs.get("name") for attrs in page.head_meta()].count("description") <= 1, where
    assert not [text for text in page.scripts if text.strip() == "x"], where
    assert "<script>x" not in html, where
    # Text that left its attribute value turns into attributes of the element.
    names = {name for _tag, attrs in page.elements for name in attrs}
    assert "data-broken-out" not in names, where
    assert not [name for name in names if not ATTRIBUTE_NAME.match(name)], (where, names)


# ---- Finding 4: formula injection ---------------------------------------------------------


def test_a_formula_in_an_anonymous_data_request_is_text_in_the_audit_export(client, admin_a):
    cache.clear()
    title = FORMULA + " als Datenwunsch"  # three words at least (issue 22)
    response = client.post(
        "/datenwuensche/neu/", {"title": title, "description": "@SUM(1+1)", "email": "", "website": ""}
    )
    assert response.status_code == 302
    client.force_login(admin_a)
    export = client.get("/intern/audit/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    wishes = [row for row in rows if "HYPERLINK" in row["Objekt"]]
    assert wishes, rows
    assert wishes[0]["Objekt"] == "'" + title
    for row in rows:
        assert not [cell for cell in row.values() if cell.startswith(FORMULA_STARTS)], row


def test_the_inventory_templates_write_strings_as_strings():
    """The template's example row and column guide: text cells are string cells (an
    openpyxl cell assigned "=…" would otherwise be a formula) and none starts like one."""
    workbook = load_workbook(io.BytesIO(imports.template_xlsx()))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.coordinate)
    text = imports.template_csv().decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        assert not [cell for cell in row if cell.startswith(FORMULA_STARTS)], row


# ---- Finding 5: attribute injection -------------------------------------------------------


def test_strategy_markdown_cannot_break_out_of_the_meta_description(client, admin_a, org_a, steward_a):
    plan = strategy.create_strategy(
        by=admin_a,
        slug="angriff",
        title="Strategie",
        summary=f"Daten **für alle** {BREAKOUT} und {ATTRIBUTES} mehr",
        is_public=True,
        period_start=date(2022, 1, 1),
    )
    field = strategy.create_field_of_action(plan, by=admin_a, code="HF1", title="Feld", is_public=True)
    goal = strategy.create_goal(field, by=admin_a, code="HF1-Z1", title="Ziel", is_public=True)
    make_measure(goal, by=admin_a, responsible_organisation=org_a, description=f"Maßnahme {ATTRIBUTES}", is_public=True)
    for url in ("/strategie/angriff/", "/strategie/angriff/massnahmen/HF1-M01/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        page = parse(html)
        meta = page.head_meta()
        descriptions = [attrs for attrs in meta if attrs.get("name") == "description"]
        assert len(descriptions) == 1, url
        assert not [attrs for attrs in meta if "http-equiv" in attrs], url
        assert not [attrs for attrs in meta if "data-broken-out" in attrs], url
        # The quotes are in the description's text, escaped in the source.
        assert 'http-equiv="refresh"' in descriptions[0]["content"], url
        assert "&quot; http-equiv=&quot;refresh&quot;" in html, url


# ---- Every public page with hostile text in every field -------------------------------------

# Fields that are identifiers or codes checked against a vocabulary, not text a person
# writes: they appear in URLs and lookups, and the services refuse anything else.
NOT_FREE_TEXT = {
    "code", "ground", "decline_ground", "media_type", "checksum_sha256", "prefix", "key_hash", "hash", "prev_hash",
    "head_hash", "municipality_key", "state", "object_id", "subject_id", "request_id", "voter", "value", "metric",
    "number", "facet", "licence", "hvd_category", "update_frequency", "rating", "reason", "method", "content_hash",
    "remote_id", "remote_name", "name_prefix", "fq", "keywords",
}  # fmt: skip
APPS = ("governance", "catalog", "ethics", "portal", "sharing", "strategy")


def free_text_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if type(field) in (models.CharField, models.TextField)
        and not field.choices
        and not field.primary_key
        and field.name not in NOT_FREE_TEXT
    ]


def make_hostile() -> list[str]:
    """Hostile text into every free-text field of every row (the database keeps no NUL:
    the text has none). Unique fields get the row's key appended; long text is cut to
    the column's length. Rows the database keeps unchangeable (adopted policy versions,
    decisions) keep their text. Returns the fields written."""
    from django.apps import apps

    written = []
    for model in (m for app in APPS for m in apps.get_app_config(app).get_models()):
        if model.__name__.startswith("Historical") or model._meta.label == "governance.AuditEvent":
            continue  # the journal and history are staff pages, append-only by trigger
        for field in free_text_fields(model):
            for pk in model._default_manager.values_list("pk", flat=True):
                suffix = f" {pk}" if field.unique else ""
                text = HOSTILE[: (field.max_length or 10_000) - len(suffix)] + suffix
                try:
                    with transaction.atomic():
                        model._default_manager.filter(pk=pk).update(**{field.attname: text})
                except (DatabaseError, BulkWriteRefused):
                    pass  # frozen by a trigger (an adopted policy version, a decision): stays as created
            written.append(f"{model._meta.label}.{field.name}")
    return written


@pytest.fixture
def hostile_world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    admin, steward = world.people["admin"], world.people["steward"]
    review = EthicsReview.objects.get()
    for member in (world.people["board"], world.people["board2"]):
        ethics.cast_vote(review, by=member, vote="approved", reasoning="passt")
    ethics.close_review(
        review, by=world.people["board"], reasoning="Gut.", public_summary="Frei.", next_review_on=date(2099, 1, 1)
    )
    plan = strategy.create_strategy(
        by=admin, slug="strategie", title="Strategie", summary="Kurz.", is_public=True, period_start=date(2022, 1, 1)
    )
    field = strategy.create_field_of_action(plan, by=admin, code="HF1", title="Feld", is_public=True)
    goal = strategy.create_goal(field, by=admin, code="HF1-Z1", title="Ziel", is_public=True)
    organisation = steward.role_assignments.first().organisation
    make_measure(goal, by=admin, responsible_organisation=organisation, is_public=True)
    make_indicator(goal, by=admin, is_public=True)
    written = make_hostile()
    # Triaged, so the public shows them (an open data request is not public, issue 22).
    from portal.models import DataRequest

    DataRequest.objects.update(status="in_progress")
    cache.clear()
    return world, written


def anonymous_routes():
    """Every path pattern of the site except the admin and the APIs' JSON (the REST
    API's patterns are regular expressions; the CKAN and DCAT answers are not HTML)."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
                yield prefix + str(pattern.pattern), pattern.name

    return [(route, name) for route, name in walk(get_resolver().url_patterns) if not route.startswith("admin/")]


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def candidate_paths(route: str, values: dict) -> list[str]:
    names = PARAMETER.findall(route)
    if any(name not in values for name in names):
        return []
    paths = []
    for combination in itertools.product(*(values[name] for name in names)):
        chosen = dict(zip(names, combination, strict=True))
        paths.append("/" + PARAMETER.sub(lambda match, chosen=chosen: str(chosen[match.group(1)]), route))
    return paths


def test_every_public_page_escapes_hostile_text_in_every_field(client, hostile_world):
    from catalog.models import Dataset, Distribution
    from ethics.models import EthicsReview as Review
    from portal.models import DataRequest
    from strategy.models import Measure, Strategy

    _world, written = hostile_world
    assert {"catalog.Dataset.title", "catalog.Dataset.description", "strategy.Strategy.summary"} <= set(written)
    values = {
        "name": list(Dataset.objects.values_list("name", flat=True)),
        "identifier": list(Distribution.objects.values_list("identifier", flat=True)),
        "pk": [*DataRequest.objects.values_list("pk", flat=True), *Review.objects.values_list("pk", flat=True)],
        "slug": list(Strategy.objects.values_list("slug", flat=True)),
        "code": list(Measure.objects.values_list("code", flat=True)),
    }
    rendered, shown = {}, set()
    for route, name in anonymous_routes():
        for path in candidate_paths(route, values):
            with transaction.atomic():
                response = client.get(path)
                transaction.set_rollback(True)
            assert response.status_code < 500, (path, response.status_code)
            # Read streamed bodies to the end: that closes a downloaded file the way the
            # test client expects (closing the response early would close the database
            # connection inside the test's transaction).
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            html = body.decode()
            assert_nothing_broke_out(html, path)
            rendered.setdefault(name, []).append(path)
            if ESCAPED in html:
                shown.add(name)
    expected = {
        "home", "search", "dataset_detail", "register", "dashboard", "data_request_list", "data_request_create",
        "data_request_detail", "public_list", "public_detail", "public_strategy_list", "public_strategy",
        "public_measure", "login", "password_reset",
    }  # fmt: skip
    assert expected <= set(rendered), expected - set(rendered)
    # The hostile text really reached the pages that show objects (escaped, as text).
    showing = {"dataset_detail", "data_request_detail", "public_strategy", "public_measure", "public_detail"}
    assert showing <= shown, showing - shown
