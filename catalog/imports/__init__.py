"""The inventory import: stewards upload their existing data inventory as CSV or XLSX,
one row per dataset, keyed by `kennung` (the dataset's Kurzname).

Every row is checked before anything is written. Only if all rows are valid are they
written, in one transaction and through the catalog services, so an import leaves the
same history and classification versions as the editing pages. A file that contains
what is already stored changes nothing: importing the same file twice is harmless.

Column semantics: a column that is missing from the file leaves that field of an
existing dataset as it is (a new dataset gets the default); a column that is present
is the truth, so an empty cell clears the field or sets its default.
"""
