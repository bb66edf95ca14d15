"""The metadata quality score (catalog.quality): every MQA check and its points, the
rating bands, the persisted score after changes, the hints, freshness and its reminders."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Dataset, Distribution, FreshnessReminder, LinkCheck, QualityScore
from catalog.quality import reminders, scoring, store
from catalog.quality.scoring import Check, Dimension, Quality
from catalog.tests.conftest import dataset_fields
from governance import inbox

# ---------------------------------------------------------------------------
# Every check and its points


@pytest.fixture
def complete(org_a, steward_a):
    """A dataset that passes every check: 405 points with one reachable CSV download."""
    org_a.contributor_id = "https://www.dcat-ap.de/def/contributors/stadtA"
    org_a.save()
    dataset = services.create_dataset(
        by=steward_a,
        fields=dataset_fields(
            org_a,
            municipality_key="16053000",
            temporal_start=timezone.localdate() - timedelta(days=365),
            attribution_text="Stadt A, Grünflächenamt",
        ),
        keywords=["Bäume"],
        themes=["ENVI"],
    )
    Dataset.objects.filter(pk=dataset.pk).update(publication_outcome="open", issued=timezone.now())
    dataset = Dataset.objects.select_related("publisher").get(pk=dataset.pk)
    distribution = Distribution.objects.create(
        dataset=dataset, title="Bäume als CSV", access_url="https://daten.stadt-a.example/baeume.csv",
        format="CSV", media_type="text/csv", byte_size=1024,
    )  # fmt: skip
    return dataset, distribution


def _score(dataset, distributions, *, reachable=True):
    link_status = {d.pk: reachable for d in distributions}
    return scoring.assess(dataset, distributions=distributions, link_status=link_status)


def test_a_complete_dataset_scores_all_405_points(complete):
    dataset, distribution = complete

    result = _score(dataset, [distribution])

    assert result.score == scoring.MAX_POINTS == 405
    assert result.rating == "excellent"
    assert result.hints() == []
    assert [(d.code, d.points) for d in result.dimensions] == [
        ("findability", 100), ("accessibility", 100), ("interoperability", 110), ("reusability", 75),
        ("contextuality", 20),
    ]  # fmt: skip


def _clear_licences(dataset, distribution):
    dataset.licence = distribution.licence = ""


# Each row: what is taken away, and every check that then loses points (and how many).
CHECK_TABLE = [
    ("keywords", lambda ds, d: ds.keywords.clear(), {"keywords": 30}),
    ("themes", lambda ds, d: ds.themes.clear(), {"themes": 30}),
    ("spatial", lambda ds, d: setattr(ds, "municipality_key", ""), {"spatial": 20}),
    ("temporal", lambda ds, d: setattr(ds, "temporal_start", None), {"temporal": 20}),
    ("unreachable", None, {"access_url": 50, "download_url_ok": 30}),
    ("api_not_download", lambda ds, d: setattr(d, "kind", "api"), {"download_url": 20, "download_url_ok": 30}),
    ("no_format", lambda ds, d: setattr(d, "format", ""),
     {"format": 20, "vocabulary": 10, "non_proprietary": 20, "machine_readable": 20}),
    ("media_type", lambda ds, d: setattr(d, "media_type", ""), {"media_type": 10}),
    ("unknown_format", lambda ds, d: setattr(d, "format", "FOO"),
     {"vocabulary": 10, "non_proprietary": 20, "machine_readable": 20}),
    ("proprietary", lambda ds, d: setattr(d, "format", "XLSX"), {"non_proprietary": 20}),
    ("not_machine_readable", lambda ds, d: setattr(d, "format", "PDF"), {"machine_readable": 20}),
    ("dcat_ap", lambda ds, d: setattr(ds.publisher, "contributor_id", ""), {"dcat_ap": 30}),
    ("licence", _clear_licences,
     {"licence": 20, "licence_vocabulary": 10, "dcat_ap": 30}),
    # The access rights follow from the decision, not from the licence (issue 22: the old
    # table pinned access_rights_vocabulary to the licence).
    ("licence_vocabulary", lambda ds, d: setattr(ds, "licence", "eigene-lizenz"), {"licence_vocabulary": 10}),
    ("access_rights", lambda ds, d: setattr(ds, "publication_outcome", ""),
     {"access_rights": 10, "access_rights_vocabulary": 5}),
    ("contact_point", lambda ds, d: setattr(ds, "contact_email", ""), {"contact_point": 20}),
    ("publisher", lambda ds, d: setattr(ds, "publisher_id", None), {"publisher": 10, "dcat_ap": 30}),
    ("rights", lambda ds, d: setattr(ds, "attribution_text", ""), {"rights": 5}),
    ("byte_size", lambda ds, d: setattr(d, "byte_size", None), {"byte_size": 5}),
    ("issued", lambda ds, d: setattr(ds, "issued", None), {"issued": 5}),
    ("modified", lambda ds, d: setattr(ds, "modified", None), {"modified": 5}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "lost"), CHECK_TABLE, ids=[row[0] for row in CHECK_TABLE])
def test_each_check_costs_its_points(complete, case, change, lost):
    dataset, distribution = complete
    if change is not None:
        change(dataset, distribution)

    result = _score(dataset, [distribution], reachable=case != "unreachable")

    missing = {check.code: check.missing for d in result.dimensions for check in d.checks if check.missing}
    assert missing == lost
    assert result.score == 405 - sum(lost.values())


def test_all_23_checks_are_covered_by_the_table(complete):
    dataset, distribution = complete
    codes = {check.code for d in _score(dataset, [distribution]).dimensions for check in d.checks}
    covered = {code for _case, _change, lost in CHECK_TABLE for code in lost}
    assert len(codes) == 23
    assert codes == covered


def test_distribution_checks_score_the_share_that_passes(complete):
    dataset, distribution = complete
    unchecked = Distribution.objects.create(
        dataset=dataset, title="Bäume als JSON", access_url="https://daten.stadt-a.example/baeume.json", format="JSON"
    )

    result = scoring.assess(dataset, distributions=[distribution, unchecked], link_status={distribution.pk: True})

    checks = {check.code: check for d in result.dimensions for check in d.checks}
    # Half of the distributions are reachable and have a size; the best one counts for interoperability.
    assert (checks["access_url"].score, checks["download_url_ok"].score) == (25, 15)
    assert checks["byte_size"].score == 2.5
    assert checks["media_type"].passed


def test_an_upload_counts_as_reachable_without_a_link_check(complete):
    dataset, _distribution = complete
    upload = Distribution(dataset=dataset, title="Datei", file="distributions/x/baeume.csv", format="CSV")

    result = scoring.assess(dataset, distributions=[upload], link_status={})

    checks = {check.code: check for d in result.dimensions for check in d.checks}
    assert checks["access_url"].passed
    assert checks["download_url_ok"].passed


def test_without_distributions_the_distribution_checks_score_nothing(complete):
    dataset, _distribution = complete

    result = scoring.assess(dataset, distributions=[])

    lost = {check.code: check.missing for d in result.dimensions for check in d.checks if check.missing}
    assert lost == {
        "access_url": 50, "download_url": 20, "download_url_ok": 30, "format": 20, "media_type": 10,
        "vocabulary": 10, "non_proprietary": 20, "machine_readable": 20, "dcat_ap": 30, "byte_size": 5,
    }  # fmt: skip
    # The dataset's own licence counts without a distribution (issue 22: it used to cost
    # the licence points and asked to "Lizenz angeben" with a licence set).


@pytest.mark.parametrize(
    ("points", "rating", "label"),
    [
        (405, "excellent", "ausgezeichnet"),
        (351, "excellent", "ausgezeichnet"),
        (350, "good", "gut"),
        (221, "good", "gut"),
        (220, "sufficient", "ausreichend"),
        (121, "sufficient", "ausreichend"),
        (120, "bad", "mangelhaft"),
        (0, "bad", "mangelhaft"),
    ],
)
def test_rating_bands(points, rating, label):
    result = Quality([Dimension("x", "X", [Check("x", "X", "X angeben", 405, points)])])

    assert (result.rating, result.rating_label) == (rating, label)
    assert scoring.rating_label(rating) == label


# ---------------------------------------------------------------------------
# The persisted score


def test_a_change_rescores_the_dataset_once_after_commit(dataset_a, steward_a, django_capture_on_commit_callbacks):
    # The queries of the callbacks run when the inner block ends, so they are captured too.
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.update_dataset(
            dataset_a,
            by=steward_a,
            fields={"temporal_start": timezone.localdate()},
            expected_version=dataset_a.version,
            keywords=["Bäume", "Stadtgrün"],
            themes=["ENVI", "REGI"],
        )

    # The dataset is saved and its keywords and themes set: one rescoring, after commit.
    assert len(callbacks) == 1
    writes = [q["sql"] for q in queries.captured_queries if "catalog_qualityscore" in q["sql"]]
    assert len([sql for sql in writes if sql.startswith(("INSERT", "UPDATE"))]) == 1
    score = QualityScore.objects.get(dataset=dataset_a)
    checks = {check["code"]: check for check in score.checks}
    assert checks["temporal"]["passed"]
    assert checks["keywords"]["passed"]
    assert score.points == scoring.assess(Dataset.objects.get(pk=dataset_a.pk)).score


def test_a_change_of_distributions_rescores_the_dataset(dataset_a, steward_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        distribution = services.add_distribution(
            dataset_a, by=steward_a, title="Karte", access_url="https://geo.stadt-a.example/wms", format="WMS_SRVC"
        )
    assert {c["code"]: c["passed"] for c in QualityScore.objects.get(dataset=dataset_a).checks}["format"]

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_distribution(distribution, by=steward_a)

    score = QualityScore.objects.get(dataset=dataset_a)
    assert not {c["code"]: c["passed"] for c in score.checks}["format"]


def test_a_rolled_back_change_enqueues_nothing_of_its_own(dataset_a):
    def fail_after_saving():
        with transaction.atomic():
            Dataset.objects.get(pk=dataset_a.pk).save()
            raise RuntimeError

    def queued():
        # Counted in the connection's pending callbacks: the rescoring queued when the
        # fixture created the dataset is pending too (the test transaction never commits),
        # and a later change of the same transaction is rightly its duplicate.
        return [
            func for _sids, func, _robust in connection.run_on_commit
            if getattr(func, "task", None) is store.score_datasets and dataset_a.pk in func.pks
        ]  # fmt: skip

    before = len(queued())
    with pytest.raises(RuntimeError):
        fail_after_saving()
    assert len(queued()) == before
    # A later change in the same transaction is not taken for a duplicate of the lost one.
    Dataset.objects.get(pk=dataset_a.pk).save()
    assert len(queued()) == 1


@pytest.mark.parametrize("count", [1, 4])
def test_rescoring_needs_a_fixed_number_of_queries(dataset_a, count, django_assert_num_queries):
    for number in range(count):
        distribution = Distribution.objects.create(
            dataset=dataset_a, title=f"Dienst {number}", access_url=f"https://geo.example/{number}", format="WFS_SRVC"
        )
        LinkCheck.objects.create(
            distribution=distribution, url=distribution.access_url, checked_at=timezone.now(), ok=True
        )
    store.rescore(dataset_a.pk)

    # 1 the dataset with its publisher, 2 keywords, 3 themes, 4 distributions, 5 the latest
    # link checks, 6–9 update_or_create: savepoint, the row for update, UPDATE, release.
    with django_assert_num_queries(9):
        score = store.rescore(dataset_a.pk)

    assert {c["code"]: c["passed"] for c in score.checks}["access_url"]


def test_rescoring_twice_keeps_one_row_with_the_same_result(dataset_a):
    first = store.rescore(dataset_a.pk)
    second = store.rescore(dataset_a.pk)

    assert QualityScore.objects.filter(dataset=dataset_a).count() == 1
    assert (first.pk, first.points, first.checks) == (second.pk, second.points, second.checks)
    assert store.rescore(-1) is None


def test_the_hints_are_in_german_and_sorted_by_points_gained(dataset_a):
    score = store.rescore(dataset_a.pk)

    hints = score.hints()
    assert hints[0] == ("Erreichbare Zugriffsadressen angeben", 50)
    assert ("Zeitliche Abdeckung angeben", 20) in hints
    assert [points for _hint, points in hints] == sorted((points for _hint, points in hints), reverse=True)
    # Together with the checks no form offers (the access rights follow from the
    # decision), the hints make up what is missing to 405 points.
    derived = sum(check["missing"] for check in score.checks if not check["actionable"])
    assert derived == 20  # access rights (15) and the publication date (5): not published yet
    assert not [hint for hint, _points in hints if "Zugangsrechte" in hint]
    assert sum(points for _hint, points in hints) == 405 - score.points - derived


def test_the_steward_sees_score_hints_and_broken_links(client_for, steward_a, dataset_a):
    distribution = Distribution.objects.create(
        dataset=dataset_a, title="Baumliste", access_url="https://daten.stadt-a.example/weg.csv", format="CSV"
    )
    LinkCheck.objects.create(
        distribution=distribution, url=distribution.access_url, checked_at=timezone.now(), ok=False, status_code=404,
        error="HTTP 404 Not Found",
    )  # fmt: skip
    score = store.rescore(dataset_a.pk)

    response = client_for(steward_a).get(reverse("catalog:dataset_detail", args=[dataset_a.name]))

    html = response.content.decode()
    assert f"{score.points} von 405 Punkten" in html
    assert "Zeitliche Abdeckung angeben: +20 Punkte" in html
    assert html.index("Erreichbare Zugriffsadressen angeben: +50 Punkte") < html.index("Zeitliche Abdeckung")
    assert "Nicht erreichbare Links" in html
    assert "„Baumliste“: HTTP 404 Not Found" in html


def test_the_list_shows_the_rating(client_for, steward_a, dataset_a, dataset_b):
    score = store.rescore(dataset_a.pk)

    response = client_for(steward_a).get(reverse("catalog:dataset_list"))

    assert f'{score.rating_label.capitalize()} <span class="sd-nowrap">({score.points} Punkte)' in (
        response.content.decode()
    )


def test_the_portal_shows_the_persisted_score(client, dataset_a):
    Dataset.objects.filter(pk=dataset_a.pk).update(state="published")
    distribution = Distribution.objects.create(
        dataset=dataset_a, title="Baumliste", access_url="https://daten.stadt-a.example/baeume.csv", format="CSV"
    )
    LinkCheck.objects.create(distribution=distribution, url=distribution.access_url, checked_at=timezone.now(), ok=True)
    score = store.rescore(dataset_a.pk)
    # Without the link check's result the live assessment would be 80 points lower.
    assert score.points == scoring.assess(Dataset.objects.get(pk=dataset_a.pk)).score + 80

    response = client.get(reverse("portal:dataset_detail", args=[dataset_a.name]))

    assert response.context["quality"].score == score.points
    assert [d.code for d in response.context["quality"].dimensions] == scoring.DIMENSIONS
    assert [label for label, _score, _points in score.dimension_rows()] == [
        "Auffindbarkeit", "Zugänglichkeit", "Interoperabilität", "Wiederverwendbarkeit", "Kontext",
    ]  # fmt: skip
    html = response.content.decode()
    assert f"Metadatenqualität: {score.points} von 405 Punkten ({score.rating_label})" in html
    # What is missing, not what is checked (issue 22: "Nicht erfüllt: Lizenz angegeben").
    assert "keine räumliche Abdeckung; keine zeitliche Abdeckung</td>" in html


# ---------------------------------------------------------------------------
# Freshness


@pytest.fixture
def monthly(dataset_a, steward_a):
    """A published monthly dataset last changed 40 days ago; its steward has a mail address."""
    steward_a.email = "steward@stadt-a.example"
    steward_a.save()
    Dataset.objects.filter(pk=dataset_a.pk).update(
        state="published", update_frequency="MONTHLY", modified=timezone.now() - timedelta(days=40)
    )
    return Dataset.objects.get(pk=dataset_a.pk)


def test_a_dataset_older_than_its_frequency_allows_is_overdue(monthly):
    assert monthly.freshness.status == "overdue"
    assert monthly.freshness.due == timezone.localdate(monthly.modified) + timedelta(days=32)
    Dataset.objects.filter(pk=monthly.pk).update(modified=timezone.now() - timedelta(days=31))
    assert Dataset.objects.get(pk=monthly.pk).freshness.status == "current"
    Dataset.objects.filter(pk=monthly.pk).update(update_frequency="IRREG")
    assert Dataset.objects.get(pk=monthly.pk).freshness.status == "unknown"


def test_the_steward_is_reminded_once_per_overdue_period(monthly, steward_a):
    assert reminders.send_freshness_reminders() == 1
    assert reminders.send_freshness_reminders() == 0  # the next day's run

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["steward@stadt-a.example"]
    assert mail.outbox[0].subject == "Aktualisierung überfällig – Baumkataster"
    assert "„Monatlich“" in mail.outbox[0].body or "monatlich" in mail.outbox[0].body.lower()
    reminder = FreshnessReminder.objects.get(dataset=monthly)
    assert (reminder.due, reminder.recipients) == (monthly.freshness.due, 1)

    # Updated, then overdue again a month later: a new period, a new reminder.
    Dataset.objects.filter(pk=monthly.pk).update(modified=timezone.now())
    assert reminders.send_freshness_reminders() == 0
    assert reminders.send_freshness_reminders(today=timezone.localdate() + timedelta(days=40)) == 1
    assert len(mail.outbox) == 2
    assert FreshnessReminder.objects.filter(dataset=monthly).count() == 2


def test_only_published_datasets_are_reminded(monthly):
    Dataset.objects.filter(pk=monthly.pk).update(state="draft")

    assert reminders.send_freshness_reminders() == 0
    assert mail.outbox == []


def test_freshness_is_shown_on_the_internal_page_and_the_portal(client, client_for, steward_a, monthly):
    internal = client_for(steward_a).get(reverse("catalog:dataset_detail", args=[monthly.name])).content.decode()
    public = client.get(reverse("portal:dataset_detail", args=[monthly.name])).content.decode()

    assert "Aktualisierung überfällig" in internal
    assert "Aktualisierung überfällig" in public
    assert "Aktualisierung war fällig am" in public
    assert "nächste Aktualisierung fällig bis" not in public


# ---------------------------------------------------------------------------
# The steward's inbox


def test_broken_links_and_overdue_datasets_reach_the_stewards_inbox(monthly, steward_a, steward_b):
    distribution = Distribution.objects.create(
        dataset=monthly, title="Baumliste", access_url="https://daten.stadt-a.example/weg.csv", format="CSV"
    )
    LinkCheck.objects.create(
        distribution=distribution, url=distribution.access_url, checked_at=timezone.now(), ok=False
    )
    store.rescore(monthly.pk)

    labels = [(task.title, task.label) for task in inbox.tasks_for(steward_a)]

    assert ("Baumkataster", "Nicht erreichbare Links prüfen") in labels
    assert ("Baumkataster", "Datensatz aktualisieren") in labels
    assert [task for task in inbox.tasks_for(steward_b) if task.title == "Baumkataster"] == []
    task = next(task for task in inbox.tasks_for(steward_a) if task.label == "Nicht erreichbare Links prüfen")
    assert task.url.endswith("#qualitaet")


def test_the_command_scores_every_dataset(dataset_a, dataset_b):
    out = StringIO()

    call_command("rescore_quality", stdout=out)

    assert QualityScore.objects.filter(dataset__in=[dataset_a, dataset_b]).count() == 2
    assert "2 Datensätze bewertet." in out.getvalue()


def test_a_format_outside_the_eu_vocabulary_scores_no_format_points(complete):
    """A harvested link of an unknown format ("Sonstiges") carries no dct:format in DCAT, so
    MQA's format checks cannot pass for it; only its media type counts."""
    dataset, _distribution = complete
    other = Distribution.objects.create(
        dataset=dataset, title="Plan als DWG", access_url="https://daten.stadt-a.example/plan.dwg",
        format="OTHER", media_type="image/vnd.dwg",
    )  # fmt: skip

    result = _score(dataset, [other])

    checks = {check.code: check for d in result.dimensions for check in d.checks}
    assert (checks["format"].score, checks["vocabulary"].score) == (0, 0)
    assert checks["media_type"].passed
