"""What the public portal may read of the strategy: a strategy marked public, and
below it only fields of action, goals, measures and indicators that are themselves
public and whose parents are. Every public view starts here."""

from .models import FieldOfAction, Goal, Indicator, Measure, Strategy


def public_strategies():
    return Strategy.objects.public()


def public_fields_of_action():
    return FieldOfAction.objects.public().filter(strategy__is_public=True)


def public_goals():
    return Goal.objects.public().filter(field_of_action__is_public=True, field_of_action__strategy__is_public=True)


def public_measures():
    return Measure.objects.public().filter(
        goal__is_public=True,
        goal__field_of_action__is_public=True,
        goal__field_of_action__strategy__is_public=True,
    )


def public_indicators():
    return Indicator.objects.public().filter(
        goal__is_public=True,
        goal__field_of_action__is_public=True,
        goal__field_of_action__strategy__is_public=True,
    )
