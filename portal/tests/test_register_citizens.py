"""The register of unpublished data written for citizens (issue 22): reasons in plain
words (no staff instructions), a reason for every withdrawn dataset, a page per entry
with the legal basis, the ethics decision and a prefilled data request, and a 410 page
at the old address of a withdrawn dataset."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Dataset
from catalog.tests.conftest import classification_fields
from conftest import make_role_holder
from ethics import services as ethics_services
from ethics.models import EthicsReview
from ethics.tests.conftest import all_answers, to_ethics_review
from governance.models import Role
from portal import transparency

from .conftest import SECRET, fresh

pytestmark = pytest.mark.django_db


def body(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def entry_url(dataset):
    return reverse("portal:register_entry", args=[dataset.name])


# ---------------------------------------------------------------------------
# Reasons for citizens


def test_no_reason_tells_staff_what_to_do(client, flow_b, org_b):
    confidential = classification_fields(confidentiality=3)
    dataset = flow_b.create(org_b, "vertraulich", title="Vertrauliche Liste", classification=confidential)
    dataset = flow_b.step("approve", flow_b.to_legal_review(dataset), flow_b.legal, confirmed=True)
    assert dataset.title in body(client.get(reverse("portal:register")))
    for url in (reverse("portal:register"), entry_url(dataset)):
        text = body(client.get(url))
        assert "neu einstufen" not in text, url
        assert "Ausschlussgrund belegen" not in text, url
        assert "vertraulich eingestuft" in text, url


def test_every_citizen_text_is_free_of_staff_instructions():
    from governance.vocabularies import EXCLUSION_GROUNDS

    for ground in EXCLUSION_GROUNDS:
        text = str(transparency.citizen_reason(ground.code))
        assert text, ground.code
        for word in ("einstufen", "belegen", "beheben", "stattdessen verlinken"):
            assert word not in text, (ground.code, text)


def test_a_withdrawn_dataset_has_a_reason_and_no_internal_note(client, unpublished):
    withdrawn = unpublished["withdrawn"]
    rows = transparency.register_queryset().filter(pk=withdrawn.pk).values(*transparency.REGISTER_FIELDS)
    [entry] = transparency.register_entries(rows)
    assert entry.reasons
    text = body(client.get(entry_url(withdrawn)))
    assert "zurückgezogen" in text
    assert "interne Notiz" not in text
    assert "/dateien/" not in text


# ---------------------------------------------------------------------------
# One page per entry


def test_rows_link_to_an_entry_page_with_the_legal_basis_and_a_request_button(client, unpublished):
    refused = unpublished["refused"]
    listing = body(client.get(reverse("portal:register")))
    assert entry_url(refused) in listing
    text = body(client.get(entry_url(refused)))
    assert refused.title in text
    assert "DNG § 2 Abs. 3 Nr. 1 a) dd)" in text  # the legal paragraph of CRITICAL_INFRASTRUCTURE
    assert "Diesen Datensatz anfragen" in text
    request_url = reverse("portal:data_request_create") + f"?datensatz={refused.name}"
    assert request_url in text
    form = body(client.get(request_url))
    assert refused.title in form
    # Internal detail stays internal.
    assert "Kritische Infrastruktur (intern)" not in text
    assert f"{SECRET} – nicht öffentlich." not in text


def test_entry_pages_exist_only_for_register_entries(client, published, unpublished):
    for state in ("draft", "in_review", "legal_review", "approved", "returned"):
        assert client.get(entry_url(unpublished[state])).status_code == 404, state
    assert client.get(entry_url(published)).status_code == 404
    # The prefilled request form names no dataset outside the register.
    form = body(client.get(reverse("portal:data_request_create") + f"?datensatz={unpublished['draft'].name}"))
    assert SECRET not in form


def test_the_entry_links_the_public_ethics_decision(client, default_rules, org_a, steward_a, owner_a):
    legal = make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)
    members = [make_role_holder(f"ethik-a{n}", Role.ETHICS_BOARD_MEMBER, org_a) for n in (1, 2)]
    dataset = catalog_services.create_dataset(
        by=steward_a,
        fields={**__import__("catalog.tests.conftest", fromlist=["x"]).dataset_fields(
            org_a, name="wohngeld", title="Wohngeldbescheide", steward=steward_a)},
    )  # fmt: skip
    dataset = to_ethics_review(dataset, steward_a, owner_a)
    review = EthicsReview.objects.get(dataset=dataset)
    review = ethics_services.answer(review, by=steward_a, answers=all_answers(review), submit=True)
    for member in members:
        ethics_services.cast_vote(review, by=member, vote="rejected", reasoning="Zu heikel.")
    ethics_services.close_review(review, by=members[0], reasoning="Abgewogen.", public_summary="Zu heikel.",
                                 next_review_on=timezone.localdate() + timedelta(days=300))  # fmt: skip
    from catalog import workflow

    dataset = fresh(dataset)
    workflow.approve(dataset, by=legal, expected_version=dataset.version, confirmed=True)
    text = body(client.get(entry_url(dataset)))
    assert reverse("ethics:public_detail", args=[review.pk]) in text


# ---------------------------------------------------------------------------
# Phone layout, query counts


def test_the_list_is_not_a_wide_table(client, unpublished):
    text = body(client.get(reverse("portal:register")))
    assert "<table" not in text


def test_the_register_list_reads_in_a_fixed_number_of_queries(client, flow_b, org_b, django_assert_num_queries):
    def make(count):
        for index in range(count):
            flow_b.refuse(flow_b.create(org_b, f"geheim-{Dataset.objects.count()}-{index}", csv=None))

    make(1)
    client.get(reverse("portal:register"))  # warm the caches (content types, sessions)
    with django_assert_num_queries(4) as few:
        body(client.get(reverse("portal:register")))
    make(4)
    with django_assert_num_queries(len(few.captured_queries)):
        body(client.get(reverse("portal:register")))


# ---------------------------------------------------------------------------
# 410 at a withdrawn dataset's old address


def test_a_withdrawn_dataset_answers_410_with_when_why_and_the_register_entry(client, unpublished):
    withdrawn = unpublished["withdrawn"]
    response = client.get(reverse("portal:dataset_detail", args=[withdrawn.name]))
    assert response.status_code == 410
    text = response.content.decode()
    assert "zurückgezogen" in text
    assert timezone.localtime(withdrawn.state_changed_at).strftime("%d.%m.%Y") in text
    assert entry_url(withdrawn) in text
    assert "interne Notiz" not in text


def test_never_published_datasets_stay_404(client, unpublished):
    for state in ("draft", "in_review", "legal_review", "approved", "refused", "returned"):
        response = client.get(reverse("portal:dataset_detail", args=[unpublished[state].name]))
        assert response.status_code == 404, state


def test_a_withdrawn_dataset_that_is_back_in_review_is_404(client, unpublished, flow_b):
    withdrawn = flow_b.step("submit", unpublished["withdrawn"], flow_b.steward)
    assert client.get(reverse("portal:dataset_detail", args=[withdrawn.name])).status_code == 404


def test_a_declined_data_request_names_its_ground_in_citizens_words(client, admin_a, vocabularies):
    from portal import services
    from portal.models import DataRequest

    data_request = DataRequest.objects.create(title="Liste vertraulicher Akten", description="x")
    services.triage_data_request(data_request, by=admin_a, status="declined", answer="Leider nicht.",
                                 decline_ground="CONFIDENTIALITY_LEVEL")  # fmt: skip
    for url in (reverse("portal:data_request_list"), data_request.get_absolute_url()):
        text = body(client.get(url))
        assert "Als vertraulich eingestuft" in text, url
        assert "neu einstufen" not in text, url
