"""Signals other apps listen to; catalog imports none of them (governance ← catalog ← ethics)."""

from django.dispatch import Signal

# Sent by catalog.workflow inside the transition's transaction, after a dataset's state
# changed: sender=Dataset, dataset, old_state, new_state, by (None for triggers of the
# system). A receiver that raises rolls the transition back. The ethics app opens an
# ethics review when a dataset enters "ethics_review".
dataset_state_changed = Signal()
