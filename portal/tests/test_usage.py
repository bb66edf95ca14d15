"""Usage statistics without personal data (issue 24): page views, downloads and table
queries counted per dataset and day by portal.usage, shown on the dataset page, the
transparency dashboard and the internal catalog page."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from catalog import renditions
from catalog.models import DatasetState
from portal import usage
from portal.models import UsageCount, UsageKind

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def counts(dataset, kind=None) -> dict:
    rows = UsageCount.objects.filter(dataset=dataset)
    if kind:
        rows = rows.filter(kind=kind)
    return {(row.day, row.kind): row.count for row in rows}


def view_page(client, dataset, **headers):
    return client.get(reverse("portal:dataset_detail", args=[dataset.name]), HTTP_USER_AGENT=BROWSER, **headers)


def yesterday():
    return timezone.localdate() - timedelta(days=1)


# ---------------------------------------------------------------------------
# The counter


@pytest.mark.sqlite_smoke
def test_counting_adds_up_per_day_and_kind(published):
    today = timezone.localdate()
    usage.count(published.pk, "page_view")
    usage.count(published.pk, "page_view")
    usage.count(published.pk, "download", n=3)
    usage.count(published.pk, "page_view", day=today - timedelta(days=1))
    usage.count(published.pk, "table_query")

    assert counts(published) == {
        (today, "page_view"): 2,
        (today, "download"): 3,
        (today - timedelta(days=1), "page_view"): 1,
        (today, "table_query"): 1,
    }


@pytest.mark.sqlite_smoke
def test_increments_in_a_row_add_up_on_one_row(published):
    for _ in range(25):
        usage.count(published.pk, UsageKind.DOWNLOAD)
    assert UsageCount.objects.filter(dataset=published).count() == 1
    assert UsageCount.objects.get(dataset=published).count == 25


def test_an_unknown_kind_is_a_programming_error(published):
    with pytest.raises(ValueError, match="Unbekannte Art"):
        usage.count(published.pk, "api")


@pytest.mark.django_db(transaction=True)
def test_one_count_is_one_statement_outside_a_transaction(published):
    """The upsert (INSERT … ON CONFLICT DO UPDATE) is one statement in autocommit, as in a
    request (no ATOMIC_REQUESTS): two concurrent requests cannot lose an increment."""
    usage.count(published.pk, "download")
    with CaptureQueriesContext(connection) as queries:
        usage.count(published.pk, "download")
    assert len(queries.captured_queries) == 1
    assert "ON CONFLICT" in queries.captured_queries[0]["sql"]
    assert UsageCount.objects.get(dataset=published).count == 2


def test_a_failing_count_is_logged_and_swallowed(published, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise DatabaseError("Datenbank weg")

    monkeypatch.setattr(usage, "_upsert", broken)
    usage.count(published.pk, "download")  # no exception
    assert "nicht gezählt" in caplog.text
    assert not UsageCount.objects.exists()


def test_a_failing_statement_leaves_the_surrounding_transaction_usable(published, monkeypatch):
    monkeypatch.setattr(usage, "_sql", lambda: "INSERT INTO kein_solcher_table VALUES (%s, %s, %s, %s)")
    usage.count(published.pk, "download")
    # Inside a transaction (as in these tests) a failed statement would abort it: the
    # savepoint keeps the next query working.
    assert UsageCount.objects.count() == 0


def test_the_rows_hold_nothing_about_the_requester():
    assert {field.name for field in UsageCount._meta.get_fields()} == {"id", "dataset", "day", "kind", "count"}


# ---------------------------------------------------------------------------
# What is counted


def test_a_page_view_is_counted_on_get_200(client, published):
    assert view_page(client, published).status_code == 200
    assert counts(published) == {(timezone.localdate(), "page_view"): 1}


def test_a_page_view_by_a_bot_a_head_or_a_304_is_not_counted(client, published):
    url = reverse("portal:dataset_detail", args=[published.name])
    first = view_page(client, published)
    client.get(url, HTTP_USER_AGENT="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    client.get(url, HTTP_USER_AGENT="Mozilla/5.0 (compatible; YandexSpider)")
    client.get(url, HTTP_USER_AGENT="ia_archiver Crawler")
    client.head(url, HTTP_USER_AGENT=BROWSER)
    assert view_page(client, published, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert counts(published) == {(timezone.localdate(), "page_view"): 1}


def test_nothing_about_the_requester_is_stored(client, published):
    view_page(client, published, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.9")
    row = UsageCount.objects.values().get()
    assert set(row) == {"id", "dataset_id", "day", "kind", "count"}
    assert "203.0.113.7" not in repr(row)
    assert "sd_voter" not in client.cookies, "counting sets no cookie"


def test_pages_that_are_not_published_are_not_counted(client, unpublished):
    for dataset in unpublished.values():
        view_page(client, dataset)
    assert not UsageCount.objects.exists()


def test_a_download_is_counted_when_the_file_is_served(client, published):
    distribution = published.distributions.get()
    url = reverse("portal:download", args=[published.name, distribution.identifier])
    response = client.get(url, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    client.get(url, HTTP_USER_AGENT=BROWSER, HTTP_IF_NONE_MATCH=response["ETag"])  # 304: nothing served
    b"".join(client.get(url, HTTP_USER_AGENT="python-requests/2.32 (compatible; bingbot)").streaming_content)
    assert counts(published) == {(timezone.localdate(), "download"): 1}


def test_a_conversion_is_counted_as_a_download_when_served(client, published):
    distribution = published.distributions.get()
    url = reverse("portal:convert", args=[published.name, distribution.identifier, "json"])
    assert client.get(url, HTTP_USER_AGENT=BROWSER).status_code == 503  # not computed yet: not counted
    assert not UsageCount.objects.exists()
    renditions.render(distribution)
    response = client.get(url, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert counts(published) == {(timezone.localdate(), "download"): 1}


def test_a_failure_in_counting_still_serves_the_page_and_the_file(client, published, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("Datenbank weg")

    monkeypatch.setattr(usage, "_upsert", broken)
    assert view_page(client, published).status_code == 200
    distribution = published.distributions.get()
    response = client.get(reverse("portal:download", args=[published.name, distribution.identifier]))
    assert response.status_code == 200
    assert b"Linde" in b"".join(response.streaming_content)


# ---------------------------------------------------------------------------
# What is shown


def test_the_dataset_page_shows_the_last_month_in_german_numbers(client, published):
    UsageCount.objects.create(dataset=published, day=yesterday(), kind="page_view", count=1234)
    UsageCount.objects.create(dataset=published, day=yesterday() - timedelta(days=29), kind="download", count=56)
    # Outside the 30 days before today: not in the line.
    UsageCount.objects.create(dataset=published, day=yesterday() - timedelta(days=30), kind="download", count=1000)
    text = view_page(client, published).content.decode()
    assert "Abrufe im letzten Monat" in text
    assert "1.234 Seitenaufrufe" in text
    assert "56 Downloads" in text
    assert "0 Tabellenabfragen" in text


def test_new_counts_of_a_past_day_change_the_etag(client, published):
    first = view_page(client, published)
    UsageCount.objects.create(dataset=published, day=yesterday(), kind="download", count=7)
    assert view_page(client, published, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_the_dashboard_shows_totals_and_the_top_datasets(client, flow_a, org_a, published, unpublished):
    other = flow_a.publish(flow_a.create(org_a, "parkplaetze", title="Parkplätze"))
    UsageCount.objects.create(dataset=published, day=yesterday(), kind="download", count=1500)
    UsageCount.objects.create(dataset=published, day=yesterday(), kind="page_view", count=2000)
    UsageCount.objects.create(dataset=other, day=yesterday() - timedelta(days=3), kind="download", count=3000)
    UsageCount.objects.create(dataset=other, day=yesterday() - timedelta(days=3), kind="table_query", count=4)
    UsageCount.objects.create(dataset=other, day=yesterday() - timedelta(days=90), kind="download", count=99)
    # A dataset no longer published counts in the totals but is not listed.
    withdrawn = unpublished["withdrawn"]
    assert withdrawn.state == DatasetState.WITHDRAWN
    UsageCount.objects.create(dataset=withdrawn, day=yesterday(), kind="download", count=5000)

    response = client.get(reverse("portal:dashboard"))
    text = response.content.decode()
    assert "Abrufe im letzten Monat" in text
    assert "9.500" in text  # downloads in total
    assert "2.000" in text  # page views
    figures = response.context["usage"]
    assert figures["totals"] == {"page_view": 2000, "download": 9500, "table_query": 4}
    assert [(row["title"], row["downloads"]) for row in figures["top"]] == [
        ("Parkplätze", 3000),
        ("Baumkataster", 1500),
    ]
    assert withdrawn.title not in text
    assert reverse("portal:dataset_detail", args=["parkplaetze"]) in text


def test_the_dashboard_says_when_nothing_was_counted(client, published):
    text = client.get(reverse("portal:dashboard")).content.decode()
    assert "Abrufe im letzten Monat" in text
    assert "Im letzten Monat wurden keine Downloads gezählt." in text


def test_the_internal_page_shows_the_publishers_staff_the_last_month_and_months(
    client_for, steward_a, outsider, published
):
    UsageCount.objects.create(dataset=published, day=yesterday(), kind="download", count=4321)
    month_ago = timezone.localdate().replace(day=1) - timedelta(days=1)
    UsageCount.objects.create(dataset=published, day=month_ago, kind="page_view", count=77)
    url = reverse("catalog:dataset_detail", args=[published.name])

    response = client_for(steward_a).get(url)

    text = response.content.decode()
    assert "Abrufe" in text
    assert "4.321" in text
    assert date_format(month_ago, "YEAR_MONTH_FORMAT") in text  # "November 2026"
    assert "77" in text
    assert client_for(outsider).get(url).status_code == 403


# A database of its own (the benchmark uses 14 for its cache).
REDIS_TEST_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def buffered(settings):
    """The buffer in a Redis database of its own, empty before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    settings.USAGE_BUFFER_URL = REDIS_TEST_URL
    yield client
    client.flushdb()


def test_with_a_buffer_uses_wait_in_redis_and_the_flush_writes_them(buffered, published, django_assert_num_queries):
    from portal import usage

    with django_assert_num_queries(0):  # no row lock a popular table's queries would queue for
        for _ in range(3):
            usage.count(published.pk, "table_query")
        usage.count(published.pk, "download", n=2)
    assert not UsageCount.objects.exists()

    assert usage.flush() == 2
    counts = dict(UsageCount.objects.values_list("kind", "count"))
    assert counts == {"table_query": 3, "download": 2}
    usage.count(published.pk, "table_query")
    assert usage.flush() == 1
    assert UsageCount.objects.get(kind="table_query").count == 4
    assert usage.flush() == 0


def test_a_buffer_that_fails_counts_in_the_database(settings, published):
    from portal import usage

    settings.USAGE_BUFFER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    usage.count(published.pk, "page_view")
    assert UsageCount.objects.get().count == 1
