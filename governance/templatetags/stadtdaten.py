from django import template

from governance.history import describe_change_reason

register = template.Library()


@register.filter
def change_reason(reason):
    return describe_change_reason(reason)


@register.filter
def minutes(duration):
    """A timedelta as whole minutes (for the lockout page)."""
    return int(duration.total_seconds() // 60) if duration else ""
