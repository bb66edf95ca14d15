"""The one error root of the services.

Every refusal a service raises is a `DomainError` (its message is German or English text
for the person, never a code); the API answers it with 400. A `ConflictError` is a refusal
because of the object's current state, someone else's change or a stale version: the API
answers 409 so that clients reload and retry. Each app subclasses these for its own
errors; callers catch the root they care about.
"""


class DomainError(Exception):
    """A change the rules do not allow; the message is shown to the user."""


class ConflictError(DomainError):
    """Not possible in the object's current state, or someone else changed it meanwhile."""


class PermissionRefused(DomainError):
    """Not this person's step: a role they do not hold, or the four-eyes principle keeps
    them out. The API answers 403, the pages refuse with 403 as well."""
