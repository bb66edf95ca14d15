"""Hypothesis-generated input for the four main forms, posted through the real views
(issue 11): dataset (create and edit), classification, inventory import and the public
data request. Whatever a person or a bot sends, the answer is the form again with German
field errors, or the success page – never a server error. Accepted input really was
stored; refused input stored nothing.

The strategies are built from the form's own fields (`form.fields`), so a field added
later is fuzzed without touching this file. Each example starts from a submission that
is accepted as it is and replaces a few fields with other valid-looking values or with
hostile ones: empty, blanks, 10,000 characters, right-to-left text, emoji, combining
marks, NUL and control characters, HTML, SQL, numbers out of range, impossible dates,
unknown choices, several values for one field, or no value at all. Each test also
asserts that its examples were both accepted and refused at least once: fuzzing only
the refusal would prove little.

Each example runs in a savepoint that is rolled back, with an empty cache (the data
request's rate limit counts every post), so no example sees what another wrote. The
examples are derandomized: the same cases on every run, in CI too."""

import codecs
import csv
import html
import io
import re
import zipfile
from collections import Counter
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from catalog import services
from catalog.forms import ClassificationForm, DatasetForm
from catalog.imports import columns, service
from catalog.imports.forms import InventoryImportForm
from catalog.models import Classification, Dataset, ImportStatus, InventoryImport
from catalog.permissions import editing_organisations
from catalog.tests.conftest import classification_fields, dataset_fields
from portal.forms import DataRequestForm
from portal.models import DataRequest
from portal.views import DATA_REQUEST_LIMIT

# A profile, applied per test with @FUZZ: loading it globally would change every other
# Hypothesis test of the suite. The function-scoped fixtures are set up once per test on
# purpose: each example rolls its own savepoint back.
settings.register_profile(
    "form-fuzz",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


def fuzz(max_examples: int):
    return settings(settings.get_profile("form-fuzz"), max_examples=max_examples)


EXAMPLES = {"dataset_create": 50, "dataset_edit": 40, "classification": 40, "import": 60, "data_request": 50}

MISSING = object()  # the field is not sent at all

HOSTILE_LITERALS = [
    "",
    " ",
    " \t\r\n ",
    "\u00a0\u2003\u200b",
    "x" * 10_000,
    "ä" * 10_000,
    "🙂" * 2_500,
    "\u202egnp.exe",
    "مرحبا بالعالم",
    "שלום עולם",
    "😀🏳️‍🌈👩🏽‍💻",
    "e\u0301\u0308\u0327\u0338",
    "Z" + "\u0351\u0352\u0353\u0354" * 40,
    "a\x00b",
    "\x00",
    "\x01\x02\x1b[31m\x7f",
    "\ufeff",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
    "'; DROP TABLE catalog_dataset; --",
    "1' OR '1'='1",
    "%_\\",
    "-1",
    "-0",
    "1e309",
    "NaN",
    "Infinity",
    "99999999999999999999999999999",
    "-9223372036854775809",
    "3.14159265358979323846264338327950288",
    "2024-02-30",
    "0000-00-00",
    "31.12.",
    "10000-01-01",
    "2024-13-01",
    "heute",
    "nicht-vorhanden",
    "on",
    "None",
    "[]",
    '{"a": 1}',
]

# Random text without surrogates (which no browser can send as UTF-8), control characters included.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)

hostile_values = st.one_of(
    st.sampled_from(HOSTILE_LITERALS),
    any_text,
    st.lists(st.sampled_from(HOSTILE_LITERALS[:20]), min_size=2, max_size=3),
    st.just(MISSING),
)

# Text a person might type: letters, digits, punctuation and symbols of any script.
typed_text = st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")), min_size=1, max_size=120)


def text_within(field, minimum: int = 1):
    limit = min(field.max_length or 120, 120)
    return st.text(
        alphabet=st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")), min_size=minimum, max_size=limit
    )


slugs = st.from_regex(r"\A[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}\Z")
emails = st.builds(
    "{}@{}.de".format, st.from_regex(r"\A[a-z0-9][a-z0-9._+-]{0,20}\Z"), st.from_regex(r"\A[a-z0-9-]{1,20}\Z")
)
urls = st.builds(
    "https://{}.example/{}".format, st.from_regex(r"\A[a-z0-9-]{1,20}\Z"), st.from_regex(r"\A[\w/.-]{0,40}\Z")
)


def choice_values(field) -> list[str]:
    """The values of a (grouped) choice field; the empty one only if the field is optional."""
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):
            values.extend(str(inner) for inner, _label in label)
        else:
            values.append(str(value))
    return [value for value in values if value != "" or not field.required]


def model_keys(field) -> list[str]:
    return [str(field.prepare_value(obj)) for obj in field.queryset]


def valid_values(field: forms.Field):
    """Values a well-meaning person could send for the field."""
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", MISSING])
    if isinstance(field, forms.ModelMultipleChoiceField):
        keys = model_keys(field)
        return st.lists(st.sampled_from(keys), unique=True, max_size=3) if keys else st.just([])
    if isinstance(field, forms.ModelChoiceField):
        keys = model_keys(field) or [""]
        return st.sampled_from(keys if field.required else ["", *keys])
    if isinstance(field, forms.MultipleChoiceField):
        return st.lists(st.sampled_from(choice_values(field)), unique=True, max_size=3)
    if isinstance(field, forms.ChoiceField):
        return st.sampled_from(choice_values(field))
    if isinstance(field, forms.IntegerField):
        return st.integers(min_value=field.min_value, max_value=field.max_value).map(str)
    if isinstance(field, forms.DecimalField):
        digits, places = field.max_digits or 10, field.decimal_places or 2
        largest = Decimal(10 ** (digits - places)) - Decimal(1).scaleb(-places)
        return st.decimals(min_value=0, max_value=largest, places=places).map(str)
    if isinstance(field, forms.DateField):
        return st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat)
    if isinstance(field, forms.EmailField):
        return emails
    if isinstance(field, forms.URLField):
        return urls
    if isinstance(field, forms.SlugField):
        return slugs
    if isinstance(field, forms.CharField):
        return text_within(field, 1 if field.required else 0)
    raise TypeError(f"No strategy for {type(field).__name__}: please add one here.")


def as_post_value(value):
    """A form's initial value the way a browser sends it back."""
    if value is None or value is False:
        return MISSING if value is False else ""
    if value is True:
        return "on"
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def initial_values(form) -> dict:
    return {name: as_post_value(form[name].value()) for name in form.fields}


@st.composite
def form_posts(draw, form, baseline: dict, *, skip=()):
    """A submission of `form`: the baseline with up to four fields replaced by other
    valid-looking or hostile values; fields without a baseline get a valid value."""
    names = [name for name in form.fields if name not in skip]
    varied = draw(st.sets(st.sampled_from(names), max_size=4))
    post = {"csrfmiddlewaretoken": "x"}  # as a browser sends it: never an empty POST
    for name in names:
        field = form.fields[name]
        if name in varied:
            value = draw(st.one_of(valid_values(field), hostile_values), label=name)
        elif name in baseline:
            value = baseline[name]
        else:
            value = draw(valid_values(field), label=name)
        if value is not MISSING:
            post[name] = value
    return post


def sent(post: dict, name: str) -> str:
    """What the form reads for a single-valued field: the last value sent."""
    value = post.get(name, "")
    if isinstance(value, list):
        return value[-1] if value else ""
    return value


# Django's English messages, as they would look if a translation were missing.
ENGLISH = re.compile(r"(?i)\b(this field|enter a|select a|ensure this|null characters|valid|required|please)\b")


def assert_refused_in_german(response, error_title: str = "Bitte prüfen Sie Ihre Eingaben.") -> None:
    if response.status_code == 400:
        # A NUL in a field: refused before the form by core.middleware, on a German page.
        page = response.content.decode()
        assert "Ungültige Anfrage" in page, page[:500]
        assert "Nullzeichen (NUL)" in page, page[:500]
        return
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    assert form.is_bound
    assert form.errors, "a refused submission shows its errors"
    assert error_title in response.content.decode()
    templates = [str(error.message) for errors in form.errors.as_data().values() for error in errors]
    assert not [message for message in templates if ENGLISH.search(message)], templates


def assert_saw(outcomes: Counter, *kinds: str) -> None:
    """Fuzzing that never reaches one of the outcomes tests less than it claims."""
    assert not [kind for kind in kinds if not outcomes[kind]], outcomes


def assert_no_server_error(response) -> None:
    # The test client re-raises a view's exception; a handled error page would still say 5xx.
    assert response.status_code < 500, response.status_code


# ---- Dataset: create and edit --------------------------------------------------------------


def dataset_baseline(org) -> dict:
    fields = dataset_fields(org, name="fuzz-datensatz", title="Fuzz-Datensatz")
    return {
        **{name: value for name, value in fields.items() if name != "publisher"},
        "publisher": str(org.pk),
        "licence": "dl-by-de/2.0",
        "geocoding_level": "municipality",
        "update_frequency": "UNKNOWN",
        "language": "DEU",
        "keywords": "Bäume, Stadtgrün",
        "themes": ["ENVI"],
        "owner": "",
        "steward": "",
        "hvd_category": "",
    }


def test_the_dataset_form_creates_a_dataset_or_shows_german_errors(client_for, steward_a, org_a, vocabularies):
    client = client_for(steward_a)
    url = reverse("catalog:dataset_create")
    form = DatasetForm(user=steward_a)
    baseline = dataset_baseline(org_a)
    assert set(baseline) >= {name for name, field in form.fields.items() if field.required}
    outcomes = Counter()

    @fuzz(EXAMPLES["dataset_create"])
    @given(post=form_posts(form, baseline))
    def post_once(post):
        with transaction.atomic():
            cache.clear()
            before = Dataset.objects.count()
            response = client.post(url, post)
            assert_no_server_error(response)
            if response.status_code == 302:
                outcomes["angenommen"] += 1
                assert Dataset.objects.count() == before + 1
                created = Dataset.objects.get(name=sent(post, "name").strip())
                assert response["Location"] == created.get_absolute_url()
                assert created.title == sent(post, "title").strip()
                assert created.publisher == org_a
                assert created.created_by == steward_a
            else:
                outcomes["abgelehnt"] += 1
                assert_refused_in_german(response)
                assert Dataset.objects.count() == before
            transaction.set_rollback(True)

    post_once()
    assert_saw(outcomes, "angenommen", "abgelehnt")


def test_the_dataset_form_changes_a_dataset_or_shows_german_errors(client_for, steward_a, org_a, vocabularies):
    client = client_for(steward_a)
    dataset = services.create_dataset(by=steward_a, fields=dataset_fields(org_a), keywords=["Bäume"], themes=["ENVI"])
    url = reverse("catalog:dataset_edit", args=[dataset.name])
    form = DatasetForm(instance=dataset, user=steward_a)
    baseline = initial_values(form)
    outcomes = Counter()

    @fuzz(EXAMPLES["dataset_edit"])
    @given(post=form_posts(form, baseline))
    def post_once(post):
        with transaction.atomic():
            cache.clear()
            response = client.post(url, post)
            assert_no_server_error(response)
            stored = Dataset.objects.get(pk=dataset.pk)
            assert stored.name == dataset.name, "the Kurzname never changes"
            assert Dataset.objects.count() == 1
            if response.status_code == 302:
                assert response["Location"] == dataset.get_absolute_url()
                if stored.version == dataset.version:
                    outcomes["unverändert"] += 1
                    assert "Sie haben nichts geändert" in client.get(response["Location"]).content.decode()
                else:
                    outcomes["angenommen"] += 1
                    assert stored.version == dataset.version + 1
                    assert stored.title == sent(post, "title").strip()
                    assert stored.history.filter(version=stored.version).exists()
            else:
                outcomes["abgelehnt"] += 1
                assert_refused_in_german(response)
                assert stored.version == dataset.version
                assert stored.title == dataset.title
            transaction.set_rollback(True)

    post_once()
    assert_saw(outcomes, "angenommen", "abgelehnt")


# ---- Classification ----------------------------------------------------------------------

CLASSIFICATION_ERROR_TITLE = "Die Klassifizierung ist so nicht stimmig. Bitte prüfen Sie die markierten Angaben."


def test_the_classification_form_records_a_version_or_shows_german_errors(client_for, steward_a, org_a):
    client = client_for(steward_a)
    dataset = services.create_dataset(by=steward_a, fields=dataset_fields(org_a))
    url = reverse("catalog:dataset_classify", args=[dataset.name])
    form = ClassificationForm(instance=Classification(dataset=dataset))
    unticked = {name: MISSING for name, field in form.fields.items() if isinstance(field, forms.BooleanField)}
    baseline = {
        **unticked,
        **{name: as_post_value(value) for name, value in classification_fields().items()},
        "special_categories": [],
        "legal_bases": [],
        "based_on": "0",
    }
    outcomes = Counter()

    @fuzz(EXAMPLES["classification"])
    @given(post=form_posts(form, baseline))
    def post_once(post):
        with transaction.atomic():
            cache.clear()
            response = client.post(url, post)
            assert_no_server_error(response)
            stored = Dataset.objects.select_related("current_classification").get(pk=dataset.pk)
            if response.status_code == 302:
                outcomes["angenommen"] += 1
                assert response["Location"] == dataset.get_absolute_url()
                classification = stored.current_classification
                assert classification.number == 1
                assert classification.personal_data == int(sent(post, "personal_data"))
                assert classification.confidentiality == int(sent(post, "confidentiality"))
                assert classification.justification == sent(post, "justification").strip()
                assert classification.classified_by == steward_a
            else:
                outcomes["abgelehnt"] += 1
                assert_refused_in_german(response, CLASSIFICATION_ERROR_TITLE)
                assert stored.current_classification is None
                assert not Classification.objects.filter(dataset=dataset).exists()
            transaction.set_rollback(True)

    post_once()
    assert_saw(outcomes, "angenommen", "abgelehnt")


# ---- Inventory import --------------------------------------------------------------------

TEMPLATE_HEADER, TEMPLATE_EXAMPLE = service.template_rows()
# What people write instead of the documented headers; each must be understood or named.
HEADER_VARIANTS = ["Kennung", " TITEL ", "Schlagwörter", "kontakt-email", "Räumliche Ebene", "id", "", "kennung"]
CSV_ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]

cell_text = st.one_of(st.sampled_from(HOSTILE_LITERALS), any_text, typed_text)


def vocabulary_cells(column):
    values = [str(code) for code, _label in column.vocabulary] + [str(label) for _code, label in column.vocabulary]
    return st.sampled_from(values) if values else typed_text


def example_text(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


@st.composite
def inventory_tables(draw):
    """(clean, header, rows). A clean table is the import template with its example row
    under new Kurznamen, columns in any order: it must be imported. Otherwise columns
    are dropped, unknown or misspelt ones added, Kurznamen repeated, cells replaced by
    other values or hostile text and rows cut short or made too long. Cells keep their
    Python type, so the XLSX writer stores numbers, dates and formulas."""
    clean = draw(st.booleans(), label="clean")
    example = dict(zip(TEMPLATE_HEADER, TEMPLATE_EXAMPLE, strict=True))
    # "baumkataster" exists and is updated; the others are new.
    kurznamen = st.sampled_from(["baumkataster", "fuzz-a", "fuzz-b", "fuzz-c", "fuzz-d"])
    if clean:
        header = draw(st.permutations(TEMPLATE_HEADER))
        names = draw(st.lists(kurznamen, unique=True, min_size=1, max_size=4))
        rows = [[name if column == "kennung" else example[column] for column in header] for name in names]
        return clean, header, rows
    dropped = draw(st.sets(st.sampled_from(TEMPLATE_HEADER), max_size=3), label="dropped columns")
    extra = draw(st.lists(st.one_of(st.sampled_from(HEADER_VARIANTS), typed_text), max_size=2), label="extra columns")
    header = draw(st.permutations([name for name in TEMPLATE_HEADER if name not in dropped] + extra))
    rows = []
    for name in draw(st.lists(kurznamen, max_size=6)):
        row = [name if column == "kennung" else example.get(columns.normalise_header(column), "") for column in header]
        for position in draw(st.sets(st.integers(0, max(len(header) - 1, 0)), max_size=2)) if header else ():
            column = columns.COLUMNS_BY_NAME.get(header[position])
            row[position] = draw(
                st.one_of(
                    vocabulary_cells(column) if column else typed_text,
                    cell_text,
                    st.integers(-(10**12), 10**12),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.dates(),
                    st.booleans(),
                    st.sampled_from(["=1/0", "=A1", "=SUM(1,2)", '=HYPERLINK("https://x.example","x")', None]),
                ),
                label=f"cell {header[position]!r}",
            )
        # Ragged rows: cells cut off at the end or one too many.
        cut = draw(st.sampled_from([None, None, None, -1, -3, 0]))
        if cut is not None:
            row = row[:cut]
        elif draw(st.booleans()):
            row.append("überzählig")
        rows.append(row)
    return clean, header, rows


@st.composite
def csv_uploads(draw):
    clean, header, rows = draw(inventory_tables())
    delimiter = draw(st.sampled_from([";", ",", "\t"] if clean else [";", ",", "\t", "|"]), label="delimiter")
    buffer = io.StringIO(newline="")
    if draw(st.booleans(), label="Excel's sep= line"):
        buffer.write(f"sep={delimiter}\r\n")
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=draw(st.sampled_from(["\r\n", "\n"])),
    )
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else example_text(cell) for cell in row])
    encoding = draw(st.sampled_from(CSV_ENCODINGS[:3] if clean else CSV_ENCODINGS), label="encoding")
    content = buffer.getvalue().encode(encoding, errors="replace")
    if encoding == "utf-8" and draw(st.booleans(), label="BOM"):
        content = codecs.BOM_UTF8 + content
    return draw(upload_names("csv")), content, clean


def xlsx_cell(value):
    if isinstance(value, str):
        # openpyxl refuses control characters: Excel cannot store them either.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time()) if value.year >= 1900 else value.isoformat()
    return value


@st.composite
def xlsx_uploads(draw):
    clean, header, rows = draw(inventory_tables())
    workbook = Workbook()
    sheet = workbook.active
    if not clean and draw(st.booleans(), label="empty first sheet"):
        sheet = workbook.create_sheet("Bestand")
    for row in [header, *rows]:
        sheet.append([xlsx_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return draw(upload_names("xlsx")), buffer.getvalue(), clean


@st.composite
def garbage_uploads(draw):
    """Bytes that are no inventory: random, a damaged ZIP, or a ZIP that looks like an
    XLSX file to the upload check but is none."""
    kind = draw(st.sampled_from(["random", "zip-header", "fake-xlsx"]))
    if kind == "random":
        content = draw(st.binary(max_size=2048))
    elif kind == "zip-header":
        content = b"PK\x03\x04" + draw(st.binary(max_size=512))
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", draw(st.binary(max_size=200)))
            archive.writestr("xl/workbook.xml", draw(st.binary(max_size=200)))
        content = buffer.getvalue()
    return draw(upload_names(draw(st.sampled_from(["csv", "xlsx", "CSV", "txt"])))), content, False


def upload_names(extension: str):
    stems = st.one_of(
        st.just("bestand"),
        st.sampled_from(["Bestandsverzeichnis Umweltamt 2025", "../../etc/passwd", "a" * 250, "ä" * 200, "😀"]),
        st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=60),
    )
    return stems.map(lambda stem: f"{stem}.{extension}")


def test_the_inventory_import_succeeds_or_lists_errors_and_writes_nothing(
    client_for, steward_a, org_a, vocabularies, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(steward_a)
    existing = services.create_dataset(by=steward_a, fields=dataset_fields(org_a), keywords=["Bäume"])
    url = reverse("catalog:import_start")
    form = InventoryImportForm(organisations=editing_organisations(steward_a))
    organisation_values = st.one_of(st.just(str(org_a.pk)), valid_values(form.fields["organisation"]), hostile_values)
    outcomes = Counter()

    @fuzz(EXAMPLES["import"])
    @given(
        upload=st.one_of(csv_uploads(), xlsx_uploads(), garbage_uploads()),
        organisation=st.one_of(st.just(str(org_a.pk)), organisation_values),
    )
    def post_once(upload, organisation):
        name, content, clean = upload
        post = {"csrfmiddlewaretoken": "x", "file": SimpleUploadedFile(name, content)}
        if organisation is not MISSING:
            post["organisation"] = organisation
        with transaction.atomic():
            cache.clear()
            datasets, imports = Dataset.objects.count(), InventoryImport.objects.count()
            classifications = Classification.objects.count()
            response = client.post(url, post)
            assert_no_server_error(response)
            if response.status_code in (200, 400):  # 400: a NUL refused before the form (core.middleware)
                outcomes["Formularfehler"] += 1
                assert_refused_in_german(response)
                assert InventoryImport.objects.count() == imports
                assert Dataset.objects.count() == datasets
            else:
                inventory_import = InventoryImport.objects.latest("pk")
                assert response.status_code == 302
                assert response["Location"] == inventory_import.get_absolute_url()
                page = client.get(response["Location"])
                assert page.status_code == 200
                text = page.content.decode()
                if inventory_import.status == ImportStatus.SUCCEEDED:
                    outcomes["übernommen"] += 1
                    assert Dataset.objects.count() == datasets + inventory_import.created_count
                    assert "Ergebnis" in text
                else:
                    outcomes["Dateifehler"] += 1
                    assert not clean, inventory_import.errors
                    assert inventory_import.status == ImportStatus.FAILED
                    assert inventory_import.errors
                    assert "Fehler in der Datei" in text or "fehlerhafte Zeile" in text
                    first = next(iter(inventory_import.errors[0]["errors"].values()))[0]
                    assert html.escape(first) in text
                    # Nothing was written: no dataset, no new version, no classification.
                    assert Dataset.objects.count() == datasets
                    assert Dataset.objects.get(pk=existing.pk).version == existing.version
                    assert Classification.objects.count() == classifications
            transaction.set_rollback(True)

    post_once()
    assert_saw(outcomes, "übernommen", "Dateifehler", "Formularfehler")


# ---- Data request (public, anonymous) ----------------------------------------------------

DATA_REQUEST = {
    "title": "Baumkataster als CSV",
    "description": "Für eine Karte der Straßenbäume.",
    "email": "",
    "website": "",  # the honeypot, empty as people leave it
}


def test_the_data_request_form_records_a_wish_or_shows_german_errors(client, db):
    url = reverse("portal:data_request_create")
    form = DataRequestForm()
    outcomes = Counter()

    @fuzz(EXAMPLES["data_request"])
    @given(post=form_posts(form, DATA_REQUEST))
    def post_once(post):
        with transaction.atomic():
            cache.clear()
            before = DataRequest.objects.count()
            response = client.post(url, post)
            assert_no_server_error(response)
            if response.status_code == 302 and DataRequest.objects.count() == before:
                # The honeypot: a bot is thanked, nothing is stored.
                assert response["Location"] == reverse("portal:data_request_thanks")
                outcomes["Honeypot"] += 1
                assert sent(post, "website").strip()
                assert DataRequest.objects.count() == before
            elif response.status_code == 302:
                outcomes["angenommen"] += 1
                assert DataRequest.objects.count() == before + 1
                wish = DataRequest.objects.latest("pk")
                # The requester's receipt is the thanks page; the request is public only after triage (issue 22).
                assert response["Location"] == reverse("portal:data_request_thanks")
                assert wish.title == sent(post, "title").strip()
                assert wish.description == sent(post, "description").strip()
            else:
                outcomes["abgelehnt"] += 1
                assert_refused_in_german(response)
                assert DataRequest.objects.count() == before
            transaction.set_rollback(True)

    post_once()
    assert_saw(outcomes, "angenommen", "abgelehnt", "Honeypot")


def test_too_many_data_requests_get_a_clear_german_page(client, db):
    cache.clear()
    url = reverse("portal:data_request_create")
    limit, _period = DATA_REQUEST_LIMIT
    for _number in range(limit):
        assert client.post(url, DATA_REQUEST).status_code == 302
    response = client.post(url, DATA_REQUEST)
    cache.clear()
    assert response.status_code == 429
    assert "zu viele Datenwünsche" in response.content.decode()
    assert response.context["form"].non_field_errors()
    assert DataRequest.objects.count() == limit


@pytest.mark.parametrize("form_class", [DatasetForm, ClassificationForm, InventoryImportForm, DataRequestForm])
def test_every_field_of_the_fuzzed_forms_has_a_strategy(form_class, steward_a, vocabularies):
    kwargs = {
        DatasetForm: {"user": steward_a},
        InventoryImportForm: {"organisations": editing_organisations(steward_a)},
    }.get(form_class, {})
    form = form_class(**kwargs)
    for name, field in form.fields.items():
        if not isinstance(field, forms.FileField):
            assert valid_values(field) is not None, name
