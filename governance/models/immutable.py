"""The refusals shared by every record that must never change: adopted policy versions,
decisions, audit events and their append-only link rows."""

from django.db import models


class ImmutableError(Exception):
    """A write to a record that must never change (an adopted policy version, a
    decision, an audit event)."""


class BulkWriteRefused(ImmutableError):
    """A bulk write would bypass the history and the audit journal."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are only ever inserted one at a time through save()."""

    def update(self, **kwargs):
        raise BulkWriteRefused(f"{self.model.__name__} is append-only; rows are never updated.")

    def delete(self):
        raise BulkWriteRefused(f"{self.model.__name__} is append-only; rows are never deleted.")

    def bulk_create(self, *args, **kwargs):
        raise BulkWriteRefused(f"{self.model.__name__} rows are written one by one, with their audit event.")

    def bulk_update(self, *args, **kwargs):
        raise BulkWriteRefused(f"{self.model.__name__} is append-only; rows are never updated.")

    update.alters_data = delete.alters_data = bulk_create.alters_data = bulk_update.alters_data = True


class InsertOnlyQuerySet(AppendOnlyQuerySet):
    """Append-only link rows that their owner writes together in one transaction."""

    def bulk_create(self, objs, *args, **kwargs):
        return models.QuerySet.bulk_create(self, objs, *args, **kwargs)

    bulk_create.alters_data = True
