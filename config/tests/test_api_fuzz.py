"""Fuzzing the REST API against its own OpenAPI schema (schemathesis) and the CKAN
Action API with bad parameters (Hypothesis).

REST API: every operation of /api/schema/, for anonymous clients and for a steward, a
legal reviewer and a governance admin with personal API tokens, in a Stadtverbund with
data (config/tests/fuzz_support.py). Half the examples of a path with identifiers use
ones that exist, so detail endpoints and writes reach the services, not just the 404.
Every answer must be no server error and conform to the schema: documented status
code, content type, headers and body.

CKAN: every read action via GET and POST with random, huge, negative, malformed and
wrongly typed parameters: never a 5xx, always JSON in CKAN's envelope (or CKAN's bare
"Bad request" string), and only the status codes CKAN uses.

Each example runs in a savepoint that is rolled back, with an empty cache, so no example
sees what another wrote and no rate limit carries over. Examples are derandomized:
the same cases on every run, in CI too."""

import json
from urllib.parse import quote

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from governance import services as governance
from portal.ckan import actions as ckan_actions

from .fuzz_support import HUGE_INTEGERS, build_world, deep_json

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Credentials are ours to send (a token per role, none for anonymous clients), not generated.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
# Examples per operation and role. Anonymous clients and the legal reviewer mostly meet a
# 401 or 403 at the door; the steward's and the admin's requests reach the services. The
# figures keep the file's wall time in CI's budget.
EXAMPLES_PER_OPERATION = {"anonymous": 5, "steward": 20, "legal": 5, "admin": 10}


def fuzz_settings(max_examples: int):
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module")
def application():
    """Django's WSGI application, served in this thread and the test's transaction.
    Django closes the database connection after each request (which would end the
    test's transaction); the test client disconnects those handlers the same way.
    A server error's traceback is in the captured log (django.request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world_and_schema(django_db_setup, django_db_blocker, application, tmp_path_factory):
    """The Stadtverbund and the schema, built once for every role: in a transaction
    that is rolled back after the module's last test (each test's own transaction nests
    inside it)."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        world = build_world()
        for role in ("steward", "legal", "admin"):
            _token, world.tokens[role] = governance.create_api_token(world.people[role], name="Fuzz", valid_days=1)
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
        yield world, schema
        transaction.set_rollback(True)


def isolated(call):
    """Run one example in a savepoint that is always rolled back, with an empty cache."""
    with transaction.atomic():
        cache.clear()
        try:
            return call()
        finally:
            transaction.set_rollback(True)


def fuzz_operation(operation, *, world, headers: dict, max_examples: int) -> int:
    """Run one operation's examples; return how many ran."""
    strategy = operation.as_strategy()
    known = world.known_path_parameters(operation.path)
    if known:
        existing = st.sampled_from(known).flatmap(lambda values: operation.as_strategy(path_parameters=values))
        strategy = st.one_of(strategy, existing)
    examples = []

    @fuzz_settings(max_examples)
    @given(case=strategy)
    def answers_as_documented(case):
        examples.append(case)
        isolated(lambda: case.call_and_validate(headers=headers, checks=CHECKS))

    answers_as_documented()
    return len(examples)


@pytest.mark.parametrize("role", list(EXAMPLES_PER_OPERATION))
def test_every_operation_answers_as_its_schema_says(db, application, world_and_schema, role):
    world, schema = world_and_schema
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anonymous" else {}
    examples = {
        operation.label: fuzz_operation(
            operation,
            world=world,
            headers=headers,
            max_examples=EXAMPLES_PER_OPERATION[role],
        )
        for operation in (result.ok() for result in schema.get_all_operations())
    }
    total = sum(examples.values())
    print(f"{role}: {len(examples)} operations, {total} examples")
    assert len(examples) >= 55
    assert min(examples.values()) >= EXAMPLES_PER_OPERATION[role] // 2
    assert total >= len(examples) * EXAMPLES_PER_OPERATION[role] * 3 // 4


# ---------------------------------------------------------------------------
# The CKAN Action API: no OpenAPI schema, so Hypothesis feeds it bad parameters.

CKAN_READ_ACTIONS = [
    "package_search",
    "package_show",
    "package_list",
    "current_package_list_with_resources",
    "organization_list",
    "organization_show",
    "group_list",
    "group_show",
    "tag_list",
    "license_list",
    "status_show",
    "help_show",
    "resource_show",
    "datastore_search",
    "datastore_info",
]
CKAN_STATUSES = {200, 400, 403, 404, 409}
CKAN_EXAMPLES = 20
CKAN_PARAMETERS = [
    "id", "name", "name_or_id", "q", "fq", "fq_list", "rows", "start", "sort", "facet", "facet.field",
    "facet.limit", "facet.mincount", "include_private", "all_fields", "limit", "offset", "order_by", "query",
    "vocabulary_id", "organizations", "groups", "include_datasets", "include_dataset_count", "page", "title",
]  # fmt: skip
SOLR_FRAGMENTS = [
    "(", ")", "[", "]", "{", "}", ":", "*", "?", "~", "^", "\\", '"', "AND", "OR", "NOT", "-", "+", "TO",
    "tags:", "organization:", "res_format:", "metadata_modified:[NOW-1DAY TO *]", "name:[a TO z]", "*:*",
    "groups:envi", "license_id:", "NOW/DAY", "2024-13-45T99:99:99Z", "\x00", "\u202e", "Bäume", "🌳",
]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["-1", "0", "1e309", "NaN", "Infinity", "1.5", "0x10", " 5 ", "9" * 400, "9" * 5000]),
    st.sampled_from(HUGE_INTEGERS),  # beyond PostgreSQL's bigint: refused, never an overflow
)
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # any character, \x00 and surrogate-free
SOLR = st.lists(st.one_of(st.sampled_from(SOLR_FRAGMENTS), TEXT), max_size=8).map(" ".join)
VALUE = st.one_of(
    TEXT, NUMBERS, SOLR, st.sampled_from(["baumkataster", "stadt-a", "envi", "true", "", "[]", "{}", "\x00", "a\x00"])
)
KEY = st.one_of(st.sampled_from(CKAN_PARAMETERS), TEXT.filter(lambda key: key != "callback"))
QUERY = st.dictionaries(KEY, st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3)), max_size=5)
JSON_VALUE = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=False),
        VALUE,
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)  # fmt: skip
JSON_BODY = st.one_of(
    st.one_of(
        st.dictionaries(KEY, JSON_VALUE, max_size=5),  # the right shape with values of any type
        JSON_VALUE,  # not an object at all
    ).map(json.dumps),
    st.sampled_from([deep_json("["), deep_json('{"id":')]),  # deeper than any parser should follow
)
# Any name the URL pattern takes: without "/" (that never reaches the view).
ACTION_NAME = st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=30)


def ckan_url(action: str) -> str:
    return "/api/3/action/" + quote(action, safe="")


def assert_ckan_answer(response) -> None:
    """CKAN's answer: its envelope, or the bare "Bad request" string CKAN sends when the
    action is unknown or the request data is unreadable; never a server error."""
    assert response.status_code in CKAN_STATUSES, response.content[:500]
    assert response["Content-Type"] == "application/json;charset=utf-8"
    body = json.loads(response.content)
    if isinstance(body, str):
        assert response.status_code == 400
        assert body.startswith("Bad request - ")
        return
    assert isinstance(body["success"], bool)
    assert body["help"].startswith("http://testserver/api/3/action/help_show?name=")
    if body["success"]:
        assert response.status_code == 200
        assert "result" in body
    else:
        assert response.status_code != 200
        assert isinstance(body["error"]["__type"], str)


@pytest.fixture
def ckan_client(db, world_and_schema, client):
    return client


@pytest.mark.parametrize("action", CKAN_READ_ACTIONS)
def test_ckan_read_actions_answer_bad_parameters_in_their_envelope(ckan_client, action):
    examples = []

    @fuzz_settings(CKAN_EXAMPLES)
    @given(query=QUERY, body=JSON_BODY)
    def bad_parameters(query, body):
        examples.append(query)
        assert_ckan_answer(ckan_client.get(ckan_url(action), query))
        assert_ckan_answer(ckan_client.post(ckan_url(action), body, content_type="application/json"))

    bad_parameters()
    assert len(examples) == CKAN_EXAMPLES


# CKAN's DataStore on a table that exists: its parameters with any values, and column
# names of the table among them (the random ids above find no table).
DATASTORE_KEY = st.sampled_from(
    ["filters", "q", "sort", "limit", "offset", "fields", "records_format", "include_total", "distinct", "plain"]
)
DATASTORE_VALUE = st.one_of(
    VALUE,
    st.sampled_from(['{"Art": "Linde"}', '{"Art": ["Linde", 1, null]}', "Art desc", "Art,_id", "lists", "csv",
                     '{"Höhe": {"a": 1}}', '{"Baum": "9999999999999999999999"}', "_id", "-1", "32001"]),
)  # fmt: skip
DATASTORE_QUERY = st.dictionaries(DATASTORE_KEY, DATASTORE_VALUE, max_size=5)


@pytest.mark.parametrize(("action", "key"), [("datastore_search", "resource_id"), ("datastore_info", "id")])
def test_ckan_datastore_actions_answer_bad_parameters_on_a_real_table(ckan_client, world_and_schema, action, key):
    world, _schema = world_and_schema
    examples = []

    @fuzz_settings(CKAN_EXAMPLES)
    @given(query=DATASTORE_QUERY)
    def bad_parameters(query):
        examples.append(query)
        query = {**query, key: world.table_id}
        assert_ckan_answer(ckan_client.get(ckan_url(action), query))
        assert_ckan_answer(ckan_client.post(ckan_url(action), json.dumps(query), content_type="application/json"))

    bad_parameters()
    assert len(examples) == CKAN_EXAMPLES


def test_unknown_ckan_actions_are_a_bad_request(ckan_client):
    @fuzz_settings(CKAN_EXAMPLES)
    @given(action=ACTION_NAME.filter(lambda name: name not in ckan_actions.ACTIONS), query=QUERY)
    def unknown(action, query):
        for response in (ckan_client.get(ckan_url(action), query), ckan_client.post(ckan_url(action), query)):
            assert_ckan_answer(response)
            assert response.status_code == 400

    unknown()


# ---------------------------------------------------------------------------
# Regressions: what the fuzzing found, as plain tests.


def test_a_time_zone_offset_postgresql_does_not_know_is_compared_in_utc(client, db, world_and_schema):
    """modified_since=…-18:31 was a 500 (PostgreSQL: "time zone displacement out of range")."""
    response = client.get("/api/v1/datasets/", {"modified_since": "2021-07-24T06:38:53-18:31"})
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["baumkataster"]
    response = client.get("/api/v1/datasets/", {"modified_since": "0001-01-01T00:00:00+01:00"})
    assert response.status_code == 400
    assert list(response.json()) == ["modified_since"]
