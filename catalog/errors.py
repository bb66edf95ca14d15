"""The catalog's errors, in one module that imports no other part of the catalog, so
services, the workflow, harvest and import raise and catch them without importing each
other. They subclass the project-wide roots (core.errors): the API maps DomainError to
400 and ConflictError to 409."""

from core.errors import ConflictError as BaseConflict
from core.errors import DomainError


class CatalogError(DomainError):
    """A change the rules do not allow; the message is shown to the user."""


class ConflictError(CatalogError, BaseConflict):
    """Someone else changed the dataset since the editor loaded it."""


class WorkflowError(CatalogError, BaseConflict):
    """A transition that is not allowed now or not for this person; the message says why."""
