"""Step 3 of 3: every organisation has its UUID (0013); from now on it is required and
unique, and a new organisation draws its own."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0013_organisation_uuid_fill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="organisation",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="historicalorganisation",
            name="uuid",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
    ]
