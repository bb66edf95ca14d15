"""Load the reference vocabularies (legal bases, publication bases, exclusion grounds,
licences, HVD categories) with a first history record each."""

from django.db import migrations
from django.utils import timezone


def load_vocabularies(apps, schema_editor):
    from governance.vocabularies import all_terms

    VocabularyTerm = apps.get_model("governance", "VocabularyTerm")
    HistoricalVocabularyTerm = apps.get_model("governance", "HistoricalVocabularyTerm")
    now = timezone.now()
    for term in all_terms():
        if VocabularyTerm.objects.filter(vocabulary=term.vocabulary, code=term.code).exists():
            continue
        row = VocabularyTerm.objects.create(
            vocabulary=term.vocabulary,
            code=term.code,
            label=term.label,
            sources=list(term.sources),
            attributes=term.attributes,
            source_url=term.source_url,
            valid_from=term.valid_from,
        )
        HistoricalVocabularyTerm.objects.create(
            id=row.pk,
            vocabulary=row.vocabulary,
            code=row.code,
            label=row.label,
            sources=row.sources,
            attributes=row.attributes,
            source_url=row.source_url,
            valid_from=row.valid_from,
            valid_until=None,
            history_date=now,
            history_type="+",
            history_change_reason="governance.vocabulary.loaded",
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_policies_rules_decisions_audit")]

    operations = [migrations.RunPython(load_vocabularies, migrations.RunPython.noop)]
