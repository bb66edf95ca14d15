import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.errors import ConflictError, ImmutableError
from catalog.models import (
    Classification,
    Confidentiality,
    PersonalDataStatus,
    ProtectionNeed,
)

from .conftest import classification_fields


def test_each_classification_is_a_new_version_and_old_ones_never_change(dataset_a, steward_a):
    first = services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    second = services.classify_dataset(
        dataset_a,
        by=steward_a,
        fields=classification_fields(
            personal_data=PersonalDataStatus.AGGREGATED, confidentiality=Confidentiality.INTERN
        ),
    )

    dataset_a.refresh_from_db()
    assert (first.number, second.number) == (1, 2)
    assert dataset_a.current_classification == second
    first_again = Classification.objects.get(pk=first.pk)
    assert first_again.personal_data == PersonalDataStatus.NONE
    assert first_again.confidentiality == Confidentiality.OEFFENTLICH


def test_a_stored_classification_refuses_to_be_changed_or_deleted(dataset_a, steward_a):
    classification = services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    classification.confidentiality = Confidentiality.STRENG_VERTRAULICH
    with pytest.raises(ImmutableError):
        classification.save()
    with pytest.raises(ImmutableError):
        classification.delete()
    assert Classification.objects.get(pk=classification.pk).confidentiality == Confidentiality.OEFFENTLICH


def test_classifying_leaves_a_dataset_version(dataset_a, steward_a):
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields())
    record = dataset_a.history.latest()
    assert record.history_change_reason == "catalog.dataset.classified: 1"
    assert record.history_user == steward_a


def test_protection_need_follows_the_maximum_principle(dataset_a, steward_a):
    classification = services.classify_dataset(
        dataset_a,
        by=steward_a,
        fields=classification_fields(
            protection_integrity=ProtectionNeed.SEHR_HOCH, protection_availability=ProtectionNeed.HOCH
        ),
    )
    assert classification.protection_overall == ProtectionNeed.SEHR_HOCH


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {
                "personal_data": PersonalDataStatus.SPECIAL,
                "special_categories": ["health"],
                "confidentiality": Confidentiality.VERTRAULICH,
                "legal_bases": ["GDPR_6_1_e", "GDPR_9_2_h"],
            },
            "protection_confidentiality",
            "Besondere Kategorien personenbezogener Daten haben mindestens hohen Schutzbedarf.",
        ),
        (
            {"vs_nfd": True, "confidentiality": Confidentiality.INTERN},
            "confidentiality",
            "Eine Verschlusssache (VS-NfD) ist mindestens vertraulich.",
        ),
        (
            {"special_categories": ["health"]},
            "special_categories",
            "Kategorien nach Art. 9/10 gibt es nur beim Personenbezug „besondere Kategorien“.",
        ),
        (
            {
                "personal_data": PersonalDataStatus.SPECIAL,
                "confidentiality": Confidentiality.VERTRAULICH,
                "protection_confidentiality": ProtectionNeed.HOCH,
                "legal_bases": ["GDPR_6_1_e", "GDPR_9_2_h"],
            },
            "special_categories",
            "Bei besonderen Kategorien bitte mindestens eine Kategorie angeben.",
        ),
        (
            {"personal_data": PersonalDataStatus.PERSONAL, "confidentiality": Confidentiality.INTERN},
            "legal_bases",
            "Personenbezogene Daten brauchen eine Rechtsgrundlage nach Art. 6 DSGVO.",
        ),
        (
            {
                "personal_data": PersonalDataStatus.SPECIAL,
                "special_categories": ["health"],
                "confidentiality": Confidentiality.VERTRAULICH,
                "protection_confidentiality": ProtectionNeed.HOCH,
                "legal_bases": ["GDPR_6_1_e"],
            },
            "legal_bases",
            "Besondere Kategorien brauchen zusätzlich eine Rechtsgrundlage nach Art. 9 oder 10.",
        ),
        (
            {"personal_data": PersonalDataStatus.PERSONAL, "legal_bases": ["GDPR_6_1_e"]},
            "confidentiality",
            "Personenbezogene Daten können nicht als öffentlich eingestuft werden.",
        ),
        ({"justification": "  "}, "justification", "Bitte begründen Sie die Einstufung."),
    ],
)
def test_inconsistent_classifications_are_refused_with_field_errors(dataset_a, steward_a, fields, field, message):
    with pytest.raises(ValidationError) as error:
        services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields(**fields))
    assert message in error.value.message_dict[field]
    assert not Classification.objects.exists()
    dataset_a.refresh_from_db()
    assert dataset_a.current_classification is None


def test_special_category_data_with_all_safeguards_is_accepted(dataset_a, steward_a):
    classification = services.classify_dataset(
        dataset_a,
        by=steward_a,
        fields=classification_fields(
            personal_data=PersonalDataStatus.SPECIAL,
            special_categories=["health"],
            vulnerable_subjects=True,
            confidentiality=Confidentiality.STRENG_VERTRAULICH,
            protection_confidentiality=ProtectionNeed.SEHR_HOCH,
            legal_bases=["GDPR_6_1_e", "GDPR_9_2_h"],
        ),
    )
    assert classification.special_category_labels() == ["Gesundheitsdaten"]


def test_a_classification_based_on_an_outdated_version_is_refused(dataset_a, steward_a):
    services.classify_dataset(dataset_a, by=steward_a, fields=classification_fields(), based_on=0)
    # A colleague saw no classification yet and classifies too: conflict, nothing written.
    with pytest.raises(ConflictError):
        services.classify_dataset(
            dataset_a,
            by=steward_a,
            fields=classification_fields(confidentiality=Confidentiality.INTERN),
            based_on=0,
        )
    assert list(Classification.objects.values_list("number", flat=True)) == [1]
