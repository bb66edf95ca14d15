"""Matrix of the steward's chart pages (datastore.staff_views): whoever may change the
dataset (catalog.permissions.get_dataset_for_user with edit=True, the publisher's
steward) creates, changes and removes the charts of its tables; the other reading roles
of the organisation get 403, other tenants 404 (the dataset does not exist for them).

The world's published datasets get their CSV loaded as a table and one chart, made
inside the running test (so they go with its savepoint)."""

from .matrix import STEWARD_A, STEWARD_B, Route, routes

TABLES = ("published", "published_b")
EDITS_TABLE = {"published": frozenset({STEWARD_A}), "published_b": frozenset({STEWARD_B})}
WHY = (
    "Charts are presentation of the published table, not reviewed data: the publisher's steward (who may change "
    "the dataset) manages them, every change versioned and journaled; readers of the catalog get 403, other "
    "tenants 404."
)


def table_of(world, label):
    """The dataset's CSV loaded as a table, as the worker would after publishing."""
    from catalog.models import Distribution
    from catalog.tabular_validation import check_distribution
    from datastore import loader
    from datastore.models import DataTable

    distribution = Distribution.objects.filter(dataset=world.dataset(label), format="CSV").exclude(file="").first()
    table = DataTable.objects.filter(distribution=distribution).exclude(table_name="").first()
    if table is None:
        check_distribution(distribution.pk)
        table = loader.load(distribution)
    return table


def chart_of(world, label):
    from datastore.models import ChartView

    table = table_of(world, label)
    chart = ChartView.objects.filter(distribution_id=table.distribution_id).first()
    if chart is None:
        category = table.columns[0]["id"]
        chart = ChartView.objects.create(
            distribution_id=table.distribution_id, title="Matrix", category=category, created_by=world.user(STEWARD_A)
        )
    return table, chart


def table_kwargs(world, label):
    return {"identifier": table_of(world, label).distribution.identifier}


def chart_kwargs(world, label):
    table, chart = chart_of(world, label)
    return {"identifier": table.distribution.identifier, "pk": chart.pk}


def chart_data(world, label):
    table = table_of(world, label)
    return {"title": "Zeilen je Wert", "kind": "bar", "category": table.columns[0]["id"], "measure": "count",
            "value": "", "sort": "category", "limit": "10", "position": "0"}  # fmt: skip


ROUTES = routes(
    Route(
        "datastore-staff:chart_create",
        objects=TABLES,
        kwargs=table_kwargs,
        get=EDITS_TABLE,
        post=EDITS_TABLE,
        data=chart_data,
        why=WHY,
    ),
    Route(
        "datastore-staff:chart_edit",
        objects=TABLES,
        kwargs=chart_kwargs,
        get=EDITS_TABLE,
        post=EDITS_TABLE,
        data=chart_data,
        why=WHY,
    ),
    Route(
        "datastore-staff:chart_delete",
        objects=TABLES,
        kwargs=chart_kwargs,
        post=EDITS_TABLE,
        why=WHY + " Removing is a POST only.",
    ),
)
