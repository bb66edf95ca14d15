"""Organisations get a UUID (issue 23), the id the CKAN API gives them: step 1 of 3, the
column, nullable and not yet unique. One default for every existing row would break the
unique index, so 0013 fills the rows one by one and 0014 makes the column unique and
required."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0011_more_legal_bases"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalorganisation",
            name="uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
    ]
