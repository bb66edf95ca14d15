"""Who may query which table: the one rule for the REST API, CKAN's datastore_search and
the table explorer of the dataset page. Only what is public: a loaded table of a current
distribution of a published dataset, for everyone alike (the store holds nothing else)."""

from __future__ import annotations

from catalog.models import DatasetState, DistributionStatus

from .models import DataTable


def queryable_tables():
    """The tables anyone may query now."""
    return (
        DataTable.objects.exclude(table_name="")
        .filter(distribution__status=DistributionStatus.CURRENT, distribution__dataset__state=DatasetState.PUBLISHED)
        .select_related("distribution__dataset")
    )


def queryable_table(identifier) -> DataTable | None:
    """The table of the distribution with this identifier (its UUID, the CKAN resource
    id), if anyone may query it."""
    return queryable_tables().filter(distribution__identifier=identifier).first()
