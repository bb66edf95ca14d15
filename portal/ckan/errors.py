"""The errors of the CKAN actions; `portal.ckan.views` turns each into CKAN's error
object and HTTP status."""


class ActionError(Exception):
    pass


class NotFound(ActionError):
    """404 `Not Found Error`; the message follows "Not found: " if given."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotAuthorized(ActionError):
    """403 `Authorization Error`; the message follows "Access denied: " if given."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class ValidationError(ActionError):
    """409 `Validation Error`: field errors at the top level of the error object, as
    CKAN's `{"rows": ["Invalid integer"]}`; a plain message becomes `{"message": …}`."""

    def __init__(self, errors: dict | str):
        super().__init__(errors)
        self.errors = errors if isinstance(errors, dict) else {"message": errors}


class SearchQueryError(ActionError):
    """400 `Search Query Error`: a q, fq or sort this portal cannot run."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
