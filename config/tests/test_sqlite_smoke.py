"""Smoke tests for the embedded default (`make run` on SQLite, where README promises every
feature works): the seeded demo Stadtverbund, the public and staff pages reached by
following links from the start pages, every GET operation of the OpenAPI schema, the
CKAN Action API's read actions and the DCAT documents. Nothing may answer with a server
error.

They run on PostgreSQL with the rest of the suite and, marked sqlite_smoke, once more on
SQLite (`make test`, config/settings_test_sqlite.py):

    DJANGO_SETTINGS_MODULE=config.settings_test_sqlite pytest -m sqlite_smoke"""

import html
import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from catalog import renditions
from catalog.models import Dataset, Distribution
from datastore.permissions import queryable_tables
from ethics.models import DataUse, EthicsReview
from governance.models import Decision, RuleVersion
from portal.ckan.actions import ACTIONS
from portal.dcat import FORMATS, STREAM_FORMATS
from portal.models import DataRequest

pytestmark = pytest.mark.sqlite_smoke

PUBLISHED = "baumkataster-lindenau"  # a published dataset of the demo catalog
HREF = re.compile(r'(?:href|action)="(/[^"#]*)')
# Links the crawl does not follow: they sign out, change the language, or serve files
# that are not pages.
SKIP = ("/konto/abmelden/", "/i18n/", "/static/", "/media/")
PER_ROUTE = 2  # pages of one URL pattern the crawl visits (list, filter, detail variants)
# The search follows more of its links: every facet, sort and the next page (SQLite has
# its own branch of the search, portal/search.py).
PER_ROUTE_OF = {"suche/": 40}
MAX_PAGES = 400


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo Stadtverbund of `make run`, seeded once for the module in a transaction
    that is rolled back after its last test."""
    with (
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("smoke-media")),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=StringIO())
        # The worker renders tables after a commit, which never comes in this transaction.
        for distribution_id in list(renditions.missing()):
            renditions.render_distribution(distribution_id)
        yield
        transaction.set_rollback(True)


def client_as(username: str | None) -> Client:
    client = Client(raise_request_exception=False)  # every server error in the list, not just the first
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def fetch(client: Client, url: str, **headers):
    cache.clear()  # no rate limit carries over from one page to the next
    response = client.get(url, headers=headers or None)
    if response.streaming:  # read to the end (a stream can fail half-way); the client closes it then
        b"".join(response.streaming_content)
    return response


def crawl(client: Client, start: list[str]) -> tuple[dict[str, int], list[str]]:
    """Follow the links of the site's own pages, breadth first, a few pages per URL
    pattern; returns the status of every page visited and the server errors."""
    queue, seen, per_route, statuses = list(start), set(start), {}, {}
    while queue and len(statuses) < MAX_PAGES:
        url = queue.pop(0)
        try:
            route = resolve(urlsplit(url).path).route
        except Resolver404:
            continue
        if per_route.get(route, 0) >= PER_ROUTE_OF.get(route, PER_ROUTE):
            continue
        per_route[route] = per_route.get(route, 0) + 1
        response = fetch(client, url)
        statuses[url] = response.status_code
        if response.streaming or response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in HREF.findall(response.content.decode()):
            link = html.unescape(link)
            if link not in seen and not link.startswith(SKIP):
                seen.add(link)
                queue.append(link)
    return statuses, [url for url, status in statuses.items() if status >= 500]


def test_public_pages_answer_without_a_server_error(db, demo):
    statuses, errors = crawl(client_as(None), ["/", "/suche/?q=baum", "/strategie/", "/ethik/"])
    assert len(statuses) > 20, statuses
    assert not errors, errors


@pytest.mark.parametrize("username", ["admin.lindenau", "steward.lindenau", "ethics.lindenau"])
def test_staff_pages_answer_without_a_server_error(db, demo, username):
    statuses, errors = crawl(client_as(username), ["/intern/", "/", "/admin/"])
    assert len(statuses) > 20, statuses
    assert not errors, errors


def path_parameters(path: str) -> dict:
    """Identifiers of the demo world for a path of the schema."""
    version = RuleVersion.objects.filter(policy_version__number=1).select_related("policy_version__document").first()
    document = version.policy_version.document.slug
    collections = {
        "data-requests": DataRequest,
        "data-uses": DataUse,
        "decisions": Decision,
        "ethics-reviews": EthicsReview,
    }
    collection = path.removeprefix("/api/v1/").split("/")[0]
    values = {
        "name": PUBLISHED,
        "dataset_name": PUBLISHED,
        "identifier": Distribution.objects.filter(dataset__name=PUBLISHED).first().identifier,
        # A table of the demo that anyone may query (datastore: loaded on publication, after
        # commit; the test's transaction never commits, so the table endpoints may answer 404).
        "resource_id": queryable_resource(),
        "number": 1,
        "version_number": 1,
        "code": version.rule.code,
        "document_slug": document,
        "slug": "lindenau" if collection == "organisations" else document,
    }
    if collection in collections:
        values["id"] = collections[collection].objects.order_by("pk").first().pk
    return values


def queryable_resource():
    table = queryable_tables().order_by("pk").first()
    if table is not None:
        return table.distribution.identifier
    return Distribution.objects.filter(dataset__name=PUBLISHED).first().identifier


def test_every_get_operation_of_the_api_schema_answers_without_a_server_error(db, demo):
    schema = fetch(client_as(None), "/api/schema/", Accept="application/json").json()
    paths = [path for path, operations in schema["paths"].items() if "get" in operations]
    assert len(paths) > 20, paths
    errors, statuses = [], {}
    for path in paths:
        parameters = path_parameters(path)
        names = re.findall(r"{(\w+)}", path)
        assert all(name in parameters for name in names), f"no demo identifier for {path}"
        url = path.format(**{name: parameters[name] for name in names})
        for username in (None, "admin.lindenau"):
            status = fetch(client_as(username), url).status_code
            statuses[url, username] = status
            if status >= 500:
                errors.append((url, username, status))
    assert not errors, errors
    assert statuses["/api/v1/datasets/", None] == 200


def test_the_ckan_read_actions_answer_without_a_server_error(db, demo):
    dataset = Dataset.objects.get(name=PUBLISHED)
    resource = dataset.distributions.first()
    parameters = {
        "package_show": f"?id={PUBLISHED}",
        "resource_show": f"?id={resource.identifier}",
        "organization_show": "?id=lindenau",
        "group_show": f"?id={dataset.themes.first().code.lower()}",
        "package_search": '?q=baum&facet.field=["organization","tags","res_format"]&rows=5',
    }
    client = client_as(None)
    errors = []
    for action in ACTIONS:
        for query in {"", parameters.get(action, "")}:
            response = fetch(client, f"/api/3/action/{action}{query}")
            if response.status_code >= 500:
                errors.append((action, query, response.status_code))
    assert fetch(client, "/api/3/action/package_search?q=baum").json()["result"]["count"] > 0
    assert not errors, errors


def test_the_dcat_documents_answer_without_a_server_error(db, demo):
    client = client_as(None)
    urls = ["/catalog", f"/dataset/{PUBLISHED}"]
    urls += [f"/catalog.{extension}" for extension in FORMATS]
    urls += [f"/dataset/{PUBLISHED}.{extension}" for extension in FORMATS]
    urls += [f"/catalog/all.{extension}" for extension in STREAM_FORMATS]
    statuses = {url: fetch(client, url, Accept="text/turtle").status_code for url in urls}
    assert all(status == 200 for status in statuses.values()), statuses
