"""Matrix of the data dictionary editor (datastore.dictionary_views, issue 24): the
dataset's edit rule (catalog.permissions.get_dataset_for_user(edit=True)) for each
table of the dataset. Other tenants: 404; staff who read but do not edit: 403."""

from .matrix import Route, routes
from .matrix_catalog import EDITS_DATASET, IN_REVIEW_WHY, allowed_by


def table_of(world, label):
    dataset = world.dataset(label)
    table = dataset.distributions.filter(format__in=("CSV", "XLSX")).exclude(file="").order_by("pk").first()
    return {"identifier": table.identifier}


ROUTES = routes(
    Route(
        "datastore-dictionary:edit",
        objects=("draft", "in_review", "published", "draft_b"),
        kwargs=table_of,
        get=allowed_by(EDITS_DATASET),
        post=allowed_by(EDITS_DATASET),
        why="The publisher's steward describes the columns of a table (on a published dataset through the "
        "pending change). " + IN_REVIEW_WHY,
    ),
)
