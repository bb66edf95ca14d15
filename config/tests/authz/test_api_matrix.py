"""Authorization matrix of the REST API (issue 11), driven by the OpenAPI schema, and of
the CKAN Action API.

- Every operation of the schema has an entry in matrix_api.py and every entry an
  operation; every URL of the API namespaces is in the schema.
- Each operation runs for every role on the objects its entry names; a cell that is not
  allowed must be refused (401/403/404/405, or the entry's state refusal) without
  writing anything.
- Lists return exactly what the rules let a role see, over all pages.
- A token gets the answers of its owner's session; a revoked or expired one gets 401.
- No DRF view in the URLconf relies on DRF's defaults: each names a role-checking
  permission or the explicit public marker.
- CKAN: read actions show published data only, to everyone; write actions are refused
  with CKAN's Authorization Error for everyone and change nothing.
"""

import re
from functools import cache
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator

from . import matrix_api
from .engine import Cell, run
from .engine import request as send
from .world import ADMIN_A, ANONYMOUS, DATASETS, ETHICS_A, LEGAL_A, OUTSIDER, OWNER_A, ROLES, STEWARD_A, STEWARD_B

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("authz")]

METHODS = ("get", "post", "put", "patch", "delete")
REST_NAMESPACES = ("governance-api", "catalog-api", "ethics-api", "portal-api", "datastore-api")
PARAMETER = re.compile(r"\{(\w+)\}")


@cache
def schema_operations() -> dict[str, tuple[str, str]]:
    """operationId -> (method, path template) of the OpenAPI document."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]: (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def url_patterns(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", pattern


def fill(path: str, params: dict) -> str:
    return PARAMETER.sub(lambda match: str(params[match.group(1)]), path)


# ---------------------------------------------------------------------------
# Coverage: the schema, the URLconf and the matrix name the same operations


def test_every_operation_of_the_schema_is_in_the_matrix():
    operations = set(schema_operations())
    assert sorted(operations - set(matrix_api.OPERATIONS)) == [], "API operations without a matrix entry"
    assert sorted(set(matrix_api.OPERATIONS) - operations) == [], "matrix entries of vanished API operations"


def test_every_api_url_is_in_the_schema():
    """An endpoint left out of the schema (extend_schema(exclude=True), a plain view in
    an API urls.py) would escape the matrix."""
    uuid = "00000000-0000-0000-0000-000000000000"
    sample = {"identifier": uuid, "resource_id": uuid, "code": "R-X", "transition": "submit"}
    in_schema = {
        resolve(fill(path, {name: sample.get(name, "1") for name in PARAMETER.findall(path)})).view_name
        for _method, path in schema_operations().values()
    }
    api_names = {name for name, _pattern in url_patterns() if name.split(":")[0] in REST_NAMESPACES}
    assert sorted(api_names - in_schema) == []


# ---------------------------------------------------------------------------
# The cells


@pytest.mark.parametrize("operation_id", sorted(matrix_api.OPERATIONS))
def test_operation(world, operation_id):
    entry = matrix_api.OPERATIONS[operation_id]
    method, path = schema_operations()[operation_id]
    findings = []
    for label in entry.objects:
        url = fill(path, entry.path_params(world, label))
        body = entry.json_body(world, label) if method != "GET" else None
        allowed = entry.allowed_roles(label)
        for role in ROLES:
            cell = Cell(operation_id, role, label, method, url)
            finding = run(
                cell,
                world.client(role),
                body,
                role in allowed,
                entry.ok_statuses(method),
                json=True,
                also_denied=entry.refusal(label, role),
            )
            if finding:
                findings.append(finding)
    assert not findings, "\n".join(findings)


def test_refusals_are_only_for_roles_that_are_not_allowed():
    for entry in matrix_api.OPERATIONS.values():
        for label, (roles, _statuses) in entry.refused.items():
            assert label in entry.objects, f"{entry.operation_id}: refusal for an unused object {label}"
            assert not set(roles) & entry.allowed_roles(label), f"{entry.operation_id} on {label}"


# ---------------------------------------------------------------------------
# Lists never leak


def walk(client, url: str, key: str) -> list:
    """Every row of a cursor-paginated list, following `next` to the last page."""
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.json()
        rows.extend(row[key] for row in page["results"])
        url = page["next"]
    assert len(rows) == len(set(rows)), f"{url}: a row on two pages"
    return rows


def subtree(slug: str) -> set[str]:
    from governance.models import Organisation

    parents = dict(Organisation.objects.values_list("slug", "parent__slug"))
    return {org for org in parents if org == slug or parents[org] == slug}


A, B = "lindenau", "eichberg"
# Where each role holds its role (a role covers the units below).
HOME = {STEWARD_A: A, OWNER_A: A, LEGAL_A: A, ETHICS_A: A, ADMIN_A: A, STEWARD_B: B}


def expected_datasets(role) -> set[str]:
    from catalog.models import Dataset, DatasetState

    published = set(Dataset.objects.published().values_list("name", flat=True))
    if role in (ANONYMOUS, OUTSIDER):
        return published
    own = Dataset.objects.filter(publisher__slug__in=subtree(HOME[role]))
    if role == ETHICS_A:
        own = own.filter(state=DatasetState.ETHICS_REVIEW)
    return published | set(own.values_list("name", flat=True))


def expected_reviews(world, role) -> set[int]:
    from ethics.models import EthicsReview

    if role in (ANONYMOUS, OUTSIDER):
        return set()
    user = world.user(role)
    mine = EthicsReview.objects.filter(applicant=user) | EthicsReview.objects.filter(answered_by=user)
    home = EthicsReview.objects.filter(organisation__slug__in=subtree(HOME[role]))
    if role in (ETHICS_A, ADMIN_A):
        mine = mine | home
    elif role in (STEWARD_A, OWNER_A, STEWARD_B):
        mine = mine | home.filter(dataset__isnull=False)
    return set(mine.values_list("pk", flat=True))


def expected_data_uses(world, role) -> set[int]:
    from ethics.models import DataUse

    if role in (ANONYMOUS, OUTSIDER):
        return set()
    mine = DataUse.objects.filter(applicant=world.user(role))
    if role in (ETHICS_A, ADMIN_A, STEWARD_A, STEWARD_B):
        mine = mine | DataUse.objects.filter(organisation__slug__in=subtree(HOME[role]))
    return set(mine.values_list("pk", flat=True))


def expected_decisions(role) -> set[int]:
    from django.db.models import Q

    from governance.models import Decision

    if role != ADMIN_A:
        return set()
    return set(
        Decision.objects.filter(Q(organisation__isnull=True) | Q(organisation__slug__in=subtree(A))).values_list(
            "pk", flat=True
        )
    )


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_exactly_what_the_role_may_see(world, role):
    from governance.models import Organisation, PolicyDocument, Rule
    from portal.models import DataRequest

    client = world.client(role)
    staff = role not in (ANONYMOUS, OUTSIDER)
    everything = {
        "organisations": set(Organisation.objects.values_list("slug", flat=True)),
        "data requests": set(DataRequest.objects.public().values_list("pk", flat=True)),
        "policy documents": set(PolicyDocument.objects.values_list("slug", flat=True)),
        "rules": set(Rule.objects.values_list("code", flat=True)),
    }
    # name: (url with a small page, so the walk crosses pages; key; expected rows, None = refused)
    lists = {
        "datasets": ("/api/v1/datasets/?limit=7", "name", expected_datasets(role)),
        "organisations": ("/api/v1/organisations/?limit=3", "slug", everything["organisations"]),
        "data requests": ("/api/v1/data-requests/?limit=2", "id", everything["data requests"]),
        "ethics reviews": ("/api/v1/ethics-reviews/?limit=1", "id", expected_reviews(world, role) if staff else None),
        "data uses": ("/api/v1/data-uses/?limit=1", "id", expected_data_uses(world, role) if staff else None),
        "decisions": ("/api/v1/decisions/?limit=20", "id", expected_decisions(role) if role == ADMIN_A else None),
        "policy documents": (
            "/api/v1/policy-documents/?limit=2",
            "slug",
            everything["policy documents"] if staff else None,
        ),
        "rules": ("/api/v1/rules/?limit=5", "code", everything["rules"] if staff else None),
    }
    for name, (url, key, expected) in lists.items():
        if expected is None:
            assert client.get(url).status_code in {401, 403}, name
            continue
        assert set(walk(client, url, key)) == expected, f"{name} as {role}"


def test_the_list_test_tells_roles_apart(world):
    """The expectations differ where the rules say so (a list test that expects the
    same for everyone could not notice a leak)."""
    assert expected_datasets(ANONYMOUS) < expected_datasets(STEWARD_A)
    assert DATASETS["draft_b"] in expected_datasets(STEWARD_B) - expected_datasets(STEWARD_A)
    assert DATASETS["ethics_review"] in expected_datasets(ETHICS_A)
    assert DATASETS["draft"] not in expected_datasets(ETHICS_A)
    assert expected_reviews(world, STEWARD_B).isdisjoint(expected_reviews(world, ETHICS_A))
    assert expected_decisions(ADMIN_A)


# ---------------------------------------------------------------------------
# Token authentication


def send_status(client, method, url, body) -> int:
    """The status of one request, whose writes are rolled back."""
    with transaction.atomic():
        status = send(client, method, url, body, json=True).status_code
        transaction.set_rollback(True)
    return status


def token_client(world, role, *, scheme="Bearer", valid_days=30, revoked=False, expired=False) -> Client:
    from django.utils import timezone

    from governance import services

    token, secret = services.create_api_token(world.user(role), name="Matrixtest", valid_days=valid_days)
    if revoked:
        services.revoke_api_token(token, by=world.user(role))
    if expired:
        type(token).objects.filter(pk=token.pk).update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    # Used a moment ago: a request within the minute stamps nothing (a stamp is a write,
    # and rolled back with each cell it would be written again by the next).
    type(token).objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    header = {"X-CKAN-API-Key": secret} if scheme == "ckan" else {"Authorization": f"{scheme} {secret}"}
    return Client(headers=header)


# A handful of cells across the apps, with a write among them: (operationId, object label).
TOKEN_CELLS = [
    ("datasets_retrieve", "draft"),
    ("datasets_retrieve", "draft_b"),
    ("datasets_partial_update", "draft"),
    ("decisions_list", "-"),
    ("ethics_reviews_retrieve", "voting_a"),
    ("data_uses_retrieve", "use_a"),
    ("policy_documents_versions_create", "network"),
]


@pytest.mark.parametrize("role", [STEWARD_A, STEWARD_B, ADMIN_A, OUTSIDER])
def test_a_token_gets_the_answers_of_its_owners_session(world, role):
    tokened = token_client(world, role)
    findings = []
    for operation_id, label in TOKEN_CELLS:
        entry = matrix_api.OPERATIONS[operation_id]
        method, path = schema_operations()[operation_id]
        url = fill(path, entry.path_params(world, label))
        body = entry.json_body(world, label) if method != "GET" else None
        allowed = role in entry.allowed_roles(label)
        cell = Cell(operation_id, f"{role} (token)", label, method, url)
        finding = run(cell, tokened, body, allowed, entry.ok_statuses(method), json=True)
        if finding:
            findings.append(finding)
        by_session, by_token = (send_status(client, method, url, body) for client in (world.client(role), tokened))
        if by_session != by_token:
            findings.append(f"{cell}: {by_token}, the session got {by_session}")
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown"])
@pytest.mark.parametrize("scheme", ["Bearer", "ckan"])
def test_a_revoked_expired_or_unknown_token_is_refused(world, state, scheme):
    if state == "unknown":
        header = {"X-CKAN-API-Key": "sd_unbekannt"} if scheme == "ckan" else {"Authorization": "Bearer sd_unbekannt"}
        client = Client(headers=header)
    else:
        client = token_client(world, STEWARD_A, scheme=scheme, **{state: True})
    draft = world.dataset("draft")
    findings = []
    for method, url, body in [
        ("GET", f"/api/v1/datasets/{draft.name}/", None),
        ("GET", "/api/v1/datasets/", None),  # public: a bad token is not served as anonymous
        ("PATCH", f"/api/v1/datasets/{draft.name}/", {"version": draft.version, "title": "Mit altem Token"}),
    ]:
        cell = Cell("token", f"{state} token", "-", method, url)
        finding = run(cell, client, body, False, frozenset(), json=True)
        if finding:
            findings.append(finding)
        elif (status := send_status(client, method, url, body)) != 401:
            findings.append(f"{cell}: {status}, expected 401")
    assert not findings, "\n".join(findings)


# ---------------------------------------------------------------------------
# No API view is open by default (rel_perf.md A.1 key finding 1)

# The only views anyone may use without a role check: each one explicitly and on purpose.
OPEN_TO_ANYONE = {
    ("portal-api:data-request-list", "post"): "Anyone may wish for data, as on the portal (rate-limited).",
    ("schema", "get"): "The OpenAPI document of a public Open Data API is public (ASVS 13.4.5 decided).",
    ("swagger-ui", "get"): "The API documentation, public like the schema.",
}
# IsAuthenticated alone lets any account in; these views then decide per object from the
# catalog's rules (require_internal, require_steward, the dataset's own door).
SIGNED_IN_THEN_OBJECT = {
    "catalog-api:dataset-transitions",
    "catalog-api:dataset-transition",
    "catalog-api:dataset-decisions",
    "catalog-api:classification-list",
    "catalog-api:classification-detail",
}


def drf_views():
    for name, pattern in url_patterns():
        cls = getattr(pattern.callback, "cls", None)
        if cls is None:
            continue
        actions = getattr(pattern.callback, "actions", None) or {
            method: method for method in cls.http_method_names if hasattr(cls, method)
        }
        for method, action in actions.items():
            if method in ("head", "options"):
                continue
            yield name, pattern.callback, method, action


def declares_permissions(callback) -> bool:
    """The view or its @action names its permissions (not DRF's settings default)."""
    from rest_framework.views import APIView

    if "permission_classes" in getattr(callback, "initkwargs", {}):
        return True
    for klass in callback.cls.__mro__:
        if klass is APIView:
            return False
        if "permission_classes" in vars(klass) or "get_permissions" in vars(klass):
            return True
    return False


def test_no_api_view_relies_on_default_or_open_permissions():
    from rest_framework.permissions import AllowAny, IsAuthenticated

    from core.api import PublicReadOnly
    from ethics.api.views import IsStaffMember
    from governance.api.views import CanAudit, CanChangeOrganisation, PolicyPermission
    from portal.api.views import CanTriage

    role_checks = (CanAudit, CanChangeOrganisation, PolicyPermission, IsStaffMember, CanTriage)
    findings, seen_open = [], set()
    for name, callback, method, action in drf_views():
        view = callback.cls(**getattr(callback, "initkwargs", {}))
        view.action, view.request, view.kwargs, view.args = action, None, {}, ()
        permissions = view.get_permissions()
        where = f"{name} {method.upper()} ({action})"
        if not declares_permissions(callback):
            findings.append(f"{where}: relies on DEFAULT_PERMISSION_CLASSES")
        if any(isinstance(permission, AllowAny) for permission in permissions) or not permissions:
            if (name, method) in OPEN_TO_ANYONE:
                seen_open.add((name, method))
            else:
                findings.append(f"{where}: open to anyone (AllowAny or no permission)")
            continue
        if any(isinstance(permission, (*role_checks, PublicReadOnly)) for permission in permissions):
            continue
        if all(type(permission) is IsAuthenticated for permission in permissions) and name in SIGNED_IN_THEN_OBJECT:
            continue
        findings.append(f"{where}: {[type(permission).__name__ for permission in permissions]} checks no role")
    assert not findings, "\n".join(findings)
    assert seen_open == set(OPEN_TO_ANYONE), "an allow-listed open view no longer exists"


# ---------------------------------------------------------------------------
# CKAN Action API


def ckan_actions():
    from portal.ckan import actions as ckan

    return ckan.ACTIONS, set(ckan.WRITE_ACTIONS), ckan.SIDE_EFFECT_FREE


CKAN_DATASETS = ("published", "published_b", "draft", "withdrawn", "draft_b")
CKAN_PUBLIC = {"published", "published_b"}
# Actions whose answer does not depend on an object: asked by fewer roles (the API never
# reads the session, so a role could only matter through a bug in that promise, which the
# object actions catch).
CKAN_LISTS = (
    "package_search",
    "package_list",
    "current_package_list_with_resources",
    "organization_list",
    "group_list",
    "tag_list",
    "license_list",
    "status_show",
)
CKAN_READS = (
    "package_show", "resource_show", "organization_show", "group_show", "help_show", "datastore_search",
    "datastore_info", *CKAN_LISTS,
)  # fmt: skip
FEW_ROLES = (ANONYMOUS, STEWARD_A, STEWARD_B)


def ckan_read_cells(world):
    """(action, label, data, found, roles) for each read action; `found` says whether
    the answer is the object (200) or Not Found (404)."""
    for label in CKAN_DATASETS:
        dataset = world.dataset(label)
        found = label in CKAN_PUBLIC
        yield "package_show", label, {"id": dataset.name}, found, ROLES
        if label in ("published", "draft"):
            yield "package_show", f"{label} by id", {"id": str(dataset.identifier)}, found, ROLES
        distribution = dataset.distributions.order_by("pk").first()
        yield "resource_show", label, {"id": str(distribution.identifier)}, found, ROLES
        # The DataStore: a published dataset's table is loaded (authz/conftest.py), no other one is.
        table = dataset.distributions.filter(format="CSV").exclude(file="").order_by("pk").first()
        if table is not None:
            yield "datastore_search", label, {"resource_id": str(table.identifier), "limit": 2}, found, ROLES
            yield "datastore_info", label, {"id": str(table.identifier)}, found, ROLES
    for slug in ("lindenau", "eichberg"):
        yield "organization_show", slug, {"id": slug}, True, FEW_ROLES
    yield "group_show", "-", {"id": "envi"}, True, FEW_ROLES
    yield "help_show", "-", {"name": "package_show"}, True, FEW_ROLES
    for action in CKAN_LISTS:
        yield action, "-", {}, True, FEW_ROLES


def ckan_write_body(world, action: str) -> dict:
    published = world.dataset("published")
    if action.startswith("package") or action == "dataset_purge":
        return {"id": published.name, "name": "matrixtest-paket", "owner_org": "lindenau", "title": "Überschrieben"}
    if action.startswith("resource"):
        distribution = published.distributions.order_by("pk").first()
        return {"id": str(distribution.identifier), "package_id": published.name, "url": "https://example.org/x.csv"}
    return {"id": "lindenau", "name": "matrixtest-gruppe", "title": "Überschrieben"}


def test_every_ckan_action_is_in_the_matrix():
    actions, writes, _ = ckan_actions()
    assert set(actions) == set(CKAN_READS) | writes


def test_ckan_read_actions_show_published_data_only_to_everyone(world):
    _actions, _writes, side_effect_free = ckan_actions()
    findings = []
    for action, label, data, found, roles in ckan_read_cells(world):
        assert action in side_effect_free, action
        # GET as a browser or harvester asks, POST with JSON as ckanapi does (on its unversioned path).
        for method, url in (
            ("GET", f"/api/3/action/{action}" + (f"?{urlencode(data)}" if data else "")),
            ("POST", f"/api/action/{action}"),
        ):
            for role in roles:
                cell = Cell(f"ckan:{action}", role, label, method, url)
                finding = run(cell, world.client(role), data, found, frozenset({200}), json=True)
                if finding:
                    findings.append(finding)
    assert not findings, "\n".join(findings)


def test_ckan_lists_and_search_never_leak(world):
    from catalog.models import Dataset, Distribution

    published = set(Dataset.objects.published().values_list("name", flat=True))
    hidden = set(Dataset.objects.values_list("name", flat=True)) - published
    assert published
    assert hidden
    client = world.client(STEWARD_A)  # the API never reads the session: the answers are the public ones
    found = {
        "package_list": set(ckan_result(client, "package_list")),
        "package_search": {row["name"] for row in ckan_result(client, "package_search", rows=1000)["results"]},
        "current_package_list_with_resources": {
            row["name"] for row in ckan_result(client, "current_package_list_with_resources", limit=1000)
        },
    }
    for action, names in found.items():
        assert names == published, action
    draft = world.dataset("draft")
    for query in (f"name:{draft.name}", draft.title, f"id:{draft.identifier}", "*:*"):
        names = {row["name"] for row in ckan_result(client, "package_search", q=query, rows=1000)["results"]}
        assert names <= published, query
    hidden_resource = Distribution.objects.filter(dataset__name__in=hidden).first()
    response = client.get(f"/api/3/action/resource_show?id={hidden_resource.identifier}")
    assert response.status_code == 404
    assert response.json()["error"]["__type"] == "Not Found Error"


def ckan_result(client, action, **params):
    response = client.get(f"/api/3/action/{action}?{urlencode(params)}")
    assert response.status_code == 200, (action, response.content[:300])
    return response.json()["result"]


@pytest.mark.parametrize("scheme", ["session", "ckan token"])
def test_ckan_write_actions_are_refused_for_everyone_and_change_nothing(world, scheme):
    _actions, writes, _ = ckan_actions()
    if scheme == "session":
        clients = {role: world.client(role) for role in ROLES}
    else:  # what ckanapi sends: the token in X-CKAN-API-Key
        clients = {f"{role} (token)": token_client(world, role, scheme="ckan") for role in (STEWARD_A, ADMIN_A)}
    findings = []
    for action in sorted(writes):
        body = ckan_write_body(world, action)
        for index, (role, client) in enumerate(clients.items()):
            # POST as ckanapi does, on both paths for a few roles.
            for prefix in ("/api/3/action/", "/api/action/")[: 2 if index < 2 else 1]:
                cell = Cell(f"ckan:{action}", role, "-", "POST", f"{prefix}{action}")
                finding = run(cell, client, body, False, frozenset(), json=True)
                if finding:
                    findings.append(finding)
            if index < 2:  # CKAN refuses GET for actions with side effects: 400, and nothing changes.
                url = f"/api/3/action/{action}?{urlencode(body)}"
                cell = Cell(f"ckan:{action}", role, "-", "GET", url)
                finding = run(cell, client, None, False, frozenset(), also_denied=frozenset({400}))
                if finding:
                    findings.append(finding)
        # The refusal is CKAN's own: 403 with an Authorization Error (not a 404 or a 401).
        answer = next(iter(clients.values())).post(f"/api/3/action/{action}", body, content_type="application/json")
        if answer.status_code != 403 or answer.json()["error"]["__type"] != "Authorization Error":
            findings.append(f"POST {action}: {answer.status_code} {answer.content[:200]!r}")
    assert not findings, "\n".join(findings)


def test_ckan_version_endpoints_are_public(world):
    for url in ("/api/", "/api/3"):
        for role in ROLES:
            for method in ("GET", "POST"):
                finding = run(Cell("ckan:version", role, "-", method, url), world.client(role), {}, True, {200})
                assert finding is None, finding


def test_ckan_url_names_are_the_ones_tested():
    names = {name for name, _pattern in url_patterns() if name.startswith("ckan:")}
    assert names == {"ckan:version", "ckan:version_3", "ckan:action", "ckan:action_unversioned"}
