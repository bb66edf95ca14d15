"""Operations the portal's migrations share."""

from django.db import migrations


class AddIndexOnPostgres(migrations.AddIndex):
    """The GIN indexes over the tsvector exist on PostgreSQL only; SQLite (the embedded
    default) searches the text columns and keeps just the state of the index."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
