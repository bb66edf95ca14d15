import django.contrib.postgres.indexes
from django.db import migrations, models

from portal.migration_operations import AddIndexOnPostgres


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_search_facets"),
    ]

    operations = [
        AddIndexOnPostgres(
            model_name="searchdocument",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("published", True)), fields=["vector"], name="portal_search_published_gin"
            ),
        ),
    ]
