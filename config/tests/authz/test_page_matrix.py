"""Authorization matrix of every page and form (issue 11): each URL pattern of the
application × every role × the object states it applies to. The allow-lists live in
matrix_*.py; everything not allowed there must be denied (403, 404, 405 or the login
page) without writing anything. A URL pattern without an entry fails the test."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from . import (
    matrix_catalog,
    matrix_charts,
    matrix_dictionary,
    matrix_governance,
    matrix_portal,
    matrix_strategy,
    matrix_strategy_public,
)
from .engine import Cell, run, url_for
from .world import ROLES

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("authz")]

PAGE_ROUTES = {
    **matrix_portal.ROUTES,
    **matrix_catalog.ROUTES,
    **matrix_charts.ROUTES,
    **matrix_dictionary.ROUTES,
    **matrix_governance.ROUTES,
    **matrix_strategy.ROUTES,
    **matrix_strategy_public.ROUTES,
}
# URL names whose every operation the API matrix covers (test_api_matrix.py walks the
# OpenAPI schema and the CKAN actions).
API_NAMESPACES = ("governance-api:", "catalog-api:", "ethics-api:", "portal-api:", "datastore-api:", "ckan:")


def url_names(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<unnamed {pattern.pattern}>"


def test_every_url_pattern_is_in_the_matrix():
    uncovered = [
        name
        for name in url_names()
        if name not in PAGE_ROUTES
        and not name.startswith(API_NAMESPACES)
        and not matrix_governance.covered_by_admin_site(name)
    ]
    assert uncovered == [], "URL patterns without an entry in the authorization matrix"


def test_matrix_names_only_existing_urls():
    assert set(PAGE_ROUTES) - set(url_names()) == set()


@pytest.mark.parametrize("name", sorted(PAGE_ROUTES))
def test_route(world, name):
    route = PAGE_ROUTES[name]
    findings = []
    for label in route.objects:
        url = url_for(name, route.url_kwargs(world, label), route.query)
        data = route.data(world, label) if callable(route.data) else route.data
        for method in ("GET", "POST"):
            ok = route.get_ok if method == "GET" else route.post_ok
            allowed = route.allowed(method, label)
            for role in ROLES:
                cell = Cell(name, role, label, method, url)
                finding = run(cell, world.client(role), data, role in allowed, ok)
                if finding:
                    findings.append(finding)
    assert not findings, "\n".join(findings)


def test_the_engine_notices_a_denied_request_that_writes(world):
    """Negative control: a vote is a write; judged as if it had to be denied, the cell
    reports both the wrong answer and the change to the database."""
    url = url_for("portal:vote", {"name": world.dataset("published").name})
    finding = run(Cell("portal:vote", "anonymous", "published", "POST", url), world.client("anonymous"), {}, False, ())
    assert "should be denied, got 302" in finding
    assert "changed the database" in finding
