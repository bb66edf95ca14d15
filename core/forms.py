"""Form helpers every app's views share."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_errors(form, error: Exception) -> None:
    """Show a service's refusal on the form it answers: a ValidationError's messages at
    the form's fields where it has them and at its top otherwise (Django's own
    add_error would fail on a field the form does not show); any other refusal (a
    core.errors.DomainError) as text at the top."""
    if not isinstance(error, ValidationError):
        form.add_error(None, str(error))
    elif not hasattr(error, "error_dict"):
        form.add_error(None, error)
    else:
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, messages)
