"""Datasets in every state of the workflow, driven through catalog.workflow (never by
writing `state` directly), with a CSV file each, for the portal's tests."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog import services, workflow
from catalog.models import Dataset, PersonalDataStatus
from catalog.tests.conftest import classification_fields, dataset_fields
from conftest import make_role_holder
from governance.models import Role

CSV = "Baum;Art;Höhe\r\n1;Linde;12,5\r\n2;Eiche;20\r\n3;Ahorn;8\r\n"
SECRET = "Geheimwort"


def fresh(dataset):
    return Dataset.objects.select_related("publisher", "current_classification").get(pk=dataset.pk)


class Flow:
    """The people of one organisation and the workflow steps they take."""

    def __init__(self, steward, owner, legal):
        self.steward, self.owner, self.legal = steward, owner, legal

    def create(
        self, organisation, name, *, keywords=("Bäume",), themes=("ENVI",), csv=CSV, classification=None, **fields
    ):
        dataset = services.create_dataset(
            by=self.steward, fields=dataset_fields(organisation, name=name, **fields), keywords=keywords, themes=themes
        )
        if csv is not None:
            upload = SimpleUploadedFile(f"{name}.csv", csv.encode(), content_type="text/csv")
            services.add_distribution(dataset, by=self.steward, title=f"{name} (CSV)", upload=upload)
        services.classify_dataset(dataset, by=self.steward, fields=classification or classification_fields())
        return fresh(dataset)

    def step(self, action, dataset, by, **data):
        current = fresh(dataset)
        workflow.perform(action, current, by=by, data={"expected_version": current.version, **data})
        return fresh(dataset)

    def to_legal_review(self, dataset):
        dataset = self.step("submit", dataset, self.steward)
        return self.step("sign_off", dataset, self.owner)

    def approve(self, dataset):
        return self.step("approve", self.to_legal_review(dataset), self.legal, confirmed=True)

    def publish(self, dataset):
        return self.step("publish", self.approve(dataset), self.steward, confirm_alternative=True)

    def refuse(self, dataset, outcome="internal"):
        return self.step(
            "refuse", self.to_legal_review(dataset), self.legal, outcome=outcome, grounds=["CRITICAL_INFRASTRUCTURE"],
            rereview_on=timezone.localdate() + timedelta(days=200), reasons="Kritische Infrastruktur (intern).",
        )  # fmt: skip

    def withdraw(self, dataset):
        return self.step("withdraw", self.publish(dataset), self.owner, reasons="Veraltet (interne Notiz).")


@pytest.fixture(autouse=True)
def media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def flow_a(default_rules, org_a, steward_a, owner_a):
    return Flow(steward_a, owner_a, make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a))


@pytest.fixture
def flow_b(default_rules, org_b, steward_b):
    owner = make_role_holder("owner-b", Role.OWNER, org_b)
    return Flow(steward_b, owner, make_role_holder("legal-b", Role.LEGAL_REVIEWER, org_b))


@pytest.fixture
def published(flow_a, org_a):
    return flow_a.publish(
        flow_a.create(org_a, "baumkataster", title="Baumkataster", keywords=["Bäume", "Umwelt"], themes=["ENVI"])
    )


@pytest.fixture
def unpublished(flow_b, org_b):
    """One dataset of Stadt B in every state that is not published, and in several
    classifications; each carries SECRET in its title, a keyword, a theme and a format
    no published dataset has."""

    def make(name, **extra):
        return flow_b.create(
            org_b, name, title=f"{SECRET} {name}", description=f"{SECRET} – nicht öffentlich.",
            keywords=[f"{SECRET}-{name}"], themes=["HEAL"], **extra,
        )  # fmt: skip

    personal = classification_fields(
        personal_data=PersonalDataStatus.PERSONAL, confidentiality=2, legal_bases=["GDPR_6_1_e"]
    )
    special = classification_fields(
        personal_data=PersonalDataStatus.SPECIAL, special_categories=["health"], confidentiality=3,
        protection_confidentiality=3, legal_bases=["GDPR_6_1_e", "GDPR_9_2_g"],
    )  # fmt: skip
    datasets = {
        "draft": make("entwurf"),
        "in_review": flow_b.step("submit", make("in-pruefung"), flow_b.steward),
        "legal_review": flow_b.to_legal_review(make("rechtspruefung", classification=personal)),
        "approved": flow_b.approve(make("freigegeben")),
        "refused": flow_b.refuse(make("abgelehnt", classification=special)),
        "withdrawn": flow_b.withdraw(make("zurueckgezogen")),
    }
    returned = flow_b.step("submit", make("zurueckgegeben"), flow_b.steward)
    datasets["returned"] = flow_b.step("return", returned, flow_b.owner, reasons="Bitte ergänzen.")
    # Published, then a new classification with personal data takes it off the portal.
    reclassified = flow_b.publish(make("neu-eingestuft"))
    services.classify_dataset(reclassified, by=flow_b.steward, fields=personal)
    datasets["unpublished_by_rereview"] = fresh(reclassified)
    return datasets
