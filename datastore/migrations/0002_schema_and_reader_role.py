"""The schema of the store's tables and the role that reads them (PostgreSQL only; SQLite
keeps the tables in its file). A database user who may not create roles gets the schema
only: reads then run without the role, still read-only and bounded (datastore.checks warns)."""

from django.db import migrations

SQL = """
CREATE SCHEMA IF NOT EXISTS datastore;
DO $$
BEGIN
    CREATE ROLE stadtdaten_datastore_reader NOLOGIN;
EXCEPTION
    WHEN duplicate_object THEN NULL;
    WHEN insufficient_privilege THEN RAISE NOTICE 'role stadtdaten_datastore_reader not created';
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stadtdaten_datastore_reader') THEN
        GRANT USAGE ON SCHEMA datastore TO stadtdaten_datastore_reader;
        EXECUTE format('GRANT stadtdaten_datastore_reader TO %I', current_user);
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN RAISE NOTICE 'role stadtdaten_datastore_reader not granted';
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(SQL)


class Migration(migrations.Migration):
    dependencies = [("datastore", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
