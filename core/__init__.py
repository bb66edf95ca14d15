"""The model-free kit every app shares: the error root, the REST API base, the transition kit,
form helpers, the one table reader and the participation helpers.

Nothing here imports an app of this project (the import-direction test in
config/tests/test_architecture.py holds that): apps build on core, never the other way round.
"""
