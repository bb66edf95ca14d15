"""The staff forms as a first real user met them (issue 22): whom the owner and steward
lists offer, the legal panel, publishing only after a preview, the next step named after
each step, the Kurzname from the title, no "---------" choices and the national and
state laws among the legal bases."""

import importlib
import inspect
import re

import pytest
from django import forms
from django.urls import reverse

from catalog import services, workflow
from catalog.forms import ClassificationForm
from catalog.models import Dataset, DatasetState
from catalog.vocabularies import LegalBasis
from conftest import make_role_holder
from governance.models import Role

from .conftest import classification_fields
from .test_views import dataset_form_data, themes  # noqa: F401 (the EU themes fixture)
from .test_workflow import fresh, to_legal_review


@pytest.fixture
def legal_a(org_a):
    return make_role_holder("legal-a", Role.LEGAL_REVIEWER, org_a)


@pytest.fixture
def ready(default_rules, dataset_a, steward_a):
    """A classified open dataset (no rule applies), still a draft."""
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    return Dataset.objects.get(pk=dataset_a.pk)


@pytest.fixture
def owner_b(org_b):
    return make_role_holder("owner-b", Role.OWNER, org_b)


def choice_ids(response, name):
    return {value for value, _label in response.context["form"].fields[name].choices if value != ""}


def test_owner_and_steward_lists_offer_only_the_publishers_role_holders(
    client_for, steward_a, owner_a, owner_b, steward_b, org_a
):
    response = client_for(steward_a).get(reverse("catalog:dataset_create"))

    owners = {int(str(value)) for value in choice_ids(response, "owner")}
    stewards = {int(str(value)) for value in choice_ids(response, "steward")}
    assert owners == {owner_a.pk}
    assert stewards == {steward_a.pk}


def test_an_owner_of_another_city_is_refused_with_a_german_field_error(client_for, steward_a, owner_b, org_a):
    response = client_for(steward_a).post(reverse("catalog:dataset_create"), dataset_form_data(org_a, owner=owner_b.pk))

    assert response.status_code == 200
    assert not Dataset.objects.filter(name="baumkataster").exists()
    (error,) = response.context["form"].errors["owner"]
    assert "Dateneigentümer" in error


def test_the_kurzname_is_made_from_the_title_when_left_empty(client_for, steward_a, org_a):
    client_for(steward_a).post(
        reverse("catalog:dataset_create"), dataset_form_data(org_a, name="", title="Straßenbäume Über Größe")
    )

    assert Dataset.objects.filter(name="strassenbaeume-ueber-groesse").exists()


def test_the_dataset_form_loads_the_kurzname_script_from_a_file(client_for, steward_a):
    html = client_for(steward_a).get(reverse("catalog:dataset_create")).content.decode()

    assert "js/slug.js" in html
    assert "data-slug-from" in html


def staff_form_classes():
    for module_name in ("catalog.forms", "governance.forms", "ethics.forms", "sharing.forms", "strategy.forms",
                        "catalog.harvest.forms", "catalog.imports.forms"):  # fmt: skip
        module = importlib.import_module(module_name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                yield cls


@pytest.mark.parametrize("form_class", list(staff_form_classes()), ids=lambda cls: cls.__name__)
def test_no_staff_form_offers_a_dashed_empty_choice(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.ModelChoiceField):
            assert field.empty_label != "---------", f"{form_class.__name__}.{name}"
        elif isinstance(field, forms.ChoiceField):
            labels = [str(label) for _value, label in field.choices]
            assert "---------" not in labels, f"{form_class.__name__}.{name}"


def test_national_and_state_laws_are_legal_bases():
    labels = {code: str(label) for code, label in LegalBasis.choices}
    for law in ("BDSG", "ThürDSG", "LDSG BW", "DSG NRW", "BayDSG", "IfSG", "UIG", "GeoZG", "BStatG"):
        assert any(law in label for label in labels.values()), law
    state_acts = [code for code in labels if code.startswith("LAND_DSG_")]
    assert len(state_acts) == 16
    groups = ClassificationForm(based_on=0).legal_basis_groups()
    assert len(groups) == 3


def test_the_legal_vocabulary_holds_the_new_bases(db):
    from governance.models import VocabularyTerm
    from governance.vocabularies import Vocabulary

    codes = set(VocabularyTerm.objects.filter(vocabulary=Vocabulary.LEGAL_BASIS).values_list("code", flat=True))
    assert {"DE_BDSG", "LAND_DSG_TH", "LAND_DSG_BW", "DE_IFSG"} <= codes
    bdsg = VocabularyTerm.objects.get(vocabulary=Vocabulary.LEGAL_BASIS, code="DE_BDSG")
    assert bdsg.source_url.startswith("https://www.gesetze-im-internet.de/bdsg_2018")


# ---- The legal panel and publishing -------------------------------------------


def test_an_open_dataset_asks_no_confirmation_of_exclusion_grounds(client_for, ready, steward_a, owner_a, legal_a):
    to_legal_review(ready, steward_a, owner_a)

    html = client_for(legal_a).get(ready.get_absolute_url()).content.decode()

    assert 'name="approve-confirmed"' not in html
    assert "Ich bestätige die Ausschlussgründe" not in html


def test_the_exclusion_grounds_of_a_refusal_are_kern_checkboxes(client_for, ready, steward_a, owner_a, legal_a):
    to_legal_review(ready, steward_a, owner_a)

    html = client_for(legal_a).get(ready.get_absolute_url()).content.decode()

    assert 'name="refuse-grounds"' in html
    grounds = re.findall(r"<input[^>]*name=\"refuse-grounds\"[^>]*>", html)
    assert grounds
    assert all('class="kern-form-check__checkbox"' in tag for tag in grounds)
    assert '<div id="id_refuse-grounds"' not in html  # Django's own list markup


@pytest.fixture
def approved(ready, steward_a, owner_a, legal_a):
    to_legal_review(ready, steward_a, owner_a)
    workflow.approve(ready, by=legal_a, expected_version=fresh(ready).version)
    return fresh(ready)


def test_publishing_without_the_confirmation_page_does_not_publish(client_for, approved, steward_a):
    response = client_for(steward_a).post(
        reverse("catalog:dataset_transition", args=[approved.name, "publish"]),
        {"publish-expected_version": approved.version},
    )

    assert fresh(approved).state == DatasetState.APPROVED
    assert response.status_code == 302
    assert response.url == reverse("catalog:dataset_publish", args=[approved.name])


def test_the_confirmation_page_shows_what_becomes_public_and_then_publishes(client_for, approved, steward_a):
    client = client_for(steward_a)
    page = client.get(reverse("catalog:dataset_publish", args=[approved.name]))
    html = page.content.decode()

    assert page.status_code == 200
    assert approved.title in html
    assert approved.description in html
    assert approved.licence_info.label in html
    assert "sd-portal-result" in html  # the card as the portal will show it
    assert 'name="publish-confirmed_preview"' in html

    response = client.post(
        reverse("catalog:dataset_transition", args=[approved.name, "publish"]),
        {"publish-expected_version": approved.version, "publish-confirmed_preview": "1"},
        follow=True,
    )
    assert fresh(approved).state == DatasetState.PUBLISHED
    assert "Veröffentlicht" in response.content.decode() or "veröffentlicht" in response.content.decode()


def test_the_detail_page_links_to_the_confirmation_instead_of_publishing(client_for, approved, steward_a):
    html = client_for(steward_a).get(approved.get_absolute_url()).content.decode()

    assert reverse("catalog:dataset_publish", args=[approved.name]) in html
    assert reverse("catalog:dataset_transition", args=[approved.name, "publish"]) not in html


def test_only_who_may_publish_sees_the_confirmation_page(client_for, approved, owner_a, outsider, ready):
    url = reverse("catalog:dataset_publish", args=[approved.name])
    assert client_for(outsider).get(url).status_code == 403


def test_each_step_names_the_next_one_and_who_takes_it(client_for, ready, steward_a, owner_a):
    response = client_for(steward_a).post(
        reverse("catalog:dataset_transition", args=[ready.name, "submit"]),
        {"submit-expected_version": ready.version},
        follow=True,
    )

    text = " ".join(str(message) for message in response.context["messages"])
    assert "Als Nächstes:" in text
    assert "Dateneigentümer" in text
