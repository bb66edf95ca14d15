import csv
import hashlib
import io
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import (
    Classification,
    Confidentiality,
    Dataset,
    DatasetState,
    Distribution,
    DistributionKind,
    PersonalDataStatus,
)
from demo.catalog import DATASETS, WORKFLOW_PLAN, Upload, seed_catalog_demo
from demo.governance import ORGANISATIONS, seed_demo
from governance.models import Organisation


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo network and catalog, seeded once for the module (it takes a while) in a
    transaction that is rolled back afterwards; each test's own transaction nests in it."""
    from django.conf import settings
    from django.db import transaction
    from django.test import override_settings
    from django.utils import translation

    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        translation.override(settings.LANGUAGE_CODE),
        transaction.atomic(),
    ):
        seed_demo()
        yield media, seed_catalog_demo()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db, settings, tmp_path):
    """The seeded demo, with its files copied into the test's own MEDIA_ROOT."""
    import shutil

    media, datasets = seeded
    shutil.copytree(media, tmp_path, dirs_exist_ok=True)
    settings.MEDIA_ROOT = tmp_path
    return datasets


def history_rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in apps.get_app_config("catalog").get_models()
        if model.__name__.startswith("Historical")
    }


def test_the_demo_catalog_spreads_over_all_organisations(demo):
    assert len(demo) == len(DATASETS) == Dataset.objects.count() >= 40
    slugs_with_data = set(Organisation.objects.filter(datasets__isnull=False).values_list("slug", flat=True))
    assert slugs_with_data == {slug for slug, *_ in ORGANISATIONS}
    for dataset in Dataset.objects.select_related("publisher", "steward", "owner"):
        assert dataset.state == DatasetState.DRAFT or dataset.name in WORKFLOW_PLAN
        assert dataset.steward.username == f"steward.{dataset.publisher.slug}"
        assert dataset.owner.username == f"owner.{dataset.publisher.slug}"
        assert (
            dataset.municipality_key == {"Lindenau": "16099001", "Eichberg": "08199002"}[dataset.publisher.municipality]
        )
        assert dataset.keywords.exists()
        assert 1 <= dataset.themes.count() <= 2
        assert len(dataset.description.split(". ")) >= 2
        if dataset.hvd_category:
            assert dataset.licence_info.is_open


def test_the_classifications_cover_every_level_and_flag(demo):
    current = Classification.objects.filter(pk__in=Dataset.objects.values("current_classification"))
    assert current.count() == Dataset.objects.count()
    assert set(current.values_list("personal_data", flat=True)) == set(PersonalDataStatus.values)
    assert set(current.values_list("confidentiality", flat=True)) == set(Confidentiality.values)
    for flag in (
        "vs_nfd",
        "critical_infrastructure",
        "trade_secrets",
        "statistical_confidentiality",
        "third_party_rights",
        "vulnerable_subjects",
    ):
        assert current.filter(**{flag: True}).exists(), flag
    special = current.get(personal_data=PersonalDataStatus.SPECIAL)
    assert special.special_categories == ["health"]
    assert not current.filter(
        personal_data__gte=PersonalDataStatus.PSEUDONYMISED, confidentiality=Confidentiality.OEFFENTLICH
    ).exists()

    reclassified = Dataset.objects.filter(classifications__number=2)
    assert reclassified.count() >= 3
    for dataset in reclassified:
        assert dataset.current_classification.number == 2
        assert dataset.classifications.get(number=1).classified_by == dataset.steward


def test_the_demo_files_are_real_reproducible_and_match_their_checksums(demo, tmp_path):
    uploads = Distribution.objects.exclude(file="")
    assert uploads.count() >= 40
    assert uploads.filter(format="CSV").count() >= 35
    assert uploads.filter(format__in=["JSON", "GEOJSON"]).count() >= 5
    for distribution in uploads:
        content = (tmp_path / distribution.file.name).read_bytes()
        assert len(content) == distribution.byte_size
        assert hashlib.sha256(content).hexdigest() == distribution.checksum_sha256
        if distribution.format == "CSV":
            text = content.decode("utf-8")
            rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.splitlines()[0] else ","))
            assert 20 <= len(rows) - 1 <= 200, distribution.file.name
            assert len({len(row) for row in rows}) == 1, distribution.file.name
    for demo_dataset in DATASETS:
        # The approved files; a pending change of the demo adds one more (demo.catalog.CHANGE_DEMO).
        stored = Distribution.objects.current().filter(dataset__name=demo_dataset.name).exclude(file="")
        generated = {
            upload.title: hashlib.sha256(upload.content(demo_dataset.name)).hexdigest()
            for upload in demo_dataset.distributions
            if isinstance(upload, Upload)
        }
        assert dict(stored.values_list("title", "checksum_sha256")) == generated

    links = Distribution.objects.filter(file="")
    assert links.filter(format="WMS_SRVC", kind=DistributionKind.SERVICE, access_url__contains=".example/").exists()
    assert Dataset.objects.filter(distributions__isnull=True).exists()  # sensitive data: metadata only


def test_seeding_again_changes_nothing(demo, tmp_path):
    call_command("seed_demo", stdout=StringIO())  # the full seed: ethics moves some datasets on

    def state():
        return (
            Dataset.objects.count(),
            Classification.objects.count(),
            Distribution.objects.count(),
            history_rows(),
            sorted(path for path in tmp_path.rglob("*") if path.is_file()),
        )

    before = state()
    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert state() == before
    assert before[3]["HistoricalDataset"] > before[0]
    assert f"Katalog: {len(DATASETS)} Datensätze, davon 0 neu angelegt." in out.getvalue()


def test_the_catalog_demo_needs_the_demo_network_first(db):
    with pytest.raises(RuntimeError, match="seed_demo"):
        seed_catalog_demo()
    assert not Dataset.objects.exists()


def test_the_seed_command_refuses_to_run_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never in production"):
        call_command("seed_demo", stdout=StringIO())
    assert not Organisation.objects.exists()


def test_the_demo_catalog_has_datasets_in_every_workflow_state(demo):
    from governance.models import Decision

    states = set(Dataset.objects.values_list("state", flat=True))
    assert states == set(DatasetState.values)
    assert Dataset.objects.published().count() >= 8
    assert set(Dataset.objects.published().values_list("publication_outcome", flat=True)) == {"open"}
    kept_internal = Dataset.objects.filter(state=DatasetState.APPROVED, publication_outcome__in=["internal", "closed"])
    assert kept_internal.count() >= 3
    assert all(dataset.rereview_on for dataset in kept_internal)
    for dataset in kept_internal:
        final = Decision.objects.filter(subject_id=str(dataset.pk), kind="publication").order_by("-decided_at").first()
        assert final.exclusion_grounds
        assert final.rereview_on
    returned = Dataset.objects.filter(state=DatasetState.RETURNED)
    assert all(
        Decision.objects.filter(subject_id=str(d.pk), outcome="returned").exclude(reasons="").exists() for d in returned
    )
