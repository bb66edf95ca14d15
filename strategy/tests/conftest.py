"""Shared factories of the strategy tests: a network-wide strategy with one field of
action and one goal, and measures, milestones and indicators below it. The personas
(org_a, steward_a, admin_a …) come from the project's conftest."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from strategy import services
from strategy.models import IndicatorUnit


def make_measure(goal, *, by, code="HF1-M01", responsible_organisation, **values):
    defaults = {
        "title": f"Maßnahme {code}",
        "description": "Eine Maßnahme zum Testen.",
        "start_date": date(2025, 1, 1),
        "end_date": date(2026, 12, 31),
        "budget_planned": Decimal("10000"),
    }
    return services.create_measure(
        goal, by=by, code=code, responsible_organisation=responsible_organisation, **{**defaults, **values}
    )


def make_indicator(goal, *, by, code="I-TEST", metric="", **values):
    defaults = {
        "title": f"Indikator {code}",
        "unit": IndicatorUnit.PERCENT,
        "target_value": Decimal("80"),
        "target_date": date(2027, 12, 31),
    }
    return services.create_indicator(goal, by=by, code=code, metric=metric, **{**defaults, **values})


@pytest.fixture
def strategy(admin_a):
    return services.create_strategy(
        by=admin_a, slug="teststrategie", title="Teststrategie", is_public=True, period_start=date(2022, 1, 1)
    )


@pytest.fixture
def field_of_action(strategy, admin_a):
    return services.create_field_of_action(strategy, by=admin_a, code="HF1", title="Digitale Infrastruktur")


@pytest.fixture
def goal(field_of_action, admin_a):
    return services.create_goal(field_of_action, by=admin_a, code="HF1-Z1", title="Alle Daten sind nutzbar")


@pytest.fixture
def measure(goal, admin_a, steward_a, org_a):
    """A measure of org A for which steward_a is responsible."""
    return make_measure(goal, by=admin_a, responsible_organisation=org_a, responsible_person=steward_a)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def overdue_milestone(measure, admin_a, today):
    return services.add_milestone(measure, by=admin_a, title="Analyse abgeschlossen", due_date=today - timedelta(1))
