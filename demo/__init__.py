"""The fictional demo network (Stadtverbund Lindenau–Eichberg) and the seed commands.

The demo sits above every app: it imports anyone and nobody imports it (only its own
tests and the benchmark do). It has no models; `manage.py seed_demo` fills the
database for `make run`, `manage.py seed_bench` the benchmark database for `make bench`."""
