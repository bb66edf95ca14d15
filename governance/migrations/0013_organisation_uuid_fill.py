"""Step 2 of 3: a UUID of its own for every existing organisation, and the same one in
each of its history records (a record shows the organisation as it was, its UUID
included). History records of an organisation that no longer exists share one new UUID
per organisation. Not journaled: the UUID is an identifier, not a change anyone made."""

import uuid

from django.db import migrations


def fill(apps, schema_editor):
    Organisation = apps.get_model("governance", "Organisation")
    Historical = apps.get_model("governance", "HistoricalOrganisation")
    for pk in Organisation.objects.filter(uuid__isnull=True).values_list("pk", flat=True):
        Organisation.objects.filter(pk=pk).update(uuid=uuid.uuid4())
    given = dict(Organisation.objects.values_list("pk", "uuid"))
    # order_by: the history's default order would make DISTINCT per record, not per organisation.
    for pk in Historical.objects.filter(uuid__isnull=True).order_by("id").values_list("id", flat=True).distinct():
        Historical.objects.filter(id=pk, uuid__isnull=True).update(uuid=given.get(pk) or uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0012_organisation_uuid_add"),
    ]

    # Going back, 0012's reverse drops the column; nothing to undo here.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
