"""The catalog's errors, in one module that imports no other part of the catalog, so
services, the workflow, harvest and import raise and catch them without importing each
other. They subclass the project-wide roots (core.errors): the API maps DomainError to
400 and ConflictError to 409."""

from core.errors import ConflictError as BaseConflict
from core.errors import DomainError, PermissionRefused


class CatalogError(DomainError):
    """A change the rules do not allow; the message is shown to the user."""


class ConflictError(CatalogError, BaseConflict):
    """Someone else changed the dataset since the editor loaded it."""


class WorkflowError(CatalogError, BaseConflict):
    """A transition that is not allowed now or not for this person; the message says why."""


class WorkflowRefused(WorkflowError, PermissionRefused):
    """A transition that is not this person's: a missing role, or four eyes (403)."""


class ImmutableError(Exception):
    """A classification version is never changed or deleted (a programming error, not a user's)."""


class HarvestError(CatalogError):
    """A run cannot be started now; the message says why."""


class HarvestAborted(Exception):
    """A harvest run as a whole cannot go on (transport error, paging broken …)."""


class RecordError(Exception):
    """One record cannot be taken over; the message is the reason in the report."""


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, unknown or missing columns)."""

    def __init__(self, messages):
        self.messages = [str(message) for message in ([messages] if isinstance(messages, str) else messages)]
        super().__init__("; ".join(self.messages))


class CellError(ValueError):
    """A cell whose content cannot be understood; the message is shown to the user."""
