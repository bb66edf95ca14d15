from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from catalog import renditions

from .world import DATASETS, World


def load_published_tables():
    """The worker checks the published datasets' tables and loads them into the store
    (datastore) after a commit too: done here for the datasets the matrix names."""
    from catalog.models import Distribution
    from catalog.tabular_validation import check_distribution
    from datastore import loader

    names = [DATASETS["published"], DATASETS["published_b"]]
    distributions = Distribution.objects.filter(dataset__name__in=names, format__in=loader.TABULAR_FORMATS)
    for distribution in distributions.exclude(file="").select_related("dataset"):
        if loader.load(distribution) is None:
            check_distribution(distribution.pk)
            loader.load(distribution)


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
            load_published_tables()
            yield World.load()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
    media.disable()
