from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from catalog import renditions

from .world import World


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo Stadtverbund, seeded once for the whole matrix inside a transaction
    that is rolled back at the end; every test runs in a savepoint inside it."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("authz-media"))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", stdout=StringIO())
            # The worker renders tables after a commit, which never comes in this transaction.
            for distribution_id in list(renditions.missing()):
                renditions.render_distribution(distribution_id)
            yield World.load()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
    media.disable()
