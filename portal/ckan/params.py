"""The parameters of the CKAN actions, validated as CKAN's validators do (and with
their messages)."""

import uuid

from .errors import ValidationError

TRUE_VALUES = {"true", "yes", "on", "y", "t", "1"}
MISSING = "Missing value"
# Paging numbers beyond PostgreSQL's integer: no catalog has that many rows, and a
# bigint overflow in OFFSET was a 500.
MAX_INTEGER = 2**31 - 1


def as_bool(value, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_VALUES


def _integer(value) -> int | None:
    """CKAN's int_validator: None for a missing or blank value, else a whole number."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError
    text = str(value).strip()
    if not text:
        return None
    return int(text)


def number(data: dict, key: str, errors: dict, *, natural: bool = True, positive: bool = False) -> int | None:
    try:
        value = _integer(data.get(key))
    except (TypeError, ValueError):
        errors[key] = ["Invalid integer"]
        return None
    if value is not None and positive and value < 1:
        errors[key] = ["Must be a positive integer"]
    elif value is not None and natural and value < 0:
        errors[key] = ["Must be a natural number"]
    elif value is not None and abs(value) > MAX_INTEGER:
        errors[key] = [f"Must be at most {MAX_INTEGER}"]
        return None
    return value


def required(data: dict, key: str) -> str:
    """CKAN's get_or_bust: the error value is a string, not a list."""
    value = data.get(key)
    if value is None:
        raise ValidationError({key: MISSING})
    return str(value)


def strings(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def key_or_none(value: str) -> int | None:
    """A primary key written as plain ASCII digits within PostgreSQL's integer range;
    None for anything else ("²" passes isdigit() but not int(), 4,300 digits are over
    Python's limit for int())."""
    if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_INTEGER:
        return int(value)
    return None


def uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
