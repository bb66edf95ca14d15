"""JSON from clients, read with limits: a nesting depth (`JSON_MAX_DEPTH`) and no NUL
characters. Python's parser recurses once per level, so `[[[…]]]` 5,000 levels deep
ended in a RecursionError (a 500) and, below the interpreter's limit, in structures
that every later step (serializers, the journal's canonical JSON) walks recursively
again. NUL is refused because PostgreSQL cannot store it in text and a lookup with it
raised inside the database driver. The REST API's parser (`core.api.JSONParser`) and
the CKAN Action API read request bodies through `loads`."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _

# A JSON string (with its escapes) or a bracket: the depth is counted on brackets
# outside strings. The regex engine walks the strings, Python only sees the tokens.
TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
NUL_ESCAPE = "\\u0000"


class JSONRefused(ValueError):
    """Well-formed JSON refused by a limit: too deep, or a NUL in a string. The message
    is German, for the client."""


def check_depth(text: str, max_depth: int) -> None:
    depth = 0
    for token in TOKENS.finditer(text):
        first = token.group()[0]
        if first in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONRefused(
                    _("Die JSON-Daten sind zu tief verschachtelt (höchstens %(limit)d Ebenen).") % {"limit": max_depth}
                )
        elif first in "]}":
            depth -= 1


def contains_nul(value) -> bool:
    """Whether any string (key or value) of a parsed structure holds a NUL character;
    iterative, so a wide structure costs no recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def loads(data: bytes | str, *, max_depth: int | None = None, **options):
    """The parsed JSON of `data`, as json.loads reads it (its ValueError for text that is
    no JSON); JSONRefused, also a ValueError, for JSON too deep or with NUL. `options`
    go to json.loads."""
    limit = settings.JSON_MAX_DEPTH if max_depth is None else max_depth
    # Brackets and quotes are ASCII: the scan needs no exact decoding.
    check_depth(data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data, limit)
    try:
        value = json.loads(data, **options)
    except RecursionError as error:  # only if the limit is set above the interpreter's own
        raise JSONRefused(_("Die JSON-Daten sind zu tief verschachtelt.")) from error
    # Only an escape can bring NUL into parsed JSON (the parser refuses raw control
    # characters in strings), so most bodies skip the walk.
    escaped_nul = NUL_ESCAPE.encode() if isinstance(data, bytes) else NUL_ESCAPE
    if escaped_nul in data and contains_nul(value):
        raise JSONRefused(_("Die JSON-Daten enthalten ein Nullzeichen (NUL); das ist nicht erlaubt."))
    return value
