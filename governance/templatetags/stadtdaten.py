from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from governance.history import describe_change_reason

register = template.Library()


@register.filter
def change_reason(reason):
    return describe_change_reason(reason)


@register.filter
def person_name(person):
    """Who typed a text: a user's full name or user name; a name already written out
    (an audit event's actor) as it is; nobody: the system."""
    if not person:
        return _("System")
    if isinstance(person, str):
        return person
    return person.get_full_name() or person.get_username()


@register.filter
def minutes(duration):
    """A timedelta as whole minutes (for the lockout page)."""
    return int(duration.total_seconds() // 60) if duration else ""


@register.filter
def last_day(valid_until):
    """The last day a period with an exclusive end covers."""
    return valid_until - timedelta(days=1) if valid_until else None


@register.filter
def label_of(value, choices):
    """The label of a code in a list of (code, label) choices."""
    return dict(choices).get(value, value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
