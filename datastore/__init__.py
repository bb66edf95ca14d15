"""Tables that can be queried (issue 24): the DataStore of Stadtdaten.

When a table (an uploaded CSV or XLSX distribution) of a published dataset has passed its
checks, the worker loads it into a table of the database with the types inferred from
all its cells (core.tabletypes), and keeps it in step with what is public (`loader.sync`):
a new file version is loaded beside the old one and replaces it in one transaction; a
table that is no longer public is dropped. The web tier only reads.

The engine is the project's own database: PostgreSQL tables in their own schema
`datastore`, as CKAN's DataStore keeps them, read in a read-only transaction under the
role `stadtdaten_datastore_reader` (which may read nothing but those tables) with a
statement timeout; SQLite (the embedded default of `make run`) keeps them in its file.
So scaling out needs nothing of its own: more web processes and read replicas of the
database (issue 27), the tables travel with the backups. Why not DuckDB over Parquet
files: a second engine with its own files would need shared storage for every web
process and a second backup, and its filters over Parquet scan instead of using indexes;
PostgreSQL filters, sorts and pages a million rows with B-tree indexes in milliseconds.

Parts: `models` (DataTable: the state of a table and its columns; ColumnDescription: the
data dictionary the steward writes), `engine` (the SQL of both databases: create, load,
drop, run a query), `query` (the query language of the REST API and of CKAN's
datastore_search, checked before any SQL is written), `loader` (the task), `api`
(the REST views), `permissions` (the one rule who may query which table).
"""
