"""Signals other apps listen to (datastore imports none of them)."""

from django.dispatch import Signal

# Sent by the query API, CKAN's datastore_search and the table explorer after each query of
# a table: sender=DataTable, dataset_id. The portal counts it in the usage statistics.
table_queried = Signal()
