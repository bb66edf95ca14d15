"""Signals other apps listen to; catalog imports none of them (governance ← catalog ← ethics)."""

from django.dispatch import Signal

# Sent by catalog.workflow inside the transition's transaction, after a dataset's state
# changed: sender=Dataset, dataset, old_state, new_state, by (None for triggers of the
# system). A receiver that raises rolls the transition back. The ethics app opens an
# ethics review when a dataset enters "ethics_review".
dataset_state_changed = Signal()

# Sent by catalog.services inside the write's transaction when a licence, HVD category,
# publisher or classification of an approved or published dataset changed: sender=Dataset,
# dataset, by, reasons. The workflow re-opens review (connected in catalog.apps), so the
# services need not import the workflow, which imports them.
decision_inputs_changed = Signal()

# Sent by catalog.tabular_validation when the disclosure check finds small cells in a
# file: sender=Distribution, distribution, reasons. catalog.changes takes a public file
# off every public output at once (connected in catalog.apps).
small_cells_found = Signal()

# Sent by catalog.changes inside the step's transaction when a pending change entered a
# new state: sender=DatasetChange, change, old_state, new_state, by. The ethics app opens
# a review of the change when it enters "ethics_review".
change_state_changed = Signal()

# Sent by catalog.services.create_datasets inside its transaction after it created many
# datasets at once (governance.audit.create_with_history, which sends no model signals):
# sender=Dataset, datasets, distributions. Its receivers do what those of post_save and
# m2m_changed do for one: the search documents (portal), the quality scores and the link
# checks (catalog).
datasets_created = Signal()

# Sent by catalog.changes.apply_change inside its transaction while an approved change is
# applied: after the dataset's metadata, before its files replace the current ones (so a
# receiver still sees both a replaced file and its replacement): sender=DatasetChange,
# change, by. What other apps proposed in the change (`change.proposed` keys that are no
# dataset field, e.g. the datastore's data dictionary) they apply here; catalog keeps such
# keys without knowing them. A receiver that raises rolls the application back.
change_applying = Signal()
