"""Personas shared by every app's tests: two organisations of different cities and a
person per role, the way the authorization matrix talks about them."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from governance import services
from governance.models import DataProtectionRegime, DNGRole, Organisation, OrgType, Role

PASSWORD = "correct-horse-battery-staple"


def make_organisation(slug, *, parent=None, **fields) -> Organisation:
    defaults = {
        "name": slug.replace("-", " ").title(),
        "org_type": OrgType.KERNVERWALTUNG,
        "municipality": "Lindenau",
        "state": "TH",
        "dng_role": DNGRole.PUBLIC_BODY,
        "data_protection_regime": DataProtectionRegime.THUERDSG,
    }
    return Organisation.objects.create(slug=slug, parent=parent, **{**defaults, **fields})


def make_user(username, *, home: Organisation | None = None, **fields):
    """An account of `home`, the way the application makes one; without a home, an account
    no governance admin manages (as an old one the migration found no home for)."""
    if home is not None:
        return services.create_account(username, home=home, by=None, password=PASSWORD, **fields)
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)


def make_role_holder(username, role: Role, organisation: Organisation, **user_fields):
    user = make_user(username, home=user_fields.pop("home", organisation), **user_fields)
    services.assign_role(user, role, organisation, by=None)
    return user


@pytest.fixture(autouse=True)
def german_by_default():
    """Each test starts in German, the site language: a request in English must not
    leave English active for the next test in this thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def vocabularies(db):
    # Migration 0003 loads them; a transactional test before this one may have flushed them.
    from governance.reference_data import ensure_vocabularies

    ensure_vocabularies()


@pytest.fixture
def default_rules(vocabularies):
    """The default rule set of the open-by-default decision, in force since 2025-02-01."""
    from governance.reference_data import install_default_rule_set

    return install_default_rule_set()


@pytest.fixture
def org_a(db):
    return make_organisation("stadt-a", name="Stadt A")


@pytest.fixture
def org_a_department(org_a):
    return make_organisation("stadt-a-umweltamt", name="Stadt A – Umweltamt", parent=org_a, legal_entity=org_a)


@pytest.fixture
def org_b(db):
    return make_organisation(
        "stadt-b",
        name="Stadt B",
        municipality="Eichberg",
        state="BW",
        data_protection_regime=DataProtectionRegime.LDSG_BW,
    )


@pytest.fixture
def steward_a(org_a):
    return make_role_holder("steward-a", Role.STEWARD, org_a)


@pytest.fixture
def steward_b(org_b):
    return make_role_holder("steward-b", Role.STEWARD, org_b)


@pytest.fixture
def owner_a(org_a):
    return make_role_holder("owner-a", Role.OWNER, org_a)


@pytest.fixture
def admin_a(org_a):
    return make_role_holder("admin-a", Role.GOVERNANCE_ADMIN, org_a, first_name="Ada", last_name="Admin")


@pytest.fixture
def outsider(db):
    """Has an account but no role anywhere."""
    return make_user("outsider")


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (a test tool's own browser download
    does not work on these machines). `.ci/run` installs it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the browser tests need it)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from
    # fixtures in the same thread are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page that records console errors (CSP violations show up there)."""
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Keep a picture of what the test saw, for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Run axe-core (npm package) against the page for WCAG 2.1 A/AA rules."""
    source = (Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js").read_text()
    page.evaluate(source)
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


def builds_data_for_its_module(item) -> bool:
    """Whether the test uses a module- or package-scoped fixture that writes to the
    database (seed_demo once for a module, in an outer transaction that the tests'
    own transactions nest in)."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs if info else {}
    return any(
        definition.scope in ("module", "package") and "django_db_blocker" in definition.argnames
        for name in item.fixturenames
        for definition in definitions.get(name, ())
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Data built once per module is built once per run: the tests that use it stay on
    one xdist worker (a group per module, unless they have a group already), and within
    their module they run after its other tests, so those never see the module's data
    while its outer transaction is open. pytest-django's ordering (database tests, then
    transactional ones) comes after this hook and keeps the order within a module."""
    seeded = {id(item) for item in items if builds_data_for_its_module(item)}
    for item in items:
        if id(item) in seeded and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    keys, run, previous = {}, 0, None
    for index, item in enumerate(items):
        module = getattr(item, "module", None)
        if module is None or module is not previous:
            run, previous = index, module
        keys[id(item)] = (run, id(item) in seeded, index)
    items.sort(key=lambda item: keys[id(item)])


# Single tests that take a minute or more in CI, each in subprocesses of its own. pytest-django
# sorts tests without a database to the very end, where one of these would leave the other
# xdist worker idle for its whole length; they go first instead, so the short tests fill in.
LONG_TESTS = (
    "config/tests/test_reliability.py::test_restore_drill_restores_a_seeded_database_whose_chain_and_spot_check_match",
    "governance/tests/test_settings.py::test_make_run_migrates_and_seeds_the_embedded_default",
)


class AfterTheOthers:
    """Collection steps that must follow pytest-django's ordering and xdist's own hook."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        long = [item for item in items if item.nodeid.split("@")[0] in LONG_TESTS]
        items[:] = long + [item for item in items if item not in long]
        if getattr(config.option, "loadgroup", False):
            name_the_groups(items)


def name_the_groups(items):
    """pytest-xdist (3.8) tells the scheduler a test's xdist_group by appending "@group" to
    its node id through `item._nodeid`, which pytest 9 no longer reads: every group fell
    apart, and both workers built the authz world (seed_demo) and each module's data.
    Append it where pytest 9 keeps the node id, unless xdist managed already."""
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest < 9: xdist's own renaming works
        return
    for item in items:
        groups = sorted(
            {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
        )
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def pytest_configure(config):
    # A plugin of its own: its hook runs after pytest-django's, the one above before it.
    config.pluginmanager.register(AfterTheOthers(), "after-the-others")


def on_the_test_database() -> bool:
    """pytest-django creates the test database only when a collected test uses one; a run
    of database-free tests alone (the import contracts, core's kit) leaves the settings on
    the real database, which these session fixtures must then leave alone."""
    from django.db import connection

    return connection.settings_dict["NAME"] == connection.creation._get_test_db_name()


SNAPSHOT_SCHEMA = "test_snapshot"


class DatabaseSnapshot:
    """The rows the test database holds when the session starts (content types,
    permissions, role groups, vocabularies and their journal: what migrate and its
    post_migrate handlers wrote), kept in a schema of their own.

    Django empties the database after each transactional test with TRUNCATE of every
    table and then sends post_migrate, whose handlers write all of those rows again
    through the services, with history and journal: eight seconds per test on a busy
    two-core machine. `restore` leaves the same state in a fraction of that: it deletes
    the rows of every table and copies the snapshot back, with triggers and foreign-key
    checks off for that one transaction (session_replication_role = replica, which
    needs a superuser; without one, tests fall back to Django's flush)."""

    def __init__(self, connection):
        self.connection = connection
        introspection = connection.introspection
        self.tables = sorted(introspection.django_table_names(only_existing=True, include_views=False))
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE; CREATE SCHEMA {SNAPSHOT_SCHEMA}")
            filled = " UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608 - our own table names
                for table in self.tables
            )
            cursor.execute(filled, self.tables)
            self.filled = [table for (table,) in cursor.fetchall()]
            self.columns = {}
            for table in self.filled:
                cursor.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
                    [table],
                )
                self.columns[table] = ", ".join(quote(column) for (column,) in cursor.fetchall())
                cursor.execute(
                    f"CREATE TABLE {SNAPSHOT_SCHEMA}.{quote(table)} AS "  # noqa: S608 - our own table names
                    f"SELECT {self.columns[table]} FROM {quote(table)}"
                )
        self.restore_sql = "; ".join(
            ["SET LOCAL session_replication_role = replica"]
            + [f"DELETE FROM {quote(table)}" for table in self.tables]  # noqa: S608 - our own table names
            + [
                f"INSERT INTO {quote(table)} ({self.columns[table]}) "  # noqa: S608 - our own table names
                f"SELECT {self.columns[table]} FROM {SNAPSHOT_SCHEMA}.{quote(table)}"
                for table in self.filled
            ]
        )

    def restore(self):
        from django.db import transaction

        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute(self.restore_sql)

    def drop(self):
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE")


@pytest.fixture(scope="session", autouse=True)
def restore_instead_of_flush(django_db_setup, django_db_blocker):
    """After each transactional test the database is back in the state the session found
    it in (see DatabaseSnapshot), without Django's TRUNCATE and post_migrate round."""
    from django.db import connection
    from django.test import TransactionTestCase

    if not on_the_test_database() or connection.vendor != "postgresql":
        yield
        return
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
        snapshot = DatabaseSnapshot(connection) if superuser else None
    if snapshot is None:
        yield
        return
    flush = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        if self.available_apps is not None or self.serialized_rollback or self._databases_names() != ["default"]:
            return flush(self)
        return snapshot.restore()

    TransactionTestCase._fixture_teardown = _fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = flush
    with django_db_blocker.unblock():
        snapshot.drop()


@pytest.fixture(scope="session", autouse=True)
def no_stray_database_sessions(request, django_db_setup, django_db_blocker):
    """Runs before the test database is dropped: a connection some server thread left
    open would make DROP DATABASE fail after an otherwise green run. Name it (so the
    leak can be fixed) and close it."""
    yield
    from django.db import connection

    if not on_the_test_database() or connection.vendor != "postgresql":
        return

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 200) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        strays = cursor.fetchall()
        for pid, application, state, query in strays:
            print(f"\nstray database session {pid} ({application or '-'}, {state}): {query}")
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
